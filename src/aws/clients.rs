//! The SDK clients, one set per account and region, each built on first use: an event that never
//! needs EC2 or ECR never pays for their clients (init time and memory stay as they were).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// The clients of one account and region. Cheap to clone (shared inside).
#[derive(Clone)]
pub struct Clients {
    inner: Arc<Inner>,
}

#[derive(Clone, Default)]
struct Inner {
    /// None for clients assembled from parts (mocks in tests): the lazy ones are then built from
    /// a bare configuration, and their calls fail as gaps instead of reaching AWS.
    config: Option<SdkConfig>,
    ecs: OnceLock<aws_sdk_ecs::Client>,
    logs: OnceLock<aws_sdk_cloudwatchlogs::Client>,
    sns: OnceLock<aws_sdk_sns::Client>,
    dynamodb: OnceLock<aws_sdk_dynamodb::Client>,
    sts: OnceLock<aws_sdk_sts::Client>,
    ecr: OnceLock<aws_sdk_ecr::Client>,
    elbv2: OnceLock<aws_sdk_elasticloadbalancingv2::Client>,
    ec2: OnceLock<aws_sdk_ec2::Client>,
    cloudwatch: OnceLock<aws_sdk_cloudwatch::Client>,
    secretsmanager: OnceLock<aws_sdk_secretsmanager::Client>,
    ssm: OnceLock<aws_sdk_ssm::Client>,
    eventbridge: OnceLock<aws_sdk_eventbridge::Client>,
    kms: OnceLock<aws_sdk_kms::Client>,
    /// Logs clients for other regions (`awslogs-region` may differ from the cluster's).
    logs_by_region: Arc<Mutex<HashMap<String, aws_sdk_cloudwatchlogs::Client>>>,
    /// ECR clients for other regions and registries (a repository in another region).
    ecr_by_region: Arc<Mutex<HashMap<String, aws_sdk_ecr::Client>>>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients")
            .field("region", &self.region())
            .finish_non_exhaustive()
    }
}

macro_rules! lazy_client {
    ($( $(#[$doc:meta])* $name:ident: $krate:ident ),* $(,)?) => {
        impl Clients {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> &$krate::Client {
                    self.inner.$name.get_or_init(|| $krate::Client::new(&self.config()))
                }
            )*
        }
    };
}

lazy_client! {
    ecs: aws_sdk_ecs,
    logs: aws_sdk_cloudwatchlogs,
    sns: aws_sdk_sns,
    /// The flood-control table's client (DEDUPE_TABLE) and the history.
    dynamodb: aws_sdk_dynamodb,
    sts: aws_sdk_sts,
    ecr: aws_sdk_ecr,
    elbv2: aws_sdk_elasticloadbalancingv2,
    ec2: aws_sdk_ec2,
    cloudwatch: aws_sdk_cloudwatch,
    secretsmanager: aws_sdk_secretsmanager,
    ssm: aws_sdk_ssm,
    /// The incident stream (EVENT_BUS_ARN).
    eventbridge: aws_sdk_eventbridge,
    /// The secrets' keys (DescribeKey only).
    kms: aws_sdk_kms,
}

impl Clients {
    /// Clients for the configuration's account and region, built when first used.
    pub fn from_conf(config: &SdkConfig) -> Clients {
        Clients {
            inner: Arc::new(Inner {
                config: Some(config.clone()),
                ..Inner::default()
            }),
        }
    }

    /// Clients built elsewhere (mocked clients in tests). Other services' clients are built on a
    /// bare configuration that cannot reach AWS; logs in another region use the given client.
    pub fn from_clients(
        ecs: aws_sdk_ecs::Client,
        logs: aws_sdk_cloudwatchlogs::Client,
        sns: aws_sdk_sns::Client,
    ) -> Clients {
        Clients {
            inner: Arc::new(Inner {
                ecs: OnceLock::from(ecs),
                logs: OnceLock::from(logs),
                sns: OnceLock::from(sns),
                ..Inner::default()
            }),
        }
    }

    fn with(self, change: impl FnOnce(&mut Inner)) -> Clients {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        change(&mut inner);
        Clients {
            inner: Arc::new(inner),
        }
    }

    /// The same clients with another SNS client (tests point publishing elsewhere).
    pub fn with_sns(self, sns: aws_sdk_sns::Client) -> Clients {
        self.with(|inner| inner.sns = OnceLock::from(sns))
    }

    /// The same clients with another DynamoDB client (a mocked or emulator table in tests).
    pub fn with_dynamodb(self, dynamodb: aws_sdk_dynamodb::Client) -> Clients {
        self.with(|inner| inner.dynamodb = OnceLock::from(dynamodb))
    }

    /// The SDK configuration (a bare one for clients assembled from parts).
    pub fn config(&self) -> SdkConfig {
        self.inner.config.clone().unwrap_or_else(|| {
            SdkConfig::builder()
                .behavior_version(BehaviorVersion::latest())
                .build()
        })
    }

    /// Builds now the clients every event uses (ECS, CloudWatch Logs, SNS) and the HTTP client
    /// they share, so that the Lambda's init phase pays for them rather than its first event;
    /// the probes' clients (ECR, EC2, ELB, CloudWatch, …) are still built on first use.
    pub fn warm_up(&self) {
        self.ecs();
        self.logs();
        self.sns();
    }

    /// Whether these clients were built from a whole SDK configuration (not from parts).
    pub fn has_config(&self) -> bool {
        self.inner.config.is_some()
    }

    /// The region the clients call.
    pub fn region(&self) -> Option<String> {
        match &self.inner.config {
            Some(config) => config.region().map(Region::to_string),
            None => self
                .inner
                .ecs
                .get()
                .and_then(|ecs| ecs.config().region().map(Region::to_string)),
        }
    }

    /// A Logs client for `region` (log groups may live in another region than the cluster).
    pub fn logs_in(&self, region: Option<&str>) -> aws_sdk_cloudwatchlogs::Client {
        self.in_region(region, &self.inner.logs_by_region, || self.logs().clone())
    }

    /// An ECR client for `region` (a repository in another region than the cluster).
    pub fn ecr_in(&self, region: Option<&str>) -> aws_sdk_ecr::Client {
        self.in_region(region, &self.inner.ecr_by_region, || self.ecr().clone())
    }

    fn in_region<C: Clone + FromConf>(
        &self,
        region: Option<&str>,
        by_region: &Mutex<HashMap<String, C>>,
        here: impl FnOnce() -> C,
    ) -> C {
        let (Some(region), Some(config)) = (region, &self.inner.config) else {
            return here();
        };
        if config.region().map(Region::as_ref) == Some(region) {
            return here();
        }
        let mut clients = by_region.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .entry(region.to_string())
            .or_insert_with(|| {
                C::from_conf(
                    &config
                        .to_builder()
                        .region(Region::new(region.to_string()))
                        .build(),
                )
            })
            .clone()
    }
}

/// Building a client from a configuration, for the per-region maps.
trait FromConf {
    fn from_conf(config: &SdkConfig) -> Self;
}

impl FromConf for aws_sdk_cloudwatchlogs::Client {
    fn from_conf(config: &SdkConfig) -> Self {
        aws_sdk_cloudwatchlogs::Client::new(config)
    }
}

impl FromConf for aws_sdk_ecr::Client {
    fn from_conf(config: &SdkConfig) -> Self {
        aws_sdk_ecr::Client::new(config)
    }
}
