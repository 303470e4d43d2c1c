//! The secrets probe: does each referenced Secrets Manager secret or SSM parameter exist, is it
//! scheduled for deletion, which KMS key encrypts it, does the version stage exist. Metadata
//! only (DescribeSecret, DescribeParameters): a value is never read.

use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretError;
use aws_sdk_ssm::types::ParameterStringFilter;
use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};

use super::{cached, Probed};
use crate::arn::Arn;
use crate::gather::convert::time;
use crate::gather::{gaps, Ctx};

/// How many references one report checks.
const REFERENCES: usize = 10;
/// DescribeParameters takes at most 50 names in one filter; ten are asked.
const PARAMETERS: usize = 10;

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
pub enum Store {
    SecretsManager,
    Ssm,
}

/// A reference read apart: the store, the id to describe, and a JSON key and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    pub store: Store,
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
                    store: Store::SecretsManager,
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
                    store: Store::Ssm,
                    id: name,
                    json_key: None,
                    version_stage: None,
                    version_id: None,
                    region: arn.region().map(str::to_string),
                }
            }
            _ => Pointer {
                store: Store::Ssm,
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
            Store::SecretsManager => "secretsmanager:GetSecretValue",
            Store::Ssm => "ssm:GetParameters",
        }
    }
}

/// What the store says about one reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretFacts {
    pub container: String,
    pub name: String,
    pub value_from: String,
    pub store: Store,
    /// Whether it exists (None: could not be told; `note` says why).
    pub exists: Option<bool>,
    /// Secrets Manager: scheduled for deletion at this time.
    #[serde(default)]
    pub deletion: Option<DateTime<Utc>>,
    /// The KMS key, when not the AWS managed one.
    #[serde(default)]
    pub kms_key: Option<String>,
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

