//! The deployment probe: the service deployment that failed, as ECS recorded it
//! (`ListServiceDeployments` → `DescribeServiceDeployments`): the alarms that fired and why
//! (CloudWatch `DescribeAlarms`), the circuit breaker's count against its threshold, the
//! rollback and its target, and the task definitions before and after
//! (`DescribeServiceRevisions`): the last revision that ran fine.

use crate::iam;
use aws_sdk_ecs::types::{ServiceDeployment, ServiceDeploymentBrief};

use super::{cached, Probed};
use crate::aws::convert::time;
use crate::aws::{gaps, Ctx};
use crate::facts::deployments::*;
use crate::incident::{Gap, GapKind};

/// How many of the service's deployments are listed (newest first).
const LISTED: i32 = 10;

/// Reads the service's failing deployment.
pub async fn probe(ctx: &Ctx<'_>, ask: &DeploymentAsk) -> Probed<DeploymentFacts> {
    let key = format!(
        "deploy:{}/{}:{}",
        crate::arn::last_segment(&ask.cluster),
        ask.service,
        ask.event_deployment.as_deref().unwrap_or("")
    );
    cached(ctx, key, read(ctx, ask)).await
}

async fn read(ctx: &Ctx<'_>, ask: &DeploymentAsk) -> Probed<DeploymentFacts> {
    let what = format!("the deployments of service {}", ask.service);
    ctx.count_call();
    let listed = ctx
        .clients
        .ecs()
        .list_service_deployments()
        .cluster(&ask.cluster)
        .service(&ask.service)
        .max_results(LISTED)
        .send()
        .await
        .map_err(|error| gaps::from_sdk_error(&what, iam::ECS_LIST_SERVICE_DEPLOYMENTS, &error))?;
    let mut briefs: Vec<&ServiceDeploymentBrief> = listed.service_deployments().iter().collect();
    briefs.sort_by_key(|brief| std::cmp::Reverse(time(brief.created_at())));
    let Some(failing) = failing(&briefs) else {
        return Err(Gap::new(
            GapKind::NotFound,
            what,
            "ListServiceDeployments listed no deployment",
            format!(
                "aws ecs describe-services --cluster {} --services {}",
                ask.cluster, ask.service
            ),
        ));
    };
    let last_good = briefs
        .iter()
        .filter(|brief| time(brief.created_at()) < time(failing.created_at()))
        .find(|brief| status(brief) == "SUCCESSFUL");
    ctx.count_call();
    let described = ctx
        .clients
        .ecs()
        .describe_service_deployments()
        .service_deployment_arns(failing.service_deployment_arn().unwrap_or_default())
        .send()
        .await
        .map_err(|error| {
            gaps::from_sdk_error(&what, iam::ECS_DESCRIBE_SERVICE_DEPLOYMENTS, &error)
        })?;
    let Some(deployment) = described.service_deployments().first() else {
        return Err(Gap::new(
            GapKind::NotFound,
            what,
            "DescribeServiceDeployments returned no deployment",
            "the deployment may have aged out; see the service's events",
        ));
    };
    let mut facts = facts_of(deployment);
    facts.verified_by = vec![
        iam::ECS_LIST_SERVICE_DEPLOYMENTS.into(),
        iam::ECS_DESCRIBE_SERVICE_DEPLOYMENTS.into(),
    ];
    facts.last_good = last_good.map(|brief| LastGood {
        arn: brief
            .service_deployment_arn()
            .unwrap_or_default()
            .to_string(),
        finished_at: time(brief.finished_at()),
        task_definition: None,
    });
    let revisions = revision_arns(deployment, last_good);
    let triggered = facts
        .alarms
        .as_ref()
        .map(|alarms| alarms.triggered.clone())
        .unwrap_or_default();
    let (definitions, fired) = tokio::join!(
        super::maybe((!revisions.is_empty()).then(|| task_definitions(ctx, &revisions))),
        super::maybe((!triggered.is_empty()).then(|| alarms(ctx, &triggered)))
    );
    if let Some(definitions) = definitions {
        let definitions = definitions?;
        facts
            .verified_by
            .push(iam::ECS_DESCRIBE_SERVICE_REVISIONS.into());
        fill_task_definitions(&mut facts, deployment, last_good, &definitions);
    }
    if let (Some(fired), Some(alarms)) = (fired, facts.alarms.as_mut()) {
        alarms.fired = fired?;
        facts
            .verified_by
            .push(iam::CLOUDWATCH_DESCRIBE_ALARMS.into());
    }
    Ok(facts)
}

