//! The Lambda handler: parse → quick benign check → gather → diagnose → filter → render →
//! publish, with one JSON summary line per invocation.
//!
//! What fails the invocation (so Lambda retries it): only a failed publish. An event that cannot
//! be read is logged and answered with a `skipped` outcome: retrying the same bytes cannot help,
//! and the EventBridge rule should not send it in the first place.

use std::time::{Duration, Instant, SystemTime};

use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde_json::Value;

use crate::aws::Clients;
use crate::config::Config;
use crate::diagnose::diagnose;
use crate::event::{parse_value, EcsEvent};
use crate::gather::{gather_with_stats, GatherStats};
use crate::incident::Incident;
use crate::notify::{self, NotifyError};
use crate::render::render;
use crate::report::Report;

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
            clients: Clients::from_conf(&sdk_config),
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
}

impl OutcomeKind {
    pub const fn id(self) -> &'static str {
        match self {
            OutcomeKind::Published => "published",
            OutcomeKind::Skipped => "skipped",
            OutcomeKind::Benign => "benign",
            OutcomeKind::BelowMinSeverity => "below-min-severity",
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
    let left = deadline
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    left.saturating_sub(config.publish_reserve)
        .min(config.gather_budget_cap)
}

/// Handles one event; `deadline` is the Lambda's (None: only GATHER_BUDGET_MS bounds gathering).
pub async fn handle_value(
    app: &App,
    payload: Value,
    deadline: Option<SystemTime>,
) -> Result<Outcome, HandlerError> {
    let started = Instant::now();
    let mut timings = Timings::default();
    let event = match parse_value(payload) {
        Ok(event) => event,
        Err(error) => {
            timings.parse = ms_since(started);
            tracing::warn!(error = %error, "event skipped: it is not an ECS event ecs-doctor reads");
            let outcome = Outcome {
                outcome: OutcomeKind::Skipped,
                event_id: None,
                category: None,
                severity: None,
                message_id: None,
                aws_calls: 0,
                note: Some(error.to_string()),
            };
            summary(
                &outcome,
                None,
                None,
                &GatherStats::default(),
                &timings,
                started,
            );
            return Ok(outcome);
        }
    };
    timings.parse = ms_since(started);

    // Most task events are benign (scale-in, deployments, finished jobs): decide those from the
    // event alone, before any AWS call.
    let phase = Instant::now();
    let quick = diagnose(&Incident::from_event(event.clone()));
    timings.diagnose = ms_since(phase);
    let mut stats = GatherStats::default();
    let report = if quick.notify {
        let phase = Instant::now();
        let budget = gather_budget(&app.config, deadline);
        let (incident, gathered) =
            gather_with_stats(&app.clients, event.clone(), budget, &app.config.gather).await;
        stats = gathered;
        timings.gather = ms_since(phase);
        let phase = Instant::now();
        let report = diagnose(&incident);
        timings.diagnose += ms_since(phase);
        report
    } else {
        quick
    };

    let mut outcome = Outcome {
        outcome: OutcomeKind::Published,
        event_id: event.id.clone(),
        category: Some(report.category.id().to_string()),
        severity: Some(report.severity.id().to_string()),
        message_id: None,
        aws_calls: stats.aws_calls,
        note: None,
    };
    // NOTIFY_BENIGN publishes benign reports whatever MIN_SEVERITY says (they are all info).
    if !report.notify && !app.config.notify_benign {
        outcome.outcome = OutcomeKind::Benign;
    } else if report.notify && report.severity < app.config.min_severity {
        outcome.outcome = OutcomeKind::BelowMinSeverity;
    }
    if outcome.outcome != OutcomeKind::Published {
        summary(
            &outcome,
            Some(&event),
            Some(&report),
            &stats,
            &timings,
            started,
        );
        return Ok(outcome);
    }

    let phase = Instant::now();
    let rendered = render(&report);
    timings.render = ms_since(phase);
    let phase = Instant::now();
    let published =
        notify::publish(&app.clients.sns, &app.config.topic_arn, &report, rendered).await;
    timings.publish = ms_since(phase);
    stats.aws_calls += 1;
    outcome.aws_calls = stats.aws_calls;
    match published {
        Ok(published) => {
            outcome.message_id = published.message_id;
            if !published.cut.is_empty() {
                outcome.note = Some(format!("cut to fit SNS: {}", published.cut.join("; ")));
            }
            summary(
                &outcome,
                Some(&event),
                Some(&report),
                &stats,
                &timings,
                started,
            );
            Ok(outcome)
        }
        Err(error) => {
            tracing::error!(error = %error, "the report was not published; the invocation fails so Lambda retries it");
            summary(
                &outcome,
                Some(&event),
                Some(&report),
                &stats,
                &timings,
                started,
            );
            Err(error.into())
        }
    }
}

/// The one summary line per invocation.
fn summary(
    outcome: &Outcome,
    event: Option<&EcsEvent>,
    report: Option<&Report>,
    stats: &GatherStats,
    timings: &Timings,
    started: Instant,
) {
    tracing::info!(
        summary = true,
        outcome = outcome.outcome.id(),
        event_id = event.and_then(|e| e.id.as_deref()).unwrap_or(""),
        detail_type = event.map(|e| e.detail.detail_type()).unwrap_or(""),
        category = report.map(|r| r.category.id()).unwrap_or(""),
        severity = report.map(|r| r.severity.id()).unwrap_or(""),
        notify = report.is_some_and(|r| r.notify),
        gaps = report.map_or(0, |r| r.gaps.len()),
        aws_calls = stats.aws_calls,
        cache_hits = stats.task_definition_cache_hits,
        timed_out = stats.timed_out,
        parse_ms = timings.parse,
        gather_ms = timings.gather,
        diagnose_ms = timings.diagnose,
        render_ms = timings.render,
        publish_ms = timings.publish,
        total_ms = ms_since(started),
        "ecs-doctor invocation"
    );
}
