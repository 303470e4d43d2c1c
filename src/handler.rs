//! The Lambda handler: parse → quick benign check → claim the event id → gather → diagnose →
//! filter → flood control → render → publish, with one JSON summary line per invocation.
//!
//! What fails the invocation (so Lambda retries it): only a failed publish, after giving the
//! event's claim and the incident's alert back so the retry publishes. An event that cannot be
//! read is logged and answered with a `skipped` outcome: retrying the same bytes cannot help,
//! and the EventBridge rule should not send it in the first place. Flood control that cannot
//! reach its table fails open: an alert published twice is better than one lost.

use std::time::{Duration, Instant, SystemTime};

use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde_json::Value;

use crate::aws::Clients;
use crate::config::Config;
use crate::diagnose::diagnose;
use crate::event::{parse_value, Detail, EcsEvent};
use crate::gather::{gather_with_stats, GatherStats};
use crate::incident::Incident;
use crate::incidents::{scope_of, Claim, Decision, IncidentKey, Resolved, Store, StoreError};
use crate::notify::{self, NotifyError};
use crate::render::render;
use crate::report::{Category, Report};

/// What the function needs for every event: settings and clients, made once per process.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    pub clients: Clients,
}

impl App {
    /// Loads the SDK configuration for `config.aws` and builds the clients.
    pub async fn new(config: Config) -> App {
        let sdk_config = crate::aws::sdk_config(&config.aws).await;
        App {
            // Events from member accounts are read through a role there (MEMBER_ROLE_NAME).
            clients: Clients::from_conf(&sdk_config)
                .with_cross_account(crate::crossaccount::CrossAccountConfig::from_env()),
            config,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeKind {
    /// The report was published.
    Published,
    /// The event could not be read; nothing was done.
    Skipped,
    /// A benign stop (NOTIFY_BENIGN is off): no AWS call was made.
    Benign,
    /// A failure below MIN_SEVERITY.
    BelowMinSeverity,
    /// This event id was already handled (EventBridge and Lambda deliver at least once).
    Duplicate,
    /// A repeat of an open incident: counted, folded into its next follow-up.
    Counted,
}

impl OutcomeKind {
    pub const fn id(self) -> &'static str {
        match self {
            OutcomeKind::Published => "published",
            OutcomeKind::Skipped => "skipped",
            OutcomeKind::Benign => "benign",
            OutcomeKind::BelowMinSeverity => "below-min-severity",
            OutcomeKind::Duplicate => "duplicate",
            OutcomeKind::Counted => "counted",
        }
    }
}

/// The invocation's answer (also the Lambda's response payload).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub outcome: OutcomeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// AWS operations called for this event (publishing included).
    pub aws_calls: usize,
    /// Flood control's decision: opened, follow-up, counted or resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// Why it was skipped, or what was cut to fit SNS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Publish(#[from] NotifyError),
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(error: HandlerError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: match &error {
                HandlerError::Publish(NotifyError::Publish { .. }) => {
                    "EcsDoctor.PublishFailed".into()
                }
                HandlerError::Publish(NotifyError::TooLarge { .. }) => {
                    "EcsDoctor.ReportTooLarge".into()
                }
            },
            error_message: error.to_string(),
        }
    }
}

/// Milliseconds per phase, for the summary line.
#[derive(Debug, Default, Clone, Copy)]
struct Timings {
    parse: f64,
    dedupe: f64,
    gather: f64,
    diagnose: f64,
    render: f64,
    publish: f64,
}

