//! The rule catalog. Each rule declares what it detects, why it happens, how to fix it and
//! which facts it reads, the way clippy declares its lints: `ecs-doctor rules`,
//! `ecs-doctor explain-category` and `docs/rules.md` are generated from these declarations.
//!
//! Order matters: within a phase the first rule that matches decides, so specific rules come
//! before the general ones that would also match (storage-full before any image-pull rule, KMS
//! before secrets access, the logger rules before the secrets rules).

use crate::report::Category::{self, *};

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

/// Which exit codes an exit-code rule takes.
#[derive(Debug, Clone, Copy)]
pub enum Codes {
    Exactly(&'static [i32]),
    AnyNonZero,
}

/// When a rule fires. Regexes are matched case-insensitively.
#[derive(Debug, Clone, Copy)]
pub enum Trigger {
    /// A task event whose lastStatus is not STOPPED.
    NotStopped,
    /// A container's `reason`, then the task's `stoppedReason`.
    Reason(&'static str),
    /// The task's `stopCode`, exactly.
    StopCode(&'static str),
    /// The exit code of the essential container that failed first.
    ExitCode(Codes),
    /// A line of the failed container's log; refines a decision taken from an exit code.
    Log(&'static str),
    /// A deployment state change: event name, and a regex the reason must match (if any).
    Deployment {
        event_name: &'static str,
        reason: Option<&'static str>,
    },
    /// A service action: a regex over the event name, and one over the reason (if any).
    ServiceAction {
        event_name: &'static str,
        reason: Option<&'static str>,
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
    pub category: Category,
    /// A few words for titles: "Out of memory".
    pub headline: &'static str,
    pub trigger: Trigger,
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

const fn step(title: &'static str, command: &'static str) -> StepTemplate {
    StepTemplate { title, command }
}

// Steps several rules share. Each is the command an SRE would type, filled with the incident's
// real names when the report is made.
const DESCRIBE_TASK: StepTemplate = step(
    "Read the stopped task's reasons",
    "aws ecs describe-tasks --cluster {cluster} --tasks {task_id} --region {region} --query 'tasks[0].{stopCode:stopCode,stoppedReason:stoppedReason,containers:containers[].{name:name,exitCode:exitCode,reason:reason}}'",
);
const TAIL_LOGS: StepTemplate = step(
    "Read the container's last log lines",
    "aws logs tail {log_group} --log-stream-names {log_stream} --since 1h --region {region}",
);
const SERVICE_EVENTS: StepTemplate = step(
    "Read the service's latest events",
    "aws ecs describe-services --cluster {cluster} --services {service} --region {region} --query 'services[0].events[:10].[createdAt,message]' --output table",
);
const SERVICE_DEPLOYMENTS: StepTemplate = step(
    "See the deployments and their rollout state",
    "aws ecs describe-services --cluster {cluster} --services {service} --region {region} --query 'services[0].deployments[].{id:id,status:status,taskDefinition:taskDefinition,rollout:rolloutState,reason:rolloutStateReason,failed:failedTasks}'",
);
const STOPPED_TASKS: StepTemplate = step(
    "List the service's other stopped tasks",
    "aws ecs list-tasks --cluster {cluster} --service-name {service} --desired-status STOPPED --region {region}",
);
const TASKDEF_MEMORY: StepTemplate = step(
    "See the memory the task and its containers were given",
    "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.{cpu:cpu,memory:memory,containers:containerDefinitions[].{name:name,memory:memory,memoryReservation:memoryReservation}}'",
);
const MEMORY_METRICS: StepTemplate = step(
    "See the service's memory use over the last 3 hours (Container Insights)",
    "aws cloudwatch get-metric-statistics --namespace ECS/ContainerInsights --metric-name MemoryUtilized --dimensions Name=ClusterName,Value={cluster} Name=ServiceName,Value={service} --start-time $(date -u -d '-3 hours' +%FT%TZ) --end-time $(date -u +%FT%TZ) --period 300 --statistics Maximum --region {region}",
);
const TASKDEF_COMMAND: StepTemplate = step(
    "See the container's entryPoint and command",
    "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.containerDefinitions[?name==`{container}`].{image:image,entryPoint:entryPoint,command:command,workingDirectory:workingDirectory}'",
);
const TASKDEF_SECRETS: StepTemplate = step(
    "See the secrets the container references and the execution role",
    "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.{executionRoleArn:executionRoleArn,secrets:containerDefinitions[].secrets[]}'",
);
const TASKDEF_ENV_NAMES: StepTemplate = step(
    "List the environment variable and secret names the container gets",
    "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.containerDefinitions[?name==`{container}`].{environment:environment[].name,secrets:secrets[].name}'",
);
const TASKDEF_LOGCONFIG: StepTemplate = step(
    "See the container's log configuration",
    "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.containerDefinitions[].{name:name,logConfiguration:logConfiguration}'",
);
const TASKDEF_ROLES: StepTemplate = step(
    "See which roles the task uses",
    "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.{executionRoleArn:executionRoleArn,taskRoleArn:taskRoleArn}'",
);
const EXECUTION_ROLE_POLICIES: StepTemplate = step(
    "List the execution role's policies",
    "aws iam list-attached-role-policies --role-name {execution_role_name}",
);
const TASK_ROLE_POLICIES: StepTemplate = step(
    "List the task role's policies (the role the application's AWS SDK uses)",
    "aws iam list-attached-role-policies --role-name {task_role_name}",
);
const ECR_IMAGE: StepTemplate = step(
    "Check that the image and tag exist in ECR",
    "aws ecr describe-images --repository-name {image_repository} --image-ids imageTag={image_tag} --region {image_region|{region}}",
);
const IMAGE_PLATFORMS: StepTemplate = step(
    "See which platforms the image was built for",
    "docker buildx imagetools inspect {image}",
);
const ROLLBACK: StepTemplate = step(
    "Roll the service back to the previous revision while you fix it",
    "aws ecs update-service --cluster {cluster} --service {service} --task-definition {previous_task_definition} --region {region}",
);
const FORCE_DEPLOY: StepTemplate = step(
    "Start fresh tasks once the cause is fixed",
    "aws ecs update-service --cluster {cluster} --service {service} --force-new-deployment --region {region}",
);
const TARGET_HEALTH: StepTemplate = step(
    "See why the load balancer marks the targets unhealthy",
    "aws elbv2 describe-target-health --target-group-arn {target_group} --region {region}",
);
const TARGET_GROUP_CHECK: StepTemplate = step(
    "Read the target group's health check settings",
    "aws elbv2 describe-target-groups --target-group-arns {target_group} --region {region} --query 'TargetGroups[0].{path:HealthCheckPath,port:HealthCheckPort,interval:HealthCheckIntervalSeconds,timeout:HealthCheckTimeoutSeconds,healthy:HealthyThresholdCount,unhealthy:UnhealthyThresholdCount,matcher:Matcher}'",
);
const GRACE_PERIOD: StepTemplate = step(
    "Give slow starters time before the load balancer judges them (about 1.5x the start-up time)",
    "aws ecs update-service --cluster {cluster} --service {service} --health-check-grace-period-seconds {suggested_grace_period|120} --region {region}",
);
const TASKDEF_HEALTHCHECK: StepTemplate = step(
    "Read the container's health check",
    "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.containerDefinitions[?name==`{container}`].healthCheck'",
);
const CONTAINER_INSTANCES: StepTemplate = step(
    "See what the cluster's instances have left (EC2 launch type)",
    "aws ecs describe-container-instances --cluster {cluster} --container-instances $(aws ecs list-container-instances --cluster {cluster} --region {region} --query 'containerInstanceArns' --output text) --region {region} --query 'containerInstances[].{id:ec2InstanceId,agentConnected:agentConnected,status:status,cpu:remainingResources[?name==`CPU`].integerValue|[0],memory:remainingResources[?name==`MEMORY`].integerValue|[0]}'",
);
const TASK_ENI: StepTemplate = step(
    "See the task's network attachment (subnet, ENI, status)",
    "aws ecs describe-tasks --cluster {cluster} --tasks {task_id} --region {region} --query 'tasks[0].attachments[].{type:type,status:status,details:details}'",
);
const SUBNET_IPS: StepTemplate = step(
    "See the free IP addresses in the service's subnets",
    "aws ec2 describe-subnets --subnet-ids $(aws ecs describe-services --cluster {cluster} --services {service} --region {region} --query 'services[0].networkConfiguration.awsvpcConfiguration.subnets' --output text) --region {region} --query 'Subnets[].{id:SubnetId,az:AvailabilityZone,free:AvailableIpAddressCount}'",
);
const VPC_ENDPOINTS: StepTemplate = step(
    "List the VPC endpoints (ecr.api, ecr.dkr, s3, logs, secretsmanager, ssm) of the task's VPC",
    "aws ec2 describe-vpc-endpoints --region {region} --query 'VpcEndpoints[].{service:ServiceName,vpc:VpcId,state:State}' --output table",
);
const CAPACITY_STRATEGY: StepTemplate = step(
    "See the service's capacity provider strategy",
    "aws ecs describe-services --cluster {cluster} --services {service} --region {region} --query 'services[0].{launchType:launchType,capacityProviderStrategy:capacityProviderStrategy}'",
);

const CRASH_FACTS: &[Fact] = &[Fact::ExitCode, Fact::ContainerReason, Fact::LogLines];
const START_FACTS: &[Fact] = &[
    Fact::ContainerReason,
    Fact::StoppedReason,
    Fact::TaskDefinition,
];

pub static RULES: &[Rule] = &[
    Rule {
        id: "task-not-stopped",
        category: TaskRunning,
        headline: "Task state change",
        trigger: Trigger::NotStopped,
        detects: "A task state change that is not a stop: PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING.",
        why: "ECS emits an event for every transition; only the final STOPPED one says how a task ended.",
        fix: "Nothing to fix. Filter the EventBridge rule on lastStatus STOPPED to avoid invoking the function for these.",
        reads: &[Fact::TaskStatus],
        summary: "Task {task_id|} moved to {last_status|a new state}; it has not stopped, so there is nothing to diagnose.",
        steps: &[],
    },
    // ---- starting the task: what ECS says in the container's reason or the stoppedReason ----
    Rule {
        id: "oom-at-container-init",
        category: Oom,
        headline: "Out of memory at start",
        trigger: Trigger::Reason(r"CannotStartContainerError.*OOM|init was OOM-killed"),
        detects: "CannotStartContainerError with 'container init was OOM-killed': the container ran out of memory before its process started.",
        why: "The memory limit is below what the runtime needs to start the container: a hard limit (memory) set very low, or a task memory smaller than the sum of its containers' needs.",
        fix: "Raise the container's hard limit (memory) or the task's memory, then deploy the new revision.",
        reads: START_FACTS,
        summary: "Container {container} was killed for lack of memory while it was being started (limit {memory_limit|not known}): its memory limit is too low for the container to even begin.",
        steps: &[TASKDEF_MEMORY, ROLLBACK],
    },
    Rule {
        id: "oom-killed",
        category: Oom,
        headline: "Out of memory",
        trigger: Trigger::Reason(r"OutOfMemoryError|killed due to memory usage|OOM[- ]?kill"),
        detects: "A container whose reason is 'OutOfMemoryError: Container killed due to memory usage' (usually with exit code 137).",
        why: "The container's processes used more memory than its hard limit (the container's memory, or the task's memory on Fargate), so the kernel's OOM killer ended it. A leak, a load spike, or a limit set below the working set.",
        fix: "Compare the peak memory with the limit (Container Insights MemoryUtilized). Raise the container's memory or the task size if the working set is legitimate (on Fargate pick the next valid CPU/memory size); fix the leak if memory grows without bound. For the JVM, keep -Xmx or MaxRAMPercentage below the container limit.",
        reads: &[Fact::ContainerReason, Fact::ExitCode, Fact::TaskDefinition],
        summary: "Container {container} used more memory than its limit ({memory_limit|limit not known}) and was killed by the kernel (exit {exit_code|137}). This is a memory limit problem, not an application error.",
        steps: &[TASKDEF_MEMORY, MEMORY_METRICS, TAIL_LOGS, ROLLBACK],
    },
    Rule {
        id: "storage-full",
        category: StorageFull,
        headline: "No space left on device",
        trigger: Trigger::Reason(r"no space left on device|Thin Pool has \d+ free data blocks|disk quota exceeded"),
        detects: "'no space left on device' (or a full devicemapper thin pool) while pulling the image or creating the container.",
        why: "The task's ephemeral storage (Fargate, 20 GiB by default) or the instance's Docker volume is full: a large image, many images cached on an EC2 host, or a container writing to its root filesystem.",
        fix: "On Fargate raise ephemeralStorage.sizeInGiB (up to 200) or shrink the image. On EC2 grow the Docker volume, enable automated image cleanup (ECS_IMAGE_CLEANUP_INTERVAL), or rotate the instance.",
        reads: START_FACTS,
        summary: "The task ran out of disk space while preparing container {container|the container}: '{matched}'. The image, or what is already on the storage, does not fit.",
        steps: &[DESCRIBE_TASK, step("See the task's ephemeral storage", "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.ephemeralStorage'")],
    },
    Rule {
        id: "image-pull-rate-limit",
        category: ImagePullRateLimit,
        headline: "Image pull rate-limited",
        trigger: Trigger::Reason(r"toomanyrequests|too many requests|pull rate limit"),
        detects: "CannotPullContainerError with 'toomanyrequests' or '429 Too Many Requests' from the registry.",
        why: "Docker Hub limits anonymous and free-tier pulls per IP; behind a NAT gateway every task shares one IP, so a scale-out or a crash loop exhausts the quota.",
        fix: "Mirror the image into ECR (or use an ECR pull-through cache for Docker Hub), or authenticate pulls with repositoryCredentials from a paid Docker account.",
        reads: START_FACTS,
        summary: "The registry throttled the pull of {image|the image}: '{matched}'. Tasks will keep failing to start until the quota resets or the image comes from a registry without that limit.",
        steps: &[step("Create an ECR pull-through cache for Docker Hub", "aws ecr create-pull-through-cache-rule --ecr-repository-prefix docker-hub --upstream-registry-url registry-1.docker.io --credential-arn <secret-arn-with-docker-hub-credentials> --region {region}"), DESCRIBE_TASK, FORCE_DEPLOY],
    },
    Rule {
        id: "image-pull-auth",
        category: ImagePullAuth,
        headline: "Image pull denied",
        trigger: Trigger::Reason(r"CannotPullContainerError.*(pull access denied|access ?denied|unauthorized|authentication required|no basic auth credentials|403 Forbidden|not authorized|denied:)|unable to retrieve ecr registry auth.*(AccessDenied|not authorized)|registry auth from asm|unable to get registry auth"),
        detects: "CannotPullContainerError with 'pull access denied', 'unauthorized', '403 Forbidden' or 'no basic auth credentials'; ResourceInitializationError while fetching the registry auth.",
        why: "The registry refused the execution role or the credentials: the role lacks ecr:GetAuthorizationToken / ecr:BatchGetImage / ecr:GetDownloadUrlForLayer, a cross-account repository policy does not allow it, or the private registry credentials (repositoryCredentials) are wrong. Docker Hub also says 'pull access denied' when the repository name is misspelled.",
        fix: "Attach AmazonECSTaskExecutionRolePolicy (or the three ECR actions) to the execution role; for a cross-account repository allow the role in the repository policy; for a private registry check the repositoryCredentials secret. Check the image name too.",
        reads: START_FACTS,
        summary: "The registry refused to let the task pull {image|the image}: '{matched}'. The execution role ({execution_role|not known}) or the registry credentials lack access, or the repository name is wrong.",
        steps: &[EXECUTION_ROLE_POLICIES, ECR_IMAGE, step("Check the repository policy (cross-account pulls)", "aws ecr get-repository-policy --repository-name {image_repository} --region {image_region|{region}}"), FORCE_DEPLOY],
    },
    Rule {
        id: "image-pull-not-found",
        category: ImagePullNotFound,
        headline: "Image not found",
        trigger: Trigger::Reason(r"CannotPullContainerError.*(manifest unknown|not found|does not exist|no such image|name unknown)|manifest for \S+ not found|failed to resolve ref.*not found"),
        detects: "CannotPullContainerError with 'not found', 'manifest unknown' or 'does not exist'.",
        why: "The image, tag or digest in the task definition does not exist in the registry: a typo, a tag that was never pushed (the build failed), or an image removed by a lifecycle policy.",
        fix: "Push the missing tag, or register a task definition revision that points at an image that exists. Prefer immutable tags or digests so a revision always names the image it was tested with.",
        reads: START_FACTS,
        summary: "The image {image|named in the task definition} does not exist in the registry: '{matched}'. Every new task of this revision will fail the same way.",
        steps: &[ECR_IMAGE, step("List the tags that do exist", "aws ecr list-images --repository-name {image_repository} --region {image_region|{region}} --query 'imageIds[].imageTag'"), ROLLBACK],
    },
    Rule {
        id: "image-pull-network",
        category: ImagePullNetwork,
        headline: "Registry unreachable",
        trigger: Trigger::Reason(r"CannotPullContainerError.*(timeout|timed out|deadline exceeded|context canceled|connection refused|no such host|network is unreachable|dial tcp|TLS handshake|request canceled)|unable to retrieve ecr registry auth.*(timeout|dial tcp|RequestError|send request failed|no such host)"),
        detects: "CannotPullContainerError, or the ECR auth step, failing with 'i/o timeout', 'dial tcp', 'context canceled' or 'no such host'.",
        why: "The task's network cannot reach the registry: a private subnet without a NAT gateway or ECR VPC endpoints (ecr.api, ecr.dkr, and the S3 gateway endpoint for layers), a public subnet without assignPublicIp, security group egress rules, or DNS.",
        fix: "Give the subnets a route out (NAT gateway), or add the ecr.api, ecr.dkr interface endpoints and the s3 gateway endpoint; for public subnets enable assignPublicIp; allow HTTPS egress in the security group.",
        reads: START_FACTS,
        summary: "The task could not reach the registry to pull {image|the image}: '{matched}'. This is the task's network path (routes, endpoints, security groups, DNS), not the image.",
        steps: &[TASK_ENI, VPC_ENDPOINTS, DESCRIBE_TASK, FORCE_DEPLOY],
    },
    Rule {
        id: "image-pull-unrecognized",
        category: Other,
        headline: "Image pull failed",
        trigger: Trigger::Reason(r"CannotPullContainerError"),
        detects: "A CannotPullContainerError whose message matches none of the known causes.",
        why: "The registry or the container runtime gave an error ecs-doctor does not recognise; the message is quoted as is.",
        fix: "Read the quoted message; run the pull yourself with the execution role's credentials to reproduce it.",
        reads: START_FACTS,
        summary: "ECS could not pull {image|the image}: '{matched}'. ecs-doctor does not recognise this message, so it is quoted without a guess.",
        steps: &[DESCRIBE_TASK, ECR_IMAGE],
    },
    Rule {
        id: "log-group-not-found",
        category: LogGroupMissing,
        headline: "Log group missing",
        trigger: Trigger::Reason(r"log group does not exist|failed to validate logger args.*ResourceNotFound"),
        detects: "ResourceInitializationError 'failed to validate logger args … The specified log group does not exist'.",
        why: "The container's awslogs driver points at a log group that does not exist, and awslogs-create-group is not set (or the execution role may not create it).",
        fix: "Create the log group (with a retention), or set awslogs-create-group to true and grant the execution role logs:CreateLogGroup.",
        reads: START_FACTS,
        summary: "The task could not start because its awslogs log group {log_group|} does not exist: '{matched}'.",
        steps: &[step("Create the log group", "aws logs create-log-group --log-group-name {log_group} --region {region}"), TASKDEF_LOGCONFIG, FORCE_DEPLOY],
    },
    Rule {
        id: "logger-args-failed",
        category: LogGroupMissing,
        headline: "Log driver cannot start",
        trigger: Trigger::Reason(r"failed to validate logger args|failed to (initialize|create) (logging driver|Cloudwatch log)"),
        detects: "ResourceInitializationError 'failed to validate logger args' for another reason: AccessDenied, or CloudWatch Logs unreachable.",
        why: "The awslogs driver must create the log stream before the container starts. The execution role lacks logs:CreateLogStream / logs:PutLogEvents on the group, or the task cannot reach the CloudWatch Logs endpoint (no NAT, no logs VPC endpoint).",
        fix: "Grant the execution role logs:CreateLogStream and logs:PutLogEvents on the group; from private subnets add a com.amazonaws.REGION.logs VPC endpoint or a NAT route.",
        reads: START_FACTS,
        summary: "The awslogs driver could not set up logging for the task: '{matched}'.",
        steps: &[TASKDEF_LOGCONFIG, EXECUTION_ROLE_POLICIES, VPC_ENDPOINTS, FORCE_DEPLOY],
    },
    Rule {
        id: "secrets-kms",
        category: SecretsKms,
        headline: "Secret's KMS key denied",
        trigger: Trigger::Reason(r"(ResourceInitializationError|secret|ssm|parameter).*(kms:Decrypt|KMS|ciphertext refers to a customer master key)"),
        detects: "ResourceInitializationError while pulling secrets with a KMS error: kms:Decrypt denied, a disabled or missing key.",
        why: "The secret or SecureString parameter is encrypted with a customer managed KMS key, and the execution role may not use it (the key policy or the role's policy lacks kms:Decrypt), or the key is disabled.",
        fix: "Grant the execution role kms:Decrypt on the key (in the role policy and, for cross-account keys, in the key policy); re-enable the key if it was disabled.",
        reads: START_FACTS,
        summary: "The task could not decrypt a secret: the execution role ({execution_role|not known}) may not use the KMS key that protects it: '{matched}'.",
        steps: &[TASKDEF_SECRETS, step("Check whether the execution role may decrypt with the key", "aws iam simulate-principal-policy --policy-source-arn {execution_role} --action-names kms:Decrypt --region {region}"), FORCE_DEPLOY],
    },
    Rule {
        id: "secrets-access-denied",
        category: SecretsAccessDenied,
        headline: "Secret access denied",
        trigger: Trigger::Reason(r"(unable to pull secrets|retrieve secret|secrets from ssm|secretsmanager|ssm:GetParameter).*(AccessDenied|not authorized)"),
        detects: "ResourceInitializationError 'unable to pull secrets or registry auth … AccessDeniedException … secretsmanager:GetSecretValue' (or ssm:GetParameters).",
        why: "The task definition injects secrets, and the execution role (not the task role) fetches them at start; it lacks secretsmanager:GetSecretValue or ssm:GetParameters on that secret or parameter.",
        fix: "Grant the execution role secretsmanager:GetSecretValue (or ssm:GetParameters) on the exact secret or parameter ARNs the task definition references.",
        reads: START_FACTS,
        summary: "The task could not start: its execution role ({execution_role|not known}) may not read a secret it references: '{matched}'.",
        steps: &[TASKDEF_SECRETS, EXECUTION_ROLE_POLICIES, step("Check the grant for the secret", "aws iam simulate-principal-policy --policy-source-arn {execution_role} --action-names secretsmanager:GetSecretValue ssm:GetParameters --region {region}"), FORCE_DEPLOY],
    },
    Rule {
        id: "secrets-invalid-reference",
        category: SecretsInvalidReference,
        headline: "Secret reference invalid",
        trigger: Trigger::Reason(r"(unable to pull secrets|retrieve secret|secrets from ssm|invalid ssm parameters|secret).*(ResourceNotFoundException|ParameterNotFound|invalid ssm parameters|InvalidParameter|ValidationException|can't find the specified secret|not found|does not exist|invalid parameters)"),
        detects: "ResourceInitializationError while pulling secrets with ResourceNotFoundException, ParameterNotFound, 'invalid ssm parameters' or a missing JSON key.",
        why: "A valueFrom in the task definition points at a secret, version, JSON key or parameter that does not exist: a typo, another region, a deleted secret, or a key name that differs in case.",
        fix: "Fix the valueFrom ARN (full ARN, same region, existing version stage and JSON key), or create the secret, then register a new revision.",
        reads: START_FACTS,
        summary: "The task could not start: a secret it references does not exist as written: '{matched}'.",
        steps: &[TASKDEF_SECRETS, step("Check that the secret exists", "aws secretsmanager describe-secret --secret-id <valueFrom-arn> --region {region}")],
    },
    Rule {
        id: "secrets-network",
        category: SecretsNetwork,
        headline: "Secrets endpoint unreachable",
        trigger: Trigger::Reason(r"(unable to pull secrets|retrieve secret|secrets from ssm|secretsmanager|ssm).*(timeout|timed out|dial tcp|RequestError|send request failed|connection refused|no such host|deadline exceeded)"),
        detects: "ResourceInitializationError while pulling secrets with 'i/o timeout', 'dial tcp' or 'send request failed'.",
        why: "The task's subnets cannot reach Secrets Manager or SSM: no NAT gateway and no secretsmanager/ssm interface endpoints, or security group egress blocks HTTPS.",
        fix: "Add com.amazonaws.REGION.secretsmanager (and ssm) interface endpoints with private DNS, or a NAT route; allow HTTPS egress from the task's security group.",
        reads: START_FACTS,
        summary: "The task could not reach Secrets Manager or SSM to fetch its secrets: '{matched}'. This is the network path, not the permissions.",
        steps: &[VPC_ENDPOINTS, TASK_ENI, FORCE_DEPLOY],
    },
    Rule {
        id: "iam-role-unassumable",
        category: IamRoleConfig,
        headline: "Role cannot be assumed",
        trigger: Trigger::Reason(r"unable to assume (the )?role|ECS was unable to assume|AssumeRole.*(denied|not authorized)|trust relationship|role .* (does not exist|cannot be found)"),
        detects: "'ECS was unable to assume the role … Please verify that the role being passed has the proper trust relationship'.",
        why: "The task role or execution role does not trust ecs-tasks.amazonaws.com, was deleted, or its trust policy's conditions (aws:SourceAccount, aws:SourceArn) do not match this account or cluster.",
        fix: "Add ecs-tasks.amazonaws.com as a trusted principal (sts:AssumeRole) in the role's trust policy, or point the task definition at a role that exists.",
        reads: START_FACTS,
        summary: "ECS could not assume a role the task needs: '{matched}'.",
        steps: &[TASKDEF_ROLES, step("Read the execution role's trust policy", "aws iam get-role --role-name {execution_role_name} --query 'Role.AssumeRolePolicyDocument'"), step("Read the task role's trust policy", "aws iam get-role --role-name {task_role_name} --query 'Role.AssumeRolePolicyDocument'"), FORCE_DEPLOY],
    },
    Rule {
        id: "efs-mount-failed",
        category: EfsVolumeMount,
        headline: "EFS mount failed",
        trigger: Trigger::Reason(r"\bEFS\b|efs-utils|mount\.nfs|mount target|elasticfilesystem"),
        detects: "ResourceInitializationError 'failed to invoke EFS utils commands to set up EFS volumes', mount.nfs4 timeouts or refused mounts.",
        why: "No mount target in the task's AZ, the mount target's security group does not allow NFS (TCP 2049) from the task, DNS resolution of the file system is off in the VPC, or the access point / IAM authorization denies the task role.",
        fix: "Create a mount target in every AZ the service uses, allow TCP 2049 from the task's security group, enable DNS hostnames in the VPC, and grant elasticfilesystem:ClientMount (and ClientWrite) when IAM authorization is on.",
        reads: START_FACTS,
        summary: "The task could not mount its EFS volume: '{matched}'.",
        steps: &[step("List the file system's mount targets and their AZs", "aws efs describe-mount-targets --file-system-id <fs-id> --region {region}"), TASK_ENI, FORCE_DEPLOY],
    },
    Rule {
        id: "eni-provision-timeout",
        category: EniProvisionTimeout,
        headline: "Network interface timeout",
        trigger: Trigger::Reason(r"network interface provisioning|waiting for network interface|ENI.*(timeout|timed out)"),
        detects: "'Timeout waiting for network interface provisioning to complete.'",
        why: "An awsvpc task needs its own ENI; EC2 did not attach it in time: ENI limits on the instance, API throttling during a large scale-out, or a transient EC2 problem.",
        fix: "Usually transient: the scheduler retries. If it repeats, check the instance type's ENI limits (or enable awsvpcTrunking), and the subnet's free IPs.",
        reads: START_FACTS,
        summary: "The task's network interface was not provisioned in time: '{matched}'.",
        steps: &[TASK_ENI, SUBNET_IPS],
    },
    Rule {
        id: "docker-timeout",
        category: DockerTimeout,
        headline: "Container runtime timeout",
        trigger: Trigger::Reason(r"DockerTimeoutError|CannotInspectContainerError|Could not transition to (created|started|running)|CannotCreateContainerError.*(timeout|deadline exceeded)"),
        detects: "DockerTimeoutError ('Could not transition to created; timed out after waiting 4m0s') or CannotInspectContainerError.",
        why: "The container runtime on the host is overloaded or stuck: I/O burst credits exhausted on the root volume, too many containers starting at once, or a hung Docker daemon.",
        fix: "Look at the instance's disk I/O and the Docker daemon; use gp3 volumes or larger instances, and stagger large deployments.",
        reads: START_FACTS,
        summary: "The container runtime timed out while handling container {container|of the task}: '{matched}'.",
        steps: &[DESCRIBE_TASK, CONTAINER_INSTANCES],
    },
    Rule {
        id: "exec-format-error",
        category: WrongArchitecture,
        headline: "Wrong CPU architecture",
        trigger: Trigger::Reason(r"exec format error"),
        detects: "'exec format error' when the container starts.",
        why: "The image was built for another CPU architecture than the task runs on: an arm64 image (built on an Apple silicon Mac) on x86_64 Fargate, or an amd64 image on Graviton.",
        fix: "Build for the task's platform (docker buildx build --platform linux/amd64 or linux/arm64, or both as a multi-arch image), or set runtimePlatform.cpuArchitecture to match the image.",
        reads: START_FACTS,
        summary: "Container {container|of the task} could not execute its entrypoint: the image {image|} was built for another CPU architecture than the task's ({cpu_architecture|not known}).",
        steps: &[IMAGE_PLATFORMS, step("See the platform the task definition asks for", "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.runtimePlatform'")],
    },
    Rule {
        id: "exec-permission-denied",
        category: PermissionDeniedExec,
        headline: "Entrypoint not executable",
        trigger: Trigger::Reason(r"(CannotStartContainerError|exec).*permission denied"),
        detects: "CannotStartContainerError '… exec: \"/app/start.sh\": permission denied'.",
        why: "The entrypoint file lacks the execute bit (lost in a COPY from a Windows checkout or a zip), the image's USER cannot read it, or the filesystem is mounted noexec.",
        fix: "RUN chmod +x on the entrypoint in the Dockerfile (or COPY --chmod=755), or invoke it through its interpreter (sh script.sh).",
        reads: START_FACTS,
        summary: "Container {container|of the task} could not start: its entrypoint is not executable: '{matched}'.",
        steps: &[TASKDEF_COMMAND],
    },
    Rule {
        id: "exec-not-found",
        category: BadEntrypointOrCommand,
        headline: "Entrypoint not found",
        trigger: Trigger::Reason(r"executable file not found|exec: .*no such file or directory|CannotStartContainerError.*(no such file|is a directory|not found)"),
        detects: "CannotStartContainerError 'executable file not found in $PATH', 'no such file or directory' or 'is a directory'.",
        why: "The entryPoint or command names a binary that is not in the image or not on its PATH: a typo, a multi-stage build that left it out, a script with Windows line endings, or a command written as one string instead of a list.",
        fix: "Correct the task definition's entryPoint/command (a JSON list of arguments), or the image's ENTRYPOINT/CMD; check that the binary exists in the final image stage.",
        reads: START_FACTS,
        summary: "Container {container|of the task} could not start: its command does not exist in the image: '{matched}'.",
        steps: &[TASKDEF_COMMAND, step("Look inside the image", "docker run --rm --entrypoint sh {image} -c 'echo $PATH; ls -l /app /usr/local/bin'")],
    },
    Rule {
        id: "cannot-start-container",
        category: Other,
        headline: "Container could not start",
        trigger: Trigger::Reason(r"CannotStartContainerError|CannotCreateContainerError"),
        detects: "A CannotStartContainerError or CannotCreateContainerError whose message matches none of the known causes.",
        why: "The runtime could not create or start the container for a reason ecs-doctor does not recognise; the message is quoted as is.",
        fix: "Read the quoted message; reproduce with docker run of the same image, command and limits.",
        reads: START_FACTS,
        summary: "Container {container|of the task} could not be created or started: '{matched}'. The message is quoted without a guess.",
        steps: &[TASKDEF_COMMAND, DESCRIBE_TASK],
    },
    Rule {
        id: "resource-initialization-unrecognized",
        category: Other,
        headline: "Task resources could not be initialized",
        trigger: Trigger::Reason(r"ResourceInitializationError"),
        detects: "A ResourceInitializationError whose message matches none of the known causes.",
        why: "ECS could not prepare something the task needs before its containers start (secrets, registry auth, volumes, logging, networking).",
        fix: "Read the quoted message; it names the resource that failed.",
        reads: START_FACTS,
        summary: "ECS could not prepare the task's resources: '{matched}'. The message is quoted without a guess.",
        steps: &[DESCRIBE_TASK],
    },
    // ---- the infrastructure ----
    Rule {
        id: "spot-interruption",
        category: SpotInterruption,
        headline: "Spot capacity reclaimed",
        trigger: Trigger::StopCode("SpotInterruption"),
        detects: "stopCode SpotInterruption ('Your Spot Task was interrupted.').",
        why: "AWS reclaimed the Fargate Spot or EC2 Spot capacity with a two-minute warning. This is the Spot contract, not a fault of the task.",
        fix: "Nothing in the task. If interruptions hurt availability, keep a base of on-demand capacity (capacity provider strategy base on FARGATE) and make the application stop cleanly on SIGTERM.",
        reads: &[Fact::StopCode, Fact::StoppedReason],
        summary: "Spot capacity under task {task_id|} was reclaimed by AWS; the scheduler starts a replacement. Nothing is wrong with the task itself.",
        steps: &[CAPACITY_STRATEGY],
    },
    Rule {
        id: "spot-interruption-reason",
        category: SpotInterruption,
        headline: "Spot capacity reclaimed",
        trigger: Trigger::Reason(r"Spot Task was interrupted|spot interruption"),
        detects: "A stoppedReason of 'Your Spot Task was interrupted.' on events without a stopCode.",
        why: "AWS reclaimed the Spot capacity with a two-minute warning.",
        fix: "Keep a base of on-demand capacity if interruptions hurt availability.",
        reads: &[Fact::StoppedReason],
        summary: "Spot capacity under task {task_id|} was reclaimed by AWS; the scheduler starts a replacement.",
        steps: &[CAPACITY_STRATEGY],
    },
    Rule {
        id: "host-terminated",
        category: HostTerminated,
        headline: "Host instance terminated",
        trigger: Trigger::Reason(r"Host EC2 \(instance \S+\) (terminated|stopped|shut ?down)|instance \S+ (was |has been )?(terminated|stopped)|container instance .* (deregistered|terminated)"),
        detects: "'Host EC2 (instance i-…) terminated.' or stopped: the container instance went away under the task.",
        why: "The EC2 instance was terminated or stopped: an Auto Scaling scale-in without managed termination protection or draining, a Spot reclaim, a failed instance health check, or a person.",
        fix: "Use a capacity provider with managed termination protection and managed draining so ECS drains tasks before instances leave; check the Auto Scaling activity history for why the instance went.",
        reads: &[Fact::StoppedReason],
        summary: "The EC2 instance running task {task_id|} was stopped or terminated under it: '{matched}'.",
        steps: &[step("See why Auto Scaling removed instances", "aws autoscaling describe-scaling-activities --max-items 10 --region {region}"), CONTAINER_INSTANCES],
    },
    Rule {
        id: "maintenance",
        category: Maintenance,
        headline: "Infrastructure maintenance",
        trigger: Trigger::Reason(r"task retirement|performing maintenance|scheduled for retirement|maintenance on the underlying"),
        detects: "'Task is being stopped due to task retirement' or 'ECS is performing maintenance on the underlying infrastructure hosting the task'.",
        why: "AWS retires tasks on hardware or platform versions being replaced; the service scheduler starts a replacement.",
        fix: "Nothing to fix. Run at least two tasks across AZs so a retirement costs no capacity.",
        reads: &[Fact::StoppedReason],
        summary: "AWS retired task {task_id|} for infrastructure maintenance; the scheduler replaces it.",
        steps: &[],
    },
    Rule {
        id: "termination-notice",
        category: Maintenance,
        headline: "Termination notice",
        trigger: Trigger::StopCode("TerminationNotice"),
        detects: "stopCode TerminationNotice: the task's host announced its termination (retirement or maintenance).",
        why: "The underlying capacity is being taken away on a schedule; the scheduler replaces the task.",
        fix: "Nothing to fix. Run at least two tasks across AZs.",
        reads: &[Fact::StopCode],
        summary: "Task {task_id|} was stopped because its host received a termination notice; the scheduler replaces it.",
        steps: &[],
    },
    Rule {
        id: "agent-disconnected",
        category: AgentDisconnected,
        headline: "ECS agent disconnected",
        trigger: Trigger::Reason(r"agent (was |is )?disconnected|agent connection"),
        detects: "A stop that names the container agent as disconnected.",
        why: "The ECS agent on the instance lost its connection to the ECS backend: the agent crashed, the instance lost network, or its IAM instance role is broken.",
        fix: "Check the instance (agentConnected in describe-container-instances), restart the agent (sudo systemctl restart ecs), or replace the instance.",
        reads: &[Fact::StoppedReason],
        summary: "The ECS agent on task {task_id|}'s instance is disconnected: '{matched}'.",
        steps: &[CONTAINER_INSTANCES],
    },
    // ---- health checks: ECS stopped a running task ----
    Rule {
        id: "elb-health-check",
        category: ElbHealthCheck,
        headline: "Failed load balancer health checks",
        trigger: Trigger::Reason(r"failed ELB health checks|failed (the )?load balancer health checks"),
        detects: "stoppedReason 'Task failed ELB health checks in (target-group …)'.",
        why: "The target group's health check did not get a healthy answer in time: the application listens on another port or path, answers non-2xx, starts slower than the grace period, or the task's security group does not admit the load balancer.",
        fix: "Match the target group's health check path/port/matcher to the application; allow the load balancer's security group on the container port; set healthCheckGracePeriodSeconds to about 1.5x the start-up time.",
        reads: &[Fact::StoppedReason, Fact::Service, Fact::TaskDefinition, Fact::LogLines],
        summary: "The load balancer marked task {task_id|} unhealthy and ECS replaced it: '{matched}'. The application did not answer the health check in time, or at all.",
        steps: &[TARGET_HEALTH, TARGET_GROUP_CHECK, GRACE_PERIOD, TAIL_LOGS],
    },
    Rule {
        id: "container-health-check",
        category: ContainerHealthCheck,
        headline: "Failed container health check",
        trigger: Trigger::Reason(r"failed container health checks|container health check"),
        detects: "stoppedReason 'Task failed container health checks'.",
        why: "The container's own healthCheck command failed retries times in a row: the command is missing in the image (curl in a slim image), the application is slow to start (startPeriod too short), or it is unhealthy.",
        fix: "Run the health check command inside the image to see it pass; make sure its binary exists; raise startPeriod to cover start-up.",
        reads: &[Fact::StoppedReason, Fact::TaskDefinition, Fact::LogLines],
        summary: "Container {container|of the task} failed its own health check and ECS stopped task {task_id|}: '{matched}'.",
        steps: &[TASKDEF_HEALTHCHECK, TAIL_LOGS],
    },
    // ---- benign stops ----
    Rule {
        id: "scheduler-replaced",
        category: ScaleInOrDeployment,
        headline: "Replaced by the scheduler",
        trigger: Trigger::Reason(r"Scaling activity initiated by|deployment .* (replaced|stopped)|Service .* (scaled|scaling)|Task replaced"),
        detects: "stoppedReason 'Scaling activity initiated by (deployment ecs-svc/…)': scale-in or a deployment replacing tasks.",
        why: "The service scheduler stops tasks on scale-in and when a new deployment replaces the old revision.",
        fix: "Nothing to fix.",
        reads: &[Fact::StoppedReason, Fact::StopCode],
        summary: "The service scheduler stopped task {task_id|} (scale-in or a deployment replacing it): '{matched}'.",
        steps: &[],
    },
    Rule {
        id: "user-stop-reason",
        category: UserStop,
        headline: "Stopped by a user",
        trigger: Trigger::Reason(r"stopped by user|Task stopped by|StopTask"),
        detects: "stoppedReason 'Task stopped by user' on events without a stopCode.",
        why: "A person or automation called StopTask.",
        fix: "Nothing to fix; CloudTrail's StopTask events say who.",
        reads: &[Fact::StoppedReason],
        summary: "Task {task_id|} was stopped by a StopTask call: '{matched}'.",
        steps: &[],
    },
    Rule {
        id: "user-initiated",
        category: UserStop,
        headline: "Stopped by a user",
        trigger: Trigger::StopCode("UserInitiated"),
        detects: "stopCode UserInitiated.",
        why: "A person or automation called StopTask (or deleted the service).",
        fix: "Nothing to fix; CloudTrail's StopTask events say who.",
        reads: &[Fact::StopCode],
        summary: "Task {task_id|} was stopped by a StopTask call ({stopped_reason|no reason given}).",
        steps: &[step("Find who stopped it", "aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=StopTask --max-results 20 --region {region}")],
    },
    Rule {
        id: "service-scheduler-initiated",
        category: ScaleInOrDeployment,
        headline: "Replaced by the scheduler",
        trigger: Trigger::StopCode("ServiceSchedulerInitiated"),
        detects: "stopCode ServiceSchedulerInitiated without a health check reason: scale-in, a deployment, or draining.",
        why: "The service scheduler stops tasks on scale-in, on deployments and when instances drain.",
        fix: "Nothing to fix.",
        reads: &[Fact::StopCode, Fact::StoppedReason],
        summary: "The service scheduler stopped task {task_id|} ({stopped_reason|no reason given}).",
        steps: &[],
    },
    // ---- the container's own exit ----
    Rule {
        id: "essential-exit-0",
        category: TaskCompleted,
        headline: "Task completed",
        trigger: Trigger::ExitCode(Codes::Exactly(&[0])),
        detects: "The essential container exited 0.",
        why: "The process finished its work: normal for a one-off or scheduled task. In a service it means the process is not long-running and ECS will keep restarting it.",
        fix: "Nothing to fix for a batch task. In a service, run a long-lived process in the foreground (no daemonizing, no 'exit 0' at the end of a script).",
        reads: &[Fact::ExitCode],
        summary: "Container {container|of the task} exited 0: the task finished.",
        steps: &[],
    },
    Rule {
        id: "exit-139-segfault",
        category: Segfault,
        headline: "Segmentation fault",
        trigger: Trigger::ExitCode(Codes::Exactly(&[139])),
        detects: "Exit code 139: the process died of SIGSEGV.",
        why: "The process touched memory it does not own: a bug in native code or a native library, a binary built against another libc (alpine vs glibc), or a stack overflow.",
        fix: "Read the last log lines for the faulting library; check the image's base (musl vs glibc) against how the binary was built; reproduce locally with the same image.",
        reads: CRASH_FACTS,
        summary: "Container {container} crashed with a segmentation fault (exit 139): a bug in native code or a binary built for another libc.",
        steps: &[TAIL_LOGS, ROLLBACK],
    },
    Rule {
        id: "exit-126-not-executable",
        category: PermissionDeniedExec,
        headline: "Command not executable",
        trigger: Trigger::ExitCode(Codes::Exactly(&[126])),
        detects: "Exit code 126: the shell found the command but could not execute it.",
        why: "The entrypoint or a script it runs lacks the execute bit, or is not a valid executable for the shell.",
        fix: "chmod +x the script in the Dockerfile (COPY --chmod=755), or run it through its interpreter.",
        reads: CRASH_FACTS,
        summary: "Container {container} exited 126: its command exists but cannot be executed (permissions or format).",
        steps: &[TASKDEF_COMMAND, TAIL_LOGS],
    },
    Rule {
        id: "exit-127-not-found",
        category: BadEntrypointOrCommand,
        headline: "Command not found",
        trigger: Trigger::ExitCode(Codes::Exactly(&[127])),
        detects: "Exit code 127: the shell could not find the command.",
        why: "The command (or something a start script calls) is not installed in the image or not on PATH: a typo, or a multi-stage build that left it out.",
        fix: "Correct the command, or install the missing binary in the final image stage.",
        reads: CRASH_FACTS,
        summary: "Container {container} exited 127: a command it runs does not exist in the image.",
        steps: &[TASKDEF_COMMAND, TAIL_LOGS],
    },
    Rule {
        id: "exit-137-sigkill",
        category: Other,
        headline: "Killed by SIGKILL",
        trigger: Trigger::ExitCode(Codes::Exactly(&[137])),
        detects: "Exit code 137 (SIGKILL) with no OutOfMemoryError reason and no stop initiated by ECS.",
        why: "Something killed the process with SIGKILL without ECS recording an out-of-memory kill: on EC2 the host's OOM killer (no hard limit), a process in the container sending kill -9, or a stop whose reason was not recorded. ecs-doctor does not guess which.",
        fix: "Check the container's memory use against the instance, the logs' last lines, and whether the task had only a soft memory limit.",
        reads: CRASH_FACTS,
        summary: "Container {container} was killed with SIGKILL (exit 137), but ECS recorded no out-of-memory reason and no stop. The cause is not in the facts ecs-doctor could read.",
        steps: &[TAIL_LOGS, TASKDEF_MEMORY, MEMORY_METRICS],
    },
    Rule {
        id: "exit-143-sigterm",
        category: SigtermGraceful,
        headline: "Stopped on SIGTERM",
        trigger: Trigger::ExitCode(Codes::Exactly(&[143])),
        detects: "Exit code 143: the essential container shut down on SIGTERM, with no failure recorded before it.",
        why: "SIGTERM is how a container is asked to stop; 143 means the process honoured it. Sidecars stopped after it show 137 when they outlive stopTimeout.",
        fix: "Nothing to fix when the stop was intended. If nobody meant to stop it, look for who sent the signal (an init script, a supervisor, a deployment tool).",
        reads: &[Fact::ExitCode, Fact::StopCode],
        summary: "Container {container} received SIGTERM and shut down cleanly (exit 143); nothing crashed.",
        steps: &[],
    },
    Rule {
        id: "exit-nonzero",
        category: AppCrash,
        headline: "Application exited",
        trigger: Trigger::ExitCode(Codes::AnyNonZero),
        detects: "The essential container exited with a non-zero code (1, 2, 255, 143 without a stop …) and no more specific rule matched.",
        why: "The application failed on its own: an unhandled exception, a failed start-up check, or an explicit exit(1). The log says which.",
        fix: "Read the last log lines; reproduce with the same image and configuration locally.",
        reads: CRASH_FACTS,
        summary: "Container {container} exited with code {exit_code}: the application stopped on its own error.",
        steps: &[TAIL_LOGS, ROLLBACK],
    },
    // ---- found in the application's logs (they refine an exit code) ----
    Rule {
        id: "log-exec-format-error",
        category: WrongArchitecture,
        headline: "Wrong CPU architecture",
        trigger: Trigger::Log(r"exec format error"),
        detects: "'exec format error' in the container's log (Fargate reports it as an exit code 1 and a log line).",
        why: "The image was built for another CPU architecture than the task runs on.",
        fix: "Build for the task's platform (docker buildx --platform), or set runtimePlatform.cpuArchitecture to match the image.",
        reads: &[Fact::LogLines, Fact::TaskDefinition],
        summary: "Container {container} could not run its entrypoint because the image {image|} was built for another CPU architecture than the task's ({cpu_architecture|not known}). The log says: '{log_line}'.",
        steps: &[IMAGE_PLATFORMS, step("See the platform the task definition asks for", "aws ecs describe-task-definition --task-definition {task_definition} --region {region} --query 'taskDefinition.runtimePlatform'")],
    },
    Rule {
        id: "log-exec-permission-denied",
        category: PermissionDeniedExec,
        headline: "Entrypoint not executable",
        trigger: Trigger::Log(r"exec\S* .*permission denied|/bin/\w*sh: .*: Permission denied|can't execute .*Permission denied"),
        detects: "'exec … permission denied' in the container's log.",
        why: "The entrypoint or a script it runs lacks the execute bit.",
        fix: "chmod +x it in the Dockerfile (COPY --chmod=755), or run it through its interpreter.",
        reads: &[Fact::LogLines],
        summary: "Container {container} could not execute its entrypoint. The log says: '{log_line}'.",
        steps: &[TASKDEF_COMMAND],
    },
    Rule {
        id: "log-command-not-found",
        category: BadEntrypointOrCommand,
        headline: "Command not found",
        trigger: Trigger::Log(r"command not found|executable file not found|exec\S* .*no such file or directory|/bin/\w*sh: \S+: not found"),
        detects: "'command not found', 'executable file not found' or 'exec … no such file or directory' in the container's log.",
        why: "A command the container runs does not exist in the image.",
        fix: "Correct the command, or install the binary in the final image stage.",
        reads: &[Fact::LogLines],
        summary: "Container {container} runs a command that is not in the image. The log says: '{log_line}'.",
        steps: &[TASKDEF_COMMAND],
    },
    Rule {
        id: "log-language-oom",
        category: Oom,
        headline: "Out of memory (runtime heap)",
        trigger: Trigger::Log(r"java\.lang\.OutOfMemoryError|JavaScript heap out of memory|FATAL ERROR: .*heap|\bMemoryError\b|fatal error: runtime: out of memory|Cannot allocate memory|std::bad_alloc|memory allocation of \d+ bytes failed"),
        detects: "A language runtime's out-of-memory error in the log: Java OutOfMemoryError, Node 'JavaScript heap out of memory', Python MemoryError, Go 'runtime: out of memory'.",
        why: "The runtime's heap hit its own ceiling (-Xmx, --max-old-space-size) or the container's limit; the process exited on it rather than being killed by the kernel.",
        fix: "Size the runtime's heap to the container: JVM -XX:MaxRAMPercentage=75, Node --max-old-space-size about 75% of the container memory; raise the container memory if the working set is legitimate; fix the leak if it grows without bound.",
        reads: &[Fact::LogLines, Fact::ExitCode, Fact::TaskDefinition],
        summary: "Container {container} ran out of memory inside its language runtime (limit {memory_limit|not known}) and exited {exit_code|}. The log says: '{log_line}'.",
        steps: &[TASKDEF_MEMORY, MEMORY_METRICS, TAIL_LOGS],
    },
    Rule {
        id: "log-aws-access-denied",
        category: TaskRoleAccessDenied,
        headline: "AWS access denied (task role)",
        trigger: Trigger::Log(r"AccessDenied|is not authorized to perform|Unable to locate credentials|NoCredentialProviders|could not load credentials|CredentialsProviderError|ExpiredToken|InvalidClientTokenId|UnrecognizedClientException|failed to refresh cached credentials|security token included in the request is invalid"),
        detects: "AccessDenied, 'is not authorized to perform' or 'Unable to locate credentials' in the container's log.",
        why: "The application's AWS SDK uses the task role (not the execution role). The task definition has no taskRoleArn, or the role lacks the action the application calls.",
        fix: "Set taskRoleArn on the task definition and grant that role the action named in the log, on the resource named in the log.",
        reads: &[Fact::LogLines, Fact::TaskDefinition],
        summary: "Container {container}'s AWS calls were refused: the task role ({task_role|none set}) lacks a permission or credentials. The log says: '{log_line}'.",
        steps: &[TASKDEF_ROLES, TASK_ROLE_POLICIES, TAIL_LOGS],
    },
    Rule {
        id: "log-missing-env-or-config",
        category: MissingEnvOrConfig,
        headline: "Missing configuration",
        trigger: Trigger::Log(r"(?-i:KeyError: '[A-Z][A-Z0-9_]+')|environment variable .*(not set|not defined|missing|required|undefined|must be set|empty)|(env|environment) var(iable)?s? .*(not set|missing|required)|missing required (env|environment|config|configuration|variable|setting|option)|required key \S+ missing|(?-i:\b[A-Z][A-Z0-9]*_[A-Z0-9_]+) (is )?(not set|must be set|is required|is missing|missing|undefined)|Could not resolve placeholder|ImproperlyConfigured|ConfigurationError|invalid config|config(uration)? file .*(not found|missing|invalid)|failed to (load|parse|read) config|yaml: line \d+|json: cannot unmarshal|validation error for \w+|Unexpected token .* in JSON"),
        detects: "A missing environment variable or an unparsable configuration in the log: KeyError: 'DATABASE_URL', 'environment variable … not set', 'Could not resolve placeholder', 'yaml: line 3 …'.",
        why: "The task definition (or its secrets) does not provide a setting the application requires at start-up, or a config file in the image or a secret's value cannot be parsed.",
        fix: "Add the variable to the container's environment or secrets in the task definition (secrets for credentials), or fix the config value, then deploy the new revision.",
        reads: &[Fact::LogLines, Fact::TaskDefinition],
        summary: "Container {container} exited {exit_code|} because its configuration is incomplete or invalid. The log says: '{log_line}'.",
        steps: &[TASKDEF_ENV_NAMES, TAIL_LOGS, ROLLBACK],
    },
    Rule {
        id: "log-dependency-unreachable",
        category: DbConnection,
        headline: "Database unreachable",
        trigger: Trigger::Log(r"ECONNREFUSED|Connection refused|connection to server at .* failed|could not connect to server|could not translate host name|Can't connect to MySQL|Communications link failure|ETIMEDOUT|ENOTFOUND|getaddrinfo|Name or service not known|no such host|i/o timeout|Connection timed out|timeout expired|OperationalError|SequelizeConnection\w*Error|MongoServerSelectionError|MongoNetworkError|dial tcp .*connect:|PSQLException|HikariPool.*(Exception|Connection is not available)|too many connections|password authentication failed for user|Access denied for user '"),
        detects: "A refused, timed-out or unresolvable connection to a database or other dependency in the log: ECONNREFUSED, 'could not connect to server', 'Communications link failure', getaddrinfo ENOTFOUND.",
        why: "The application exits when it cannot reach its database at start: the security group of the database does not admit the task's security group, the host name or port is wrong, the database is down or out of connections, or the credentials are rejected.",
        fix: "Allow the task's security group in the database's security group on its port; check the host name and port in the configuration; check the database's health and connection limit.",
        reads: &[Fact::LogLines],
        summary: "Container {container} exited {exit_code|} because it could not connect to a dependency. The log says: '{log_line}'.",
        steps: &[TAIL_LOGS, TASK_ENI],
    },
    Rule {
        id: "log-crash-trace",
        category: AppCrash,
        headline: "Application crashed",
        trigger: Trigger::Log(r#"(?-i)(^|[\s"'])([A-Za-z_][\w.$]*\.)?[A-Z]\w*(Error|Exception)(: |:?$|\[)|Exception in thread "|^panic: |panicked at|^fatal error: |Unhandled(PromiseRejection| exception| rejection)|uncaught exception"#),
        detects: "An exception or panic in the log: a Python traceback's last line, Java 'Exception in thread …', a Node Error, a Go panic, a Rust panic.",
        why: "The application hit an error it did not handle and exited.",
        fix: "Read the quoted exception and the lines before it; fix the code or the input that raised it, or roll back.",
        reads: &[Fact::LogLines, Fact::ExitCode],
        summary: "Container {container} crashed (exit {exit_code|not recorded}) on an unhandled error. The log says: '{log_line}'.",
        steps: &[TAIL_LOGS, ROLLBACK],
    },
    // ---- the service and its deployments ----
    Rule {
        id: "deployment-rolled-back",
        category: CircuitBreakerRollback,
        headline: "Deployment rolled back",
        trigger: Trigger::Deployment { event_name: "SERVICE_DEPLOYMENT_IN_PROGRESS", reason: Some(r"roll(ing|ed)? ?back") },
        detects: "SERVICE_DEPLOYMENT_IN_PROGRESS with 'ECS deployment circuit breaker: rolling back to deploymentId …'.",
        why: "The new deployment's tasks kept failing, so the deployment circuit breaker failed it and ECS is rolling back to the last deployment that completed.",
        fix: "The service recovers on the old revision. Fix the cause the failed tasks show, then deploy again.",
        reads: &[Fact::DeploymentEvent, Fact::Service, Fact::SiblingTasks, Fact::LogLines],
        summary: "The deployment of {failed_task_definition|a new revision} to {service} failed and the circuit breaker is rolling back to {rollback_task_definition|the previous revision}.",
        steps: &[SERVICE_DEPLOYMENTS, SERVICE_EVENTS, STOPPED_TASKS],
    },
    Rule {
        id: "deployment-failed-alarm",
        category: CircuitBreakerFailure,
        headline: "Deployment failed (alarm)",
        trigger: Trigger::Deployment { event_name: "SERVICE_DEPLOYMENT_FAILED", reason: Some(r"alarm") },
        detects: "SERVICE_DEPLOYMENT_FAILED because a CloudWatch alarm of the deployment went into ALARM.",
        why: "The service's deployment alarms watch the new revision; one fired, so ECS failed the deployment.",
        fix: "Read the alarm named in the reason and the metrics behind it; fix the regression and deploy again.",
        reads: &[Fact::DeploymentEvent, Fact::Service],
        summary: "The deployment to {service} failed because a deployment alarm fired: '{event_reason}'.",
        steps: &[SERVICE_DEPLOYMENTS, step("See which alarms are firing", "aws cloudwatch describe-alarms --state-value ALARM --region {region} --query 'MetricAlarms[].{name:AlarmName,reason:StateReason}'")],
    },
    Rule {
        id: "deployment-failed",
        category: CircuitBreakerFailure,
        headline: "Deployment failed",
        trigger: Trigger::Deployment { event_name: "SERVICE_DEPLOYMENT_FAILED", reason: None },
        detects: "SERVICE_DEPLOYMENT_FAILED: the deployment circuit breaker failed the deployment.",
        why: "Tasks of the new deployment failed to start or to become healthy more often than the circuit breaker's threshold allows.",
        fix: "Fix the cause the failed tasks show (the root cause below); if rollback is not enabled, roll back by hand.",
        reads: &[Fact::DeploymentEvent, Fact::Service, Fact::SiblingTasks, Fact::LogLines],
        summary: "The deployment of {failed_task_definition|a new revision} to {service} failed: '{event_reason|no reason given}'.",
        steps: &[SERVICE_DEPLOYMENTS, SERVICE_EVENTS, STOPPED_TASKS, ROLLBACK],
    },
    Rule {
        id: "deployment-in-progress",
        category: DeploymentInProgress,
        headline: "Deployment in progress",
        trigger: Trigger::Deployment { event_name: "SERVICE_DEPLOYMENT_IN_PROGRESS", reason: None },
        detects: "SERVICE_DEPLOYMENT_IN_PROGRESS without a rollback.",
        why: "A deployment started.",
        fix: "Nothing to fix.",
        reads: &[Fact::DeploymentEvent],
        summary: "A deployment of {service|the service} is in progress ({event_reason|no reason given}).",
        steps: &[],
    },
    Rule {
        id: "deployment-completed",
        category: DeploymentCompleted,
        headline: "Deployment completed",
        trigger: Trigger::Deployment { event_name: "SERVICE_DEPLOYMENT_COMPLETED", reason: None },
        detects: "SERVICE_DEPLOYMENT_COMPLETED.",
        why: "The deployment reached its desired state.",
        fix: "Nothing to fix.",
        reads: &[Fact::DeploymentEvent],
        summary: "The deployment of {service|the service} completed ({event_reason|no reason given}).",
        steps: &[],
    },
    Rule {
        id: "steady-state",
        category: SteadyState,
        headline: "Steady state",
        trigger: Trigger::ServiceAction { event_name: r"^(SERVICE|TASKSET|CAPACITY_PROVIDER)_STEADY_STATE$", reason: None },
        detects: "SERVICE_STEADY_STATE, TASKSET_STEADY_STATE or CAPACITY_PROVIDER_STEADY_STATE.",
        why: "The service runs its desired count of healthy tasks.",
        fix: "Nothing to fix.",
        reads: &[Fact::ServiceActionEvent],
        summary: "{service|The service} reached a steady state.",
        steps: &[],
    },
    Rule {
        id: "placement-eni-or-ip",
        category: PlacementEniOrIp,
        headline: "No ENI or IP to place tasks",
        trigger: Trigger::ServiceAction { event_name: r"PLACEMENT_FAILURE", reason: Some(r"RESOURCE:ENI|\bIP\b|address") },
        detects: "SERVICE_TASK_PLACEMENT_FAILURE with reason RESOURCE:ENI: no instance has an ENI attachment point left, or the subnets have no free IP.",
        why: "awsvpc tasks need one ENI and one IP each. EC2 instances run out of ENI slots quickly (a c5.large has 3); small subnets run out of addresses.",
        fix: "On EC2 enable awsvpcTrunking or use bridge networking; use larger subnets (/20 or more) or add subnets to the service.",
        reads: &[Fact::ServiceActionEvent, Fact::ServiceEvents],
        summary: "{service|The service} cannot place tasks: no network interface or IP address is available ('{event_reason}').",
        steps: &[SUBNET_IPS, SERVICE_EVENTS],
    },
    Rule {
        id: "placement-resources",
        category: PlacementResources,
        headline: "No capacity to place tasks",
        trigger: Trigger::ServiceAction { event_name: r"PLACEMENT_FAILURE", reason: Some(r"RESOURCE:") },
        detects: "SERVICE_TASK_PLACEMENT_FAILURE with reason RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:FARGATE, RESOURCE:GPU or RESOURCE:PORTS.",
        why: "No container instance has the CPU, memory, GPU or ports the task needs, or Fargate has no capacity of that kind in the AZ right now.",
        fix: "EC2: add capacity, or let a capacity provider with managed scaling add it; right-size the task. Fargate: retry, spread across more AZs, or mix in FARGATE_SPOT / another size.",
        reads: &[Fact::ServiceActionEvent, Fact::ServiceEvents],
        summary: "{service|The service} cannot place tasks for lack of capacity ('{event_reason}').",
        steps: &[CONTAINER_INSTANCES, CAPACITY_STRATEGY, SERVICE_EVENTS],
    },
    Rule {
        id: "placement-constraint",
        category: PlacementConstraint,
        headline: "No instance meets the constraints",
        trigger: Trigger::ServiceAction { event_name: r"PLACEMENT_FAILURE|DAEMON_PLACEMENT_CONSTRAINT_VIOLATED", reason: Some(r"ATTRIBUTE|CONSTRAINT|^$") },
        detects: "SERVICE_TASK_PLACEMENT_FAILURE with reason ATTRIBUTE, or SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED.",
        why: "No instance has the attributes the task requires (requiresAttributes: a Docker remote API version, a log driver, an instance type) or satisfies the placement constraints.",
        fix: "Relax the constraint, or launch instances that satisfy it (newer ECS-optimized AMI and agent for ecs.capability.* attributes).",
        reads: &[Fact::ServiceActionEvent, Fact::TaskDefinition],
        summary: "{service|The service} cannot place tasks: no instance satisfies the task's constraints or attributes ('{event_reason|no reason given}').",
        steps: &[step("Read the task definition's constraints and required attributes", "aws ecs describe-task-definition --task-definition {task_definition|{service}} --region {region} --query 'taskDefinition.{placementConstraints:placementConstraints,requiresAttributes:requiresAttributes}'"), CONTAINER_INSTANCES],
    },
    Rule {
        id: "placement-agent",
        category: AgentDisconnected,
        headline: "ECS agents disconnected",
        trigger: Trigger::ServiceAction { event_name: r"PLACEMENT_FAILURE", reason: Some(r"AGENT") },
        detects: "SERVICE_TASK_PLACEMENT_FAILURE with reason AGENT: the candidate instances' ECS agents are disconnected.",
        why: "The agents cannot reach ECS (network, instance role) or have stopped.",
        fix: "Look at agentConnected on the container instances; restart the agent or replace the instances.",
        reads: &[Fact::ServiceActionEvent],
        summary: "{service|The service} cannot place tasks because the ECS agents on its instances are disconnected.",
        steps: &[CONTAINER_INSTANCES],
    },
    Rule {
        id: "task-start-impaired",
        category: TaskStartImpaired,
        headline: "Tasks keep failing to start",
        trigger: Trigger::ServiceAction { event_name: r"TASK_START_IMPAIRED", reason: None },
        detects: "SERVICE_TASK_START_IMPAIRED: the service has been unable to start tasks consistently.",
        why: "Every task it starts fails; the stopped tasks say why (the root cause below).",
        fix: "Fix the cause the stopped tasks show; then the service recovers by itself.",
        reads: &[Fact::ServiceActionEvent, Fact::SiblingTasks, Fact::LogLines],
        summary: "{service|The service} is unable to start tasks consistently.",
        steps: &[STOPPED_TASKS, SERVICE_EVENTS],
    },
    Rule {
        id: "service-action-other",
        category: Other,
        headline: "Service event",
        trigger: Trigger::ServiceAction { event_name: r".", reason: None },
        detects: "Any other service action event (ECS_OPERATION_THROTTLED, SERVICE_DISCOVERY_INSTANCE_UNHEALTHY, SERVICE_TASK_CONFIGURATION_FAILURE, …).",
        why: "ECS reported a service-level problem ecs-doctor has no specific rule for; the event is quoted.",
        fix: "Read the event name and reason; the service's events say more.",
        reads: &[Fact::ServiceActionEvent, Fact::ServiceEvents],
        summary: "{service|The service} reported {event_name}{event_reason_suffix|}.",
        steps: &[SERVICE_EVENTS],
    },
    // ---- fallback ----
    Rule {
        id: "unrecognized",
        category: Other,
        headline: "Task stopped",
        trigger: Trigger::Fallback,
        detects: "A stop that no other rule explains.",
        why: "ecs-doctor does not recognise the reasons ECS gave; they are quoted as is, never guessed at.",
        fix: "Read the quoted reasons; open an issue with them so a rule can be added.",
        reads: &[Fact::StopCode, Fact::StoppedReason, Fact::ContainerReason, Fact::ExitCode],
        summary: "Task {task_id|} stopped ({stop_code|no stopCode}): '{stopped_reason|no reason given}'. ecs-doctor has no rule for this; the raw reasons are quoted below.",
        steps: &[DESCRIBE_TASK, TAIL_LOGS],
    },
];

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

/// The rules of one category, in catalog order.
pub fn rules_for(category: Category) -> impl Iterator<Item = &'static Rule> {
    RULES.iter().filter(move |rule| rule.category == category)
}