fn status(brief: &ServiceDeploymentBrief) -> &str {
    brief.status().map_or("", |s| s.as_str())
}

/// The newest deployment that did not succeed; otherwise the newest.
fn failing<'a>(briefs: &[&'a ServiceDeploymentBrief]) -> Option<&'a ServiceDeploymentBrief> {
    briefs
        .iter()
        .find(|brief| status(brief) != "SUCCESSFUL" && status(brief) != "PENDING")
        .or(briefs.first())
        .copied()
}

fn facts_of(deployment: &ServiceDeployment) -> DeploymentFacts {
    DeploymentFacts {
        arn: deployment
            .service_deployment_arn()
            .unwrap_or_default()
            .to_string(),
        status: deployment.status().map_or("", |s| s.as_str()).to_string(),
        status_reason: deployment.status_reason().map(str::to_string),
        started_at: time(deployment.started_at()),
        finished_at: time(deployment.finished_at()),
        circuit_breaker: deployment.deployment_circuit_breaker().map(|breaker| {
            CircuitBreakerFacts {
                status: breaker.status().map(|s| s.as_str().to_string()),
                failure_count: breaker.failure_count(),
                threshold: breaker.threshold(),
            }
        }),
        alarms: deployment.alarms().map(|alarms| AlarmsFacts {
            status: alarms.status().map(|s| s.as_str().to_string()),
            names: alarms.alarm_names().to_vec(),
            triggered: alarms.triggered_alarm_names().to_vec(),
            fired: Vec::new(),
        }),
        rollback: deployment.rollback().map(|rollback| RollbackFacts {
            reason: rollback.reason().map(str::to_string),
            started_at: time(rollback.started_at()),
            task_definition: None,
        }),
        strategy: deployment
            .deployment_configuration()
            .and_then(|c| c.strategy())
            .map(|s| s.as_str().to_string()),
        bake_time_minutes: deployment
            .deployment_configuration()
            .and_then(|c| c.bake_time_in_minutes()),
        lifecycle_stage: deployment.lifecycle_stage().map(|s| s.as_str().to_string()),
        hooks: deployment
            .lifecycle_hook_details()
            .iter()
            .map(|hook| HookFacts {
                hook_id: hook.hook_id().map(str::to_string),
                target_type: hook.target_type().map(|t| t.as_str().to_string()),
                target_arn: hook.target_arn().map(str::to_string),
                status: hook.status().map(|s| s.as_str().to_string()),
                expires_at: time(hook.expires_at()),
                timeout_action: hook.timeout_action().map(|a| a.as_str().to_string()),
            })
            .collect(),
        ..DeploymentFacts::default()
    }
}

/// The service revisions whose task definitions matter: the target, the sources, the rollback's
/// and the last good deployment's.
fn revision_arns(
    deployment: &ServiceDeployment,
    last_good: Option<&&ServiceDeploymentBrief>,
) -> Vec<String> {
    let mut arns: Vec<String> = deployment
        .target_service_revision()
        .and_then(|r| r.arn())
        .into_iter()
        .chain(
            deployment
                .source_service_revisions()
                .iter()
                .filter_map(|r| r.arn()),
        )
        .chain(deployment.rollback().and_then(|r| r.service_revision_arn()))
        .chain(last_good.and_then(|brief| brief.target_service_revision_arn()))
        .map(str::to_string)
        .collect();
    arns.sort();
    arns.dedup();
    arns.truncate(20);
    arns
}

