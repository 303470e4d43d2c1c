//! What a flood-control decision makes of a report: the first alert as diagnosed, an update or
//! a follow-up that says what changed and what was folded since, one "Resolved" for the
//! incidents a recovery closed, and one cluster-level alert for a storm. Pure.

use super::decide::{IncidentView, MessageKind};
use super::scope::{thread_id, Scope};
use super::storm::Storm;
use crate::report::{Category, IncidentRef, Report};

/// "14:02 UTC" for an event time in ms.
pub fn clock(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|at| at.format("%H:%M UTC").to_string())
        .unwrap_or_else(|| "an unknown time".into())
}

fn rfc3339(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(|at| at.to_rfc3339())
}

pub fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// The report's incident reference for `incident` of `scope`.
pub fn incident_ref(scope: &Scope, incident: &IncidentView, kind: MessageKind) -> IncidentRef {
    IncidentRef {
        id: format!("{}/{}", scope.key(), incident.id),
        thread: thread_id(scope, &incident.deployment),
        message: kind.id().to_string(),
        occurrences: incident.occurrences,
        opened_at: rfc3339(incident.opened_at),
        services: Vec::new(),
    }
}

/// The report as sent for `kind` about `incident`.
pub fn frame(
    mut report: Report,
    scope: &Scope,
    kind: MessageKind,
    incident: &IncidentView,
) -> Report {
    report.incident = incident_ref(scope, incident, kind);
    match kind {
        MessageKind::Opened | MessageKind::Resolved => report,
        MessageKind::Updated => updated(report, incident),
        MessageKind::FollowUp => follow_up(report, incident),
    }
}

fn flapping(incident: &IncidentView) -> String {
    match incident.flaps {
        0 => String::new(),
        flaps => format!(
            " It recovered and failed again {} (flapping).",
            plural(u64::from(flaps), "time", "times")
        ),
    }
}

fn others(incident: &IncidentView) -> String {
    if incident.others.is_empty() {
        return String::new();
    }
    let others: Vec<String> = incident
        .others
        .iter()
        .map(|(category, count)| format!("{category} {count}"))
        .collect();
    format!(" Also seen among them: {}.", others.join(", "))
}

/// "Update: …": the cause is now known better, or the deployment rolled back or failed.
fn updated(mut report: Report, incident: &IncidentView) -> Report {
    let since = clock(incident.last_message_at);
    let folded = incident.folded.saturating_sub(1);
    let repeats = if folded > 0 {
        format!(
            " {} since that alert.",
            plural(folded, "more occurrence", "more occurrences")
        )
    } else {
        String::new()
    };
    report.title = format!("Update: {}", report.title);
    report.summary = format!(
        "Update to the alert of {since} ({} so far).{repeats}{}\n\n{}",
        plural(incident.occurrences, "occurrence", "occurrences"),
        others(incident),
        report.summary
    );
    report
}

/// "Still failing (N more): …": folds the repeats since the last message.
fn follow_up(mut report: Report, incident: &IncidentView) -> Report {
    let task_event =
        report.resources.task_arn.is_some() && report.event.detail_type.contains("Task");
    let more = incident.folded;
    let what = if task_event {
        plural(more, "more task stopped", "more tasks stopped")
    } else {
        plural(more, "more event", "more events")
    };
    report.title = format!("Still failing ({more} more): {}", report.title);
    report.summary = format!(
        "Still failing: {what} with the same cause since the last message at {} ({} since {}).{}{}\n\n{}",
        clock(incident.last_message_at),
        plural(incident.occurrences, "occurrence", "occurrences"),
        clock(incident.opened_at),
        flapping(incident),
        others(incident),
        report.summary
    );
    report
}

/// The short "Resolved" message for the incidents a recovery closed.
pub fn resolved(mut report: Report, scope: &Scope, resolved: &[IncidentView]) -> Report {
    let subject = match (scope.service(), report.resources.cluster.as_deref()) {
        (Some(service), Some(cluster)) => format!("Service {service} (cluster {cluster})"),
        (Some(service), None) => format!("Service {service}"),
        _ => "The service".to_string(),
    };
    let how = if report.category == Category::DeploymentCompleted {
        "completed a deployment"
    } else {
        "reached a steady state"
    };
    let incidents: Vec<String> = resolved
        .iter()
        .map(|incident| {
            format!(
                "'{}' ({}, {} since {}){}",
                incident.cause.title,
                if incident.cause.category.is_empty() {
                    "unknown"
                } else {
                    incident.cause.category.as_str()
                },
                plural(incident.occurrences, "occurrence", "occurrences"),
                clock(incident.opened_at),
                match incident.flaps {
                    0 => String::new(),
                    flaps => format!(", flapping: it recovered {flaps} times before"),
                }
            )
        })
        .collect();
    let first = resolved
        .first()
        .map_or("", |incident| incident.cause.title.as_str());
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
    if let Some(first) = resolved.first() {
        report.incident = incident_ref(scope, first, MessageKind::Resolved);
    }
    report
}

