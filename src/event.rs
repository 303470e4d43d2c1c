//! EventBridge ECS events, typed.
//!
//! aws_lambda_events gives the envelope (`EventBridgeEvent`); it has no ECS detail types, so
//! these are ours. ECS omits fields freely — `exitCode` on a container that never started,
//! `stopCode` on older events, `reason` on most containers — so every field is optional and
//! unknown fields are ignored: a new field in an ECS event must never break an alert.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

/// The `source` of every ECS event.
pub const ECS_SOURCE: &str = "aws.ecs";
pub const TASK_STATE_CHANGE: &str = "ECS Task State Change";
pub const DEPLOYMENT_STATE_CHANGE: &str = "ECS Deployment State Change";
pub const SERVICE_ACTION: &str = "ECS Service Action";
pub const HOOK_STATE_CHANGE: &str = "ECS Hook State Change";
pub const DAEMON_SERVICE_ACTION: &str = "ECS Daemon Service Action";
pub const DAEMON_DEPLOYMENT_STATE_CHANGE: &str = "ECS Daemon Deployment State Change";
pub const CONTAINER_INSTANCE_HEALTH_CHANGE: &str = "ECS Container Instance Health Change";

/// Every detail-type ecs-doctor reads (the template's rules forward these).
pub const DETAIL_TYPES: &[&str] = &[
    TASK_STATE_CHANGE,
    DEPLOYMENT_STATE_CHANGE,
    SERVICE_ACTION,
    HOOK_STATE_CHANGE,
    DAEMON_SERVICE_ACTION,
    DAEMON_DEPLOYMENT_STATE_CHANGE,
    CONTAINER_INSTANCE_HEALTH_CHANGE,
];

/// Why an event could not be read. Each message says what arrived and what to do.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("the event is not valid JSON: {0} (check that the whole EventBridge event was passed, not only its detail)")]
    Json(#[source] serde_json::Error),
    #[error("the event is not an EventBridge event: {0}")]
    Envelope(#[source] serde_json::Error),
    #[error("the event comes from source '{origin}', not 'aws.ecs': point the EventBridge rule at ECS events only")]
    NotEcs { origin: String },
    #[error("unknown ECS detail-type '{detail_type}': ecs-doctor reads 'ECS Task State Change', 'ECS Deployment State Change', 'ECS Service Action', 'ECS Hook State Change', 'ECS Daemon Service Action', 'ECS Daemon Deployment State Change' and 'ECS Container Instance Health Change': point the EventBridge rule at those")]
    UnknownDetailType { detail_type: String },
    #[error("the detail of this '{detail_type}' event is malformed: {source}")]
    Detail {
        detail_type: String,
        #[source]
        source: serde_json::Error,
    },
}

/// One ECS event, by detail-type, with the envelope fields every report needs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EcsEvent {
    pub id: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub time: Option<DateTime<Utc>>,
    pub resources: Vec<String>,
    pub detail: Detail,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "detailType", content = "detail")]
pub enum Detail {
    #[serde(rename = "ECS Task State Change")]
    Task(Box<Task>),
    #[serde(rename = "ECS Deployment State Change")]
    Deployment(DeploymentChange),
    #[serde(rename = "ECS Service Action")]
    ServiceAction(ServiceAction),
    #[serde(rename = "ECS Hook State Change")]
    Hook(HookChange),
    #[serde(rename = "ECS Daemon Service Action")]
    DaemonAction(DaemonAction),
    #[serde(rename = "ECS Daemon Deployment State Change")]
    DaemonDeployment(DaemonDeployment),
    #[serde(rename = "ECS Container Instance Health Change")]
    InstanceHealth(InstanceHealth),
}

