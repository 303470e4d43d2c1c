//! The load-balancer probe: what the target group's health check asks (protocol, path, port,
//! codes, timings) and what its targets answer (Target.ResponseCodeMismatch, Target.Timeout …),
//! to set against the container's port and the service's grace period.

use crate::iam;
use futures_util::future::join_all;

use super::{cached, Probed};
use crate::aws::{gaps, Ctx};
use crate::facts::elb::*;
use crate::incident::{Gap, GapKind};

/// How many target groups and unhealthy targets a report looks at.
const TARGET_GROUPS: usize = 5;
const TARGETS: usize = 5;

/// Reads every target group the service sends traffic through.
pub async fn probe(ctx: &Ctx<'_>, ask: &TargetGroupAsk) -> Probed<Vec<TargetGroupFacts>> {
    let registrations: Vec<&Registration> = ask.target_groups.iter().take(TARGET_GROUPS).collect();
    if registrations.is_empty() {
        return Ok(Vec::new());
    }
    let mut arns: Vec<String> = registrations.iter().map(|r| r.arn.clone()).collect();
    arns.dedup();
    let key = format!(
        "elb:{}:{}",
        arns.join(","),
        ask.task_ip.as_deref().unwrap_or("")
    );
    let read = async {
        let (groups, healths) = tokio::join!(
            describe_target_groups(ctx, &arns),
            join_all(arns.iter().map(|arn| target_health(ctx, arn)))
        );
        let mut facts = groups?;
        let mut healths: Vec<Option<Probed<Vec<TargetFacts>>>> =
            healths.into_iter().map(Some).collect();
        for group in &mut facts {
            let Some(health) = arns
                .iter()
                .position(|arn| *arn == group.arn)
                .and_then(|at| healths[at].take())
            else {
                continue;
            };
            let targets = health?;
            group.healthy = targets.iter().filter(|t| t.state == "healthy").count();
            group.targets = unhealthy_first(targets, ask.task_ip.as_deref());
            group
                .verified_by
                .push(iam::ELB_DESCRIBE_TARGET_HEALTH.into());
        }
        for group in &mut facts {
            if let Some(registration) = registrations.iter().find(|r| r.arn == group.arn) {
                group.container = registration.container.clone();
                group.container_port = registration.container_port;
            }
        }
        Ok(facts)
    };
    cached(ctx, key, read).await
}

async fn describe_target_groups(ctx: &Ctx<'_>, arns: &[String]) -> Probed<Vec<TargetGroupFacts>> {
    ctx.count_call();
    let output = ctx
        .clients
        .elbv2()
        .describe_target_groups()
        .set_target_group_arns(Some(arns.to_vec()))
        .send()
        .await
        .map_err(|error| {
            gaps::from_sdk_error(
                "the target group's health check",
                iam::ELB_DESCRIBE_TARGET_GROUPS,
                &error,
            )
        })?;
    let groups: Vec<TargetGroupFacts> = output
        .target_groups()
        .iter()
        .map(|group| TargetGroupFacts {
            arn: group.target_group_arn().unwrap_or_default().to_string(),
            name: group.target_group_name().unwrap_or_default().to_string(),
            protocol: group.protocol().map(|p| p.as_str().to_string()),
            port: group.port(),
            target_type: group.target_type().map(|t| t.as_str().to_string()),
            check: HealthCheckFacts {
                enabled: group.health_check_enabled(),
                protocol: group
                    .health_check_protocol()
                    .map(|p| p.as_str().to_string()),
                port: group.health_check_port().map(str::to_string),
                path: group.health_check_path().map(str::to_string),
                matcher: group
                    .matcher()
                    .and_then(|m| m.http_code().or(m.grpc_code()))
                    .map(str::to_string),
                interval: group.health_check_interval_seconds(),
                timeout: group.health_check_timeout_seconds(),
                healthy_threshold: group.healthy_threshold_count(),
                unhealthy_threshold: group.unhealthy_threshold_count(),
            },
            verified_by: vec![iam::ELB_DESCRIBE_TARGET_GROUPS.into()],
            ..TargetGroupFacts::default()
        })
        .collect();
    if groups.is_empty() {
        return Err(Gap::new(
            GapKind::NotFound,
            "the target group's health check",
            "DescribeTargetGroups returned no target group",
            "check the service's loadBalancers: the target group may have been deleted",
        ));
    }
    Ok(groups)
}

async fn target_health(ctx: &Ctx<'_>, arn: &str) -> Probed<Vec<TargetFacts>> {
    ctx.count_call();
    let output = ctx
        .clients
        .elbv2()
        .describe_target_health()
        .target_group_arn(arn)
        .send()
        .await
        .map_err(|error| {
            gaps::from_sdk_error(
                "the target group's targets",
                iam::ELB_DESCRIBE_TARGET_HEALTH,
                &error,
            )
        })?;
    Ok(output
        .target_health_descriptions()
        .iter()
        .map(|description| {
            let health = description.target_health();
            TargetFacts {
                id: description
                    .target()
                    .and_then(|t| t.id())
                    .unwrap_or_default()
                    .to_string(),
                port: description.target().and_then(|t| t.port()),
                state: health
                    .and_then(|h| h.state())
                    .map_or("unknown", |s| s.as_str())
                    .to_string(),
                reason: health
                    .and_then(|h| h.reason())
                    .map(|r| r.as_str().to_string()),
                description: health.and_then(|h| h.description()).map(str::to_string),
                this_task: false,
            }
        })
        .collect())
}

/// The stopped task's target first, then the other targets that are not healthy.
fn unhealthy_first(targets: Vec<TargetFacts>, task_ip: Option<&str>) -> Vec<TargetFacts> {
    let mut kept: Vec<TargetFacts> = targets
        .into_iter()
        .map(|mut target| {
            target.this_task = task_ip == Some(target.id.as_str());
            target
        })
        .filter(|target| target.this_task || target.state != "healthy")
        .collect();
    kept.sort_by_key(|target| !target.this_task);
    kept.truncate(TARGETS);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_checks_read_as_a_sentence() {
        let check = HealthCheckFacts {
            enabled: Some(true),
            protocol: Some("HTTP".into()),
            port: Some("traffic-port".into()),
            path: Some("/health".into()),
            matcher: Some("200".into()),
            interval: Some(30),
            timeout: Some(5),
            healthy_threshold: Some(5),
            unhealthy_threshold: Some(2),
        };
        assert_eq!(
            check.describe(),
            "HTTP GET /health on the traffic port expecting 200, every 30 s (timeout 5 s, 5 to pass, 2 to fail)"
        );
        assert_eq!(check.seconds_to_healthy(), Some(150));
        assert_eq!(check.explicit_port(), None);
    }

    #[test]
    fn failed_codes_are_read_from_the_description() {
        assert_eq!(
            failed_codes("Health checks failed with these codes: [404]"),
            [404]
        );
        assert_eq!(
            failed_codes("Health checks failed with these codes: [502, 503]"),
            [502, 503]
        );
        assert!(failed_codes("Request timed out").is_empty());
    }

    #[test]
    fn the_stopped_tasks_target_comes_first() {
        let target = |id: &str, state: &str| TargetFacts {
            id: id.into(),
            state: state.into(),
            ..TargetFacts::default()
        };
        let kept = unhealthy_first(
            vec![
                target("10.0.1.5", "unhealthy"),
                target("10.0.1.6", "healthy"),
                target("10.0.1.7", "draining"),
            ],
            Some("10.0.1.7"),
        );
        assert_eq!(kept.len(), 2);
        assert!(kept[0].this_task && kept[0].id == "10.0.1.7");
    }
}
