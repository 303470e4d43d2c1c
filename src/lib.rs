//! ecs-doctor: diagnoses failed Amazon ECS tasks and deployments.
//!
//! One way through: `event` (typed EventBridge events) → `gather` (an `Incident`: every fact,
//! and the gaps) alongside `investigate` (the probes the hypothesis needs: `Investigation`) →
//! `diagnose` (a pure engine: `Report`, its verified facts concluded from the findings) →
//! `render` (email text, Chatbot JSON, machine JSON) → `notify` (SNS). The Lambda (`src/main.rs`), the command line and the tests
//! are faces on this library.

pub mod arn;
pub mod aws;
pub mod config;
pub mod cut;
pub mod diagnose;
pub mod docs;
pub mod event;
pub mod examine;
pub mod facts;
pub mod gather;
pub mod handler;
pub mod iam;
pub mod incident;
pub mod incidents;
pub mod investigate;
pub mod live;
pub mod logging;
pub mod metrics;
pub mod notify;
pub mod outcome;
#[cfg(test)]
mod readme;
pub mod redact;
pub mod render;
pub mod report;
pub mod stream;

pub use event::{parse, EcsEvent};
pub use incident::Incident;
pub use report::{Category, Report, Severity};

/// Diagnoses one incident (the pure engine, [`diagnose::diagnose`]) and names the incident
/// flood control files it under ([`incidents::incident_ref`]): the report every face starts from.
pub fn diagnose(incident: &Incident) -> Report {
    let mut report = diagnose::diagnose(incident);
    report.incident = incidents::incident_ref(incident);
    report
}
