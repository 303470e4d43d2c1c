//! Malformed, truncated, wrong-typed and huge events give errors or reports, never a panic.

use ecs_doctor::incident::{Incident, LogTail};
use ecs_doctor::render::render;
use ecs_doctor::{diagnose, parse};
use serde_json::{json, Value};

use crate::support::events::task_state_change;

fn task_event(detail: Value) -> Value {
    task_state_change(detail)
        .id("bad-1")
        .at("2026-11-20T10:00:00Z")
        .from("111122223333", "eu-west-1")
        .build()
}

/// Parses and, when it parses, diagnoses and renders: whatever happens must not panic, and what
/// leaves must respect SNS's limits.
fn survive(bytes: &[u8]) {
    if let Ok(event) = parse(bytes) {
        let report = diagnose(&Incident::from_event(event));
        let rendered = render(&report);
        assert!(rendered.subject.chars().count() < 100);
        assert!(!rendered.subject.chars().any(char::is_control));
        assert!(
            rendered.json.len() < 256 * 1024,
            "json {} bytes",
            rendered.json.len()
        );
    }
}

#[test]
fn truncated_events_are_errors() {
    let full = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/events/oom.json")).unwrap();
    for cut in (0..full.len()).step_by(37) {
        assert!(parse(&full[..cut]).is_err(), "a cut at {cut} parsed");
    }
}

#[test]
fn wrong_typed_fields_are_errors_not_panics() {
    for detail in [
        json!({"containers": "api"}),
        json!({"containers": [{"name": 7}]}),
        json!({"containers": [{"name": "api", "exitCode": 1.5}]}),
        json!({"stoppedAt": "yesterday"}),
        json!([1, 2, 3]),
        json!(null),
    ] {
        let bytes = serde_json::to_vec(&task_event(detail)).unwrap();
        survive(&bytes);
    }
    for value in [json!(null), json!([]), json!("x"), json!({"source": 3})] {
        assert!(parse(&serde_json::to_vec(&value).unwrap()).is_err());
    }
}

#[test]
fn invalid_utf8_is_an_error() {
    assert!(parse(b"{\"source\": \"aws.ecs\xff\xfe\"}").is_err());
}

#[test]
fn a_one_megabyte_reason_is_cut_in_every_rendering() {
    let reason = format!("CannotPullContainerError: {}", "x".repeat(1 << 20));
    let event = task_event(
        json!({"lastStatus":"STOPPED","stopCode":"TaskFailedToStart","stoppedReason":reason,
                                  "clusterArn":"arn:aws:ecs:eu-west-1:111122223333:cluster/prod",
                                  "containers":[{"name":"api","reason":reason}]}),
    );
    survive(&serde_json::to_vec(&event).unwrap());
}

#[test]
fn five_hundred_containers_stay_within_limits() {
    let containers: Vec<Value> = (0..500)
        .map(|i| json!({"name": format!("c{i}"), "exitCode": 137, "reason": "x".repeat(300)}))
        .collect();
    let event = task_event(json!({"lastStatus":"STOPPED","containers":containers}));
    survive(&serde_json::to_vec(&event).unwrap());
}

#[test]
fn control_characters_never_reach_the_subject() {
    let event = task_event(
        json!({"lastStatus":"STOPPED","group":"service:api\r\nBcc: x@example.com\u{7}",
                                  "clusterArn":"arn:aws:ecs:eu-west-1:1:cluster/pr\nod",
                                  "containers":[{"name":"a\tpi\u{0}","exitCode":1}]}),
    );
    survive(&serde_json::to_vec(&event).unwrap());
}

#[test]
fn huge_and_hostile_log_lines_stay_within_limits() {
    let event = parse(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/events/app-crash.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut incident = Incident::from_event(event);
    let mut lines: Vec<String> = (0..10_000)
        .map(|i| format!("line {i} ValueError: {}", "y".repeat(i % 50)))
        .collect();
    lines.push(format!("RuntimeError: {}", "z".repeat(1 << 20)));
    incident.logs.push(LogTail {
        container: "api".into(),
        lines,
        ..LogTail::default()
    });
    let report = diagnose(&incident);
    let rendered = render(&report);
    assert!(
        rendered.json.len() < 256 * 1024,
        "json {} bytes",
        rendered.json.len()
    );
    assert!(rendered.text.len() < 256 * 1024);
}

#[test]
fn unknown_fields_and_detail_types_are_handled() {
    let mut event =
        task_event(json!({"lastStatus":"STOPPED","somethingNew":{"a":1},"containers":[]}));
    survive(&serde_json::to_vec(&event).unwrap());
    event["detail-type"] = json!("ECS Container Instance State Change");
    let error = parse(&serde_json::to_vec(&event).unwrap())
        .unwrap_err()
        .to_string();
    assert!(error.contains("ECS Container Instance State Change"));
}
