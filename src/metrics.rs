//! The function observed the way Lambda users expect: one CloudWatch embedded metric format
//! (EMF) line per invocation, and the Powertools field names (`cold_start`,
//! `function_request_id`, `xray_trace_id`, `function_name`) on it (and, through the
//! invocation's span, on every log line: `crate::logging`).
//!
//! The line carries `"level": "INFO"` ([`METRIC_LINE_LEVEL`]): Lambda's log-level
//! filtering reads `level` (a line without one counts as INFO) and drops what is below the
//! function's ApplicationLogLevel. The metric line is information, not an error, so it is INFO,
//! and the stack keeps ApplicationLogLevel at INFO; a raised level is reported at start as an
//! ERROR (`crate::logging::log_level_problem`). A higher level on the metric line would keep the
//! metrics under a raised setting, but would make every invocation an error in the log.
//!
//! EMF is a JSON object with an `_aws` member that CloudWatch Logs turns into metrics; no crate
//! is needed to write one. Dimensions are kept few on purpose (each combination is a metric you
//! pay for): every metric by `function`; `Invocations` also by `function, outcome`; `Alerts`
//! also by `function, category, severity`. Cluster and ECS service ride along as properties
//! (`cluster`, `ecs_service`: `service` is Powertools' key for the function), for Logs Insights
//! (`filter cluster = "prod"`), not as dimensions.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{json, Map, Value};

/// The default namespace (METRICS_NAMESPACE).
pub const NAMESPACE: &str = "ecs-doctor";

static COLD: AtomicBool = AtomicBool::new(true);

/// The level the metric line is printed at (a JSON line without one counts as INFO, the same):
/// Lambda's log-level filter drops lines below the function's ApplicationLogLevel.
pub const METRIC_LINE_LEVEL: &str = "INFO";

/// Which invocation this is, in Powertools' words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invocation {
    pub function_name: String,
    /// The ARN the function was invoked by (a version or alias ARN when one was called).
    pub function_arn: String,
    /// MB.
    pub function_memory_size: i32,
    pub function_request_id: String,
    pub xray_trace_id: Option<String>,
    /// The first invocation of this execution environment.
    pub cold_start: bool,
}

impl Invocation {
    /// From the Lambda context: the first call in a process is the cold start.
    pub fn from_context(context: &lambda_runtime::Context) -> Invocation {
        let name = &context.env_config.function_name;
        Invocation {
            function_name: if name.is_empty() {
                std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default()
            } else {
                name.clone()
            },
            function_arn: context.invoked_function_arn.clone(),
            function_memory_size: context.env_config.memory,
            function_request_id: context.request_id.clone(),
            xray_trace_id: context.xray_trace_id.clone(),
            cold_start: COLD.swap(false, Ordering::Relaxed),
        }
    }
}

