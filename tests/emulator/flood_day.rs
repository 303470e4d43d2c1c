//! A scripted day of ECS events on event time, through eight concurrent Lambda containers
//! against moto's DynamoDB, SNS and SQS (an SQS subscriber counts what arrived): a crash loop
//! delivered twice, a flapping service, a bad deploy with its rollback and failure, out-of-order
//! and hours-late deliveries, DynamoDB throttled for a while, and a storm across ten services.
//! Processing time is the test's clock (`App::now`), so the day plays in seconds.
//!
//! What moto cannot show: DynamoDB throttling (moto never throttles; `support::throttle` answers
//! ThrottlingException in its place while the switch is on).
//!
//! `cargo test --test emulator flood_day -- --nocapture` prints the messages per incident.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::support::events::{
    cluster_arn, deployment_state_change, service_action, service_arn, task_arn, task_state_change,
};
use crate::support::seed::{self, Seeded};
use crate::support::throttle::Throttle;
use crate::support::{flood, Moto, ACCOUNT};
use aws_config::SdkConfig;
use ecs_doctor::aws::Clients;
use ecs_doctor::config::Config;
use ecs_doctor::handler::{handle_value, App, Now, Outcome};
use serde_json::{json, Value};

const TABLE: &str = "ecs-doctor-incidents";
const CONTAINERS: usize = 8;
const MINUTE: i64 = 60_000;
/// The day starts here (event time and processing time), a fixed point in the past.
const T0: i64 = 1_795_000_000_000;

struct Day {
    _moto: Moto,
    sdk: SdkConfig,
    seeded: Seeded,
    apps: Vec<Arc<App>>,
    clock: Arc<AtomicI64>,
    throttle: Throttle,
    dispatched: usize,
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A task of `service` (started by `deployment`) stopped at `at`.
fn crash(
    seeded: &Seeded,
    service: &str,
    id: &str,
    at: i64,
    deployment: &str,
    reason: Option<&str>,
) -> Value {
    let task_id = format!("{:032x}", {
        let mut hash: u128 = 1469598103934665603;
        for byte in id.bytes() {
            hash = (hash ^ u128::from(byte)).wrapping_mul(1099511628211);
        }
        hash
    });
    let task_arn = task_arn(&task_id);
    let mut container = json!({
        "name": "api", "lastStatus": "STOPPED", "exitCode": 1,
        "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2",
    });
    if let Some(reason) = reason {
        container = json!({"name": "api", "lastStatus": "STOPPED", "reason": reason});
    }
    task_state_change(json!({
        "clusterArn": cluster_arn(),
        "taskArn": task_arn, "taskDefinitionArn": seeded.task_definition_arn,
        "group": format!("service:{service}"), "startedBy": deployment,
        "lastStatus": "STOPPED", "desiredStatus": "STOPPED",
        "stopCode": if reason.is_some() { "TaskFailedToStart" } else { "EssentialContainerExited" },
        "stoppedReason": reason.unwrap_or("Essential container in task exited"),
        "stoppedAt": iso(at), "containers": [container]
    }))
    .id(id)
    .at(iso(at))
    .about(task_arn)
    .build()
}

fn steady(service: &str, id: &str, at: i64) -> Value {
    service_action(
        json!({"eventType": "INFO", "eventName": "SERVICE_STEADY_STATE",
                          "clusterArn": cluster_arn(), "createdAt": iso(at)}),
    )
    .id(id)
    .at(iso(at))
    .about(service_arn(service))
    .build()
}

fn deployment(
    service: &str,
    id: &str,
    at: i64,
    name: &str,
    deployment: &str,
    reason: &str,
) -> Value {
    deployment_state_change(json!({"eventType": "ERROR", "eventName": name,
                                   "deploymentId": deployment, "updatedAt": iso(at), "reason": reason}))
    .id(id)
    .at(iso(at))
    .about(service_arn(service))
    .build()
}

impl Day {
    async fn start() -> Day {
        let moto = Moto::start();
        let sdk = moto.sdk_config().await;
        let seeded = seed::seed(&sdk).await;
        flood::create_incident_table(&sdk, TABLE).await;
        let clock = Arc::new(AtomicI64::new(T0));
        let throttle = Throttle::default();
        let mut apps = Vec::new();
        for _ in 0..CONTAINERS {
            let topic = seeded.topic_arn.clone();
            let config = Config::from_lookup(|name| match name {
                "TOPIC_ARN" => Some(topic.clone()),
                "DEDUPE_TABLE" => Some(TABLE.to_string()),
                "ACCOUNT_ID" => Some(ACCOUNT.to_string()),
                "LOG_LINES" => Some("0".to_string()),
                _ => None,
            })
            .unwrap();
            let mut app = App::with_clients(config, Clients::from_conf(&throttle.wrap(&sdk)));
            let clock = clock.clone();
            app.now = Now::from_fn(move || clock.load(Ordering::SeqCst));
            apps.push(Arc::new(app));
        }
        Day {
            _moto: moto,
            sdk,
            seeded,
            apps,
            clock,
            throttle,
            dispatched: 0,
        }
    }

