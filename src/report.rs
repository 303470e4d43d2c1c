//! What a diagnosis says: the category (a public contract), severity, the evidence, the fix.

use serde::{Deserialize, Serialize};

use crate::incident::Gap;

/// Whether a category row's flag is the one asked for (an unknown flag does not compile).
macro_rules! flag {
    (generic, generic) => {
        true
    };
    (outcome, outcome) => {
        true
    };
    (generic, outcome) => {
        false
    };
    (outcome, generic) => {
        false
    };
}

macro_rules! categories {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $group:ident, notify: $notify:literal, $severity:ident, $meaning:literal $(, $flag:ident)*; )*) => {
        /// A failure category from `docs/categories.md`. The ids are a public interface (the JSON's
        /// `category`, the SNS attribute, users' filter policies): they never change meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Category { $( $(#[$doc])* $variant, )* }

        impl Category {
            pub const ALL: &'static [Category] = &[ $( Category::$variant, )* ];

            /// The public id, e.g. `image-pull-auth`.
            pub const fn id(self) -> &'static str {
                match self { $( Category::$variant => $id, )* }
            }

            /// Whether this category alerts by default (benign stops do not).
            pub const fn notify(self) -> bool {
                match self { $( Category::$variant => $notify, )* }
            }

            pub const fn default_severity(self) -> Severity {
                match self { $( Category::$variant => Severity::$severity, )* }
            }

            /// One line from the contract table.
            pub const fn meaning(self) -> &'static str {
                match self { $( Category::$variant => $meaning, )* }
            }

            pub const fn group(self) -> Group {
                match self { $( Category::$variant => Group::$group, )* }
            }

            /// Says little beyond "it exited" (flag `generic`): a later, more specific reading
            /// refines it; a coarser reading of the same loop does not replace a specific one.
            pub const fn generic(self) -> bool {
                match self { $( Category::$variant => false $(|| flag!($flag, generic))*, )* }
            }

            /// A deployment's outcome (flag `outcome`): an escalation of the incident it belongs to.
            pub const fn outcome(self) -> bool {
                match self { $( Category::$variant => false $(|| flag!($flag, outcome))*, )* }
            }

            pub fn from_id(id: &str) -> Option<Category> {
                match id { $( $id => Some(Category::$variant), )* _ => None }
            }
        }
    };
}

