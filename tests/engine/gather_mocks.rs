//! Failures moto cannot produce, with aws-smithy-mocks: a denied or throttled DescribeServices
//! becomes a gap naming the action while the alert still goes out; a failed publish fails the
//! invocation so Lambda retries it.

use aws_sdk_cloudwatchlogs::operation::get_log_events::GetLogEventsOutput;
use aws_sdk_cloudwatchlogs::types::OutputLogEvent;
use aws_sdk_ecs::error::ErrorMetadata;
use aws_sdk_ecs::operation::describe_services::DescribeServicesError;
use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput;
use aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput;
use aws_sdk_ecs::operation::list_tasks::ListTasksOutput;
use aws_sdk_ecs::types::{ContainerDefinition, LogConfiguration, LogDriver, TaskDefinition};
use aws_sdk_sns::operation::publish::{PublishError, PublishOutput};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use ecs_doctor::aws::Clients;
use ecs_doctor::config::Config;
use ecs_doctor::handler::{handle_value, App, OutcomeKind};
use serde_json::{json, Value};

use crate::support::events::task_state_change;

const TD_ARN: &str = "arn:aws:ecs:eu-west-1:111122223333:task-definition/api:7";

fn event() -> Value {
    task_state_change(json!({
        "clusterArn": "arn:aws:ecs:eu-west-1:111122223333:cluster/prod",
        "taskArn": "arn:aws:ecs:eu-west-1:111122223333:task/prod/abc123",
        "taskDefinitionArn": TD_ARN, "group": "service:api", "lastStatus": "STOPPED",
        "stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited",
        "startedAt": "2026-11-20T09:59:00Z", "stoppedAt": "2026-11-20T10:00:00Z",
        "containers": [{"name": "api", "exitCode": 1, "lastStatus": "STOPPED"}]
    }))
    .id("e-1")
    .at("2026-11-20T10:00:00Z")
    .from("111122223333", "eu-west-1")
    .about("arn:aws:ecs:eu-west-1:111122223333:task/prod/abc123")
    .build()
}

