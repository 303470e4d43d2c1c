//! Seeds moto with a broken service the way a real account would look after a crash: a
//! cluster, a task definition logging to awslogs, a service, the crashed container's log stream,
//! and an SNS topic with SQS queues subscribed (envelope, raw, filtered).

#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_sdk_ecs::types::{ContainerDefinition, KeyValuePair, LogConfiguration, LogDriver};
use serde_json::{json, Value};

use super::events::{cluster_arn, now_to_the_millisecond, task_state_change};
pub use super::events::{task_arn, CLUSTER};
use super::{ACCOUNT, REGION};

pub const SERVICE: &str = "api";
pub const TASK_ID: &str = "0f3a5c1e9d2b4a6f8e7d6c5b4a392817";
pub const LOG_GROUP: &str = "/ecs/api";

/// The crash: a Python traceback ending in the missing variable.
pub const CRASH_LINES: &[&str] = &[
    "INFO:     Started server process [1]",
    "INFO:     Waiting for application startup.",
    "Traceback (most recent call last):",
    "  File \"/app/main.py\", line 12, in <module>",
    "    DATABASE_URL = os.environ[\"DATABASE_URL\"]",
    "  File \"/usr/local/lib/python3.12/os.py\", line 714, in __getitem__",
    "    raise KeyError(key) from None",
    "KeyError: 'DATABASE_URL'",
];

