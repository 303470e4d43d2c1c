//! What changed since the last revision that ran fine, the change that fits the diagnosis
//! first, and the rollback to it.

use super::{at, Conclusion, Scene};
use crate::arn::task_definition_name;
use crate::facts::changes::diff;
use crate::facts::Investigation;
use crate::incident::TaskDefinition;
use crate::report::{Category, Change, WhatChanged};

/// How many changes the summary names (the report lists them all).
const SAID: usize = 3;

/// The fields that fit a cause, most telling first.
fn lead(category: Category) -> &'static [&'static str] {
    use Category::*;
    match category {
        ImagePullNotFound | ImagePullAuth | ImagePullNetwork | ImagePullRateLimit
        | WrongArchitecture => &["image", "platform"],
        Oom => &["memory"],
        MissingEnvOrConfig => &["environment", "secret"],
        SecretsAccessDenied | SecretsKms | SecretsInvalidReference | SecretsNetwork => {
            &["secret", "execution-role"]
        }
        TaskRoleAccessDenied => &["task-role"],
        BadEntrypointOrCommand | PermissionDeniedExec => &["command", "entrypoint", "image"],
        ElbHealthCheck | ContainerHealthCheck | DiscoveryHealthCheck => {
            &["ports", "health-check", "image"]
        }
        LogGroupMissing | LogDriverFailed => &["log-configuration", "execution-role"],
        IamRoleConfig => &["execution-role", "task-role"],
        PlacementResources | QuotaExceeded => &["cpu", "memory"],
        _ => &["image", "environment", "secret", "command"],
    }
}

fn name(td: &TaskDefinition) -> String {
    td.arn
        .as_deref()
        .map(task_definition_name)
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}:{}", td.family, td.revision))
}

pub(super) fn what_changed(scene: &Scene, findings: &Investigation) -> Option<WhatChanged> {
    let previous = findings.previous.as_ref()?;
    let to = scene.task_definition().or(previous.failing.as_ref())?;
    let from = &previous.task_definition;
    if name(from) == name(to) {
        return None;
    }
    let mut changes: Vec<Change> = diff(from, to);
    let rank = |change: &Change| {
        scene
            .categories
            .iter()
            .flat_map(|category| lead(*category).iter())
            .position(|field| *field == change.field)
            .unwrap_or(usize::MAX)
    };
    changes.sort_by_key(rank);
    Some(WhatChanged {
        from: name(from),
        to: name(to),
        registered_by: to.registered_by.clone(),
        registered_at: to.registered_at.map(|t| t.to_rfc3339()),
        basis: previous.basis.clone(),
        changes,
    })
}

pub(super) fn conclude(c: &mut Conclusion, scene: &Scene, changed: &WhatChanged) {
    let by = match (&changed.registered_by, &changed.registered_at) {
        (Some(by), Some(when)) => format!(" (registered by {by} at {})", registered(when)),
        (Some(by), None) => format!(" (registered by {by})"),
        (None, Some(when)) => format!(" (registered at {})", registered(when)),
        (None, None) => String::new(),
    };
    if changed.changes.is_empty() {
        c.say(format!(
            "Revision {}{by} declares the same as {} ({}): the cause is outside the task definition (the image behind a mutable tag, the data, a dependency).",
            changed.to, changed.from, changed.basis
        ));
    } else {
        let named: Vec<&str> = changed
            .changes
            .iter()
            .take(SAID)
            .map(|c| c.text.as_str())
            .collect();
        let more = changed.changes.len().saturating_sub(SAID);
        c.say(format!(
            "Since {} ({}), revision {}{by} changed: {}{}.",
            changed.from,
            changed.basis,
            changed.to,
            named.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    let rolled_back = scene.has(Category::CircuitBreakerRollback);
    if !rolled_back && !changed.changes.is_empty() {
        c.fix(
            format!(
                "Or roll back to {}, the last revision that ran fine",
                changed.from
            ),
            scene.update_service(&format!("--task-definition {}", changed.from)),
        );
    }
}

fn registered(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| at(t.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| rfc3339.to_string())
}
