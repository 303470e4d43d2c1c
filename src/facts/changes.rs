//! What changed since the last revision that ran fine: the revision read (`Previous`, which
//! `investigate::changes` reads) and `diff`, the differences that matter, environment variables
//! and secrets by name only.

use serde::{Deserialize, Serialize};

use crate::arn::{last_segment, ImageRef};
use crate::incident::{ContainerDefinition, TaskDefinition};
use crate::report::Change;

/// The revision to compare with, and how it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousAsk {
    /// Its ARN, or `family:revision`.
    pub reference: String,
    /// "the revision ECS rolled back to", "the previous revision of the family" …
    pub basis: String,
    /// The failing revision too, when the gathering did not read it (a deployment whose
    /// stopped tasks are gone).
    pub failing: Option<String>,
}

/// The last good revision, as read (and the failing one, when asked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Previous {
    pub task_definition: TaskDefinition,
    pub basis: String,
    #[serde(default)]
    pub failing: Option<TaskDefinition>,
}

/// The differences between two revisions of a family, in a fixed order (the report puts the
/// one that fits the diagnosis first).
pub fn diff(from: &TaskDefinition, to: &TaskDefinition) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut task = |field: &str, text: String| {
        changes.push(Change {
            field: field.into(),
            container: None,
            text,
        })
    };
    if from.cpu != to.cpu {
        task(
            "cpu",
            format!("task CPU {} → {}", or_unset(&from.cpu), or_unset(&to.cpu)),
        );
    }
    if from.memory != to.memory {
        task(
            "memory",
            format!(
                "task memory {} → {} MiB",
                or_unset(&from.memory),
                or_unset(&to.memory)
            ),
        );
    }
    if from.cpu_architecture != to.cpu_architecture || from.os_family != to.os_family {
        task(
            "platform",
            format!("platform {} → {}", platform(from), platform(to)),
        );
    }
    for (field, label, before, after) in [
        (
            "execution-role",
            "execution role",
            &from.execution_role_arn,
            &to.execution_role_arn,
        ),
        (
            "task-role",
            "task role",
            &from.task_role_arn,
            &to.task_role_arn,
        ),
    ] {
        if before != after {
            task(
                field,
                format!(
                    "{label} {} → {}",
                    before.as_deref().map_or("(none)", last_segment),
                    after.as_deref().map_or("(none)", last_segment)
                ),
            );
        }
    }
    for container in &to.containers {
        match from.container(&container.name) {
            Some(before) => changes.extend(container_diff(before, container)),
            None => changes.push(in_container(
                &container.name,
                "containers",
                "container added".into(),
            )),
        }
    }
    for container in &from.containers {
        if to.container(&container.name).is_none() {
            changes.push(in_container(
                &container.name,
                "containers",
                "container removed".into(),
            ));
        }
    }
    changes
}

fn in_container(container: &str, field: &str, text: String) -> Change {
    Change {
        field: field.into(),
        container: Some(container.to_string()),
        text,
    }
}

fn or_unset(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("(unset)")
}

fn platform(td: &TaskDefinition) -> String {
    match (&td.os_family, &td.cpu_architecture) {
        (None, None) => "(default: LINUX/X86_64)".into(),
        (os, arch) => format!(
            "{}/{}",
            os.as_deref().unwrap_or("LINUX"),
            arch.as_deref().unwrap_or("X86_64")
        ),
    }
}

/// A container setting compared between two revisions: the change's field, its label, and how
/// a revision has it (two revisions that say the same differ in nothing that matters).
type Setting = (
    &'static str,
    &'static str,
    fn(&ContainerDefinition) -> String,
);

/// What sizes the container, in the order a report lists it.
const SIZES: [Setting; 3] = [
    ("memory", "memory", |c| mib(c.memory)),
    (
        "memory",
        "memory reservation",
        |c| mib(c.memory_reservation),
    ),
    ("cpu", "CPU units", |c| {
        c.cpu.map_or("(unset)".to_string(), |v| v.to_string())
    }),
];

/// How the container runs.
const RUNS: [Setting; 5] = [
    ("command", "command", |c| words(&c.command)),
    ("entrypoint", "entrypoint", |c| words(&c.entry_point)),
    ("ports", "container ports", |c| ports(&c.ports)),
    ("health-check", "health check", health_check),
    ("log-configuration", "log configuration", log_configuration),
];

fn container_diff(from: &ContainerDefinition, to: &ContainerDefinition) -> Vec<Change> {
    let mut changes = Vec::new();
    if from.image != to.image {
        let text = image_change(from.image.as_deref(), to.image.as_deref());
        changes.push(in_container(&to.name, "image", text));
    }
    let settings = |changes: &mut Vec<Change>, settings: &[Setting]| {
        for (field, label, read) in settings {
            let (before, after) = (read(from), read(to));
            if before != after {
                changes.push(in_container(
                    &to.name,
                    field,
                    format!("{label} {before} → {after}"),
                ));
            }
        }
    };
    settings(&mut changes, &SIZES);
    let (added, removed) = names_diff(&from.environment_names, &to.environment_names);
    for (names, said) in [(removed, "removed"), (added, "added")] {
        if !names.is_empty() {
            let text = format!("environment variables {said}: {}", names.join(", "));
            changes.push(in_container(&to.name, "environment", text));
        }
    }
    changes.extend(secrets_diff(from, to));
    settings(&mut changes, &RUNS);
    changes
}

fn mib(value: Option<i32>) -> String {
    value.map_or("(unset)".to_string(), |v| format!("{v} MiB"))
}

/// A command or an entrypoint, from its structure: values masked unless their shape is safe.
fn words(words: &[String]) -> String {
    if words.is_empty() {
        "(image default)".to_string()
    } else {
        crate::redact::structure::command(words)
    }
}

