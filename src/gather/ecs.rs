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
    let arns = list_stopped(ctx, cluster, service, what).await?;
    described(ctx, cluster, arns, what).await
}

/// [`stopped_tasks`] for counting a task's siblings: a listing up to
/// [`LISTING_TTL`](crate::aws::caches::LISTING_TTL) old serves a burst of the service's events,
/// with each event's own task added to it ([`add_to_listing`]).
pub async fn recent_stopped_tasks(
    ctx: &Ctx<'_>,
    cluster: &str,
    service: &str,
    what: &str,
) -> Result<Vec<Task>, Gap> {
    let arns = match ctx
        .caches
        .stopped_listings
        .get(&listing_key(cluster, service))
    {
        Some(arns) => {
            ctx.cache_hit();
            arns
        }
        None => list_stopped(ctx, cluster, service, what).await?,
    };
    described(ctx, cluster, arns, what).await
}

fn listing_key(cluster: &str, service: &str) -> String {
    format!("{cluster}|{service}")
}

/// ListTasks: the service's stopped tasks, newest first, kept for the next events.
async fn list_stopped(
    ctx: &Ctx<'_>,
    cluster: &str,
    service: &str,
    what: &str,
) -> Result<Vec<String>, Gap> {
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
    let arns: Vec<String> = listed.task_arns().iter().take(PAGE).cloned().collect();
    ctx.caches
        .stopped_listings
        .insert(&listing_key(cluster, service), arns.clone());
    Ok(arns)
}

/// The tasks named, described: stopped tasks never change, so only those this environment has
/// not seen are asked for.
async fn described(
    ctx: &Ctx<'_>,
    cluster: &str,
    arns: Vec<String>,
    what: &str,
) -> Result<Vec<Task>, Gap> {
    let cache = &ctx.caches.stopped_tasks;
    let (mut tasks, unseen): (Vec<Task>, Vec<String>) =
        arns.into_iter()
            .fold((Vec::new(), Vec::new()), |(mut seen, mut unseen), arn| {
                match cache.get(&arn) {
                    Some(task) => seen.push(task),
                    None => unseen.push(arn),
                }
                (seen, unseen)
            });
    for task in describe_tasks(ctx, cluster, unseen, what).await? {
        remember_if_stopped(ctx, &task);
        tasks.push(task);
    }
    tasks.sort_by_key(|task| std::cmp::Reverse(task.stopped_at));
    Ok(tasks)
}

/// Keeps a task that has stopped for good: the next crash-loop event need not describe it.
pub fn remember_if_stopped(ctx: &Ctx<'_>, task: &Task) {
    if let Some(arn) = stopped_arn(task) {
        ctx.caches.stopped_tasks.insert(arn, task.clone());
    }
}

/// The task's ARN, if it has stopped for good.
fn stopped_arn(task: &Task) -> Option<&String> {
    task.task_arn
        .as_ref()
        .filter(|_| task.last_status.as_deref() == Some("STOPPED"))
}

/// Adds an event's own stopped task to its service's kept listing (after this event's siblings
/// were read), so that the next event of a burst counts it among its siblings.
pub fn add_to_listing(ctx: &Ctx<'_>, cluster: &str, service: &str, task: &Task) {
    let Some(arn) = stopped_arn(task) else {
        return;
    };
    ctx.caches
        .stopped_listings
        .update(&listing_key(cluster, service), |arns| {
            if !arns.contains(arn) {
                arns.insert(0, arn.clone());
                arns.truncate(PAGE);
            }
        });
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
