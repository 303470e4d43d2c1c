//! Turns an event into an Incident: every fact ECS and CloudWatch Logs can give about it, read
//! concurrently under a time budget, and a gap for every fact that could not be read.
//!
//! The event already carries the task, so a task event never calls DescribeTasks. What runs:
//!
//! - task event: task definition (cached) → log tail, alongside DescribeServices and the
//!   service's stopped tasks (siblings; one listing serves a burst of the service's events for
//!   15 seconds, each event adding its own task) when the task belongs to a service;
//! - deployment or service-action event: DescribeServices alongside the service's stopped tasks;
//!   for a failed or rolled-back deployment and SERVICE_TASK_START_IMPAIRED, the tasks the
//!   failing deployment started, the latest one's task definition and log tail.

pub mod ecs;
pub mod logs;
pub mod tags;

use chrono::{DateTime, Utc};

use crate::aws::Ctx;
use crate::event::{Container, Detail, EcsEvent, Task};
use crate::incident::{Gap, GapKind, Incident, Service, Siblings, TaskDefinition};

/// Names the failed container of a task, given its task definition when it could be read.
pub type FailedContainer = for<'t> fn(&'t Task, Option<&TaskDefinition>) -> Option<&'t Container>;

/// Gathers every fact about the event in `ctx` (its budget, caches and counters), which the
/// investigation's probes share.
/// `failed` names the container whose log tail is read: which container failed is the
/// diagnosis's decision (`diagnose::failed_container`), which the caller passes in.
pub async fn gather_in(ctx: &Ctx<'_>, event: EcsEvent, failed: FailedContainer) -> Incident {
    let mut incident = Incident::from_event(event.clone());
    match &event.detail {
        Detail::Task(task) => gather_task(ctx, &mut incident, task, event.time, failed).await,
        Detail::Deployment(change) => {
            let rolled_back = change.reason.as_deref().is_some_and(|reason| {
                let reason = reason.to_ascii_lowercase();
                reason.contains("rolling back") || reason.contains("rolled back")
            });
            let failing = if change.event_name == "SERVICE_DEPLOYMENT_FAILED" {
                Failing::Deployment(change.deployment_id.clone())
            } else if rolled_back {
                Failing::RolledBackFrom(change.deployment_id.clone())
            } else {
                Failing::None
            };
            gather_service_event(ctx, &mut incident, &event, failing, failed).await
        }
        Detail::ServiceAction(action) => {
            let failing = if action.event_name == "SERVICE_TASK_START_IMPAIRED" {
                Failing::Primary
            } else {
                Failing::None
            };
            gather_service_event(ctx, &mut incident, &event, failing, failed).await
        }
        // A hook's service and its deployments; a hook that failed is the deployment failing.
        Detail::Hook(hook) => {
            let failing = if matches!(hook.event_name.as_str(), "HOOK_FAILED" | "HOOK_TIMED_OUT") {
                Failing::Primary
            } else {
                Failing::None
            };
            gather_service_event(ctx, &mut incident, &event, failing, failed).await
        }
        // Managed daemons and instance health: the event says what ECS knows.
        Detail::DaemonAction(_) | Detail::DaemonDeployment(_) | Detail::InstanceHealth(_) => {}
    }
    incident
}

/// The task event: the task is in the event.
async fn gather_task(
    ctx: &Ctx<'_>,
    incident: &mut Incident,
    task: &Task,
    event_time: Option<DateTime<Utc>>,
    failed: FailedContainer,
) {
    let cluster = task
        .cluster_arn
        .clone()
        .or_else(|| task.cluster().map(str::to_string));
    let service = task.service().map(str::to_string);
    let service_read = async {
        match (&cluster, &service) {
            (Some(cluster), Some(name)) => Some(read_service(ctx, cluster, name).await),
            _ => None,
        }
    };
    // The event's own task is a stopped task the siblings' listing will name.
    ecs::remember_if_stopped(ctx, task);
    let siblings_read = async {
        let (Some(cluster), Some(name)) = (&cluster, &service) else {
            return None;
        };
        let what = format!(
            "the other tasks of service {name} stopped in the last {} minutes",
            ctx.config.sibling_window_minutes
        );
        let reference = task.stopped_at.or(event_time).unwrap_or_else(Utc::now);
        let window = ctx.config.sibling_window_minutes;
        let tasks = ctx
            .bounded(&what, ecs::recent_stopped_tasks(ctx, cluster, name, &what))
            .await;
        ecs::add_to_listing(ctx, cluster, name, task);
        Some(tasks.map(|tasks| siblings_in_window(tasks, reference, window)))
    };
    let ((task_definition, logs), service, siblings) = tokio::join!(
        definition_and_logs(ctx, task, failed),
        service_read,
        siblings_read
    );
    let mut gaps = Vec::new();
    incident.task_definition = keep(task_definition, &mut gaps);
    incident.logs = keep(logs, &mut gaps).into_iter().flatten().collect();
    incident.service = service.and_then(|service| keep(service, &mut gaps));
    incident.siblings = siblings.and_then(|siblings| keep(siblings, &mut gaps));
    incident.gaps.extend(gaps);
}

