//! The grammar of an ECS error: every message is read for its **phase** (where it failed:
//! pulling the image, fetching the registry credentials or the secrets, starting the log
//! driver, mounting a volume, creating or starting the container, placing the task, the
//! deployment…) and its **cause** (not found, access denied, unreachable, throttled, no space,
//! another platform…). The same cause reads the same in every phase and every wording (the
//! agent, containerd, Docker and Fargate each phrase a pull their own way); the phase decides
//! what the cause means. The rules (`rules/`) are declared over (phase, cause) pairs.
//!
//! One pass over the lowercased message: at each position the longest marker that starts there
//! (leftmost-longest), found by binary search in the markers sorted once; nothing else is built
//! at start-up (an Aho-Corasick automaton cost half a millisecond of the first event). A compound
//! marker carries several signals (`pull access denied` is a pull and a denial).

use std::sync::LazyLock;

/// Where an error happened. The most specific phase named in a message is its phase (an outer
/// `ResourceInitializationError:` wraps an inner `failed to validate logger args:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Wrappers that name no phase of their own (`ResourceInitializationError`, the daemon).
    Generic,
    /// `unable to pull secrets or registry auth`: one of the two, not said which.
    SecretsOrRegistryAuth,
    /// The container runtime creating or starting the container.
    ContainerRuntime,
    /// Running the container's entrypoint or command (`exec: …`, `exec user process …`).
    Exec,
    ImagePull,
    Placement,
    Deployment,
    Infrastructure,
    /// Fetching the registry credentials (ECR authorization token, repositoryCredentials).
    RegistryAuth,
    /// Fetching secrets and parameters (Secrets Manager, SSM Parameter Store).
    Secrets,
    /// Starting the log driver (awslogs, FireLens, Fluentd).
    LogDriver,
    Volume,
    NetworkInterface,
    /// Mounting an EFS file system (efs-utils, NFS).
    Efs,
}

impl Phase {
    /// How specific a phase marker is: the most specific phase of a message wins.
    const fn rank(self) -> u8 {
        match self {
            Phase::Generic => 0,
            Phase::SecretsOrRegistryAuth => 1,
            Phase::ContainerRuntime => 2,
            Phase::ImagePull | Phase::Exec => 3,
            Phase::Placement | Phase::Deployment | Phase::Infrastructure => 4,
            Phase::RegistryAuth | Phase::Secrets => 5,
            Phase::LogDriver | Phase::Volume | Phase::NetworkInterface => 6,
            Phase::Efs => 7,
        }
    }

    /// "the image pull", for "… failed for a reason ecs-doctor does not know".
    pub const fn label(self) -> &'static str {
        match self {
            Phase::Generic => "preparing the task",
            Phase::SecretsOrRegistryAuth => "fetching the secrets or the registry credentials",
            Phase::ContainerRuntime => "creating or starting the container",
            Phase::Exec => "running the container's entrypoint",
            Phase::ImagePull => "the image pull",
            Phase::Placement => "placing the task",
            Phase::Deployment => "the deployment",
            Phase::Infrastructure => "the infrastructure under the task",
            Phase::RegistryAuth => "fetching the registry credentials",
            Phase::Secrets => "fetching the secrets",
            Phase::LogDriver => "starting the log driver",
            Phase::Volume => "mounting a volume",
            Phase::NetworkInterface => "attaching the network interface",
            Phase::Efs => "mounting the EFS file system",
        }
    }
}

/// Why it failed. Declared strongest first: when a message names several causes, the first one
/// here decides (`no space left on device` while pulling is about the disk, not the pull).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cause {
    /// ECS's infrastructure role (load balancers, EBS, VPC Lattice) cannot be assumed or lacks
    /// permissions: named before access-denied causes, which it explains.
    InfrastructureRole,
    /// A blue/green, linear or canary deployment's listener rules or target groups.
    TrafficConfig,
    /// The rollback itself failed.
    RollbackFailed,
    /// An EBS volume (or Fargate ephemeral storage) of the task.
    Ebs,
    /// A managed daemon's task.
    DaemonTask,
    NoSpace,
    /// An image for another CPU architecture or OS (`exec format error`, no matching manifest).
    Platform,
    Oom,
    RateLimit,
    Kms,
    Quota,
    Throttled,
    /// ECS cannot assume the task or execution role.
    AssumeRole,
    /// No credentials at all (`NoCredentialProviders`, `Unable to locate credentials`).
    NoCredentials,
    AccessDenied,
    NotFound,
    /// A value that exists but cannot be used: malformed, invalid, empty.
    Invalid,
    /// A required setting missing or unparsable (logs: `KeyError: 'X'`, `unbound variable`).
    Config,
    ExecNotFound,
    Permission,
    /// The network: timeouts, refused and reset connections, DNS.
    Network,
    /// A timeout without a network word (`Could not transition to created; timed out`).
    Timeout,
    Capacity,
    Eni,
    Constraint,
    Agent,
    /// "no container instance met all of its requirements", with nothing more specific.
    NoInstanceFits,
    ElbHealth,
    ContainerHealth,
    DiscoveryHealth,
    Spot,
    HostGone,
    InfrastructureHealth,
    Maintenance,
    DeploymentBlocked,
    StartImpaired,
    Alarm,
    LifecycleHook,
    RolledBack,
    DeploymentFailed,
    Segfault,
    /// An unhandled exception or panic (logs).
    Crash,
    // What is no failure comes last: a failure named in the same message wins.
    UserStop,
    ScaledByScheduler,
    Started,
    SteadyState,
    DeploymentCompleted,
    DeploymentInProgress,
}

#[derive(Debug, Clone, Copy)]
enum Signal {
    Phase(Phase),
    Cause(Cause),
}

struct Marker {
    text: &'static str,
    /// Only as a whole word (`ENI` is not `generic`).
    word: bool,
    /// A wrapper: its phase is as weak as `Generic` (`was unable to place a task. Reason: X`
    /// is about X when X names a phase of its own).
    weak: bool,
    /// Only as the whole text (a placement failure's reason `AGENT`).
    whole: bool,
    signals: &'static [Signal],
}

const fn l(text: &'static str, signals: &'static [Signal]) -> Marker {
    Marker {
        text,
        word: false,
        weak: false,
        whole: false,
        signals,
    }
}

const fn w(text: &'static str, signals: &'static [Signal]) -> Marker {
    Marker {
        word: true,
        ..l(text, signals)
    }
}

const fn wrapper(text: &'static str, signals: &'static [Signal]) -> Marker {
    Marker {
        weak: true,
        ..l(text, signals)
    }
}

