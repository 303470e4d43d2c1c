//! The live pipeline against moto: a crashed task's event goes in, SNS delivers the diagnosis to
//! SQS with the quoted log line, the subject and the attributes.

use crate::support::flood::{crash_of, task_id};
use crate::support::seed::{self, crash_event, scale_in_event};
use crate::support::Moto;
use ecs_doctor::config::Config;
use ecs_doctor::handler::{handle_value, App, OutcomeKind};
use serde_json::Value;

async fn app(moto: &Moto, topic_arn: &str) -> App {
    let config =
        Config::from_lookup(|name| (name == "TOPIC_ARN").then(|| topic_arn.to_string())).unwrap();
    App::with_clients(config, moto.clients().await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_on_a_missing_database_url_reaches_sqs_with_the_quoted_line() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let seeded = seed::seed(&sdk).await;
    let app = app(&moto, &seeded.topic_arn).await;

    let outcome = handle_value(&app, crash_event(&seeded.task_definition_arn), None)
        .await
        .expect("published");
    assert_eq!(outcome.outcome, OutcomeKind::Published, "{outcome:?}");
    assert_eq!(
        outcome.category.as_deref(),
        Some("missing-env-or-config"),
        "{outcome:?}"
    );
    // DescribeTaskDefinition, GetLogEvents, DescribeServices, ListTasks, (DescribeTasks),
    // ListTagsForResource (routing), Publish.
    assert!((6..=7).contains(&outcome.aws_calls), "{outcome:?}");

    // Envelope delivery: the SNS wrapper, the `sqs` body inside, subject and attributes.
    let messages = seed::receive(&sdk, &seeded.queue_url).await;
    assert_eq!(messages.len(), 1, "one message per incident");
    let envelope: Value = serde_json::from_str(messages[0].body().unwrap()).unwrap();
    let report: Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
    assert_eq!(report["category"], "missing-env-or-config");
    let severity = report["severity"].as_str().unwrap().to_string();
    assert!(
        ["high", "critical"].contains(&severity.as_str()),
        "{severity}"
    );
    assert_eq!(report["resources"]["cluster"], "prod");
    assert_eq!(report["resources"]["service"], "api");
    let excerpt = report["log_excerpt"].as_array().expect("a log excerpt");
    assert!(
        excerpt
            .iter()
            .any(|line| line == "KeyError: 'DATABASE_URL'"),
        "{excerpt:?}"
    );
    let evidence = report["evidence"].to_string();
    assert!(evidence.contains("DATABASE_URL"), "{evidence}");
    let subject = envelope["Subject"].as_str().expect("a subject");
    assert!(
        !subject.is_empty() && subject.chars().count() < 100,
        "{subject}"
    );
    assert_eq!(
        envelope["MessageAttributes"]["category"]["Value"], "missing-env-or-config",
        "{envelope}"
    );
    assert_eq!(
        envelope["MessageAttributes"]["severity"]["Value"],
        severity.as_str()
    );
    assert_eq!(envelope["MessageAttributes"]["cluster"]["Value"], "prod");
    assert_eq!(envelope["MessageAttributes"]["service"]["Value"], "api");

    // Raw delivery: the machine JSON is the body; moto passes the attributes as SQS attributes.
    let raw = seed::receive(&sdk, &seeded.raw_queue_url).await;
    assert_eq!(raw.len(), 1);
    let raw_report: Value = serde_json::from_str(raw[0].body().unwrap()).unwrap();
    assert_eq!(raw_report, report);
    let attributes = raw[0].message_attributes().expect("message attributes");
    assert_eq!(
        attributes["severity"].string_value(),
        Some(severity.as_str())
    );

    // Attribute-scope filter policies: moto applies them even with MessageStructure=json
    // (AWS documents that attributes are not sent with JSON structure: see notify.rs).
    assert_eq!(
        seed::receive(&sdk, &seeded.high_queue_url).await.len(),
        1,
        "severity high or critical matches"
    );
    assert!(
        seed::receive(&sdk, &seeded.low_queue_url).await.is_empty(),
        "severity low does not"
    );
    // Body-scope policies: moto matches them against the JSON envelope (keys default, sqs, …),
    // not against the protocol's body, so a policy on the report's keys never matches in moto.
    assert!(
        seed::receive(&sdk, &seeded.body_filter_queue_url)
            .await
            .is_empty(),
        "moto's body-scope behaviour changed: update notify.rs and the README"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scale_in_stop_publishes_nothing_and_calls_nothing() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let seeded = seed::seed(&sdk).await;
    let app = app(&moto, &seeded.topic_arn).await;

    let outcome = handle_value(&app, scale_in_event(&seeded.task_definition_arn), None)
        .await
        .unwrap();
    assert_eq!(outcome.outcome, OutcomeKind::Benign, "{outcome:?}");
    assert_eq!(outcome.aws_calls, 0);
    assert!(seed::receive(&sdk, &seeded.queue_url).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_definition_is_read_once_per_revision() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let seeded = seed::seed(&sdk).await;
    let mut app = app(&moto, &seeded.topic_arn).await;
    // Flood control off and another event id: both events are gathered and published.
    app.config.dedupe.window = std::time::Duration::ZERO;

    let first = handle_value(&app, crash_event(&seeded.task_definition_arn), None)
        .await
        .unwrap();
    let mut again = crash_event(&seeded.task_definition_arn);
    again["id"] = "3317b2af-7005-47d2-9d4c-a0f2a8ee1a1c".into();
    let second = handle_value(&app, again, None).await.unwrap();
    assert_eq!(
        second.aws_calls,
        first.aws_calls - 3,
        "the second event reads the task definition, the service's tags and the listing of its \
         stopped tasks (LISTING_TTL: a burst lists once) from the cache"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_lists_the_stopped_tasks_once_and_counts_each_events_own_task() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let seeded = seed::seed(&sdk).await;
    let mut app = app(&moto, &seeded.topic_arn).await;
    app.config.dedupe.window = std::time::Duration::ZERO;
    let definition = &seeded.task_definition_arn;

    let first = handle_value(&app, crash_of(definition, "burst-1", &task_id(1)), None)
        .await
        .unwrap();
    // Seconds later, another task of the service: moto has never heard of either (they are
    // only in the events), so only the kept listing, with each event's task added, counts them.
    let second = handle_value(&app, crash_of(definition, "burst-2", &task_id(2)), None)
        .await
        .unwrap();
    assert!(first.aws_calls > 3, "{first:?}");
    assert_eq!(
        second.aws_calls, 3,
        "DescribeServices, GetLogEvents and Publish: no ListTasks the second time"
    );
    let reports = seed::drain(&sdk, &seeded.queue_url).await;
    let tasks = |id: &str| {
        let report = reports
            .iter()
            .find(|report| report["event"]["id"] == id)
            .unwrap_or_else(|| panic!("the report of {id}"));
        report["occurrences"]["tasks"]
            .as_u64()
            .expect("occurrences")
    };
    assert_eq!(
        tasks("burst-2"),
        tasks("burst-1") + 1,
        "the first event's task is the second's sibling"
    );
}
