//! Everything known about one failure, and what could not be read.
//!
//! The gatherer fills an `Incident` from the event and the AWS APIs; the engine reads it and
//! nothing else. Secret values never enter it: environment variables and secrets are kept by
//! name only, and log driver options only for the awslogs driver, whose options hold no secrets.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{EcsEvent, Task};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Incident {
    pub event: Option<EcsEvent>,
    /// For a deployment or service event: the task to explain (the latest stopped one).
    pub task: Option<Task>,
    pub task_definition: Option<TaskDefinition>,
    pub service: Option<Service>,
    pub logs: Vec<LogTail>,
    pub siblings: Option<Siblings>,
    /// For a deployment event: the stopped tasks that the deployment started.
    pub deployment_tasks: Vec<Task>,
    pub gaps: Vec<Gap>,
}

impl Incident {
    pub fn from_event(event: EcsEvent) -> Incident {
        Incident {
            event: Some(event),
            ..Incident::default()
        }
    }

    /// The task this incident explains: the event's own, or the one the gatherer chose.
    pub fn task(&self) -> Option<&Task> {
        self.event
            .as_ref()
            .and_then(EcsEvent::task)
            .or(self.task.as_ref())
    }

    pub fn log_tail(&self, container: &str) -> Option<&LogTail> {
        self.logs.iter().find(|tail| tail.container == container)
    }
}

/// A fact that could not be read. The report says what is missing, why, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// What could not be seen: "the service's events and deployments".
    pub what: String,
    /// Why: "AccessDeniedException: …", "timed out after 2 s", "log driver awsfirelens".
    pub reason: String,
    /// The IAM action that would have allowed it, when the cause is a permission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// What to do about it.
    pub fix: String,
    /// What kind of failure kept the fact out of sight (metrics count gaps by kind).
    #[serde(default)]
    pub kind: GapKind,
}

/// Why a fact could not be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GapKind {
    /// The role lacks the IAM action (`action` names it).
    AccessDenied,
    /// AWS throttled the call beyond its retries.
    Throttled,
    /// The gather budget ran out before the answer came.
    TimedOut,
    /// AWS or the network failed (5xx, a refused or dropped connection).
    Unavailable,
    /// The resource does not exist (any more), or is in another account or region.
    NotFound,
    /// ecs-doctor cannot read it: a log driver other than awslogs, a registry outside ECR.
    Unsupported,
    /// The fact is not in what was given (no task definition ARN, no service in the event).
    Missing,
    /// A call failed some other way; the reason says how.
    #[default]
    Other,
}

impl GapKind {
    /// Whether the same read would meet the same gap for a while (a missing permission, data
    /// that is not there, a source ecs-doctor cannot read, a request AWS refused as it was
    /// made), as opposed to one that may pass on its own (throttling, a timeout, AWS or the
    /// network failing).
    pub const fn lasts(self) -> bool {
        !matches!(
            self,
            GapKind::Throttled | GapKind::TimedOut | GapKind::Unavailable
        )
    }

    pub const fn id(self) -> &'static str {
        match self {
            GapKind::AccessDenied => "access-denied",
            GapKind::Throttled => "throttled",
            GapKind::TimedOut => "timed-out",
            GapKind::Unavailable => "unavailable",
            GapKind::NotFound => "not-found",
            GapKind::Unsupported => "unsupported",
            GapKind::Missing => "missing",
            GapKind::Other => "other",
        }
    }
}

impl Gap {
    pub fn new(
        kind: GapKind,
        what: impl Into<String>,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> Gap {
        Gap {
            what: what.into(),
            reason: reason.into(),
            action: None,
            fix: fix.into(),
            kind,
        }
    }

    /// The IAM action of the call that failed.
    pub fn with_action(mut self, action: impl Into<String>) -> Gap {
        self.action = Some(action.into());
        self
    }
}

/// The parts of a task definition the rules read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaskDefinition {
    pub arn: Option<String>,
    pub family: String,
    pub revision: i32,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub network_mode: Option<String>,
    pub requires_compatibilities: Vec<String>,
    /// X86_64 or ARM64 (runtimePlatform), when declared.
    pub cpu_architecture: Option<String>,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    pub containers: Vec<ContainerDefinition>,
    /// LINUX, WINDOWS_SERVER_2022_CORE … (runtimePlatform), when declared.
    pub os_family: Option<String>,
    /// Who registered this revision, and when: what changed starts there.
    pub registered_by: Option<String>,
    pub registered_at: Option<DateTime<Utc>>,
}

impl TaskDefinition {
    pub fn container(&self, name: &str) -> Option<&ContainerDefinition> {
        self.containers.iter().find(|c| c.name == name)
    }

