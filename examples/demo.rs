//! `make demo`: a broken service in moto, the real Lambda binary fed its events through a
//! loopback Runtime API, and what SNS delivered, printed per subscriber.
//!
//! The services: an api OOM-killed, a worker crash-looping on a missing DATABASE_URL, a web
//! revision whose image tag was never pushed (the investigation checks ECR and compares it with
//! the revision before), and a deployment the circuit breaker rolled back. Moto cannot produce
//! stop codes, exit codes or service events, so the events carry the tasks; what moto cannot
//! show becomes gaps (its CloudWatch does not speak the SDK's CBOR protocol: the OOM report says
//! the memory curve could not be read).
//!
//! Run through scripts/demo.sh, which builds the binary and passes its path.

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ecs::types::{ContainerDefinition, LogConfiguration, LogDriver};
use serde_json::{json, Value};
use support::http::{Response, Server};
use support::seed::{self, crash_event, task_arn, CLUSTER};
use support::{aws_env, Moto, ACCOUNT, REGION};

const WORKER_TASK: &str = "7c1d0e2f3a4b5c6d7e8f9a0b1c2d3e4f";
const OOM_TASK: &str = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d";
const WEB_TASK: &str = "5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b";
const PULL_FAILED: &str = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:2.4.0: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:2.4.0: not found";

