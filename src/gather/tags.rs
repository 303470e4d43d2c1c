//! Who owns the service: its tags named in ROUTING_TAGS (`team`, `owner`), read with
//! ListTagsForResource and kept an hour in the warm container. ECS events carry no tags.

use crate::iam;
use std::collections::BTreeMap;

use crate::aws::{gaps, Ctx};
use crate::event::{Detail, EcsEvent};
use crate::incident::Gap;

/// The ARN whose tags route the event: the service's (long ARN format), else the task
/// definition's for a task outside a service.
pub fn subject(event: &EcsEvent) -> Option<String> {
    if let Some(service) = event.service_ref() {
        let region = service.region.or(event.region.clone())?;
        let account = service.account.or(event.account.clone())?;
        return Some(format!(
            "arn:aws:ecs:{region}:{account}:service/{}/{}",
            service.cluster, service.service
        ));
    }
    let Detail::Task(task) = &event.detail else {
        return None;
    };
    let task_arn = task.task_arn.as_deref()?;
    let region = crate::arn::region_of(task_arn)?;
    let account = crate::arn::account_of(task_arn)?;
    match (task.service(), task.cluster()) {
        (Some(service), Some(cluster)) => Some(format!(
            "arn:aws:ecs:{region}:{account}:service/{cluster}/{service}"
        )),
        _ => task.task_definition_arn.clone(),
    }
}

/// The tags among `wanted` that `arn` carries (cached an hour).
pub async fn routing(
    ctx: &Ctx<'_>,
    arn: &str,
    wanted: &[String],
) -> Result<BTreeMap<String, String>, Gap> {
    let all = match ctx.caches.tags.get(arn) {
        Some(tags) => {
            ctx.cache_hit();
            tags
        }
        None => {
            ctx.count_call();
            let output = ctx
                .clients
                .ecs()
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .map_err(|error| {
                    gaps::from_sdk_error(
                        "the service's tags (routing)",
                        iam::ECS_LIST_TAGS_FOR_RESOURCE,
                        &error,
                    )
                })?;
            let tags: Vec<(String, String)> = output
                .tags()
                .iter()
                .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
                .collect();
            ctx.caches.tags.insert(arn, tags.clone());
            tags
        }
    };
    // Tag keys are matched whatever their case (`Team`, `team`); the attribute takes the
    // configured name, so one filter policy holds across services.
    Ok(all
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .filter_map(|(key, value)| {
            let name = wanted.iter().find(|w| w.eq_ignore_ascii_case(&key))?;
            Some((name.clone(), value))
        })
        .collect())
}