fn ecs_rules(describe_services: Rule) -> Vec<Rule> {
    vec![
        mock!(aws_sdk_ecs::Client::describe_task_definition).then_output(|| {
            DescribeTaskDefinitionOutput::builder()
                .task_definition(
                    TaskDefinition::builder()
                        .task_definition_arn(TD_ARN)
                        .family("api")
                        .revision(7)
                        .container_definitions(
                            ContainerDefinition::builder()
                                .name("api")
                                .log_configuration(
                                    LogConfiguration::builder()
                                        .log_driver(LogDriver::Awslogs)
                                        .options("awslogs-group", "/ecs/api")
                                        .options("awslogs-stream-prefix", "api")
                                        .build()
                                        .unwrap(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build()
        }),
        mock!(aws_sdk_ecs::Client::list_tasks).then_output(|| ListTasksOutput::builder().build()),
        mock!(aws_sdk_ecs::Client::describe_tasks)
            .then_output(|| DescribeTasksOutput::builder().build()),
        describe_services,
    ]
}

fn logs_rule() -> Rule {
    mock!(aws_sdk_cloudwatchlogs::Client::get_log_events).then_output(|| {
        GetLogEventsOutput::builder()
            .events(
                OutputLogEvent::builder()
                    .message("Traceback (most recent call last):")
                    .build(),
            )
            .events(
                OutputLogEvent::builder()
                    .message("KeyError: 'DATABASE_URL'\n")
                    .build(),
            )
            .build()
    })
}

fn app(ecs: &[Rule], logs: &[Rule], sns: &[Rule]) -> App {
    let clients = Clients::from_clients(
        mock_client!(aws_sdk_ecs, RuleMode::MatchAny, ecs),
        mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, logs),
        mock_client!(aws_sdk_sns, RuleMode::MatchAny, sns),
    );
    // Routing off: these mocks answer the gathering's reads only.
    let config = Config::from_lookup(|name| match name {
        "TOPIC_ARN" => Some("arn:aws:sns:eu-west-1:111122223333:ecs-doctor".to_string()),
        "ROUTING_TAGS" => Some("none".to_string()),
        _ => None,
    })
    .unwrap();
    App::with_clients(config, clients)
}

fn published() -> Rule {
    mock!(aws_sdk_sns::Client::publish)
        .then_output(|| PublishOutput::builder().message_id("m-1").build())
}

fn denied() -> DescribeServicesError {
    DescribeServicesError::generic(
        ErrorMetadata::builder()
            .code("AccessDeniedException")
            .message("User: arn:aws:sts::111122223333:assumed-role/ecs-doctor/fn is not authorized to perform: ecs:DescribeServices")
            .build(),
    )
}

fn throttled() -> DescribeServicesError {
    DescribeServicesError::generic(
        ErrorMetadata::builder()
            .code("ThrottlingException")
            .message("Rate exceeded")
            .build(),
    )
}

/// The report's gaps, read back from what was published.
fn published_report(rule: &Rule, sns_body: &std::sync::Mutex<Option<String>>) -> Value {
    assert_eq!(rule.num_calls(), 1, "one publish");
    crate::support::machine_report(
        sns_body
            .lock()
            .unwrap()
            .as_deref()
            .expect("a published body"),
    )
}

fn capturing_publish(body: std::sync::Arc<std::sync::Mutex<Option<String>>>) -> Rule {
    mock!(aws_sdk_sns::Client::publish)
        .match_requests(move |request| {
            *body.lock().unwrap() = request.message().map(str::to_string);
            true
        })
        .then_output(|| PublishOutput::builder().message_id("m-1").build())
}

#[tokio::test]
async fn access_denied_on_describe_services_is_a_gap_naming_the_action_and_the_alert_still_goes_out(
) {
    let body = std::sync::Arc::default();
    let publish = capturing_publish(std::sync::Arc::clone(&body));
    let services = mock!(aws_sdk_ecs::Client::describe_services).then_error(denied);
    let app = app(
        &ecs_rules(services),
        &[logs_rule()],
        std::slice::from_ref(&publish),
    );

    let outcome = handle_value(&app, event(), None).await.expect("published");
    assert_eq!(outcome.outcome, OutcomeKind::Published);
    let report = published_report(&publish, &body);
    let gaps = report["gaps"].as_array().unwrap();
    let gap = gaps
        .iter()
        .find(|gap| gap["action"] == "ecs:DescribeServices")
        .unwrap_or_else(|| panic!("{gaps:?}"));
    assert!(
        gap["reason"]
            .as_str()
            .unwrap()
            .contains("AccessDeniedException"),
        "{gap}"
    );
    assert!(
        gap["fix"]
            .as_str()
            .unwrap()
            .contains("grant ecs:DescribeServices"),
        "{gap}"
    );
    assert!(
        report["log_excerpt"]
            .to_string()
            .contains("KeyError: 'DATABASE_URL'"),
        "the logs were still read"
    );
}

#[tokio::test]
async fn throttled_describe_services_is_a_gap_that_says_throttled() {
    let body = std::sync::Arc::default();
    let publish = capturing_publish(std::sync::Arc::clone(&body));
    let services = mock!(aws_sdk_ecs::Client::describe_services).then_error(throttled);
    let app = app(
        &ecs_rules(services),
        &[logs_rule()],
        std::slice::from_ref(&publish),
    );

    handle_value(&app, event(), None).await.expect("published");
    let report = published_report(&publish, &body);
    let gap = report["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|gap| gap["action"] == "ecs:DescribeServices")
        .cloned()
        .expect("a DescribeServices gap");
    assert!(
        gap["reason"].as_str().unwrap().starts_with("throttled"),
        "{gap}"
    );
}

#[tokio::test]
async fn a_failed_publish_fails_the_invocation() {
    let services = mock!(aws_sdk_ecs::Client::describe_services).then_error(denied);
    let publish = mock!(aws_sdk_sns::Client::publish).then_error(|| {
        PublishError::generic(
            ErrorMetadata::builder()
                .code("AuthorizationError")
                .message("not authorized to perform: SNS:Publish")
                .build(),
        )
    });
    let app = app(&ecs_rules(services), &[logs_rule()], &[publish]);

    let error = handle_value(&app, event(), None)
        .await
        .expect_err("the invocation must fail");
    let message = error.to_string();
    assert!(message.contains("grant sns:Publish"), "{message}");
}

#[tokio::test]
async fn a_benign_stop_makes_no_aws_call() {
    // No rules at all: any AWS call would fail the test through a missing mock.
    let app = app(&[], &[], &[]);
    let mut scale_in = event();
    scale_in["detail"]["stopCode"] = "ServiceSchedulerInitiated".into();
    scale_in["detail"]["stoppedReason"] =
        "Scaling activity initiated by (deployment ecs-svc/1)".into();
    scale_in["detail"]["containers"][0]["exitCode"] = 143.into();
    let outcome = handle_value(&app, scale_in, None).await.unwrap();
    assert_eq!(outcome.outcome, OutcomeKind::Benign);
    assert_eq!(outcome.aws_calls, 0);
}

#[tokio::test]
async fn an_exhausted_budget_still_publishes() {
    let services = mock!(aws_sdk_ecs::Client::describe_services).then_error(denied);
    let app = app(&ecs_rules(services), &[logs_rule()], &[published()]);
    let deadline = Some(std::time::SystemTime::now()); // nothing left: only the publish reserve
    let outcome = handle_value(&app, event(), deadline)
        .await
        .expect("still published");
    assert_eq!(outcome.outcome, OutcomeKind::Published);
}

#[tokio::test]
async fn an_unreadable_event_fails_the_invocation_so_the_failure_queue_keeps_it() {
    let app = app(&[], &[], &[]);
    let error = handle_value(&app, json!({"hello": "world"}), None)
        .await
        .expect_err("an unreadable event is not silently dropped");
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "EcsDoctor.UnreadableEvent");
    assert!(
        diagnostic
            .error_message
            .contains("not an EventBridge event"),
        "{}",
        diagnostic.error_message
    );
}
