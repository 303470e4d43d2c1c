//! The ECS calls: task definitions (cached), services, stopped tasks.

use crate::iam;
use aws_sdk_ecs::types::DesiredStatus;

use crate::aws::{convert, gaps, Ctx};
use crate::event::{last_segment, Task};
use crate::incident::{Gap, GapKind, Service, TaskDefinition};

/// DescribeTasks takes at most 100 tasks per call; ListTasks returns at most 100 per page.
const PAGE: usize = 100;

/// The task definition by ARN, from the cache when this execution environment has read it.
pub async fn task_definition(ctx: &Ctx<'_>, arn: &str) -> Result<TaskDefinition, Gap> {
    if let Some(cached) = ctx.caches.task_definitions.get(arn) {
        ctx.cache_hit();
        return Ok(cached);
    }
    let what = format!("the task definition {}", last_segment(arn));
    ctx.count_call();
    let output = ctx
        .clients
        .ecs()
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map_err(|error| gaps::from_sdk_error(&what, iam::ECS_DESCRIBE_TASK_DEFINITION, &error))?;
    let definition = output.task_definition().ok_or_else(|| {
        Gap::new(
            GapKind::NotFound,
            what.clone(),
            "DescribeTaskDefinition returned no task definition",
            "check that the task definition revision still exists",
        )
    })?;
    let converted = convert::task_definition(definition);
    ctx.caches.task_definitions.insert(arn, converted.clone());
    Ok(converted)
}

/// The service's deployments, configuration and latest events.
pub async fn service(ctx: &Ctx<'_>, cluster: &str, name: &str) -> Result<Service, Gap> {
    let what = format!("the service {name}: its deployments, events and configuration");
    ctx.count_call();
    let output = ctx
        .clients
        .ecs()
        .describe_services()
        .cluster(cluster)
        .services(name)
        .send()
        .await
        .map_err(|error| gaps::from_sdk_error(&what, iam::ECS_DESCRIBE_SERVICES, &error))?;
    if let Some(service) = output.services().first() {
        return Ok(convert::service(service));
    }
    let reason = output
        .failures()
        .first()
        .map(|failure| {
            format!(
                "DescribeServices failure: {}{}",
                failure.reason().unwrap_or("unknown"),
                failure
                    .detail()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_else(|| "DescribeServices returned no service".into());
    Err(Gap::new(
        GapKind::NotFound,
        what,
        reason,
        format!(
            "check that service {name} still exists in cluster {}",
            last_segment(cluster)
        ),
    ))
}

/// The service's stopped tasks that ECS still remembers (about an hour), newest first.
pub async fn stopped_tasks(
    ctx: &Ctx<'_>,
    cluster: &str,
    service: &str,
    what: &str,
) -> Result<Vec<Task>, Gap> {
    ctx.count_call();
    let listed = ctx
        .clients
        .ecs()
        .list_tasks()
        .cluster(cluster)
        .service_name(service)
        .desired_status(DesiredStatus::Stopped)
        .max_results(PAGE as i32)
        .send()
        .await
        .map_err(|error| gaps::from_sdk_error(what, iam::ECS_LIST_TASKS, &error))?;
    // Stopped tasks never change: describe only those this environment has not seen.
    let cache = &ctx.caches.stopped_tasks;
    let (mut tasks, unseen): (Vec<Task>, Vec<String>) = listed.task_arns().iter().take(PAGE).fold(
        (Vec::new(), Vec::new()),
        |(mut seen, mut unseen), arn| {
            match cache.get(arn) {
                Some(task) => seen.push(task),
                None => unseen.push(arn.clone()),
            }
            (seen, unseen)
        },
    );
    for task in describe_tasks(ctx, cluster, unseen, what).await? {
        remember_if_stopped(ctx, &task);
        tasks.push(task);
    }
    tasks.sort_by_key(|task| std::cmp::Reverse(task.stopped_at));
    Ok(tasks)
}

/// Keeps a task that has stopped for good: the next crash-loop event need not describe it.
pub fn remember_if_stopped(ctx: &Ctx<'_>, task: &Task) {
    if let (Some(arn), Some("STOPPED")) = (&task.task_arn, task.last_status.as_deref()) {
        ctx.caches.stopped_tasks.insert(arn, task.clone());
    }
}

/// DescribeTasks for up to 100 tasks.
pub async fn describe_tasks(
    ctx: &Ctx<'_>,
    cluster: &str,
    arns: Vec<String>,
    what: &str,
) -> Result<Vec<Task>, Gap> {
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    ctx.count_call();
    let described = ctx
        .clients
        .ecs()
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns))
        .send()
        .await
        .map_err(|error| gaps::from_sdk_error(what, iam::ECS_DESCRIBE_TASKS, &error))?;
    Ok(described.tasks().iter().map(convert::task).collect())
}
