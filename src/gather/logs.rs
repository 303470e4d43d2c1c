//! The last lines of the failed container's log, when the awslogs driver wrote it.

use crate::aws::{gaps, Ctx};
use crate::event::{Container, Task};
use crate::iam;
use crate::incident::{Gap, GapKind, LogTail, TaskDefinition};

/// A log line longer than this is cut: one runaway line must not fill the alert.
const MAX_LINE_CHARS: usize = 2000;

/// Where a container's awslogs stream is, or why it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamLocation {
    pub group: String,
    pub stream: String,
    pub region: Option<String>,
}

/// Finds the stream: `PREFIX/CONTAINER/TASK_ID` with a stream prefix, the container's runtime id
/// (the Docker id) without one. `Ok(None)`: the container never ran, so there is nothing to read.
pub fn locate(
    task: &Task,
    td: &TaskDefinition,
    container: &Container,
) -> Result<Option<StreamLocation>, Gap> {
    let what = format!("the log lines of container {}", container.name);
    let never_ran = container.exit_code.is_none()
        && container.runtime_id.is_none()
        && task.started_at.is_none();
    if never_ran {
        return Ok(None);
    }
    let Some(definition) = td.container(&container.name) else {
        return Err(Gap::new(
            GapKind::Missing,
            what,
            format!(
                "the task definition {}:{} has no container {}",
                td.family, td.revision, container.name
            ),
            "check that the task ran this task definition revision",
        ));
    };
    let Some(log) = &definition.log else {
        return Err(Gap::new(
            GapKind::Missing,
            what,
            "the container has no logConfiguration: its output went nowhere ecs-doctor can read",
            "add an awslogs logConfiguration to the container definition",
        ));
    };
    if log.driver != "awslogs" {
        return Err(Gap::new(
            GapKind::Unsupported,
            what,
            format!("log driver {}: not readable by ecs-doctor", log.driver),
            format!("read the container's output where the {} driver sends it; ecs-doctor reads awslogs only", log.driver),
        ));
    }
    let Some(group) = log.options.get("awslogs-group") else {
        return Err(Gap::new(
            GapKind::Missing,
            what,
            "the awslogs options name no awslogs-group",
            "set awslogs-group in the container's logConfiguration",
        ));
    };
    let stream = match (log.options.get("awslogs-stream-prefix"), task.id(), &container.runtime_id) {
        (Some(prefix), Some(task_id), _) => format!("{prefix}/{}/{task_id}", container.name),
        (None, _, Some(runtime_id)) => runtime_id.clone(),
        _ => {
            return Err(Gap::new(
                GapKind::Missing,
                what,
                "awslogs without awslogs-stream-prefix, and the task carries no container runtime id to name the stream",
                "set awslogs-stream-prefix in the container's logConfiguration (Fargate requires it)",
            ))
        }
    };
    Ok(Some(StreamLocation {
        group: group.clone(),
        stream,
        region: log.options.get("awslogs-region").cloned(),
    }))
}

/// The last `lines` lines of the stream, oldest first.
pub async fn tail(
    ctx: &Ctx<'_>,
    container: &str,
    location: StreamLocation,
    lines: i32,
) -> Result<LogTail, Gap> {
    let what = format!(
        "the log lines of container {} ({} {})",
        container, location.group, location.stream
    );
    ctx.count_call();
    let output = ctx
        .clients
        .logs_in(location.region.as_deref())
        .get_log_events()
        .log_group_name(&location.group)
        .log_stream_name(&location.stream)
        .start_from_head(false)
        .limit(lines.clamp(1, 10_000))
        .send()
        .await
        .map_err(|error| gaps::from_sdk_error(&what, iam::LOGS_GET_LOG_EVENTS, &error))?;
    let raw = lines_of(output.events().iter().filter_map(|event| event.message()));
    // Scrubbed as one block (a key spread over lines) before a runaway line is cut.
    let lines = crate::redact::scrub_lines(&raw)
        .into_iter()
        .map(|line| crate::cut::truncate(&line, MAX_LINE_CHARS))
        .collect();
    Ok(LogTail {
        container: container.to_string(),
        log_group: Some(location.group),
        log_stream: Some(location.stream),
        region: location.region,
        lines,
    })
}

/// Log events' messages as lines, without the newline each may end with.
pub fn lines_of<'a>(messages: impl Iterator<Item = &'a str>) -> Vec<String> {
    messages
        .map(|message| message.trim_end_matches(['\n', '\r']).to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{ContainerDefinition, LogConfiguration};

    fn task() -> Task {
        Task {
            task_arn: Some("arn:aws:ecs:eu-west-1:1:task/prod/0f3a".into()),
            containers: vec![Container {
                name: "api".into(),
                exit_code: Some(1),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn td(driver: &str, options: &[(&str, &str)]) -> TaskDefinition {
        TaskDefinition {
            family: "api".into(),
            revision: 3,
            containers: vec![ContainerDefinition {
                name: "api".into(),
                log: Some(LogConfiguration {
                    driver: driver.into(),
                    options: options
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                }),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn the_awslogs_stream_is_prefix_container_task_id() {
        let task = task();
        let td = td(
            "awslogs",
            &[
                ("awslogs-group", "/ecs/api"),
                ("awslogs-stream-prefix", "api"),
                ("awslogs-region", "eu-west-1"),
            ],
        );
        let location = locate(&task, &td, &task.containers[0]).unwrap().unwrap();
        assert_eq!(location.stream, "api/api/0f3a");
        assert_eq!(location.group, "/ecs/api");
        assert_eq!(location.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn firelens_is_a_gap_not_a_silent_skip() {
        let task = task();
        let gap = locate(&task, &td("awsfirelens", &[]), &task.containers[0]).unwrap_err();
        assert_eq!(
            gap.reason,
            "log driver awsfirelens: not readable by ecs-doctor"
        );
    }

    #[test]
    fn a_container_that_never_ran_has_no_logs_to_read() {
        let mut task = task();
        task.containers[0].exit_code = None;
        let td = td(
            "awslogs",
            &[
                ("awslogs-group", "/ecs/api"),
                ("awslogs-stream-prefix", "api"),
            ],
        );
        assert_eq!(locate(&task, &td, &task.containers[0]).unwrap(), None);
    }
}
