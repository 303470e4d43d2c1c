//! What the task could not reach or was not allowed: the network path (routes, endpoints,
//! egress), the referenced secrets and the role that fetches them, and the task role's
//! denials that the application logged.

use super::{Conclusion, Scene};
use crate::arn::last_segment;
use crate::facts::network::{verdict, NetworkFacts};
use crate::facts::secrets::{Pointer, SecretFacts, SecretStore};
use crate::iam;
use crate::report::Category;

pub(super) fn network(c: &mut Conclusion, _scene: &Scene, facts: &NetworkFacts) {
    for route in &facts.routes {
        c.verified(
            format!("subnet {}", route.subnet),
            format!(
                "route table {}{}: 0.0.0.0/0 → {}",
                route.route_table.as_deref().unwrap_or("(none)"),
                if route.main {
                    " (the VPC's main table)"
                } else {
                    ""
                },
                route.default_route.as_deref().unwrap_or("nowhere")
            ),
            iam::EC2_DESCRIBE_ROUTE_TABLES,
        );
    }
    if let Some(vpc) = &facts.vpc_id {
        let wanted: Vec<&str> = facts
            .needs
            .iter()
            .flat_map(|need| need.endpoints().iter().copied())
            .collect();
        let present: Vec<&str> = facts
            .endpoints
            .iter()
            .map(String::as_str)
            .filter(|e| wanted.contains(e))
            .collect();
        c.verified(
            format!("VPC {vpc}"),
            format!(
                "endpoints for what the task needed ({}): {}",
                facts
                    .needs
                    .iter()
                    .map(|n| n.describe())
                    .collect::<Vec<_>>()
                    .join(", "),
                if present.is_empty() {
                    "none".to_string()
                } else {
                    present.join(", ")
                }
            ),
            iam::EC2_DESCRIBE_VPC_ENDPOINTS,
        );
    }
    if let Some(open) = facts.egress_443 {
        c.verified(
            "security groups",
            format!(
                "{}: outbound TCP 443 {}",
                facts.security_groups.join(", "),
                if open { "allowed" } else { "not allowed" }
            ),
            iam::EC2_DESCRIBE_SECURITY_GROUPS,
        );
    }
    let verdict = verdict(facts);
    if let Some(first) = verdict.problems.first() {
        c.headline(if first.contains("outbound TCP 443") {
            "Security group blocks HTTPS out"
        } else if first.contains("public IP") {
            "No public IP for the internet gateway"
        } else {
            "No route out of the task's subnet"
        });
    }
    for problem in &verdict.problems {
        c.say(format!("Verified: {problem}."));
    }
    for fix in verdict.fixes {
        match fix.split_once(": aws ") {
            Some((title, command)) => c.fix(title, Some(format!("aws {command}"))),
            None => c.fix(fix, None),
        }
    }
}

pub(super) fn secrets(c: &mut Conclusion, scene: &Scene, facts: &[SecretFacts]) {
    for fact in facts {
        let pointer = Pointer::parse(&fact.value_from);
        let source = format!(
            "{} {}",
            if fact.store == SecretStore::Ssm {
                "SSM parameter"
            } else {
                "secret"
            },
            pointer.id
        );
        let mut text = match fact.exists {
            Some(true) => format!("exists (for {} of container {})", fact.name, fact.container),
            Some(false) => format!(
                "does not exist (referenced by {} of container {})",
                fact.name, fact.container
            ),
            None => format!("not checked: {}", fact.note.as_deref().unwrap_or("unknown")),
        };
        if let Some(deletion) = fact.deletion {
            text.push_str(&format!(
                "; scheduled for deletion on {}",
                super::at(deletion)
            ));
        }
        if let Some(stage) = &fact.missing_stage {
            text.push_str(&format!("; it has no version staged {stage}"));
        }
        if fact.exists == Some(true) {
            text.push_str(&format!(
                "; encrypted with {}",
                fact.kms_key
                    .as_deref()
                    .map_or("the AWS managed key".to_string(), |k| format!(
                        "KMS key {k}"
                    ))
            ));
        }
        c.verified(&source, text, &fact.verified_by);
        key_facts(c, scene, fact);
        if fact.exists == Some(false) {
            c.headline(format!("Secret for {} does not exist", fact.name));
            c.say(format!(
                "Verified: {} ({}) does not exist.",
                pointer.id, fact.name
            ));
            c.fix(
                format!(
                    "Create {} or point {} at one that exists, in a new revision",
                    pointer.id, fact.name
                ),
                Some(match fact.store {
                    SecretStore::SecretsManager => format!(
                        "aws secretsmanager list-secrets --region {} --query 'SecretList[].ARN'",
                        scene.region
                    ),
                    SecretStore::Ssm => format!(
                        "aws ssm describe-parameters --region {} --query 'Parameters[].Name'",
                        scene.region
                    ),
                }),
            );
        }
        if fact.deletion.is_some() {
            c.headline(format!(
                "Secret for {} is scheduled for deletion",
                fact.name
            ));
            c.say(format!(
                "Verified: {} is scheduled for deletion, so it cannot be read.",
                pointer.id
            ));
            c.fix(
                format!("Restore {}", pointer.id),
                Some(format!(
                    "aws secretsmanager restore-secret --secret-id {} --region {}",
                    pointer.id, scene.region
                )),
            );
        }
    }
    let denied = scene.has(Category::SecretsAccessDenied) || scene.has(Category::SecretsKms);
    if denied {
        grant_execution_role(c, scene, facts);
    }
}

