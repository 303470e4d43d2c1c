//! Deployments with a strategy (blue/green, linear, canary) and their lifecycle hooks, pause
//! hooks, ECS's infrastructure role, EBS volumes and managed daemons: the ECS of 2024–2026.
//! Listed before the service family, so that a reason naming a hook, the traffic configuration
//! or the infrastructure role is read as that, not as a circuit breaker that never acted.

use super::*;
use crate::diagnose::grammar::{Cause, Phase};
use crate::report::Category::*;

const FAILED: &str = "SERVICE_DEPLOYMENT_FAILED";
const IN_PROGRESS: &str = "SERVICE_DEPLOYMENT_IN_PROGRESS";

const LIST_SERVICE_DEPLOYMENTS: StepTemplate = step(
    "Read the service deployment: its lifecycle stage, hooks and why it stopped",
    "aws ecs describe-service-deployments --region {region} --service-deployment-arns $(aws ecs list-service-deployments --cluster {cluster} --service {service} --region {region} --query 'serviceDeployments[0].serviceDeploymentArn' --output text) --query 'serviceDeployments[0].{status:status,reason:statusReason,stage:lifecycleStage,hooks:lifecycleHookDetails,strategy:deploymentConfiguration.strategy}'",
);

const HOOKS_OF_SERVICE: StepTemplate = step(
    "See the service's lifecycle hooks: their functions, roles and stages",
    "aws ecs describe-services --cluster {cluster} --services {service} --region {region} --query 'services[0].deploymentConfiguration.{strategy:strategy,bake:bakeTimeInMinutes,hooks:lifecycleHooks}'",
);

