//! DynamoDB throttled for a while: an overlay in front of the emulator that answers every
//! DynamoDB request with ThrottlingException (HTTP 400, the awsJson error body DynamoDB sends)
//! while the switch is on, and passes everything else through. moto has no throttling of its
//! own; this is the one canned answer here.

#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use super::overlay::{Answer, Overlay};

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
        let overlay = Overlay::default();
        let throttle = self.clone();
        overlay.rule(move |request| {
            let dynamodb = request
                .target
                .as_deref()
                .is_some_and(|target| target.starts_with("DynamoDB_"));
            if !dynamodb || !throttle.on.load(Ordering::SeqCst) {
                return None;
            }
            throttle.refused.fetch_add(1, Ordering::SeqCst);
            Some(Answer {
                status: 400,
                content_type: "application/x-amz-json-1.0",
                body: r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#.into(),
            })
        });
        overlay.wrap(config)
    }
}