const fn whole(text: &'static str, signals: &'static [Signal]) -> Marker {
    Marker {
        whole: true,
        ..l(text, signals)
    }
}

use Cause as C;
use Phase as P;
use Signal::{Cause as Ca, Phase as Ph};

const PULL: &[Signal] = &[Ph(P::ImagePull)];
const RUNTIME: &[Signal] = &[Ph(P::ContainerRuntime)];
const EXEC: &[Signal] = &[Ph(P::Exec)];
const EFS: &[Signal] = &[Ph(P::Efs)];
const REGISTRY: &[Signal] = &[Ph(P::RegistryAuth)];
const SECRETS: &[Signal] = &[Ph(P::Secrets)];
const LOGDRIVER: &[Signal] = &[Ph(P::LogDriver)];
const VOLUME: &[Signal] = &[Ph(P::Volume)];
const ENI: &[Signal] = &[Ph(P::NetworkInterface)];
const PLACEMENT: &[Signal] = &[Ph(P::Placement)];
const DEPLOYMENT: &[Signal] = &[Ph(P::Deployment)];
const INFRA: &[Signal] = &[Ph(P::Infrastructure)];
const GENERIC: &[Signal] = &[Ph(P::Generic)];

/// Every marker, lower case (matching ignores ASCII case).
#[rustfmt::skip]
static MARKERS: &[Marker] = &[
    // ---- phases ----
    l("resourceinitializationerror", GENERIC),
    l("error response from daemon", GENERIC),
    // The daemon's GETs are registry calls.
    l("error response from daemon: get ", PULL), l("api error (500): get ", PULL),
    l("taskfailedtostart", GENERIC),
    l("unable to pull secrets or registry auth", &[Ph(P::SecretsOrRegistryAuth)]),
    l("secrets or registry auth", &[Ph(P::SecretsOrRegistryAuth)]),
    l("execution resource retrieval failed", &[Ph(P::SecretsOrRegistryAuth)]),
    l("cannotstartcontainererror", RUNTIME), l("cannotcreatecontainererror", RUNTIME),
    l("cannotinspectcontainererror", &[Ph(P::ContainerRuntime), Ca(C::Timeout)]),
    l("cannotstopcontainererror", RUNTIME), l("dockerstateerror", RUNTIME),
    l("dockertimeouterror", &[Ph(P::ContainerRuntime), Ca(C::Timeout)]),
    l("containerruntimetimeouterror", &[Ph(P::ContainerRuntime), Ca(C::Timeout)]),
    l("could not transition to", &[Ph(P::ContainerRuntime), Ca(C::Timeout)]),
    l("could not tranisition to", &[Ph(P::ContainerRuntime), Ca(C::Timeout)]),
    l("oci runtime", RUNTIME), l("runc create failed", RUNTIME), l("failed to create shim", RUNTIME),
    l("starting container process", EXEC), l("container init", RUNTIME),
    l("failed to create new container runtime task", RUNTIME), l("unable to create new container", RUNTIME),
    l("exec user process", EXEC), l("standard_init_linux", EXEC), l("exec:", EXEC),
    l("exec /", EXEC), w("execve", EXEC), l("failed to exec", EXEC), l("can't execute", EXEC),
    l("/bin/sh:", EXEC), l("/bin/bash:", EXEC), l("/bin/ash:", EXEC), l("container command", EXEC),
    l("sh: 1:", EXEC),
    l("cannotpullcontainererror", PULL), l("cannotpullecrcontainererror", PULL),
    l("pull image", PULL), l("pulling image", PULL), l("pull command failed", PULL), l("image pull", PULL),
    // The ECS docs tie this containerd crash to a pull that cannot reach S3 for the layers
    // (CannotPullContainer errors: "pull command failed: panic: runtime error").
    l("pull command failed: panic", &[Ph(P::ImagePull), Ca(C::Network)]),
    l("pull the image", PULL), l("cannot pull", PULL), l("can't pull", PULL), l("can\u{2019}t pull", PULL),
    l("failed to resolve ref", PULL), l("manifest for", PULL), l("error pulling image", PULL),
    l("ref pull", PULL), l("failed to copy", PULL), l("failed to extract layer", PULL),
    l("failed to register layer", PULL), l("inspect image", PULL), l("from the registry", PULL),
    l("docker login", PULL), l("image manifest", PULL), l("dkr.ecr.", PULL), l("registry-1.docker.io", PULL),
    l("/manifests/", PULL), l("error response from daemon: head ", PULL),
    l("error response from daemon: unauthorized", &[Ph(P::ImagePull), Ca(C::AccessDenied)]),
    l("invalid reference format", &[Ph(P::ImagePull), Ca(C::Invalid)]),
    l("normalize image reference", &[Ph(P::ImagePull), Ca(C::Invalid)]),
    l("failed to authorize", REGISTRY), l("anonymous token", REGISTRY),
    l("pull access denied", &[Ph(P::ImagePull), Ca(C::AccessDenied)]),
    l("manifest unknown", &[Ph(P::ImagePull), Ca(C::NotFound)]),
    l("registry auth", REGISTRY), l("ecr registry auth", REGISTRY), l("getauthorizationtoken", REGISTRY),
    l("authorization data", REGISTRY), l("fetching username", REGISTRY), l("asm fetching", REGISTRY),
    l("repositorycredentials", REGISTRY), l("private registry", REGISTRY), l("registry credentials", REGISTRY),
    l("retrieve secret", SECRETS), l("secret from asm", SECRETS), l("secrets from ssm", SECRETS),
    l("secrets manager", SECRETS), l("secretsmanager", SECRETS), l("ssm parameter", SECRETS),
    l("parameter store", SECRETS), l("getparameters", SECRETS), l("getparameter", SECRETS),
    l("getsecretvalue", SECRETS), l("fetching secret", SECRETS), l("fetch secret", SECRETS),
    l("pull the secret", SECRETS), l("pull secrets from", SECRETS), l("secret with arn", SECRETS),
    l("systems manager", SECRETS), l("the secret", SECRETS),
    // Environment files are fetched from S3 by the execution role before the containers
    // start, like the secrets.
    l("env files", SECRETS), l("environment file", SECRETS), l("environmentfiles", SECRETS),
    l("invalid ssm parameters", &[Ph(P::Secrets), Ca(C::Invalid)]),
    l("logging driver", LOGDRIVER), l("logger args", LOGDRIVER), l("log driver", LOGDRIVER),
    l("logdriver", LOGDRIVER), l("log stream", LOGDRIVER), l("log group", LOGDRIVER), w("awslogs", LOGDRIVER),
    l("firelens", LOGDRIVER), l("fluentd", LOGDRIVER), l("fluent bit", LOGDRIVER), l("cloudwatch log", LOGDRIVER),
    w("efs", EFS), l("efs-utils", EFS), l("efs utils", EFS), l("mount.nfs", EFS), w("nfs4", EFS), w("nfs", EFS),
    l("mount target", EFS), l("elasticfilesystem", EFS), l(".efs.", EFS), l("volumedriver", VOLUME),
    l("cannotcreatevolumeerror", VOLUME), l("mounting volume", VOLUME), w("volume", VOLUME), l("bind mount", VOLUME),
    l("network interface", ENI), w("eni", ENI), l("eni plugin", ENI), l("network namespace", ENI), l("cni setup", ENI),
    l("insufficientfreeaddressesinsubnet", &[Ph(P::NetworkInterface), Ca(C::Eni)]),
    l("attach network interface", &[Ph(P::NetworkInterface), Ca(C::Eni)]),
    wrapper("unable to place a task", PLACEMENT),
    l("no container instance met all of its requirements", &[Ph(P::Placement), Ca(C::NoInstanceFits)]),
    l("no container instance met", &[Ph(P::Placement), Ca(C::NoInstanceFits)]),
    wrapper("unable to reach steady state", DEPLOYMENT),
    l("closest matching container-instance", PLACEMENT), l("closest matching (container-instance", PLACEMENT),
    l("placement constraint", &[Ph(P::Placement), Ca(C::Constraint)]),
    l("capacity provider", PLACEMENT), l("unable to launch", PLACEMENT),
    l("resource:eni", &[Ph(P::Placement), Ca(C::Eni)]),
    l("resource:", &[Ph(P::Placement), Ca(C::Capacity)]),
    l("capacity is unavailable", &[Ph(P::Placement), Ca(C::Capacity)]),
    l("no container instances were found", &[Ph(P::Placement), Ca(C::Capacity)]),
    l("empty capacity provider", &[Ph(P::Placement), Ca(C::Capacity)]),
    l("circuit breaker", DEPLOYMENT), l("(deployment", DEPLOYMENT), l("deployment ecs-svc", DEPLOYMENT),
    l("rolling back", &[Ph(P::Deployment), Ca(C::RolledBack)]),
    l("rolled back", &[Ph(P::Deployment), Ca(C::RolledBack)]),
    w("rollback", &[Ph(P::Deployment), Ca(C::RolledBack)]),
    l("deployment failed", &[Ph(P::Deployment), Ca(C::DeploymentFailed)]),
    l("tasks failed to start", &[Ca(C::DeploymentFailed)]),
    l("task failed to start", &[Ca(C::DeploymentFailed)]),
    l("deployment completed", &[Ph(P::Deployment), Ca(C::DeploymentCompleted)]),
    l("lifecycle hook", &[Ph(P::Deployment), Ca(C::LifecycleHook)]),
    l("hook execution failure", &[Ph(P::Deployment), Ca(C::LifecycleHook)]),
    l("pause hook timed out", &[Ph(P::Deployment), Ca(C::LifecycleHook)]),
    l("hook target", &[Ph(P::Deployment), Ca(C::LifecycleHook)]),
    l("hookstatus must not be null", &[Ph(P::Deployment), Ca(C::LifecycleHook)]),
    l("invalid networking configuration", &[Ph(P::Deployment), Ca(C::TrafficConfig)]),
    l("listener rule", &[Ph(P::Deployment), Ca(C::TrafficConfig)]),
    l("listenerrule", &[Ph(P::Deployment), Ca(C::TrafficConfig)]),
    l("exactly one target group", &[Ph(P::Deployment), Ca(C::TrafficConfig)]),
    l("unexpected target group", &[Ph(P::Deployment), Ca(C::TrafficConfig)]),
    l("alternate target group", &[Ph(P::Deployment), Ca(C::TrafficConfig)]),
    l("alternatetargetgroup", &[Ph(P::Deployment), Ca(C::TrafficConfig)]),
    l("advancedconfiguration", &[Ph(P::Deployment), Ca(C::TrafficConfig)]),
    l("infrastructure role", &[Ca(C::InfrastructureRole)]),
    l("ecsnetworkingwithelb", &[Ca(C::InfrastructureRole)]),
    l("ecsnetworkingwithvpclattice", &[Ca(C::InfrastructureRole)]),
    l("ecstaskvolumesforebs", &[Ca(C::InfrastructureRole)]),
    l("unable to manage the elb resources", &[Ph(P::Deployment), Ca(C::InfrastructureRole)]),
    // The session ECS opens with the infrastructure role to manage a service's load balancers.
    l("/ecs-service-scheduler is not authorized", &[Ca(C::InfrastructureRole)]),
    l("could not launch", &[Ph(P::Placement), Ca(C::Capacity)]),
    l("provisioning capacity limit", &[Ph(P::Placement), Ca(C::Capacity)]),
    l("no rollback candidate", &[Ph(P::Deployment), Ca(C::RollbackFailed)]),
    l("rollback_failed", &[Ph(P::Deployment), Ca(C::RollbackFailed)]),
    l("rollback failed", &[Ph(P::Deployment), Ca(C::RollbackFailed)]),
    l("ebs volume", &[Ph(P::Volume), Ca(C::Ebs)]),
    l("amazonelasticblockstorage", &[Ph(P::Volume), Ca(C::Ebs)]),
    l("ephemeral storage", &[Ph(P::Volume), Ca(C::Ebs)]),
    l("instance draining", &[Ph(P::Infrastructure), Ca(C::HostGone)]),
    l("daemon task", &[Ca(C::DaemonTask)]),
    l("task_failed_to_run", &[Ca(C::DaemonTask)]), l("task_creation_failed", &[Ca(C::DaemonTask)]),
    l("container_runtime:", &[Ph(P::Infrastructure), Ca(C::InfrastructureHealth)]),
    l("accelerated_compute:", &[Ph(P::Infrastructure), Ca(C::InfrastructureHealth)]),
    l("agent_connectivity:", &[Ca(C::Agent)]),
    l("host ec2", &[Ph(P::Infrastructure), Ca(C::HostGone)]),
    l("container instance deregistration", INFRA),
    // ---- causes ----
    l("no space left on device", &[Ca(C::NoSpace)]), l("thin pool has", &[Ca(C::NoSpace)]),
    l("free data blocks", &[Ca(C::NoSpace)]), l("disk quota exceeded", &[Ca(C::NoSpace)]),
    l("insufficient disk", &[Ca(C::NoSpace)]), l("no space left", &[Ca(C::NoSpace)]),
    l("exec format error", &[Ca(C::Platform)]), l("descriptor matching platform", &[Ca(C::Platform)]),
    l("no matching manifest for", &[Ca(C::Platform)]), l("does not match the specified platform", &[Ca(C::Platform)]),
    l("image's platform", &[Ca(C::Platform)]), l("image platform", &[Ca(C::Platform)]),
    l("no descriptor for platform", &[Ca(C::Platform)]), l("platform (linux/", &[Ca(C::Platform)]),
    l("operating system is not supported", &[Ca(C::Platform)]), l("cannot be used on this platform", &[Ca(C::Platform)]),
    l("does not match the host operating system", &[Ca(C::Platform)]), l("0xc0370101", &[Ca(C::Platform)]),
    l("image operating system", &[Ca(C::Platform)]), l("image is incompatible with", &[Ca(C::Platform)]),
    l("outofmemory", &[Ca(C::Oom)]), l("out of memory", &[Ca(C::Oom)]), l("oom-kill", &[Ca(C::Oom)]),
    l("oom kill", &[Ca(C::Oom)]), l("oomkill", &[Ca(C::Oom)]), l("killed due to memory usage", &[Ca(C::Oom)]),
    l("cannot allocate memory", &[Ca(C::Oom)]), l("heap out of memory", &[Ca(C::Oom)]), w("memoryerror", &[Ca(C::Oom)]),
    l("bad_alloc", &[Ca(C::Oom)]), l("memory allocation of", &[Ca(C::Oom)]), l("init was oom", &[Ca(C::Oom)]),
    l("heap limit allocation failed", &[Ca(C::Oom)]), l("java.lang.outofmemoryerror", &[Ca(C::Oom)]),
    l("last few gcs", &[Ca(C::Oom)]), l("mark-compacts near heap limit", &[Ca(C::Oom)]),
    l("toomanyrequests", &[Ca(C::RateLimit)]), l("too many requests", &[Ca(C::RateLimit)]),
    l("pull rate limit", &[Ca(C::RateLimit)]), l("rate limit", &[Ca(C::RateLimit)]), w("429", &[Ca(C::RateLimit)]),
    w("kms", &[Ca(C::Kms)]), l("kms:decrypt", &[Ca(C::Kms)]), l("customer master key", &[Ca(C::Kms)]),
    l("kmsaccessdenied", &[Ca(C::Kms)]), l("kmsinvalidstate", &[Ca(C::Kms)]), l("kmsdisabled", &[Ca(C::Kms)]),
    l("reached the limit", &[Ca(C::Quota)]), l("above your limit", &[Ca(C::Quota)]),
    l("limit on the number of", &[Ca(C::Quota)]), l("service quota", &[Ca(C::Quota)]),
    l("quota exceeded", &[Ca(C::Quota)]), l("limitexceeded", &[Ca(C::Quota)]),
    w("throttled", &[Ca(C::Throttled)]), w("throttling", &[Ca(C::Throttled)]), l("throttlingexception", &[Ca(C::Throttled)]),
    l("rate exceeded", &[Ca(C::Throttled)]), l("requestlimitexceeded", &[Ca(C::Throttled)]),
    l("unable to assume the role", &[Ca(C::AssumeRole)]), l("unable to assume role", &[Ca(C::AssumeRole)]),
    l("trust relationship", &[Ca(C::AssumeRole)]), l("was unable to assume", &[Ca(C::AssumeRole)]),
    l("unable to locate credentials", &[Ca(C::NoCredentials)]), l("nocredentialproviders", &[Ca(C::NoCredentials)]),
    l("no valid providers in chain", &[Ca(C::NoCredentials)]), l("could not load credentials", &[Ca(C::NoCredentials)]),
    l("failed to load credentials", &[Ca(C::NoCredentials)]), l("credentialsendpointerror", &[Ca(C::NoCredentials)]),
    l("credentialsprovidererror", &[Ca(C::NoCredentials)]), l("missing credentials", &[Ca(C::NoCredentials)]),
    l("unable to load credentials", &[Ca(C::NoCredentials)]), l("/.aws/credentials", &[Ca(C::NoCredentials)]),
    l("credentials document", &[Ca(C::NoCredentials)]), l("instance credentials", &[Ca(C::NoCredentials)]),
    l("find aws credentials", &[Ca(C::NoCredentials)]), l("load aws credentials", &[Ca(C::NoCredentials)]),
    l("security-credentials", &[Ca(C::NoCredentials)]), l("169.254.170.2", &[Ca(C::NoCredentials)]),
    l("no credentials", &[Ca(C::NoCredentials)]), l("credential provider", &[Ca(C::NoCredentials)]),
    l("accessdenied", &[Ca(C::AccessDenied)]), l("access denied", &[Ca(C::AccessDenied)]),
    l("not authorized", &[Ca(C::AccessDenied)]), w("unauthorized", &[Ca(C::AccessDenied)]),
    w("forbidden", &[Ca(C::AccessDenied)]), w("403", &[Ca(C::AccessDenied)]), w("401", &[Ca(C::AccessDenied)]),
    l("no basic auth credentials", &[Ca(C::AccessDenied)]), l("authentication required", &[Ca(C::AccessDenied)]),
    l("denied:", &[Ca(C::AccessDenied)]), l("requested access to the resource is denied", &[Ca(C::AccessDenied)]),
    l("permissions to pull", &[Ca(C::AccessDenied)]), l("has the permissions", &[Ca(C::AccessDenied)]),
    l("expiredtoken", &[Ca(C::AccessDenied)]), l("invalidclienttokenid", &[Ca(C::AccessDenied)]),
    l("unrecognizedclientexception", &[Ca(C::AccessDenied)]), l("security token included in the request is invalid", &[Ca(C::AccessDenied)]),
    l("failed to refresh cached credentials", &[Ca(C::AccessDenied)]), l("signaturedoesnotmatch", &[Ca(C::AccessDenied)]),
    l("not found", &[Ca(C::NotFound)]), l("does not exist", &[Ca(C::NotFound)]), l("doesn't exist", &[Ca(C::NotFound)]),
    l("name unknown", &[Ca(C::NotFound)]), l("no such image", &[Ca(C::NotFound)]), l("notfound", &[Ca(C::NotFound)]),
    l("can't find", &[Ca(C::NotFound)]), l("cannot find", &[Ca(C::NotFound)]), l("could not find", &[Ca(C::NotFound)]),
    l("unable to find", &[Ca(C::NotFound)]), l("unknown blob", &[Ca(C::NotFound)]), w("404", &[Ca(C::NotFound)]),
    l("no such file", &[Ca(C::NotFound)]), l("can't retrieve the secret", &[Ca(C::NotFound)]),
    l("invalidparameter", &[Ca(C::Invalid)]), l("validationexception", &[Ca(C::Invalid)]), l("malformed", &[Ca(C::Invalid)]),
    l("invalid schema", &[Ca(C::Invalid)]), l("unable to unmarshal", &[Ca(C::Invalid)]), l("invalid character", &[Ca(C::Invalid)]),
    l("empty secrets value", &[Ca(C::Invalid)]), l("empty field", &[Ca(C::Invalid)]), l("is not a valid", &[Ca(C::Invalid)]),
    l("invalid arn", &[Ca(C::Invalid)]), l("invalid parameter", &[Ca(C::Invalid)]), l("invalid json", &[Ca(C::Invalid)]),
    l("cannot unmarshal", &[Ca(C::Invalid)]), l("invalid secret", &[Ca(C::Invalid)]),
    l("did not contain json key", &[Ph(P::Secrets), Ca(C::NotFound)]), l("json key", &[Ca(C::NotFound)]),
    l("executable file not found", &[Ca(C::ExecNotFound)]), l("command not found", &[Ca(C::ExecNotFound)]),
    l("not found or does not exist", &[Ca(C::ExecNotFound)]), l("is a directory", &[Ca(C::ExecNotFound)]),
    l("permission denied", &[Ca(C::Permission)]), l("operation not permitted", &[Ca(C::Permission)]),
    l("i/o timeout", &[Ca(C::Network)]), l("dial tcp", &[Ca(C::Network)]), l("no such host", &[Ca(C::Network)]),
    l("deadline exceeded", &[Ca(C::Network)]), l("connection reset", &[Ca(C::Network)]),
    l("connection refused", &[Ca(C::Network)]), l("request canceled", &[Ca(C::Network)]),
    l("context canceled", &[Ca(C::Network)]), l("requestcanceled", &[Ca(C::Network)]),
    l("tls handshake", &[Ca(C::Network)]), l("network is unreachable", &[Ca(C::Network)]),
    l("send request failed", &[Ca(C::Network)]), w("requesterror", &[Ca(C::Network)]),
    l("connection issue", &[Ca(C::Network)]), l("client.timeout", &[Ca(C::Network)]),
    l("failed to do request", &[Ca(C::Network)]), w("econnrefused", &[Ca(C::Network)]),
    w("etimedout", &[Ca(C::Network)]), w("enotfound", &[Ca(C::Network)]), w("eai_again", &[Ca(C::Network)]),
    w("econnreset", &[Ca(C::Network)]), w("ehostunreach", &[Ca(C::Network)]),
    l("getaddrinfo", &[Ca(C::Network)]), l("name or service not known", &[Ca(C::Network)]),
    l("could not connect", &[Ca(C::Network)]), l("couldn't connect", &[Ca(C::Network)]),
    l("can't connect", &[Ca(C::Network)]), l("unable to connect", &[Ca(C::Network)]),
    l("connection timed out", &[Ca(C::Network)]), l("connect timeout", &[Ca(C::Network)]),
    l("socket hang up", &[Ca(C::Network)]), l("temporary failure in name resolution", &[Ca(C::Network)]),
    l("no route to host", &[Ca(C::Network)]), l("host unreachable", &[Ca(C::Network)]),
    l("network configuration", &[Ca(C::Network)]), l("request timed out", &[Ca(C::Network)]),
    l("network connection", &[Ca(C::Network)]), l("communications link failure", &[Ca(C::Network)]),
    l("could not translate host name", &[Ca(C::Network)]), l("connection to server at", &[Ca(C::Network)]),
    l("timeout acquiring a connection", &[Ca(C::Network)]), l("connecting with your hostname", &[Ca(C::Network)]),
    l("databaseconnectionerror", &[Ca(C::Network)]), l("mongoserverselectionerror", &[Ca(C::Network)]),
    l("mongonetworkerror", &[Ca(C::Network)]), l("sequelizeconnection", &[Ca(C::Network)]),
    l("too many connections", &[Ca(C::Network)]), l("password authentication failed for user", &[Ca(C::Network)]),
    l("access denied for user '", &[Ca(C::Network)]), l("connectiontimeouterror", &[Ca(C::Network)]),
    l("connecttimeouterror", &[Ca(C::Network)]), l("can't reach", &[Ca(C::Network)]), l("cannot reach", &[Ca(C::Network)]),
    l("unable to reach", &[Ca(C::Network)]), l("failed to connect", &[Ca(C::Network)]), l("not possible to connect", &[Ca(C::Network)]),
    l("cannotconnect", &[Ca(C::Network)]), l("connectionerror", &[Ca(C::Network)]), l("connection error", &[Ca(C::Network)]),
    l("connectionexception", &[Ca(C::Network)]), l("connection attempt failed", &[Ca(C::Network)]), l("connection failed", &[Ca(C::Network)]),
    l("pool timed out", &[Ca(C::Network)]), l("pooltimedout", &[Ca(C::Network)]), l("waiting for an open connection", &[Ca(C::Network)]),
    w("nxdomain", &[Ca(C::Network)]), l("host not found", &[Ca(C::Network)]), l("unreachable", &[Ca(C::Network)]),
    l("pg_hba.conf", &[Ca(C::Network)]), l("error connecting to", &[Ca(C::Network)]), l("unknown host", &[Ca(C::Network)]),
    l("unknownhostexception", &[Ca(C::Network)]), l("connection closed", &[Ca(C::Network)]), l("server selection timed out", &[Ca(C::Network)]),
    l("timed out", &[Ca(C::Timeout)]), w("timeout", &[Ca(C::Timeout)]),
    l("insufficient", &[Ca(C::Capacity)]), l("already using a port", &[Ca(C::Capacity)]),
    l("port is already allocated", &[Ca(C::Capacity)]), l("address already in use", &[Ca(C::Capacity)]),
    l("failed programming external connectivity", &[Ca(C::Capacity)]), l("bind for 0.0.0.0", &[Ca(C::Capacity)]),
    l("has no ", &[Ca(C::Capacity)]),
    l("free ip", &[Ca(C::Eni)]), l("free addresses", &[Ca(C::Eni)]),
    l("missing an attribute", &[Ca(C::Constraint)]), l("attribute required", &[Ca(C::Constraint)]),
    w("attribute", &[Ca(C::Constraint)]), w("constraint", &[Ca(C::Constraint)]), l("memberof", &[Ca(C::Constraint)]),
    l("distinctinstance", &[Ca(C::Constraint)]),
    l("\"agent\"", &[Ca(C::Agent)]), l("agent connected", &[Ca(C::Agent)]), l("agent is disconnected", &[Ca(C::Agent)]),
    l("agent was disconnected", &[Ca(C::Agent)]), l("agent disconnected", &[Ca(C::Agent)]), l("agent connection", &[Ca(C::Agent)]),
    l("ecs agent", &[Ca(C::Agent)]), whole("agent", &[Ca(C::Agent)]),
    l("elb health checks", &[Ca(C::ElbHealth)]), l("load balancer health checks", &[Ca(C::ElbHealth)]),
    l("is unhealthy in (target-group", &[Ca(C::ElbHealth)]), l("is unhealthy in target-group", &[Ca(C::ElbHealth)]),
    l("is unhealthy in (elb", &[Ca(C::ElbHealth)]), l("unhealthythreshold", &[Ca(C::ElbHealth)]),
    l("health checks failed with these codes", &[Ca(C::ElbHealth)]), l("target.responsecodemismatch", &[Ca(C::ElbHealth)]),
    l("target.timeout", &[Ca(C::ElbHealth)]),
    l("container health check", &[Ca(C::ContainerHealth)]), l("unhealthy status", &[Ca(C::ContainerHealth)]),
    l("vpc lattice", &[Ca(C::DiscoveryHealth)]), l("lattice_target_unhealthy", &[Ca(C::DiscoveryHealth)]),
    l("discovery_instance_unhealthy", &[Ca(C::DiscoveryHealth)]),
    l("spot task was interrupted", &[Ca(C::Spot)]), l("spot interruption", &[Ca(C::Spot)]), l("spotinterruption", &[Ca(C::Spot)]),
    l("infrastructurehealth", &[Ca(C::InfrastructureHealth)]),
    l("performing maintenance", &[Ca(C::Maintenance)]), l("task retirement", &[Ca(C::Maintenance)]),
    l("scheduled for retirement", &[Ca(C::Maintenance)]), l("maintenance on the underlying", &[Ca(C::Maintenance)]),
    l("terminationnotice", &[Ca(C::Maintenance)]),
    l("stopped by user", &[Ca(C::UserStop)]), l("task stopped by", &[Ca(C::UserStop)]), w("stoptask", &[Ca(C::UserStop)]),
    l("forced by user", &[Ca(C::UserStop)]), l("userinitiated", &[Ca(C::UserStop)]),
    l("scaling activity initiated by", &[Ca(C::ScaledByScheduler)]), l("task replaced", &[Ca(C::ScaledByScheduler)]),
    l("running tasks", &[Ca(C::ScaledByScheduler)]), l("draining connections", &[Ca(C::ScaledByScheduler)]),
    l("deregistered", &[Ca(C::ScaledByScheduler)]), l("scaled in", &[Ca(C::ScaledByScheduler)]),
    l("tasks_stopped", &[Ca(C::ScaledByScheduler)]), l("desired_count_updated", &[Ca(C::ScaledByScheduler)]),
    l("computeddesiredcount", &[Ca(C::DeploymentInProgress)]),
    l("has started", &[Ca(C::Started)]), w("registered", &[Ca(C::Started)]),
    l("steady state", &[Ca(C::SteadyState)]), l("steady_state", &[Ca(C::SteadyState)]),
    l("deployment configuration", &[Ca(C::DeploymentBlocked)]), l("protected tasks", &[Ca(C::DeploymentBlocked)]),
    l("unable to scale in", &[Ca(C::DeploymentBlocked)]),
    l("unable to consistently start tasks", &[Ca(C::StartImpaired)]), l("task_start_impaired", &[Ca(C::StartImpaired)]),
    w("alarm", &[Ca(C::Alarm)]), w("alarms", &[Ca(C::Alarm)]),
    l("deployment in progress", &[Ca(C::DeploymentInProgress)]),
    l("unbound variable", &[Ca(C::Config)]), w("notpresent", &[Ca(C::Config)]), l("env var should", &[Ca(C::Config)]),
    l("missing required", &[Ca(C::Config)]), l("could not resolve placeholder", &[Ca(C::Config)]),
    l("improperlyconfigured", &[Ca(C::Config)]), l("configurationerror", &[Ca(C::Config)]),
    l("configuration error", &[Ca(C::Config)]), l("invalid config", &[Ca(C::Config)]), l("config file", &[Ca(C::Config)]),
    l("failed to load config", &[Ca(C::Config)]), l("failed to parse config", &[Ca(C::Config)]),
    l("failed to read config", &[Ca(C::Config)]), l("yaml: line", &[Ca(C::Config)]), l("scannererror", &[Ca(C::Config)]),
    l("yaml.parser", &[Ca(C::Config)]), l("json: cannot unmarshal", &[Ca(C::Config)]), l("validation error for", &[Ca(C::Config)]),
    l("unexpected token", &[Ca(C::Config)]), l("valid config", &[Ca(C::Config)]), l("[error] [config]", &[Ca(C::Config)]),
    l("[config] section", &[Ca(C::Config)]), l("configuration file", &[Ca(C::Config)]), l("failed to configure", &[Ca(C::Config)]),
    l("not specified", &[Ca(C::Config)]), l("has no entry for key", &[Ca(C::Config)]), l("directive", &[Ca(C::Config)]),
    l("configuration [", &[Ca(C::Config)]), l("invalid configuration", &[Ca(C::Config)]), l("config error", &[Ca(C::Config)]),
    l("missing configuration", &[Ca(C::Config)]), l("could not be resolved from", &[Ca(C::Config)]),
    l("no inputs found", &[Ca(C::Config)]), l("missing config", &[Ca(C::Config)]), l("not configured", &[Ca(C::Config)]),
    l("toml parse error", &[Ca(C::Config)]), l("parse error", &[Ca(C::Config)]), l("failed to build pipelines", &[Ca(C::Config)]),
    l("is missing the", &[Ca(C::Config)]), l("required key", &[Ca(C::Config)]), l("must be set", &[Ca(C::Config)]),
    l("is not set", &[Ca(C::Config)]), l("not defined", &[Ca(C::Config)]), l("is required", &[Ca(C::Config)]),
    l("sigsegv", &[Ca(C::Segfault)]), l("segmentation fault", &[Ca(C::Segfault)]), l("sent code 139", &[Ca(C::Segfault)]),
    l("signal 11", &[Ca(C::Segfault)]),
    l("traceback (most recent call last)", &[Ca(C::Crash)]), l("exception in thread", &[Ca(C::Crash)]),
    l("panic:", &[Ca(C::Crash)]), l("panicked at", &[Ca(C::Crash)]), l("fatal error:", &[Ca(C::Crash)]),
    l("unhandled", &[Ca(C::Crash)]), l("uncaught", &[Ca(C::Crash)]), l("cannot find module", &[Ca(C::Crash)]),
    l("child process died", &[Ca(C::Crash)]),
];

