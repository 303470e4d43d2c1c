//! ecs-doctor: diagnoses failed Amazon ECS tasks and deployments.
//!
//! One way through: `event` (typed EventBridge events) → `gather` (an `Incident`: every fact,
//! and the gaps) → `diagnose` (a pure engine: `Report`) → `render` (email text, Chatbot JSON,
//! machine JSON) → `notify` (SNS). The Lambda (`src/main.rs`), the command line and the tests
//! are faces on this library.

pub mod aws;
pub mod config;
pub mod crossaccount;
pub mod diagnose;
pub mod docs;
pub mod event;
pub mod gather;
pub mod handler;
pub mod incident;
pub mod incidents;
pub mod live;
pub mod notify;
pub mod redact;
pub mod render;
pub mod report;

pub use diagnose::diagnose;
pub use event::{parse, EcsEvent};
pub use incident::Incident;
pub use report::{Category, Report, Severity};

/// Compiles the rule catalog's and the scrubber's regexes by diagnosing and rendering a small
/// built-in event. The Lambda runs it on a thread at start, so the first event does not pay
/// for it (their statics are shared: an event that arrives first simply waits for them).
pub fn warm_up() {
    const SAMPLE: &str = r#"{"version":"0","id":"warm-up","detail-type":"ECS Task State Change","source":"aws.ecs",
        "account":"000000000000","region":"us-east-1","resources":[],
        "detail":{"lastStatus":"STOPPED","stoppedReason":"Essential container in task exited",
                  "containers":[{"name":"app","exitCode":1,"reason":"CannotPullContainerError: token=x"}]}}"#;
    if let Ok(event) = parse(SAMPLE.as_bytes()) {
        let mut incident = Incident::from_event(event);
        incident.logs.push(incident::LogTail {
            container: "app".into(),
            lines: vec!["KeyError: 'DATABASE_URL' password=hunter2".into()],
            ..incident::LogTail::default()
        });
        let _ = render::render(&diagnose(&incident));
    }
}