async fn task_definitions(ctx: &Ctx<'_>, revisions: &[String]) -> Probed<Vec<(String, String)>> {
    ctx.count_call();
    let output = ctx
        .clients
        .ecs()
        .describe_service_revisions()
        .set_service_revision_arns(Some(revisions.to_vec()))
        .send()
        .await
        .map_err(|error| {
            gaps::from_sdk_error(
                "the service revisions of the deployment",
                iam::ECS_DESCRIBE_SERVICE_REVISIONS,
                &error,
            )
        })?;
    Ok(output
        .service_revisions()
        .iter()
        .filter_map(|revision| {
            Some((
                revision.service_revision_arn()?.to_string(),
                revision.task_definition()?.to_string(),
            ))
        })
        .collect())
}

fn fill_task_definitions(
    facts: &mut DeploymentFacts,
    deployment: &ServiceDeployment,
    last_good: Option<&&ServiceDeploymentBrief>,
    definitions: &[(String, String)],
) {
    let of = |arn: Option<&str>| {
        let arn = arn?;
        definitions
            .iter()
            .find(|(revision, _)| revision == arn)
            .map(|(_, td)| td.clone())
    };
    facts.target_task_definition = of(deployment.target_service_revision().and_then(|r| r.arn()));
    facts.source_task_definitions = deployment
        .source_service_revisions()
        .iter()
        .filter_map(|r| of(r.arn()))
        .collect();
    if let Some(rollback) = facts.rollback.as_mut() {
        rollback.task_definition = of(deployment.rollback().and_then(|r| r.service_revision_arn()));
    }
    if let Some(good) = facts.last_good.as_mut() {
        good.task_definition = of(last_good.and_then(|brief| brief.target_service_revision_arn()));
    }
}

async fn alarms(ctx: &Ctx<'_>, names: &[String]) -> Probed<Vec<AlarmFacts>> {
    ctx.count_call();
    let output = ctx
        .clients
        .cloudwatch()
        .describe_alarms()
        .set_alarm_names(Some(names.iter().take(100).cloned().collect()))
        .send()
        .await
        .map_err(|error| {
            gaps::from_sdk_error(
                "the alarms that stopped the deployment",
                iam::CLOUDWATCH_DESCRIBE_ALARMS,
                &error,
            )
        })?;
    Ok(output
        .metric_alarms()
        .iter()
        .map(|alarm| AlarmFacts {
            name: alarm.alarm_name().unwrap_or_default().to_string(),
            state: alarm.state_value().map(|s| s.as_str().to_string()),
            reason: alarm.state_reason().map(str::to_string),
            updated_at: time(alarm.state_updated_timestamp()),
            metric: match (alarm.namespace(), alarm.metric_name()) {
                (Some(namespace), Some(metric)) => Some(format!("{namespace} {metric}")),
                (None, Some(metric)) => Some(metric.to_string()),
                _ => None,
            },
        })
        .chain(output.composite_alarms().iter().map(|alarm| AlarmFacts {
            name: alarm.alarm_name().unwrap_or_default().to_string(),
            state: alarm.state_value().map(|s| s.as_str().to_string()),
            reason: alarm.state_reason().map(str::to_string),
            updated_at: time(alarm.state_updated_timestamp()),
            metric: alarm.alarm_rule().map(|rule| format!("composite: {rule}")),
        }))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_revision_is_the_rollbacks_then_the_replaced_then_the_last_good() {
        let mut facts = DeploymentFacts {
            target_task_definition: Some("arn:td/api:42".into()),
            source_task_definitions: vec!["arn:td/api:42".into(), "arn:td/api:41".into()],
            last_good: Some(LastGood {
                task_definition: Some("arn:td/api:40".into()),
                ..LastGood::default()
            }),
            ..DeploymentFacts::default()
        };
        assert_eq!(
            facts.previous_task_definition(),
            Some(("arn:td/api:41", "the revision this deployment replaced"))
        );
        facts.rollback = Some(RollbackFacts {
            task_definition: Some("arn:td/api:39".into()),
            ..RollbackFacts::default()
        });
        assert_eq!(facts.previous_task_definition().unwrap().0, "arn:td/api:39");
        facts.rollback = None;
        facts.source_task_definitions.clear();
        assert_eq!(facts.previous_task_definition().unwrap().0, "arn:td/api:40");
    }
}