/// The markers sorted by their text (written in lowercase, a test holds it), with their place in
/// `MARKERS`. Sorting 500 short strings is all the start-up the grammar needs: no automaton is
/// built. A message is lowercased once and, at each position, the markers that start with its
/// byte are a binary search away; the longest that matches there wins (leftmost-longest,
/// the first in the catalog among equals), and the scan resumes after it. A cut message's tail is
/// looked up the same way, as a prefix.
static BY_TEXT: LazyLock<Vec<(&'static [u8], usize)>> = LazyLock::new(|| {
    let mut sorted: Vec<(&'static [u8], usize)> = MARKERS
        .iter()
        .enumerate()
        .map(|(index, marker)| (marker.text.as_bytes(), index))
        .collect();
    sorted.sort_unstable();
    sorted
});

/// Where the markers starting with each byte lie in `BY_TEXT`: most bytes of a message (spaces,
/// digits, punctuation) start no marker and cost one lookup.
static BY_FIRST: LazyLock<[(u16, u16); 256]> = LazyLock::new(|| {
    let mut ranges = [(0u16, 0u16); 256];
    for (at, (text, _)) in BY_TEXT.iter().enumerate() {
        let range = &mut ranges[usize::from(text[0])];
        if range.0 == range.1 {
            range.0 = at as u16;
        }
        range.1 = at as u16 + 1;
    }
    ranges
});

