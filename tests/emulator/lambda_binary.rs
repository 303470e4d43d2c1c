//! The built Lambda binary, for real: a loopback Runtime API hands it events the way the Lambda
//! service does, and moto plays AWS. Measures the AWS calls and the wall time per event.

use std::path::Path;
use std::time::Duration;

use crate::support::runtime_api::run_lambda;
use crate::support::seed::{self, crash_event, scale_in_event};
use crate::support::{aws_env, Moto};
use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_ecs-doctor-lambda");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lambda_binary_answers_each_event_and_logs_one_summary_line() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let seeded = seed::seed(&sdk).await;
    let mut env = aws_env(&moto.endpoint);
    env.push(("TOPIC_ARN", seeded.topic_arn.clone()));
    env.push(("RUST_LOG", "info".into()));
    // Flood control off: the second crash (another event id) is published too.
    env.push(("DEDUPE_WINDOW_MINUTES", "0".into()));
    let mut second_crash = crash_event(&seeded.task_definition_arn);
    second_crash["id"] = "3317b2af-7005-47d2-9d4c-a0f2a8ee1a1c".into();
    let events = vec![
        crash_event(&seeded.task_definition_arn),
        scale_in_event(&seeded.task_definition_arn),
        serde_json::json!({"source": "aws.ec2"}),
        second_crash,
    ];
    let run = tokio::task::spawn_blocking(move || {
        run_lambda(
            Path::new(BINARY),
            &env,
            events,
            Duration::from_secs(30),
            Duration::from_secs(120),
        )
    })
    .await
    .unwrap();
    assert!(
        run.init_error.is_none(),
        "{:?}\n{}",
        run.init_error,
        run.output
    );
    assert_eq!(
        run.invocations.len(),
        4,
        "every event answered:\n{}",
        run.output
    );

    let outcomes: Vec<&str> = run
        .invocations
        .iter()
        .map(|invocation| match &invocation.result {
            Ok(response) => response["outcome"].as_str().unwrap(),
            Err(error) => error["errorType"].as_str().unwrap(),
        })
        .collect();
    // The unreadable event fails its invocation: Lambda retries it, then the failure queue
    // keeps it, and its alarm tells an operator.
    assert_eq!(
        outcomes,
        [
            "published",
            "benign",
            "EcsDoctor.UnreadableEvent",
            "published"
        ],
        "{}",
        run.output
    );
    assert!(
        run.output.contains("\"unreadable_event\""),
        "the unreadable event is logged, scrubbed:\n{}",
        run.output
    );

    let summaries: Vec<Value> = run
        .output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["summary"] == true)
        .collect();
    assert_eq!(
        summaries.len(),
        4,
        "one summary line per invocation:\n{}",
        run.output
    );
    for (summary, invocation) in summaries.iter().zip(&run.invocations) {
        for field in [
            "event_id",
            "category",
            "severity",
            "notify",
            "gaps",
            "aws_calls",
            "parse_ms",
            "gather_ms",
            "diagnose_ms",
            "render_ms",
            "publish_ms",
        ] {
            assert!(
                summary.get(field).is_some(),
                "{field} missing from {summary}"
            );
        }
        eprintln!(
            "measured: outcome={} category={} aws_calls={} gather_ms={} publish_ms={} total_ms={} wall={:?}",
            summary["outcome"], summary["category"], summary["aws_calls"], summary["gather_ms"], summary["publish_ms"], summary["total_ms"], invocation.wall
        );
    }
    assert_eq!(summaries[1]["aws_calls"], 0, "a benign stop calls nothing");
    assert_eq!(
        summaries[3]["aws_calls"].as_u64().unwrap() + 3,
        summaries[0]["aws_calls"].as_u64().unwrap(),
        "the second crash reads the task definition, the service's tags and the listing of its \
         stopped tasks (seconds later: LISTING_TTL) from the cache"
    );
    // Powertools' fields: the request id, and the cold start on the first invocation only.
    assert_eq!(summaries[0]["cold_start"], true);
    assert_eq!(summaries[3]["cold_start"], false);
    for summary in &summaries {
        assert!(
            summary["function_request_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "{summary}"
        );
    }
    // Every line of an invocation carries its keys (the invocation's span), not only the
    // summary: the unreadable event's error line names its request too.
    let lines: Vec<Value> = run
        .output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("_aws").is_none() && line.get("level").is_some())
        .collect();
    let unreadable = lines
        .iter()
        .find(|line| line.get("unreadable_event").is_some())
        .expect("the unreadable event's line");
    assert_eq!(unreadable["level"], "ERROR");
    assert_eq!(
        unreadable["function_request_id"], summaries[2]["function_request_id"],
        "{unreadable}"
    );
    for line in lines
        .iter()
        .filter(|line| line.get("event_id").is_some() || line.get("unreadable_event").is_some())
    {
        assert_eq!(line["service"], "ecs-doctor", "{line}");
        assert_eq!(line["function_name"], "ecs-doctor", "{line}");
        assert_eq!(line["function_memory_size"], 256, "{line}");
        assert!(
            line["function_arn"]
                .as_str()
                .is_some_and(|arn| arn.starts_with("arn:aws:lambda:")),
            "{line}"
        );
    }
    // Lambda's log-level filter reads `level`: the metric lines are INFO.
    // One embedded-metric-format line per invocation, the unreadable event counted in its own.
    let metrics: Vec<Value> = run
        .output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("_aws").is_some())
        .collect();
    assert_eq!(metrics.len(), 4, "{}", run.output);
    assert!(metrics.iter().all(|line| line["level"] == "INFO"));
    assert_eq!(metrics[0]["Opened"], 1.0, "{}", metrics[0]);
    assert_eq!(
        metrics[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "ecs-doctor"
    );
    assert_eq!(metrics[1]["Benign"], 1.0);
    assert_eq!(metrics[2]["UnreadableEvents"], 1.0);
    assert_eq!(metrics[2]["outcome"], "unreadable");
    assert_eq!(
        seed::receive(&sdk, &seeded.queue_url).await.len(),
        2,
        "two reports published"
    );
}

#[test]
fn without_a_topic_the_binary_stops_at_start_and_says_what_to_set() {
    let run = run_lambda(
        Path::new(BINARY),
        &[
            ("AWS_REGION", "us-east-1".to_string()),
            ("TOPIC_ARN", String::new()),
        ],
        vec![serde_json::json!({})],
        Duration::from_secs(5),
        Duration::from_secs(20),
    );
    assert!(run.invocations.is_empty());
    assert!(
        run.output.contains("TOPIC_ARN is not set"),
        "{}",
        run.output
    );
}
