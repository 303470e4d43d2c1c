//! Routing by the service's tags and the history, against moto: a tagged service's alert
//! reaches each team's subscriptions of the per-format topics (and not another team's), as
//! plain-string messages with the tags as message attributes, which is how SNS documents that
//! attributes are delivered; the history keeps what was published, and `ecs-doctor history` and
//! `ecs-doctor show` read it back.
//!
//! What moto cannot show: it applies filter policies to JSON-structured messages too (AWS does
//! not deliver attributes with them), so the proof that the per-format topics are published
//! with String structure is their body: the plain email text, not a per-protocol envelope.

use std::process::Command;

use crate::support::flood::create_incident_table;
use crate::support::overlay::{Answer, Overlay, AWS_JSON};
use crate::support::seed::{self, crash_event, subscribe_queue, Seeded, CLUSTER, SERVICE};
use crate::support::{aws_env, Moto, ACCOUNT, REGION};
use aws_config::SdkConfig;
use ecs_doctor::config::Config;
use ecs_doctor::handler::{handle_value, App, OutcomeKind};
use serde_json::{json, Value};

const TABLE: &str = "ecs-doctor-incidents";

/// The per-format topics, and for each a queue for team payments and one for team search.
struct Topics {
    email: String,
    chat: String,
    json: String,
    /// (format, team) → queue URL.
    queues: Vec<((&'static str, &'static str), String)>,
}

async fn topics(sdk: &SdkConfig) -> Topics {
    let sns = aws_sdk_sns::Client::new(sdk);
    let create = |name: &'static str| seed::create_topic(&sns, name);
    let (email, chat, json) = (
        create("ecs-doctor-email").await,
        create("ecs-doctor-chat").await,
        create("ecs-doctor-json").await,
    );
    let mut queues = Vec::new();
    for (format, topic) in [("email", &email), ("chat", &chat), ("json", &json)] {
        for team in ["payments", "search"] {
            let url = subscribe_queue(
                sdk,
                topic,
                &format!("{format}-{team}"),
                vec![
                    ("RawMessageDelivery", "true".into()),
                    ("FilterPolicy", json!({ "team": [team] }).to_string()),
                ],
            )
            .await;
            queues.push(((format, team), url));
        }
    }
    Topics {
        email,
        chat,
        json,
        queues,
    }
}

fn app(seeded: &Seeded, topics: &Topics, sdk: SdkConfig) -> App {
    let config = Config::from_lookup(|name| {
        Some(match name {
            "TOPIC_ARN" => seeded.topic_arn.clone(),
            "EMAIL_TOPIC_ARN" => topics.email.clone(),
            "CHAT_TOPIC_ARN" => topics.chat.clone(),
            "JSON_TOPIC_ARN" => topics.json.clone(),
            "DEDUPE_TABLE" => TABLE.into(),
            _ => return None,
        })
    })
    .unwrap();
    App::with_clients(config, ecs_doctor::aws::Clients::from_conf(&sdk))
}

