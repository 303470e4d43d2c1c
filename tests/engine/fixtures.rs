//! Every event in events/ is diagnosed as the failure mode it was written for, and its
//! three renderings are pinned by snapshots (tests/engine/snapshots/).

use std::path::{Path, PathBuf};

use ecs_doctor::incident::{Incident, LogTail};
use ecs_doctor::render::render;
use ecs_doctor::{diagnose, Category, Report};

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("events")
}

/// The category a fixture is written for: its file name, or the mode it is a variant of.
fn expected_category(name: &str) -> Category {
    let id = match name {
        "oom-at-init" | "oom-java-heap" => "oom",
        "app-crash-exit-2" | "app-crash-exit-255" => "app-crash",
        "bad-entrypoint-exit-127" => "bad-entrypoint-or-command",
        "permission-denied-exit-126" => "permission-denied-exec",
        "sigkill-without-reason" => "other",
        "placement-resources-fargate" => "placement-resources",
        "hook-failed"
        | "hook-timed-out"
        | "hook-unparseable"
        | "pause-hook-timed-out"
        | "hook-denied" => "deployment-hook-failed",
        "hook-succeeded" => "deployment-in-progress",
        "daemon-task-creation-failed" | "instance-daemon-impaired" => "daemon-task-failed",
        "daemon-deployment-successful" => "deployment-completed",
        "instance-agent-disconnected" => "agent-disconnected",
        "instance-health-ok" => "steady-state",
        "instance-gpu-impaired" => "infrastructure-health",
        // The two-minute warning: RUNNING, desiredStatus STOPPED, stopCode TerminationNotice.
        "spot-interruption-notice" => "spot-interruption",
        other => other,
    };
    Category::from_id(id).unwrap_or_else(|| panic!("events/{name}.json names no category"))
}

/// Diagnoses events/NAME.json, with events/NAME.log as the failed container's log tail.
fn diagnose_fixture(name: &str) -> Report {
    let bytes = std::fs::read(events_dir().join(format!("{name}.json"))).unwrap();
    let event = ecs_doctor::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut incident = Incident::from_event(event);
    if let Ok(text) = std::fs::read_to_string(events_dir().join(format!("{name}.log"))) {
        let task = incident
            .task()
            .cloned()
            .expect("log fixtures belong to task events");
        let container = ecs_doctor::diagnose::failed_container(&task, None)
            .unwrap()
            .name
            .clone();
        incident.logs.push(LogTail {
            container,
            log_group: Some(format!(
                "/ecs/{}",
                task.task_definition().unwrap().split(':').next().unwrap()
            )),
            log_stream: Some(format!(
                "ecs/{}/{}",
                task.containers[0].name,
                task.id().unwrap()
            )),
            region: Some("eu-west-1".into()),
            lines: text.lines().map(str::to_string).collect(),
        });
    }
    diagnose(&incident)
}

fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(events_dir())
        .unwrap()
        .filter_map(|entry| {
            let path = entry.unwrap().path();
            (path.extension()? == "json").then(|| path.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    names.sort();
    names
}

#[test]
fn every_fixture_is_diagnosed_as_the_mode_it_was_written_for() {
    let mut wrong = Vec::new();
    for name in fixture_names() {
        let report = diagnose_fixture(&name);
        if report.category != expected_category(&name) {
            wrong.push(format!(
                "{name}: got {} by rule {}",
                report.category, report.rule
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "misdiagnosed fixtures:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_category_has_a_fixture() {
    let covered: Vec<Category> = fixture_names()
        .iter()
        .map(|n| expected_category(n))
        .collect();
    for category in Category::ALL {
        assert!(
            covered.contains(category),
            "no fixture in events/ for {category}"
        );
    }
}

#[test]
fn benign_fixtures_do_not_notify_and_failures_do() {
    for name in fixture_names() {
        let report = diagnose_fixture(&name);
        assert_eq!(report.notify, report.category.notify(), "{name}");
    }
}

#[test]
fn oom_kill_quotes_the_reason_and_the_exit_code() {
    let report = diagnose_fixture("oom");
    let quoted: Vec<String> = report
        .evidence
        .iter()
        .map(|e| format!("{}: {}", e.source, e.text))
        .collect();
    assert!(
        quoted.contains(&"container api exitCode: 137".to_string()),
        "{quoted:#?}"
    );
    assert!(quoted
        .iter()
        .any(|q| q.contains("OutOfMemoryError: Container killed due to memory usage")));
    // The sidecar killed after the app is context, not the cause.
    assert_eq!(report.resources.container.as_deref(), Some("api"));
    assert!(quoted
        .iter()
        .any(|q| q.starts_with("container envoy (stopped after api)")));
}

#[test]
fn missing_database_url_is_found_in_the_log_and_quoted() {
    let report = diagnose_fixture("missing-env-or-config");
    assert_eq!(report.category, Category::MissingEnvOrConfig);
    assert!(
        report.summary.contains("KeyError: 'DATABASE_URL'"),
        "{}",
        report.summary
    );
}

#[test]
fn a_spot_interruption_notice_on_a_running_task_is_a_spot_interruption_not_a_running_task() {
    let report = diagnose_fixture("spot-interruption-notice");
    assert_eq!(
        report.category,
        Category::SpotInterruption,
        "{}",
        report.title
    );
    assert!(
        report
            .evidence
            .iter()
            .any(|e| e.text.contains("TerminationNotice")),
        "{:#?}",
        report.evidence
    );
    // Not every stop in progress: a running task the scheduler is stopping waits for STOPPED.
    let mut event: serde_json::Value = serde_json::from_slice(
        &std::fs::read(events_dir().join("spot-interruption-notice.json")).unwrap(),
    )
    .unwrap();
    event["detail"]["stopCode"] = "ServiceSchedulerInitiated".into();
    event["detail"]["stoppedReason"] = "Scaling activity initiated by deployment".into();
    let event = ecs_doctor::parse(&serde_json::to_vec(&event).unwrap()).unwrap();
    let report = diagnose(&Incident::from_event(event));
    assert_eq!(report.category.id(), "task-running");
}

#[test]
fn the_grace_period_step_is_about_one_and_a_half_times_the_start_up_the_log_states() {
    let bytes = std::fs::read(events_dir().join("elb-health-check.json")).unwrap();
    let mut incident = Incident::from_event(ecs_doctor::parse(&bytes).unwrap());
    incident.logs.push(LogTail {
        container: "api".into(),
        log_group: Some("/ecs/checkout".into()),
        log_stream: None,
        region: Some("eu-west-1".into()),
        lines: vec![
            "INFO 1 --- [main] c.a.CheckoutApplication : Started CheckoutApplication in 95.2 seconds (process running for 97.0)".into(),
            "GET /healthz 503 2ms (warming)".into(),
        ],
    });
    let report = diagnose(&incident);
    assert_eq!(report.category, Category::ElbHealthCheck);
    let step = report
        .next_steps
        .iter()
        .find(|step| step.title.starts_with("Give slow starters time"))
        .expect("the grace period step");
    assert!(
        step.title
            .ends_with("(about 1.5x the start-up time, which the log puts at 95 s)"),
        "{}",
        step.title
    );
    assert!(
        step.command
            .as_deref()
            .unwrap()
            .contains("--health-check-grace-period-seconds 150 "),
        "{:?}",
        step.command
    );
    // Without a stated start-up time, no number is made up.
    let report = diagnose_fixture("elb-health-check");
    let command = report
        .next_steps
        .iter()
        .find_map(|step| step.command.clone().filter(|c| c.contains("grace-period")))
        .unwrap();
    assert!(
        command.contains(
            "--health-check-grace-period-seconds <about 1.5x the start-up time, in seconds>"
        ),
        "{command}"
    );
}

#[test]
fn next_steps_are_filled_with_the_real_names() {
    let report = diagnose_fixture("oom");
    let commands: Vec<&str> = report
        .next_steps
        .iter()
        .filter_map(|s| s.command.as_deref())
        .collect();
    assert!(
        commands.iter().any(
            |c| c.contains("--task-definition checkout:42") && c.contains("--region eu-west-1")
        ),
        "{commands:#?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| c.contains("--task-definition checkout:41")),
        "a rollback to the previous revision: {commands:#?}"
    );
    for command in commands {
        assert!(
            !command.contains("{cluster}") && !command.contains("{service}"),
            "unfilled: {command}"
        );
    }
}

#[test]
fn titles_fit_an_sns_subject() {
    for name in fixture_names() {
        let report = diagnose_fixture(&name);
        assert!(
            report.title.chars().count() < 100,
            "{name}: {}",
            report.title
        );
        assert!(!report.title.chars().any(char::is_control), "{name}");
    }
}

#[test]
fn renderings_are_pinned_by_snapshots() {
    for name in fixture_names() {
        let rendered = render(&diagnose_fixture(&name));
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
