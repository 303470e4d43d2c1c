//! Deciding why one task stopped.

use super::classify::{self, Said};
use super::evidence;
use super::rules::Rule;
use crate::event::{Container, Task};
use crate::incident::{Incident, LogTail, TaskDefinition};
use crate::report::{Category, Evidence};

/// How many log lines a report carries as an excerpt.
const EXCERPT_LINES: usize = 10;
/// Quoted strings are cut here: a 1 MB log line must not become a 1 MB alert.
const QUOTE_LIMIT: usize = 400;

/// What decided a task's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    /// What ECS said: a container's reason or the task's stoppedReason.
    Said,
    StopCode,
    ExitCode,
    /// A log line refined the decision.
    Log,
    NotStopped,
    Fallback,
}

/// Why one task stopped, and what shows it.
#[derive(Debug, Clone)]
pub struct TaskVerdict {
    pub rule: &'static Rule,
    pub decided: Decided,
    /// The container that decided, by name.
    pub container: Option<String>,
    /// The ECS text the rule matched.
    pub matched: Option<String>,
    /// The log line that decided or refined the diagnosis.
    pub log_line: Option<String>,
    pub evidence: Vec<Evidence>,
    pub log_excerpt: Vec<String>,
}

fn is_essential(container: &Container, td: Option<&TaskDefinition>) -> bool {
    td.and_then(|td| td.container(&container.name))
        .is_none_or(|definition| definition.essential)
}

/// The container whose failure matters: among the essential containers, the one with a
/// recognised reason, else the one that exited non-zero on its own, else an unhealthy one,
/// else one that exited 0; a 137 or 143 is what ECS does to the others after the first one
/// failed, so those come last. The gatherer reads this container's logs.
pub fn failed_container<'a>(task: &'a Task, td: Option<&TaskDefinition>) -> Option<&'a Container> {
    task.containers
        .iter()
        .enumerate()
        .min_by_key(|(position, container)| {
            let reason_rank = container
                .reason
                .as_deref()
                .and_then(classify::said)
                .map(|said| said.strength());
            let class = if reason_rank.is_some() {
                0
            } else {
                match container.exit_code {
                    Some(code) if code != 0 && code != 137 && code != 143 => 1,
                    _ if container.health_status.as_deref() == Some("UNHEALTHY") => 2,
                    Some(0) => 3,
                    Some(_) => 4,
                    None => 5,
                }
            };
            (
                !is_essential(container, td),
                class,
                reason_rank.unwrap_or(usize::MAX),
                *position,
            )
        })
        .map(|(_, container)| container)
}

/// The Spot interruption a task not yet stopped announces: desiredStatus STOPPED, and a stop
/// code or reason that falls to the Spot rule (the two-minute warning Fargate Spot sends as a
/// task state change: stopCode TerminationNotice or SpotInterruption, "Your Spot Task was
/// interrupted."). Other stops in progress wait for their STOPPED event, which says more.
fn interruption_notice(task: &Task) -> Option<&'static Rule> {
    if task.desired_status.as_deref() != Some("STOPPED") {
        return None;
    }
    let by_code = task.stop_code.as_deref().and_then(classify::by_stop_code);
    let by_reason = || {
        task.stopped_reason
            .as_deref()
            .and_then(classify::said)
            .map(|said| said.rule)
    };
    by_code
        .or_else(by_reason)
        .filter(|rule| rule.category == Category::SpotInterruption)
}

