//! Canned answers in front of the emulator, for what moto cannot produce: an HTTP client that
//! wraps the SDK's own and answers the operations given a canned body (or a rule's answer),
//! passing every other request through to moto. Each test that uses it says which operation
//! moto lacks and why the body is what AWS documents.
//!
//! It also carries the SDK's CloudWatch calls to moto: the SDK speaks Smithy RPCv2 CBOR
//! (`POST /service/GraniteServiceVersion20100801/operation/OPERATION`, a CBOR body), which
//! moto 5.2 cannot read; CloudWatch also serves the awsJson1_0 protocol (same operations, same
//! members, `X-Amz-Target`), which moto does. Requests are translated CBOR → JSON and answers
//! JSON → CBOR, timestamps as CBOR tag 1 (the members named in `TIMESTAMPS`, from the CloudWatch
//! API reference). Nothing else changes: what moto answers is what the probe reads.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

/// The JSON protocols' content type (ECS, DynamoDB, CloudWatch Logs).
pub const AWS_JSON: &str = "application/x-amz-json-1.1";
/// The query protocols' (ELBv2, EC2, CloudWatch, SNS).
pub const XML: &str = "text/xml";

/// What a request is: its operation, and the JSON protocols' target (`DynamoDB_20120810.PutItem`).
#[derive(Debug, Clone)]
pub struct Request {
    pub operation: String,
    pub target: Option<String>,
}

/// A canned answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

type Rule = Arc<dyn Fn(&Request) -> Option<Answer> + Send + Sync>;

/// The rules, and how many requests each operation had answered from them.
#[derive(Clone, Default)]
pub struct Overlay {
    rules: Arc<Mutex<Vec<Rule>>>,
    answered: Arc<Mutex<HashMap<String, usize>>>,
}

impl std::fmt::Debug for Overlay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overlay").finish_non_exhaustive()
    }
}

impl Overlay {
    /// Answers `operation` with `body` (HTTP 200).
    pub fn answer(&self, operation: &str, content_type: &'static str, body: impl Into<String>) {
        let (operation, body) = (operation.to_string(), body.into());
        self.rule(move |request| {
            (request.operation == operation).then(|| Answer {
                status: 200,
                content_type,
                body: body.clone(),
            })
        });
    }

    /// Answers what `rule` answers; later rules are asked first.
    pub fn rule(&self, rule: impl Fn(&Request) -> Option<Answer> + Send + Sync + 'static) {
        self.rules.lock().unwrap().insert(0, Arc::new(rule));
    }

    /// How many requests of `operation` were answered here rather than by moto.
    pub fn answered(&self, operation: &str) -> usize {
        self.answered
            .lock()
            .unwrap()
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    /// `config` with its HTTP client behind this overlay.
    pub fn wrap(&self, config: &aws_config::SdkConfig) -> aws_config::SdkConfig {
        let inner = config.http_client().expect("an HTTP client");
        config
            .to_builder()
            .http_client(SharedHttpClient::new(Wrapped {
                inner,
                overlay: self.clone(),
            }))
            .build()
    }

    fn answer_for(&self, request: &HttpRequest) -> Option<HttpResponse> {
        let request = describe(request);
        let rules = self.rules.lock().unwrap().clone();
        let answer = rules.iter().find_map(|rule| rule(&request))?;
        *self
            .answered
            .lock()
            .unwrap()
            .entry(request.operation.clone())
            .or_default() += 1;
        let mut response = HttpResponse::new(
            StatusCode::try_from(answer.status).expect("a valid status"),
            SdkBody::from(answer.body),
        );
        response
            .headers_mut()
            .insert("content-type", answer.content_type);
        Some(response)
    }
}

/// The operation: the JSON protocols name it in X-Amz-Target, the query protocols in the
/// form body's Action.
fn describe(request: &HttpRequest) -> Request {
    let target = request.headers().get("x-amz-target").map(str::to_string);
    let operation = match &target {
        Some(target) => target.rsplit('.').next().unwrap_or_default().to_string(),
        None => request
            .body()
            .bytes()
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .and_then(|form| {
                form.split('&')
                    .find_map(|pair| pair.strip_prefix("Action="))
                    .map(str::to_string)
            })
            .unwrap_or_default(),
    };
    Request { operation, target }
}

#[derive(Debug)]
struct Wrapped {
    inner: SharedHttpClient,
    overlay: Overlay,
}

impl HttpClient for Wrapped {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(WrappedConnector {
            inner: self.inner.http_connector(settings, components),
            overlay: self.overlay.clone(),
        })
    }
}