async fn tag_the_service(sdk: &SdkConfig) {
    aws_sdk_ecs::Client::new(sdk)
        .tag_resource()
        .resource_arn(format!(
            "arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{SERVICE}"
        ))
        .tags(
            aws_sdk_ecs::types::Tag::builder()
                .key("Team")
                .value("payments")
                .build(),
        )
        .tags(
            aws_sdk_ecs::types::Tag::builder()
                .key("cost-center")
                .value("cc-42")
                .build(),
        )
        .send()
        .await
        .expect("tag the service");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tagged_services_alert_reaches_its_teams_subscriptions_of_every_format() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let seeded = seed::seed(&sdk).await;
    create_incident_table(&sdk, TABLE).await;
    tag_the_service(&sdk).await;
    let topics = topics(&sdk).await;
    let app = app(&seeded, &topics, sdk.clone());

    let outcome = handle_value(&app, crash_event(&seeded.task_definition_arn), None)
        .await
        .unwrap();
    assert_eq!(outcome.outcome, OutcomeKind::Published, "{outcome:?}");

    for ((format, team), url) in &topics.queues {
        let received = seed::receive(&sdk, url).await;
        if *team == "search" {
            assert!(received.is_empty(), "{format}: team search gets nothing");
            continue;
        }
        assert_eq!(received.len(), 1, "{format}: team payments gets the alert");
        let message = &received[0];
        let team_attribute = message
            .message_attributes()
            .and_then(|attributes| attributes.get("team"))
            .and_then(|value| value.string_value());
        assert_eq!(team_attribute, Some("payments"), "{format}: the attribute");
        let body = message.body().unwrap();
        match *format {
            // The plain text: published with String structure, no per-protocol envelope.
            "email" => assert!(
                body.starts_with("[CRITICAL] Missing configuration")
                    || body.starts_with("[HIGH] Missing configuration"),
                "{body}"
            ),
            "chat" => {
                let card: Value = serde_json::from_str(body).unwrap();
                assert_eq!(card["source"], "custom");
                assert_eq!(card["metadata"]["additionalContext"]["team"], "payments");
            }
            _ => {
                let report: Value = serde_json::from_str(body).unwrap();
                assert_eq!(report["routing"], json!({"team": "payments"}));
            }
        }
    }

    // The history keeps it; the command line lists it and shows it.
    let cli = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_ecs-doctor"))
            .args(args)
            .envs(aws_env(&moto.endpoint))
            .env("DEDUPE_TABLE", TABLE)
            .output()
            .expect("run ecs-doctor");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let listed: Value = serde_json::from_str(&cli(&[
        "history",
        "--cluster",
        CLUSTER,
        "--service",
        SERVICE,
        "--format",
        "json",
    ]))
    .unwrap();
    let incidents = listed.as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{listed}");
    assert_eq!(incidents[0]["category"], "missing-env-or-config");
    assert_eq!(incidents[0]["state"], "open");
    let id = incidents[0]["id"].as_str().unwrap();
    let shown = cli(&["show", id]);
    assert!(shown.contains("KeyError: 'DATABASE_URL'"), "{shown}");
    assert!(
        shown.contains("team:"),
        "the routing tag is in the footer: {shown}"
    );
    let by_task = cli(&[
        "show",
        &format!(
            "arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{}",
            seed::TASK_ID
        ),
    ]);
    assert_eq!(by_task.lines().nth(3), shown.lines().nth(3));
    let none = cli(&["history", "--cluster", "staging"]);
    assert!(none.starts_with("No incident in cluster staging"), "{none}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_tag_read_is_a_gap_and_the_alert_still_goes_out() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let seeded = seed::seed(&sdk).await;
    create_incident_table(&sdk, TABLE).await;
    let topics = topics(&sdk).await;
    let overlay = Overlay::default();
    overlay.rule(|request| {
        (request.operation == "ListTagsForResource").then(|| Answer {
            status: 400,
            content_type: AWS_JSON,
            body: json!({"__type": "AccessDeniedException", "message": "User is not authorized to perform: ecs:ListTagsForResource"}).to_string(),
        })
    });
    let app = app(&seeded, &topics, overlay.wrap(&sdk));
    let outcome = handle_value(&app, crash_event(&seeded.task_definition_arn), None)
        .await
        .unwrap();
    assert_eq!(outcome.outcome, OutcomeKind::Published);
    let raw = seed::receive(&sdk, &seeded.raw_queue_url).await;
    let report: Value = serde_json::from_str(raw[0].body().unwrap()).unwrap();
    let gaps = report["gaps"].to_string();
    assert!(gaps.contains("ecs:ListTagsForResource"), "{gaps}");
    // Untagged: no team queue matches.
    for (_, url) in &topics.queues {
        assert!(seed::receive(&sdk, url).await.is_empty());
    }
}
