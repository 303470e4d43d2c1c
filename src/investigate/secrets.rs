//! The secrets probe: does each referenced Secrets Manager secret or SSM parameter exist, is it
//! scheduled for deletion, which KMS key encrypts it (resolved to the key's ARN: a policy on an
//! alias does not cover the key), does the version stage exist. Metadata only (DescribeSecret,
//! DescribeParameters, DescribeKey): a value is never read.

use crate::iam;
use aws_sdk_kms::types::KeyManagerType;
use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretError;
use aws_sdk_ssm::types::{ParameterMetadata, ParameterStringFilter};
use futures_util::future::join_all;

use super::{cached, Probed};
use crate::arn::Arn;
use crate::aws::convert::time;
use crate::aws::{gaps, Ctx};
use crate::facts::secrets::*;
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
        .map_err(|error| gaps::from_sdk_error(&what, iam::KMS_DESCRIBE_KEY, &error))?;
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
            .partition(|r| Pointer::parse(&r.value_from).store == SecretStore::SecretsManager);
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

fn facts_of(reference: &Reference, store: SecretStore, verified_by: &str) -> SecretFacts {
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
        SecretStore::SecretsManager,
        iam::SECRETSMANAGER_DESCRIBE_SECRET,
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
                    iam::SECRETSMANAGER_DESCRIBE_SECRET,
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
                gaps::from_sdk_error("the SSM parameters", iam::SSM_DESCRIBE_PARAMETERS, &error)
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
    let mut facts = facts_of(reference, SecretStore::Ssm, iam::SSM_DESCRIBE_PARAMETERS);
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
        assert_eq!(secret.store, SecretStore::SecretsManager);
        assert_eq!(
            secret.id,
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf"
        );
        assert_eq!(secret.json_key.as_deref(), Some("password"));
        assert_eq!(secret.version_stage.as_deref(), Some("AWSPREVIOUS"));
        assert_eq!(secret.version_id, None);
        let path = Pointer::parse("arn:aws:ssm:eu-west-1:111122223333:parameter/prod/db/url");
        assert_eq!(
            (path.store, path.id.as_str()),
            (SecretStore::Ssm, "/prod/db/url")
        );
        let flat = Pointer::parse("arn:aws:ssm:eu-west-1:111122223333:parameter/db_url");
        assert_eq!(flat.id, "db_url");
        let name = Pointer::parse("/prod/api/key");
        assert_eq!(
            (name.store, name.id.as_str()),
            (SecretStore::Ssm, "/prod/api/key")
        );
        assert_eq!(name.fetch_action(), "ssm:GetParameters");
    }
}
