//! The diagnosis engine: an `Incident` in, a `Report` out. Pure: no AWS call, no clock, no I/O,
//! so it is deterministic, fast and testable from a JSON fixture.
//!
//! A task stop is decided in phases, each a slice of the rule catalog in `rules/`:
//! 1. what ECS said: the containers' `reason`, the task's `stoppedReason` and `stopCode`
//!    (the container-level reason wins over the task-level "Essential container in task exited");
//! 2. the exit code of the essential container that failed first;
//! 3. the container's log lines, which refine a decision taken from an exit code;
//! 4. the fallback, which quotes the raw reasons and never guesses.

pub mod classify;
mod conclude;
pub mod findings;
pub mod grammar;
mod hooks;
mod links;
pub mod rules;
pub mod shapes;
mod task;
pub mod template;

use std::collections::BTreeMap;

use crate::arn::{self, last_segment, ImageRef, TaskDefinitionRef};
use crate::event::{DeploymentChange, Detail, EcsEvent, ServiceAction, Task};
use crate::incident::{Incident, Service};
use crate::report::{
    Category, EventInfo, Evidence, IncidentRef, Occurrences, Report, Resources, RootCause,
    Severity, Step, SCHEMA_VERSION,
};
pub use conclude::conclude;
pub use rules::{Fact, Rule, Trigger, RULES};
pub use task::{classify_task, failed_container, Decided, TaskVerdict};
use template::{fill, Vars};

/// Titles stay under SNS's 100-character subject limit, with room for a severity prefix.
pub(crate) const TITLE_LIMIT: usize = 88;
/// How many service events a service-level report quotes.
const SERVICE_EVENTS_QUOTED: usize = 3;
/// What a deployment report says when none of its tasks could be read (the investigation takes
/// it back when it verified the cause another way).
pub(crate) const NO_TASK_READ: &str =
    " No stopped task of the deployment could be read, so the cause is not known yet.";

/// Diagnoses one incident.
pub fn diagnose(incident: &Incident) -> Report {
    diagnose_with(incident, None)
}

/// Diagnoses one incident, the task's cause decided by `verified` (what the investigation
/// verified) instead of by what ECS said.
pub fn diagnose_as(incident: &Incident, verified: &'static Rule) -> Report {
    diagnose_with(incident, Some(verified))
}

fn diagnose_with(incident: &Incident, verified: Option<&'static Rule>) -> Report {
    match incident.event.as_ref().map(|event| &event.detail) {
        Some(Detail::Deployment(change)) => deployment_report(incident, change, verified),
        Some(Detail::ServiceAction(action)) => service_action_report(incident, action, verified),
        Some(
            detail @ (Detail::Hook(_)
            | Detail::DaemonAction(_)
            | Detail::DaemonDeployment(_)
            | Detail::InstanceHealth(_)),
        ) => {
            let action = detail.named().expect("named events have a name");
            let mut report = service_action_report(incident, &action, verified);
            hooks::describe(&mut report, detail);
            report
        }
        Some(Detail::Task(_)) | None => match incident.task() {
            Some(task) => task_report(incident, task, verified),
            None => empty_report(incident),
        },
    }
}

/// Why the task stopped: as classified, or as verified.
fn task_verdict(incident: &Incident, task: &Task, verified: Option<&'static Rule>) -> TaskVerdict {
    let mut verdict = classify_task(task, incident.task_definition.as_ref(), Some(incident));
    if let Some(rule) = verified {
        verdict.rule = rule;
    }
    verdict
}