/// The policy the execution role needs to fetch the secrets: the action on the ARN, and
/// kms:Decrypt on a customer managed key.
fn grant_execution_role(c: &mut Conclusion, scene: &Scene, facts: &[SecretFacts]) {
    let Some(td) = scene.task_definition() else {
        return;
    };
    let Some(role) = td.execution_role_arn.as_deref() else {
        c.say("The task definition has no execution role: ECS fetches secrets with it, so it needs one.");
        c.fix("Set executionRoleArn in the task definition to a role with AmazonECSTaskExecutionRolePolicy and read access to the secrets", None);
        return;
    };
    let account = scene
        .report
        .resources
        .account
        .as_deref()
        .unwrap_or("<account>");
    let mut statements = Vec::new();
    for fact in facts.iter().filter(|f| f.exists != Some(false)) {
        let pointer = Pointer::parse(&fact.value_from);
        let resource = match pointer.store {
            SecretStore::SecretsManager => secret_resource(&pointer.id),
            SecretStore::Ssm if fact.value_from.starts_with("arn:") => fact.value_from.clone(),
            SecretStore::Ssm => format!(
                "arn:aws:ssm:{}:{account}:parameter/{}",
                scene.region,
                pointer.id.trim_start_matches('/')
            ),
        };
        statements.push(format!(
            r#"{{"Effect":"Allow","Action":"{}","Resource":"{resource}"}}"#,
            pointer.fetch_action()
        ));
        if let Some(statement) = decrypt_statement(fact, &scene.region, account) {
            statements.push(statement);
        }
    }
    statements.dedup();
    if statements.is_empty() {
        return;
    }
    let name = last_segment(role);
    c.fix(
        format!("Let the execution role {name} read the secrets (and decrypt them with their KMS keys)"),
        Some(format!(
            r#"aws iam put-role-policy --role-name {name} --policy-name ecs-doctor-secrets --policy-document '{{"Version":"2012-10-17","Statement":[{}]}}'"#,
            statements.join(",")
        )),
    );
}

/// What kms:DescribeKey verified about a secret's key: its ARN and state; a key that cannot
/// decrypt (disabled, pending deletion) and the key policy to read, with the key's real ARN.
fn key_facts(c: &mut Conclusion, scene: &Scene, fact: &SecretFacts) {
    let Some(key) = fact.key.as_ref().filter(|key| !key.aws_managed) else {
        return;
    };
    let state = key.state.as_deref().unwrap_or("state unknown");
    let named = fact.kms_key.as_deref().unwrap_or(&key.arn);
    let behind = if named == key.arn {
        String::new()
    } else {
        format!(" (the key behind {named})")
    };
    c.verified(
        format!("KMS key {}", key.arn),
        format!(
            "customer managed, {state}{behind}; encrypts {} of container {}",
            fact.name, fact.container
        ),
        iam::KMS_DESCRIBE_KEY,
    );
    let region = crate::arn::region_of(&key.arn).unwrap_or(&scene.region);
    match key.state.as_deref() {
        Some("Disabled") => {
            c.headline(format!("Secret's KMS key is disabled ({})", fact.name));
            c.say(format!(
                "Verified: KMS key {} is disabled: nothing can decrypt {} with it.",
                key.arn, fact.name
            ));
            c.fix(
                format!("Enable KMS key {}", key.arn),
                Some(format!(
                    "aws kms enable-key --key-id {} --region {region}",
                    key.arn
                )),
            );
        }
        Some("PendingDeletion") => {
            c.headline(format!(
                "Secret's KMS key is pending deletion ({})",
                fact.name
            ));
            c.say(format!(
                "Verified: KMS key {} is scheduled for deletion: nothing can decrypt {} with it.",
                key.arn, fact.name
            ));
            c.fix(
                format!(
                    "Cancel the deletion of KMS key {} (then enable it)",
                    key.arn
                ),
                Some(format!(
                    "aws kms cancel-key-deletion --key-id {} --region {region}",
                    key.arn
                )),
            );
        }
        _ => {}
    }
    if scene.has(Category::SecretsKms) {
        c.supersede("aws kms get-key-policy --key-id <");
        c.fix(
            format!("Read the policy of KMS key {}, which must let the execution role use the key (the IAM policy simulator evaluates neither key policies nor grants)", key.arn),
            Some(format!("aws kms get-key-policy --key-id {} --policy-name default --region {region} --output text", key.arn)),
        );
    }
}

