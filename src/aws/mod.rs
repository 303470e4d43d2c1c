//! The AWS side of the house: one SDK configuration and one TLS stack ([`sdk_config`]), the
//! clients of an account ([`Clients`], built lazily), account routing on top of them
//! ([`Accounts`]: AssumeRole into member accounts), the warm container's caches ([`Caches`]),
//! the plumbing every read shares ([`Ctx`], gaps from SDK errors, time conversion), and the list
//! of every action the code calls (the IAM templates are checked against it).

pub mod accounts;
pub mod caches;
pub mod clients;
pub mod convert;
pub mod gaps;
pub mod read;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use crate::iam::*;
pub use accounts::{Accounts, CrossAccountConfig};
pub use caches::Caches;
pub use clients::Clients;
pub use read::{Ctx, GatherConfig, GatherStats};

use crate::facts::Probe;

/// What every failure reads in the account it happened in: the task definition, the service,
/// the log tail, the sibling tasks, and the service's tags (routing).
pub const READ_ACTIONS: &[&str] = &[
    ECS_DESCRIBE_TASK_DEFINITION,
    ECS_DESCRIBE_SERVICES,
    ECS_LIST_TASKS,
    ECS_DESCRIBE_TASKS,
    ECS_LIST_TAGS_FOR_RESOURCE,
    LOGS_GET_LOG_EVENTS,
];

/// What only the function itself does, in its own account: publish, keep the incident state and
/// history (DEDUPE_TABLE: GetItem, conditional PutItem, Query), and assume member accounts' roles.
pub const OWN_ACTIONS: &[&str] = &[
    SNS_PUBLISH,
    DYNAMODB_GET_ITEM,
    DYNAMODB_PUT_ITEM,
    DYNAMODB_QUERY,
    STS_ASSUME_ROLE,
    EVENTS_PUT_EVENTS,
];

/// Every AWS action ecs-doctor calls, each once, in the order of its groups. The function's role must grant exactly these.
pub fn aws_actions() -> Vec<&'static str> {
    let mut actions = member_read_actions();
    for action in OWN_ACTIONS {
        if !actions.contains(action) {
            actions.push(action);
        }
    }
    actions
}

/// What the member accounts' read role must grant: the reads and every probe's reads.
pub fn member_read_actions() -> Vec<&'static str> {
    let mut actions: Vec<&'static str> = READ_ACTIONS.to_vec();
    for probe in Probe::ALL {
        for action in probe.actions() {
            if !actions.contains(action) {
                actions.push(action);
            }
        }
    }
    actions
}

/// How the SDK talks to AWS. The defaults suit a Lambda with a 30 s timeout.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// Overrides the endpoint of every service (a local emulator). `AWS_ENDPOINT_URL` in the
    /// environment is honoured by aws-config without this.
    pub endpoint_url: Option<String>,
    /// Overrides the region; otherwise `AWS_REGION`, then the profile.
    pub region: Option<String>,
    /// Attempts per call, the first one included (standard retry mode).
    pub max_attempts: u32,
    /// The whole call, retries included.
    pub operation_timeout: Duration,
    /// One attempt.
    pub attempt_timeout: Duration,
    pub connect_timeout: Duration,
    /// Static credentials (tests against an emulator); otherwise the default chain.
    pub credentials: Option<aws_sdk_ecs::config::Credentials>,
}

impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            endpoint_url: None,
            region: None,
            max_attempts: 3,
            operation_timeout: Duration::from_secs(8),
            attempt_timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(2),
            credentials: None,
        }
    }
}

/// The Lambda's SDK configuration, from its environment alone: Lambda hands the function its
/// region (AWS_REGION) and its role's credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
/// AWS_SESSION_TOKEN), and AWS_ENDPOINT_URL points a local run at an emulator. Built without
/// aws-config's loader, the default chain's providers (profiles, SSO, IMDS, containers) are not in
/// the function's binary, which keeps it small (BENCHMARKS.md); the command line loads the
/// default chain with [`sdk_config`].
pub fn environment_config(options: &AwsOptions) -> SdkConfig {
    use aws_config::environment::EnvironmentVariableCredentialsProvider;
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};

    let environment = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let region = options
        .region
        .clone()
        .or_else(|| environment("AWS_REGION"))
        .or_else(|| environment("AWS_DEFAULT_REGION"));
    let credentials = match &options.credentials {
        Some(credentials) => SharedCredentialsProvider::new(credentials.clone()),
        None => SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()),
    };
    let endpoint = options
        .endpoint_url
        .clone()
        .or_else(|| environment("AWS_ENDPOINT_URL"));
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http_client_for(endpoint.as_deref(), lambda_trust_store))
        .credentials_provider(credentials)
        .identity_cache(aws_config::identity::IdentityCache::lazy().build())
        .sleep_impl(SharedAsyncSleep::new(TokioSleep::new()))
        .stalled_stream_protection(
            aws_config::stalled_stream_protection::StalledStreamProtectionConfig::disabled(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(options.max_attempts.max(1)))
        .timeout_config(timeouts(options));
    if let Some(region) = region {
        builder = builder.region(Region::new(region));
    }
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    builder.build()
}