/// The report for one stopped (or changing) task.
fn task_report(incident: &Incident, task: &Task, verified: Option<&'static Rule>) -> Report {
    let verdict = task_verdict(incident, task, verified);
    let mut vars = base_vars(incident);
    task_vars(&mut vars, incident, task, &verdict);
    let mut report = assemble(incident, verdict.rule, &vars);
    report.evidence = verdict.evidence.clone();
    report.resources.container = verdict.container.clone();
    report.log_excerpt = verdict.log_excerpt.clone();
    report.occurrences = occurrences(incident, task, verdict.rule.category);
    if let Some(occurrences) = &report.occurrences {
        if occurrences.same_cause > 1 {
            report.summary.push_str(&format!(
                " It is not alone: {} of the {} tasks that stopped in the last {} minutes stopped the same way.",
                occurrences.same_cause, occurrences.tasks, occurrences.window_minutes
            ));
        }
    }
    report.findings = findings::for_task(incident, task, &verdict, &report);
    finish(report, incident, &vars)
}

/// The report for a deployment state change: the deployment's fate, and the cause its tasks show.
fn deployment_report(
    incident: &Incident,
    change: &DeploymentChange,
    verified: Option<&'static Rule>,
) -> Report {
    let rule =
        classify::deployment_rule(&change.event_name, change.reason.as_deref().unwrap_or(""))
            .unwrap_or_else(classify::fallback);
    let mut vars = base_vars(incident);
    vars.insert("event_name", change.event_name.clone());
    put(&mut vars, "event_reason", change.reason.as_deref());
    put(&mut vars, "deployment_id", change.deployment_id.as_deref());
    if let Some(service) = &incident.service {
        deployment_vars(&mut vars, service, change);
    }
    // When no deployment is marked FAILED, the failed revision is the one its tasks ran.
    if !vars.contains_key("failed_task_definition") {
        if let Some(td) = incident.task.as_ref().and_then(Task::task_definition) {
            vars.insert("failed_task_definition", td.to_string());
        }
    }
    let mut report = assemble(incident, rule, &vars);
    report.event.name = Some(change.event_name.clone());
    report.resources.deployment_id = change.deployment_id.clone();
    report.evidence.push(evidence(
        "deployment event",
        &format!(
            "{} {}",
            change.event_name,
            change.reason.as_deref().unwrap_or("(no reason given)")
        ),
    ));
    if let Some(service) = &incident.service {
        for deployment in &service.deployments {
            let state = deployment.rollout_state.as_deref().unwrap_or("?");
            let mut text = format!(
                "{} {} {} rollout {}",
                deployment.id,
                deployment.status.as_deref().unwrap_or("?"),
                deployment
                    .task_definition
                    .as_deref()
                    .map(last_segment)
                    .unwrap_or("?"),
                state
            );
            if let Some(failed) = deployment.failed_tasks.filter(|n| *n > 0) {
                text.push_str(&format!(", {failed} failed tasks"));
            }
            if let Some(reason) = &deployment.rollout_state_reason {
                text.push_str(&format!(": {reason}"));
            }
            report.evidence.push(evidence("service deployment", &text));
        }
    }
    // A hook, the traffic configuration or the infrastructure role is the cause itself: the
    // deployment's tasks may be fine.
    let tasks_say_why = !matches!(
        rule.category,
        Category::DeploymentHookFailed
            | Category::DeploymentTrafficConfig
            | Category::InfrastructureRole
    );
    if rule.category.notify() {
        if tasks_say_why {
            attach_root_cause(&mut report, incident, &incident.deployment_tasks, verified);
        }
        quote_service_events(&mut report, incident);
    }
    report.findings = findings::for_service(incident, &report);
    if rule.category == Category::DeploymentHookFailed {
        hooks::hook_role_fix(&mut report, change.reason.as_deref().unwrap_or(""));
    }
    finish(report, incident, &vars)
}

