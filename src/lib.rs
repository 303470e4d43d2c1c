//! ecs-doctor: diagnoses failed Amazon ECS tasks and deployments.
//!
//! One way through: `event` (typed EventBridge events) → `gather` (an `Incident`: every fact,
//! and the gaps) alongside `investigate` (the probes the hypothesis needs: `Findings`) →
//! `diagnose` (a pure engine: `Report`, its verified facts concluded from the findings) →
//! `render` (email text, Chatbot JSON, machine JSON) → `notify` (SNS). The Lambda (`src/main.rs`), the command line and the tests
//! are faces on this library.

pub mod arn;
pub mod aws;
pub mod config;
pub mod diagnose;
pub mod docs;
pub mod event;
pub mod examine;
pub mod gather;
pub mod handler;
pub mod incident;
pub mod incidents;
pub mod investigate;
pub mod live;
pub mod logging;
pub mod metrics;
pub mod notify;
pub mod redact;
pub mod render;
pub mod report;
pub mod stream;
pub mod text;

pub use diagnose::diagnose;
pub use event::{parse, EcsEvent};
pub use incident::Incident;
pub use report::{Category, Report, Severity};
