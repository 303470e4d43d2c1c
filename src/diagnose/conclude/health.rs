//! The target group's health check against what the container serves: the path and port it
//! probes, the codes it got, the time a new target needs against the grace period.

use super::{Conclusion, Scene};
use crate::facts::elb::{failed_codes, TargetGroupFacts};
use crate::iam;

/// How many target groups and targets are quoted.
const GROUPS: usize = 2;
const TARGETS: usize = 3;

pub(super) fn conclude(c: &mut Conclusion, scene: &Scene, groups: &[TargetGroupFacts]) {
    for group in groups.iter().take(GROUPS) {
        let source = format!("target group {}", group.name);
        c.verified(
            &source,
            format!(
                "health check: {}; {} healthy target{}",
                group.check.describe(),
                group.healthy,
                if group.healthy == 1 { "" } else { "s" }
            ),
            iam::ELB_DESCRIBE_TARGET_GROUPS,
        );
        for target in group.targets.iter().take(TARGETS) {
            let port = target.port.map(|p| format!(":{p}")).unwrap_or_default();
            let mut text = format!(
                "target {}{port}{} {}",
                target.id,
                if target.this_task { " (this task)" } else { "" },
                target.state
            );
            if let Some(reason) = &target.reason {
                text.push_str(&format!(": {reason}"));
            }
            if let Some(description) = &target.description {
                text.push_str(&format!(" — {description}"));
            }
            c.verified(&source, text, iam::ELB_DESCRIBE_TARGET_HEALTH);
        }
        // What the target group asks and its targets answer is verified above.
        c.supersede("aws elbv2 describe-target-health");
        c.supersede("aws elbv2 describe-target-groups");
        port_mismatch(c, scene, group);
        answers(c, scene, group);
        grace(c, scene, group);
    }
}

fn modify(scene: &Scene, group: &TargetGroupFacts, arguments: &str) -> String {
    format!(
        "aws elbv2 modify-target-group --target-group-arn {} {arguments} --region {}",
        group.arn, scene.region
    )
}

/// A health check on an explicit port the container does not serve, or a target group that
/// sends to a port the task definition does not map.
fn port_mismatch(c: &mut Conclusion, scene: &Scene, group: &TargetGroupFacts) {
    let Some(container_port) = group.container_port else {
        return;
    };
    if let Some(port) = group
        .check
        .explicit_port()
        .filter(|port| *port != container_port)
    {
        c.headline("Health check on the wrong port");
        c.say(format!(
            "Verified: target group {} probes port {port}, but container {} listens on {container_port}.",
            group.name,
            group.container.as_deref().unwrap_or("?")
        ));
        c.fix(
            format!("Probe the port the container serves ({container_port}): the traffic port"),
            Some(modify(scene, group, "--health-check-port traffic-port")),
        );
    }
    let mapped = scene
        .task_definition()
        .zip(group.container.as_deref())
        .and_then(|(td, name)| td.container(name))
        .map(|definition| definition.ports.clone());
    if let Some(ports) =
        mapped.filter(|ports| !ports.is_empty() && !ports.contains(&container_port))
    {
        c.say(format!(
            "Verified: the service sends target group {} to port {container_port} of {}, which maps only {}.",
            group.name,
            group.container.as_deref().unwrap_or("the container"),
            ports.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
        ));
    }
}

/// What the targets answered: wrong codes, or nothing in time.
fn answers(c: &mut Conclusion, scene: &Scene, group: &TargetGroupFacts) {
    let path = group.check.path.as_deref().unwrap_or("/");
    let Some(target) = group.targets.iter().find(|t| t.reason.is_some()) else {
        return;
    };
    match target.reason.as_deref() {
        Some("Target.ResponseCodeMismatch") => {
            let codes = target
                .description
                .as_deref()
                .map(failed_codes)
                .unwrap_or_default();
            let shown = codes
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let expected = group.check.matcher.as_deref().unwrap_or("200");
            c.headline(format!(
                "Health check gets {} on {path}",
                if shown.is_empty() {
                    "the wrong code".into()
                } else {
                    shown.clone()
                }
            ));
            match codes.first() {
                Some(404) => {
                    c.say(format!("Verified: the load balancer gets 404 on {path}: the app does not serve that path (expected {expected})."));
                    c.fix(
                        format!("Point the health check at a path the app serves (it answers 404 on {path})"),
                        Some(modify(scene, group, "--health-check-path /<path-the-app-serves>")),
                    );
                }
                Some(code) if (300..400).contains(code) => {
                    c.say(format!("Verified: {path} answers with a redirect ({shown}), and the health check expects {expected}."));
                    c.fix(
                        "Accept redirects, or probe the page they lead to",
                        Some(modify(scene, group, "--matcher HttpCode=200-399")),
                    );
                }
                Some(code) if (401..=403).contains(code) => {
                    c.say(format!("Verified: {path} asks for authentication ({shown}); a health check sends none."));
                    c.fix(format!("Exempt {path} from authentication in the app, or probe a public path"), None);
                }
                _ => c.say(format!(
                    "Verified: the app answers {shown} on {path} (expected {expected}): its health endpoint fails; the log lines say why."
                )),
            }
        }
        Some("Target.Timeout") => {
            c.headline(format!("Health check times out on {path}"));
            c.say(format!(
                "Verified: targets did not answer {path} within {} s: the app listens on another port or on 127.0.0.1 only, starts slowly, or a security group keeps the load balancer out.",
                group.check.timeout.map_or("the timeout".to_string(), |t| t.to_string())
            ));
        }
        Some("Target.FailedHealthChecks") => c.say(format!(
            "Verified: targets fail the health check on {path}: {}.",
            target.description.as_deref().unwrap_or("no detail")
        )),
        _ => {}
    }
}

/// A grace period shorter than the time a new target needs to pass the checks.
fn grace(c: &mut Conclusion, scene: &Scene, group: &TargetGroupFacts) {
    let Some(needed) = group.check.seconds_to_healthy() else {
        return;
    };
    let grace = scene
        .incident
        .service
        .as_ref()
        .and_then(|service| service.health_check_grace_period_seconds)
        .unwrap_or(0);
    // A wrong code or port is not a matter of time: more grace would not help.
    let wrong_answer = group
        .targets
        .iter()
        .any(|t| t.reason.as_deref() == Some("Target.ResponseCodeMismatch"));
    if grace >= needed || wrong_answer {
        return;
    }
    let suggested = (needed + 30).div_euclid(30) * 30;
    c.say(format!(
        "The service's health check grace period ({grace} s) is shorter than the {needed} s a new target needs to pass ({} s × {}).",
        group.check.interval.unwrap_or(0),
        group.check.healthy_threshold.unwrap_or(0)
    ));
    c.supersede("--health-check-grace-period-seconds");
    c.fix(
        format!("Give new tasks time to pass the checks: a grace period of {suggested} s"),
        scene.update_service(&format!("--health-check-grace-period-seconds {suggested}")),
    );
}