categories! {
    TaskRunning = "task-running", NotFailure, notify: false, Info, "a transition that is not a stop (PROVISIONING, PENDING, RUNNING)";
    TaskCompleted = "task-completed", NotFailure, notify: false, Info, "the essential container exited 0: a one-off or batch task finished";
    ScaleInOrDeployment = "scale-in-or-deployment", NotFailure, notify: false, Info, "stopped by the service scheduler for scale-in or because a deployment replaced it";
    UserStop = "user-stop", NotFailure, notify: false, Info, "stopped by a person or an API call (StopTask, UserInitiated)";
    SigtermGraceful = "sigterm-graceful", NotFailure, notify: false, Info, "exit 143 (or a sidecar's 137 after stopTimeout) during an orderly stop";
    Maintenance = "maintenance", NotFailure, notify: false, Info, "task retirement or infrastructure maintenance; the scheduler replaces it";
    SteadyState = "steady-state", NotFailure, notify: false, Info, "service, task set or capacity provider reached steady state";
    DeploymentInProgress = "deployment-in-progress", NotFailure, notify: false, Info, "a deployment started or progresses normally";
    DeploymentCompleted = "deployment-completed", NotFailure, notify: false, Info, "a deployment completed";
    Oom = "oom", Container, notify: true, High, "killed for exceeding its memory limit (OutOfMemoryError, exit 137 with that reason, OOM at container init, language-level OOM in logs)";
    AppCrash = "app-crash", Container, notify: true, High, "the application exited non-zero for its own reasons (exit 1, 2, 255, an exception in the logs)", generic;
    BadEntrypointOrCommand = "bad-entrypoint-or-command", Container, notify: true, High, "the command or entrypoint does not exist or cannot run (exit 127, executable file not found, no such file, is a directory)";
    PermissionDeniedExec = "permission-denied-exec", Container, notify: true, High, "the entrypoint is not executable (exit 126, permission denied)";
    WrongArchitecture = "wrong-architecture", Container, notify: true, High, "the image was built for another CPU architecture (exec format error)";
    Segfault = "segfault", Container, notify: true, High, "exit 139, SIGSEGV";
    ContainerHealthCheck = "container-health-check", Container, notify: true, High, "the container's own HEALTHCHECK failed and ECS stopped the task";
    ElbHealthCheck = "elb-health-check", Container, notify: true, High, "the load balancer's target health checks failed and ECS stopped the task";
    DiscoveryHealthCheck = "discovery-health-check", Container, notify: true, High, "VPC Lattice or Cloud Map service discovery reports the service's tasks unhealthy";
    ImagePullNotFound = "image-pull-not-found", Starting, notify: true, High, "the image, tag, digest or repository does not exist";
    ImagePullAuth = "image-pull-auth", Starting, notify: true, High, "the registry refused: execution role ECR permissions, private registry credentials, cross-account policy";
    ImagePullNetwork = "image-pull-network", Starting, notify: true, High, "the registry could not be reached: no NAT or VPC endpoint, no public IP, security group egress, DNS";
    ImagePullRateLimit = "image-pull-rate-limit", Starting, notify: true, High, "the registry throttled the pull (Docker Hub toomanyrequests)";
    StorageFull = "storage-full", Starting, notify: true, High, "no space left on the task's or instance's storage while pulling or creating the container";
    SecretsAccessDenied = "secrets-access-denied", Starting, notify: true, High, "the execution role may not read a Secrets Manager secret or SSM parameter";
    SecretsKms = "secrets-kms", Starting, notify: true, High, "the secret's KMS key may not be used (kms:Decrypt)";
    SecretsNetwork = "secrets-network", Starting, notify: true, High, "Secrets Manager or SSM could not be reached from the task's network";
    SecretsInvalidReference = "secrets-invalid-reference", Starting, notify: true, High, "the secret reference (valueFrom ARN, version, JSON key) is malformed or does not exist";
    LogGroupMissing = "log-group-missing", Starting, notify: true, High, "the awslogs driver cannot write: the log group does not exist and cannot be created";
    LogDriverFailed = "log-driver-failed", Starting, notify: true, High, "the log driver could not start for another reason than its log group: no credentials, CloudWatch Logs unreachable, invalid options";
    IamRoleConfig = "iam-role-config", Starting, notify: true, High, "ECS cannot assume the task or execution role (trust policy, missing role)";
    EfsVolumeMount = "efs-volume-mount", Starting, notify: true, High, "an EFS volume could not be mounted";
    EniProvisionTimeout = "eni-provision-timeout", Starting, notify: true, Medium, "the network interface for an awsvpc task was not provisioned in time";
    DockerTimeout = "docker-timeout", Starting, notify: true, Medium, "the container runtime timed out creating, starting or inspecting the container";
    SpotInterruption = "spot-interruption", Infrastructure, notify: true, Low, "Fargate Spot or EC2 Spot capacity was reclaimed";
    HostTerminated = "host-terminated", Infrastructure, notify: true, Medium, "the EC2 container instance was stopped or terminated under the task";
    AgentDisconnected = "agent-disconnected", Infrastructure, notify: true, High, "the ECS agent on the container instance is disconnected";
    InfrastructureHealth = "infrastructure-health", Infrastructure, notify: true, Medium, "ECS stopped the task because the infrastructure under it failed its health checks (stopCode InfrastructureHealth); the scheduler replaces it";
    TaskRoleAccessDenied = "task-role-access-denied", Logs, notify: true, High, "the application's AWS calls are denied or have no credentials: the task role";
    MissingEnvOrConfig = "missing-env-or-config", Logs, notify: true, High, "a required environment variable, secret value or config file is missing or malformed";
    DbConnection = "db-connection", Logs, notify: true, High, "the application cannot reach its database or another dependency (refused, timed out, DNS)";
    PlacementResources = "placement-resources", Service, notify: true, High, "no capacity to place the task: CPU, memory, Fargate capacity";
    PlacementEniOrIp = "placement-eni-or-ip", Service, notify: true, High, "no ENI attachment points or no free IPs in the subnets";
    PlacementConstraint = "placement-constraint", Service, notify: true, High, "no instance satisfies the placement constraints or required attributes";
    TaskStartImpaired = "task-start-impaired", Service, notify: true, High, "the service cannot start tasks consistently (SERVICE_TASK_START_IMPAIRED)", generic;
    CircuitBreakerFailure = "circuit-breaker-failure", Service, notify: true, Critical, "the deployment circuit breaker failed the deployment", outcome;
    CircuitBreakerRollback = "circuit-breaker-rollback", Service, notify: true, High, "the circuit breaker rolled the service back to the previous deployment", outcome;
    DeploymentAlarm = "deployment-alarm", Service, notify: true, Critical, "a CloudWatch alarm of the deployment fired, so ECS failed or rolled back the deployment", outcome;
    DeploymentBlocked = "deployment-blocked", Service, notify: true, High, "the scheduler cannot stop or start tasks: minimumHealthyPercent and maximumPercent, or protected tasks, leave it no room";
    QuotaExceeded = "quota-exceeded", Service, notify: true, High, "an account quota stops ECS from starting tasks: concurrent Fargate vCPUs or tasks, a task size above the limit";
    ApiThrottled = "api-throttled", Service, notify: true, Medium, "ECS, Cloud Map or another AWS API throttled the operations made for the service (ECS_OPERATION_THROTTLED, SERVICE_DISCOVERY_OPERATION_THROTTLED)";
    DeploymentHookFailed = "deployment-hook-failed", Service, notify: true, Critical, "a deployment lifecycle hook (blue/green, linear, canary) returned FAILED or timed out, or ECS could not invoke it, parse its answer or assume its role; the deployment failed or rolled back";
    DeploymentTrafficConfig = "deployment-traffic-config", Service, notify: true, Critical, "the blue/green, linear or canary traffic configuration is invalid: listener rules, target groups";
    InfrastructureRole = "infrastructure-role", Service, notify: true, High, "ECS cannot assume the ECS infrastructure role, or it lacks what ECS needs (load balancer management, EBS volumes, VPC Lattice)";
    DeploymentPaused = "deployment-paused", Service, notify: true, Low, "a pause hook waits for a person to continue or roll back before it times out (low severity; say when it times out and what happens then)";
    RollbackFailed = "rollback-failed", Service, notify: true, Critical, "the rollback itself failed (no rollback candidate, ROLLBACK_FAILED)";
    EbsVolume = "ebs-volume", Starting, notify: true, High, "an EBS volume for the task could not be created or attached (KMS key, snapshot, filesystem type, timeout), the infrastructure role aside";
    DaemonTaskFailed = "daemon-task-failed", Infrastructure, notify: true, High, "a managed daemon task failed to run, or could not be created, on an instance";
    Other = "other", Fallback, notify: true, Medium, "none of the above; the raw reasons are quoted, never a guess", generic;
}

