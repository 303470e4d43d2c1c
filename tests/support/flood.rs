//! A crash loop in moto: the flood-control table, one log stream per crashed task, a second
//! task-definition revision, and the events a crash-looping service sends.

#![allow(dead_code)]

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use serde_json::{json, Value};

use super::events::{cluster_arn, now_to_the_millisecond, service_action, service_arn};
use super::seed::{crash_event, task_arn, CLUSTER, LOG_GROUP, SERVICE};
use super::{ACCOUNT, REGION};

/// The table the template creates: `pk` and `sk` strings, TTL on `expires_at`.
pub async fn create_incident_table(config: &SdkConfig, name: &str) {
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    let key = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .unwrap()
    };
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .send()
        .await
        .expect("create the incident table");
    dynamodb
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("enable TTL on expires_at");
}

/// The crash lines in the stream of task `task_id` (`api/api/TASK_ID`).
pub async fn crash_stream(config: &SdkConfig, task_id: &str) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    super::seed::crash_lines_in(&logs, LOG_GROUP, &format!("api/api/{task_id}")).await;
}

/// Registers the next revision of the `api` family (same containers) and returns its ARN.
pub async fn next_revision(config: &SdkConfig, current_arn: &str) -> String {
    let ecs = aws_sdk_ecs::Client::new(config);
    let current = ecs
        .describe_task_definition()
        .task_definition(current_arn)
        .send()
        .await
        .expect("describe the task definition")
        .task_definition()
        .cloned()
        .expect("a task definition");
    ecs.register_task_definition()
        .family(current.family().unwrap())
        .set_requires_compatibilities(Some(current.requires_compatibilities().to_vec()))
        .set_network_mode(current.network_mode().cloned())
        .set_cpu(current.cpu().map(str::to_string))
        .set_memory(current.memory().map(str::to_string))
        .set_container_definitions(Some(current.container_definitions().to_vec()))
        .send()
        .await
        .expect("register the next revision")
        .task_definition()
        .and_then(|td| td.task_definition_arn())
        .unwrap()
        .to_string()
}

/// The id of the service's `i`th crashed task.
pub fn task_id(i: usize) -> String {
    format!("{i:032x}")
}

/// Task `task_id` of the service crashed on `task_definition_arn`; event id `event_id`. Each
/// revision is deployed by its own deployment (`ecs-svc/<revision>…`), as ECS does.
pub fn crash_of(task_definition_arn: &str, event_id: &str, task_id: &str) -> Value {
    let mut event = crash_event(task_definition_arn);
    let revision = task_definition_arn.rsplit(':').next().unwrap_or("1");
    event["detail"]["startedBy"] = format!("ecs-svc/{revision}000000000000000000").into();
    event["id"] = event_id.into();
    event["resources"] = json!([task_arn(task_id)]);
    event["detail"]["taskArn"] = task_arn(task_id).into();
    event["detail"]["containers"][0]["containerArn"] =
        format!("arn:aws:ecs:{REGION}:{ACCOUNT}:container/{CLUSTER}/{task_id}/5b8c").into();
    event["detail"]["containers"][0]["runtimeId"] = format!("{task_id}-1234567890").into();
    event
}

/// The service reached a steady state.
pub fn steady_state(event_id: &str) -> Value {
    service_action(json!({
        "eventType": "INFO",
        "eventName": "SERVICE_STEADY_STATE",
        "clusterArn": cluster_arn(),
        "createdAt": now_to_the_millisecond()
    }))
    .id(event_id)
    .about(service_arn(SERVICE))
    .build()
}

/// The incident stream: the bus `ecs-doctor-incidents`, and a rule that delivers its events to
/// the SQS queue `queue`. Returns the bus's ARN and the queue's URL.
pub async fn incident_stream(sdk: &SdkConfig, queue: &str) -> (String, String) {
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let bus = events
        .create_event_bus()
        .name("ecs-doctor-incidents")
        .send()
        .await
        .expect("create the incident bus")
        .event_bus_arn()
        .unwrap_or_default()
        .to_string();
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let queue_url = sqs
        .create_queue()
        .queue_name(queue)
        .send()
        .await
        .expect("create the incident queue")
        .queue_url()
        .unwrap_or_default()
        .to_string();
    events
        .put_rule()
        .name("to-the-pager")
        .event_bus_name("ecs-doctor-incidents")
        .event_pattern(r#"{"source":["ecs-doctor"]}"#)
        .send()
        .await
        .expect("create the rule");
    events
        .put_targets()
        .rule("to-the-pager")
        .event_bus_name("ecs-doctor-incidents")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("pager")
                .arn(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}"))
                .build()
                .expect("a target"),
        )
        .send()
        .await
        .expect("point the rule at the queue");
    (bus, queue_url)
}