/// What one invocation did, for its metric line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// published, benign, counted, duplicate, below-min-severity, unreadable, publish-failed.
    pub outcome: String,
    /// opened, updated, follow-up, resolved, storm (when a message went out).
    pub message: Option<String>,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub cluster: Option<String>,
    pub service: Option<String>,
    /// Gaps by kind (access-denied, throttled, timed-out …).
    pub gaps: Vec<(&'static str, usize)>,
    pub aws_calls: usize,
    pub verified: usize,
    pub history_failed: bool,
    /// The incident stream (EVENT_BUS_ARN) did not take the message.
    pub stream_failed: bool,
    /// (metric name, milliseconds): DurationTotal, DurationGather …
    pub durations: Vec<(&'static str, f64)>,
}

/// The counts: each 0 or 1 for this invocation, or a number.
fn counts(figures: &Figures) -> Vec<(String, f64)> {
    let is = |outcome: &str| f64::from(u8::from(figures.outcome == outcome));
    let message = |kind: &str| f64::from(u8::from(figures.message.as_deref() == Some(kind)));
    let mut counts: Vec<(String, f64)> = vec![
        ("Invocations".into(), 1.0),
        ("Alerts".into(), is("published")),
        ("Opened".into(), message("opened")),
        ("Updated".into(), message("updated")),
        ("FollowUps".into(), message("follow-up")),
        ("Resolved".into(), message("resolved")),
        ("Storms".into(), message("storm")),
        ("Counted".into(), is("counted")),
        ("Benign".into(), is("benign")),
        ("Duplicates".into(), is("duplicate")),
        ("BelowMinSeverity".into(), is("below-min-severity")),
        ("PublishFailures".into(), is("publish-failed")),
        ("UnreadableEvents".into(), is("unreadable")),
        (
            "HistoryFailures".into(),
            f64::from(u8::from(figures.history_failed)),
        ),
        (
            "StreamFailures".into(),
            f64::from(u8::from(figures.stream_failed)),
        ),
        ("AwsCalls".into(), figures.aws_calls as f64),
        ("VerifiedFacts".into(), figures.verified as f64),
        (
            "Gaps".into(),
            figures.gaps.iter().map(|(_, n)| *n).sum::<usize>() as f64,
        ),
    ];
    for (kind, count) in &figures.gaps {
        counts.push((format!("Gaps{}", camel(kind)), *count as f64));
    }
    counts
}

/// "access-denied" → "AccessDenied".
fn camel(kind: &str) -> String {
    kind.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The EMF line of one invocation.
pub fn emf_line(
    namespace: &str,
    invocation: &Invocation,
    figures: &Figures,
    now_ms: i64,
) -> String {
    let mut root = Map::new();
    let counts = counts(figures);
    let metric = |name: &str, unit: &str| json!({"Name": name, "Unit": unit});
    let mut all: Vec<Value> = counts
        .iter()
        .map(|(name, _)| metric(name, "Count"))
        .collect();
    all.extend(
        figures
            .durations
            .iter()
            .map(|(name, _)| metric(name, "Milliseconds")),
    );
    let mut directives = vec![
        json!({"Namespace": namespace, "Dimensions": [["function"]], "Metrics": all}),
        json!({"Namespace": namespace, "Dimensions": [["function", "outcome"]],
               "Metrics": [metric("Invocations", "Count")]}),
    ];
    if figures.category.is_some() && figures.severity.is_some() {
        directives.push(
            json!({"Namespace": namespace, "Dimensions": [["function", "category", "severity"]],
                               "Metrics": [metric("Alerts", "Count")]}),
        );
    }
    root.insert(
        "_aws".into(),
        json!({"Timestamp": now_ms, "CloudWatchMetrics": directives}),
    );
    let function = if invocation.function_name.is_empty() {
        "local"
    } else {
        &invocation.function_name
    };
    root.insert("level".into(), json!(METRIC_LINE_LEVEL));
    root.insert("function".into(), json!(function));
    root.insert("outcome".into(), json!(figures.outcome));
    for (name, value) in [
        ("category", &figures.category),
        ("severity", &figures.severity),
        ("message", &figures.message),
        ("cluster", &figures.cluster),
        // `service` is Powertools' name for the function itself (crate::logging::SERVICE).
        ("ecs_service", &figures.service),
        ("xray_trace_id", &invocation.xray_trace_id),
    ] {
        if let Some(value) = value {
            root.insert(name.into(), json!(value));
        }
    }
    root.insert(
        "function_request_id".into(),
        json!(invocation.function_request_id),
    );
    root.insert("cold_start".into(), json!(invocation.cold_start));
    for (name, value) in counts {
        root.insert(name, json!(value));
    }
    for (name, value) in &figures.durations {
        root.insert((*name).into(), json!(value));
    }
    Value::Object(root).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_holds_the_directives_and_every_value() {
        let figures = Figures {
            outcome: "published".into(),
            message: Some("opened".into()),
            category: Some("oom".into()),
            severity: Some("high".into()),
            cluster: Some("prod".into()),
            service: Some("api".into()),
            gaps: vec![("access-denied", 1)],
            aws_calls: 6,
            verified: 2,
            history_failed: false,
            stream_failed: false,
            durations: vec![("DurationTotal", 12.5)],
        };
        let invocation = Invocation {
            function_name: "ecs-doctor".into(),
            function_arn: "arn:aws:lambda:eu-west-1:1:function:ecs-doctor".into(),
            function_memory_size: 128,
            function_request_id: "r-1".into(),
            xray_trace_id: None,
            cold_start: true,
        };
        let line: Value = serde_json::from_str(&emf_line(
            NAMESPACE,
            &invocation,
            &figures,
            1_764_000_000_000,
        ))
        .unwrap();
        let directives = line["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 3);
        assert_eq!(
            directives[2]["Dimensions"],
            json!([["function", "category", "severity"]])
        );
        // Every metric named in a directive has its value at the top level (EMF's rule).
        for directive in directives {
            for metric in directive["Metrics"].as_array().unwrap() {
                let name = metric["Name"].as_str().unwrap();
                assert!(line[name].is_number(), "{name}");
            }
            for dimension in directive["Dimensions"][0].as_array().unwrap() {
                assert!(line[dimension.as_str().unwrap()].is_string(), "{dimension}");
            }
        }
        assert_eq!(line["Opened"], 1.0);
        assert_eq!(line["GapsAccessDenied"], 1.0);
        assert_eq!(line["cold_start"], true);
        assert_eq!(line["function"], "ecs-doctor");
    }

    /// Lambda's log-level filtering reads `level`; the stack keeps ApplicationLogLevel at INFO.
    #[test]
    fn the_metric_line_carries_level_info_for_lambdas_log_level_filter() {
        let line: Value = serde_json::from_str(&emf_line(
            NAMESPACE,
            &Invocation::default(),
            &Figures::default(),
            0,
        ))
        .unwrap();
        assert_eq!(line["level"], "INFO");
    }
}