/// The kms:Decrypt statement a secret's key needs, on the key's ARN: an IAM policy names a KMS
/// key by its ARN only (a key id, an alias name or an alias ARN there does not cover the key,
/// per the KMS developer guide). Resolved by DescribeKey when it could be; otherwise a key ARN
/// as given, a bare key id in the secret's account and region, or an alias through the
/// `kms:ResourceAliases` condition. None for an AWS managed key (its key policy allows the
/// account's principals through the service).
fn decrypt_statement(fact: &SecretFacts, region: &str, account: &str) -> Option<String> {
    let allow = |resource: &str, condition: &str| {
        format!(
            r#"{{"Effect":"Allow","Action":"{}","Resource":"{resource}"{condition}}}"#,
            iam::KMS_DECRYPT
        )
    };
    if let Some(key) = &fact.key {
        return (!key.aws_managed).then(|| allow(&key.arn, ""));
    }
    let named = fact.kms_key.as_deref()?;
    let parsed = crate::arn::Arn::parse(named);
    let (region, account) = parsed
        .as_ref()
        .map_or((region, account), |arn| (arn.region, arn.account));
    let resource = parsed.as_ref().map_or(named, |arn| arn.resource);
    if resource.starts_with("key/") {
        return Some(allow(named, ""));
    }
    match resource.strip_prefix("alias/") {
        Some(alias) => Some(allow(
            &format!("arn:aws:kms:{region}:{account}:key/*"),
            &format!(
                r#","Condition":{{"ForAnyValue:StringEquals":{{"kms:ResourceAliases":"alias/{alias}"}}}}"#
            ),
        )),
        None => Some(allow(
            &format!("arn:aws:kms:{region}:{account}:key/{resource}"),
            "",
        )),
    }
}