/// The headings of the contract table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    NotFailure,
    Container,
    Starting,
    Infrastructure,
    Logs,
    Service,
    Fallback,
}

impl Group {
    pub const fn heading(self) -> &'static str {
        match self {
            Group::NotFailure => "not failures",
            Group::Container => "the container's own process",
            Group::Starting => "starting the task",
            Group::Infrastructure => "the infrastructure",
            Group::Logs => "found in the application's logs",
            Group::Service => "the service and its deployments",
            Group::Fallback => "fallback",
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Category {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        Category::from_id(&id)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown category '{id}'")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const fn id(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn from_id(id: &str) -> Option<Severity> {
        match id.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// One fact quoted with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Where: "container api exitCode", "task stoppedReason", "log /ecs/api api/api/0f3…".
    pub source: String,
    /// The fact, quoted as read (scrubbed of secrets).
    pub text: String,
    /// Checked by ecs-doctor itself, with this call ("ecr:DescribeImages"): not what ECS said,
    /// but what is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_by: Option<String>,
}

/// What changed between the last revision that ran fine and the failing one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatChanged {
    /// The last good revision (`api:41`).
    pub from: String,
    /// The failing revision (`api:42`).
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<String>,
    /// How the last good revision was found: "the previous deployment", "the previous revision".
    pub basis: String,
    /// The differences that matter, the one that fits the diagnosis first.
    pub changes: Vec<Change>,
}

/// One difference between two revisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// image, memory, cpu, environment, secret, command, entrypoint, ports, health-check,
    /// log-configuration, execution-role, task-role, platform.
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// "image api:v1.4.1 → api:v1.4.2".
    pub text: String,
}