/// Checks the references (the first ten).
pub async fn probe(ctx: &Ctx<'_>, ask: &SecretAsk) -> Probed<Vec<SecretFacts>> {
    let references: Vec<&Reference> = ask.references.iter().take(REFERENCES).collect();
    let key = format!(
        "secrets:{}",
        references
            .iter()
            .map(|r| r.value_from.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    let read = async {
        let (secrets, parameters): (Vec<&Reference>, Vec<&Reference>) = references
            .iter()
            .partition(|r| Pointer::parse(&r.value_from).store == Store::SecretsManager);
        let (described, parameters) = tokio::join!(
            join_all(secrets.iter().map(|r| describe_secret(ctx, r))),
            super::maybe((!parameters.is_empty()).then(|| describe_parameters(
                ctx,
                &parameters,
                ask.account.as_deref()
            )))
        );
        let mut facts = Vec::new();
        for result in described {
            facts.push(result?);
        }
        if let Some(parameters) = parameters {
            facts.extend(parameters?);
        }
        Ok(facts)
    };
    cached(ctx, key, read).await
}

fn facts_of(reference: &Reference, store: Store, verified_by: &str) -> SecretFacts {
    SecretFacts {
        container: reference.container.clone(),
        name: reference.name.clone(),
        value_from: reference.value_from.clone(),
        store,
        exists: None,
        deletion: None,
        kms_key: None,
        missing_stage: None,
        parameter_type: None,
        note: None,
        verified_by: verified_by.to_string(),
    }
}

async fn describe_secret(ctx: &Ctx<'_>, reference: &Reference) -> Probed<SecretFacts> {
    let pointer = Pointer::parse(&reference.value_from);
    let mut facts = facts_of(
        reference,
        Store::SecretsManager,
        "secretsmanager:DescribeSecret",
    );
    let here = ctx.clients.region();
    if pointer.region.is_some() && pointer.region != here {
        facts.note = Some(format!(
            "in region {}: not checked from {}",
            pointer.region.as_deref().unwrap_or("?"),
            here.as_deref().unwrap_or("this region")
        ));
        return Ok(facts);
    }
    ctx.count_call();
    let result = ctx
        .clients
        .secretsmanager()
        .describe_secret()
        .secret_id(&pointer.id)
        .send()
        .await;
    match result {
        Ok(output) => {
            facts.exists = Some(true);
            facts.deletion = time(output.deleted_date());
            facts.kms_key = output.kms_key_id().map(str::to_string);
            if let Some(stage) = &pointer.version_stage {
                let staged = output
                    .version_ids_to_stages()
                    .is_some_and(|versions| versions.values().flatten().any(|s| s == stage));
                if !staged {
                    facts.missing_stage = Some(stage.clone());
                }
            }
        }
        Err(error) => match error.as_service_error() {
            Some(DescribeSecretError::ResourceNotFoundException(_)) => facts.exists = Some(false),
            _ => {
                return Err(gaps::from_sdk_error(
                    &format!("the secret behind {}", reference.name),
                    "secretsmanager:DescribeSecret",
                    &error,
                ))
            }
        },
    }
    Ok(facts)
}

async fn describe_parameters(
    ctx: &Ctx<'_>,
    references: &[&Reference],
    account: Option<&str>,
) -> Probed<Vec<SecretFacts>> {
    let names: Vec<String> = references
        .iter()
        .map(|r| Pointer::parse(&r.value_from).id)
        .take(PARAMETERS)
        .collect();
    let filter = ParameterStringFilter::builder()
        .key("Name")
        .option("Equals")
        .set_values(Some(names))
        .build()
        .map_err(|error| {
            crate::incident::Gap::new(
                crate::incident::GapKind::Other,
                "the SSM parameters",
                error.to_string(),
                "report this as a bug",
            )
        })?;
    ctx.count_call();
    let output = ctx
        .clients
        .ssm()
        .describe_parameters()
        .parameter_filters(filter)
        .send()
        .await
        .map_err(|error| {
            gaps::from_sdk_error("the SSM parameters", "ssm:DescribeParameters", &error)
        })?;
    Ok(references
        .iter()
        .map(|reference| {
            let pointer = Pointer::parse(&reference.value_from);
            let mut facts = facts_of(reference, Store::Ssm, "ssm:DescribeParameters");
            let found = output
                .parameters()
                .iter()
                .find(|p| p.name() == Some(pointer.id.as_str()));
            let shared = Arn::parse(&reference.value_from)
                .and_then(|arn| arn.account())
                .is_some_and(|owner| account.is_some_and(|account| account != owner));
            facts.exists = Some(found.is_some());
            if found.is_none() && shared {
                facts.exists = None;
                facts.note =
                    Some("a parameter shared from another account is not listed here".into());
            }
            facts.parameter_type = found
                .and_then(|p| p.r#type())
                .map(|t| t.as_str().to_string());
            facts.kms_key = found.and_then(|p| p.key_id()).map(str::to_string);
            facts
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_point_at_a_store_and_an_id() {
        let secret = Pointer::parse(
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf:password:AWSPREVIOUS:",
        );
        assert_eq!(secret.store, Store::SecretsManager);
        assert_eq!(
            secret.id,
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf"
        );
        assert_eq!(secret.json_key.as_deref(), Some("password"));
        assert_eq!(secret.version_stage.as_deref(), Some("AWSPREVIOUS"));
        assert_eq!(secret.version_id, None);
        let path = Pointer::parse("arn:aws:ssm:eu-west-1:111122223333:parameter/prod/db/url");
        assert_eq!((path.store, path.id.as_str()), (Store::Ssm, "/prod/db/url"));
        let flat = Pointer::parse("arn:aws:ssm:eu-west-1:111122223333:parameter/db_url");
        assert_eq!(flat.id, "db_url");
        let name = Pointer::parse("/prod/api/key");
        assert_eq!(
            (name.store, name.id.as_str()),
            (Store::Ssm, "/prod/api/key")
        );
        assert_eq!(name.fetch_action(), "ssm:GetParameters");
    }
}
