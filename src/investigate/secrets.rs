//! The secrets probe: does each referenced Secrets Manager secret or SSM parameter exist, is it
//! scheduled for deletion, which KMS key encrypts it (resolved to the key's ARN: a policy on an
//! alias does not cover the key), does the version stage exist. Metadata only (DescribeSecret,
//! DescribeParameters, DescribeKey): a value is never read.

use crate::aws::actions;
use aws_sdk_kms::types::KeyManagerType;
use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretError;
use aws_sdk_ssm::types::{ParameterMetadata, ParameterStringFilter};
use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};

use super::{cached, Probed};
use crate::arn::Arn;
use crate::gather::convert::time;
use crate::gather::{gaps, Ctx};
use crate::incident::{Gap, GapKind};

/// How many references one report checks.
const REFERENCES: usize = 10;
/// DescribeParameters takes at most 50 names in one filter; ten are asked.
const PARAMETERS: usize = 10;
/// AWS applies DescribeParameters' filters page by page: a page may hold no result and a
/// NextToken, so a name missing from one page says nothing. This many pages are read before a
/// missing name is left unconcluded.
const PARAMETER_PAGES: usize = 10;
/// The most a DescribeParameters page holds.
const PARAMETERS_PER_PAGE: i32 = 50;

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
            Store::SecretsManager => actions::SECRETSMANAGER_GET_SECRET_VALUE,
            Store::Ssm => actions::SSM_GET_PARAMETERS,
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

/// Checks the references (the first ten), then resolves their KMS keys.
pub async fn probe(ctx: &Ctx<'_>, ask: &SecretAsk) -> Probed<SecretsRead> {
    let facts = describe(ctx, ask).await?;
    Ok(resolve_keys(ctx, facts, ask.account.as_deref()).await)
}

/// Whether a key as the store names it is AWS's default for the service (no call needed).
fn aws_default(key: &str) -> bool {
    key.contains("alias/aws/")
}

/// Resolves each distinct customer key once (cached for the warm container, by account and
/// region: an alias names different keys in each); a key that cannot be described is a gap,
/// and its secrets keep what the store said.
async fn resolve_keys(
    ctx: &Ctx<'_>,
    mut facts: Vec<SecretFacts>,
    account: Option<&str>,
) -> SecretsRead {
    let mut keys: Vec<String> = Vec::new();
    for key in facts.iter().filter_map(|f| f.kms_key.as_deref()) {
        if !aws_default(key) && !keys.iter().any(|k| k == key) {
            keys.push(key.to_string());
        }
    }
    let region = ctx.clients.region().unwrap_or_default();
    let account = account.unwrap_or_default();
    let described = join_all(keys.iter().map(|key| {
        cached(
            ctx,
            format!("kms:{account}:{region}:{key}"),
            describe_key(ctx, key.clone()),
        )
    }))
    .await;
    let mut gaps = Vec::new();
    for (key, result) in keys.iter().zip(described) {
        match result {
            Ok(resolved) => {
                for fact in facts.iter_mut().filter(|f| f.kms_key.as_ref() == Some(key)) {
                    fact.key = Some(resolved.clone());
                }
            }
            Err(gap) => gaps.push(gap),
        }
    }
    SecretsRead { facts, gaps }
}

async fn describe_key(ctx: &Ctx<'_>, key: String) -> Probed<KeyFacts> {
    let what = format!("the KMS key {key}");
    ctx.count_call();
    let output = ctx
        .clients
        .kms()
        .describe_key()
        .key_id(&key)
        .send()
        .await
        .map_err(|error| gaps::from_sdk_error(&what, actions::KMS_DESCRIBE_KEY, &error))?;
    let metadata = output.key_metadata().ok_or_else(|| {
        Gap::new(
            GapKind::Other,
            &what,
            "DescribeKey returned no key metadata",
            "retry; if it persists, report this as a bug",
        )
    })?;
    Ok(KeyFacts {
        arn: metadata.arn().unwrap_or(metadata.key_id()).to_string(),
        aws_managed: metadata.key_manager() == Some(&KeyManagerType::Aws),
        state: metadata.key_state().map(|state| state.as_str().to_string()),
    })
}

/// What the stores say about the references, cached for the warm container.
async fn describe(ctx: &Ctx<'_>, ask: &SecretAsk) -> Probed<Vec<SecretFacts>> {
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
        key: None,
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
        actions::SECRETSMANAGER_DESCRIBE_SECRET,
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
            facts.kms_key = output
                .kms_key_id()
                .filter(|key| !aws_default(key))
                .map(str::to_string);
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
                    actions::SECRETSMANAGER_DESCRIBE_SECRET,
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
    let (found, complete) = parameter_pages(ctx, &names).await?;
    Ok(references
        .iter()
        .map(|reference| parameter_facts(reference, &found, complete, account))
        .collect())
}

/// Pages DescribeParameters until every name is found or the pages end (at most
/// PARAMETER_PAGES); true when the pages ended, so a name not found does not exist.
async fn parameter_pages(
    ctx: &Ctx<'_>,
    names: &[String],
) -> Probed<(Vec<ParameterMetadata>, bool)> {
    let filter = ParameterStringFilter::builder()
        .key("Name")
        .option("Equals")
        .set_values(Some(names.to_vec()))
        .build()
        .map_err(|error| {
            Gap::new(
                GapKind::Other,
                "the SSM parameters",
                error.to_string(),
                "report this as a bug",
            )
        })?;
    let mut found: Vec<ParameterMetadata> = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..PARAMETER_PAGES {
        ctx.count_call();
        let output = ctx
            .clients
            .ssm()
            .describe_parameters()
            .parameter_filters(filter.clone())
            .max_results(PARAMETERS_PER_PAGE)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|error| {
                gaps::from_sdk_error(
                    "the SSM parameters",
                    actions::SSM_DESCRIBE_PARAMETERS,
                    &error,
                )
            })?;
        found.extend(output.parameters().iter().cloned());
        token = output
            .next_token()
            .filter(|token| !token.is_empty())
            .map(str::to_string);
        let all_found = names
            .iter()
            .all(|name| found.iter().any(|p| p.name() == Some(name.as_str())));
        if token.is_none() || all_found {
            return Ok((found, true));
        }
    }
    Ok((found, false))
}

/// One reference's facts from the parameters found; `complete`: every page was read.
fn parameter_facts(
    reference: &Reference,
    found: &[ParameterMetadata],
    complete: bool,
    account: Option<&str>,
) -> SecretFacts {
    let pointer = Pointer::parse(&reference.value_from);
    let mut facts = facts_of(reference, Store::Ssm, actions::SSM_DESCRIBE_PARAMETERS);
    let parameter = found.iter().find(|p| p.name() == Some(pointer.id.as_str()));
    let shared = Arn::parse(&reference.value_from)
        .and_then(|arn| arn.account())
        .is_some_and(|owner| account.is_some_and(|account| account != owner));
    facts.exists = Some(parameter.is_some());
    if parameter.is_none() && shared {
        facts.exists = None;
        facts.note = Some("a parameter shared from another account is not listed here".into());
    } else if parameter.is_none() && !complete {
        facts.exists = None;
        facts.note = Some(format!(
            "not among the first {PARAMETER_PAGES} pages of DescribeParameters, which AWS filters page by page; not concluded"
        ));
    }
    facts.parameter_type = parameter
        .and_then(|p| p.r#type())
        .map(|t| t.as_str().to_string());
    facts.kms_key = parameter
        .and_then(|p| p.key_id())
        .filter(|key| !aws_default(key))
        .map(str::to_string);
    facts
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