impl Detail {
    pub fn detail_type(&self) -> &'static str {
        match self {
            Detail::Task(_) => TASK_STATE_CHANGE,
            Detail::Deployment(_) => DEPLOYMENT_STATE_CHANGE,
            Detail::ServiceAction(_) => SERVICE_ACTION,
            Detail::Hook(_) => HOOK_STATE_CHANGE,
            Detail::DaemonAction(_) => DAEMON_SERVICE_ACTION,
            Detail::DaemonDeployment(_) => DAEMON_DEPLOYMENT_STATE_CHANGE,
            Detail::InstanceHealth(_) => CONTAINER_INSTANCE_HEALTH_CHANGE,
        }
    }

    /// The events that carry a name and a reason, as one shape the rule catalog reads (its
    /// `ServiceAction` triggers name them): service actions, hooks, daemons, instance health.
    pub fn named(&self) -> Option<ServiceAction> {
        let action = |event_type: &Option<String>,
                      name: &str,
                      cluster: &Option<String>,
                      reason: Option<String>| ServiceAction {
            event_type: event_type.clone(),
            event_name: name.to_string(),
            cluster_arn: cluster.clone(),
            reason,
            ..ServiceAction::default()
        };
        match self {
            Detail::ServiceAction(action) => Some(action.clone()),
            Detail::Hook(hook) => Some(action(
                &hook.event_type,
                &hook.event_name,
                &hook.cluster_arn,
                hook.lifecycle_stage.clone(),
            )),
            Detail::DaemonAction(daemon) => Some(action(
                &daemon.event_type,
                &daemon.event_name,
                &daemon.cluster_arn,
                match (&daemon.failure_type, &daemon.reason) {
                    (Some(kind), Some(reason)) => Some(format!("{kind}: {reason}")),
                    (kind, reason) => kind.clone().or(reason.clone()),
                },
            )),
            Detail::DaemonDeployment(deployment) => Some(action(
                &deployment.event_type,
                &deployment.event_name,
                &deployment.cluster_arn,
                deployment.reason.clone(),
            )),
            Detail::InstanceHealth(health) => Some(action(
                &None,
                &health.event_name(),
                &health.cluster_arn,
                health.reason(),
            )),
            Detail::Task(_) | Detail::Deployment(_) => None,
        }
    }
}

/// Parses an EventBridge event from bytes. Errors name the position (malformed JSON) or what
/// arrived (another source, an unknown detail-type). The detail is kept raw until the envelope
/// says which type it is, so the bytes are read once into typed structs, with no JSON tree between.
pub fn parse(bytes: &[u8]) -> Result<EcsEvent, EventError> {
    let envelope: EventBridgeEvent<Box<RawValue>> =
        serde_json::from_slice(bytes).map_err(|error| {
            if error.is_data() {
                EventError::Envelope(error)
            } else {
                EventError::Json(error)
            }
        })?;
    let detail_json = envelope.detail.get();
    let detail = typed_detail(&envelope.source, &envelope.detail_type, |detail_type| {
        Ok(match detail_type {
            TASK_STATE_CHANGE => Detail::Task(Box::new(serde_json::from_str(detail_json)?)),
            DEPLOYMENT_STATE_CHANGE => Detail::Deployment(serde_json::from_str(detail_json)?),
            HOOK_STATE_CHANGE => Detail::Hook(serde_json::from_str(detail_json)?),
            DAEMON_SERVICE_ACTION => Detail::DaemonAction(serde_json::from_str(detail_json)?),
            DAEMON_DEPLOYMENT_STATE_CHANGE => {
                Detail::DaemonDeployment(serde_json::from_str(detail_json)?)
            }
            CONTAINER_INSTANCE_HEALTH_CHANGE => {
                Detail::InstanceHealth(serde_json::from_str(detail_json)?)
            }
            _ => Detail::ServiceAction(serde_json::from_str(detail_json)?),
        })
    })?;
    Ok(event_from(envelope, detail))
}