    /// Delivers `events` at processing time `now`, all at once, each to the next container.
    async fn deliver(&mut self, now: i64, events: Vec<Value>) -> Vec<Outcome> {
        self.clock.store(now, Ordering::SeqCst);
        let mut running = Vec::new();
        for event in events {
            let app = self.apps[self.dispatched % CONTAINERS].clone();
            self.dispatched += 1;
            running.push(tokio::spawn(async move {
                handle_value(&app, event, None).await
            }));
        }
        let mut outcomes = Vec::new();
        for run in running {
            outcomes.push(run.await.unwrap().expect("every event is handled"));
        }
        outcomes
    }
}

/// Every report the queue received: (service, incident id, message kind, title).
async fn received(config: &SdkConfig, queue_url: &str) -> Vec<(String, String, String, String)> {
    let text = |value: &Value| value.as_str().unwrap_or("").to_string();
    seed::drain(config, queue_url)
        .await
        .iter()
        .map(|report| {
            (
                text(&report["resources"]["service"]),
                text(&report["incident"]["id"]),
                text(&report["incident"]["message"]),
                text(&report["title"]),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_scripted_day_sends_one_alert_per_incident_and_loses_none() {
    let mut day = Day::start().await;
    let seeded = day.seeded.clone();
    let mut timeline: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    let mut at = |time: i64, event: Value| timeline.entry(time).or_default().push(event);

    // A crash loop: 50 crashes in 50 minutes, each delivered twice at once.
    for i in 0..50 {
        let time = T0 + i * MINUTE;
        let event = crash(
            &seeded,
            "loop",
            &format!("loop-{i}"),
            time,
            "ecs-svc/1",
            None,
        );
        at(time, event.clone());
        at(time, event);
    }
    // Flapping: 5 crashes over 40 minutes, a steady state 2 minutes after each.
    for i in 0..5 {
        let time = T0 + i * 10 * MINUTE;
        at(
            time,
            crash(
                &seeded,
                "flappy",
                &format!("flap-{i}"),
                time,
                "ecs-svc/7",
                None,
            ),
        );
        at(
            time + 2 * MINUTE,
            steady("flappy", &format!("flap-steady-{i}"), time + 2 * MINUTE),
        );
    }
    // A bad deploy: three tasks of the new deployment crash, the circuit breaker rolls back, and
    // the deployment fails five seconds later.
    for i in 0..3 {
        let time = T0 + (60 + i) * MINUTE;
        at(
            time,
            crash(
                &seeded,
                "deploy",
                &format!("deploy-{i}"),
                time,
                "ecs-svc/2",
                None,
            ),
        );
    }
    let rollback_at = T0 + 65 * MINUTE;
    at(
        rollback_at,
        deployment(
            "deploy",
            "deploy-rollback",
            rollback_at,
            "SERVICE_DEPLOYMENT_IN_PROGRESS",
            "ecs-svc/3",
            "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.",
        ),
    );
    at(
        rollback_at + 5_000,
        deployment(
            "deploy",
            "deploy-failed",
            rollback_at + 5_000,
            "SERVICE_DEPLOYMENT_FAILED",
            "ecs-svc/2",
            "ECS deployment circuit breaker: tasks failed to start.",
        ),
    );
    // Out of order and late: a crash, an older crash after it, the recovery, and a crash from
    // before the recovery delivered three hours late.
    at(
        T0 + 100 * MINUTE,
        crash(
            &seeded,
            "late",
            "late-1",
            T0 + 100 * MINUTE,
            "ecs-svc/4",
            None,
        ),
    );
    at(
        T0 + 101 * MINUTE,
        crash(
            &seeded,
            "late",
            "late-0",
            T0 + 98 * MINUTE,
            "ecs-svc/4",
            None,
        ),
    );
    at(
        T0 + 110 * MINUTE,
        steady("late", "late-steady", T0 + 110 * MINUTE),
    );
    at(
        T0 + 300 * MINUTE,
        crash(
            &seeded,
            "late",
            "late-2",
            T0 + 105 * MINUTE,
            "ecs-svc/4",
            None,
        ),
    );
    // DynamoDB throttled for a while in the middle of a crash loop.
    for i in 0..20 {
        let time = T0 + (120 + i) * MINUTE;
        at(
            time,
            crash(
                &seeded,
                "busy",
                &format!("busy-{i}"),
                time,
                "ecs-svc/5",
                None,
            ),
        );
    }
    // A storm: ten services cannot reach the registry within a few minutes.
    for i in 0..10 {
        let time = T0 + 200 * MINUTE + i * 20_000;
        at(time, crash(&seeded, &format!("storm{i}"), &format!("storm-{i}"), time, "ecs-svc/9",
            Some("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2: failed to do request: Head \"https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/api/manifests/1.4.2\": dial tcp 52.0.0.1:443: i/o timeout")));
    }

    let mut outcomes = Vec::new();
    for (time, events) in timeline {
        let throttled = (T0 + 125 * MINUTE..T0 + 132 * MINUTE).contains(&time);
        day.throttle.set(throttled);
        outcomes.extend(day.deliver(time, events).await);
    }
    day.throttle.set(false);

    let reports = received(&day.sdk, &day.seeded.queue_url).await;
    let mut by_service: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    for (service, incident, kind, title) in &reports {
        let scenario = if service.starts_with("storm") {
            "storm".to_string()
        } else {
            service.clone()
        };
        by_service.entry(scenario).or_default().push((
            incident.clone(),
            kind.clone(),
            title.clone(),
        ));
    }
    eprintln!("| scenario | events | messages | what |\n|---|---|---|---|");
    let events_of = |prefix: &str| {
        outcomes
            .iter()
            .filter(|o| {
                o.event_id
                    .as_deref()
                    .is_some_and(|id| id.starts_with(prefix))
            })
            .count()
    };
    for (scenario, prefix) in [
        ("loop", "loop"),
        ("flappy", "flap"),
        ("deploy", "deploy"),
        ("late", "late"),
        ("busy", "busy"),
        ("storm", "storm"),
    ] {
        let messages = by_service.get(scenario).cloned().unwrap_or_default();
        let kinds: Vec<String> = messages.iter().map(|(_, kind, _)| kind.clone()).collect();
        eprintln!(
            "| {scenario} | {} | {} | {} |",
            events_of(prefix),
            messages.len(),
            kinds.join(", ")
        );
    }
    eprintln!(
        "DynamoDB requests refused while throttled: {}",
        day.throttle.refused()
    );

    let count = |scenario: &str| by_service.get(scenario).map_or(0, Vec::len);
    let kinds = |scenario: &str| -> Vec<String> {
        by_service
            .get(scenario)
            .map(|m| m.iter().map(|(_, k, _)| k.clone()).collect())
            .unwrap_or_default()
    };
    // No incident goes unalerted.
    for scenario in ["loop", "flappy", "deploy", "late", "busy", "storm"] {
        assert!(
            count(scenario) >= 1,
            "{scenario} was never alerted: {reports:#?}"
        );
    }
    assert_eq!(
        kinds("loop"),
        ["opened", "follow-up"],
        "50 crashes delivered twice each"
    );
    assert!(count("flappy") <= 3, "flapping: {:?}", kinds("flappy"));
    assert!(count("deploy") <= 2, "a bad deploy: {:?}", kinds("deploy"));
    assert_eq!(kinds("deploy")[0], "opened");
    assert_eq!(
        kinds("late"),
        ["opened", "resolved"],
        "late and out-of-order events fold"
    );
    // Two services alone, the third starts the storm, the sixth doubles it (said once more).
    assert!(
        count("storm") <= 4,
        "a storm across ten services: {:?}",
        kinds("storm")
    );
    for kind in ["storm", "storm-update"] {
        assert!(
            kinds("storm").contains(&kind.to_string()),
            "{kind}: {:?}",
            kinds("storm")
        );
    }
    // Throttled: each container decides on its own memory meanwhile; at most one alert per
    // container that had not seen the incident before.
    assert!(count("busy") <= 1 + CONTAINERS, "{:?}", kinds("busy"));
    assert!(day.throttle.refused() > 0, "the throttle was exercised");
    let deploy_incidents: std::collections::BTreeSet<&String> =
        by_service["deploy"].iter().map(|(id, _, _)| id).collect();
    assert_eq!(
        deploy_incidents.len(),
        1,
        "the deploy's messages are one incident (one thread)"
    );
}
