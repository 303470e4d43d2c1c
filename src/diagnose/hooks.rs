//! What the events of today's ECS carry beyond a name and a reason, put into the report: a
//! hook's id, stage and expiry with the commands to continue or roll back (with the real
//! values, as AWS documents them), a managed daemon's instance and failure type, an instance's
//! failing health checks.

use crate::arn::last_segment;
use crate::event::{DaemonAction, DaemonDeployment, Detail, HookChange, InstanceHealth};
use crate::iam::LAMBDA_INVOKE_FUNCTION;
use crate::report::{Report, Step};

use super::evidence;

/// Adds the event's own facts and commands to `report`.
pub(super) fn describe(report: &mut Report, detail: &Detail) {
    match detail {
        Detail::Hook(hook) => hook_facts(report, hook),
        Detail::DaemonAction(daemon) => daemon_facts(report, daemon),
        Detail::DaemonDeployment(deployment) => daemon_deployment_facts(report, deployment),
        Detail::InstanceHealth(health) => health_facts(report, health),
        Detail::Task(_) | Detail::Deployment(_) | Detail::ServiceAction(_) => {}
    }
}

fn region_of(arn: Option<&str>) -> Option<&str> {
    crate::arn::region_of(arn?)
}

fn hook_facts(report: &mut Report, hook: &HookChange) {
    let mut text = format!(
        "{} {} hook {} at {}",
        hook.event_name,
        hook.hook_type.as_deref().unwrap_or("?"),
        hook.hook_id.as_deref().unwrap_or("?"),
        hook.lifecycle_stage.as_deref().unwrap_or("?"),
    );
    if let Some(expires) = hook.expires_at {
        text.push_str(&format!(", expires at {}", expires.to_rfc3339()));
    }
    report.evidence.push(evidence("hook state change", &text));
    report.resources.hook_id = hook.hook_id.clone();
    report.resources.service_deployment = hook.service_deployment_arn.clone();
    if hook.event_name != "HOOK_AWAITING_ACTION" {
        return;
    }
    let (Some(hook_id), Some(deployment)) = (&hook.hook_id, &hook.service_deployment_arn) else {
        return;
    };
    let region = region_of(Some(deployment)).map_or(String::new(), |r| format!(" --region {r}"));
    if let Some(expires) = hook.expires_at {
        report.summary.push_str(&format!(
            " If nobody acts by {}, ECS takes the hook's timeout action: it rolls the deployment back unless the hook is configured to CONTINUE.",
            expires.to_rfc3339()
        ));
    }
    for (title, action) in [
        (
            "Continue the deployment (after checking the new revision)",
            "CONTINUE",
        ),
        ("Or roll it back to the previous revision", "ROLLBACK"),
    ] {
        report.next_steps.insert(
            report.next_steps.len().min(usize::from(action == "ROLLBACK")),
            Step {
                title: title.into(),
                command: Some(format!(
                    "aws ecs continue-service-deployment --service-deployment-arn {deployment} --hook-id {hook_id} --action {action}{region}"
                )),
            },
        );
    }
}

fn daemon_facts(report: &mut Report, daemon: &DaemonAction) {
    let text = format!(
        "{} {} on {} (daemon {}, task {}): {}",
        daemon.event_name,
        daemon.failure_type.as_deref().unwrap_or("?"),
        daemon
            .container_instance_arn
            .as_deref()
            .map_or("?", last_segment),
        daemon.daemon_arn.as_deref().map_or("?", last_segment),
        daemon.task_arn.as_deref().map_or("?", last_segment),
        daemon.reason.as_deref().unwrap_or("(no reason given)"),
    );
    report
        .evidence
        .push(evidence("daemon service action", &text));
    if let (Some(cluster), Some(task)) = (&daemon.cluster_arn, &daemon.task_arn) {
        let region = region_of(Some(task)).map_or(String::new(), |r| format!(" --region {r}"));
        report.next_steps.insert(
            0,
            Step {
                title: "Read the daemon task's reasons".into(),
                command: Some(format!(
                    "aws ecs describe-tasks --cluster {} --tasks {}{region} --query 'tasks[0].{{stopCode:stopCode,stoppedReason:stoppedReason,containers:containers[].{{name:name,exitCode:exitCode,reason:reason}}}}'",
                    last_segment(cluster),
                    last_segment(task)
                )),
            },
        );
    }
}

