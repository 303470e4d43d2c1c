//! What the task could not reach or was not allowed: the network path (routes, endpoints,
//! egress), the referenced secrets and the role that fetches them, and the task role's
//! denials that the application logged.

use super::{Conclusion, Scene};
use crate::arn::last_segment;
use crate::investigate::network::{verdict, NetworkFacts};
use crate::investigate::secrets::{Pointer, SecretFacts, Store};
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
            "ec2:DescribeRouteTables",
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
            "ec2:DescribeVpcEndpoints",
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
            "ec2:DescribeSecurityGroups",
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
            if fact.store == Store::Ssm {
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
                    Store::SecretsManager => format!(
                        "aws secretsmanager list-secrets --region {} --query 'SecretList[].ARN'",
                        scene.region
                    ),
                    Store::Ssm => format!(
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
            Store::SecretsManager => secret_resource(&pointer.id),
            Store::Ssm if fact.value_from.starts_with("arn:") => fact.value_from.clone(),
            Store::Ssm => format!(
                "arn:aws:ssm:{}:{account}:parameter/{}",
                scene.region,
                pointer.id.trim_start_matches('/')
            ),
        };
        statements.push(format!(
            r#"{{"Effect":"Allow","Action":"{}","Resource":"{resource}"}}"#,
            pointer.fetch_action()
        ));
        if let Some(key) = fact
            .kms_key
            .as_deref()
            .filter(|k| !k.contains("alias/aws/"))
        {
            statements.push(format!(
                r#"{{"Effect":"Allow","Action":"kms:Decrypt","Resource":"{key}"}}"#
            ));
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
    c.verified("log line", found.said, "logs:GetLogEvents");
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
}