#[derive(Clone)]
pub struct Seeded {
    pub task_definition_arn: String,
    pub topic_arn: String,
    /// Envelope delivery (the SNS JSON wrapper around the `sqs` body).
    pub queue_url: String,
    /// Raw delivery: the body is the machine JSON itself.
    pub raw_queue_url: String,
    /// Subscribed with an attribute-scope filter policy `severity: [high, critical]`.
    pub high_queue_url: String,
    /// Subscribed with an attribute-scope filter policy `severity: [low]`: must stay empty.
    pub low_queue_url: String,
    /// Subscribed with a body-scope filter policy `category: [missing-env-or-config]`.
    pub body_filter_queue_url: String,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub async fn seed(config: &SdkConfig) -> Seeded {
    let ecs = aws_sdk_ecs::Client::new(config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    let sns = aws_sdk_sns::Client::new(config);

    ecs.create_cluster()
        .cluster_name(CLUSTER)
        .send()
        .await
        .expect("create the cluster");
    let registered = ecs
        .register_task_definition()
        .family("api")
        .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .cpu("256")
        .memory("512")
        .container_definitions(
            ContainerDefinition::builder()
                .name("api")
                .image("111122223333.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2")
                .essential(true)
                .memory(512)
                .environment(
                    KeyValuePair::builder()
                        .name("APP_ENV")
                        .value("production")
                        .build(),
                )
                .log_configuration(
                    LogConfiguration::builder()
                        .log_driver(LogDriver::Awslogs)
                        .options("awslogs-group", LOG_GROUP)
                        .options("awslogs-region", REGION)
                        .options("awslogs-stream-prefix", "api")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .expect("register the task definition");
    let task_definition_arn = registered
        .task_definition()
        .and_then(|td| td.task_definition_arn())
        .unwrap()
        .to_string();
    ecs.create_service()
        .cluster(CLUSTER)
        .service_name(SERVICE)
        .task_definition(&task_definition_arn)
        .desired_count(1)
        .send()
        .await
        .expect("create the service");

    logs.create_log_group()
        .log_group_name(LOG_GROUP)
        .send()
        .await
        .expect("create the log group");
    crash_lines_in(&logs, LOG_GROUP, &format!("api/api/{TASK_ID}")).await;

    let topic_arn = create_topic(&sns, "ecs-doctor").await;
    let subscribe = |name: &'static str, attributes: Vec<(&'static str, String)>| {
        subscribe_queue(config, &topic_arn, name, attributes)
    };
    let queue_url = subscribe("alerts", vec![]).await;
    let raw_queue_url = subscribe("alerts-raw", vec![("RawMessageDelivery", "true".into())]).await;
    let high_queue_url = subscribe(
        "alerts-high",
        vec![(
            "FilterPolicy",
            json!({"severity": ["high", "critical"]}).to_string(),
        )],
    )
    .await;
    let low_queue_url = subscribe(
        "alerts-low",
        vec![("FilterPolicy", json!({"severity": ["low"]}).to_string())],
    )
    .await;
    let body_filter_queue_url = subscribe(
        "alerts-body-filter",
        vec![
            (
                "FilterPolicy",
                json!({"category": ["missing-env-or-config"]}).to_string(),
            ),
            ("FilterPolicyScope", "MessageBody".into()),
        ],
    )
    .await;
    Seeded {
        task_definition_arn,
        topic_arn,
        queue_url,
        raw_queue_url,
        high_queue_url,
        low_queue_url,
        body_filter_queue_url,
    }
}

/// A new SQS queue `name`, subscribed to the topic with `attributes`; returns its URL.
pub async fn subscribe_queue(
    config: &SdkConfig,
    topic_arn: &str,
    name: &str,
    attributes: Vec<(&'static str, String)>,
) -> String {
    let sqs = aws_sdk_sqs::Client::new(config);
    let url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .unwrap();
    let mut request = aws_sdk_sns::Client::new(config)
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(arn);
    for (key, value) in attributes {
        request = request.attributes(key, value);
    }
    request.send().await.expect("subscribe the queue");
    url
}

/// The "ECS Task State Change" event ECS sends when the api container crashes.
pub fn crash_event(task_definition_arn: &str) -> Value {
    task_state_change(json!({
            "clusterArn": cluster_arn(),
            "taskArn": task_arn(TASK_ID),
            "taskDefinitionArn": task_definition_arn,
            "group": format!("service:{SERVICE}"),
            "startedBy": "ecs-svc/1234567890123456789",
            "launchType": "FARGATE",
            "lastStatus": "STOPPED",
            "desiredStatus": "STOPPED",
            "stopCode": "EssentialContainerExited",
            "stoppedReason": "Essential container in task exited",
            "cpu": "256",
            "memory": "512",
            "createdAt": "2026-11-20T09:58:02.123Z",
            "startedAt": "2026-11-20T09:58:40.456Z",
            "stoppingAt": "2026-11-20T09:58:44.789Z",
            "stoppedAt": now_to_the_millisecond(),
            "containers": [{
                "name": "api",
                "containerArn": format!("arn:aws:ecs:{REGION}:{ACCOUNT}:container/{CLUSTER}/{TASK_ID}/5b8c"),
                "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2",
                "lastStatus": "STOPPED",
                "exitCode": 1,
                "runtimeId": format!("{TASK_ID}-1234567890"),
                "cpu": "0",
                "memory": "512"
            }],
            "version": 5
    }))
    .about(task_arn(TASK_ID))
    .build()
}

/// A task the service scheduler stopped for scale-in: benign.
pub fn scale_in_event(task_definition_arn: &str) -> Value {
    let mut event = crash_event(task_definition_arn);
    event["id"] = "b1e1c5a0-0000-4000-8000-000000000001".into();
    event["detail"]["stopCode"] = "ServiceSchedulerInitiated".into();
    event["detail"]["stoppedReason"] =
        "Scaling activity initiated by (deployment ecs-svc/1234567890123456789)".into();
    event["detail"]["containers"][0]["exitCode"] = 143.into();
    event
}

/// Creates the SNS topic `name`, and gives its ARN.
pub async fn create_topic(sns: &aws_sdk_sns::Client, name: &str) -> String {
    sns.create_topic()
        .name(name)
        .send()
        .await
        .expect("create the topic")
        .topic_arn()
        .expect("a topic ARN")
        .to_string()
}

/// Receives what a queue holds (waits briefly: delivery is asynchronous in moto too).
pub async fn receive(config: &SdkConfig, queue_url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    let sqs = aws_sdk_sqs::Client::new(config);
    let mut messages = Vec::new();
    for _ in 0..3 {
        let output = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive from the queue");
        messages.extend(output.messages().iter().cloned());
        if !messages.is_empty() {
            break;
        }
    }
    messages
}

/// Every report the queue holds (the SNS envelope's message, as JSON), in arrival order, deleting
/// each; until the queue stays empty for two receives.
pub async fn drain(config: &SdkConfig, queue_url: &str) -> Vec<serde_json::Value> {
    let sqs = aws_sdk_sqs::Client::new(config);
    let mut reports = Vec::new();
    let mut empty = 0;
    while empty < 2 {
        let output = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive from the queue");
        if output.messages().is_empty() {
            empty += 1;
        }
        for message in output.messages() {
            let envelope: serde_json::Value =
                serde_json::from_str(message.body().unwrap()).unwrap();
            reports.push(serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap());
            sqs.delete_message()
                .queue_url(queue_url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    reports
}

/// Creates `stream` in `group` and writes the crash lines into it, a minute ago.
pub async fn crash_lines_in(logs: &aws_sdk_cloudwatchlogs::Client, group: &str, stream: &str) {
    crash_lines_in_with(logs, group, stream, CRASH_LINES).await;
}

/// Creates `stream` in `group` and writes `lines` into it, a minute ago.
pub async fn crash_lines_in_with(
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    stream: &str,
    lines: &[&str],
) {
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await
        .expect("create the log stream");
    let start = now_ms() - 60_000;
    let events: Vec<_> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(start + i as i64)
                .message(*line)
                .build()
                .unwrap()
        })
        .collect();
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(events))
        .send()
        .await
        .expect("put the crash lines");
}
