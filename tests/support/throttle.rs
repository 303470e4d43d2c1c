//! DynamoDB throttled for a while: an HTTP client in front of the emulator's that answers every
//! DynamoDB request with ThrottlingException (HTTP 400, the awsJson error body DynamoDB sends)
//! while the switch is on, and passes everything else through. moto has no throttling of its
//! own; this is the one canned answer here.

#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

/// The switch, and how many requests it refused.
#[derive(Debug, Clone, Default)]
pub struct Throttle {
    on: Arc<AtomicBool>,
    refused: Arc<AtomicUsize>,
}

impl Throttle {
    pub fn set(&self, on: bool) {
        self.on.store(on, Ordering::SeqCst);
    }

    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    /// `config` with its HTTP client wrapped by this switch.
    pub fn wrap(&self, config: &aws_config::SdkConfig) -> aws_config::SdkConfig {
        let inner = config.http_client().expect("an HTTP client");
        config
            .to_builder()
            .http_client(SharedHttpClient::new(Throttling {
                inner,
                throttle: self.clone(),
            }))
            .build()
    }
}

#[derive(Debug)]
struct Throttling {
    inner: SharedHttpClient,
    throttle: Throttle,
}

impl HttpClient for Throttling {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(ThrottlingConnector {
            inner: self.inner.http_connector(settings, components),
            throttle: self.throttle.clone(),
        })
    }
}

#[derive(Debug)]
struct ThrottlingConnector {
    inner: SharedHttpConnector,
    throttle: Throttle,
}

impl HttpConnector for ThrottlingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let dynamodb = request
            .headers()
            .get("x-amz-target")
            .is_some_and(|target| target.starts_with("DynamoDB_"));
        if dynamodb && self.throttle.on.load(Ordering::SeqCst) {
            self.throttle.refused.fetch_add(1, Ordering::SeqCst);
            let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#;
            let mut response =
                HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body));
            response
                .headers_mut()
                .insert("content-type", "application/x-amz-json-1.0");
            return HttpConnectorFuture::ready(Ok(response));
        }
        self.inner.call(request)
    }
}