/// Parses an already decoded JSON value (what the Lambda runtime hands the handler).
pub fn parse_value(value: Value) -> Result<EcsEvent, EventError> {
    let envelope: EventBridgeEvent<Value> =
        serde_json::from_value(value).map_err(EventError::Envelope)?;
    let detail = typed_detail(&envelope.source, &envelope.detail_type, |detail_type| {
        let value = envelope.detail.clone();
        Ok(match detail_type {
            TASK_STATE_CHANGE => Detail::Task(Box::new(serde_json::from_value(value)?)),
            DEPLOYMENT_STATE_CHANGE => Detail::Deployment(serde_json::from_value(value)?),
            HOOK_STATE_CHANGE => Detail::Hook(serde_json::from_value(value)?),
            DAEMON_SERVICE_ACTION => Detail::DaemonAction(serde_json::from_value(value)?),
            DAEMON_DEPLOYMENT_STATE_CHANGE => {
                Detail::DaemonDeployment(serde_json::from_value(value)?)
            }
            CONTAINER_INSTANCE_HEALTH_CHANGE => {
                Detail::InstanceHealth(serde_json::from_value(value)?)
            }
            _ => Detail::ServiceAction(serde_json::from_value(value)?),
        })
    })?;
    Ok(event_from(envelope, detail))
}

/// Checks the source and detail-type, then reads the detail with `read`.
fn typed_detail(
    source: &str,
    detail_type: &str,
    read: impl FnOnce(&str) -> Result<Detail, serde_json::Error>,
) -> Result<Detail, EventError> {
    if source != ECS_SOURCE {
        return Err(EventError::NotEcs {
            origin: source.to_string(),
        });
    }
    match detail_type {
        known if DETAIL_TYPES.contains(&known) => {
            read(detail_type).map_err(|source| EventError::Detail {
                detail_type: detail_type.to_string(),
                source,
            })
        }
        _ => Err(EventError::UnknownDetailType {
            detail_type: detail_type.to_string(),
        }),
    }
}

fn event_from<T: Serialize + serde::de::DeserializeOwned>(
    envelope: EventBridgeEvent<T>,
    detail: Detail,
) -> EcsEvent {
    EcsEvent {
        id: envelope.id,
        account: envelope.account,
        region: envelope.region,
        time: envelope.time,
        resources: envelope.resources.unwrap_or_default(),
        detail,
    }
}

/// The detail of an "ECS Task State Change" event, which is also the shape of a task returned by
/// DescribeTasks, so the gatherer converts SDK tasks into this type.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Task {
    pub task_arn: Option<String>,
    pub cluster_arn: Option<String>,
    pub task_definition_arn: Option<String>,
    pub container_instance_arn: Option<String>,
    pub last_status: Option<String>,
    pub desired_status: Option<String>,
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    /// `service:NAME` for service tasks, `family:NAME` or a user's group otherwise.
    pub group: Option<String>,
    /// `ecs-svc/...` for service tasks: the deployment that started the task.
    pub started_by: Option<String>,
    pub launch_type: Option<String>,
    pub capacity_provider_name: Option<String>,
    pub platform_version: Option<String>,
    pub availability_zone: Option<String>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub health_status: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub pull_started_at: Option<DateTime<Utc>>,
    pub pull_stopped_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub stopping_at: Option<DateTime<Utc>>,
    pub execution_stopped_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub containers: Vec<Container>,
    pub attributes: Vec<NameValue>,
    /// The task's ENI (awsvpc): its subnet, id and private address.
    pub attachments: Vec<Attachment>,
    // `overrides` is not read: it may carry environment values, which never leave.
    pub version: Option<i64>,
}