/// The report for a service action: steady state, placement failures, impaired starts.
fn service_action_report(
    incident: &Incident,
    action: &ServiceAction,
    verified: Option<&'static Rule>,
) -> Report {
    let reason = action.reason.as_deref().unwrap_or("");
    let rule = service_action_rule(incident, action);
    let mut vars = base_vars(incident);
    vars.insert("event_name", action.event_name.clone());
    put(&mut vars, "event_reason", action.reason.as_deref());
    if !reason.is_empty() {
        vars.insert("event_reason_suffix", format!(" ({reason})"));
    }
    let mut report = assemble(incident, rule, &vars);
    report.event.name = Some(action.event_name.clone());
    report.evidence.push(evidence(
        "service action event",
        format!(
            "{} {}{}",
            action.event_type.as_deref().unwrap_or(""),
            action.event_name,
            if reason.is_empty() {
                String::new()
            } else {
                format!(" reason {reason}")
            }
        )
        .trim(),
    ));
    // An INFO event with no rule of its own is information, not an alert.
    if rule.category == Category::Other && action.event_type.as_deref() == Some("INFO") {
        report.notify = false;
        report.severity = Severity::Info;
    }
    if rule.category == Category::TaskStartImpaired {
        let tasks = incident
            .siblings
            .as_ref()
            .map(|siblings| siblings.tasks.as_slice())
            .unwrap_or(&[]);
        let tasks = if incident.deployment_tasks.is_empty() {
            tasks
        } else {
            &incident.deployment_tasks
        };
        attach_root_cause(&mut report, incident, tasks, verified);
    }
    if report.notify {
        quote_service_events(&mut report, incident);
    }
    report.findings = findings::for_service(incident, &report);
    finish(report, incident, &vars)
}

/// The rule of a service action: its name and reason; when those say nothing ecs-doctor knows,
/// what the service's newest events say (a placement message names what the instance lacked).
fn service_action_rule(incident: &Incident, action: &ServiceAction) -> &'static Rule {
    let reason = action.reason.as_deref().unwrap_or("");
    let rule = classify::service_action_rule(&action.event_name, reason);
    if let Some(rule) = rule.filter(|rule| rule.category != Category::Other) {
        return rule;
    }
    let from_events = incident.service.as_ref().and_then(|service| {
        service
            .events
            .iter()
            .find_map(|event| classify::said(&event.message))
            .filter(|said| said.rule.category != Category::Other || rule.is_none())
    });
    match from_events {
        Some(said) => said.rule,
        None => rule.unwrap_or_else(classify::fallback),
    }
}

/// A report when the incident holds neither an event nor a task.
fn empty_report(incident: &Incident) -> Report {
    let vars = base_vars(incident);
    let mut report = assemble(incident, classify::fallback(), &vars);
    report.summary = "No event and no task were given, so there was nothing to diagnose.".into();
    finish(report, incident, &vars)
}

/// Diagnoses the tasks a deployment (or an impaired service) started, and puts the dominant
/// cause in the report: "3 of 3 tasks failed ELB health checks".
fn attach_root_cause(
    report: &mut Report,
    incident: &Incident,
    tasks: &[Task],
    verified: Option<&'static Rule>,
) {
    let explained = incident.task.as_ref().or_else(|| tasks.first());
    let Some(task) = explained else {
        report.summary.push_str(NO_TASK_READ);
        return;
    };
    let verdict = task_verdict(incident, task, verified);
    let mut vars = base_vars(incident);
    task_vars(&mut vars, incident, task, &verdict);
    let summary = fill(verdict.rule.summary, &vars).unwrap_or_default();
    let title = match &verdict.container {
        Some(container) => format!("{}: {container}", verdict.rule.headline),
        None => verdict.rule.headline.to_string(),
    };

    let (by_category, counted) = tally(incident, tasks, task, verdict.rule.category);
    let same = by_category
        .get(&verdict.rule.category)
        .copied()
        .unwrap_or(1);
    report.summary.push_str(&format!(
        " Why: {same} of {counted} stopped task{} {} the same cause — {}",
        if counted == 1 { "" } else { "s" },
        if same == 1 { "shows" } else { "show" },
        summary
    ));
    report.title = truncate(
        &format!(
            "{} — {}",
            report.title,
            verdict.rule.headline.to_lowercase()
        ),
        TITLE_LIMIT,
    );
    report.evidence.extend(verdict.evidence.iter().cloned());
    report.log_excerpt = verdict.log_excerpt.clone();
    if report.resources.container.is_none() {
        report.resources.container = verdict.container.clone();
    }
    if report.resources.task_arn.is_none() {
        report.resources.task_arn = task.task_arn.clone();
        report.resources.task_id = task.id().map(str::to_string);
    }
    // The fix for the cause comes first, then the deployment's own steps.
    let mut steps: Vec<Step> = verdict
        .rule
        .steps
        .iter()
        .filter_map(|step| fill_step(step, &vars))
        .collect();
    for step in std::mem::take(&mut report.next_steps) {
        if !steps.contains(&step) {
            steps.push(step);
        }
    }
    report.next_steps = steps;
    report.occurrences = Some(Occurrences {
        tasks: counted,
        same_cause: same,
        window_minutes: incident
            .siblings
            .as_ref()
            .map_or(0, |siblings| siblings.window_minutes),
        by_category: by_category
            .iter()
            .filter(|(category, _)| **category != verdict.rule.category)
            .map(|(category, count)| (category.id().to_string(), *count))
            .collect(),
    });
    report.root_cause = Some(RootCause {
        category: verdict.rule.category,
        rule: verdict.rule.id.to_string(),
        title,
        summary,
    });
}

