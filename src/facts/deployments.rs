//! What the deployment probe finds: the failing deployment, its strategy, hooks, alarms,
//! circuit breaker and rollback, and the last revision that ran fine.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which service's deployments to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentAsk {
    pub cluster: String,
    pub service: String,
    /// The event's deploymentId (`ecs-svc/…`): part of the cache key only, the service
    /// deployment ARNs use other ids.
    pub event_deployment: Option<String>,
}

/// The failed (or failing) service deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeploymentFacts {
    pub arn: String,
    /// SUCCESSFUL, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED, STOPPED, IN_PROGRESS …
    pub status: String,
    pub status_reason: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The task definition it deployed.
    pub target_task_definition: Option<String>,
    /// The task definitions that ran before it.
    pub source_task_definitions: Vec<String>,
    pub circuit_breaker: Option<CircuitBreakerFacts>,
    pub alarms: Option<AlarmsFacts>,
    /// Where ECS rolled back to.
    pub rollback: Option<RollbackFacts>,
    /// The newest deployment before it that succeeded.
    pub last_good: Option<LastGood>,
    /// ROLLING, BLUE_GREEN, LINEAR, CANARY.
    pub strategy: Option<String>,
    /// Where a blue/green, linear or canary deployment is (or stopped): TEST_TRAFFIC_SHIFT …
    pub lifecycle_stage: Option<String>,
    pub bake_time_minutes: Option<i32>,
    /// Its lifecycle hooks as ECS ran them.
    pub hooks: Vec<HookFacts>,
    pub verified_by: Vec<String>,
}

impl DeploymentFacts {
    /// The revision that ran fine before this deployment: the rollback's target, else the
    /// revision it replaced, else the last successful deployment's.
    pub fn previous_task_definition(&self) -> Option<(&str, &'static str)> {
        let target = self.target_task_definition.as_deref();
        let differs = |td: &&str| Some(*td) != target;
        self.rollback
            .as_ref()
            .and_then(|r| r.task_definition.as_deref())
            .filter(differs)
            .map(|td| (td, "the revision ECS rolled back to"))
            .or_else(|| {
                self.source_task_definitions
                    .iter()
                    .map(String::as_str)
                    .find(differs)
                    .map(|td| (td, "the revision this deployment replaced"))
            })
            .or_else(|| {
                self.last_good
                    .as_ref()
                    .and_then(|good| good.task_definition.as_deref())
                    .filter(differs)
                    .map(|td| (td, "the last successful deployment's revision"))
            })
    }
}

/// A lifecycle hook of the deployment (`lifecycleHookDetails`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HookFacts {
    pub hook_id: Option<String>,
    /// AWS_LAMBDA or PAUSE.
    pub target_type: Option<String>,
    /// The hook function (a Lambda hook).
    pub target_arn: Option<String>,
    /// AWAITING_ACTION, IN_PROGRESS, SUCCEEDED, FAILED, TIMED_OUT.
    pub status: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// ROLLBACK or CONTINUE: what ECS does when the hook times out.
    pub timeout_action: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CircuitBreakerFacts {
    /// TRIGGERED, MONITORING, MONITORING_COMPLETE, DISABLED.
    pub status: Option<String>,
    pub failure_count: i32,
    pub threshold: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlarmsFacts {
    pub status: Option<String>,
    pub names: Vec<String>,
    pub triggered: Vec<String>,
    /// The triggered alarms as CloudWatch describes them.
    pub fired: Vec<AlarmFacts>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlarmFacts {
    pub name: String,
    pub state: Option<String>,
    /// "Threshold Crossed: 3 out of the last 3 datapoints [12.0 …] were greater than … (5.0)".
    pub reason: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    /// "AWS/ApplicationELB HTTPCode_Target_5XX_Count".
    pub metric: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RollbackFacts {
    pub reason: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub task_definition: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LastGood {
    pub arn: String,
    pub finished_at: Option<DateTime<Utc>>,
    pub task_definition: Option<String>,
}
