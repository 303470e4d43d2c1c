//! What the investigation verified, pinned: each fixture in events/investigated/ is an event of
//! events/ with what the gathering read and what the probes found, concluded as the handler
//! does, and its three renderings pinned by snapshots (tests/engine/snapshots/engine__investigated__*).
//! The probes themselves run against moto in tests/emulator/investigate_moto.rs.

use std::path::{Path, PathBuf};

use ecs_doctor::diagnose::conclude;
use ecs_doctor::facts::Investigation;
use ecs_doctor::incident::{Incident, Service, TaskDefinition};
use ecs_doctor::render::render;
use ecs_doctor::{diagnose, Report};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    /// The event, by its name in events/.
    event: String,
    /// The category the verified report must have.
    category: String,
    task_definition: Option<TaskDefinition>,
    service: Option<Service>,
    findings: Investigation,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("events")
}

fn names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir().join("investigated"))
        .unwrap()
        .filter_map(|entry| {
            entry
                .unwrap()
                .path()
                .file_stem()?
                .to_str()
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

fn concluded(name: &str) -> (Fixture, Report) {
    let text =
        std::fs::read_to_string(dir().join("investigated").join(format!("{name}.json"))).unwrap();
    let fixture: Fixture = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let bytes = std::fs::read(dir().join(format!("{}.json", fixture.event))).unwrap();
    let mut incident = Incident::from_event(ecs_doctor::parse(&bytes).unwrap());
    incident.task_definition = fixture.task_definition.clone();
    incident.service = fixture.service.clone();
    let report = conclude(diagnose(&incident), &incident, &fixture.findings);
    (fixture, report)
}

#[test]
fn each_investigated_fixture_concludes_with_verified_evidence_first() {
    for name in names() {
        let (fixture, report) = concluded(&name);
        assert_eq!(report.category.id(), fixture.category, "{name}");
        assert!(
            report.evidence[0].verified_by.is_some(),
            "{name}: {:?}",
            report.evidence[0]
        );
        assert!(
            report.summary.starts_with("Verified"),
            "{name}: {}",
            report.summary
        );
        assert!(
            report.title.chars().count() < 100,
            "{name}: {}",
            report.title
        );
    }
}

#[test]
fn what_changed_leads_with_the_change_that_fits_the_diagnosis() {
    let (_, report) = concluded("image-pull-not-found");
    let changed = report.what_changed.unwrap();
    assert_eq!(changed.changes[0].field, "image");
    assert_eq!(
        changed.registered_by.as_deref(),
        Some("arn:aws:sts::111122223333:assumed-role/github-deploy/ci-4821")
    );
    let (_, report) = concluded("deployment-alarm");
    let changed = report.what_changed.unwrap();
    assert_eq!(
        (changed.from.as_str(), changed.to.as_str()),
        ("checkout:42", "checkout:43")
    );
    assert_eq!(changed.changes[0].text, "image checkout 1.9.0 → 1.9.1");
}

#[test]
fn a_climbing_curve_is_called_a_leak_and_a_timeout_gets_a_grace_period() {
    let (_, report) = concluded("oom");
    assert!(
        report
            .title
            .starts_with("Out of memory: memory grows until the kill"),
        "{}",
        report.title
    );
    assert!(
        report.next_steps[0].title.starts_with("Find what grows"),
        "{:?}",
        report.next_steps[0]
    );
    let (_, report) = concluded("elb-health-check");
    assert!(
        report
            .title
            .starts_with("Health check times out on /healthz"),
        "{}",
        report.title
    );
    let grace = report
        .next_steps
        .iter()
        .find(|s| {
            s.title
                .starts_with("Give new tasks time to pass the checks: a grace period of 180 s")
        })
        .expect("a grace period");
    assert_eq!(
        grace.command.as_deref(),
        Some("aws ecs update-service --cluster prod --service checkout --health-check-grace-period-seconds 180 --region eu-west-1")
    );
}

#[test]
fn renderings_are_pinned_by_snapshots() {
    for name in names() {
        let (_, report) = concluded(&name);
        let rendered = render(&report);
        insta::assert_snapshot!(
            format!("{name}.text"),
            format!("Subject: {}\n\n{}", rendered.subject, rendered.text)
        );
        let chatbot: serde_json::Value = serde_json::from_str(&rendered.chatbot).unwrap();
        insta::assert_json_snapshot!(format!("{name}.chatbot"), chatbot);
        let json: serde_json::Value = serde_json::from_str(&rendered.json).unwrap();
        insta::assert_json_snapshot!(format!("{name}.json"), json);
    }
}