/// The HTTP client for calls to `endpoint` (None: AWS's own endpoints, always HTTPS). Every call
/// goes to the one endpoint when it is set, so a plain `http://` one (an emulator on loopback)
/// needs no TLS at all: no trust store is read, as boto3 reads its CA bundle only for an HTTPS
/// connection. Otherwise TLS trusts `trust_store()`.
fn http_client_for(
    endpoint: Option<&str>,
    trust_store: impl FnOnce() -> tls::TrustStore,
) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    match endpoint {
        Some(url) if plain_http(url) => aws_smithy_http_client::Builder::new().build_http(),
        _ => http_client(trust_store()),
    }
}

/// `url` is plain HTTP (`http://…`, any case).
fn plain_http(url: &str) -> bool {
    url.trim_start()
        .get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

/// One TLS stack: rustls with ring, trusting `trust_store`.
fn http_client(
    trust_store: tls::TrustStore,
) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    let context = tls::TlsContext::builder()
        .with_trust_store(trust_store)
        .build()
        .expect("a TLS context without server names always builds");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https()
}

/// The five roots of Amazon Trust Services (Amazon Root CA 1 to 4 and Starfield Services Root
/// Certificate Authority - G2), which AWS's endpoints chain to; Amazon Trust Services asks a
/// custom trust store to hold all five (amazontrust.com/repository). `tests/engine/trust.rs` checks
/// each one's public key against the hashes published there.
pub const AMAZON_TRUST_SERVICES_ROOTS: &[u8] = include_bytes!("amazon-trust-services-roots.pem");

/// What the function trusts: it talks to AWS alone, so Amazon Trust Services' five roots, not
/// the 140 of a system bundle (a narrower trust, and no bundle to read and parse when the first
/// client is built). A deployment
/// that reaches AWS through a TLS-inspecting proxy sets SSL_CERT_FILE or SSL_CERT_DIR, and the
/// system's roots (as those variables point) are trusted instead.
pub fn lambda_trust_store() -> tls::TrustStore {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    if set("SSL_CERT_FILE") || set("SSL_CERT_DIR") {
        tls::TrustStore::default()
    } else {
        tls::TrustStore::empty().with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS)
    }
}

fn timeouts(options: &AwsOptions) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(options.connect_timeout)
        .operation_attempt_timeout(options.attempt_timeout)
        .operation_timeout(options.operation_timeout)
        .build()
}

/// Loads the SDK configuration: region and credentials from the environment or profile,
/// rustls with ring as the only TLS stack, standard retries with bounded attempts, timeouts
/// (which make the stalled-stream watchdog redundant: it is off).
pub async fn sdk_config(options: &AwsOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // The command line runs on people's machines, behind their proxies: the system's roots.
        .http_client(http_client_for(
            options.endpoint_url.as_deref(),
            tls::TrustStore::default,
        ))
        // Every call is bounded by the attempt and operation timeouts below; the stalled-stream
        // watchdog would add a timer to every response body for nothing.
        .stalled_stream_protection(
            aws_config::stalled_stream_protection::StalledStreamProtectionConfig::disabled(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(options.max_attempts.max(1)))
        .timeout_config(timeouts(options));
    if let Some(endpoint) = &options.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(credentials) = &options.credentials {
        loader = loader.credentials_provider(credentials.clone());
    }
    loader.load().await
}

#[cfg(test)]
mod tests {
    use super::plain_http;

    #[test]
    fn only_a_plain_http_endpoint_goes_without_tls() {
        assert!(plain_http("http://127.0.0.1:5000"));
        assert!(plain_http(" HTTP://localhost:4566/"));
        assert!(!plain_http("https://ecs.eu-west-1.amazonaws.com"));
        assert!(!plain_http(
            "https://vpce-0a1b.ecs.eu-west-1.vpce.amazonaws.com"
        ));
        assert!(!plain_http("http"));
    }
}
