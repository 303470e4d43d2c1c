//! The ECS events of the tests as EventBridge delivers them. The envelope (version, id,
//! detail-type, source, account, time, region, resources) is written here once; a test says what
//! its detail holds and what differs from the defaults.

use serde_json::{json, Value};

use super::{ACCOUNT, REGION};

/// The cluster both local worlds (moto's seed and world) and the canned AWS run in.
pub const CLUSTER: &str = "prod";

pub fn cluster_arn() -> String {
    format!("arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}")
}

pub fn service_arn(service: &str) -> String {
    format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{service}")
}

pub fn task_arn(id: &str) -> String {
    format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{id}")
}

pub const TASK_STATE_CHANGE: &str = "ECS Task State Change";
pub const SERVICE_ACTION: &str = "ECS Service Action";
pub const DEPLOYMENT_STATE_CHANGE: &str = "ECS Deployment State Change";

/// An event being built: `task_state_change(detail)` (or another kind), then what differs.
#[must_use = "build() gives the event"]
pub struct EventBuilder(Value);

/// An event of `detail_type` from aws.ecs around `detail`: the test account and region, sent now
/// (to the second, as EventBridge writes it), about no resource.
pub fn ecs_event(detail_type: &str, detail: Value) -> EventBuilder {
    EventBuilder(json!({
        "version": "0",
        "id": "3317b2af-7005-47d2-9d4c-a0f2a8ee1a1b",
        "detail-type": detail_type,
        "source": "aws.ecs",
        "account": ACCOUNT,
        "time": now_to_the_second(),
        "region": REGION,
        "resources": [],
        "detail": detail,
    }))
}

/// An "ECS Task State Change" event.
pub fn task_state_change(detail: Value) -> EventBuilder {
    ecs_event(TASK_STATE_CHANGE, detail)
}

/// An "ECS Service Action" event.
pub fn service_action(detail: Value) -> EventBuilder {
    ecs_event(SERVICE_ACTION, detail)
}

/// An "ECS Deployment State Change" event.
pub fn deployment_state_change(detail: Value) -> EventBuilder {
    ecs_event(DEPLOYMENT_STATE_CHANGE, detail)
}

impl EventBuilder {
    pub fn id(mut self, id: &str) -> Self {
        self.0["id"] = id.into();
        self
    }

    /// Sent at `time` (RFC 3339).
    pub fn at(mut self, time: impl Into<String>) -> Self {
        self.0["time"] = time.into().into();
        self
    }

    /// From another account and region than the test's.
    pub fn from(mut self, account: &str, region: &str) -> Self {
        self.0["account"] = account.into();
        self.0["region"] = region.into();
        self
    }

    /// About `resource` (an ARN), after those already named.
    pub fn about(mut self, resource: impl Into<String>) -> Self {
        self.0["resources"]
            .as_array_mut()
            .expect("resources is a list")
            .push(resource.into().into());
        self
    }

    pub fn build(self) -> Value {
        self.0
    }
}

/// Now, to the second, as EventBridge writes an event's time.
pub fn now_to_the_second() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Now, to the millisecond, as ECS writes a task's times.
pub fn now_to_the_millisecond() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
