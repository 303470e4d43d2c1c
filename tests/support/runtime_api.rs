//! A tiny Lambda Runtime API on loopback: serves events to a real Lambda binary the way the
//! Lambda service does (`/2018-06-01/runtime/invocation/next`, `/response`, `/error`), records
//! the answers and the wall time of each. Standard library only, so the demo can reuse it.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

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
    stop: AtomicBool,
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
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the runtime API");
    let address = listener.local_addr().expect("runtime API address");
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
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
        stop: AtomicBool::new(false),
        timeout_ms: timeout.as_millis() as u64,
    });
    let server = {
        let shared = shared.clone();
        std::thread::spawn(move || serve(listener, shared))
    };

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
    shared.stop.store(true, Ordering::SeqCst);
    shared.changed.notify_all();
    let _ = server.join();
    let output = std::fs::read_to_string(&output_path).unwrap_or_default();
    let _ = std::fs::remove_file(&output_path);
    let mut state = shared.state.lock().unwrap();
    Run {
        invocations: std::mem::take(&mut state.done),
        init_error: state.init_error.take(),
        output,
    }
}

fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = Vec::new();
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let shared = shared.clone();
                connections.push(std::thread::spawn(move || connection(stream, shared)));
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(_) => break,
        }
    }
    for connection in connections {
        let _ = connection.join();
    }
}

fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut writer = stream.try_clone().expect("clone the stream");
    let mut reader = BufReader::new(stream);
    while !shared.stop.load(Ordering::SeqCst) {
        let Some((method, path, body)) = (match read_request(&mut reader, &shared.stop) {
            Ok(request) => request,
            Err(_) => return,
        }) else {
            return;
        };
        let reply = route(&method, &path, body, &shared);
        let Some((status, headers, body)) = reply else {
            return;
        };
        let mut response = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
        for (name, value) in headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str("\r\n");
        if writer
            .write_all(response.as_bytes())
            .and_then(|_| writer.write_all(&body))
            .is_err()
        {
            return;
        }
    }
}

type Reply = (&'static str, Vec<(&'static str, String)>, Vec<u8>);

fn route(method: &str, path: &str, body: Vec<u8>, shared: &Shared) -> Option<Reply> {
    let accepted = || {
        Some((
            "202 Accepted",
            vec![("Content-Type", "application/json".to_string())],
            b"{\"status\":\"OK\"}".to_vec(),
        ))
    };
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
                let headers = vec![
                    ("Content-Type", "application/json".to_string()),
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
                ];
                return Some(("200 OK", headers, event.to_string().into_bytes()));
            }
            if shared.stop.load(Ordering::SeqCst) {
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
        return Some(("404 Not Found", Vec::new(), Vec::new()));
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

/// Reads one HTTP/1.1 request (Content-Length or chunked). `Ok(None)`: the peer closed.
pub fn read_request(
    reader: &mut BufReader<TcpStream>,
    stop: &AtomicBool,
) -> std::io::Result<Option<(String, String, Vec<u8>)>> {
    let mut line = String::new();
    loop {
        match reader.read_line(&mut line) {
            Ok(0) => return Ok(None),
            Ok(_) if line.trim().is_empty() => line.clear(),
            Ok(_) => break,
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if stop.load(Ordering::SeqCst) {
                    return Ok(None);
                }
            }
            Err(error) => return Err(error),
        }
    }
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or_default().to_string();
    let path = words.next().unwrap_or_default().to_string();
    let mut content_length = 0usize;
    let mut chunked = false;
    loop {
        let mut header = String::new();
        read_line_patiently(reader, &mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.trim().parse().unwrap_or(0),
                "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
                _ => {}
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size_line = String::new();
            read_line_patiently(reader, &mut size_line)?;
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            read_exact_patiently(reader, &mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(content_length, 0);
        read_exact_patiently(reader, &mut body)?;
    }
    Ok(Some((method, path, body)))
}

fn read_line_patiently(
    reader: &mut BufReader<TcpStream>,
    line: &mut String,
) -> std::io::Result<()> {
    let started = Instant::now();
    loop {
        match reader.read_line(line) {
            Ok(_) => return Ok(()),
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) && started.elapsed() < Duration::from_secs(10) => {}
            Err(error) => return Err(error),
        }
    }
}

fn read_exact_patiently(
    reader: &mut BufReader<TcpStream>,
    buffer: &mut [u8],
) -> std::io::Result<()> {
    let mut filled = 0;
    let started = Instant::now();
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) && started.elapsed() < Duration::from_secs(10) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}
