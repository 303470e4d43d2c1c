//! A tiny Lambda Runtime API on loopback: serves events to a real Lambda binary the way the
//! Lambda service does (`/2018-06-01/runtime/invocation/next`, `/response`, `/error`), records
//! the answers and the wall time of each, on the tests' one small server (http.rs).

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::http::{Request, Response, Server};

/// One event's round trip.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    /// `Ok(response)` or `Err(error document)`.
    pub result: Result<Value, Value>,
    /// From handing the event out to receiving the answer.
    pub wall: Duration,
}

/// What a run produced: the invocations in order and the binary's output (its JSON logs).
#[derive(Debug)]
pub struct Run {
    pub invocations: Vec<Invocation>,
    pub init_error: Option<Value>,
    pub output: String,
}

#[derive(Default)]
struct State {
    queue: VecDeque<(String, Value)>,
    handed_out: HashMap<String, Instant>,
    done: Vec<Invocation>,
    init_error: Option<Value>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    timeout_ms: u64,
}

/// Runs `binary` against the events, one at a time, with `timeout` as each invocation's
/// Lambda deadline; returns when every event is answered (or `patience` runs out).
pub fn run_lambda(
    binary: &Path,
    env: &[(&str, String)],
    events: Vec<Value>,
    timeout: Duration,
    patience: Duration,
) -> Run {
    let count = events.len();
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: events
                .into_iter()
                .enumerate()
                .map(|(i, event)| (format!("req-{i:04}"), event))
                .collect(),
            ..State::default()
        }),
        changed: Condvar::new(),
        timeout_ms: timeout.as_millis() as u64,
    });
    let server = {
        let shared = shared.clone();
        Server::start(move |request, stop| route(request, &shared, stop))
    };
    let address = server.address;

    let output_path =
        std::env::temp_dir().join(format!("ecs-doctor-lambda-{}.log", address.port()));
    let output_file = std::fs::File::create(&output_path).expect("create the lambda log file");
    let mut child = Command::new(binary)
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "ecs-doctor")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/ecs-doctor")
        // As Lambda runs it (template.yaml sets neither): the function trusts Amazon Trust
        // Services' roots, so every client it builds here loads them.
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(output_file.try_clone().expect("clone the log file"))
        .stderr(output_file)
        .spawn()
        .unwrap_or_else(|error| panic!("could not start {}: {error}", binary.display()));

    let started = Instant::now();
    {
        let mut state = shared.state.lock().unwrap();
        while state.done.len() < count && state.init_error.is_none() && started.elapsed() < patience
        {
            if matches!(child.try_wait(), Ok(Some(_))) {
                break;
            }
            state = shared
                .changed
                .wait_timeout(state, Duration::from_millis(100))
                .unwrap()
                .0;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    drop(server);
    let output = std::fs::read_to_string(&output_path).unwrap_or_default();
    let _ = std::fs::remove_file(&output_path);
    let mut state = shared.state.lock().unwrap();
    Run {
        invocations: std::mem::take(&mut state.done),
        init_error: state.init_error.take(),
        output,
    }
}

/// The Runtime API's routes: hand out the next event (a long poll), take an answer or an error.
fn route(request: Request, shared: &Shared, stop: &AtomicBool) -> Option<Response> {
    let accepted = || {
        Some(Response::new(
            "202 Accepted",
            "application/json",
            b"{\"status\":\"OK\"}".to_vec(),
        ))
    };
    let (method, path, body) = (request.method, request.path, request.body);
    if method == "GET" && path.ends_with("/runtime/invocation/next") {
        let mut state = shared.state.lock().unwrap();
        loop {
            if let Some((id, event)) = state.queue.pop_front() {
                state.handed_out.insert(id.clone(), Instant::now());
                let deadline = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_millis() as u64
                    + shared.timeout_ms;
                let mut response = Response::new("200 OK", "application/json", event.to_string());
                response.headers.extend([
                    ("Lambda-Runtime-Aws-Request-Id", id),
                    ("Lambda-Runtime-Deadline-Ms", deadline.to_string()),
                    (
                        "Lambda-Runtime-Invoked-Function-Arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:ecs-doctor".to_string(),
                    ),
                    (
                        "Lambda-Runtime-Trace-Id",
                        "Root=1-00000000-000000000000000000000000".to_string(),
                    ),
                ]);
                return Some(response);
            }
            if stop.load(Ordering::SeqCst) {
                return None;
            }
            state = shared
                .changed
                .wait_timeout(state, Duration::from_millis(100))
                .unwrap()
                .0;
        }
    }
    let parsed: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let mut state = shared.state.lock().unwrap();
    if method == "POST" && path.ends_with("/runtime/init/error") {
        state.init_error = Some(parsed);
        shared.changed.notify_all();
        return accepted();
    }
    let mut parts = path.trim_start_matches('/').split('/');
    // 2018-06-01 / runtime / invocation / {id} / response|error
    let (Some(_), Some("runtime"), Some("invocation"), Some(id), Some(kind)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Some(Response::empty("404 Not Found"));
    };
    let wall = state
        .handed_out
        .remove(id)
        .map(|at| at.elapsed())
        .unwrap_or_default();
    let result = if kind == "response" {
        Ok(parsed)
    } else {
        Err(parsed)
    };
    state.done.push(Invocation {
        request_id: id.to_string(),
        result,
        wall,
    });
    shared.changed.notify_all();
    accepted()
}
