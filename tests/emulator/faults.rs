//! Faults on a canned AWS over loopback, through the real HTTP stack with ecs-doctor's retry and
//! timeout settings: every read (task definition, service, logs, siblings) failing with
//! AccessDenied, throttling, a 5xx, a refused connection and a hang still publishes the alert,
//! with a gap that names the IAM action or the cause; a failed publish fails the invocation; and
//! a hanging logs endpoint with 3 s left still publishes before the Lambda deadline.

use std::time::{Duration, Instant, SystemTime};

use crate::support::canned::{crashed_task, CannedAws, Fault};
use ecs_doctor::aws::AwsOptions;
use ecs_doctor::config::Config;
use ecs_doctor::handler::{handle_value, App, OutcomeKind};
use serde_json::Value;

/// Quick attempts so the hangs and the retries take seconds, not the Lambda's whole timeout.
fn quick_sdk() -> AwsOptions {
    AwsOptions {
        attempt_timeout: Duration::from_millis(800),
        operation_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_millis(500),
        ..AwsOptions::default()
    }
}

async fn app(aws: &CannedAws, options: AwsOptions) -> App {
    let config = Config::from_lookup(|name| {
        (name == "TOPIC_ARN").then(|| "arn:aws:sns:us-east-1:123456789012:ecs-doctor".to_string())
    })
    .unwrap();
    App::with_clients(config, aws.clients(options).await)
}

/// The report the canned SNS received.
fn published_report(aws: &CannedAws) -> Value {
    let published = aws.published();
    assert_eq!(published.len(), 1, "one message");
    crate::support::machine_report(&published[0].1)
}

/// Runs the crash with `operation` failing with `fault`; returns the gap about `action`.
async fn faulted(operation: &str, action: &str, fault: Fault) -> Value {
    let aws = CannedAws::start(&[(operation, fault)]);
    let app = app(&aws, quick_sdk()).await;
    let started = Instant::now();
    let outcome = handle_value(&app, crashed_task(), None)
        .await
        .unwrap_or_else(|error| panic!("{operation} {fault:?}: {error}"));
    assert_eq!(outcome.outcome, OutcomeKind::Published, "{outcome:?}");
    let report = published_report(&aws);
    let gap = report["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|gap| {
            gap["action"] == action || gap["reason"].as_str().unwrap().contains("timed out")
        })
        .cloned()
        .unwrap_or_else(|| panic!("{operation} {fault:?}: no gap in {}", report["gaps"]));
    eprintln!(
        "measured: {operation} {fault:?} → published in {:?}; gap: {} — {}",
        started.elapsed(),
        gap["reason"],
        gap["fix"]
    );
    gap
}

/// What the gap must say for each fault.
fn assert_names_the_cause(gap: &Value, action: &str, fault: Fault) {
    let reason = gap["reason"].as_str().unwrap();
    let fix = gap["fix"].as_str().unwrap();
    match fault {
        Fault::AccessDenied => {
            assert_eq!(gap["action"], action, "{gap}");
            assert!(reason.contains("AccessDeniedException"), "{gap}");
            assert_eq!(
                fix,
                format!("grant {action} to the ecs-doctor function's role")
            );
        }
        Fault::Throttled => {
            assert_eq!(gap["action"], action, "{gap}");
            assert!(reason.starts_with("throttled by AWS"), "{gap}");
        }
        Fault::ServerError => {
            assert_eq!(gap["action"], action, "{gap}");
            assert!(reason.starts_with("AWS returned HTTP 500"), "{gap}");
        }
        Fault::Refused => {
            assert_eq!(gap["action"], action, "{gap}");
            assert!(reason.starts_with("could not send the request"), "{gap}");
            assert!(reason.to_ascii_lowercase().contains("refused"), "{gap}");
        }
        Fault::Hang => {
            assert!(reason.contains("timed out"), "{gap}");
        }
    }
}

