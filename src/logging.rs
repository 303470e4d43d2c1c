//! The function's log, the way Lambda and Powertools users read it: one JSON object per line,
//! `level` on every line (Lambda's log-level filtering reads it), and the invocation's keys —
//! `service`, `function_name`, `function_arn`, `function_memory_size`, `function_request_id`,
//! `xray_trace_id`, `cold_start` — on every line of the invocation, warnings included: they are
//! the fields of the invocation's span ([`invocation_span`]), which the formatter writes at the
//! top level of each line ([`FlatSpans`]).
//!
//! The levels: Lambda drops application log lines below the function's ApplicationLogLevel
//! (AWS_LAMBDA_LOG_LEVEL), and a JSON line without `level` counts as INFO. The summary line and
//! the metric line are INFO, as they are (an invocation that went well is no warning); so the
//! stack keeps ApplicationLogLevel at INFO, and [`log_level_problem`] says at start, as an
//! ERROR, when it was raised: above INFO, the metric line — and with it the UnreadableEvents
//! alarm and the dashboard — would be dropped.

use std::fmt;

use serde_json::{Map, Value};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::{Format, Json, JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;

use crate::metrics::Invocation;

/// Powertools' `service`: what the function is.
pub const SERVICE: &str = "ecs-doctor";

/// The level the metric line is printed at (declared with the line, in `metrics`).
pub use crate::metrics::METRIC_LINE_LEVEL;

/// The JSON lines of tracing-subscriber, with the fields of the spans an event is in written
/// at the top level beside the event's own (an event's own field wins over a span's).
pub struct FlatSpans {
    inner: Format<Json>,
}

impl Default for FlatSpans {
    fn default() -> Self {
        FlatSpans {
            inner: tracing_subscriber::fmt::format()
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false)
                .with_target(false)
                .with_ansi(false),
        }
    }
}

impl<S, N> FormatEvent<S, N> for FlatSpans
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    N: for<'writer> FormatFields<'writer> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(&line) else {
            return writer.write_str(&line);
        };
        if let Some(scope) = ctx.event_scope() {
            for span in scope {
                let extensions = span.extensions();
                let Some(fields) = extensions.get::<FormattedFields<N>>() else {
                    continue;
                };
                if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(&fields.fields) {
                    merge(&mut object, fields);
                }
            }
        }
        writeln!(writer, "{}", Value::Object(object))
    }
}

/// Adds the span's fields the line does not have yet (the innermost span is read first).
fn merge(line: &mut Map<String, Value>, fields: Map<String, Value>) {
    for (name, value) in fields {
        line.entry(name).or_insert(value);
    }
}

/// The function's subscriber: JSON lines through `writer`, filtered by `filter`.
pub fn subscriber<W>(writer: W, filter: Targets) -> impl Subscriber + Send + Sync
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .fmt_fields(JsonFields::new())
        .event_format(FlatSpans::default())
        .with_writer(writer)
        .finish()
        .with(filter)
}

