//! Flood control against moto's DynamoDB: a crash loop alerts once, not fifty times, whatever
//! the concurrency; a redelivered event publishes once; a new revision is a new incident; the
//! service's recovery is one short "resolved" message.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::events::{deployment_state_change, service_arn};
use crate::support::flood::{self, crash_of, task_id};
use crate::support::seed::SERVICE;
use crate::support::seed::{self, Seeded};
use crate::support::Moto;
use aws_config::SdkConfig;
use ecs_doctor::config::Config;
use ecs_doctor::handler::{handle_value, App, OutcomeKind};
use serde_json::Value;

const TABLE: &str = "ecs-doctor-incidents";

/// One Lambda execution environment: its own clients and caches, the shared table.
async fn container(moto: &Moto, topic_arn: &str) -> App {
    let topic_arn = topic_arn.to_string();
    let config = Config::from_lookup(|name| match name {
        "TOPIC_ARN" => Some(topic_arn.clone()),
        "DEDUPE_TABLE" => Some(TABLE.to_string()),
        _ => None,
    })
    .unwrap();
    App::with_clients(config, moto.clients().await)
}

async fn crash_loop() -> (Moto, SdkConfig, Seeded) {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let seeded = seed::seed(&sdk).await;
    flood::create_incident_table(&sdk, TABLE).await;
    (moto, sdk, seeded)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_crashes_through_eight_concurrent_invocations_alert_at_most_three_times() {
    let (moto, sdk, seeded) = crash_loop().await;
    for i in 0..50 {
        flood::crash_stream(&sdk, &task_id(i)).await;
    }
    let events: Vec<Value> = (0..50)
        .map(|i| {
            crash_of(
                &seeded.task_definition_arn,
                &format!("crash-{i}"),
                &task_id(i),
            )
        })
        .collect();

    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..8 {
        let app = Arc::new(container(&moto, &seeded.topic_arn).await);
        let mine: Vec<Value> = events.iter().skip(worker).step_by(8).cloned().collect();
        workers.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for event in mine {
                outcomes.push(handle_value(&app, event, None).await.expect("handled"));
            }
            outcomes
        }));
    }
    let mut outcomes = Vec::new();
    for worker in workers {
        outcomes.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed();
    let published = outcomes
        .iter()
        .filter(|o| o.outcome == OutcomeKind::Published)
        .count();
    let counted = outcomes
        .iter()
        .filter(|o| o.outcome == OutcomeKind::Counted)
        .count();
    assert_eq!(outcomes.len(), 50);
    assert_eq!(published + counted, 50, "{outcomes:#?}");

    let reports = seed::drain(&sdk, &seeded.queue_url).await;
    eprintln!(
        "measured: 50 crash events, 8 concurrent invocations → {} messages on the queue ({published} published, {counted} counted) in {elapsed:?}",
        reports.len()
    );
    assert!(
        (1..=3).contains(&reports.len()),
        "{} messages: {reports:#?}",
        reports.len()
    );
    let first = &reports[0];
    assert_eq!(first["category"], "missing-env-or-config", "{first}");
    assert!(first.to_string().contains("DATABASE_URL"), "{first}");

    // A redelivery of an event already handled publishes nothing.
    let app = container(&moto, &seeded.topic_arn).await;
    let again = handle_value(&app, events[0].clone(), None).await.unwrap();
    assert_eq!(again.outcome, OutcomeKind::Duplicate, "{again:?}");
    assert!(seed::drain(&sdk, &seeded.queue_url).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_delivered_twice_at_once_publishes_once() {
    let (moto, sdk, seeded) = crash_loop().await;
    let event = crash_of(&seeded.task_definition_arn, "twice", seed::TASK_ID);
    let (a, b) = (
        container(&moto, &seeded.topic_arn).await,
        container(&moto, &seeded.topic_arn).await,
    );
    let (first, second) = tokio::join!(
        handle_value(&a, event.clone(), None),
        handle_value(&b, event.clone(), None)
    );
    let mut kinds = vec![first.unwrap().outcome, second.unwrap().outcome];
    kinds.sort_by_key(|kind| kind.id());
    assert_eq!(kinds, [OutcomeKind::Duplicate, OutcomeKind::Published]);
    let third = handle_value(&a, event, None).await.unwrap();
    assert_eq!(third.outcome, OutcomeKind::Duplicate);
    assert_eq!(seed::drain(&sdk, &seeded.queue_url).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_revision_alerts_again_and_recovery_sends_one_resolved_message() {
    let (moto, sdk, seeded) = crash_loop().await;
    let app = container(&moto, &seeded.topic_arn).await;
    let revision_1 = seeded.task_definition_arn.clone();
    let revision_2 = flood::next_revision(&sdk, &revision_1).await;
    for i in 1..=3 {
        flood::crash_stream(&sdk, &task_id(i)).await;
    }

    let first = handle_value(&app, crash_of(&revision_1, "r1-a", seed::TASK_ID), None)
        .await
        .unwrap();
    assert_eq!(first.incident.as_deref(), Some("opened"), "{first:?}");
    let repeat = handle_value(&app, crash_of(&revision_1, "r1-b", &task_id(1)), None)
        .await
        .unwrap();
    assert_eq!(repeat.outcome, OutcomeKind::Counted, "{repeat:?}");
    let new_revision = handle_value(&app, crash_of(&revision_2, "r2-a", &task_id(2)), None)
        .await
        .unwrap();
    assert_eq!(
        new_revision.incident.as_deref(),
        Some("opened"),
        "a new revision is a new incident: {new_revision:?}"
    );
    let reports = seed::drain(&sdk, &seeded.queue_url).await;
    assert_eq!(reports.len(), 2, "{reports:#?}");
    assert!(reports
        .iter()
        .any(|r| r["resources"]["task_definition"] == "api:2"));

    // Recovery: one message for both incidents, and only once.
    let steady = handle_value(&app, flood::steady_state("steady-1"), None)
        .await
        .unwrap();
    assert_eq!(steady.outcome, OutcomeKind::Published, "{steady:?}");
    assert_eq!(steady.incident.as_deref(), Some("resolved"));
    let other_container = container(&moto, &seeded.topic_arn).await;
    let steady_again = handle_value(&other_container, flood::steady_state("steady-2"), None)
        .await
        .unwrap();
    assert_eq!(
        steady_again.outcome,
        OutcomeKind::Benign,
        "{steady_again:?}"
    );
    let resolved = seed::drain(&sdk, &seeded.queue_url).await;
    assert_eq!(resolved.len(), 1, "{resolved:#?}");
    assert_eq!(resolved[0]["category"], "steady-state");
    assert_eq!(resolved[0]["notify"], true);
    let title = resolved[0]["title"].as_str().unwrap();
    assert!(title.starts_with("Resolved: "), "{title}");

    // A relapse within the window reopens the incident and is counted (flapping), not alerted
    // anew: a service that recovers between crashes must not send an alert and a "Resolved"
    // for each crash.
    let relapse = handle_value(&app, crash_of(&revision_2, "r2-b", &task_id(3)), None)
        .await
        .unwrap();
    assert_eq!(relapse.outcome, OutcomeKind::Counted, "{relapse:?}");
    assert!(seed::drain(&sdk, &seeded.queue_url).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeats_are_folded_into_one_follow_up_per_window() {
    let (moto, sdk, seeded) = crash_loop().await;
    let mut app = container(&moto, &seeded.topic_arn).await;
    app.config.dedupe.window = Duration::from_secs(3);
    for i in 1..=4 {
        flood::crash_stream(&sdk, &task_id(i)).await;
    }
    // The windows are event time, which each event states (`at` ms after the first); the
    // minimum gap between two messages is processing time, so each repeat is also sent `at` ms
    // after the opening message was sent: a slow first invocation cannot shrink either.
    let first_sent = chrono::Utc::now();
    let crash = |i: usize, task: &str, at: i64| {
        let mut event = crash_of(&seeded.task_definition_arn, &format!("loop-{i}"), task);
        event["time"] = (first_sent + chrono::Duration::milliseconds(at))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            .into();
        handle_value(&app, event, None)
    };
    let opened = crash(0, seed::TASK_ID, 0).await.unwrap();
    let opened_at = Instant::now();
    let mut incidents = vec![opened.incident.unwrap_or_default()];
    for (i, at) in [(1, 1000), (2, 2000), (3, 3200), (4, 3600)] {
        tokio::time::sleep_until((opened_at + Duration::from_millis(at as u64)).into()).await;
        let outcome = crash(i, &task_id(i), at).await.unwrap();
        incidents.push(outcome.incident.unwrap_or_default());
    }
    assert_eq!(
        incidents,
        ["opened", "counted", "counted", "follow-up", "counted"]
    );
    let reports = seed::drain(&sdk, &seeded.queue_url).await;
    assert_eq!(reports.len(), 2, "{reports:#?}");
    let follow_up = &reports[1];
    assert_eq!(follow_up["category"], "missing-env-or-config");
    assert_eq!(follow_up["notify"], true);
    let title = follow_up["title"].as_str().unwrap();
    assert!(title.starts_with("Still failing (3 more): "), "{title}");
    let summary = follow_up["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Still failing: 3 more tasks stopped with the same cause"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invocation_dropped_between_recording_and_publishing_is_published_once_by_its_retry() {
    use crate::support::canned::{CannedAws, Fault};
    use ecs_doctor::handler::Now;
    use std::sync::atomic::{AtomicI64, Ordering};

    let (moto, sdk, seeded) = crash_loop().await;
    let now = Arc::new(AtomicI64::new(seed::now_ms()));
    let clock = {
        let now = now.clone();
        move || now.load(Ordering::SeqCst)
    };
    // SNS hangs: the invocation records its alert as pending, then dies in the publish (the
    // Lambda timeout, played by dropping the future).
    let hanging = CannedAws::start(&[("Publish", Fault::Hang)]);
    let hanging_sns = hanging
        .clients(ecs_doctor::aws::AwsOptions::default())
        .await
        .sns()
        .clone();
    let mut dying = container(&moto, &seeded.topic_arn).await;
    dying.clients = dying.clients.clone().with_sns(hanging_sns);
    dying.now = Now::from_fn(clock.clone());
    let event = crash_of(&seeded.task_definition_arn, "dropped", seed::TASK_ID);
    let dropped = tokio::time::timeout(
        Duration::from_secs(3),
        handle_value(&dying, event.clone(), None),
    )
    .await;
    assert!(dropped.is_err(), "the invocation died before publishing");

    // The same event again while the dead invocation's lease runs: a concurrent redelivery.
    let mut other = container(&moto, &seeded.topic_arn).await;
    other.now = Now::from_fn(clock.clone());
    let redelivered = handle_value(&other, event.clone(), None).await.unwrap();
    assert_eq!(
        redelivered.outcome,
        OutcomeKind::Duplicate,
        "{redelivered:?}"
    );

    // Lambda's retry, a minute later: it publishes the pending alert, once.
    now.fetch_add(60_000, Ordering::SeqCst);
    let retried = handle_value(&other, event.clone(), None).await.unwrap();
    assert_eq!(retried.outcome, OutcomeKind::Published, "{retried:?}");
    assert_eq!(retried.incident.as_deref(), Some("opened"));
    let again = handle_value(&other, event, None).await.unwrap();
    assert_eq!(again.outcome, OutcomeKind::Duplicate, "{again:?}");
    let reports = seed::drain(&sdk, &seeded.queue_url).await;
    assert_eq!(reports.len(), 1, "{reports:#?}");
}

/// The incident stream against moto's EventBridge: with EVENT_BUS_ARN set, every message is
/// also an event on the bus, and a rule delivers them to an SQS queue (as it would to
/// PagerDuty's API destination: templates/integrations.yaml) — opened, updated, resolved, in
/// order, with one dedup key. A crash opens the incident; the circuit breaker's rollback of the
/// deployment escalates it ("Updated"); the steady state resolves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_reaches_the_incident_stream_in_order_with_one_dedup_key() {
    let (moto, sdk, seeded) = crash_loop().await;
    let (bus, queue_url) = flood::incident_stream(&sdk, "pager").await;
    let topic_arn = seeded.topic_arn.clone();
    let bus_arn = bus.clone();
    let mut config = Config::from_lookup(|name| match name {
        "TOPIC_ARN" => Some(topic_arn.clone()),
        "DEDUPE_TABLE" => Some(TABLE.to_string()),
        "EVENT_BUS_ARN" => Some(bus_arn.clone()),
        _ => None,
    })
    .unwrap();
    // A short window: its minimum gap between two messages of an incident is the window's.
    config.dedupe.window = Duration::from_secs(3);
    let app = App::with_clients(config, moto.clients().await);

    flood::crash_stream(&sdk, &task_id(7)).await;
    let first = crash_of(&seeded.task_definition_arn, "s-1", &task_id(7));
    let opened = handle_value(&app, first.clone(), None).await.unwrap();
    assert_eq!(opened.incident.as_deref(), Some("opened"), "{opened:?}");
    // The circuit breaker rolls the deployment back right after (event time); the rollback is
    // processed after the minimum gap between two messages (processing time), which the short
    // window shortens: the deployment's outcome escalates the incident.
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let rollback = deployment_state_change(serde_json::json!({
        "eventType": "INFO", "eventName": "SERVICE_DEPLOYMENT_IN_PROGRESS",
        "deploymentId": "ecs-svc/2000000000000000000",
        "reason": "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1000000000000000000."
    }))
    .id("s-2")
    .at(first["time"].as_str().unwrap())
    .about(service_arn(SERVICE))
    .build();
    let updated = handle_value(&app, rollback, None).await.unwrap();
    assert_eq!(updated.incident.as_deref(), Some("updated"), "{updated:?}");
    let steady = handle_value(&app, flood::steady_state("s-3"), None)
        .await
        .unwrap();
    assert_eq!(steady.incident.as_deref(), Some("resolved"), "{steady:?}");
    assert!(steady.note.is_none(), "{steady:?}");

    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let mut received = Vec::new();
    for _ in 0..5 {
        let output = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for message in output.messages() {
            received.push(serde_json::from_str::<Value>(message.body().unwrap()).unwrap());
        }
        if received.len() >= 3 {
            break;
        }
    }
    let kinds: Vec<&str> = received
        .iter()
        .map(|e| e["detail-type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "ECS Incident Opened",
            "ECS Incident Updated",
            "ECS Incident Resolved"
        ]
    );
    let keys: Vec<&str> = received
        .iter()
        .map(|e| e["detail"]["incident"]["id"].as_str().unwrap())
        .collect();
    assert!(
        keys.iter().all(|key| *key == keys[0] && !key.is_empty()),
        "{keys:?}"
    );
    assert_eq!(received[0]["source"], "ecs-doctor");
    assert_eq!(received[2]["detail"]["pager"]["event_action"], "resolve");
    assert_eq!(
        received[1]["detail"]["category"],
        "circuit-breaker-rollback"
    );
}