#[tokio::main]
async fn main() {
    println!("== starting moto (local AWS)");
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let seeded = seed::seed(&sdk).await;
    let worker_td = seed_worker(&sdk).await;
    let web_td = seed_web(&sdk).await;

    // Amazon Q Developer subscribes over https; moto posts to whatever URL the endpoint names.
    let received: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let receiver = http_receiver(received.clone());
    let sns = aws_sdk_sns::Client::new(&sdk);
    for protocol in ["https", "http"] {
        sns.subscribe()
            .topic_arn(&seeded.topic_arn)
            .protocol(protocol)
            .endpoint(format!("{}/{protocol}", receiver.endpoint()))
            .send()
            .await
            .expect("subscribe the local receiver");
    }

    let mut oom = crash_event(&seeded.task_definition_arn);
    oom["id"] = "oom-1".into();
    oom["resources"] = json!([task_arn(OOM_TASK)]);
    oom["detail"]["taskArn"] = task_arn(OOM_TASK).into();
    oom["detail"]["stoppedReason"] =
        "OutOfMemoryError: Container killed due to memory usage".into();
    oom["detail"]["containers"][0]["exitCode"] = 137.into();
    oom["detail"]["containers"][0]["reason"] =
        "OutOfMemoryError: Container killed due to memory usage".into();

    let mut worker = crash_event(&worker_td);
    worker["id"] = "worker-1".into();
    worker["resources"] = json!([task_arn(WORKER_TASK)]);
    worker["detail"]["taskArn"] = task_arn(WORKER_TASK).into();
    worker["detail"]["group"] = "service:worker".into();
    worker["detail"]["containers"][0]["name"] = "worker".into();

    let mut web = crash_event(&web_td);
    web["id"] = "web-1".into();
    web["resources"] = json!([task_arn(WEB_TASK)]);
    web["detail"]["taskArn"] = task_arn(WEB_TASK).into();
    web["detail"]["group"] = "service:web".into();
    web["detail"]["stopCode"] = "TaskFailedToStart".into();
    web["detail"]["stoppedReason"] = PULL_FAILED.into();
    web["detail"]["containers"] = json!([{
        "name": "web", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:2.4.0",
        "lastStatus": "STOPPED", "reason": PULL_FAILED
    }]);

    // The rollback's failed deployment (api:2) left a stopped task behind: its cause is the
    // root cause the rollback alert names.
    let status = std::process::Command::new(".venv/bin/python")
        .args(["scripts/demo-seed-rollback.py", &moto.endpoint])
        .status()
        .expect("run scripts/demo-seed-rollback.py");
    assert!(
        status.success(),
        "seeding the rolled-back deployment failed"
    );

    let rollback = json!({
        "version": "0", "id": "rollback-1", "detail-type": "ECS Deployment State Change", "source": "aws.ecs",
        "account": ACCOUNT, "region": REGION, "time": chrono::Utc::now().to_rfc3339(),
        "resources": [format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/api")],
        "detail": {
            "eventType": "ERROR", "eventName": "SERVICE_DEPLOYMENT_IN_PROGRESS",
            "deploymentId": "ecs-svc/9876543210987654321", "updatedAt": chrono::Utc::now().to_rfc3339(),
            "reason": "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1234567890123456789."
        }
    });

    println!("== running the Lambda under `cargo lambda watch`, sending it 4 events with `cargo lambda invoke`");
    // Flood control and the history in DynamoDB, as the stack deploys it.
    support::flood::create_incident_table(&sdk, "ecs-doctor-incidents").await;
    let (bus, incidents_queue) =
        support::flood::incident_stream(&sdk, "ecs-doctor-incidents").await;
    let mut env = aws_env(&moto.endpoint);
    env.push(("TOPIC_ARN", seeded.topic_arn.clone()));
    env.push(("EVENT_BUS_ARN", bus));
    env.push(("DEDUPE_TABLE", "ecs-doctor-incidents".into()));
    let events = [
        ("oom", oom),
        ("worker", worker),
        ("web", web),
        ("rollback", rollback),
    ];
    let watch = CargoLambdaWatch::start(&env);
    for (name, event) in &events {
        let path = std::env::temp_dir().join(format!(
            "ecs-doctor-demo-{}-{name}.json",
            std::process::id()
        ));
        std::fs::write(&path, serde_json::to_vec_pretty(event).unwrap()).unwrap();
        let started = std::time::Instant::now();
        let output = std::process::Command::new("cargo")
            .args([
                "lambda",
                "invoke",
                "ecs-doctor-lambda",
                "--invoke-port",
                &watch.port.to_string(),
                "--data-file",
            ])
            .arg(&path)
            .output()
            .expect("run cargo lambda invoke");
        let _ = std::fs::remove_file(&path);
        println!(
            "-- {name}: cargo lambda invoke answered in {:?}: {}{}",
            started.elapsed(),
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let log = watch.stop();
    for summary in log.lines().filter(|line| line.contains("\"summary\":true")) {
        println!("   summary log line: {summary}");
    }

    println!("\n== SQS (protocol sqs, the machine JSON):");
    for message in seed::receive(&sdk, &seeded.raw_queue_url).await {
        let report: Value =
            serde_json::from_str(message.body().unwrap_or("{}")).unwrap_or_default();
        println!(
            "   {} / {} / {}: {}",
            report["category"], report["severity"], report["resources"]["service"], report["title"]
        );
    }
    println!("\n== SQS with the filter policy severity in [high, critical] (attribute scope):");
    for message in seed::receive(&sdk, &seeded.high_queue_url).await {
        let envelope: Value =
            serde_json::from_str(message.body().unwrap_or("{}")).unwrap_or_default();
        println!("   Subject: {}", envelope["Subject"]);
    }
    std::thread::sleep(Duration::from_millis(500));
    for (path, notification) in received.lock().unwrap().iter() {
        if notification["Type"] != "Notification" {
            continue;
        }
        let body = notification["Message"].as_str().unwrap_or_default();
        match path.as_str() {
            "/https" => {
                println!(
                    "\n== https (Amazon Q Developer custom notification), subject {}:\n{body}",
                    notification["Subject"]
                );
                print_buttons(body);
            }
            _ => {
                let report: Value = serde_json::from_str(body).unwrap_or_default();
                println!(
                    "\n== http (machine JSON): {} gaps: {}",
                    report["category"], report["gaps"]
                );
            }
        }
    }
    // Moto does not deliver email: the `email` body is the same renderer's text for the report
    // that SQS delivered, so it is rebuilt from that report: the web one, which the
    // investigation verified in ECR and compared with the revision before.
    for message in seed::receive(&sdk, &seeded.queue_url).await {
        let envelope: Value =
            serde_json::from_str(message.body().unwrap_or("{}")).unwrap_or_default();
        let Ok(report) = serde_json::from_str::<ecs_doctor::Report>(
            envelope["Message"].as_str().unwrap_or("{}"),
        ) else {
            continue;
        };
        if report.category.id() == "image-pull-not-found" {
            println!(
                "\n== email (the `email` body, rebuilt from the delivered report):\n{}",
                ecs_doctor::render::render(&report).text
            );
        }
    }
    println!("\n== the incident stream (EventBridge bus ecs-doctor-incidents → a rule → SQS, as PagerDuty's API destination would take it):");
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let output = sqs
        .receive_message()
        .queue_url(&incidents_queue)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive the incident events");
    for message in output.messages() {
        let event: Value = serde_json::from_str(message.body().unwrap_or("{}")).unwrap_or_default();
        println!(
            "   {} — dedup_key {} — PagerDuty event_action {}, severity {}",
            event["detail-type"],
            event["detail"]["incident"]["id"],
            event["detail"]["pager"]["event_action"],
            event["detail"]["pager"]["severity"]
        );
    }
    // What the history kept, long after ECS forgets the stopped tasks.
    println!("\n== ecs-doctor history --cluster prod --since 1h (the incidents just diagnosed):");
    let history = std::process::Command::new("target/debug/ecs-doctor")
        .args(["history", "--cluster", CLUSTER, "--since", "1h"])
        .envs(aws_env(&moto.endpoint))
        .env("DEDUPE_TABLE", "ecs-doctor-incidents")
        .output()
        .expect("run ecs-doctor history");
    print!(
        "{}{}",
        String::from_utf8_lossy(&history.stdout),
        String::from_utf8_lossy(&history.stderr)
    );
    drop(moto);
    println!("\n== done: moto stopped");
}

/// A worker service whose container logs a crash on a missing DATABASE_URL.
/// The buttons Amazon Q Developer shows on a card: the stack's custom actions whose variables
/// are all on it, with the command each runs.
fn print_buttons(card: &str) {
    let card: Value = serde_json::from_str(card).unwrap_or_default();
    let context = &card["metadata"]["additionalContext"];
    for action in ecs_doctor::render::actions::CHAT_ACTIONS {
        let mut command = action.command.to_string();
        let mut names: Vec<&&str> = action.variables.iter().collect();
        names.sort_by_key(|name| std::cmp::Reverse(name.len()));
        let shown = names.into_iter().all(|name| match context[*name].as_str() {
            Some(value) => {
                command = command.replace(&format!("${name}"), value);
                true
            }
            None => false,
        });
        if shown {
            println!("   [button] {} → @Amazon Q runs: {command}", action.button);
        }
    }
}

async fn seed_worker(sdk: &aws_config::SdkConfig) -> String {
    let ecs = aws_sdk_ecs::Client::new(sdk);
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let td = ecs
        .register_task_definition()
        .family("worker")
        .container_definitions(
            ContainerDefinition::builder()
                .name("worker")
                .image("111122223333.dkr.ecr.us-east-1.amazonaws.com/worker:2.0.0")
                .memory(256)
                .log_configuration(
                    LogConfiguration::builder()
                        .log_driver(LogDriver::Awslogs)
                        .options("awslogs-group", "/ecs/worker")
                        .options("awslogs-region", REGION)
                        .options("awslogs-stream-prefix", "worker")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let arn = td
        .task_definition()
        .and_then(|td| td.task_definition_arn())
        .unwrap()
        .to_string();
    ecs.create_service()
        .cluster(CLUSTER)
        .service_name("worker")
        .task_definition(&arn)
        .desired_count(2)
        .send()
        .await
        .unwrap();
    logs.create_log_group()
        .log_group_name("/ecs/worker")
        .send()
        .await
        .unwrap();
    seed::crash_lines_in(
        &logs,
        "/ecs/worker",
        &format!("worker/worker/{WORKER_TASK}"),
    )
    .await;
    arn
}

/// A web service whose new revision (web:2) points at a tag that was never pushed to ECR; web:1
/// ran the tag before it with twice the memory and a variable web:2 dropped.
async fn seed_web(sdk: &aws_config::SdkConfig) -> String {
    let ecr = aws_sdk_ecr::Client::new(sdk);
    ecr.create_repository()
        .repository_name("web")
        .send()
        .await
        .unwrap();
    for (tag, seed) in [("2.2.0", 'c'), ("2.3.0", 'd')] {
        ecr.put_image()
            .repository_name("web")
            .image_tag(tag)
            .image_manifest(support::world::manifest(seed))
            .send()
            .await
            .expect("push the web image");
    }
    let ecs = aws_sdk_ecs::Client::new(sdk);
    let mut arn = String::new();
    for (tag, memory, environment) in [
        ("2.3.0", 1024, &["SESSION_SECRET_NAME", "UPSTREAM_URL"][..]),
        ("2.4.0", 512, &["UPSTREAM_URL"][..]),
    ] {
        let mut container = ContainerDefinition::builder()
            .name("web")
            .image(format!(
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:{tag}"
            ))
            .memory(memory);
        for name in environment {
            container = container.environment(
                aws_sdk_ecs::types::KeyValuePair::builder()
                    .name(*name)
                    .value("set")
                    .build(),
            );
        }
        arn = ecs
            .register_task_definition()
            .family("web")
            .container_definitions(container.build())
            .send()
            .await
            .unwrap()
            .task_definition()
            .and_then(|td| td.task_definition_arn())
            .unwrap()
            .to_string();
    }
    ecs.create_service()
        .cluster(CLUSTER)
        .service_name("web")
        .task_definition(&arn)
        .desired_count(2)
        .send()
        .await
        .unwrap();
    arn
}

/// Collects what SNS posts to http(s) subscribers, while the server lives.
fn http_receiver(received: Arc<Mutex<Vec<(String, Value)>>>) -> Server {
    Server::start(move |request, _| {
        let value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        received.lock().unwrap().push((request.path, value));
        Some(Response::empty("200 OK"))
    })
}

/// `cargo lambda watch` serving the function on a free loopback port, with the demo's
/// environment; stopped (with the function it started) by `stop`.
struct CargoLambdaWatch {
    child: std::process::Child,
    port: u16,
    log: PathBuf,
}

impl CargoLambdaWatch {
    fn start(env: &[(&str, String)]) -> CargoLambdaWatch {
        use std::os::unix::process::CommandExt;
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log =
            std::env::temp_dir().join(format!("ecs-doctor-demo-watch-{}.log", std::process::id()));
        let file = std::fs::File::create(&log).unwrap();
        let mut command = std::process::Command::new("cargo");
        command
            .args([
                "lambda",
                "watch",
                "--bin",
                "ecs-doctor-lambda",
                "--invoke-port",
                &port.to_string(),
            ])
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .process_group(0);
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command
            .spawn()
            .expect("start cargo lambda watch (is .venv/bin on PATH? run `make demo`)");
        let deadline = std::time::Instant::now() + Duration::from_secs(300);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "cargo lambda watch did not start; see {}",
                log.display()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        CargoLambdaWatch { child, port, log }
    }

    /// Stops the watcher and the function, and returns what they logged.
    fn stop(mut self) -> String {
        // The whole process group: cargo lambda and the function it runs. `watch` stops on
        // Ctrl-C (SIGINT); SIGKILL if it has not within five seconds.
        let group = format!("-{}", self.child.id());
        let signal = |name: &str| {
            let _ = std::process::Command::new("kill")
                .args([name, "--", &group])
                .status();
        };
        signal("-INT");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while self.child.try_wait().ok().flatten().is_none() && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(100));
        }
        signal("-KILL");
        let _ = self.child.wait();
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let _ = std::fs::remove_file(&self.log);
        log
    }
}
