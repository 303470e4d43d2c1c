//! One-click actions in chat: the Amazon Q Developer custom actions the stack ships
//! (`AWS::Chatbot::CustomAction` in template.yaml, held to this table by tests/engine/template.rs),
//! and the variables a card carries for them. A button shows only where its variables are on
//! the card (criteria `HAS_VALUE`), and this module decides which variables a report carries:
//! a rollback only where the investigation found the last revision that ran fine, a new
//! deployment only where the fix lies outside the task definition, continue and roll back only
//! on a paused deployment. A person always presses the button; Amazon Q runs the command with
//! the channel's role.

use std::collections::BTreeMap;

use crate::report::{Category, Report};

/// Where a custom action reads a variable in a custom notification.
pub const VARIABLE_PATH: &str = "event.metadata.additionalContext.";

/// One custom action: its button, the variables its command needs (all must be on the card),
/// and the command Amazon Q runs (`$name` is a variable).
#[derive(Debug)]
pub struct ChatAction {
    /// `ActionName` (and the resource's logical id, in CamelCase, in template.yaml).
    pub name: &'static str,
    /// `AliasName`: `@Amazon Q run ALIAS` in the channel.
    pub alias: &'static str,
    pub button: &'static str,
    pub variables: &'static [&'static str],
    /// `Definition.CommandText`, without the leading `aws`, as Amazon Q takes commands.
    pub command: &'static str,
    /// What it does, for the README.
    pub does: &'static str,
}

pub const CHAT_ACTIONS: &[ChatAction] = &[
    ChatAction {
        name: "ecs-doctor-rollback",
        alias: "ecs-rollback",
        button: "Roll back to the last good revision",
        variables: &["cluster", "service", "rollbackTaskDefinition", "region"],
        command: "ecs update-service --cluster $cluster --service $service --task-definition $rollbackTaskDefinition --region $region",
        does: "points the service at the last revision that ran fine (the alert's own `update-service`), when the investigation found one",
    },
    ChatAction {
        name: "ecs-doctor-redeploy",
        alias: "ecs-redeploy",
        button: "Force a new deployment",
        variables: &["cluster", "service", "redeploy", "region"],
        command: "ecs update-service --cluster $cluster --service $service --force-new-deployment --region $region",
        does: "starts the same revision again, after a fix outside the task definition (a pushed tag, a route, a secret, a role)",
    },
    ChatAction {
        name: "ecs-doctor-continue",
        alias: "ecs-continue",
        button: "Continue the deployment",
        variables: &["serviceDeploymentArn", "hookId", "region"],
        command: "ecs continue-service-deployment --service-deployment-arn $serviceDeploymentArn --hook-id $hookId --action CONTINUE --region $region",
        does: "lets a deployment held by a pause hook go on",
    },
    ChatAction {
        name: "ecs-doctor-abort",
        alias: "ecs-abort",
        button: "Roll the paused deployment back",
        variables: &["serviceDeploymentArn", "hookId", "region"],
        command: "ecs continue-service-deployment --service-deployment-arn $serviceDeploymentArn --hook-id $hookId --action ROLLBACK --region $region",
        does: "rolls back a deployment held by a pause hook",
    },
    ChatAction {
        name: "ecs-doctor-logs",
        alias: "ecs-logs",
        button: "Show the last log lines",
        variables: &["logGroup", "logStream", "region"],
        command: "logs get-log-events --log-group-name $logGroup --log-stream-name $logStream --limit 20 --no-start-from-head --region $region",
        does: "shows the failed container's last 20 log lines",
    },
];

/// Failures fixed outside the task definition: a new deployment of the same revision picks the
/// fix up.
fn fixed_outside_the_task_definition(category: Category) -> bool {
    use Category::*;
    matches!(
        category,
        ImagePullNotFound
            | ImagePullAuth
            | ImagePullNetwork
            | ImagePullRateLimit
            | SecretsAccessDenied
            | SecretsKms
            | SecretsNetwork
            | SecretsInvalidReference
            | LogGroupMissing
            | LogDriverFailed
            | EfsVolumeMount
            | EbsVolume
            | TaskRoleAccessDenied
            | DbConnection
            | EniProvisionTimeout
            | PlacementEniOrIp
            | PlacementResources
    )
}

/// The action variables of a report, by name: only those that apply.
pub fn variables(report: &Report) -> BTreeMap<&'static str, String> {
    let mut vars = BTreeMap::new();
    let resources = &report.resources;
    let mut put = |name: &'static str, value: Option<&str>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            vars.insert(name, value.to_string());
        }
    };
    put("cluster", resources.cluster.as_deref());
    put("service", resources.service.as_deref());
    put("region", resources.region.as_deref());
    put("logGroup", resources.log_group.as_deref());
    put("logStream", resources.log_stream.as_deref());
    if !report.notify || resources.service.is_none() {
        return vars;
    }
    if let Some(changed) = &report.what_changed {
        put("rollbackTaskDefinition", Some(changed.from.as_str()));
    }
    if fixed_outside_the_task_definition(report.category) {
        put("redeploy", Some("yes"));
    }
    if report.category == Category::DeploymentPaused {
        put("hookId", resources.hook_id.as_deref());
        put(
            "serviceDeploymentArn",
            resources.service_deployment.as_deref(),
        );
    }
    vars
}

/// The commands a report's card offers, expanded the way Amazon Q expands them: an action whose
/// variables are not all on the card shows no button.
pub fn offered(report: &Report) -> Vec<(&'static ChatAction, String)> {
    let vars = variables(report);
    CHAT_ACTIONS
        .iter()
        .filter(|action| action.variables.iter().all(|v| vars.contains_key(v)))
        .map(|action| (action, expand(action.command, &vars)))
        .collect()
}

/// `$name` replaced by the variable's value (longest names first, so `$service` does not eat
/// `$serviceDeploymentArn`).
pub fn expand(command: &str, vars: &BTreeMap<&'static str, String>) -> String {
    let mut names: Vec<&&str> = vars.keys().collect();
    names.sort_by_key(|name| std::cmp::Reverse(name.len()));
    let mut out = command.to_string();
    for name in names {
        out = out.replace(&format!("${name}"), &vars[*name]);
    }
    out
}
