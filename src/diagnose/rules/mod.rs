//! The rule catalog, one file per family: starting the task, the container's own process, the
//! infrastructure, the application's logs, the service and its deployments. Each rule declares
//! what it detects, why it happens, how to fix it and which facts it reads, the way clippy
//! declares its lints: `ecs-doctor rules`, `ecs-doctor explain-category` and `docs/rules.md` are
//! generated from these declarations.
//!
//! A rule is one logical cause with as many triggers as there are ways ECS says it: the same
//! cause reported by the runtime, by the agent, in the log, or by an exit code is one rule
//! (ripgrep's "one flag, many spellings"). Rules that were merged keep their old ids as
//! aliases: published reports name them.
//!
//! Most triggers are written in the error grammar (`grammar.rs`): a phase and a cause, not a
//! wording. Which rule decides: see `super::classify`.

mod container;
mod infrastructure;
mod logs;
mod service;
mod starting;
mod strategies;

use super::grammar::{Cause, Phase};
use crate::report::Category;

/// A fact a rule reads, named as users know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    TaskStatus,
    StopCode,
    StoppedReason,
    ContainerReason,
    ExitCode,
    LogLines,
    TaskDefinition,
    Service,
    ServiceEvents,
    SiblingTasks,
    DeploymentEvent,
    ServiceActionEvent,
}

impl Fact {
    pub const fn label(self) -> &'static str {
        match self {
            Fact::TaskStatus => "task lastStatus",
            Fact::StopCode => "task stopCode",
            Fact::StoppedReason => "task stoppedReason",
            Fact::ContainerReason => "container reason",
            Fact::ExitCode => "container exitCode",
            Fact::LogLines => "container log lines",
            Fact::TaskDefinition => "task definition",
            Fact::Service => "service (DescribeServices)",
            Fact::ServiceEvents => "service events",
            Fact::SiblingTasks => "the service's other stopped tasks",
            Fact::DeploymentEvent => "deployment state change event",
            Fact::ServiceActionEvent => "service action event",
        }
    }
}

/// Which exit codes an exit-code trigger takes.
#[derive(Debug, Clone, Copy)]
pub enum Codes {
    Exactly(&'static [i32]),
    AnyNonZero,
}

/// In which phases a grammar trigger applies.
#[derive(Debug, Clone, Copy)]
pub enum On {
    /// Whatever the phase (a cause that means the same everywhere: no space, another platform).
    Any,
    /// Only when the message names one of these phases.
    In(&'static [Phase]),
}

impl On {
    pub fn accepts(self, phase: Option<Phase>) -> bool {
        match self {
            On::Any => true,
            On::In(phases) => phase.is_some_and(|phase| phases.contains(&phase)),
        }
    }

    /// Whether the phase is named exactly (beats `Any` for the same cause).
    pub fn names(self, phase: Option<Phase>) -> bool {
        matches!(self, On::In(_)) && self.accepts(phase)
    }
}

/// When a rule fires.
#[derive(Debug, Clone, Copy)]
pub enum Trigger {
    /// A task event whose lastStatus is not STOPPED.
    NotStopped,
    /// What ECS said (a container's `reason`, the task's `stoppedReason`, a service event, a
    /// service action's reason) names `cause`, in a phase `on` accepts.
    Said { on: On, cause: Cause },
    /// What ECS said names one of these phases, and no cause that any rule takes there: the
    /// phase is known, the cause is not.
    SaidPhase(&'static [Phase]),
    /// The task's `stopCode`, exactly.
    StopCode(&'static str),
    /// The exit code of the essential container that failed first.
    ExitCode(Codes),
    /// A line of the failed container's log names `cause` (in a phase `on` accepts); refines a
    /// decision taken from an exit code.
    Log { on: On, cause: Cause },
    /// A deployment state change of this name, whose reason names `cause` (if any).
    Deployment {
        event_name: &'static str,
        cause: Option<Cause>,
    },
    /// A service action of one of these names (any name if empty), whose reason names `cause`
    /// (if any).
    ServiceAction {
        names: &'static [&'static str],
        cause: Option<Cause>,
    },
    /// Nothing else matched: the raw reasons are quoted.
    Fallback,
}

/// One rule, with its documentation. `summary` and the steps' texts are templates: `{name}`
/// is a fact of the incident and `{name|fallback}` gives the words to use when it is unknown.
/// A step whose template names an unknown fact without a fallback is left out.
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    /// Ids of rules merged into this one; reports published before carry them.
    pub aliases: &'static [&'static str],
    pub category: Category,
    /// A few words for titles: "Out of memory".
    pub headline: &'static str,
    pub triggers: &'static [Trigger],
    /// What it detects.
    pub detects: &'static str,
    /// Why it happens.
    pub why: &'static str,
    /// How to fix it.
    pub fix: &'static str,
    pub reads: &'static [Fact],
    pub summary: &'static str,
    pub steps: &'static [StepTemplate],
}

#[derive(Debug)]
pub struct StepTemplate {
    pub title: &'static str,
    pub command: &'static str,
}

pub(super) const fn step(title: &'static str, command: &'static str) -> StepTemplate {
    StepTemplate { title, command }
}

/// The families, in the order `ecs-doctor rules` lists them.
pub static FAMILIES: &[(&str, &[Rule])] = &[
    ("starting the task", starting::RULES),
    ("the container's own process", container::RULES),
    ("the infrastructure", infrastructure::RULES),
    ("the application's logs", logs::RULES),
    (
        "deployment strategies, hooks, EBS volumes and managed daemons",
        strategies::RULES,
    ),
    ("the service and its deployments", service::RULES),
];

/// Every rule of the catalog.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    FAMILIES.iter().flat_map(|(_, rules)| rules.iter())
}