/// Every stopped task of the deployment by category, the explained one (`task`, already
/// classified as `category`) included; and how many were counted (at least the explained one).
fn tally(
    incident: &Incident,
    tasks: &[Task],
    task: &Task,
    category: Category,
) -> (BTreeMap<Category, usize>, usize) {
    let mut by_category: BTreeMap<Category, usize> = BTreeMap::new();
    for other in tasks {
        let other_category = if other.task_arn.is_some() && other.task_arn == task.task_arn {
            category
        } else {
            classify_task(other, incident.task_definition.as_ref(), None)
                .rule
                .category
        };
        *by_category.entry(other_category).or_default() += 1;
    }
    if tasks.is_empty() {
        by_category.insert(category, 1);
    }
    let counted = tasks.len().max(1);
    (by_category, counted)
}

fn quote_service_events(report: &mut Report, incident: &Incident) {
    let Some(service) = &incident.service else {
        return;
    };
    for event in service.events.iter().take(SERVICE_EVENTS_QUOTED) {
        let source = match event.created_at {
            Some(at) => format!("service event {}", at.format("%Y-%m-%dT%H:%M:%SZ")),
            None => "service event".to_string(),
        };
        report.evidence.push(evidence(&source, &event.message));
    }
}

/// How many of the service's recently stopped tasks stopped the same way as this one.
fn occurrences(incident: &Incident, task: &Task, category: Category) -> Option<Occurrences> {
    let siblings = incident.siblings.as_ref()?;
    let mut by_category: BTreeMap<Category, usize> = BTreeMap::new();
    by_category.insert(category, 1);
    let mut tasks = 1;
    for sibling in &siblings.tasks {
        if sibling.task_arn.is_some() && sibling.task_arn == task.task_arn {
            continue;
        }
        let sibling_category = classify_task(sibling, incident.task_definition.as_ref(), None)
            .rule
            .category;
        *by_category.entry(sibling_category).or_default() += 1;
        tasks += 1;
    }
    Some(Occurrences {
        tasks,
        same_cause: by_category[&category],
        window_minutes: siblings.window_minutes,
        by_category: by_category
            .iter()
            .filter(|(other, _)| **other != category)
            .map(|(other, count)| (other.id().to_string(), *count))
            .collect(),
    })
}