/// The task definition, then the failed container's log tail (the stream name needs both).
async fn definition_and_logs(
    ctx: &Ctx<'_>,
    task: &Task,
    failed: FailedContainer,
) -> (
    Result<TaskDefinition, Gap>,
    Result<Option<crate::incident::LogTail>, Gap>,
) {
    let Some(arn) = task.task_definition_arn.as_deref() else {
        let gap = Gap::new(
            GapKind::Missing,
            "the task definition",
            "the task carries no taskDefinitionArn",
            "pass the whole ECS Task State Change event",
        );
        return (
            Err(gap.clone()),
            Err(Gap {
                what: "the container's log lines".into(),
                ..gap
            }),
        );
    };
    let what = format!("the task definition {}", crate::arn::last_segment(arn));
    let definition = ctx.bounded(&what, ecs::task_definition(ctx, arn)).await;
    let logs = match &definition {
        Ok(td) => read_logs(ctx, task, td, failed).await,
        Err(gap) if gap.kind == GapKind::TimedOut => Ok(None),
        Err(gap) => Err(Gap::new(
            GapKind::Missing,
            "the failed container's log lines",
            format!(
                "its log configuration is in the task definition, which could not be read ({})",
                gap.reason
            ),
            gap.fix.clone(),
        )),
    };
    (definition, logs)
}

async fn read_logs(
    ctx: &Ctx<'_>,
    task: &Task,
    td: &TaskDefinition,
    failed: FailedContainer,
) -> Result<Option<crate::incident::LogTail>, Gap> {
    let Some(container) = failed(task, Some(td)).filter(|_| ctx.config.log_lines > 0) else {
        return Ok(None);
    };
    let Some(location) = logs::locate(task, td, container)? else {
        return Ok(None);
    };
    let what = format!("the log lines of container {}", container.name);
    ctx.bounded(
        &what,
        logs::tail(ctx, &container.name, location, ctx.config.log_lines),
    )
    .await
    .map(Some)
}

async fn read_service(ctx: &Ctx<'_>, cluster: &str, name: &str) -> Result<Service, Gap> {
    let what = format!("the service {name}: its deployments, events and configuration");
    ctx.bounded(&what, ecs::service(ctx, cluster, name)).await
}

/// Which deployment failed, as far as the event says.
enum Failing {
    /// Nothing to look for: the service alone explains the event.
    None,
    /// SERVICE_DEPLOYMENT_FAILED names it.
    Deployment(Option<String>),
    /// A rollback: the event names the new deployment; the failed one is the other, FAILED one.
    RolledBackFrom(Option<String>),
    /// SERVICE_TASK_START_IMPAIRED: the primary deployment cannot start tasks.
    Primary,
}

/// A deployment or service-action event: the service, and for a failure the tasks it started.
async fn gather_service_event(
    ctx: &Ctx<'_>,
    incident: &mut Incident,
    event: &EcsEvent,
    failing: Failing,
    failed: FailedContainer,
) {
    let Some(service_ref) = event.service_ref() else {
        incident.gaps.push(Gap::new(
            GapKind::Missing,
            "the service",
            "the event's resources name no ECS service ARN",
            "pass the whole EventBridge event, resources included",
        ));
        return;
    };
    let (cluster, name) = (service_ref.cluster.as_str(), service_ref.service.as_str());
    let tasks_what = format!("the tasks the failed deployment of service {name} started");
    let stopped_read = async {
        match failing {
            Failing::None => None,
            _ => Some(
                ctx.bounded(
                    &tasks_what,
                    ecs::stopped_tasks(ctx, cluster, name, &tasks_what),
                )
                .await,
            ),
        }
    };
    let (service, stopped) = tokio::join!(read_service(ctx, cluster, name), stopped_read);
    let mut gaps = Vec::new();
    let service = keep(service, &mut gaps);
    let stopped = stopped.and_then(|stopped| keep(stopped, &mut gaps));
    let failed_id = failed_deployment(&failing, service.as_ref());
    if let Some(stopped) = stopped {
        let service_ref = (cluster, name);
        let (tasks, gap) = failed_deployment_tasks(
            stopped,
            failed_id.as_deref(),
            &failing,
            event,
            &tasks_what,
            service_ref,
        );
        incident.deployment_tasks = tasks;
        gaps.extend(gap);
    }
    incident.service = service;
    // Newest first already: the latest stopped task is the one to explain.
    if let Some(latest) = incident
        .deployment_tasks
        .iter()
        .max_by_key(|task| task.stopped_at)
        .cloned()
    {
        let (definition, logs) = definition_and_logs(ctx, &latest, failed).await;
        incident.task_definition = keep(definition, &mut gaps);
        incident.logs = keep(logs, &mut gaps).into_iter().flatten().collect();
        incident.task = Some(latest);
    }
    incident.gaps.extend(gaps);
}

