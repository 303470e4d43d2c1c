//! What the secrets probe finds: each referenced secret or parameter, whether it exists, and
//! its KMS key.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::arn::Arn;
use crate::iam;
use crate::incident::Gap;

/// The references to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretAsk {
    pub references: Vec<Reference>,
    /// The task's account: a parameter shared from another one is not listed in it.
    pub account: Option<String>,
}

/// One `secrets` entry of a container definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub container: String,
    /// The environment variable it becomes.
    pub name: String,
    pub value_from: String,
}

/// Where a reference points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretStore {
    SecretsManager,
    Ssm,
}

/// A reference read apart: the store, the id to describe, and a JSON key and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    pub store: SecretStore,
    /// The secret's ARN without the JSON key and version, or the parameter's name.
    pub id: String,
    pub json_key: Option<String>,
    pub version_stage: Option<String>,
    pub version_id: Option<String>,
    pub region: Option<String>,
}

impl Pointer {
    /// Reads a `valueFrom`: a Secrets Manager ARN (`…:secret:NAME-AbCdEf[:KEY:STAGE:VERSION]`), an
    /// SSM parameter ARN, or a parameter name.
    pub fn parse(value_from: &str) -> Pointer {
        match Arn::parse(value_from) {
            Some(arn) if arn.service == "secretsmanager" => {
                let mut parts = arn.resource.splitn(5, ':');
                let (_, name) = (parts.next(), parts.next().unwrap_or_default());
                let part =
                    |value: Option<&str>| value.filter(|v| !v.is_empty()).map(str::to_string);
                let (json_key, version_stage, version_id) =
                    (part(parts.next()), part(parts.next()), part(parts.next()));
                Pointer {
                    store: SecretStore::SecretsManager,
                    id: format!(
                        "arn:{}:secretsmanager:{}:{}:secret:{name}",
                        arn.partition, arn.region, arn.account
                    ),
                    json_key,
                    version_stage,
                    version_id,
                    region: arn.region().map(str::to_string),
                }
            }
            Some(arn) if arn.service == "ssm" => {
                let path = arn
                    .resource
                    .strip_prefix("parameter")
                    .unwrap_or(arn.resource);
                // `parameter/prod/db` names `/prod/db`; `parameter/db` names `db`.
                let name = match path.strip_prefix('/') {
                    Some(rest) if rest.contains('/') => path.to_string(),
                    Some(rest) => rest.to_string(),
                    None => path.to_string(),
                };
                Pointer {
                    store: SecretStore::Ssm,
                    id: name,
                    json_key: None,
                    version_stage: None,
                    version_id: None,
                    region: arn.region().map(str::to_string),
                }
            }
            _ => Pointer {
                store: SecretStore::Ssm,
                id: value_from.to_string(),
                json_key: None,
                version_stage: None,
                version_id: None,
                region: None,
            },
        }
    }

    /// The action the execution role needs to fetch it.
    pub fn fetch_action(&self) -> &'static str {
        match self.store {
            SecretStore::SecretsManager => iam::SECRETSMANAGER_GET_SECRET_VALUE,
            SecretStore::Ssm => iam::SSM_GET_PARAMETERS,
        }
    }
}

/// What the store says about one reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretFacts {
    pub container: String,
    pub name: String,
    pub value_from: String,
    pub store: SecretStore,
    /// Whether it exists (None: could not be told; `note` says why).
    pub exists: Option<bool>,
    /// Secrets Manager: scheduled for deletion at this time.
    #[serde(default)]
    pub deletion: Option<DateTime<Utc>>,
    /// The KMS key as the store names it (a key id, a key ARN or an alias), when not the AWS
    /// managed default.
    #[serde(default)]
    pub kms_key: Option<String>,
    /// That key as kms:DescribeKey resolved it.
    #[serde(default)]
    pub key: Option<KeyFacts>,
    /// The version stage asked for does not exist.
    #[serde(default)]
    pub missing_stage: Option<String>,
    /// SSM: String, StringList or SecureString.
    #[serde(default)]
    pub parameter_type: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    pub verified_by: String,
}

/// A secret's KMS key, resolved by kms:DescribeKey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFacts {
    /// The key's ARN: what an IAM policy's Resource must name.
    pub arn: String,
    /// AWS manages it (aws/secretsmanager, aws/ssm): its key policy lets the account's
    /// principals use it through the service, so no grant is needed.
    pub aws_managed: bool,
    /// Enabled, Disabled, PendingDeletion …
    #[serde(default)]
    pub state: Option<String>,
}

/// What the probe found, and the keys it could not resolve (each a gap).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretsRead {
    pub facts: Vec<SecretFacts>,
    pub gaps: Vec<Gap>,
}

impl super::Answer<Vec<SecretFacts>> for SecretsRead {
    fn into_slot(self, gaps: &mut Vec<Gap>) -> Vec<SecretFacts> {
        gaps.extend(self.gaps);
        self.facts
    }
}