/// The common skeleton of every report: rule, category, severity, title, summary, steps.
fn assemble(incident: &Incident, rule: &'static Rule, vars: &Vars) -> Report {
    let event = incident.event.as_ref();
    let summary = fill(rule.summary, vars).unwrap_or_else(|| rule.detects.to_string());
    Report {
        schema_version: SCHEMA_VERSION,
        category: rule.category,
        rule: rule.id.to_string(),
        severity: rule.category.default_severity(),
        notify: rule.category.notify(),
        title: title(rule, vars),
        summary,
        root_cause: None,
        event: EventInfo {
            id: event.and_then(|e| e.id.clone()),
            detail_type: event
                .map(|e| e.detail.detail_type().to_string())
                .unwrap_or_else(|| "ECS Task (described)".to_string()),
            name: None,
            time: event.and_then(|e| e.time).map(|t| t.to_rfc3339()),
        },
        resources: resources(vars),
        evidence: Vec::new(),
        log_excerpt: Vec::new(),
        next_steps: rule
            .steps
            .iter()
            .filter_map(|step| fill_step(step, vars))
            .collect(),
        findings: Vec::new(),
        occurrences: None,
        links: Vec::new(),
        gaps: incident.gaps.clone(),
        // Framing is flood control's: `crate::diagnose` names the incident.
        incident: IncidentRef::default(),
        what_changed: None,
        routing: Default::default(),
    }
}

/// Severity escalation and links. Secrets are scrubbed where the report leaves: `render`.
fn finish(mut report: Report, incident: &Incident, vars: &Vars) -> Report {
    if report.notify {
        if let Some(service) = &incident.service {
            if service.desired_count.unwrap_or(0) > 0 && service.running_count == Some(0) {
                report.severity = Severity::Critical;
            }
        }
    }
    report.links = links::links(vars);
    report
}

fn fill_step(step: &rules::StepTemplate, vars: &Vars) -> Option<Step> {
    Some(Step {
        title: fill(step.title, vars)?,
        command: if step.command.is_empty() {
            None
        } else {
            Some(fill(step.command, vars)?)
        },
    })
}

/// "Out of memory: api in checkout (prod)".
fn title(rule: &Rule, vars: &Vars) -> String {
    let place = vars
        .get("service")
        .or_else(|| vars.get("family"))
        .map(String::as_str);
    let subject = match (vars.get("container").map(String::as_str), place) {
        (Some(container), Some(place)) if container != place => format!("{container} in {place}"),
        (_, Some(place)) => place.to_string(),
        (Some(container), None) => container.to_string(),
        (None, None) => String::new(),
    };
    let mut title = rule.headline.to_string();
    if !subject.is_empty() {
        title.push_str(": ");
        title.push_str(&subject);
    }
    if let Some(cluster) = vars.get("cluster") {
        title.push_str(&format!(" ({cluster})"));
    }
    truncate(&title, TITLE_LIMIT)
}

pub use crate::cut::truncate;

fn resources(vars: &Vars) -> Resources {
    let get = |name: &str| vars.get(name).cloned();
    Resources {
        account: get("account"),
        region: get("region"),
        cluster: get("cluster"),
        service: get("service"),
        task_arn: get("task_arn"),
        task_id: get("task_id"),
        task_definition: get("task_definition"),
        container: None,
        deployment_id: get("deployment_id"),
        log_group: get("log_group"),
        log_stream: get("log_stream"),
        hook_id: None,
        service_deployment: None,
    }
}

pub(crate) fn evidence(source: &str, text: &str) -> Evidence {
    Evidence {
        source: source.to_string(),
        text: text.to_string(),
        verified_by: None,
    }
}

fn put(vars: &mut Vars, name: &'static str, value: Option<&str>) {
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        vars.insert(name, value.to_string());
    }
}

