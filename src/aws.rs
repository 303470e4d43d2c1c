//! The AWS side of the house: one SDK configuration, one TLS stack, the clients, and the list of
//! every action the code calls (the IAM policy is checked against it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use crate::incident::TaskDefinition;
use crate::incidents::MemoryStore;

/// Every AWS action ecs-doctor calls. The IAM template must grant exactly these.
pub const AWS_ACTIONS: &[&str] = &[
    "ecs:DescribeTaskDefinition",
    "ecs:DescribeServices",
    "ecs:ListTasks",
    "ecs:DescribeTasks",
    "logs:GetLogEvents",
    "sns:Publish",
    // Flood control and idempotency (DEDUPE_TABLE), on that table only.
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    // Events from member accounts: their read-only role (src/crossaccount.rs).
    "sts:AssumeRole",
];

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

/// Loads the SDK configuration: region and credentials from the environment or profile,
/// rustls with ring as the only TLS stack, standard retries with bounded attempts, timeouts.
pub async fn sdk_config(options: &AwsOptions) -> SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .retry_config(RetryConfig::standard().with_max_attempts(options.max_attempts.max(1)))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(options.connect_timeout)
                .operation_attempt_timeout(options.attempt_timeout)
                .operation_timeout(options.operation_timeout)
                .build(),
        );
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

/// The clients ecs-doctor uses, built once per process, with the task definition cache.
#[derive(Debug, Clone)]
pub struct Clients {
    pub ecs: aws_sdk_ecs::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub sns: aws_sdk_sns::Client,
    /// The flood-control table's client (used when DEDUPE_TABLE is set).
    pub dynamodb: Option<aws_sdk_dynamodb::Client>,
    /// Flood control without a table: this execution environment's memory.
    pub(crate) incidents: Arc<MemoryStore>,
    /// Kept to build a Logs client for another region (`awslogs-region`).
    pub(crate) sdk_config: Option<SdkConfig>,
    logs_by_region: Arc<Mutex<HashMap<String, aws_sdk_cloudwatchlogs::Client>>>,
    pub(crate) task_definitions: Arc<ImmutableCache<TaskDefinition, 256>>,
    /// Stopped tasks by ARN, for the siblings: a stopped task never changes, so a crash loop
    /// describes each task once (the event's own task seeds it).
    pub(crate) stopped_tasks: Arc<ImmutableCache<crate::event::Task, 1024>>,
    /// Reading member accounts through their role; None: every event is read with these clients.
    pub(crate) cross_account: Option<Arc<crate::crossaccount::CrossAccount>>,
}

impl Clients {
    pub fn from_conf(config: &SdkConfig) -> Clients {
        Clients {
            ecs: aws_sdk_ecs::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
            dynamodb: Some(aws_sdk_dynamodb::Client::new(config)),
            incidents: Arc::default(),
            sdk_config: Some(config.clone()),
            logs_by_region: Arc::default(),
            task_definitions: Arc::default(),
            stopped_tasks: Arc::default(),
            cross_account: None,
        }
    }

    /// Clients built elsewhere (mocked clients in tests). Logs in another region are read with
    /// the given Logs client.
    pub fn from_clients(
        ecs: aws_sdk_ecs::Client,
        logs: aws_sdk_cloudwatchlogs::Client,
        sns: aws_sdk_sns::Client,
    ) -> Clients {
        Clients {
            ecs,
            logs,
            sns,
            dynamodb: None,
            incidents: Arc::default(),
            sdk_config: None,
            logs_by_region: Arc::default(),
            task_definitions: Arc::default(),
            stopped_tasks: Arc::default(),
            cross_account: None,
        }
    }

    /// Adds the flood-control table's client (a mocked or emulator client in tests).
    pub fn with_dynamodb(mut self, dynamodb: aws_sdk_dynamodb::Client) -> Clients {
        self.dynamodb = Some(dynamodb);
        self
    }

    /// The region the clients call.
    pub fn region(&self) -> Option<String> {
        self.ecs.config().region().map(|region| region.to_string())
    }

    /// A Logs client for `region` (log groups may live in another region than the cluster).
    pub fn logs_in(&self, region: Option<&str>) -> aws_sdk_cloudwatchlogs::Client {
        let (Some(region), Some(config)) = (region, &self.sdk_config) else {
            return self.logs.clone();
        };
        if config.region().map(Region::as_ref) == Some(region) {
            return self.logs.clone();
        }
        let mut clients = self
            .logs_by_region
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        clients
            .entry(region.to_string())
            .or_insert_with(|| {
                let config = config
                    .to_builder()
                    .region(Region::new(region.to_string()))
                    .build();
                aws_sdk_cloudwatchlogs::Client::new(&config)
            })
            .clone()
    }
}

/// Values that never change once they exist, by ARN: task definition revisions, stopped tasks.
/// The cache lives as long as the clients (one Lambda execution environment) and holds at most
/// `CAPACITY` entries (it starts over when full).
#[derive(Debug)]
pub(crate) struct ImmutableCache<V, const CAPACITY: usize> {
    entries: Mutex<HashMap<String, V>>,
}

impl<V, const CAPACITY: usize> Default for ImmutableCache<V, CAPACITY> {
    fn default() -> Self {
        ImmutableCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone, const CAPACITY: usize> ImmutableCache<V, CAPACITY> {
    pub(crate) fn get(&self, arn: &str) -> Option<V> {
        // The lock is never held across an await.
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(arn).cloned()
    }

    pub(crate) fn insert(&self, arn: &str, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(arn.to_string(), value);
    }
}