    /// The CPU units and MiB the task needs: the task-level sizes, else the containers' sum.
    pub fn needs(&self) -> (Option<i32>, Option<i32>) {
        let task = |value: &Option<String>| value.as_deref().and_then(|v| v.parse().ok());
        let sum = |of: fn(&ContainerDefinition) -> Option<i32>| {
            let values: Vec<i32> = self.containers.iter().filter_map(of).collect();
            (!values.is_empty()).then(|| values.iter().sum())
        };
        (
            task(&self.cpu).or_else(|| sum(|c| c.cpu)),
            task(&self.memory).or_else(|| sum(|c| c.memory.or(c.memory_reservation))),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainerDefinition {
    pub name: String,
    #[serde(deserialize_with = "crate::redact::structure::deserialize_image")]
    pub image: Option<String>,
    pub essential: bool,
    /// Hard limit, MiB.
    pub memory: Option<i32>,
    /// Soft limit, MiB.
    pub memory_reservation: Option<i32>,
    pub cpu: Option<i32>,
    pub command: Vec<String>,
    pub entry_point: Vec<String>,
    pub health_check: Option<HealthCheck>,
    pub log: Option<LogConfiguration>,
    /// Names only: values never leave the task definition.
    pub environment_names: Vec<String>,
    pub secrets: Vec<SecretRef>,
    pub stop_timeout: Option<i32>,
    /// containerPort of each port mapping.
    pub ports: Vec<i32>,
}

impl Default for ContainerDefinition {
    fn default() -> Self {
        ContainerDefinition {
            name: String::new(),
            image: None,
            essential: true, // ECS's own default
            memory: None,
            memory_reservation: None,
            cpu: None,
            command: Vec::new(),
            entry_point: Vec::new(),
            health_check: None,
            log: None,
            environment_names: Vec::new(),
            secrets: Vec::new(),
            stop_timeout: None,
            ports: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthCheck {
    pub command: Vec<String>,
    pub interval: Option<i32>,
    pub timeout: Option<i32>,
    pub retries: Option<i32>,
    pub start_period: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfiguration {
    pub driver: String,
    /// Kept for the awslogs driver only (group, region, stream prefix): other drivers' options
    /// may hold API keys.
    pub options: BTreeMap<String, String>,
}

impl LogConfiguration {
    pub fn awslogs_group(&self) -> Option<&str> {
        (self.driver == "awslogs")
            .then(|| self.options.get("awslogs-group").map(String::as_str))
            .flatten()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SecretRef {
    pub name: String,
    /// The ARN or parameter name: where the secret lives, not its value.
    pub value_from: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Service {
    pub name: String,
    pub arn: Option<String>,
    pub status: Option<String>,
    pub desired_count: Option<i32>,
    pub running_count: Option<i32>,
    pub pending_count: Option<i32>,
    pub task_definition: Option<String>,
    pub launch_type: Option<String>,
    pub health_check_grace_period_seconds: Option<i32>,
    pub deployment_configuration: Option<DeploymentConfiguration>,
    pub deployments: Vec<Deployment>,
    pub load_balancers: Vec<LoadBalancer>,
    /// Newest first, as DescribeServices returns them.
    pub events: Vec<ServiceEvent>,
    /// awsvpc: where the tasks run.
    pub network: Option<NetworkConfiguration>,
}

/// A service's awsvpc configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkConfiguration {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: Option<bool>,
}

impl Service {
    pub fn deployment(&self, id: &str) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.id == id)
    }

    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments
            .iter()
            .find(|d| d.status.as_deref() == Some("PRIMARY"))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeploymentConfiguration {
    pub circuit_breaker_enable: Option<bool>,
    pub circuit_breaker_rollback: Option<bool>,
    pub minimum_healthy_percent: Option<i32>,
    pub maximum_percent: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Deployment {
    pub id: String,
    /// PRIMARY, ACTIVE or INACTIVE.
    pub status: Option<String>,
    pub task_definition: Option<String>,
    /// IN_PROGRESS, COMPLETED or FAILED.
    pub rollout_state: Option<String>,
    pub rollout_state_reason: Option<String>,
    pub desired_count: Option<i32>,
    pub running_count: Option<i32>,
    pub pending_count: Option<i32>,
    pub failed_tasks: Option<i32>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoadBalancer {
    pub target_group_arn: Option<String>,
    pub container_name: Option<String>,
    pub container_port: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceEvent {
    pub created_at: Option<DateTime<Utc>>,
    pub message: String,
}

/// The last lines of one container's log stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogTail {
    pub container: String,
    pub log_group: Option<String>,
    pub log_stream: Option<String>,
    pub region: Option<String>,
    /// Oldest first.
    pub lines: Vec<String>,
}

/// The service's recently stopped tasks, for "9 tasks stopped in 10 minutes, all OOM".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Siblings {
    pub window_minutes: u32,
    pub tasks: Vec<Task>,
}