/// The facts every template may use: where, which service, which roles.
fn base_vars(incident: &Incident) -> Vars {
    let mut vars = Vars::new();
    let event = incident.event.as_ref();
    let task = incident.task();
    let service_ref = event.and_then(EcsEvent::service_ref);
    let region = event
        .and_then(|e| e.region.clone())
        .or_else(|| service_ref.as_ref().and_then(|s| s.region.clone()))
        .or_else(|| task.and_then(|t| arn::region_of(t.task_arn.as_deref()?).map(str::to_string)));
    put(&mut vars, "region", region.as_deref());
    let account = event
        .and_then(|e| e.account.clone())
        .or_else(|| service_ref.as_ref().and_then(|s| s.account.clone()))
        .or_else(|| task.and_then(|t| arn::account_of(t.task_arn.as_deref()?).map(str::to_string)));
    put(&mut vars, "account", account.as_deref());
    let cluster = task
        .and_then(Task::cluster)
        .map(str::to_string)
        .or_else(|| service_ref.as_ref().map(|s| s.cluster.clone()));
    put(&mut vars, "cluster", cluster.as_deref());
    let service = task
        .and_then(Task::service)
        .map(str::to_string)
        .or_else(|| service_ref.as_ref().map(|s| s.service.clone()))
        .or_else(|| incident.service.as_ref().map(|s| s.name.clone()));
    put(&mut vars, "service", service.as_deref());

    let task_definition = task
        .and_then(Task::task_definition)
        .map(str::to_string)
        .or_else(|| {
            incident
                .task_definition
                .as_ref()
                .map(|td| format!("{}:{}", td.family, td.revision))
        });
    if let Some(task_definition) = &task_definition {
        vars.insert("task_definition", task_definition.clone());
        let reference = TaskDefinitionRef::parse(task_definition);
        vars.insert("family", reference.family.to_string());
        put(
            &mut vars,
            "previous_task_definition",
            reference.previous().as_deref(),
        );
    }
    if let Some(td) = &incident.task_definition {
        if let Some(role) = &td.execution_role_arn {
            vars.insert("execution_role", role.clone());
            vars.insert("execution_role_name", last_segment(role).to_string());
        }
        if let Some(role) = &td.task_role_arn {
            vars.insert("task_role", role.clone());
            vars.insert("task_role_name", last_segment(role).to_string());
        }
        put(
            &mut vars,
            "cpu_architecture",
            td.cpu_architecture.as_deref(),
        );
    }
    if let Some(service) = &incident.service {
        if let Some(target_group) = service
            .load_balancers
            .iter()
            .find_map(|lb| lb.target_group_arn.clone())
        {
            vars.insert("target_group", target_group);
        }
    }
    if let Some(task) = task {
        put(&mut vars, "task_arn", task.task_arn.as_deref());
        put(&mut vars, "task_id", task.id());
        if let Some(id) = task.id() {
            vars.insert("task_label", format!("task {id}"));
        }
        put(&mut vars, "last_status", task.last_status.as_deref());
        put(&mut vars, "stop_code", task.stop_code.as_deref());
        put(&mut vars, "stopped_reason", task.stopped_reason.as_deref());
        if !vars.contains_key("cpu_architecture") {
            put(&mut vars, "cpu_architecture", task.cpu_architecture());
        }
    }
    vars
}

