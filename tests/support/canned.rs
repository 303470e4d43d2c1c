//! A canned AWS on loopback for fault tests: ECS, CloudWatch Logs and SNS answer a crashed task's
//! reads from fixed bodies, and any operation can be made to fail: AccessDenied, throttling, a
//! 5xx, a refused connection (the request is sent to a closed port) or a hang. The real SDK
//! clients talk to it through the real HTTP stack, with ecs-doctor's retry and timeout settings.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use ecs_doctor::aws::{AwsOptions, Clients};
use serde_json::json;

use super::events::{cluster_arn, task_arn, task_state_change};
use super::http::{Request, Response, Server};

pub const TD_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7";

/// How one operation fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    AccessDenied,
    Throttled,
    ServerError,
    Refused,
    /// Accepts the request and never answers.
    Hang,
}

impl Fault {
    pub const ALL: [Fault; 5] = [
        Fault::AccessDenied,
        Fault::Throttled,
        Fault::ServerError,
        Fault::Refused,
        Fault::Hang,
    ];
}

#[derive(Default)]
struct State {
    faults: HashMap<String, Fault>,
    /// Operation name → requests received.
    calls: HashMap<String, usize>,
    /// The SNS message bodies received, with when.
    published: Vec<(Instant, String)>,
}

pub struct CannedAws {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
    /// Dropped with the canned AWS: a hanging answer ends then.
    server: Server,
    /// A loopback port nothing listens on.
    closed_port: u16,
}

impl CannedAws {
    pub fn start(faults: &[(&str, Fault)]) -> CannedAws {
        let state = Arc::new(Mutex::new(State {
            faults: faults
                .iter()
                .map(|(operation, fault)| (operation.to_string(), *fault))
                .collect(),
            ..State::default()
        }));
        let server = {
            let state = state.clone();
            Server::start(move |request, stop| respond(request, &state, stop))
        };
        CannedAws {
            endpoint: server.endpoint(),
            state,
            server,
            closed_port: super::free_port(),
        }
    }

    /// Clients with ecs-doctor's SDK settings (`options`), pointed here.
    pub async fn clients(&self, options: AwsOptions) -> Clients {
        let options = AwsOptions {
            endpoint_url: Some(self.endpoint.clone()),
            region: Some(super::REGION.into()),
            credentials: Some(aws_sdk_ecs::config::Credentials::new(
                "testing", "testing", None, None, "canned",
            )),
            ..options
        };
        let sdk = ecs_doctor::aws::sdk_config(&options).await;
        let refusing = Refusing {
            inner: sdk.http_client().expect("an HTTP client"),
            state: self.state.clone(),
            closed_port: self.closed_port,
        };
        let sdk = sdk
            .to_builder()
            .http_client(SharedHttpClient::new(refusing))
            .build();
        Clients::from_conf(&sdk)
    }

    pub fn published(&self) -> Vec<(Instant, String)> {
        self.state.lock().unwrap().published.clone()
    }

    pub fn calls(&self, operation: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .calls
            .get(operation)
            .copied()
            .unwrap_or(0)
    }
}

/// The operation a request calls: `X-Amz-Target` (JSON protocols) or `Action=` (SNS's query).
fn operation_of(target: Option<&str>, body: &[u8]) -> String {
    if let Some(target) = target {
        return target.rsplit('.').next().unwrap_or(target).to_string();
    }
    String::from_utf8_lossy(body)
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .unwrap_or("")
        .to_string()
}

/// Sends the requests of refused operations to a closed port: a real "connection refused".
#[derive(Debug, Clone)]
struct Refusing {
    inner: SharedHttpClient,
    state: Arc<Mutex<State>>,
    closed_port: u16,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("State")
    }
}

impl HttpClient for Refusing {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(RefusingConnector {
            inner: self.inner.http_connector(settings, components),
            state: self.state.clone(),
            closed_port: self.closed_port,
        })
    }
}

#[derive(Debug)]
struct RefusingConnector {
    inner: SharedHttpConnector,
    state: Arc<Mutex<State>>,
    closed_port: u16,
}

impl HttpConnector for RefusingConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        let operation = operation_of(
            request.headers().get("x-amz-target"),
            request.body().bytes().unwrap_or_default(),
        );
        let refused = {
            let mut state = self.state.lock().unwrap();
            let refused = state.faults.get(&operation) == Some(&Fault::Refused);
            if refused {
                *state.calls.entry(operation).or_default() += 1;
            }
            refused
        };
        if refused {
            let uri = format!("http://127.0.0.1:{}/", self.closed_port);
            request.set_uri(uri.as_str()).expect("a valid URI");
        }
        self.inner.call(request)
    }
}

/// The canned answer to one request, or the fault its operation was given.
fn respond(request: Request, state: &Mutex<State>, stop: &AtomicBool) -> Option<Response> {
    let target = request.header("x-amz-target");
    let operation = operation_of(target, &request.body);
    let fault = {
        let mut state = state.lock().unwrap();
        *state.calls.entry(operation.clone()).or_default() += 1;
        if operation == "Publish" && !state.faults.contains_key("Publish") {
            state
                .published
                .push((Instant::now(), form_value(&request.body, "Message")));
        }
        state.faults.get(&operation).copied()
    };
    let (status, content_type, body) = match fault {
        Some(Fault::Hang) => {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
            return None;
        }
        Some(fault) => error(fault, &operation, target.is_none()),
        None => answer(&operation),
    };
    let mut response = Response::new(status, content_type, body);
    response
        .headers
        .push(("x-amzn-RequestId", "canned".to_string()));
    Some(response)
}