/// An attachment of a task (the ENI of an awsvpc task).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Attachment {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub status: Option<String>,
    pub details: Vec<NameValue>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Container {
    pub name: String,
    pub container_arn: Option<String>,
    #[serde(deserialize_with = "crate::redact::structure::deserialize_image")]
    pub image: Option<String>,
    pub image_digest: Option<String>,
    pub last_status: Option<String>,
    /// Absent on a container that never started.
    pub exit_code: Option<i32>,
    /// Absent on most containers; set by ECS when it knows why the container stopped.
    pub reason: Option<String>,
    pub health_status: Option<String>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub memory_reservation: Option<String>,
    pub runtime_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct NameValue {
    pub name: String,
    pub value: Option<String>,
}

impl Task {
    /// The task id: the last segment of the ARN.
    pub fn id(&self) -> Option<&str> {
        self.task_arn.as_deref().map(last_segment)
    }

    /// The cluster name from the cluster ARN.
    pub fn cluster(&self) -> Option<&str> {
        self.cluster_arn.as_deref().map(last_segment)
    }

    /// The service name when the task belongs to a service (`group` is `service:NAME`).
    pub fn service(&self) -> Option<&str> {
        self.group.as_deref()?.strip_prefix("service:")
    }

    /// `family:revision` from the task definition ARN.
    pub fn task_definition(&self) -> Option<&str> {
        self.task_definition_arn.as_deref().map(last_segment)
    }

    pub fn container(&self, name: &str) -> Option<&Container> {
        self.containers.iter().find(|c| c.name == name)
    }

    /// The subnet of the task's ENI (awsvpc), when the event carries it.
    pub fn subnet(&self) -> Option<&str> {
        self.attachment_detail("subnetId")
    }

    /// The private address of the task's ENI (awsvpc): its load-balancer target.
    pub fn private_ip(&self) -> Option<&str> {
        self.attachment_detail("privateIPv4Address")
    }

    /// The reasons of attachments that failed (an EBS volume that could not be created or
    /// attached: its `statusReason`).
    pub fn attachment_failures(&self) -> impl Iterator<Item = &str> {
        self.attachments
            .iter()
            .filter(|attachment| attachment.status.as_deref() == Some("FAILED"))
            .flat_map(|attachment| &attachment.details)
            .filter(|detail| detail.name == "statusReason")
            .filter_map(|detail| detail.value.as_deref())
    }

    fn attachment_detail(&self, name: &str) -> Option<&str> {
        self.attachments
            .iter()
            .flat_map(|attachment| &attachment.details)
            .find(|detail| detail.name == name)
            .and_then(|detail| detail.value.as_deref())
    }

    /// The CPU architecture ECS recorded for the task, when it did.
    pub fn cpu_architecture(&self) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == "ecs.cpu-architecture")
            .and_then(|a| a.value.as_deref())
    }
}

/// The detail of an "ECS Deployment State Change" event. The service is in `resources`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct DeploymentChange {
    /// INFO or ERROR.
    pub event_type: Option<String>,
    /// SERVICE_DEPLOYMENT_IN_PROGRESS, SERVICE_DEPLOYMENT_COMPLETED or SERVICE_DEPLOYMENT_FAILED.
    pub event_name: String,
    pub deployment_id: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

/// The detail of an "ECS Service Action" event. The service is in `resources`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceAction {
    /// INFO, WARN or ERROR.
    pub event_type: Option<String>,
    /// SERVICE_STEADY_STATE, SERVICE_TASK_PLACEMENT_FAILURE, SERVICE_TASK_START_IMPAIRED, …
    pub event_name: String,
    pub cluster_arn: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// For placement failures: RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:ENI, RESOURCE:FARGATE, ATTRIBUTE, AGENT…
    pub reason: Option<String>,
    pub capacity_provider_arns: Vec<String>,
    pub task_arns: Vec<String>,
    pub target_group_arn: Option<String>,
    pub desired_count: Option<i64>,
}

/// The detail of an "ECS Hook State Change" event: a deployment lifecycle hook (a pause hook
/// waiting for a person, a Lambda hook) changed state. The deployment is in `resources`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct HookChange {
    /// INFO (the only value AWS documents).
    pub event_type: Option<String>,
    /// HOOK_IN_PROGRESS, HOOK_AWAITING_ACTION, HOOK_SUCCEEDED, HOOK_FAILED, HOOK_TIMED_OUT.
    pub event_name: String,
    /// `ecs-{hookType}-{id}`: what `continue-service-deployment --hook-id` takes.
    pub hook_id: Option<String>,
    /// PAUSE (documented), AWS_LAMBDA.
    pub hook_type: Option<String>,
    /// When a pause hook stops waiting and takes its timeout action.
    pub expires_at: Option<DateTime<Utc>>,
    /// RECONCILE_SERVICE, PRE_SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT,
    /// PRE_PRODUCTION_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT.
    pub lifecycle_stage: Option<String>,
    pub cluster_arn: Option<String>,
    pub service_arn: Option<String>,
    pub service_deployment_arn: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The detail of an "ECS Daemon Service Action" event: a managed daemon's task could not be