/// The whole catalog, as a value to iterate: `for rule in RULES { … }`.
#[derive(Debug, Clone, Copy)]
pub struct Catalog;

/// The whole catalog, every family in order.
pub const RULES: Catalog = Catalog;

impl IntoIterator for Catalog {
    type Item = &'static Rule;
    type IntoIter = Box<dyn Iterator<Item = &'static Rule>>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(all())
    }
}

/// Looks a rule up by id, or by an id it had before it was merged.
pub fn rule(id: &str) -> Option<&'static Rule> {
    all().find(|rule| rule.id == id || rule.aliases.contains(&id))
}

/// The rules of one category, in catalog order.
pub fn rules_for(category: Category) -> impl Iterator<Item = &'static Rule> {
    all().filter(move |rule| rule.category == category)
}

// Steps several rules share. Each is the command an SRE would type, filled with the incident's
// real names when the report is made.
pub(super) const DESCRIBE_TASK: StepTemplate = step(
    "Read the stopped task's reasons",
    "aws ecs describe-tasks --cluster {cluster} --tasks {task_id} --region {region} --query 'tasks[0].{stopCode:stopCode,stoppedReason:stoppedReason,containers:containers[].{name:name,exitCode:exitCode,reason:reason}}'",
);
pub(super) const TAIL_LOGS: StepTemplate = step(
    "Read the container's last log lines",
    "aws logs tail {log_group} --log-stream-names {log_stream} --since 1h --region {region}",
);
pub(super) const SERVICE_EVENTS: StepTemplate = step(
    "Read the service's latest events",
    "aws ecs describe-services --cluster {cluster} --services {service} --region {region} --query 'services[0].events[:10].[createdAt,message]' --output table",
);
pub(super) const SERVICE_DEPLOYMENTS: StepTemplate = step(
    "See the deployments and their rollout state",
    "aws ecs describe-services --cluster {cluster} --services {service} --region {region} --query 'services[0].deployments[].{id:id,status:status,taskDefinition:taskDefinition,rollout:rolloutState,reason:rolloutStateReason,failed:failedTasks}'",
);
pub(super) const STOPPED_TASKS: StepTemplate = step(
    "List the service's other stopped tasks",
    "aws ecs list-tasks --cluster {cluster} --service-name {service} --desired-status STOPPED --region {region}",
);
pub(super) const TASKDEF_MEMORY: StepTemplate = step(
    "See the memory the task and its containers were given",
    "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.{cpu:cpu,memory:memory,containers:containerDefinitions[].{name:name,memory:memory,memoryReservation:memoryReservation}}'",
);
pub(super) const MEMORY_METRICS: StepTemplate = step(
    "See the service's memory use over the last 3 hours (Container Insights)",
    "aws cloudwatch get-metric-statistics --namespace ECS/ContainerInsights --metric-name MemoryUtilized --dimensions Name=ClusterName,Value={cluster} Name=ServiceName,Value={service} --start-time $(date -u -d '-3 hours' +%FT%TZ) --end-time $(date -u +%FT%TZ) --period 300 --statistics Maximum --region {region}",
);
pub(super) const TASKDEF_COMMAND: StepTemplate = step(
    "See the container's entryPoint and command",
    "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.containerDefinitions[?name==`{container}`].{image:image,entryPoint:entryPoint,command:command,workingDirectory:workingDirectory}'",
);
pub(super) const TASKDEF_SECRETS: StepTemplate = step(
    "See the secrets the container references and the execution role",
    "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.{executionRoleArn:executionRoleArn,secrets:containerDefinitions[].secrets[]}'",
);
pub(super) const TASKDEF_ENV_NAMES: StepTemplate = step(
    "List the environment variable and secret names the container gets",
    "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.containerDefinitions[?name==`{container}`].{environment:environment[].name,secrets:secrets[].name}'",
);
pub(super) const TASKDEF_LOGCONFIG: StepTemplate = step(
    "See the container's log configuration",
    "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.containerDefinitions[].{name:name,logConfiguration:logConfiguration}'",
);
pub(super) const TASKDEF_ROLES: StepTemplate = step(
    "See which roles the task uses",
    "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.{executionRoleArn:executionRoleArn,taskRoleArn:taskRoleArn}'",
);
pub(super) const EXECUTION_ROLE_POLICIES: StepTemplate = step(
    "List the execution role's policies",
    "aws iam list-attached-role-policies --role-name {execution_role_name}",
);
pub(super) const TASK_ROLE_POLICIES: StepTemplate = step(
    "List the task role's policies (the role the application's AWS SDK uses)",
    "aws iam list-attached-role-policies --role-name {task_role_name}",
);
pub(super) const ECR_IMAGE: StepTemplate = step(
    "Check that the image and tag exist in ECR",
    "aws ecr describe-images --repository-name {image_repository} --image-ids imageTag={image_tag} --region {image_region|{region}}",
);
pub(super) const IMAGE_PLATFORMS: StepTemplate = step(
    "See which platforms the image was built for",
    "docker buildx imagetools inspect {image}",
);
pub(super) const ROLLBACK: StepTemplate = step(
    "Roll the service back to the previous revision while you fix it",
    "aws ecs update-service --cluster {cluster} --service {service} --task-definition {previous_task_definition} --region {region}",
);
pub(super) const FORCE_DEPLOY: StepTemplate = step(
    "Start fresh tasks once the cause is fixed",
    "aws ecs update-service --cluster {cluster} --service {service} --force-new-deployment --region {region}",
);
pub(super) const TARGET_HEALTH: StepTemplate = step(
    "See why the load balancer marks the targets unhealthy",
    "aws elbv2 describe-target-health --target-group-arn {target_group} --region {region}",
);
pub(super) const TARGET_GROUP_CHECK: StepTemplate = step(
    "Read the target group's health check settings",
    "aws elbv2 describe-target-groups --target-group-arns {target_group} --region {region} --query 'TargetGroups[0].{path:HealthCheckPath,port:HealthCheckPort,interval:HealthCheckIntervalSeconds,timeout:HealthCheckTimeoutSeconds,healthy:HealthyThresholdCount,unhealthy:UnhealthyThresholdCount,matcher:Matcher}'",
);
// The grace period comes from the start-up time the log states; without it, the reader puts in
// their own (a number made up here would look measured).
pub(super) const GRACE_PERIOD: StepTemplate = step(
    "Give slow starters time before the load balancer judges them (about 1.5x the start-up time{startup_clause|})",
    "aws ecs update-service --cluster {cluster} --service {service} --health-check-grace-period-seconds {suggested_grace_period|<about 1.5x the start-up time, in seconds>} --region {region}",
);
pub(super) const TASKDEF_HEALTHCHECK: StepTemplate = step(
    "Read the container's health check",
    "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.containerDefinitions[?name==`{container}`].healthCheck'",
);
pub(super) const CONTAINER_INSTANCES: StepTemplate = step(
    "See what the cluster's instances have left (EC2 launch type)",
    "aws ecs describe-container-instances --cluster {cluster} --container-instances $(aws ecs list-container-instances --cluster {cluster} --region {region} --query 'containerInstanceArns' --output text) --region {region} --query 'containerInstances[].{id:ec2InstanceId,agentConnected:agentConnected,status:status,cpu:remainingResources[?name==`CPU`].integerValue|[0],memory:remainingResources[?name==`MEMORY`].integerValue|[0]}'",
);
pub(super) const TASK_ENI: StepTemplate = step(
    "See the task's network attachment (subnet, ENI, status)",
    "aws ecs describe-tasks --cluster {cluster} --tasks {task_id} --region {region} --query 'tasks[0].attachments[].{type:type,status:status,details:details}'",
);
pub(super) const SUBNET_IPS: StepTemplate = step(
    "See the free IP addresses in the service's subnets",
    "aws ec2 describe-subnets --subnet-ids $(aws ecs describe-services --cluster {cluster} --services {service} --region {region} --query 'services[0].networkConfiguration.awsvpcConfiguration.subnets' --output text) --region {region} --query 'Subnets[].{id:SubnetId,az:AvailabilityZone,free:AvailableIpAddressCount}'",
);
pub(super) const VPC_ENDPOINTS: StepTemplate = step(
    "List the VPC endpoints (ecr.api, ecr.dkr, s3, logs, secretsmanager, ssm) of the task's VPC",
    "aws ec2 describe-vpc-endpoints --region {region} --query 'VpcEndpoints[].{service:ServiceName,vpc:VpcId,state:State}' --output table",
);
pub(super) const CAPACITY_STRATEGY: StepTemplate = step(
    "See the service's capacity provider strategy",
    "aws ecs describe-services --cluster {cluster} --services {service} --region {region} --query 'services[0].{launchType:launchType,capacityProviderStrategy:capacityProviderStrategy}'",
);

pub(super) const CRASH_FACTS: &[Fact] = &[Fact::ExitCode, Fact::ContainerReason, Fact::LogLines];
pub(super) const START_FACTS: &[Fact] = &[
    Fact::ContainerReason,
    Fact::StoppedReason,
    Fact::TaskDefinition,
];