fn daemon_deployment_facts(report: &mut Report, deployment: &DaemonDeployment) {
    let text = format!(
        "{} daemon {} deployment {} to {}",
        deployment.event_name,
        deployment.daemon_arn.as_deref().map_or("?", last_segment),
        deployment.daemon_deployment_arn.as_deref().unwrap_or("?"),
        deployment
            .target_daemon_revision_arn
            .as_deref()
            .map_or("?", last_segment),
    );
    report.evidence.push(evidence("daemon deployment", &text));
}

fn health_facts(report: &mut Report, health: &InstanceHealth) {
    for check in &health.health_checks {
        let text = format!(
            "{} {} on {}{}",
            check.kind.as_deref().unwrap_or("check"),
            check.status.as_deref().unwrap_or("?"),
            health.ec2_instance_id.as_deref().unwrap_or("the instance"),
            check
                .status_reason
                .as_deref()
                .map_or(String::new(), |reason| format!(": {reason}")),
        );
        report
            .evidence
            .push(evidence("container instance health", &text));
    }
}

/// A hook ECS could not invoke (`… is not authorized to perform: lambda:InvokeFunction on
/// resource: FUNCTION`): the hook's role and the function, from the reason, and the policy that
/// lets the role invoke it, first among the steps.
pub(super) fn hook_role_fix(report: &mut Report, reason: &str) {
    let Some((role, function)) = denied_invoke(reason) else {
        return;
    };
    report.summary.push_str(&format!(
        " The hook's role {role} may not invoke {function}: ECS could not run the hook at all."
    ));
    report.next_steps.insert(
        0,
        Step {
            title: format!("Let the hook's role {role} invoke the hook function"),
            command: Some(format!(
                "aws iam put-role-policy --role-name {role} --policy-name invoke-deployment-hook --policy-document '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":\"{LAMBDA_INVOKE_FUNCTION}\",\"Resource\":\"{function}\"}}]}}'"
            )),
        },
    );
}

/// `(role name, function ARN)` from `User: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION is not
/// authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:…:function:NAME`.
fn denied_invoke(reason: &str) -> Option<(&str, &str)> {
    if !reason.contains(LAMBDA_INVOKE_FUNCTION) {
        return None;
    }
    let role = reason.split("assumed-role/").nth(1)?.split('/').next()?;
    let function = reason
        .split("on resource: ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .trim_end_matches(['.', ',']);
    (function.contains(":function:") && !role.is_empty()).then_some((role, function))
}

#[cfg(test)]
mod tests {
    use super::denied_invoke;

    #[test]
    fn the_role_that_may_not_invoke_the_hook_and_its_function_come_from_the_reason() {
        let reason = "Service deployment rolled back because TEST_TRAFFIC_SHIFT lifecycle hook(s) failed. ECS was unable to invoke hook target arn:aws:lambda:us-west-2:123456789012:function:myHook due to User: arn:aws:sts::123456789012:assumed-role/myHookRole/ECS-Lambda-Execution is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-west-2:123456789012:function:myHook because no identity-based policy allows the lambda:InvokeFunction action";
        assert_eq!(
            denied_invoke(reason),
            Some((
                "myHookRole",
                "arn:aws:lambda:us-west-2:123456789012:function:myHook"
            ))
        );
        assert_eq!(
            denied_invoke("Lifecycle hook target x returned FAILED status."),
            None
        );
    }
}