/// created or did not reach RUNNING on an instance (`eventType` WARNING).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct DaemonAction {
    pub event_type: Option<String>,
    /// DAEMON_TASK_START_IMPAIRED.
    pub event_name: String,
    pub cluster_arn: Option<String>,
    pub container_instance_arn: Option<String>,
    pub task_arn: Option<String>,
    pub daemon_arn: Option<String>,
    pub daemon_revision_arn: Option<String>,
    pub daemon_task_definition_arn: Option<String>,
    pub capacity_provider_name: Option<String>,
    /// TASK_FAILED_TO_RUN, TASK_CREATION_FAILED.
    pub failure_type: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

/// The detail of an "ECS Daemon Deployment State Change" event.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct DaemonDeployment {
    /// INFO; ERROR for DAEMON_DEPLOYMENT_ROLLBACK_FAILED.
    pub event_type: Option<String>,
    /// DAEMON_DEPLOYMENT_PENDING, _IN_PROGRESS, _SUCCESSFUL, _STOP_REQUESTED, _STOPPED,
    /// _ROLLBACK_IN_PROGRESS, _ROLLBACK_SUCCESSFUL, _ROLLBACK_FAILED.
    pub event_name: String,
    pub cluster_arn: Option<String>,
    pub daemon_arn: Option<String>,
    pub daemon_deployment_arn: Option<String>,
    pub target_daemon_revision_arn: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

/// The detail of an "ECS Container Instance Health Change" event (no `eventType` or
/// `eventName`: the overall status and each check's status say it).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct InstanceHealth {
    pub cluster_arn: Option<String>,
    pub container_instance_arn: Option<String>,
    pub capacity_provider_name: Option<String>,
    pub ec2_instance_id: Option<String>,
    /// OK, IMPAIRED, INSUFFICIENT_DATA, INITIALIZING.
    pub overall_status: Option<String>,
    pub health_checks: Vec<InstanceHealthCheck>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct InstanceHealthCheck {
    /// CONTAINER_RUNTIME, AGENT_CONNECTIVITY, ACCELERATED_COMPUTE, DAEMON …
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub status: Option<String>,
    pub last_status_change: Option<DateTime<Utc>>,
    pub status_reason: Option<String>,
}

impl InstanceHealth {
    /// A name for the rule catalog: `CONTAINER_INSTANCE_IMPAIRED`, `CONTAINER_INSTANCE_OK`.
    pub fn event_name(&self) -> String {
        format!(
            "CONTAINER_INSTANCE_{}",
            self.overall_status.as_deref().unwrap_or("UNKNOWN")
        )
    }

    /// The checks that are not OK: `AGENT_CONNECTIVITY: Agent disconnected since …`.
    pub fn reason(&self) -> Option<String> {
        let failing: Vec<String> = self
            .health_checks
            .iter()
            .filter(|check| check.status.as_deref() != Some("OK"))
            .map(|check| {
                format!(
                    "{}: {}",
                    check.kind.as_deref().unwrap_or("check"),
                    check
                        .status_reason
                        .as_deref()
                        .or(check.status.as_deref())
                        .unwrap_or("?")
                )
            })
            .collect();
        (!failing.is_empty()).then(|| failing.join("; "))
    }
}

pub use crate::arn::last_segment;

/// Where an ECS resource lives, read from an ARN: `arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRef {
    pub region: Option<String>,
    pub account: Option<String>,
    pub cluster: String,
    pub service: String,
}