/// The first three bytes of every marker, hashed into a set of 65,536 bits (8 KiB, filled from
/// the 500 markers at first use): most positions of a message start no marker, and one bit says
/// so before any comparison (a few in a hundred pass by a collision, and the lookup settles
/// them). A shorter marker sets its bytes with every follower; past the end of the text reads 0.
static TRIGRAMS: LazyLock<[u64; 1024]> = LazyLock::new(|| {
    let mut bits = [0u64; 1024];
    let mut set = |bytes: [u8; 3]| {
        let slot = trigram_slot(bytes);
        bits[slot >> 6] |= 1 << (slot & 63);
    };
    for marker in MARKERS {
        match *marker.text.as_bytes() {
            [a, b, c, ..] => set([a, b, c]),
            [a, b] => (0..=u8::MAX).for_each(|c| set([a, b, c])),
            [a] => (0..=u8::MAX).for_each(|b| (0..=u8::MAX).for_each(|c| set([a, b, c]))),
            [] => {}
        }
    }
    bits
});

fn trigram_slot([a, b, c]: [u8; 3]) -> usize {
    let packed = u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c);
    (packed.wrapping_mul(0x9E37_79B1) >> 16) as usize
}

/// Whether a marker may start at `at`.
fn may_start_marker(lower: &[u8], at: usize) -> bool {
    let byte = |i: usize| lower.get(at + i).copied().unwrap_or(0);
    let slot = trigram_slot([byte(0), byte(1), byte(2)]);
    TRIGRAMS[slot >> 6] & (1 << (slot & 63)) != 0
}

