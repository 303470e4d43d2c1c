//! Secondary findings: true, relevant, and not the cause ("healthCheckGracePeriodSeconds is 0
//! while the task ran 45 s before the load balancer gave up on it"). Declared like the rules,
//! each with what it detects and why it matters; `ecs-doctor rules` and `docs/rules.md` list
//! them.

use super::classify::log_rule;
use super::task::TaskVerdict;
use crate::event::Task;
use crate::incident::{ContainerDefinition, Incident, Service};
use crate::report::{Category, Finding, Report};

/// What a finding's check looks at.
pub struct Observed<'a> {
    pub incident: &'a Incident,
    /// The stopped task explained, and its verdict (None for a service-level report).
    pub task: Option<(&'a Task, &'a TaskVerdict)>,
    pub report: &'a Report,
}

impl<'a> Observed<'a> {
    fn category(&self) -> Category {
        match self.task {
            Some((_, verdict)) => verdict.rule.category,
            None => self.report.category,
        }
    }

    /// The definition of the container that decided.
    fn definition(&self) -> Option<&'a ContainerDefinition> {
        let (_, verdict) = self.task?;
        self.incident
            .task_definition
            .as_ref()?
            .container(verdict.container.as_deref()?)
    }

    fn service(&self) -> Option<&'a Service> {
        self.incident.service.as_ref()
    }

    /// How long the task ran before it was stopped, in seconds.
    fn ran_seconds(&self) -> Option<i64> {
        let (task, _) = self.task?;
        task.started_at
            .zip(task.stopping_at.or(task.stopped_at))
            .map(|(start, stop)| (stop - start).num_seconds())
            .filter(|seconds| *seconds >= 0)
    }
}

