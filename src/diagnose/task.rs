//! Deciding why one task stopped.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use super::evidence;
use super::rules::{Codes, Rule, Trigger, RULES};
use crate::event::{Container, Task};
use crate::incident::{Incident, LogTail, TaskDefinition};
use crate::report::{Category, Evidence};

/// How many log lines a report carries as an excerpt.
const EXCERPT_LINES: usize = 10;
/// Quoted strings are cut here: a 1 MB log line must not become a 1 MB alert.
const QUOTE_LIMIT: usize = 400;

/// The catalog's regexes, compiled once. Reason and log rules are matched as sets, so a text
/// is scanned once whatever the number of rules.
struct Compiled {
    reason_set: RegexSet,
    /// Index in `reason_set` → index in `RULES`.
    reason_rules: Vec<usize>,
    log_set: RegexSet,
    log_rules: Vec<usize>,
    /// Every other pattern of the catalog (event names, deployment reasons), by pattern text.
    single: HashMap<&'static str, Regex>,
}

/// ECS's messages and the log lines the rules look for are ASCII: matching bytes with ASCII-only
/// classes and case folding keeps the automata small and several times faster than Unicode ones.
fn compile(pattern: &str) -> Regex {
    RegexBuilder::new(pattern)
        .unicode(false)
        .case_insensitive(true)
        .build()
        .expect("catalog regexes compile")
}

fn compile_set(patterns: &[&str]) -> RegexSet {
    RegexSetBuilder::new(patterns)
        .unicode(false)
        .case_insensitive(true)
        .build()
        .expect("catalog regexes compile")
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut reason_patterns = Vec::new();
    let mut reason_rules = Vec::new();
    let mut log_patterns = Vec::new();
    let mut log_rules = Vec::new();
    let mut single = HashMap::new();
    let mut add_single = |pattern: &'static str| {
        single.insert(pattern, compile(pattern));
    };
    for (index, rule) in RULES.iter().enumerate() {
        match rule.trigger {
            Trigger::Reason(pattern) => {
                reason_patterns.push(pattern);
                reason_rules.push(index);
            }
            Trigger::Log(pattern) => {
                log_patterns.push(pattern);
                log_rules.push(index);
            }
            Trigger::Deployment {
                reason: Some(pattern),
                ..
            } => add_single(pattern),
            Trigger::ServiceAction { event_name, reason } => {
                add_single(event_name);
                if let Some(pattern) = reason {
                    add_single(pattern);
                }
            }
            _ => {}
        }
    }
    Compiled {
        reason_set: compile_set(&reason_patterns),
        reason_rules,
        log_set: compile_set(&log_patterns),
        log_rules,
        single,
    }
});

/// Whether a catalog pattern matches `text` (case-insensitive).
pub(crate) fn matches(pattern: &'static str, text: &str) -> bool {
    match COMPILED.single.get(pattern) {
        Some(regex) => regex.is_match(text.as_bytes()),
        None => compile(pattern).is_match(text.as_bytes()),
    }
}

/// The first reason rule (catalog order) that matches `text`.
fn reason_rule(text: &str) -> Option<usize> {
    let compiled = &*COMPILED;
    compiled
        .reason_set
        .matches(text.as_bytes())
        .iter()
        .map(|set_index| compiled.reason_rules[set_index])
        .min()
}

/// The first log rule (catalog order) that matches any line, and the last line it matches.
pub(crate) fn log_rule(lines: &[String]) -> Option<(&'static Rule, usize)> {
    let compiled = &*COMPILED;
    let mut best: Option<(usize, usize)> = None; // (rule index, line index)
    for (line_index, line) in lines.iter().enumerate() {
        let line = cap(line, 4096); // a pathological line costs no more than a long one
        for set_index in compiled.log_set.matches(line.as_bytes()).iter() {
            let rule_index = compiled.log_rules[set_index];
            match best {
                Some((best_rule, _)) if best_rule < rule_index => {}
                _ => best = Some((rule_index, line_index)),
            }
        }
    }
    best.map(|(rule_index, line_index)| (&RULES[rule_index], line_index))
}