#[derive(Debug)]
struct WrappedConnector {
    inner: SharedHttpConnector,
    overlay: Overlay,
}

impl HttpConnector for WrappedConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        let cbor = cbor_to_json(&mut request);
        if let Some(response) = self.overlay.answer_for(&request) {
            return HttpConnectorFuture::ready(Ok(response));
        }
        if !cbor {
            return self.inner.call(request);
        }
        let sent = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            let response = sent.await?;
            let status = response.status();
            let bytes = aws_smithy_types::byte_stream::ByteStream::new(response.into_body())
                .collect()
                .await
                .expect("moto's answer")
                .into_bytes();
            let json: serde_json::Value =
                serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
            let mut body = Vec::new();
            ciborium::into_writer(&to_cbor(&json, false), &mut body).expect("CBOR");
            let mut answer = HttpResponse::new(status, SdkBody::from(body));
            answer
                .headers_mut()
                .insert("content-type", "application/cbor");
            answer
                .headers_mut()
                .insert("smithy-protocol", "rpc-v2-cbor");
            Ok(answer)
        })
    }
}

/// CloudWatch members that are timestamps (tag 1 in CBOR, epoch seconds in JSON).
const TIMESTAMPS: &[&str] = &[
    "Timestamp",
    "Timestamps",
    "StartTime",
    "EndTime",
    "StartDate",
    "EndDate",
    "StateUpdatedTimestamp",
    "StateTransitionedTimestamp",
    "AlarmConfigurationUpdatedTimestamp",
    "LastModified",
];

/// A CBOR request becomes the awsJson1_0 one moto reads; true when it was one.
fn cbor_to_json(request: &mut HttpRequest) -> bool {
    let uri = request.uri().to_string();
    let Some(at) = uri.find("/service/") else {
        return false;
    };
    let mut parts = uri[at + "/service/".len()..].split('/');
    let (Some(service), Some("operation"), Some(operation)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let target = format!("{service}.{operation}");
    let body: ciborium::Value = match request.body().bytes() {
        Some(bytes) if !bytes.is_empty() => ciborium::from_reader(bytes).expect("a CBOR body"),
        _ => ciborium::Value::Map(Vec::new()),
    };
    let json = to_json(&body).to_string();
    let routed = format!("{}/", &uri[..at]);
    request.set_uri(routed.as_str()).expect("a valid URI");
    let headers = request.headers_mut();
    headers.insert("x-amz-target", target);
    headers.insert("content-type", "application/x-amz-json-1.0");
    headers.remove("smithy-protocol");
    headers.insert("content-length", json.len().to_string());
    *request.body_mut() = SdkBody::from(json);
    true
}

fn to_json(value: &ciborium::Value) -> serde_json::Value {
    use ciborium::Value as C;
    use serde_json::Value as J;
    match value {
        C::Integer(n) => J::from(i128::from(*n) as i64),
        C::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        C::Text(text) => J::from(text.clone()),
        C::Bool(b) => J::from(*b),
        C::Null => J::Null,
        C::Tag(_, inner) => to_json(inner),
        C::Bytes(bytes) => J::from(String::from_utf8_lossy(bytes).to_string()),
        C::Array(items) => J::Array(items.iter().map(to_json).collect()),
        C::Map(entries) => J::Object(
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.as_text()?.to_string(), to_json(v))))
                .collect(),
        ),
        _ => J::Null,
    }
}

fn to_cbor(value: &serde_json::Value, timestamp: bool) -> ciborium::Value {
    use ciborium::Value as C;
    use serde_json::Value as J;
    match value {
        J::Number(n) if timestamp => C::Tag(1, Box::new(C::Float(n.as_f64().unwrap_or(0.0)))),
        J::String(text) if timestamp => {
            let seconds = chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| t.timestamp_millis() as f64 / 1000.0)
                .unwrap_or(0.0);
            C::Tag(1, Box::new(C::Float(seconds)))
        }
        J::Number(n) => match n.as_i64() {
            Some(i) => C::Integer(i.into()),
            None => C::Float(n.as_f64().unwrap_or(0.0)),
        },
        J::String(text) => C::Text(text.clone()),
        J::Bool(b) => C::Bool(*b),
        J::Null => C::Null,
        J::Array(items) => C::Array(items.iter().map(|item| to_cbor(item, timestamp)).collect()),
        J::Object(entries) => C::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    (
                        C::Text(k.clone()),
                        to_cbor(v, TIMESTAMPS.contains(&k.as_str())),
                    )
                })
                .collect(),
        ),
    }
}