const LOAD_BALANCERS_OF_SERVICE: StepTemplate = step(
    "See the service's target groups, listener rules and the role ECS manages them with",
    "aws ecs describe-services --cluster {cluster} --services {service} --region {region} --query 'services[0].loadBalancers[].{targetGroup:targetGroupArn,container:containerName,port:containerPort,advanced:advancedConfiguration}'",
);

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "infrastructure-role",
        aliases: &[],
        category: InfrastructureRole,
        headline: "ECS infrastructure role",
        triggers: &[Trigger::Deployment { event_name: FAILED, cause: Some(Cause::InfrastructureRole) }, Trigger::Deployment { event_name: IN_PROGRESS, cause: Some(Cause::InfrastructureRole) }, Trigger::Said { on: On::Any, cause: Cause::InfrastructureRole }],
        detects: "A deployment, a service event or a task's EBS attachment that says ECS could not assume its infrastructure role or lacks a permission with it: 'ECS was unable to manage the ELB resources due to missing permissions', a denial to the ECSNetworkingWithELB or ECSTaskVolumesForEBS session, 'unable to assume the configured ECS Infrastructure Role'.",
        why: "For blue/green, linear and canary deployments ECS changes listeners and registers targets, and for EBS volumes it creates and attaches volumes, as the infrastructure role you gave it. A trust policy without ecs.amazonaws.com, a missing managed policy (AmazonECSInfrastructureRolePolicyForLoadBalancers, AmazonECSInfrastructureRolePolicyForVolumes), or a role changed during a deployment stops it.",
        fix: "Let ecs.amazonaws.com assume the role and attach the managed policy for what it manages; the caller needs iam:PassRole for it. Do not change it during a deployment.",
        reads: &[Fact::DeploymentEvent, Fact::ServiceEvents, Fact::StoppedReason],
        summary: "ECS could not act with its infrastructure role for {service|the task}: '{event_reason|the reason below}'.",
        steps: &[LOAD_BALANCERS_OF_SERVICE, LIST_SERVICE_DEPLOYMENTS],
    },
    Rule {
        id: "deployment-traffic-config",
        aliases: &[],
        category: DeploymentTrafficConfig,
        headline: "Deployment traffic configuration",
        triggers: &[Trigger::Deployment { event_name: FAILED, cause: Some(Cause::TrafficConfig) }, Trigger::Deployment { event_name: IN_PROGRESS, cause: Some(Cause::TrafficConfig) }, Trigger::Said { on: On::In(&[Phase::Deployment]), cause: Cause::TrafficConfig }],
        detects: "A blue/green, linear or canary deployment rolled back 'because of invalid networking configuration': a target group not associated with the production or test listener rule, a listener rule forwarding to an unexpected target group, more than one target group serving traffic.",
        why: "ECS shifts traffic by rewriting the production and test listener rules between the target group and the alternate target group. If a rule points elsewhere, or both groups serve traffic when the deployment starts, ECS cannot tell which side is which.",
        fix: "Make the production listener rule forward only to the service's current target group and the test rule to the alternate one (or to both, weighted 100/0), then deploy again.",
        reads: &[Fact::DeploymentEvent, Fact::Service],
        summary: "The deployment of {service|the service} rolled back because its traffic configuration is invalid: '{event_reason|no reason given}'.",
        steps: &[LOAD_BALANCERS_OF_SERVICE, LIST_SERVICE_DEPLOYMENTS],
    },
    Rule {
        id: "rollback-failed",
        aliases: &[],
        category: RollbackFailed,
        headline: "Rollback failed",
        triggers: &[Trigger::Deployment { event_name: FAILED, cause: Some(Cause::RollbackFailed) }, Trigger::Deployment { event_name: IN_PROGRESS, cause: Some(Cause::RollbackFailed) }, Trigger::ServiceAction { names: &["DAEMON_DEPLOYMENT_ROLLBACK_FAILED"], cause: None }, Trigger::Said { on: On::Any, cause: Cause::RollbackFailed }],
        detects: "A service deployment in ROLLBACK_FAILED, 'No rollback candidate was found', or DAEMON_DEPLOYMENT_ROLLBACK_FAILED.",
        why: "ECS tried to return to the last revision that ran fine and could not: there was none (the first deployment of a service), or its tasks fail too.",
        fix: "Deploy a revision known to work by hand, or fix the failing revision forward; the service stays as it is until then.",
        reads: &[Fact::DeploymentEvent, Fact::ServiceActionEvent],
        summary: "The rollback of {service|the deployment} failed: '{event_reason|no reason given}'. Nothing is serving the previous revision.",
        steps: &[LIST_SERVICE_DEPLOYMENTS, SERVICE_EVENTS],
    },
    Rule {
        id: "deployment-hook-failed",
        aliases: &[],
        category: DeploymentHookFailed,
        headline: "Deployment hook failed",
        triggers: &[Trigger::Deployment { event_name: FAILED, cause: Some(Cause::LifecycleHook) }, Trigger::Deployment { event_name: IN_PROGRESS, cause: Some(Cause::LifecycleHook) }, Trigger::ServiceAction { names: &["HOOK_FAILED", "HOOK_TIMED_OUT"], cause: None }, Trigger::Said { on: On::In(&[Phase::Deployment]), cause: Cause::LifecycleHook }],
        detects: "A deployment rolled back 'because <STAGE> lifecycle hook(s) failed' (the hook function returned FAILED, ECS could not invoke it, parse its answer or assume its role), a pause hook that timed out, or an ECS Hook State Change HOOK_FAILED / HOOK_TIMED_OUT.",
        why: "A blue/green, linear or canary deployment runs its lifecycle hooks at each stage and rolls back when one fails: the function said FAILED, returned no hookStatus (a crash or a timeout), or ECS could not call it (the hook's role lacks lambda:InvokeFunction or cannot be assumed).",
        fix: "Read the hook function's own error (its log group) and fix the check it makes, or the hook's role; then deploy again.",
        reads: &[Fact::DeploymentEvent, Fact::ServiceActionEvent, Fact::Service],
        summary: "A lifecycle hook of {service|the service}'s deployment failed, so ECS rolled it back: '{event_reason|no reason given}'.",
        steps: &[LIST_SERVICE_DEPLOYMENTS, HOOKS_OF_SERVICE],
    },
    Rule {
        id: "deployment-paused",
        aliases: &[],
        category: DeploymentPaused,
        headline: "Deployment waits for you",
        triggers: &[Trigger::ServiceAction { names: &["HOOK_AWAITING_ACTION"], cause: None }],
        detects: "ECS Hook State Change HOOK_AWAITING_ACTION: a pause hook holds the deployment until someone continues or rolls it back.",
        why: "The service's deployment configuration has a pause hook at this lifecycle stage: ECS waits for a person (or a tool) to look at the new revision.",
        fix: "Check the new revision (its test traffic, its metrics), then continue or roll back before the hook expires; at expiry ECS takes the hook's timeout action (ROLLBACK unless configured CONTINUE).",
        reads: &[Fact::ServiceActionEvent],
        summary: "The deployment of {service|the service} is paused at {event_reason|a lifecycle stage} and waits for someone to continue or roll it back.",
        steps: &[LIST_SERVICE_DEPLOYMENTS],
    },
    Rule {
        id: "ebs-volume",
        aliases: &[],
        category: EbsVolume,
        headline: "EBS volume",
        triggers: &[Trigger::Said { on: On::Any, cause: Cause::Ebs }],
        detects: "A task whose EBS volume attachment failed (the attachment's statusReason): 'ECS timed out while configuring the EBS volume attachment to your Task', 'ECS failed to set up the EBS volume', a KMS key the volume cannot use; and a task whose Fargate ephemeral storage key cannot be used.",
        why: "ECS creates and attaches the task's EBS volume before the task starts: a filesystem type the task's OS or the snapshot does not have, a snapshot or a KMS key that cannot be used, or a key that denies the infrastructure role, stops it.",
        fix: "Check the volume's configuration (filesystemType, snapshotId, kmsKeyId) against the task's OS and the snapshot, and let the infrastructure role use the key.",
        reads: &[Fact::StoppedReason, Fact::TaskDefinition],
        summary: "The task's storage could not be set up: '{stopped_reason|the attachment's reason}'.",
        steps: &[DESCRIBE_TASK, step("Read the volume's configuration in the service or the task", "aws ecs describe-services --cluster {cluster} --services {service} --region {region} --query 'services[0].deployments[0].volumeConfigurations'")],
    },
    Rule {
        id: "daemon-task-failed",
        aliases: &[],
        category: DaemonTaskFailed,
        headline: "Managed daemon task failed",
        triggers: &[Trigger::ServiceAction { names: &["CONTAINER_INSTANCE_IMPAIRED"], cause: Some(Cause::DaemonTask) }, Trigger::ServiceAction { names: &["DAEMON_TASK_START_IMPAIRED", "DAEMON_DEPLOYMENT_ROLLBACK_IN_PROGRESS", "DAEMON_DEPLOYMENT_ROLLBACK_SUCCESSFUL"], cause: None }, Trigger::Said { on: On::Any, cause: Cause::DaemonTask }],
        detects: "ECS Daemon Service Action DAEMON_TASK_START_IMPAIRED (TASK_FAILED_TO_RUN, TASK_CREATION_FAILED), a daemon deployment rolling back, or an instance health check that names an unhealthy daemon task.",
        why: "A managed daemon runs one task on every Managed Instances instance; its task could not be created (no room on the instance) or did not reach RUNNING (its image, its role, its command), so the instance runs without it.",
        fix: "Read the daemon task's reason (below); fix its image, role or size, and the daemon deployment replaces the task.",
        reads: &[Fact::ServiceActionEvent],
        summary: "A managed daemon task failed{event_reason_suffix}.",
        steps: &[step("List the daemon's stopped tasks", "aws ecs list-tasks --cluster {cluster} --desired-status STOPPED --region {region}")],
    },
];