/// What to do next, ready to paste.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// A secondary finding: true and relevant, but not the cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

/// The ECS resources a report is about, as names (not only ARNs) so people can read them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_stream: Option<String>,
    /// A pause hook's id (`ecs-pause-…`), on a deployment that waits for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_id: Option<String>,
    /// The service deployment's ARN, where the event names it (hooks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_deployment: Option<String>,
}

impl Resources {
    /// The names this report is about, as ECS gave them (and the task definition's family):
    /// identifiers, never values.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = [
            &self.cluster,
            &self.service,
            &self.container,
            &self.task_definition,
            &self.log_group,
            &self.log_stream,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
        if let Some(family) = self
            .task_definition
            .as_deref()
            .and_then(|td| td.split(':').next())
        {
            names.push(family.to_string());
        }
        names
    }
}

/// The event the report answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub detail_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// How often the same thing happened: sibling tasks, or the tasks of a failed deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrences {
    /// Stopped tasks looked at (this one included).
    pub tasks: usize,
    /// Of those, how many stopped with this report's cause.
    pub same_cause: usize,
    pub window_minutes: u32,
    /// Category id → count, for the tasks that stopped for other reasons.
    pub by_category: Vec<(String, usize)>,
}

/// For a deployment or service event: the cause found in the tasks it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootCause {
    pub category: Category,
    pub rule: String,
    pub title: String,
    pub summary: String,
}

/// Which incident a message is about: the chat thread, the history and machine readers key on
/// it. The engine fills it from the event; flood control replaces it with the incident the
/// event was folded into (a rollback joins the incident of the deployment it rolls back).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IncidentRef {
    /// Stable for the incident's life: `ACCOUNT/REGION/CLUSTER/service:NAME/DEPLOYMENT@OPENED_MS`
    /// (without `@…` before flood control has seen it).
    pub id: String,
    /// The Amazon Q Developer thread (`metadata.threadId`).
    pub thread: String,
    /// What this message is: opened, updated, follow-up, resolved, or storm.
    pub message: String,
    /// Occurrences so far (this one included).
    pub occurrences: u64,
    /// When the incident opened (event time, RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<String>,
    /// For a storm: the services of the cluster failing the same way.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
}

/// The diagnosis. Field names are stable: machine subscribers read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub category: Category,
    /// The rule that decided, from `ecs-doctor rules`.
    pub rule: String,
    pub severity: Severity,
    pub notify: bool,
    pub title: String,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<RootCause>,
    pub event: EventInfo,
    pub resources: Resources,
    pub evidence: Vec<Evidence>,
    /// The last lines of the failed container's log, scrubbed (most recent last).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub log_excerpt: Vec<String>,
    pub next_steps: Vec<Step>,
    pub findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrences: Option<Occurrences>,
    pub links: Vec<Link>,
    /// What could not be seen, and why: a report never hides what it could not read.
    pub gaps: Vec<Gap>,
    /// The incident this message is about.
    #[serde(default)]
    pub incident: IncidentRef,
    /// What changed since the last revision that ran fine (the investigation's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what_changed: Option<WhatChanged>,
    /// The service's tags named in ROUTING_TAGS (`team`, `owner`): who owns it. Also message
    /// attributes, so each team's subscription filters on them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub routing: std::collections::BTreeMap<String, String>,
}