/// The IAM resource of a secret: its full ARN ends with a dash and six random characters; a
/// partial ARN (without them) needs the `-??????` wildcard.
fn secret_resource(id: &str) -> String {
    let full = id.rsplit_once('-').is_some_and(|(_, suffix)| {
        suffix.len() == 6 && suffix.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if full {
        id.to_string()
    } else {
        format!("{id}-??????")
    }
}

/// The denied action and resource of a task-role denial the log shows, and the role to grant.
pub(super) fn task_role(c: &mut Conclusion, scene: &Scene) {
    if !scene.has(Category::TaskRoleAccessDenied) {
        return;
    }
    let container = scene.report.resources.container.as_deref();
    let lines = scene
        .incident
        .logs
        .iter()
        .filter(|tail| container.is_none_or(|name| tail.container == name))
        .flat_map(|tail| tail.lines.iter().map(String::as_str))
        .chain(scene.report.log_excerpt.iter().map(String::as_str));
    let Some(found) = lines
        .filter_map(crate::diagnose::shapes::denial)
        .next_back()
    else {
        if scene
            .task_definition()
            .is_some_and(|td| td.task_role_arn.is_none())
        {
            c.say("The task definition has no task role: the application's AWS calls have no credentials of their own.");
            c.fix("Set taskRoleArn in the task definition to a role that allows what the application calls", None);
        }
        return;
    };
    let action = found.action;
    let resource = found
        .resource
        .map_or("*", |resource| resource.trim_end_matches(['.', '"', '\'']));
    let principal = found.principal;
    let task_role = scene
        .task_definition()
        .and_then(|td| td.task_role_arn.as_deref());
    c.headline(format!("Task role denied {action}"));
    c.verified("log line", found.said, iam::LOGS_GET_LOG_EVENTS);
    let Some(role) = task_role else {
        c.say(format!("The application was denied {action} on {resource}, and the task definition has no task role."));
        c.fix(
            format!("Give the task a task role that allows {action} on {resource}"),
            None,
        );
        return;
    };
    let name = last_segment(role);
    if let Some(principal) =
        principal.filter(|p| !p.contains(&format!("/{name}/")) && !p.ends_with(&format!("/{name}")))
    {
        c.say(format!(
            "The denied principal is {principal}, not the task role {name}: the application does not use the task role's credentials (an instance role or keys in the environment)."
        ));
    }
    c.say(format!("The application was denied {action} on {resource}: the task role {name} does not allow it."));
    c.fix(
        format!("Allow {action} on {resource} to the task role {name}"),
        Some(format!(
            r#"aws iam put-role-policy --role-name {name} --policy-name ecs-doctor-{} --policy-document '{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}]}}'"#,
            action.replace([':', '*'], "-").to_ascii_lowercase()
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::secrets::KeyFacts;

    #[test]
    fn denials_name_the_principal_action_and_resource() {
        let line = "botocore.exceptions.ClientError: User: arn:aws:sts::111122223333:assumed-role/api-task/9f2c is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::acme-config/prod.json because no identity-based policy allows the s3:GetObject action";
        let found = crate::diagnose::shapes::denial(line).unwrap();
        assert_eq!(
            found.principal,
            Some("arn:aws:sts::111122223333:assumed-role/api-task/9f2c")
        );
        assert_eq!(found.action, "s3:GetObject");
        assert_eq!(found.resource, Some("arn:aws:s3:::acme-config/prod.json"));
        assert_eq!(
            secret_resource("arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-AbCdEf"),
            "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-AbCdEf"
        );
        assert_eq!(
            secret_resource("arn:aws:secretsmanager:eu-west-1:1:secret:prod/db"),
            "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-??????"
        );
        let bare =
            crate::diagnose::shapes::denial("is not authorized to perform: dynamodb:PutItem")
                .unwrap();
        assert!(bare.principal.is_none() && bare.resource.is_none());
    }

    fn fact(kms_key: Option<&str>, key: Option<KeyFacts>) -> SecretFacts {
        SecretFacts {
            container: "api".into(),
            name: "DB_PASSWORD".into(),
            value_from: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf"
                .into(),
            store: SecretStore::SecretsManager,
            exists: Some(true),
            deletion: None,
            kms_key: kms_key.map(str::to_string),
            key,
            missing_stage: None,
            parameter_type: None,
            note: None,
            verified_by: iam::SECRETSMANAGER_DESCRIBE_SECRET.into(),
        }
    }

    const KEY_ARN: &str =
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn the_decrypt_grant_names_the_key_arn_never_its_alias() {
        let resolved = KeyFacts {
            arn: KEY_ARN.into(),
            aws_managed: false,
            state: Some("Enabled".into()),
        };
        let statement = decrypt_statement(
            &fact(Some("alias/orders"), Some(resolved)),
            "eu-west-1",
            "1",
        )
        .unwrap();
        assert_eq!(
            statement,
            format!(r#"{{"Effect":"Allow","Action":"kms:Decrypt","Resource":"{KEY_ARN}"}}"#)
        );
    }

    #[test]
    fn an_aws_managed_key_needs_no_decrypt_grant() {
        let managed = KeyFacts {
            arn: KEY_ARN.into(),
            aws_managed: true,
            state: Some("Enabled".into()),
        };
        assert_eq!(
            decrypt_statement(&fact(Some(KEY_ARN), Some(managed)), "eu-west-1", "1"),
            None
        );
        assert_eq!(decrypt_statement(&fact(None, None), "eu-west-1", "1"), None);
    }

    #[test]
    fn an_unresolved_alias_is_granted_through_the_resource_aliases_condition() {
        let statement = decrypt_statement(
            &fact(Some("alias/orders"), None),
            "eu-west-1",
            "111122223333",
        )
        .unwrap();
        assert_eq!(
            statement,
            r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:eu-west-1:111122223333:key/*","Condition":{"ForAnyValue:StringEquals":{"kms:ResourceAliases":"alias/orders"}}}"#
        );
        let alias_arn = decrypt_statement(
            &fact(
                Some("arn:aws:kms:us-east-2:444455556666:alias/orders"),
                None,
            ),
            "eu-west-1",
            "111122223333",
        )
        .unwrap();
        assert!(
            alias_arn.contains(r#""Resource":"arn:aws:kms:us-east-2:444455556666:key/*""#),
            "{alias_arn}"
        );
    }

    #[test]
    fn an_unresolved_key_id_or_arn_becomes_the_key_arn() {
        let id = decrypt_statement(
            &fact(Some("1234abcd-12ab-34cd-56ef-1234567890ab"), None),
            "eu-west-1",
            "111122223333",
        )
        .unwrap();
        assert!(id.contains(&format!(r#""Resource":"{KEY_ARN}""#)), "{id}");
        let arn = decrypt_statement(&fact(Some(KEY_ARN), None), "us-east-1", "1").unwrap();
        assert!(arn.contains(&format!(r#""Resource":"{KEY_ARN}""#)), "{arn}");
    }

    #[test]
    fn no_step_offers_the_policy_simulator_as_a_check_of_a_kms_key() {
        // For a role, simulate-principal-policy evaluates neither key policies nor grants.
        for rule in crate::diagnose::RULES {
            for step in rule.steps {
                assert!(
                    !(step.command.contains("simulate-principal-policy")
                        && step.command.contains("kms:")),
                    "{}: {}",
                    rule.id,
                    step.command
                );
            }
        }
    }
}