/// One alert for a storm: the services of the cluster failing the same way, with the report of
/// the one that made it a storm as the example.
pub fn storm(mut report: Report, scope: &Scope, storm: &Storm) -> Report {
    let services = storm_services(storm);
    let cluster = &scope.cluster;
    report.title = format!(
        "{} services in {cluster} fail the same way: {}",
        services.len(),
        storm.category
    );
    report.summary = format!(
        "{} services of cluster {cluster} started failing with {} within minutes of each other \
         (since {}): {}. One shared cause is likely (a registry, NAT gateway, VPC endpoint or \
         secrets outage, or a shared dependency); this alert stands for all of them, and \
         services that join are folded into it. The diagnosis of {} follows.\n\n{}",
        services.len(),
        storm.category,
        clock(storm.started_at),
        services.join(", "),
        scope.label(),
        report.summary
    );
    report.incident = storm_ref(scope, storm, services, "storm");
    report
}

/// The storm has doubled since it was last said: one message on its thread names every service
/// now in it, with the report of the one that doubled it as the example.
pub fn storm_grew(mut report: Report, scope: &Scope, storm: &Storm) -> Report {
    let services = storm_services(storm);
    let cluster = &scope.cluster;
    report.title = format!(
        "Storm grows to {} services in {cluster}: {}",
        services.len(),
        storm.category
    );
    report.summary = format!(
        "The storm in cluster {cluster} has grown: {} services now fail with {} (since {}): {}. \
         This alert still stands for all of them, and services that join are folded into it. \
         The diagnosis of {} follows.\n\n{}",
        services.len(),
        storm.category,
        clock(storm.started_at),
        services.join(", "),
        scope.label(),
        report.summary
    );
    report.incident = storm_ref(scope, storm, services, "storm-update");
    report
}

/// The services of a storm by name (`service:api` → `api`).
fn storm_services(storm: &Storm) -> Vec<String> {
    storm
        .subjects
        .iter()
        .map(|subject| {
            subject
                .strip_prefix("service:")
                .or_else(|| subject.strip_prefix("family:"))
                .unwrap_or(subject)
                .to_string()
        })
        .collect()
}

/// The storm's incident: one id and one chat thread for every message about it.
fn storm_ref(scope: &Scope, storm: &Storm, services: Vec<String>, message: &str) -> IncidentRef {
    IncidentRef {
        id: format!("{}/{}", scope.cluster_key(), storm.id()),
        thread: format!(
            "ecs-doctor/{}/storm/{}",
            scope.cluster_key(),
            storm.category
        ),
        message: message.to_string(),
        occurrences: services.len() as u64,
        opened_at: rfc3339(storm.started_at),
        services,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            cluster: "prod".into(),
            subject: "service:s5".into(),
        }
    }

    fn report() -> Report {
        let event = crate::parse(include_bytes!("../../events/image-pull-network.json")).unwrap();
        crate::diagnose(&crate::Incident::from_event(event))
    }

    #[test]
    fn a_grown_storm_names_every_service_on_the_storms_thread() {
        let mut storm = Storm {
            category: "image-pull-network".into(),
            started_at: 0,
            last_at: 150_000,
            subjects: (0..3).map(|i| format!("service:s{i}")).collect(),
            announced_by: "e2".into(),
            announced: 3,
            updates: 0,
        };
        let started = super::storm(report(), &scope(), &storm);
        storm.subjects = (0..6).map(|i| format!("service:s{i}")).collect();
        let grown = storm_grew(report(), &scope(), &storm);
        assert_eq!(
            grown.title,
            "Storm grows to 6 services in prod: image-pull-network"
        );
        assert!(
            grown
                .summary
                .contains("6 services now fail with image-pull-network (since 00:00 UTC): s0, s1, s2, s3, s4, s5."),
            "{}",
            grown.summary
        );
        assert_eq!(
            grown.incident.services,
            ["s0", "s1", "s2", "s3", "s4", "s5"]
        );
        assert_eq!(grown.incident.message, "storm-update");
        assert_eq!(grown.incident.thread, started.incident.thread);
        assert_eq!(grown.incident.id, started.incident.id);
    }
}