pub const SCHEMA_VERSION: u32 = 1;

/// One fact of where a report happened, under one name everywhere it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The SNS message attribute and the chat context key: `cluster`, `taskDefinition`, `team`.
    pub key: String,
    /// How people read it: "Task definition".
    pub label: String,
    pub value: String,
    /// A message attribute subscribers filter on (severity, category, where).
    pub filterable: bool,
    /// A resource (shown in the footers), not a property of the diagnosis.
    pub resource: bool,
}

impl Report {
    /// Where it happened and what was decided, in one order: the email footer, the chat footer
    /// and context, and the SNS message attributes all read this list.
    pub fn places(&self) -> Vec<Place> {
        let resources = &self.resources;
        let task_id = resources.task_id.clone().or_else(|| {
            resources
                .task_arn
                .as_deref()
                .map(|arn| crate::arn::last_segment(arn).to_string())
        });
        let task_definition = resources
            .task_definition
            .as_deref()
            .map(|td| crate::arn::task_definition_name(td).to_string());
        let facts: [(&str, &str, Option<String>, bool, bool); 11] = [
            (
                "severity",
                "Severity",
                Some(self.severity.id().to_string()),
                true,
                false,
            ),
            (
                "category",
                "Category",
                Some(self.category.id().to_string()),
                true,
                false,
            ),
            ("account", "Account", resources.account.clone(), true, true),
            ("region", "Region", resources.region.clone(), true, true),
            ("cluster", "Cluster", resources.cluster.clone(), true, true),
            ("service", "Service", resources.service.clone(), true, true),
            ("taskId", "Task", task_id, false, true),
            (
                "taskDefinition",
                "Task definition",
                task_definition,
                false,
                true,
            ),
            (
                "container",
                "Container",
                resources.container.clone(),
                false,
                true,
            ),
            (
                "deploymentId",
                "Deployment",
                resources.deployment_id.clone(),
                false,
                true,
            ),
            ("rule", "Rule", Some(self.rule.clone()), false, false),
        ];
        let mut places: Vec<Place> = facts
            .into_iter()
            .filter_map(|(key, label, value, filterable, resource)| {
                let value = value.filter(|value| !value.trim().is_empty())?;
                Some(Place {
                    key: key.to_string(),
                    label: label.to_string(),
                    value,
                    filterable,
                    resource,
                })
            })
            .collect();
        // The routing tags go right after where it happened, before the task's own names.
        let at = places
            .iter()
            .position(|place| place.key == "service" || place.key == "cluster")
            .map_or(places.len(), |at| at + 1);
        let at = places[at..]
            .iter()
            .position(|place| !place.filterable)
            .map_or(places.len(), |offset| at + offset);
        let routing = self
            .routing
            .iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(key, value)| Place {
                key: key.clone(),
                label: key.clone(),
                value: value.clone(),
                filterable: true,
                resource: true,
            });
        places.splice(at..at, routing);
        places
    }
}

/// The categories a report stands for: its own, and its root cause's (a failed deployment's
/// tasks).
pub fn hypotheses(report: &Report) -> Vec<Category> {
    let mut categories = vec![report.category];
    if let Some(root) = &report.root_cause {
        categories.push(root.category);
    }
    categories
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_id_round_trips() {
        for category in Category::ALL {
            assert_eq!(Category::from_id(category.id()), Some(*category));
        }
    }

    #[test]
    fn benign_categories_do_not_notify() {
        for category in Category::ALL {
            assert_eq!(
                category.notify(),
                category.group() != Group::NotFailure,
                "{category}"
            );
        }
    }

    #[test]
    fn the_category_table_matches_the_public_contract() {
        let contract = include_str!("../docs/categories.md");
        for category in Category::ALL {
            let row = format!(
                "| {} | {} | {} |",
                category.id(),
                if category.notify() { "yes" } else { "no" },
                category.meaning()
            );
            assert!(contract.contains(&row), "docs/categories.md lacks: {row}");
        }
    }
}