/// The filter: RUST_LOG for development (`info`, `ecs_doctor=debug,info`: target=level
/// directives, without EnvFilter's regular expressions, which would be the binary's only ones),
/// else AWS_LAMBDA_LOG_LEVEL (what the console's "log level" sets), else INFO.
pub fn filter(rust_log: Option<&str>, lambda_log_level: Option<&str>) -> Targets {
    rust_log
        .map(str::to_string)
        .or_else(|| {
            lambda_log_level.map(|level| level.to_ascii_lowercase().replace("fatal", "error"))
        })
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

/// What to tell the operator when ApplicationLogLevel (AWS_LAMBDA_LOG_LEVEL) is above INFO:
/// Lambda would drop the summary and the metric lines, and so the metrics, the dashboard and
/// the UnreadableEvents alarm. None at INFO, DEBUG or TRACE, or when it is not set.
pub fn log_level_problem(lambda_log_level: Option<&str>) -> Option<String> {
    let level = lambda_log_level?.trim().to_ascii_uppercase();
    matches!(level.as_str(), "WARN" | "ERROR" | "FATAL").then(|| {
        format!(
            "ApplicationLogLevel is {level}: Lambda drops the INFO summary and metric lines, so ecs-doctor's metrics, its dashboard and the UnreadableEvents alarm go silent; set the function's ApplicationLogLevel to INFO (template.yaml keeps it there)"
        )
    })
}

/// The invocation's span: its fields are on every line logged while it runs.
pub fn invocation_span(invocation: &Invocation) -> tracing::Span {
    let span = tracing::info_span!(
        "invocation",
        service = SERVICE,
        function_name = %invocation.function_name,
        function_arn = %invocation.function_arn,
        function_memory_size = invocation.function_memory_size,
        function_request_id = %invocation.function_request_id,
        xray_trace_id = tracing::field::Empty,
        cold_start = invocation.cold_start,
    );
    if let Some(trace) = &invocation.xray_trace_id {
        span.record("xray_trace_id", trace.as_str());
    }
    span
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// The lines a subscriber wrote.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Lines {
        fn json(&self) -> Vec<Value> {
            String::from_utf8(self.0.lock().unwrap().clone())
                .unwrap()
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect()
        }
    }

    fn invocation() -> Invocation {
        Invocation {
            function_name: "ecs-doctor".into(),
            function_arn: "arn:aws:lambda:eu-west-1:111122223333:function:ecs-doctor".into(),
            function_memory_size: 128,
            function_request_id: "8f5f6c1e-5f0b-4d0c-9f4e-0b1c2d3e4f50".into(),
            xray_trace_id: Some("Root=1-5759e988-bd862e3fe1be46a994272793".into()),
            cold_start: true,
        }
    }

    #[test]
    fn every_line_of_an_invocation_carries_the_powertools_keys_warnings_included() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = subscriber(move || writer.clone(), filter(None, None));
        tracing::subscriber::with_default(subscriber, || {
            let _entered = invocation_span(&invocation()).entered();
            tracing::warn!(error = "throttled", "flood control falls back to memory");
            tracing::info!(
                summary = true,
                outcome = "published",
                "ecs-doctor invocation"
            );
        });
        let lines = lines.json();
        assert_eq!(lines.len(), 2, "{lines:#?}");
        for line in &lines {
            assert_eq!(line["service"], "ecs-doctor", "{line}");
            assert_eq!(line["function_name"], "ecs-doctor");
            assert_eq!(
                line["function_arn"],
                "arn:aws:lambda:eu-west-1:111122223333:function:ecs-doctor"
            );
            assert_eq!(line["function_memory_size"], 128);
            assert_eq!(
                line["function_request_id"],
                "8f5f6c1e-5f0b-4d0c-9f4e-0b1c2d3e4f50"
            );
            assert_eq!(
                line["xray_trace_id"],
                "Root=1-5759e988-bd862e3fe1be46a994272793"
            );
            assert_eq!(line["cold_start"], true);
            assert!(line.get("span").is_none(), "flattened, not nested: {line}");
        }
        assert_eq!(lines[0]["level"], "WARN");
        assert_eq!(lines[0]["error"], "throttled");
        assert_eq!(lines[1]["level"], "INFO");
        assert_eq!(lines[1]["outcome"], "published");
    }

    #[test]
    fn a_line_outside_an_invocation_has_no_invocation_keys() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = subscriber(move || writer.clone(), filter(None, None));
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!("ecs-doctor cannot start");
        });
        let lines = lines.json();
        assert_eq!(lines[0]["level"], "ERROR");
        assert!(lines[0].get("function_request_id").is_none());
    }

    #[test]
    fn a_log_level_above_info_is_said_to_silence_the_metrics() {
        for level in ["WARN", "error", "FATAL"] {
            let problem = log_level_problem(Some(level)).unwrap();
            assert!(problem.contains("set the function's ApplicationLogLevel to INFO"));
        }
        for level in [None, Some("INFO"), Some("DEBUG"), Some("TRACE")] {
            assert_eq!(log_level_problem(level), None, "{level:?}");
        }
    }
}
