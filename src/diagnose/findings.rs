//! Secondary findings: true, relevant, and not the cause. "healthCheckGracePeriodSeconds is 0
//! while the task ran 45 s before the load balancer gave up on it."

use super::task::{log_rule, TaskVerdict};
use crate::event::Task;
use crate::incident::Incident;
use crate::report::{Category, Finding, Report};

fn finding(id: &str, text: String) -> Finding {
    Finding {
        id: id.to_string(),
        text,
    }
}

/// Findings for a stopped task.
pub fn for_task(
    incident: &Incident,
    task: &Task,
    verdict: &TaskVerdict,
    report: &Report,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let category = verdict.rule.category;
    let definition = incident
        .task_definition
        .as_ref()
        .zip(verdict.container.as_deref())
        .and_then(|(td, name)| td.container(name));
    let service = incident.service.as_ref();
    let ran_seconds = task
        .started_at
        .zip(task.stopping_at.or(task.stopped_at))
        .map(|(start, stop)| (stop - start).num_seconds())
        .filter(|seconds| *seconds >= 0);

    if category == Category::ElbHealthCheck {
        if let Some(grace) = service.map(|s| s.health_check_grace_period_seconds.unwrap_or(0)) {
            let ran = ran_seconds
                .map(|s| format!(" The task ran {s} s before it was stopped."))
                .unwrap_or_default();
            if grace == 0 {
                findings.push(finding(
                    "grace-period-zero",
                    format!("healthCheckGracePeriodSeconds is 0: the load balancer judges the task from its first second, before a slow start-up can finish.{ran}"),
                ));
            } else if let Some(start_period) =
                definition.and_then(|d| d.health_check.as_ref()?.start_period)
            {
                if grace < start_period {
                    findings.push(finding(
                        "grace-period-short",
                        format!("healthCheckGracePeriodSeconds ({grace} s) is shorter than the container's own health check startPeriod ({start_period} s).{ran}"),
                    ));
                }
            }
        }
    }
    if category == Category::ContainerHealthCheck {
        if let Some(check) = definition.and_then(|d| d.health_check.as_ref()) {
            if check.start_period.unwrap_or(0) == 0 {
                findings.push(finding(
                    "health-check-no-start-period",
                    "The container's health check has no startPeriod: failures during start-up count against its retries.".into(),
                ));
            }
        }
    }
    // For stops decided by ECS (health checks), the log may still show why the app was unhealthy.
    if matches!(
        category,
        Category::ElbHealthCheck | Category::ContainerHealthCheck
    ) {
        if let Some(tail) = verdict
            .container
            .as_deref()
            .and_then(|name| incident.log_tail(name))
        {
            if let Some((rule, line)) = log_rule(&tail.lines) {
                findings.push(finding(
                    "log-hint",
                    format!(
                        "The container's log shows a likely reason it was unhealthy ({}): '{}'",
                        rule.category.id(),
                        super::task::cap(tail.lines[line].trim(), 300)
                    ),
                ));
            }
        }
    }
    if category == Category::Oom {
        if let Some(definition) = definition {
            if definition.memory.is_none() && definition.memory_reservation.is_some() {
                findings.push(finding(
                    "soft-limit-only",
                    format!(
                        "Container {} has only a soft limit (memoryReservation {} MiB) and no hard limit: it was bounded by the task's memory.",
                        definition.name,
                        definition.memory_reservation.unwrap_or_default()
                    ),
                ));
            }
        }
    }
    if category == Category::MissingEnvOrConfig {
        if let (Some(definition), Some(line)) = (definition, verdict.log_line.as_deref()) {
            for name in env_names(line) {
                let declared = definition.environment_names.iter().any(|n| n == name)
                    || definition.secrets.iter().any(|s| s.name == name);
                if !declared {
                    findings.push(finding(
                        "env-not-declared",
                        format!(
                            "{name} is in neither the environment nor the secrets of container {} in {}.",
                            definition.name,
                            report.resources.task_definition.as_deref().unwrap_or("the task definition")
                        ),
                    ));
                }
            }
        }
    }
    if category == Category::TaskRoleAccessDenied {
        if let Some(td) = &incident.task_definition {
            if td.task_role_arn.is_none() {
                findings.push(finding(
                    "no-task-role",
                    "The task definition has no taskRoleArn: the application has no AWS credentials of its own.".into(),
                ));
            }
        }
    }
    if category == Category::WrongArchitecture {
        if let (Some(declared), Some(actual)) = (
            incident
                .task_definition
                .as_ref()
                .and_then(|td| td.cpu_architecture.as_deref()),
            task.cpu_architecture(),
        ) {
            findings.push(finding(
                "architecture",
                format!("The task definition asks for {declared}; the task ran on {actual}."),
            ));
        }
    }
    if category == Category::TaskCompleted && task.service().is_some() {
        findings.push(finding(
            "service-task-exited-0",
            "This task belongs to a service: a service's essential container should not exit, and ECS will start it again and again.".into(),
        ));
    }
    findings.extend(for_service(incident, report));
    findings
}

/// Findings about the service's configuration, for any failure that involves a service.
pub fn for_service(incident: &Incident, report: &Report) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(service) = &incident.service else {
        return findings;
    };
    if !report.notify {
        return findings;
    }
    if let (Some(desired), Some(running)) = (service.desired_count, service.running_count) {
        if desired > 0 && running < desired {
            findings.push(finding(
                "running-below-desired",
                format!(
                    "Service {} runs {running} of {desired} desired tasks.",
                    service.name
                ),
            ));
        }
    }
    if let Some(config) = &service.deployment_configuration {
        if config.minimum_healthy_percent == Some(0) {
            findings.push(finding(
                "minimum-healthy-zero",
                "minimumHealthyPercent is 0: a deployment may stop every running task before the new ones are healthy, so a broken revision takes the service to zero.".into(),
            ));
        }
        let looping = report
            .occurrences
            .as_ref()
            .is_some_and(|o| o.same_cause >= 3);
        if config.circuit_breaker_enable == Some(false) && looping {
            findings.push(finding(
                "circuit-breaker-off",
                "The deployment circuit breaker is off: a failing revision keeps being retried instead of being rolled back.".into(),
            ));
        }
    }
    findings
}

/// Environment-variable-looking names in a log line: DATABASE_URL, REDIS_HOST.
fn env_names(line: &str) -> Vec<&str> {
    let mut names: Vec<&str> = line
        .split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        .filter(|word| {
            word.len() >= 3
                && word.contains('_')
                && word.starts_with(|c: char| c.is_ascii_uppercase())
        })
        .collect();
    names.dedup();
    names
}