/// The facts about the failed container and what matched.
fn task_vars(vars: &mut Vars, incident: &Incident, task: &Task, verdict: &TaskVerdict) {
    put(vars, "task_arn", task.task_arn.as_deref());
    put(vars, "task_id", task.id());
    put(vars, "stop_code", task.stop_code.as_deref());
    put(vars, "stopped_reason", task.stopped_reason.as_deref());
    put(vars, "matched", verdict.matched.as_deref());
    put(vars, "log_line", verdict.log_line.as_deref());
    // What decided, quoted: the log line that refined it, else what ECS said.
    let said_clause = verdict
        .log_line
        .as_deref()
        .map(|line| format!(". The log says: '{line}'"))
        .or_else(|| verdict.matched.as_deref().map(|said| format!(": '{said}'")));
    put(vars, "said_clause", said_clause.as_deref());
    let Some(name) = verdict.container.as_deref() else {
        return;
    };
    vars.insert("container", name.to_string());
    let container = task.container(name);
    if let Some(code) = container.and_then(|c| c.exit_code) {
        vars.insert("exit_code", code.to_string());
        vars.insert("exit_clause", format!(" (exit {code})"));
    }
    put(vars, "reason", container.and_then(|c| c.reason.as_deref()));
    let definition = incident
        .task_definition
        .as_ref()
        .and_then(|td| td.container(name));
    let image = container
        .and_then(|c| c.image.clone())
        .or_else(|| definition.and_then(|d| d.image.clone()));
    if let Some(image) = image {
        image_vars(vars, &image);
        vars.insert("image", image);
    }
    let memory_limit = definition
        .and_then(|d| d.memory.map(|mib| mib.to_string()))
        .or_else(|| container.and_then(|c| c.memory.clone()))
        .map(|mib| format!("{mib} MiB (container hard limit)"))
        .or_else(|| {
            incident
                .task_definition
                .as_ref()
                .and_then(|td| td.memory.clone())
                .or_else(|| task.memory.clone())
                .map(|mib| format!("{mib} MiB (task memory)"))
        });
    put(vars, "memory_limit", memory_limit.as_deref());
    let tail = incident.log_tail(name);
    if let Some(tail) = tail {
        startup_vars(vars, &tail.lines);
    }
    let log_group = tail
        .and_then(|t| t.log_group.clone())
        .or_else(|| definition.and_then(|d| d.log.as_ref()?.awslogs_group().map(str::to_string)));
    put(vars, "log_group", log_group.as_deref());
    let log_stream = tail.and_then(|t| t.log_stream.clone()).or_else(|| {
        let prefix = definition?
            .log
            .as_ref()?
            .options
            .get("awslogs-stream-prefix")?;
        Some(format!("{prefix}/{name}/{}", task.id()?))
    });
    put(vars, "log_stream", log_stream.as_deref());
}

/// The start-up time the application's log states (its last statement), and a grace period of
/// about 1.5 times it, rounded up to ten seconds: what the load balancer should wait.
fn startup_vars(vars: &mut Vars, lines: &[String]) {
    let Some(seconds) = lines
        .iter()
        .rev()
        .find_map(|line| shapes::startup_seconds(line))
    else {
        return;
    };
    let shown = if seconds >= 10.0 {
        format!("{seconds:.0}")
    } else {
        format!("{seconds:.1}")
    };
    let grace = ((seconds * 1.5 / 10.0).ceil() as i64 * 10).max(10);
    vars.insert(
        "startup_clause",
        format!(", which the log puts at {shown} s"),
    );
    vars.insert("startup_seconds", shown);
    vars.insert("suggested_grace_period", grace.to_string());
}

/// `123.dkr.ecr.eu-west-1.amazonaws.com/api:1.4` → repository `api`, tag `1.4`, region (ECR
/// images only: the steps that use them are ECR commands).
fn image_vars(vars: &mut Vars, image: &str) {
    let Some(reference) = ImageRef::parse(image) else {
        return;
    };
    let Some(registry) = reference.ecr() else {
        return;
    };
    vars.insert("image_repository", reference.repository.clone());
    put(vars, "image_tag", reference.tag.as_deref());
    vars.insert("image_region", registry.region);
}

fn deployment_vars(vars: &mut Vars, service: &Service, change: &DeploymentChange) {
    let event_deployment = change
        .deployment_id
        .as_deref()
        .and_then(|id| service.deployment(id));
    let failed = service
        .deployments
        .iter()
        .find(|d| d.rollout_state.as_deref() == Some("FAILED"))
        .or(event_deployment.filter(|_| change.event_name.ends_with("FAILED")));
    let rollback = if change.event_name.ends_with("IN_PROGRESS") {
        event_deployment.or_else(|| service.primary())
    } else {
        service
            .deployments
            .iter()
            .find(|d| Some(&d.id) != failed.map(|f| &f.id))
    };
    if let Some(td) = failed.and_then(|d| d.task_definition.as_deref()) {
        vars.insert("failed_task_definition", last_segment(td).to_string());
        vars.entry("task_definition")
            .or_insert_with(|| last_segment(td).to_string());
    }
    if let Some(td) = rollback.and_then(|d| d.task_definition.as_deref()) {
        vars.insert("rollback_task_definition", last_segment(td).to_string());
        vars.insert("previous_task_definition", last_segment(td).to_string());
    }
}