async fn every_fault(operation: &'static str, action: &'static str) {
    let cases: Vec<_> = Fault::ALL
        .into_iter()
        .map(|fault| tokio::spawn(async move { (fault, faulted(operation, action, fault).await) }))
        .collect();
    for case in cases {
        let (fault, gap) = case.await.unwrap();
        assert_names_the_cause(&gap, action, fault);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_definition_failing_every_way_still_publishes() {
    every_fault("DescribeTaskDefinition", "ecs:DescribeTaskDefinition").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_failing_every_way_still_publishes() {
    every_fault("DescribeServices", "ecs:DescribeServices").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logs_failing_every_way_still_publish() {
    every_fault("GetLogEvents", "logs:GetLogEvents").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_siblings_failing_every_way_still_publish() {
    every_fault("ListTasks", "ecs:ListTasks").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_publish_fails_the_invocation_and_names_the_cause() {
    let cases = [
        (Fault::AccessDenied, "grant sns:Publish"),
        (Fault::Throttled, "throttled"),
        (Fault::ServerError, "HTTP 500"),
        (Fault::Refused, "refused"),
        (Fault::Hang, "timed out"),
    ];
    for (fault, says) in cases {
        let aws = CannedAws::start(&[("Publish", fault)]);
        let app = app(&aws, quick_sdk()).await;
        let error = handle_value(&app, crashed_task(), None)
            .await
            .expect_err("the invocation must fail so Lambda retries it");
        let message = error.to_string();
        eprintln!("measured: Publish {fault:?} → Err: {message}");
        assert!(
            message
                .to_ascii_lowercase()
                .contains(&says.to_ascii_lowercase()),
            "{fault:?}: {message}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_failed_publish_publishes() {
    let aws = CannedAws::start(&[("Publish", Fault::ServerError)]);
    let app = app(&aws, quick_sdk()).await;
    handle_value(&app, crashed_task(), None)
        .await
        .expect_err("fails");
    // Same container (its memory holds the pending alert), same event, SNS back: the retry
    // publishes the alert its first attempt decided.
    let healthy = CannedAws::start(&[]);
    let sns = healthy.clients(quick_sdk()).await.sns().clone();
    let retry = App {
        clients: app.clients.clone().with_sns(sns),
        ..app
    };
    let outcome = handle_value(&retry, crashed_task(), None).await.unwrap();
    assert_eq!(outcome.outcome, OutcomeKind::Published, "{outcome:?}");
    assert_eq!(outcome.incident.as_deref(), Some("opened"));
    assert_eq!(healthy.published().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_logs_endpoint_with_3_seconds_left_publishes_before_the_deadline() {
    let aws = CannedAws::start(&[("GetLogEvents", Fault::Hang)]);
    // The Lambda's own settings: 3 s per attempt, 8 s per operation, 1.5 s publish reserve.
    let app = app(&aws, AwsOptions::default()).await;
    let started = Instant::now();
    let deadline = SystemTime::now() + Duration::from_secs(3);
    let outcome = handle_value(&app, crashed_task(), Some(deadline))
        .await
        .expect("published");
    let returned = started.elapsed();
    assert_eq!(outcome.outcome, OutcomeKind::Published, "{outcome:?}");
    let published = aws.published();
    assert_eq!(published.len(), 1);
    let published_at = published[0].0.duration_since(started);
    eprintln!(
        "measured: logs hanging, 3 s to the deadline → published after {published_at:?}, handler returned after {returned:?}"
    );
    assert!(
        returned < Duration::from_secs(3),
        "returned after {returned:?}"
    );
    let report = published_report(&aws);
    let gaps = report["gaps"].to_string();
    assert!(gaps.contains("timed out"), "{gaps}");
    assert!(gaps.contains("log lines"), "{gaps}");
    assert_eq!(
        report["category"], "app-crash",
        "no log line, so the exit code decides"
    );
}

#[tokio::test]
async fn the_sdk_retries_in_standard_mode_with_bounded_attempts_and_timeouts() {
    let sdk = ecs_doctor::aws::sdk_config(&AwsOptions {
        region: Some("us-east-1".into()),
        ..AwsOptions::default()
    })
    .await;
    let retry = sdk.retry_config().expect("a retry config");
    assert_eq!(retry.mode(), aws_config::retry::RetryMode::Standard);
    assert_eq!(retry.max_attempts(), 3);
    let timeouts = sdk.timeout_config().expect("timeouts");
    assert_eq!(timeouts.operation_timeout(), Some(Duration::from_secs(8)));
    assert_eq!(
        timeouts.operation_attempt_timeout(),
        Some(Duration::from_secs(3))
    );
    assert_eq!(timeouts.connect_timeout(), Some(Duration::from_secs(2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_flood_control_table_publishes_anyway() {
    // Every DynamoDB call fails: the invocation decides on this container's memory instead,
    // says so, and publishes.
    let aws = CannedAws::start(&[
        ("GetItem", Fault::AccessDenied),
        ("PutItem", Fault::ServerError),
    ]);
    let mut app = app(&aws, quick_sdk()).await;
    app.config.dedupe.table = Some("ecs-doctor-incidents".into());
    let outcome = handle_value(&app, crashed_task(), None)
        .await
        .expect("published");
    assert_eq!(outcome.outcome, OutcomeKind::Published, "{outcome:?}");
    let note = outcome.note.unwrap_or_default();
    assert!(
        note.contains("flood control used this container's memory")
            && note.contains("the flood-control table could not be used (GetItem)")
            && note.contains("grant dynamodb:GetItem"),
        "{note}"
    );
    assert_eq!(aws.published().len(), 1);
    // The same container still recognises the redelivery from its memory.
    let again = handle_value(&app, crashed_task(), None).await.unwrap();
    assert_eq!(again.outcome, OutcomeKind::Duplicate, "{again:?}");
    assert_eq!(aws.published().len(), 1);
}