/// The longest marker that starts at `at` in `lower`: its place in `MARKERS` and its length.
///
/// The markers that are prefixes of `rest` sort at or before where `rest` would go, the longest
/// of them last. So: find where `rest` would go, and walk back. A marker on the way that is not a
/// prefix shares only its first `common` bytes with `rest`; a shorter prefix is then at most
/// `rest[..common]`, so the walk jumps to where that would go. `common` shrinks at each jump: a
/// handful of comparisons, however many markers share the first byte.
fn marker_at(lower: &[u8], at: usize) -> Option<(usize, usize)> {
    let rest = &lower[at..];
    let (from, to) = BY_FIRST[usize::from(rest[0])];
    let markers = &BY_TEXT[usize::from(from)..usize::from(to)];
    let mut end = markers.partition_point(|(text, _)| sorts_at_or_before(text, rest));
    while end > 0 {
        let (text, _) = markers[end - 1];
        let common = common_prefix(text, rest);
        if common == text.len() {
            // Equal texts sort by their place in the catalog: the first one wins.
            let mut first = end - 1;
            while first > 0 && markers[first - 1].0 == text {
                first -= 1;
            }
            return Some((markers[first].1, text.len()));
        }
        let shorter = &rest[..common];
        end = markers[..end - 1].partition_point(|(other, _)| sorts_at_or_before(other, shorter));
    }
    None
}

