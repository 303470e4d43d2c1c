//! `ecs-doctor diagnose`: the same examination as the Lambda (gather, probes, diagnosis, what
//! was verified), for a task or a service named on the command line instead of an event.
//!
//! A task is read with DescribeTasks and explained as if its "ECS Task State Change" event had
//! arrived. A service yields one report per recently stopped task (the newest few) and one per
//! deployment whose rollout FAILED, as if its "ECS Deployment State Change" event had arrived.

use std::time::Duration;

use crate::arn;
use crate::aws::{Caches, Clients};
use crate::aws::{Ctx, GatherConfig};
use crate::diagnose;
use crate::event::{DeploymentChange, Detail, EcsEvent, Task};
use crate::examine::{examine, Settings};
use crate::facts::Probes;
use crate::gather::ecs;
use crate::incident::{Gap, Incident};
use crate::report::Report;

#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub gather: GatherConfig,
    /// The budget of each gathering.
    pub budget: Duration,
    /// For a service: how many of the newest stopped tasks to explain.
    pub max_tasks: usize,
    /// Which checks the investigation makes (all by default).
    pub probes: Probes,
    /// The service's tags that become the report's `routing`.
    pub routing_tags: Vec<String>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            gather: GatherConfig::default(),
            budget: Duration::from_secs(20),
            max_tasks: 3,
            probes: Probes::default(),
            routing_tags: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("give either a task or a service to diagnose, not {0}")]
    Target(&'static str),
    /// The task or service could not be read: what, why, what to do.
    #[error("could not read {}: {} ({})", .0.what, .0.reason, .0.fix)]
    Read(Gap),
    #[error(
        "task {task} is not in cluster {cluster} (ECS forgets stopped tasks after about an hour)"
    )]
    TaskNotFound { cluster: String, task: String },
}

/// Examines a task or a service now. An empty result: the service has nothing failed to explain.
pub async fn diagnose_live(
    clients: &Clients,
    cluster: &str,
    task: Option<String>,
    service: Option<String>,
    options: &LiveOptions,
) -> Result<Vec<Report>, LiveError> {
    let caches = Caches::default();
    let events = events_live(clients, &caches, cluster, task, service, options).await?;
    let mut reports = Vec::new();
    for event in events {
        let quick = diagnose(&Incident::from_event(event.clone()));
        let settings = Settings {
            gather: &options.gather,
            probes: &options.probes,
            routing_tags: &options.routing_tags,
            budget: options.budget,
        };
        reports.push(
            examine(clients, &caches, settings, &event, &quick)
                .await
                .report,
        );
    }
    Ok(reports)
}

/// The events a task or a service would have sent: the task's stop, or the service's failed
/// deployments and newest stopped tasks.
async fn events_live(
    clients: &Clients,
    caches: &Caches,
    cluster: &str,
    task: Option<String>,
    service: Option<String>,
    options: &LiveOptions,
) -> Result<Vec<EcsEvent>, LiveError> {
    let ctx = Ctx::new(clients, caches, &options.gather, options.budget);
    match (task, service) {
        (Some(task), None) => {
            let what = format!("task {task}");
            let tasks = ecs::describe_tasks(&ctx, cluster, vec![task.clone()], &what)
                .await
                .map_err(LiveError::Read)?;
            let Some(task) = tasks.into_iter().next() else {
                return Err(LiveError::TaskNotFound {
                    cluster: cluster.to_string(),
                    task,
                });
            };
            Ok(vec![task_event(task)])
        }
        (None, Some(service)) => {
            let what = format!("the stopped tasks of service {service}");
            let (described, stopped) = tokio::join!(
                ecs::service(&ctx, cluster, &service),
                ecs::stopped_tasks(&ctx, cluster, &service, &what)
            );
            let described = described.map_err(LiveError::Read)?;
            let stopped = stopped.map_err(LiveError::Read)?;
            let mut events: Vec<EcsEvent> = described
                .deployments
                .iter()
                .filter(|deployment| deployment.rollout_state.as_deref() == Some("FAILED"))
                .map(|deployment| EcsEvent {
                    id: None,
                    account: owned(described.arn.as_deref().and_then(arn::account_of)),
                    region: owned(described.arn.as_deref().and_then(arn::region_of)),
                    time: deployment.updated_at,
                    resources: described.arn.clone().into_iter().collect(),
                    detail: Detail::Deployment(DeploymentChange {
                        event_type: Some("ERROR".into()),
                        event_name: "SERVICE_DEPLOYMENT_FAILED".into(),
                        deployment_id: Some(deployment.id.clone()),
                        updated_at: deployment.updated_at,
                        reason: deployment.rollout_state_reason.clone(),
                    }),
                })
                .collect();
            events.extend(stopped.into_iter().take(options.max_tasks).map(task_event));
            Ok(events)
        }
        (Some(_), Some(_)) => Err(LiveError::Target("both")),
        (None, None) => Err(LiveError::Target("neither")),
    }
}

/// A task as its "ECS Task State Change" event would carry it.
fn task_event(task: Task) -> EcsEvent {
    let task_arn = task.task_arn.clone();
    EcsEvent {
        id: None,
        account: owned(task_arn.as_deref().and_then(arn::account_of)),
        region: owned(task_arn.as_deref().and_then(arn::region_of)),
        time: task.stopped_at.or(task.started_at).or(task.created_at),
        resources: task_arn.into_iter().collect(),
        detail: Detail::Task(Box::new(task)),
    }
}

fn owned(text: Option<&str>) -> Option<String> {
    text.map(str::to_string)
}
