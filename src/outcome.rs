//! What an invocation answers and reports about itself: the outcome (the Lambda's response
//! payload), the error that fails it, and how long each step took (the summary line and the
//! metric line read them).

use std::time::Instant;

use serde::Serialize;

use crate::aws::GatherStats;
use crate::event::{EcsEvent, EventError};
use crate::metrics::{Figures, Invocation};
use crate::notify::NotifyError;
use crate::report::{Category, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeKind {
    /// A message was published.
    Published,
    /// A benign stop or progress (NOTIFY_BENIGN is off): no AWS call was made.
    Benign,
    /// A failure below MIN_SEVERITY.
    BelowMinSeverity,
    /// This event id was already handled (EventBridge and Lambda deliver at least once).
    Duplicate,
    /// Folded into an open incident: counted, nothing sent.
    Counted,
}

impl OutcomeKind {
    pub const fn id(self) -> &'static str {
        match self {
            OutcomeKind::Published => "published",
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
    /// AWS operations called for this event (flood control and publishing included).
    pub aws_calls: usize,
    /// Flood control's decision: opened, updated, follow-up, resolved, storm, counted, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// The incident's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
    /// Why it was counted, or what was cut to fit SNS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Outcome {
    pub(crate) fn new(kind: OutcomeKind) -> Outcome {
        Outcome {
            outcome: kind,
            event_id: None,
            category: None,
            severity: None,
            message_id: None,
            aws_calls: 0,
            incident: None,
            incident_id: None,
            note: None,
        }
    }

    pub(crate) fn add_note(&mut self, note: impl Into<String>) {
        let note = note.into();
        self.note = Some(match self.note.take() {
            Some(before) => format!("{before}; {note}"),
            None => note,
        });
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Publish(#[from] NotifyError),
    /// Retrying cannot help, but failing keeps the event: after Lambda's retries the on-failure
    /// destination holds it, where the failure-queue alarm shows it to an operator.
    #[error("the event could not be read ({0}); it is kept in the failure queue, and the function's log has it, scrubbed")]
    Unreadable(#[from] EventError),
}

/// The steps an invocation times, as the summary line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Parse,
    Dedupe,
    Gather,
    Diagnose,
    /// The late probes and the conclusions (the early probes run within `Gather`).
    Investigate,
    Render,
    Publish,
}

/// Milliseconds per step, for the summary and metric lines: a step's time is the sum of its
/// timed parts.
#[derive(Debug, Default, Clone, Copy)]
pub struct Timings([f64; 7]);

impl Timings {
    /// Adds what `timer` has measured since it started to `step`.
    pub fn record(&mut self, step: Step, timer: Timer) {
        self.add(step, timer.ms());
    }

    pub fn add(&mut self, step: Step, ms: f64) {
        self.0[step as usize] += ms;
    }

    pub fn ms(&self, step: Step) -> f64 {
        self.0[step as usize]
    }
}

/// When a timed part started.
#[derive(Debug, Clone, Copy)]
pub struct Timer(Instant);

impl Timer {
    pub fn start() -> Timer {
        Timer(Instant::now())
    }

    /// Milliseconds since the start, to a tenth.
    pub fn ms(&self) -> f64 {
        (self.0.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0
    }
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(error: HandlerError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: match &error {
                HandlerError::Publish(NotifyError::Publish { .. }) => "EcsDoctor.PublishFailed",
                HandlerError::Publish(NotifyError::TooLarge { .. }) => "EcsDoctor.ReportTooLarge",
                HandlerError::Unreadable(_) => "EcsDoctor.UnreadableEvent",
            }
            .into(),
            error_message: error.to_string(),
        }
    }
}

/// What the summary line and the metric line say about one invocation.
pub struct Summary<'a> {
    pub event: Option<&'a EcsEvent>,
    pub report: Option<&'a Report>,
    pub stats: &'a GatherStats,
    pub outcome: &'a Outcome,
    /// Where flood control kept its state, and the calls it made there.
    pub store_kind: &'static str,
    pub store_calls: usize,
    pub budget_ms: u64,
    /// The probes that ran, by id.
    pub probes: &'a [String],
    pub timings: &'a Timings,
    pub invocation: &'a Invocation,
    pub history_failed: bool,
    pub stream_failed: bool,
    pub total_ms: f64,
}

impl Summary<'_> {
    /// Logs the summary line, and prints the metric line when METRICS_NAMESPACE is set.
    pub fn log(
        &self,
        result: &Result<(), HandlerError>,
        metrics_namespace: Option<&str>,
        now_ms: i64,
    ) {
        let (event, report, stats, timings) = (self.event, self.report, self.stats, self.timings);
        let outcome = match result {
            Ok(_) => self.outcome.outcome.id(),
            Err(HandlerError::Unreadable(_)) => "unreadable",
            Err(HandlerError::Publish(_)) => "publish-failed",
        };
        let invocation = self.invocation;
        // The invocation's keys (function_request_id, cold_start …) come from its span.
        if let Err(error) = result {
            tracing::error!(error = %error,
                "the invocation fails so Lambda retries it and the failure queue keeps it");
        }
        let total_ms = self.total_ms;
        tracing::info!(
            summary = true,
            outcome,
            event_id = event.and_then(|e| e.id.as_deref()).unwrap_or(""),
            detail_type = event.map(|e| e.detail.detail_type()).unwrap_or(""),
            category = report.map(|r| r.category.id()).unwrap_or(""),
            severity = report.map(|r| r.severity.id()).unwrap_or(""),
            notify = report.is_some_and(|r| r.notify),
            cluster = report
                .and_then(|r| r.resources.cluster.as_deref())
                .unwrap_or(""),
            // `service` is Powertools' (the function's, from the span): the ECS service is
            // `ecs_service`.
            ecs_service = report
                .and_then(|r| r.resources.service.as_deref())
                .unwrap_or(""),
            incident = self.outcome.incident.as_deref().unwrap_or(""),
            incident_id = self.outcome.incident_id.as_deref().unwrap_or(""),
            gaps = report.map_or(0, |r| r.gaps.len()),
            aws_calls = self.outcome.aws_calls,
            store = self.store_kind,
            store_calls = self.store_calls,
            cache_hits = stats.task_definition_cache_hits,
            timed_out = stats.timed_out,
            budget_ms = self.budget_ms,
            parse_ms = timings.ms(Step::Parse),
            dedupe_ms = timings.ms(Step::Dedupe),
            gather_ms = timings.ms(Step::Gather),
            diagnose_ms = timings.ms(Step::Diagnose),
            investigate_ms = timings.ms(Step::Investigate),
            probes = self.probes.join(","),
            verified = report.map_or(0, verified_facts),
            render_ms = timings.ms(Step::Render),
            publish_ms = timings.ms(Step::Publish),
            total_ms,
            note = self.outcome.note.as_deref().unwrap_or(""),
            unrecognized = report.is_some_and(|r| r.category == Category::Other),
            raw_reason = report
                .and_then(unrecognized_reason)
                .as_deref()
                .unwrap_or(""),
            "ecs-doctor invocation"
        );
        if let Some(namespace) = metrics_namespace {
            let line = crate::metrics::emf_line(
                namespace,
                invocation,
                &self.figures(outcome, total_ms),
                now_ms,
            );
            // EMF must be a line of its own on stdout, which Lambda sends to CloudWatch Logs.
            println!("{line}");
        }
    }

    /// The invocation's figures for its metric line.
    fn figures(&self, outcome: &str, total_ms: f64) -> Figures {
        let report = self.report;
        let timings = self.timings;
        let mut gaps: Vec<(&'static str, usize)> = Vec::new();
        for gap in report.map_or(&[][..], |r| r.gaps.as_slice()) {
            match gaps.iter_mut().find(|(kind, _)| *kind == gap.kind.id()) {
                Some((_, count)) => *count += 1,
                None => gaps.push((gap.kind.id(), 1)),
            }
        }
        let published = outcome == "published";
        Figures {
            outcome: outcome.to_string(),
            message: report
                .map(|r| r.incident.message.clone())
                .filter(|message| published && !message.is_empty()),
            category: report.map(|r| r.category.id().to_string()),
            severity: report.map(|r| r.severity.id().to_string()),
            cluster: report.and_then(|r| r.resources.cluster.clone()),
            service: report.and_then(|r| r.resources.service.clone()),
            gaps,
            aws_calls: self.outcome.aws_calls,
            verified: report.map_or(0, verified_facts),
            history_failed: self.history_failed,
            stream_failed: self.stream_failed,
            durations: vec![
                ("DurationTotal", total_ms),
                ("DurationParse", timings.ms(Step::Parse)),
                ("DurationDedupe", timings.ms(Step::Dedupe)),
                ("DurationGather", timings.ms(Step::Gather)),
                ("DurationInvestigate", timings.ms(Step::Investigate)),
                ("DurationDiagnose", timings.ms(Step::Diagnose)),
                ("DurationRender", timings.ms(Step::Render)),
                ("DurationPublish", timings.ms(Step::Publish)),
            ],
        }
    }
}

fn verified_facts(report: &Report) -> usize {
    report
        .evidence
        .iter()
        .filter(|e| e.verified_by.is_some())
        .count()
}

/// For a report the catalog could not explain (`other`: nothing known, or a known phase with an
/// unknown cause): what ECS said, scrubbed, for the Logs Insights query that lists them.
fn unrecognized_reason(report: &Report) -> Option<String> {
    if report.category != Category::Other {
        return None;
    }
    // "task stoppedReason" and "container api reason": the case differs.
    let said = report.evidence.iter().find(|item| {
        item.source.to_ascii_lowercase().ends_with("reason")
            || item.source.starts_with("service")
            || item.source.starts_with("deployment")
    })?;
    Some(crate::redact::scrub_and_cut(&said.text, 500))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::Incident;

    #[test]
    fn a_tasks_stopped_reason_reaches_raw_reason_when_no_container_gives_one() {
        let event = crate::parse(include_bytes!("../events/other.json")).unwrap();
        let report = crate::diagnose(&Incident::from_event(event));
        assert_eq!(report.category, Category::Other);
        assert_eq!(
            unrecognized_reason(&report).as_deref(),
            Some(
                "UnexpectedPlatformError: the platform could not complete the request (code 7731)"
            )
        );
    }
}