impl ServiceRef {
    /// Reads a service ARN in the long form (`service/CLUSTER/NAME`). The old short form
    /// (`service/NAME`) carries no cluster, so the cluster falls back to `default_cluster`.
    pub fn from_arn(arn: &str, default_cluster: Option<&str>) -> Option<ServiceRef> {
        let mut parts = arn.splitn(6, ':');
        let (_, _, service, region, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        if service != "ecs" {
            return None;
        }
        let path = resource.strip_prefix("service/")?;
        let (cluster, name) = match path.split_once('/') {
            Some((cluster, name)) => (cluster.to_string(), name.to_string()),
            None => (default_cluster?.to_string(), path.to_string()),
        };
        Some(ServiceRef {
            region: Some(region.to_string()).filter(|r| !r.is_empty()),
            account: Some(account.to_string()).filter(|a| !a.is_empty()),
            cluster,
            service: name,
        })
    }
}

impl EcsEvent {
    /// The service a deployment or service-action event is about (from `resources`).
    pub fn service_ref(&self) -> Option<ServiceRef> {
        let default_cluster = match &self.detail {
            Detail::ServiceAction(action) => action.cluster_arn.as_deref().map(last_segment),
            _ => None,
        };
        // A hook's resources name its service deployment; the service is in the detail.
        if let Detail::Hook(hook) = &self.detail {
            return hook
                .service_arn
                .as_deref()
                .and_then(|arn| ServiceRef::from_arn(arn, None));
        }
        self.resources
            .iter()
            .find_map(|arn| ServiceRef::from_arn(arn, default_cluster))
    }

    pub fn task(&self) -> Option<&Task> {
        match &self.detail {
            Detail::Task(task) => Some(task),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(detail_type: &str, detail: Value) -> Value {
        serde_json::json!({
            "version": "0", "id": "e1", "detail-type": detail_type, "source": "aws.ecs",
            "account": "111122223333", "time": "2026-11-20T10:00:00Z", "region": "eu-west-1",
            "resources": ["arn:aws:ecs:eu-west-1:111122223333:service/prod/api"], "detail": detail
        })
    }

    #[test]
    fn a_container_that_never_started_has_no_exit_code() {
        let event = parse_value(envelope(
            TASK_STATE_CHANGE,
            serde_json::json!({"lastStatus": "STOPPED", "containers": [{"name": "api"}]}),
        ))
        .unwrap();
        let task = event.task().unwrap();
        assert_eq!(task.containers[0].exit_code, None);
        assert_eq!(task.stop_code, None);
    }

    #[test]
    fn another_source_is_named_in_the_error() {
        let mut value = envelope(TASK_STATE_CHANGE, serde_json::json!({}));
        value["source"] = "aws.ec2".into();
        let error = parse_value(value).unwrap_err().to_string();
        assert!(error.contains("'aws.ec2'"), "{error}");
    }

    #[test]
    fn an_unknown_detail_type_is_named_in_the_error() {
        let error = parse_value(envelope(
            "ECS Container Instance State Change",
            serde_json::json!({}),
        ))
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("ECS Container Instance State Change"),
            "{error}"
        );
    }

    #[test]
    fn malformed_json_names_its_position() {
        let error = parse(b"{\n  \"source\": \"aws.ecs\",\n  oops\n}")
            .unwrap_err()
            .to_string();
        assert!(error.contains("line 3"), "{error}");
    }

    #[test]
    fn a_wrong_typed_exit_code_is_a_detail_error() {
        let error = parse_value(envelope(
            TASK_STATE_CHANGE,
            serde_json::json!({"containers": [{"name": "api", "exitCode": "137"}]}),
        ))
        .unwrap_err();
        assert!(matches!(error, EventError::Detail { .. }), "{error}");
    }

    #[test]
    fn service_arns_long_and_short_form() {
        let long =
            ServiceRef::from_arn("arn:aws:ecs:eu-west-1:111122223333:service/prod/api", None)
                .unwrap();
        assert_eq!(
            (long.cluster.as_str(), long.service.as_str()),
            ("prod", "api")
        );
        let short = ServiceRef::from_arn(
            "arn:aws:ecs:eu-west-1:111122223333:service/api",
            Some("prod"),
        )
        .unwrap();
        assert_eq!(
            (short.cluster.as_str(), short.service.as_str()),
            ("prod", "api")
        );
        assert!(ServiceRef::from_arn("arn:aws:ecs:eu-west-1:1:service/api", None).is_none());
    }
}