/// One declared finding.
pub struct FindingRule {
    pub id: &'static str,
    /// What it detects.
    pub detects: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// Whether it is about the stopped task (and its verdict) or about the service.
    pub scope: Subject,
    check: fn(&Observed<'_>) -> Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Task,
    Service,
}

fn one(text: Option<String>) -> Vec<String> {
    text.into_iter().collect()
}

fn ran(facts: &Observed<'_>) -> String {
    facts
        .ran_seconds()
        .map(|s| format!(" The task ran {s} s before it was stopped."))
        .unwrap_or_default()
}

/// Every finding, in the order reports show them.
pub static FINDINGS: &[FindingRule] = &[
    FindingRule {
        id: "grace-period-zero",
        detects: "A task stopped by ELB health checks in a service whose healthCheckGracePeriodSeconds is 0.",
        why: "The load balancer judges the task from its first second, before a slow start-up can finish: a healthy but slow application is killed in a loop.",
        scope: Subject::Task,
        check: |facts| {
            let grace = facts.service().map(|s| s.health_check_grace_period_seconds.unwrap_or(0));
            one((facts.category() == Category::ElbHealthCheck && grace == Some(0)).then(|| {
                format!("healthCheckGracePeriodSeconds is 0: the load balancer judges the task from its first second, before a slow start-up can finish.{}", ran(facts))
            }))
        },
    },
    FindingRule {
        id: "grace-period-short",
        detects: "healthCheckGracePeriodSeconds shorter than the container's own health check startPeriod, on an ELB health check stop.",
        why: "The load balancer starts judging before the container itself expects to be healthy.",
        scope: Subject::Task,
        check: |facts| {
            let grace = facts.service().and_then(|s| s.health_check_grace_period_seconds).filter(|g| *g > 0);
            let start_period = facts.definition().and_then(|d| d.health_check.as_ref()?.start_period);
            one(match (facts.category(), grace, start_period) {
                (Category::ElbHealthCheck, Some(grace), Some(start)) if grace < start => Some(format!(
                    "healthCheckGracePeriodSeconds ({grace} s) is shorter than the container's own health check startPeriod ({start} s).{}",
                    ran(facts)
                )),
                _ => None,
            })
        },
    },
    FindingRule {
        id: "health-check-no-start-period",
        detects: "A container health check stop whose health check has no startPeriod.",
        why: "Failures during start-up count against the retries: a slow starter is declared unhealthy before it is up.",
        scope: Subject::Task,
        check: |facts| {
            let check = facts.definition().and_then(|d| d.health_check.as_ref());
            one((facts.category() == Category::ContainerHealthCheck
                && check.is_some_and(|check| check.start_period.unwrap_or(0) == 0))
            .then(|| "The container's health check has no startPeriod: failures during start-up count against its retries.".to_string()))
        },
    },
    FindingRule {
        id: "log-hint",
        detects: "A health-check stop whose container log shows a likely reason for being unhealthy.",
        why: "ECS says the task was unhealthy, not why; the log often does.",
        scope: Subject::Task,
        check: |facts| {
            let Some((_, verdict)) = facts.task else {
                return Vec::new();
            };
            if !matches!(facts.category(), Category::ElbHealthCheck | Category::ContainerHealthCheck) {
                return Vec::new();
            }
            let Some(tail) = verdict.container.as_deref().and_then(|name| facts.incident.log_tail(name)) else {
                return Vec::new();
            };
            one(log_rule(&tail.lines).map(|(rule, line)| {
                format!(
                    "The container's log shows a likely reason it was unhealthy ({}): '{}'",
                    rule.category.id(),
                    super::task::cap(tail.lines[line].trim(), 300)
                )
            }))
        },
    },
    FindingRule {
        id: "soft-limit-only",
        detects: "An OOM kill of a container that has a memoryReservation and no hard memory limit.",
        why: "Such a container is bounded by the task's memory (or the instance's), not by its own limit: it can starve its neighbours first.",
        scope: Subject::Task,
        check: |facts| {
            let definition = facts.definition().filter(|d| d.memory.is_none());
            one(match (facts.category(), definition.and_then(|d| d.memory_reservation.map(|r| (d, r)))) {
                (Category::Oom, Some((definition, reservation))) => Some(format!(
                    "Container {} has only a soft limit (memoryReservation {reservation} MiB) and no hard limit: it was bounded by the task's memory.",
                    definition.name
                )),
                _ => None,
            })
        },
    },
    FindingRule {
        id: "env-not-declared",
        detects: "A missing-configuration crash whose log names a variable that is in neither the container's environment nor its secrets.",
        why: "It confirms the fix: the name the application asks for is not given to it.",
        scope: Subject::Task,
        check: |facts| {
            let (Some((_, verdict)), Some(definition)) = (facts.task, facts.definition()) else {
                return Vec::new();
            };
            let Some(line) = verdict.log_line.as_deref().filter(|_| facts.category() == Category::MissingEnvOrConfig) else {
                return Vec::new();
            };
            env_names(line)
                .into_iter()
                .filter(|name| {
                    !definition.environment_names.iter().any(|n| n == name)
                        && !definition.secrets.iter().any(|s| s.name == *name)
                })
                .map(|name| {
                    format!(
                        "{name} is in neither the environment nor the secrets of container {} in {}.",
                        definition.name,
                        facts.report.resources.task_definition.as_deref().unwrap_or("the task definition")
                    )
                })
                .collect()
        },
    },
    FindingRule {
        id: "no-task-role",
        detects: "An AWS access failure in the log of a task whose definition has no taskRoleArn.",
        why: "Without a task role the application has no AWS credentials of its own.",
        scope: Subject::Task,
        check: |facts| {
            let no_role = facts.incident.task_definition.as_ref().is_some_and(|td| td.task_role_arn.is_none());
            one((facts.category() == Category::TaskRoleAccessDenied && no_role).then(|| {
                "The task definition has no taskRoleArn: the application has no AWS credentials of its own.".to_string()
            }))
        },
    },
    FindingRule {
        id: "architecture",
        detects: "A wrong-architecture failure where the task definition declares a CPU architecture and ECS recorded the one the task ran on.",
        why: "It says which side to change: the image's platform or runtimePlatform.",
        scope: Subject::Task,
        check: |facts| {
            let declared = facts.incident.task_definition.as_ref().and_then(|td| td.cpu_architecture.as_deref());
            let actual = facts.task.and_then(|(task, _)| task.cpu_architecture());
            one(match (facts.category(), declared, actual) {
                (Category::WrongArchitecture, Some(declared), Some(actual)) => {
                    Some(format!("The task definition asks for {declared}; the task ran on {actual}."))
                }
                _ => None,
            })
        },
    },
    FindingRule {
        id: "service-task-exited-0",
        detects: "A service's task whose essential container exited 0.",
        why: "A service's essential container should not exit: ECS starts it again and again.",
        scope: Subject::Task,
        check: |facts| {
            let in_service = facts.task.is_some_and(|(task, _)| task.service().is_some());
            one((facts.category() == Category::TaskCompleted && in_service).then(|| {
                "This task belongs to a service: a service's essential container should not exit, and ECS will start it again and again.".to_string()
            }))
        },
    },
    FindingRule {
        id: "running-below-desired",
        detects: "A failure of a service that runs fewer tasks than it desires.",
        why: "It says how much of the service is down right now.",
        scope: Subject::Service,
        check: |facts| {
            let Some(service) = facts.service() else { return Vec::new() };
            one(match (service.desired_count, service.running_count) {
                (Some(desired), Some(running)) if desired > 0 && running < desired => Some(format!(
                    "Service {} runs {running} of {desired} desired tasks.",
                    service.name
                )),
                _ => None,
            })
        },
    },
    FindingRule {
        id: "minimum-healthy-zero",
        detects: "A failure of a service whose deployment configuration has minimumHealthyPercent 0.",
        why: "A deployment may stop every running task before the new ones are healthy, so a broken revision takes the service to zero.",
        scope: Subject::Service,
        check: |facts| {
            let zero = facts.service().and_then(|s| s.deployment_configuration.as_ref()).is_some_and(|c| c.minimum_healthy_percent == Some(0));
            one(zero.then(|| "minimumHealthyPercent is 0: a deployment may stop every running task before the new ones are healthy, so a broken revision takes the service to zero.".to_string()))
        },
    },
    FindingRule {
        id: "circuit-breaker-off",
        detects: "A service whose tasks keep failing the same way (3 or more) with the deployment circuit breaker off.",
        why: "A failing revision keeps being retried instead of being rolled back.",
        scope: Subject::Service,
        check: |facts| {
            let off = facts.service().and_then(|s| s.deployment_configuration.as_ref()).is_some_and(|c| c.circuit_breaker_enable == Some(false));
            let looping = facts.report.occurrences.as_ref().is_some_and(|o| o.same_cause >= 3);
            one((off && looping).then(|| "The deployment circuit breaker is off: a failing revision keeps being retried instead of being rolled back.".to_string()))
        },
    },
];

fn run(facts: &Observed<'_>, scope: Subject) -> Vec<Finding> {
    FINDINGS
        .iter()
        .filter(|finding| finding.scope == scope)
        .flat_map(|finding| {
            (finding.check)(facts).into_iter().map(|text| Finding {
                id: finding.id.to_string(),
                text,
            })
        })
        .collect()
}

/// Findings for a stopped task, then for its service.
pub fn for_task(
    incident: &Incident,
    task: &Task,
    verdict: &TaskVerdict,
    report: &Report,
) -> Vec<Finding> {
    let facts = Observed {
        incident,
        task: Some((task, verdict)),
        report,
    };
    let mut findings = run(&facts, Subject::Task);
    findings.extend(for_service(incident, report));
    findings
}

/// Findings about the service's configuration, for any failure that involves a service.
pub fn for_service(incident: &Incident, report: &Report) -> Vec<Finding> {
    if !report.notify || incident.service.is_none() {
        return Vec::new();
    }
    run(
        &Observed {
            incident,
            task: None,
            report,
        },
        Subject::Service,
    )
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