fn ms_since(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

/// The Lambda entry point.
pub async fn handle(app: &App, event: LambdaEvent<Value>) -> Result<Outcome, HandlerError> {
    let deadline = (event.context.deadline > 0).then(|| event.context.deadline());
    handle_value(app, event.payload, deadline).await
}

/// The gather budget: what is left before the deadline, less the publish reserve, capped.
pub fn gather_budget(config: &Config, deadline: Option<SystemTime>) -> Duration {
    let Some(deadline) = deadline else {
        return config.gather_budget_cap;
    };
    match deadline.duration_since(SystemTime::now()) {
        Ok(left) => left
            .saturating_sub(config.publish_reserve)
            .min(config.gather_budget_cap),
        // Lambda stops a function at its deadline, so one already past when the event arrives
        // comes from a local emulator that sends the invoke time: gather within the cap.
        Err(late) => {
            tracing::warn!(
                late_ms = late.duration().as_millis() as u64,
                "the invocation's deadline had passed when it arrived (a local emulator?): gathering within GATHER_BUDGET_MS"
            );
            config.gather_budget_cap
        }
    }
}

/// Handles one event; `deadline` is the Lambda's (None: only GATHER_BUDGET_MS bounds gathering).
pub async fn handle_value(
    app: &App,
    payload: Value,
    deadline: Option<SystemTime>,
) -> Result<Outcome, HandlerError> {
    let started = Instant::now();
    let store = incident_store(app);
    let mut trace = Trace::default();
    let result = process(app, payload, deadline, store.as_ref(), &mut trace).await;
    trace.store = store;
    let store_calls = trace.store.as_ref().map_or(0, Store::calls);
    let outcome = match result {
        Ok(mut outcome) => {
            outcome.aws_calls += store_calls;
            outcome
        }
        Err((mut outcome, error)) => {
            outcome.aws_calls += store_calls;
            tracing::error!(error = %error, "the report was not published; the invocation fails so Lambda retries it");
            summary(&outcome, &trace, started);
            return Err(error);
        }
    };
    summary(&outcome, &trace, started);
    Ok(outcome)
}

/// What one invocation saw and did, for the summary line.
#[derive(Default)]
struct Trace {
    event: Option<EcsEvent>,
    /// The gather budget this invocation had, in ms (0 when nothing was gathered).
    budget_ms: u128,
    report: Option<Report>,
    stats: GatherStats,
    timings: Timings,
    store: Option<Store>,
}

/// The incident state: the DynamoDB table when DEDUPE_TABLE is set, else this container's memory.
fn incident_store(app: &App) -> Option<Store> {
    match (&app.config.dedupe.table, &app.clients.dynamodb) {
        (Some(table), Some(client)) => Some(Store::dynamodb(client.clone(), table.clone())),
        (Some(table), None) => {
            tracing::warn!(table = %table, "DEDUPE_TABLE is set but no DynamoDB client was given: flood control uses this container's memory");
            Some(Store::memory(app.clients.incidents.clone()))
        }
        (None, _) => Some(Store::memory(app.clients.incidents.clone())),
    }
}

/// How long one flood-control step may take: it must leave the publish its time.
fn store_bound(config: &Config, deadline: Option<SystemTime>) -> Duration {
    const MOST: Duration = Duration::from_secs(10);
    match deadline {
        None => MOST,
        Some(deadline) => deadline
            .duration_since(SystemTime::now())
            .unwrap_or_default()
            .saturating_sub(config.publish_reserve / 2)
            .clamp(Duration::from_millis(100), MOST),
    }
}

/// A flood-control step under its bound; a failure is logged and the caller fails open (an alert
/// published twice is better than one lost).
async fn bounded_store<T>(
    config: &Config,
    deadline: Option<SystemTime>,
    what: &'static str,
    step: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, String> {
    let bound = store_bound(config, deadline);
    let result = match tokio::time::timeout(bound, step).await {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(error)) => error.to_string(),
        Err(_) => format!(
            "the flood-control table did not answer within {} ms",
            bound.as_millis()
        ),
    };
    tracing::warn!(step = what, error = %result, "flood control unavailable: publishing anyway");
    Err(result)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn clock(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|at| at.format("%H:%M UTC").to_string())
        .unwrap_or_else(|| "an unknown time".into())
}

fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// The report of an occurrence that folds the repeats since the last alert.
fn follow_up(report: &mut Report, decision: &Decision, task_event: bool) {
    let Decision::FollowUp {
        more,
        total,
        opened_ms,
        last_alert_ms,
    } = *decision
    else {
        return;
    };
    let what = if task_event {
        plural(more, "more task stopped", "more tasks stopped")
    } else {
        plural(more, "more event", "more events")
    };
    report.title = format!("Still failing ({more} more): {}", report.title);
    report.summary = format!(
        "Still failing: {what} with the same cause since the last alert at {} ({} since {}).\n\n{}",
        clock(last_alert_ms),
        plural(total, "occurrence", "occurrences"),
        clock(opened_ms),
        report.summary
    );
}

/// The short "resolved" message for the incidents a recovery event closed.
fn resolved_report(mut report: Report, resolved: &[Resolved], detail: &Detail) -> Report {
    let subject = match (&report.resources.service, &report.resources.cluster) {
        (Some(service), Some(cluster)) => format!("Service {service} (cluster {cluster})"),
        (Some(service), None) => format!("Service {service}"),
        _ => "The service".to_string(),
    };
    let how = match detail {
        Detail::Deployment(_) => "completed a deployment",
        _ => "reached a steady state",
    };
    let incidents: Vec<String> = resolved
        .iter()
        .map(|incident| {
            format!(
                "'{}' ({}, {} since {})",
                incident.title,
                incident.category.map_or("unknown", |c| c.id()),
                plural(incident.occurrences, "occurrence", "occurrences"),
                clock(incident.opened_ms)
            )
        })
        .collect();
    let first = resolved
        .first()
        .map_or("", |incident| incident.title.as_str());
    report.category = Category::SteadyState;
    report.notify = true;
    report.title = match resolved.len() {
        1 => format!("Resolved: {first}"),
        n => format!("Resolved: {first} (+{} more)", n - 1),
    };
    report.summary = format!(
        "{subject} {how}: {} {} over. A new failure will alert again.",
        incidents.join("; "),
        if resolved.len() == 1 { "is" } else { "are" }
    );
    report
}

/// The steps, in order; an error carries the outcome so far for the summary line.
async fn process(
    app: &App,
    payload: Value,
    deadline: Option<SystemTime>,
    store: Option<&Store>,
    trace: &mut Trace,
) -> Result<Outcome, (Outcome, HandlerError)> {
    let config = &app.config;
    let phase = Instant::now();
    let mut outcome = Outcome {
        outcome: OutcomeKind::Published,
        event_id: None,
        category: None,
        severity: None,
        message_id: None,
        aws_calls: 0,
        incident: None,
        note: None,
    };
    let event = match parse_value(payload) {
        Ok(event) => event,
        Err(error) => {
            trace.timings.parse = ms_since(phase);
            tracing::warn!(error = %error, "event skipped: it is not an ECS event ecs-doctor reads");
            outcome.outcome = OutcomeKind::Skipped;
            outcome.note = Some(error.to_string());
            return Ok(outcome);
        }
    };
    trace.timings.parse = ms_since(phase);
    trace.event = Some(event.clone());
    outcome.event_id = event.id.clone();

    // Most task events are benign (scale-in, deployments, finished jobs): decide those from the
    // event alone, before any AWS call.
    let phase = Instant::now();
    let quick = diagnose(&Incident::from_event(event.clone()));
    trace.timings.diagnose = ms_since(phase);
    let flood_control = !config.dedupe.window.is_zero();

    // A service that recovered closes its open incidents: one short "resolved" message.
    let recovery = matches!(
        quick.category,
        Category::SteadyState | Category::DeploymentCompleted
    ) && quick.resources.service.is_some();
    if flood_control && recovery {
        if let Some(store) = store {
            let scope = scope_of(&quick);
            let me = event
                .id
                .clone()
                .unwrap_or_else(|| format!("recovery-{}", now_ms()));
            let phase = Instant::now();
            let resolved = bounded_store(
                config,
                deadline,
                "resolve",
                store.resolve(&scope, &me, now_ms()),
            )
            .await
            .unwrap_or_default();
            trace.timings.dedupe += ms_since(phase);
            if !resolved.is_empty() {
                let report = resolved_report(quick.clone(), &resolved, &event.detail);
                outcome.incident = Some("resolved".into());
                let published = publish(app, &report, &mut outcome, trace).await;
                if published.is_err() {
                    let _ = bounded_store(
                        config,
                        deadline,
                        "reopen",
                        store.reopen(&scope, &resolved, &me),
                    )
                    .await;
                }
                return published
                    .map(|()| outcome.clone())
                    .map_err(|e| (outcome, e));
            }
        }
    }
    if !quick.notify && !config.notify_benign {
        outcome.category = Some(quick.category.id().to_string());
        outcome.severity = Some(quick.severity.id().to_string());
        outcome.outcome = OutcomeKind::Benign;
        trace.report = Some(quick);
        return Ok(outcome);
    }

    // Idempotency: a second delivery of the same event publishes nothing.
    let claimed = match (store, &event.id) {
        (Some(store), Some(id)) => {
            let lease_until = deadline
                .and_then(|d| d.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map(|d| d.as_millis() as i64)
                .unwrap_or_else(|| {
                    now_ms()
                        + (config.gather_budget_cap + config.publish_reserve).as_millis() as i64
                });
            let phase = Instant::now();
            let claim = bounded_store(
                config,
                deadline,
                "claim",
                store.claim_event(id, now_ms(), lease_until),
            )
            .await;
            trace.timings.dedupe += ms_since(phase);
            match claim {
                Ok(Claim::Duplicate) => {
                    outcome.outcome = OutcomeKind::Duplicate;
                    outcome.note = Some("this event id was already handled".into());
                    return Ok(outcome);
                }
                Ok(Claim::Claimed) => Some(id.clone()),
                Err(note) => {
                    add_note(&mut outcome, note);
                    None
                }
            }
        }
        _ => None,
    };

    let report = if quick.notify {
        let phase = Instant::now();
        let budget = gather_budget(config, deadline);
        trace.budget_ms = budget.as_millis();
        // The member account's clients (the function's own for its own account); a role that
        // cannot be assumed is a gap, and the alert still goes out with what the event says.
        let (incident, gathered) = match app.clients.for_event(&event).await {
            Ok(clients) => gather_with_stats(&clients, event.clone(), budget, &config.gather).await,
            Err(gap) => {
                let mut incident = Incident::from_event(event.clone());
                incident.gaps.push(gap);
                (incident, GatherStats::default())
            }
        };
        trace.stats = gathered;
        trace.timings.gather = ms_since(phase);
        let phase = Instant::now();
        let report = diagnose(&incident);
        trace.timings.diagnose += ms_since(phase);
        report
    } else {
        quick
    };
    outcome.category = Some(report.category.id().to_string());
    outcome.severity = Some(report.severity.id().to_string());
    outcome.aws_calls = trace.stats.aws_calls;
    // NOTIFY_BENIGN publishes benign reports whatever MIN_SEVERITY says (they are all info).
    if !report.notify && !config.notify_benign {
        outcome.outcome = OutcomeKind::Benign;
    } else if report.notify && report.severity < config.min_severity {
        outcome.outcome = OutcomeKind::BelowMinSeverity;
    }
    let mut report = report;
    let finish = || async {
        if let (Some(store), Some(id)) = (store, &claimed) {
            let _ = bounded_store(config, deadline, "finish", store.finish_event(id)).await;
        }
    };
    if outcome.outcome != OutcomeKind::Published {
        finish().await;
        trace.report = Some(report);
        return Ok(outcome);
    }

    // Flood control: the first occurrence alerts, repeats are counted, one follow-up a window.
    let mut rollback = None;
    if let (true, true, Some(store)) = (flood_control, report.notify, store) {
        let key = IncidentKey::for_report(&report);
        let me = event
            .id
            .clone()
            .unwrap_or_else(|| format!("no-id-{}", now_ms()));
        let phase = Instant::now();
        let decided = bounded_store(
            config,
            deadline,
            "record",
            store.record_failure(&key, &report.title, &me, now_ms(), config.dedupe.window),
        )
        .await;
        trace.timings.dedupe += ms_since(phase);
        match decided {
            Ok((decision, undo)) => {
                rollback = undo;
                match &decision {
                    Decision::Open => outcome.incident = Some("opened".into()),
                    Decision::FollowUp { .. } => {
                        outcome.incident = Some("follow-up".into());
                        follow_up(&mut report, &decision, event.task().is_some());
                    }
                    Decision::Counted { total } => {
                        outcome.incident = Some("counted".into());
                        outcome.outcome = OutcomeKind::Counted;
                        outcome.note = Some(format!(
                            "folded into the open incident ({total} occurrences so far)"
                        ));
                        finish().await;
                        trace.report = Some(report);
                        return Ok(outcome);
                    }
                }
            }
            Err(note) => add_note(&mut outcome, note),
        }
    }

    let published = publish(app, &report, &mut outcome, trace).await;
    trace.report = Some(report);
    match published {
        Ok(()) => {
            finish().await;
            Ok(outcome)
        }
        Err(error) => {
            // Give the alert and the event back, so Lambda's retry publishes.
            if let Some(store) = store {
                let me = event.id.clone().unwrap_or_default();
                if let Some(rollback) = &rollback {
                    let _ =
                        bounded_store(config, deadline, "rollback", store.rollback(rollback, &me))
                            .await;
                }
                if let Some(id) = &claimed {
                    let _ =
                        bounded_store(config, deadline, "release", store.release_event(id)).await;
                }
            }
            Err((outcome, error))
        }
    }
}

/// Renders and publishes; records the message id and what was cut.
async fn publish(
    app: &App,
    report: &Report,
    outcome: &mut Outcome,
    trace: &mut Trace,
) -> Result<(), HandlerError> {
    let phase = Instant::now();
    let rendered = render(report);
    trace.timings.render = ms_since(phase);
    let phase = Instant::now();
    let published =
        notify::publish(&app.clients.sns, &app.config.topic_arn, report, rendered).await;
    trace.timings.publish = ms_since(phase);
    trace.stats.aws_calls += 1;
    outcome.aws_calls = trace.stats.aws_calls;
    outcome.outcome = OutcomeKind::Published;
    outcome.category = Some(report.category.id().to_string());
    outcome.severity = Some(report.severity.id().to_string());
    if trace.report.is_none() {
        trace.report = Some(report.clone());
    }
    let published = published?;
    outcome.message_id = published.message_id;
    if !published.cut.is_empty() {
        add_note(
            outcome,
            format!("cut to fit SNS: {}", published.cut.join("; ")),
        );
    }
    Ok(())
}

fn add_note(outcome: &mut Outcome, note: String) {
    outcome.note = Some(match outcome.note.take() {
        Some(before) => format!("{before}; {note}"),
        None => note,
    });
}

/// The one summary line per invocation.
fn summary(outcome: &Outcome, trace: &Trace, started: Instant) {
    let event = trace.event.as_ref();
    let report = trace.report.as_ref();
    let (stats, timings) = (&trace.stats, &trace.timings);
    tracing::info!(
        summary = true,
        outcome = outcome.outcome.id(),
        event_id = event.and_then(|e| e.id.as_deref()).unwrap_or(""),
        detail_type = event.map(|e| e.detail.detail_type()).unwrap_or(""),
        category = report.map(|r| r.category.id()).unwrap_or(""),
        severity = report.map(|r| r.severity.id()).unwrap_or(""),
        notify = report.is_some_and(|r| r.notify),
        incident = outcome.incident.as_deref().unwrap_or(""),
        gaps = report.map_or(0, |r| r.gaps.len()),
        aws_calls = outcome.aws_calls,
        store = trace.store.as_ref().map_or("", Store::kind),
        store_calls = trace.store.as_ref().map_or(0, Store::calls),
        cache_hits = stats.task_definition_cache_hits,
        timed_out = stats.timed_out,
        budget_ms = trace.budget_ms as u64,
        parse_ms = timings.parse,
        dedupe_ms = timings.dedupe,
        gather_ms = timings.gather,
        diagnose_ms = timings.diagnose,
        render_ms = timings.render,
        publish_ms = timings.publish,
        total_ms = ms_since(started),
        "ecs-doctor invocation"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_lookup(|name| {
            (name == "TOPIC_ARN").then(|| "arn:aws:sns:eu-west-1:1:t".to_string())
        })
        .unwrap()
    }

    #[test]
    fn the_budget_leaves_the_publish_reserve_before_the_deadline() {
        let config = config();
        let budget = gather_budget(&config, Some(SystemTime::now() + Duration::from_secs(5)));
        assert!(
            budget <= Duration::from_millis(3_500) && budget > Duration::from_secs(3),
            "{budget:?}"
        );
        let budget = gather_budget(
            &config,
            Some(SystemTime::now() + Duration::from_millis(1_000)),
        );
        assert_eq!(
            budget,
            Duration::ZERO,
            "less than the reserve left: publish at once"
        );
    }

    #[test]
    fn a_deadline_already_past_on_arrival_is_an_emulators_and_the_cap_applies() {
        let config = config();
        let budget = gather_budget(&config, Some(SystemTime::now() - Duration::from_millis(5)));
        assert_eq!(budget, config.gather_budget_cap);
        assert_eq!(gather_budget(&config, None), config.gather_budget_cap);
    }
}