/// Which deployment failed: the event's, the one a rollback left (still FAILED among the
/// service's deployments), or the primary.
fn failed_deployment(failing: &Failing, service: Option<&Service>) -> Option<String> {
    match failing {
        Failing::None => None,
        Failing::Deployment(id) => id.clone(),
        Failing::RolledBackFrom(new_id) => service.and_then(|service| {
            service
                .deployments
                .iter()
                .filter(|d| Some(&d.id) != new_id.as_ref())
                .find(|d| d.rollout_state.as_deref() == Some("FAILED"))
                .map(|d| d.id.clone())
        }),
        Failing::Primary => service.and_then(Service::primary).map(|d| d.id.clone()),
    }
}

/// The failed deployment's tasks among the service's stopped ones, and the gap when they cannot
/// be told. Without a known failed deployment, a rollback's are those that neither the rollback
/// nor its target started.
fn failed_deployment_tasks(
    stopped: Vec<Task>,
    failed: Option<&str>,
    failing: &Failing,
    event: &EcsEvent,
    what: &str,
    (cluster, name): (&str, &str),
) -> (Vec<Task>, Option<Gap>) {
    if let Some(id) = failed {
        let tasks: Vec<Task> = stopped
            .into_iter()
            .filter(|task| task.started_by.as_deref() == Some(id))
            .collect();
        let gap = tasks.is_empty().then(|| {
            Gap::new(
                GapKind::NotFound,
                what,
                format!("no stopped task started by {id} is still listed (ECS forgets stopped tasks after about an hour)"),
                format!("look at the service's events: aws ecs describe-services --cluster {cluster} --services {name}"),
            )
        });
        return (tasks, gap);
    }
    let inferred: Vec<Task> = match failing {
        Failing::RolledBackFrom(new_id) => {
            let target = rollback_target(event);
            stopped
                .into_iter()
                .filter(|task| {
                    task.started_by.as_deref().is_some_and(|by| {
                        by.starts_with("ecs-svc/")
                            && Some(by) != new_id.as_deref()
                            && Some(by) != target.as_deref()
                    })
                })
                .collect()
        }
        _ => Vec::new(),
    };
    if inferred.is_empty() {
        let gap = Gap::new(
            GapKind::Missing,
            what,
            "could not tell which deployment failed (the service's deployments were not readable or none is FAILED)",
            format!("aws ecs describe-services --cluster {cluster} --services {name}"),
        );
        return (inferred, Some(gap));
    }
    let gap = Gap::new(
        GapKind::Missing,
        "which deployment failed",
        "no deployment of the service is marked FAILED any more",
        "the stopped tasks started by neither the rollback nor its target were taken as the failed deployment's",
    );
    (inferred, Some(gap))
}

/// The deployment a rollback returns to: "… rolling back to deploymentId ecs-svc/123.".
fn rollback_target(event: &EcsEvent) -> Option<String> {
    let Detail::Deployment(change) = &event.detail else {
        return None;
    };
    let reason = change.reason.as_deref()?;
    let after = &reason[reason.find("deploymentId ")? + "deploymentId ".len()..];
    let id: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '-' || *c == '_')
        .collect();
    (!id.is_empty()).then_some(id)
}

/// The tasks that stopped within `window_minutes` before `reference` (or after it).
fn siblings_in_window(tasks: Vec<Task>, reference: DateTime<Utc>, window_minutes: u32) -> Siblings {
    let since = reference - chrono::Duration::minutes(i64::from(window_minutes));
    Siblings {
        window_minutes,
        tasks: tasks
            .into_iter()
            .filter(|task| {
                task.stopped_at
                    .or(task.stopping_at)
                    .is_some_and(|at| at >= since)
            })
            .collect(),
    }
}

fn keep<T>(result: Result<T, Gap>, gaps: &mut Vec<Gap>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(gap) => {
            gaps.push(gap);
            None
        }
    }
}