/// How many bytes `a` and `b` share from the start. Markers are short and most differ from a
/// message within a byte or two: a plain loop beats a call to `memcmp`.
#[inline]
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// `text <= key`, bytewise.
#[inline]
fn sorts_at_or_before(text: &[u8], key: &[u8]) -> bool {
    let common = common_prefix(text, key);
    common == text.len() || (common < key.len() && text[common] < key[common])
}

/// The longest marker, in bytes: how far back from the end a cut marker may start.
static LONGEST: LazyLock<usize> =
    LazyLock::new(|| MARKERS.iter().map(|m| m.text.len()).max().unwrap_or(0));

/// What one message says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    /// The most specific phase named (the innermost, when two are as specific).
    pub phase: Option<Phase>,
    /// Every cause named, strongest first.
    pub causes: Vec<Cause>,
}

impl Signals {
    pub fn has(&self, cause: Cause) -> bool {
        self.causes.contains(&cause)
    }
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Reads a message for its phase and causes.
pub fn analyze(text: &str) -> Signals {
    let bytes = text.as_bytes();
    let lower = text.to_ascii_lowercase();
    let lower = lower.as_bytes();
    let mut phase: Option<(Phase, u8)> = None;
    let mut causes: Vec<Cause> = Vec::new();
    let mut at = 0;
    while at < lower.len() {
        let found = may_start_marker(lower, at)
            .then(|| marker_at(lower, at))
            .flatten();
        let Some((index, len)) = found else {
            at += 1;
            continue;
        };
        let (start, end) = (at, at + len);
        at = end;
        let marker = &MARKERS[index];
        if marker.whole && (start != 0 || end != text.trim_end().len()) {
            continue;
        }
        if marker.word {
            let before = start.checked_sub(1).map(|at| bytes[at]);
            let after = bytes.get(end).copied();
            if before.is_some_and(is_word_byte) || after.is_some_and(is_word_byte) {
                continue;
            }
        }
        for signal in marker.signals {
            match *signal {
                Signal::Phase(found_phase) => {
                    let rank = if marker.weak { 1 } else { found_phase.rank() };
                    if phase.is_none_or(|(_, current)| rank >= current) {
                        phase = Some((found_phase, rank));
                    }
                }
                Signal::Cause(cause) => {
                    if !causes.contains(&cause) {
                        causes.push(cause);
                    }
                }
            }
        }
    }
    if let Some(marker) = cut_marker(text) {
        for signal in marker.signals {
            match *signal {
                Signal::Phase(found_phase) if phase.is_none() => {
                    phase = Some((found_phase, found_phase.rank()));
                }
                Signal::Cause(cause) if !causes.contains(&cause) => causes.push(cause),
                _ => {}
            }
        }
    }
    causes.sort();
    Signals {
        phase: phase.map(|(phase, _)| phase),
        causes,
    }
}

/// ECS cuts long reasons, and consoles and log pipelines cut them again: a message that ends
/// inside a marker (`… failed to extract layer: context ca…`) still says it, when at least six
/// characters and half of the marker are there, starting a word.
fn cut_marker(text: &str) -> Option<&'static Marker> {
    let visible = text.trim_end();
    // Cut on purpose ("…", "...") or in the middle of a word; a sentence's own full stop is
    // no cut.
    let ellipsis = visible.ends_with("...") || visible.ends_with('\u{2026}');
    let trimmed = visible.trim_end_matches(['.', '\u{2026}']).trim_end();
    let bytes = trimmed.as_bytes();
    if bytes.len() < 6 {
        return None;
    }
    // Without an ellipsis, only a text that ends inside a word can have been cut in one.
    if !ellipsis && !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
        return None;
    }
    let mut found: Option<usize> = None;
    // Each word start near the end is where a cut marker may begin: its tail is looked up as a
    // prefix among the sorted markers; the first marker in the catalog's order wins.
    for start in bytes.len().saturating_sub(*LONGEST)..=bytes.len() - 6 {
        if start > 0 && is_word_byte(bytes[start - 1]) {
            continue;
        }
        let tail = bytes[start..].to_ascii_lowercase();
        let take = tail.len();
        let from = BY_TEXT.partition_point(|(text, _)| *text < tail.as_slice());
        for &(pattern, index) in BY_TEXT[from..]
            .iter()
            .take_while(|(text, _)| text.starts_with(&tail))
        {
            // A word of a phrase cut in its middle ("error response from daem"); a one-token
            // marker's prefix may be a whole word of its own ("unhealthy" of
            // "unhealthythreshold"), so only an ellipsis says it was cut.
            if take >= pattern.len() || take < (pattern.len() / 2).max(6) {
                continue;
            }
            let mid_word = pattern.contains(&b' ')
                && pattern[take - 1].is_ascii_alphanumeric()
                && pattern[take].is_ascii_alphanumeric();
            if ellipsis || mid_word {
                found = Some(found.map_or(index, |first| first.min(index)));
            }
        }
    }
    found.map(|index| &MARKERS[index])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `marker_at` must find: every marker tried at the position, the longest winning, the
    /// first in the catalog among equals.
    fn marker_at_by_trying_all(lower: &[u8], at: usize) -> Option<(usize, usize)> {
        let mut best: Option<(usize, usize)> = None;
        for (index, marker) in MARKERS.iter().enumerate() {
            let len = marker.text.len();
            if lower[at..].starts_with(marker.text.as_bytes()) && best.is_none_or(|(_, l)| len > l)
            {
                best = Some((index, len));
            }
        }
        best
    }

    #[test]
    fn the_sorted_lookup_finds_what_trying_every_marker_finds() {
        // Every marker, alone, cut at each length, and run into its neighbours: the walk back
        // through the sorted markers must stop where trying them all does.
        let mut texts: Vec<String> = Vec::new();
        for (i, marker) in MARKERS.iter().enumerate() {
            let next = MARKERS[(i + 1) % MARKERS.len()].text;
            texts.push(format!("{} {}", marker.text, next));
            texts.push(format!("{}{}x", marker.text, next));
            for cut in 1..marker.text.len() {
                if marker.text.is_char_boundary(cut) {
                    texts.push(format!("{}~", &marker.text[..cut]));
                }
            }
        }
        for text in &texts {
            let lower = text.to_ascii_lowercase();
            for at in 0..lower.len() {
                let (lower, expected) = (
                    lower.as_bytes(),
                    marker_at_by_trying_all(lower.as_bytes(), at),
                );
                assert_eq!(marker_at(lower, at), expected, "{text:?} at {at}");
                assert!(
                    expected.is_none() || may_start_marker(lower, at),
                    "{text:?} at {at}: the bigram set misses a marker"
                );
            }
        }
    }

    #[test]
    fn markers_are_written_in_lowercase() {
        // The automaton folds no case: the text is lowercased, the markers must be already.
        for marker in MARKERS {
            assert_eq!(
                marker.text,
                marker.text.to_ascii_lowercase(),
                "{}",
                marker.text
            );
            // Looked up by their first two bytes.
            assert!(marker.text.len() >= 2, "{}", marker.text);
        }
    }

    #[test]
    fn the_innermost_specific_phase_names_the_failure() {
        let signals = analyze("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 52.46.1.1:443: i/o timeout");
        assert_eq!(signals.phase, Some(Phase::RegistryAuth));
        assert!(signals.has(Cause::Network));
        let signals = analyze("ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.");
        assert_eq!(signals.phase, Some(Phase::LogDriver));
        assert!(signals.has(Cause::NotFound));
    }

    #[test]
    fn the_same_cause_reads_the_same_in_every_wording() {
        for text in [
            "CannotPullContainerError: Error response from daemon: pull access denied for api, repository does not exist or may require 'docker login'",
            "CannotPullContainerError: inspect image has been retried 1 time(s): failed to resolve ref \"x\": unexpected status code [manifests 1]: 403 Forbidden",
            "CannotPullECRContainerError: AccessDeniedException: User is not authorized to perform: ecr:GetAuthorizationToken",
        ] {
            let signals = analyze(text);
            assert!(matches!(signals.phase, Some(Phase::ImagePull | Phase::RegistryAuth)), "{text}");
            assert_eq!(signals.causes.first(), Some(&Cause::AccessDenied), "{text}");
        }
    }

    #[test]
    fn a_message_cut_inside_its_cause_still_says_it() {
        let signals = analyze("CannotPullContainerError: containerd: pull command failed: error=\"failed to extract layer sha256:0a1b: context ca...");
        assert!(signals.has(Cause::Network), "{signals:?}");
        assert!(!analyze("the registry said context").has(Cause::Network));
    }

    #[test]
    fn whole_words_only_where_a_marker_is_short() {
        assert!(analyze("generic failure").phase.is_none());
        assert_eq!(
            analyze("ENI attachment failed").phase,
            Some(Phase::NetworkInterface)
        );
    }
}