fn form_value(body: &[u8], name: &str) -> String {
    let body = String::from_utf8_lossy(body);
    let raw = body
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or("");
    let mut bytes = Vec::new();
    let raw = raw.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => bytes.push(b' '),
            b'%' if i + 2 < raw.len() => {
                let hex = std::str::from_utf8(&raw[i + 1..i + 3]).unwrap_or("00");
                bytes.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            byte => bytes.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

const JSON: &str = "application/x-amz-json-1.1";
const XML: &str = "text/xml";

fn error(fault: Fault, operation: &str, query: bool) -> (&'static str, &'static str, String) {
    let action = match operation {
        "GetLogEvents" => format!("logs:{operation}"),
        "Publish" => "SNS:Publish".to_string(),
        _ => format!("ecs:{operation}"),
    };
    let (status, code, message) = match fault {
        Fault::AccessDenied if query => (
            "403 Forbidden",
            "AuthorizationError",
            format!("User: arn:aws:sts::123456789012:assumed-role/ecs-doctor/fn is not authorized to perform: {action}"),
        ),
        Fault::AccessDenied => (
            "400 Bad Request",
            "AccessDeniedException",
            format!("User: arn:aws:sts::123456789012:assumed-role/ecs-doctor/fn is not authorized to perform: {action}"),
        ),
        Fault::Throttled if query => ("400 Bad Request", "Throttling", "Rate exceeded".to_string()),
        Fault::Throttled => ("400 Bad Request", "ThrottlingException", "Rate exceeded".to_string()),
        Fault::ServerError if query => ("500 Internal Server Error", "InternalError", "internal error".to_string()),
        Fault::ServerError => ("500 Internal Server Error", "ServerException", "internal error".to_string()),
        Fault::Refused | Fault::Hang => unreachable!("not answered"),
    };
    if query {
        let body = format!(
            "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>canned</RequestId></ErrorResponse>"
        );
        (status, XML, body)
    } else {
        (
            status,
            JSON,
            json!({"__type": code, "message": message}).to_string(),
        )
    }
}

/// A crashed task's world: the definition logs to awslogs, the service has nothing running,
/// the log ends in the missing variable.
fn answer(operation: &str) -> (&'static str, &'static str, String) {
    let body = match operation {
        "DescribeTaskDefinition" => json!({"taskDefinition": {
            "taskDefinitionArn": TD_ARN, "family": "api", "revision": 7,
            "containerDefinitions": [{"name": "api", "essential": true, "image": "api:1",
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": "/ecs/api", "awslogs-stream-prefix": "api"}}}]}}),
        "DescribeServices" => json!({"services": [{
            "serviceName": "api",
            "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/prod/api",
            "status": "ACTIVE", "desiredCount": 2, "runningCount": 0, "pendingCount": 1,
            "taskDefinition": TD_ARN, "deployments": [], "events": []}], "failures": []}),
        "ListTasks" => json!({"taskArns": []}),
        "DescribeTasks" => json!({"tasks": [], "failures": []}),
        "GetLogEvents" => json!({"events": [
            {"timestamp": 1_763_632_800_000_i64, "message": "Traceback (most recent call last):", "ingestionTime": 1_763_632_800_001_i64},
            {"timestamp": 1_763_632_800_002_i64, "message": "KeyError: 'DATABASE_URL'", "ingestionTime": 1_763_632_800_003_i64}],
            "nextForwardToken": "f/1", "nextBackwardToken": "b/1"}),
        "Publish" => {
            return (
                "200 OK",
                XML,
                "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult><MessageId>canned-1</MessageId></PublishResult><ResponseMetadata><RequestId>canned</RequestId></ResponseMetadata></PublishResponse>".to_string(),
            )
        }
        _ => {
            return (
                "400 Bad Request",
                JSON,
                json!({"__type": "UnknownOperationException", "message": operation}).to_string(),
            )
        }
    };
    ("200 OK", JSON, body.to_string())
}

/// The crashed task's event in the canned world (task abc123 of TD_ARN, a fixed time); the moto
/// world's is `seed::crash_event`.
pub fn crashed_task() -> serde_json::Value {
    task_state_change(json!({
        "clusterArn": cluster_arn(), "taskArn": task_arn("abc123"),
        "taskDefinitionArn": TD_ARN, "group": "service:api", "lastStatus": "STOPPED",
        "stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited",
        "startedAt": "2026-11-20T09:59:00Z", "stoppedAt": "2026-11-20T10:00:00Z",
        "containers": [{"name": "api", "exitCode": 1, "lastStatus": "STOPPED", "runtimeId": "abc123-1"}]
    }))
    .id("fault-1")
    .at("2026-11-20T10:00:00Z")
    .about(task_arn("abc123"))
    .build()
}
