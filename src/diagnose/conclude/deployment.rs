//! The failed deployment as ECS recorded it: the alarms that fired and why, the circuit
//! breaker's count, the rollback and where it went.

use super::{at, Conclusion, Scene};
use crate::arn::{last_segment, task_definition_name};
use crate::facts::deployments::DeploymentFacts;
use crate::iam;

pub(super) fn conclude(c: &mut Conclusion, scene: &Scene, facts: &DeploymentFacts) {
    let source = "service deployment";
    let mut text = format!("{} {}", last_segment(&facts.arn), facts.status);
    if let Some(td) = &facts.target_task_definition {
        text.push_str(&format!(" (deploying {})", task_definition_name(td)));
    }
    if let Some(reason) = &facts.status_reason {
        text.push_str(&format!(": {reason}"));
    }
    c.verified(source, text, iam::ECS_DESCRIBE_SERVICE_DEPLOYMENTS);
    strategy(c, facts);
    if let Some(breaker) = &facts.circuit_breaker {
        if breaker.failure_count > 0 || breaker.status.as_deref() == Some("TRIGGERED") {
            c.verified(
                source,
                format!(
                    "circuit breaker {}: {} failed task{} against a threshold of {}",
                    breaker.status.as_deref().unwrap_or("?"),
                    breaker.failure_count,
                    if breaker.failure_count == 1 { "" } else { "s" },
                    breaker.threshold
                ),
                iam::ECS_DESCRIBE_SERVICE_DEPLOYMENTS,
            );
        }
    }
    if let Some(rollback) = &facts.rollback {
        let mut text = "ECS rolled back".to_string();
        if let Some(td) = &rollback.task_definition {
            text.push_str(&format!(" to {}", task_definition_name(td)));
        }
        if let Some(started) = rollback.started_at {
            text.push_str(&format!(" at {}", at(started)));
        }
        if let Some(reason) = &rollback.reason {
            text.push_str(&format!(": {reason}"));
        }
        c.verified(source, text, iam::ECS_DESCRIBE_SERVICE_DEPLOYMENTS);
    }
    alarms(c, scene, facts);
}

fn alarms(c: &mut Conclusion, scene: &Scene, facts: &DeploymentFacts) {
    let Some(alarms) = &facts.alarms else {
        return;
    };
    for alarm in &alarms.fired {
        let mut text = format!("alarm {}", alarm.name);
        if let Some(metric) = &alarm.metric {
            text.push_str(&format!(" ({metric})"));
        }
        text.push_str(&format!(" {}", alarm.state.as_deref().unwrap_or("?")));
        if let Some(updated) = alarm.updated_at {
            text.push_str(&format!(" since {}", at(updated)));
        }
        if let Some(reason) = &alarm.reason {
            text.push_str(&format!(": {reason}"));
        }
        c.verified("CloudWatch alarm", text, iam::CLOUDWATCH_DESCRIBE_ALARMS);
    }
    let Some(first) = alarms.triggered.first() else {
        return;
    };
    c.headline(format!("Stopped by alarm {first}"));
    let fired = alarms.fired.iter().find(|a| &a.name == first);
    c.say(format!(
        "Verified: alarm {first}{} stopped the deployment{}.",
        fired
            .and_then(|a| a.metric.as_deref())
            .map(|m| format!(" ({m})"))
            .unwrap_or_default(),
        fired
            .and_then(|a| a.reason.as_deref())
            .map(|r| format!(": {r}"))
            .unwrap_or_default()
    ));
    c.fix(
        format!("See what {first} measured around the deployment, then fix the revision it judged"),
        Some(format!(
            "aws cloudwatch describe-alarm-history --alarm-name {first} --history-item-type StateUpdate --max-items 5 --region {}",
            scene.region
        )),
    );
    // The alarms are named now: no region-wide listing of every alarm in ALARM.
    c.supersede("describe-alarms --state-value");
    c.retract(crate::diagnose::NO_TASK_READ);
}

/// A deployment with a strategy: where it is, its bake time, and each lifecycle hook as ECS ran
/// it (the function, the status, when a pause expires and what happens then).
fn strategy(c: &mut Conclusion, facts: &DeploymentFacts) {
    let source = "service deployment";
    let Some(strategy) = facts.strategy.as_deref().filter(|s| *s != "ROLLING") else {
        return;
    };
    let mut text = format!("strategy {strategy}");
    if let Some(stage) = &facts.lifecycle_stage {
        text.push_str(&format!(", lifecycle stage {stage}"));
    }
    if let Some(bake) = facts.bake_time_minutes {
        text.push_str(&format!(", bake time {bake} min"));
    }
    c.verified(source, text, iam::ECS_DESCRIBE_SERVICE_DEPLOYMENTS);
    for hook in &facts.hooks {
        let mut text = format!(
            "{} hook {} {}",
            hook.target_type.as_deref().unwrap_or("?"),
            hook.target_arn
                .as_deref()
                .or(hook.hook_id.as_deref())
                .unwrap_or("?"),
            hook.status.as_deref().unwrap_or("?"),
        );
        if let Some(expires) = hook.expires_at {
            text.push_str(&format!(
                ", expires {} (then {})",
                at(expires),
                hook.timeout_action.as_deref().unwrap_or("ROLLBACK")
            ));
        }
        c.verified(source, text, iam::ECS_DESCRIBE_SERVICE_DEPLOYMENTS);
    }
}
