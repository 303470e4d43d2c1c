//! The incident stream: every message ecs-doctor sends is also put on an EventBridge bus
//! (EVENT_BUS_ARN), so rules route it to PagerDuty, incident.io or any webhook with no glue
//! code (templates/integrations.yaml). Source `ecs-doctor`; a detail-type per lifecycle step;
//! the detail is the machine JSON, plus the incident's id (the dedup key), state and count, and
//! the values the pagers' schemas want already mapped (an input transformer can only copy).

use serde_json::{json, Value};

use crate::report::{Report, Severity};

pub const SOURCE: &str = "ecs-doctor";

/// The detail-type of a message: `ECS Incident Opened`, `… Updated`, `… Follow-up`,
/// `… Resolved`, `… Storm`.
pub fn detail_type(message: &str) -> &'static str {
    match message {
        "updated" => "ECS Incident Updated",
        "follow-up" => "ECS Incident Follow-up",
        "resolved" => "ECS Incident Resolved",
        "storm" => "ECS Incident Storm",
        _ => "ECS Incident Opened",
    }
}

/// PagerDuty Events API v2 severities: critical, error, warning, info.
fn pagerduty_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "info",
    }
}

/// The event's detail: the machine JSON (`machine_json`, the report as SNS carried it) with
/// `incident` (id = dedup key, state, occurrences, the message kind) and `pager` (the values
/// PagerDuty and incident.io take, mapped here).
pub fn detail(report: &Report, machine_json: &str) -> Value {
    let mut detail: Value = serde_json::from_str(machine_json).unwrap_or_else(|_| json!({}));
    let message = report.incident.message.as_str();
    let resolved = message == "resolved";
    let dedup_key = if report.incident.id.is_empty() {
        report.event.id.clone().unwrap_or_default()
    } else {
        report.incident.id.clone()
    };
    let console = report
        .links
        .first()
        .map(|link| link.url.clone())
        .unwrap_or_default();
    let source = [
        report.resources.cluster.as_deref(),
        report.resources.service.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("/");
    if let Value::Object(map) = &mut detail {
        map.insert(
            "incident".into(),
            json!({
                "id": dedup_key,
                "state": if resolved { "resolved" } else { "open" },
                "message": message,
                "occurrences": report.incident.occurrences,
                "opened_at": report.incident.opened_at,
            }),
        );
        map.insert(
            "pager".into(),
            json!({
                "dedup_key": dedup_key,
                "event_action": if resolved { "resolve" } else { "trigger" },
                "severity": pagerduty_severity(report.severity),
                "status": if resolved { "resolved" } else { "firing" },
                "summary": crate::cut::truncate(&report.title, 1000),
                "source": if source.is_empty() { "ecs-doctor".to_string() } else { source },
                "console_url": console,
            }),
        );
    }
    detail
}

/// Why the stream could not take a message (the alert is out already: a gap, never a retry).
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("putting the event on {bus} failed: {reason} (grant the function's role PutEvents on the bus, or unset EVENT_BUS_ARN)")]
    Put { bus: String, reason: String },
    #[error("the bus {bus} refused the incident event: {code}: {message}")]
    Refused {
        bus: String,
        code: String,
        message: String,
    },
}

/// Puts one message on the bus.
pub async fn put(
    client: &aws_sdk_eventbridge::Client,
    bus: &str,
    report: &Report,
    machine_json: &str,
) -> Result<(), StreamError> {
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .event_bus_name(bus)
        .source(SOURCE)
        .detail_type(detail_type(&report.incident.message))
        .detail(detail(report, machine_json).to_string())
        .set_resources(report.resources.task_arn.clone().map(|arn| vec![arn]))
        .build();
    let output = client
        .put_events()
        .entries(entry)
        .send()
        .await
        .map_err(|error| StreamError::Put {
            bus: bus.to_string(),
            reason: aws_sdk_eventbridge::error::DisplayErrorContext(&error).to_string(),
        })?;
    if output.failed_entry_count() > 0 {
        let failed = output.entries().first();
        return Err(StreamError::Refused {
            bus: bus.to_string(),
            code: failed
                .and_then(|e| e.error_code())
                .unwrap_or("?")
                .to_string(),
            message: failed
                .and_then(|e| e.error_message())
                .unwrap_or("")
                .to_string(),
        });
    }
    Ok(())
}
