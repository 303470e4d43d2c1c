//! A local AWS for the integration tests: moto's server on a free loopback port, started per
//! test and killed when the test ends. A test fails (never skips) when moto cannot start.

#![allow(dead_code)]

pub mod canned;
pub mod events;
pub mod flood;
pub mod http;
pub mod overlay;
pub mod runtime_api;
pub mod seed;
pub mod throttle;
pub mod world;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ecs_doctor::aws::{AwsOptions, Clients};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";

/// The report an SQS, Lambda or HTTP subscriber of the all-in-one topic receives, from the
/// published `MessageStructure=json` envelope: its protocol's body, or `default` (as SNS does).
pub fn machine_report(envelope: &str) -> serde_json::Value {
    let envelope: serde_json::Value = serde_json::from_str(envelope).expect("a JSON envelope");
    let body = envelope.get("sqs").unwrap_or(&envelope["default"]);
    serde_json::from_str(body.as_str().expect("a string body")).expect("the machine JSON")
}

/// The environment a child process (the Lambda binary) needs to reach moto.
pub fn aws_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_SESSION_TOKEN", "testing".into()),
        ("AWS_REGION", REGION.into()),
        ("AWS_DEFAULT_REGION", REGION.into()),
        ("AWS_ENDPOINT_URL", endpoint.into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

pub fn venv_bin(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/bin")
        .join(name)
}

/// A running moto server; killed on drop.
pub struct Moto {
    child: Child,
    pub port: u16,
    pub endpoint: String,
    log: PathBuf,
}

impl Moto {
    pub fn start() -> Moto {
        let binary = venv_bin("moto_server");
        assert!(
            binary.exists(),
            "{} is missing: run `make venv` (python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt)",
            binary.display()
        );
        let port = free_port();
        let log = std::env::temp_dir().join(format!("ecs-doctor-moto-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("create the moto log file");
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("clone the log file"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|error| panic!("could not start {}: {error}", binary.display()));
        let mut moto = Moto {
            child,
            port,
            endpoint: format!("http://127.0.0.1:{port}"),
            log,
        };
        moto.wait_until_ready(Duration::from_secs(60));
        moto
    }

    fn wait_until_ready(&mut self, patience: Duration) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "moto_server exited with {status} before answering:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            if http_get_ok(self.port, "/moto-api/") {
                return;
            }
            if started.elapsed() > patience {
                panic!(
                    "moto_server did not answer on port {} within {patience:?}:\n{}",
                    self.port,
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn options(&self) -> AwsOptions {
        AwsOptions {
            endpoint_url: Some(self.endpoint.clone()),
            region: Some(REGION.into()),
            credentials: Some(aws_sdk_ecs::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            )),
            ..AwsOptions::default()
        }
    }

    /// The SDK configuration for moto, requests routed as moto expects them (see overlay.rs).
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        overlay::Overlay::default().wrap(&ecs_doctor::aws::sdk_config(&self.options()).await)
    }

    pub async fn clients(&self) -> Clients {
        Clients::from_conf(&self.sdk_config().await)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

fn http_get_ok(port: u16, path: &str) -> bool {
    let Ok(mut stream) =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))
    else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && &head[9..10] == b"2"
}