/// Why one task stopped, and what shows it.
#[derive(Debug, Clone)]
pub struct TaskVerdict {
    pub rule: &'static Rule,
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
            let reason_rank = container.reason.as_deref().and_then(reason_rule);
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

/// Phases 1 and 2: what ECS said, then the exit code. Phase 4, the fallback, when neither speaks.
fn decide(task: &Task, td: Option<&TaskDefinition>, failed: Option<&Container>) -> TaskVerdict {
    let verdict =
        |rule: &'static Rule, container: Option<&str>, matched: Option<&str>| TaskVerdict {
            rule,
            container: container.map(str::to_string),
            matched: matched.map(|text| cap(text, QUOTE_LIMIT).to_string()),
            log_line: None,
            evidence: Vec::new(),
            log_excerpt: Vec::new(),
        };
    let stopped =
        task.last_status.as_deref().is_none_or(|s| s == "STOPPED") || task.stopped_at.is_some();
    if !stopped {
        let rule = RULES
            .iter()
            .find(|r| matches!(r.trigger, Trigger::NotStopped))
            .expect("the catalog has a not-stopped rule");
        return verdict(rule, None, None);
    }

    // Containers in the order their reasons count: essential first.
    let mut containers: Vec<&Container> = task.containers.iter().collect();
    containers.sort_by_key(|c| !is_essential(c, td));
    let container_matches: Vec<(usize, &Container)> = containers
        .iter()
        .filter_map(|c| Some((reason_rule(c.reason.as_deref()?)?, *c)))
        .collect();
    let stopped_reason = task.stopped_reason.as_deref().unwrap_or("");
    let stopped_reason_match = reason_rule(stopped_reason);

    for (index, rule) in RULES.iter().enumerate() {
        match rule.trigger {
            Trigger::Reason(_) => {
                if let Some((_, container)) = container_matches.iter().find(|(i, _)| *i == index) {
                    return verdict(rule, Some(&container.name), container.reason.as_deref());
                }
                if stopped_reason_match == Some(index) {
                    return verdict(rule, None, Some(stopped_reason));
                }
            }
            Trigger::StopCode(code) if task.stop_code.as_deref() == Some(code) => {
                return verdict(rule, None, Some(stopped_reason).filter(|r| !r.is_empty()));
            }
            _ => {}
        }
    }

    if let Some(container) = failed {
        if let Some(code) = container.exit_code {
            let rule = RULES.iter().find(|rule| match rule.trigger {
                Trigger::ExitCode(Codes::Exactly(codes)) => codes.contains(&code),
                Trigger::ExitCode(Codes::AnyNonZero) => code != 0,
                _ => false,
            });
            if let Some(rule) = rule {
                return verdict(rule, Some(&container.name), None);
            }
        }
    }
    let rule = super::fallback_rule();
    verdict(rule, failed.map(|c| c.name.as_str()), None)
}

/// Phase 3: the log refines a decision taken from an exit code or the fallback ("exit 1" becomes
/// "missing DATABASE_URL"), and is quoted whatever decided.
fn refine_with_logs(verdict: &mut TaskVerdict, task: &Task, tail: &LogTail) {
    let start = tail.lines.len().saturating_sub(EXCERPT_LINES);
    verdict.log_excerpt = tail.lines[start..]
        .iter()
        .map(|line| cap(line.trim_end(), QUOTE_LIMIT).to_string())
        .collect();
    let refinable = match verdict.rule.trigger {
        Trigger::ExitCode(_) => verdict
            .container
            .as_deref()
            .and_then(|name| task.container(name))
            .and_then(|c| c.exit_code)
            .is_some_and(|code| code != 0),
        Trigger::Fallback => true,
        _ => false,
    };
    if !refinable {
        return;
    }
    let Some((rule, line_index)) = log_rule(&tail.lines) else {
        return;
    };
    let line = cap(tail.lines[line_index].trim(), QUOTE_LIMIT).to_string();
    let source = match (&tail.log_group, &tail.log_stream) {
        (Some(group), Some(stream)) => format!(
            "log {group} {stream} (line {} of the last {})",
            line_index + 1,
            tail.lines.len()
        ),
        _ => format!(
            "log of container {} (line {} of {})",
            tail.container,
            line_index + 1,
            tail.lines.len()
        ),
    };
    verdict.evidence.push(evidence(&source, &line));
    verdict.log_line = Some(line);
    verdict.rule = rule;
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
            items.push(evidence(
                &format!("{label} reason"),
                cap(reason, QUOTE_LIMIT),
            ));
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
        items.push(evidence("task stoppedReason", cap(reason, QUOTE_LIMIT)));
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

/// At most `limit` bytes of `text`, cut on a character boundary.
pub(crate) fn cap(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