fn ports(ports: &[i32]) -> String {
    if ports.is_empty() {
        return "(none)".to_string();
    }
    ports
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn log_configuration(container: &ContainerDefinition) -> String {
    match &container.log {
        None => "(none)".to_string(),
        Some(log) => match log.awslogs_group() {
            Some(group) => format!("awslogs to {group}"),
            None => log.driver.clone(),
        },
    }
}

/// "image api:v1.4.1 → api:v1.4.2" (the repository once when it did not change).
fn image_change(from: Option<&str>, to: Option<&str>) -> String {
    let parsed = (from.and_then(ImageRef::parse), to.and_then(ImageRef::parse));
    if let (Some(before), Some(after)) = &parsed {
        if before.registry == after.registry && before.repository == after.repository {
            let version = |image: &ImageRef| {
                image
                    .tag
                    .clone()
                    .or_else(|| image.digest.as_deref().map(short_digest))
                    .unwrap_or_default()
            };
            return format!(
                "image {} {} → {}",
                after.repository,
                version(before),
                version(after)
            );
        }
    }
    format!(
        "image {} → {}",
        from.unwrap_or("(none)"),
        to.unwrap_or("(none)")
    )
}

fn short_digest(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, hex)| hex);
    format!("@{}", &hex[..hex.len().min(12)])
}

fn health_check(container: &ContainerDefinition) -> String {
    match &container.health_check {
        None => "(none)".into(),
        Some(check) => {
            let mut text = crate::redact::structure::command(&check.command);
            let timing = [
                ("interval", check.interval),
                ("timeout", check.timeout),
                ("retries", check.retries),
                ("startPeriod", check.start_period),
            ]
            .iter()
            .filter_map(|(name, value)| value.map(|v| format!("{name} {v}")))
            .collect::<Vec<_>>();
            if !timing.is_empty() {
                text.push_str(&format!(" ({})", timing.join(", ")));
            }
            text
        }
    }
}

/// Names only in `to` (added) and only in `from` (removed).
fn names_diff(from: &[String], to: &[String]) -> (Vec<String>, Vec<String>) {
    let added = to.iter().filter(|n| !from.contains(n)).cloned().collect();
    let removed = from.iter().filter(|n| !to.contains(n)).cloned().collect();
    (added, removed)
}

fn secrets_diff(from: &ContainerDefinition, to: &ContainerDefinition) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut push = |text: String| changes.push(in_container(&to.name, "secret", text));
    let names =
        |c: &ContainerDefinition| c.secrets.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    let (added, removed) = names_diff(&names(from), &names(to));
    if !removed.is_empty() {
        push(format!("secrets removed: {}", removed.join(", ")));
    }
    if !added.is_empty() {
        push(format!("secrets added: {}", added.join(", ")));
    }
    for secret in &to.secrets {
        if let Some(before) = from.secrets.iter().find(|s| s.name == secret.name) {
            if before.value_from != secret.value_from {
                push(format!(
                    "secret {} now from {} (was {})",
                    secret.name, secret.value_from, before.value_from
                ));
            }
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::SecretRef;

    fn revision(image: &str, memory: &str, env: &[&str]) -> TaskDefinition {
        TaskDefinition {
            family: "api".into(),
            memory: Some(memory.into()),
            containers: vec![ContainerDefinition {
                name: "api".into(),
                image: Some(image.into()),
                environment_names: env.iter().map(|e| e.to_string()).collect(),
                secrets: vec![SecretRef {
                    name: "DB_PASSWORD".into(),
                    value_from: "arn:aws:secretsmanager:eu-west-1:1:secret:db-AbC".into(),
                }],
                ..ContainerDefinition::default()
            }],
            ..TaskDefinition::default()
        }
    }

    #[test]
    fn the_issues_example_image_memory_and_a_removed_variable() {
        let from = revision(
            "1.dkr.ecr.eu-west-1.amazonaws.com/api:v1.4.1",
            "1024",
            &["DATABASE_URL", "LOG_LEVEL"],
        );
        let mut to = revision(
            "1.dkr.ecr.eu-west-1.amazonaws.com/api:v1.4.2",
            "512",
            &["LOG_LEVEL"],
        );
        to.containers[0].secrets[0].value_from =
            "arn:aws:secretsmanager:eu-west-1:1:secret:db2-XyZ".into();
        let texts: Vec<String> = diff(&from, &to).into_iter().map(|c| c.text).collect();
        assert_eq!(
            texts,
            [
                "task memory 1024 → 512 MiB",
                "image api v1.4.1 → v1.4.2",
                "environment variables removed: DATABASE_URL",
                "secret DB_PASSWORD now from arn:aws:secretsmanager:eu-west-1:1:secret:db2-XyZ (was arn:aws:secretsmanager:eu-west-1:1:secret:db-AbC)",
            ]
        );
        assert!(diff(&from, &from).is_empty());
    }

    #[test]
    fn platform_and_roles_and_images_elsewhere() {
        let mut from = revision("nginx:1.27", "512", &[]);
        let mut to = from.clone();
        to.cpu_architecture = Some("ARM64".into());
        to.task_role_arn = Some("arn:aws:iam::1:role/api-task".into());
        to.containers[0].image = Some("ghcr.io/acme/api@sha256:0123456789abcdef0123".into());
        from.containers[0].command = vec!["serve".into()];
        let texts: Vec<String> = diff(&from, &to).into_iter().map(|c| c.text).collect();
        assert_eq!(
            texts,
            [
                "platform (default: LINUX/X86_64) → LINUX/ARM64",
                "task role (none) → api-task",
                "image nginx:1.27 → ghcr.io/acme/api@sha256:0123456789abcdef0123",
                "command [serve] → (image default)",
            ]
        );
    }
}