/// Classifies one task. `incident` supplies the log tails and the service (`None` for sibling
/// tasks, which are tallied from ECS's own facts only).
pub fn classify_task(
    task: &Task,
    td: Option<&TaskDefinition>,
    incident: Option<&Incident>,
) -> TaskVerdict {
    let failed = failed_container(task, td);
    let mut verdict = decide(task, td, failed);
    if verdict.container.is_none() {
        verdict.container = failed.map(|c| c.name.clone());
    }
    // ELB health checks judge the container behind the load balancer.
    if verdict.rule.category == Category::ElbHealthCheck {
        if let Some(name) = incident
            .and_then(|i| i.service.as_ref())
            .and_then(|s| {
                s.load_balancers
                    .iter()
                    .find_map(|lb| lb.container_name.clone())
            })
            .filter(|name| task.container(name).is_some())
        {
            verdict.container = Some(name);
        }
    }
    verdict.evidence = task_evidence(task, verdict.container.as_deref(), &verdict);

    let tail = incident
        .zip(verdict.container.as_deref())
        .and_then(|(incident, name)| incident.log_tail(name));
    if let Some(tail) = tail {
        refine_with_logs(&mut verdict, task, tail);
    }
    verdict
}

/// Phases 1 and 2: what ECS said, then the stop code and the exit code. Phase 4, the
/// fallback, when none speaks.
fn decide(task: &Task, td: Option<&TaskDefinition>, failed: Option<&Container>) -> TaskVerdict {
    let verdict = |rule: &'static Rule,
                   decided: Decided,
                   container: Option<&str>,
                   matched: Option<&str>| TaskVerdict {
        rule,
        decided,
        container: container.map(str::to_string),
        matched: matched.map(quote),
        log_line: None,
        evidence: Vec::new(),
        log_excerpt: Vec::new(),
    };
    let stopped =
        task.last_status.as_deref().is_none_or(|s| s == "STOPPED") || task.stopped_at.is_some();
    if !stopped {
        // A Spot task told it will be interrupted is still RUNNING, to stop within two minutes.
        if let Some(rule) = interruption_notice(task) {
            let reason = task.stopped_reason.as_deref().filter(|r| !r.is_empty());
            return verdict(rule, Decided::StopCode, None, reason);
        }
        return verdict(classify::not_stopped(), Decided::NotStopped, None, None);
    }
    if let Some((said, container, text)) = strongest_said(task, td) {
        return verdict(said.rule, Decided::Said, container, Some(text));
    }
    if let Some(rule) = task.stop_code.as_deref().and_then(classify::by_stop_code) {
        let reason = task.stopped_reason.as_deref().filter(|r| !r.is_empty());
        return verdict(rule, Decided::StopCode, None, reason);
    }
    if let Some(container) = failed {
        if let Some(rule) = container.exit_code.and_then(classify::by_exit_code) {
            return verdict(rule, Decided::ExitCode, Some(&container.name), None);
        }
    }
    verdict(
        classify::fallback(),
        Decided::Fallback,
        failed.map(|c| c.name.as_str()),
        None,
    )
}

/// The strongest thing ECS said about the task: the containers' reasons (essential ones first)
/// and the stoppedReason, each read in the error grammar. A known cause beats a phase alone.
fn strongest_said<'t>(
    task: &'t Task,
    td: Option<&TaskDefinition>,
) -> Option<(Said, Option<&'t str>, &'t str)> {
    let mut containers: Vec<&Container> = task.containers.iter().collect();
    containers.sort_by_key(|c| !is_essential(c, td));
    let said_by_containers = containers.into_iter().filter_map(|container| {
        let reason = container.reason.as_deref()?;
        let rank = !is_essential(container, td);
        Some((
            classify::said(reason)?,
            Some(container.name.as_str()),
            reason,
            rank,
        ))
    });
    // What a failed attachment says (an EBS volume's statusReason) counts as the task's own.
    let said_by_task = task
        .stopped_reason
        .as_deref()
        .into_iter()
        .chain(task.attachment_failures())
        .filter_map(|reason| Some((classify::said(reason)?, None, reason, false)));
    said_by_containers
        .chain(said_by_task)
        .enumerate()
        .min_by_key(|(position, (said, _, _, sidecar))| {
            (said.cause.is_none(), *sidecar, said.strength(), *position)
        })
        .map(|(_, (said, container, text, _))| (said, container, text))
}

/// Phase 3: the log refines a decision taken from an exit code or the fallback ("exit 1" becomes
/// "missing DATABASE_URL"), and is quoted whatever decided.
fn refine_with_logs(verdict: &mut TaskVerdict, task: &Task, tail: &LogTail) {
    // Scrubbed as one block (a key spread over lines), and before anything is cut.
    let lines = crate::redact::scrub_lines(&tail.lines);
    let start = lines.len().saturating_sub(EXCERPT_LINES);
    verdict.log_excerpt = lines[start..]
        .iter()
        .map(|line| quote(line.trim_end()))
        .collect();
    let refinable = match verdict.decided {
        Decided::ExitCode => verdict
            .container
            .as_deref()
            .and_then(|name| task.container(name))
            .and_then(|c| c.exit_code)
            .is_some_and(|code| code != 0),
        Decided::Fallback => true,
        _ => false,
    };
    if !refinable {
        return;
    }
    let Some((rule, line_index)) = classify::log_rule(&lines) else {
        return;
    };
    let line = quote(lines[line_index].trim());
    let source = match (&tail.log_group, &tail.log_stream) {
        (Some(group), Some(stream)) => format!(
            "log {group} {stream} (line {} of the last {})",
            line_index + 1,
            lines.len()
        ),
        _ => format!(
            "log of container {} (line {} of {})",
            tail.container,
            line_index + 1,
            lines.len()
        ),
    };
    verdict.evidence.push(evidence(&source, &line));
    verdict.log_line = Some(line);
    verdict.rule = rule;
    verdict.decided = Decided::Log;
}

/// The facts that decided, quoted with where they came from: the failed container first, then
/// the task, then the other containers as context.
fn task_evidence(task: &Task, decisive: Option<&str>, verdict: &TaskVerdict) -> Vec<Evidence> {
    let mut items = Vec::new();
    let describe = |container: &Container, items: &mut Vec<Evidence>, context: Option<&str>| {
        let label = match context {
            Some(first) => format!("container {} (stopped after {first})", container.name),
            None => format!("container {}", container.name),
        };
        if let Some(code) = container.exit_code {
            items.push(evidence(&format!("{label} exitCode"), &code.to_string()));
        }
        if let Some(reason) = &container.reason {
            items.push(evidence(&format!("{label} reason"), &quote(reason)));
        }
        if context.is_none() && container.exit_code.is_none() && container.reason.is_none() {
            items.push(evidence(
                &label,
                &format!(
                    "no exit code and no reason (lastStatus {})",
                    container.last_status.as_deref().unwrap_or("unknown")
                ),
            ));
        }
    };
    if let Some(container) = decisive.and_then(|name| task.container(name)) {
        describe(container, &mut items, None);
    }
    if let Some(stop_code) = &task.stop_code {
        items.push(evidence("task stopCode", stop_code));
    }
    if let Some(reason) = &task.stopped_reason {
        items.push(evidence("task stoppedReason", &quote(reason)));
    }
    if task.last_status.as_deref().is_some_and(|s| s != "STOPPED")
        && verdict.rule.category == Category::TaskRunning
    {
        items.push(evidence(
            "task lastStatus",
            task.last_status.as_deref().unwrap_or(""),
        ));
    }
    // Other containers are context, and there may be hundreds: quote a few.
    let others = task.containers.iter().filter(|c| {
        Some(c.name.as_str()) != decisive && (c.exit_code.is_some() || c.reason.is_some())
    });
    let mut shown = 0;
    let mut hidden = 0;
    for container in others {
        if shown < 5 {
            describe(container, &mut items, Some(decisive.unwrap_or("the task")));
            shown += 1;
        } else {
            hidden += 1;
        }
    }
    if hidden > 0 {
        items.push(evidence(
            "other containers",
            &format!("{hidden} more containers not quoted"),
        ));
    }
    items
}

pub(crate) use crate::cut::cap;

/// A quote: scrubbed first, then cut (cutting first would leave a cut secret's head).
fn quote(text: &str) -> String {
    crate::redact::scrub_and_cut(text, QUOTE_LIMIT)
}
