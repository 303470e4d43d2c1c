//! The lifecycle hook that failed a deployment: its function's own last error lines, read from
//! its log group (`/aws/lambda/NAME`, `logs:FilterLogEvents`, error lines only, since shortly
//! before the deployment failed). Scrubbed like any log. Run under the `deployment` probe.

use chrono::{Duration, Utc};

use super::Probed;
use crate::aws::{gaps, Ctx};
use crate::facts::hooks::*;

/// How many error lines are kept (the newest).
const LINES: usize = 5;
/// How far before the event the function's log is read.
const LOOK_BACK_MINUTES: i64 = 60;
/// The words an error line of a hook function carries (Python, Node, Java, Go runtimes and the
/// hook's own `FAILED` verdict).
const FILTER: &str = "?ERROR ?Error ?error ?FAILED ?Failed ?Exception ?Traceback ?panic";

fn error_line(line: &str) -> bool {
    FILTER
        .split_whitespace()
        .any(|term| line.contains(term.trim_start_matches('?')))
}

/// Reads the hook function's newest error lines.
pub async fn probe(ctx: &Ctx<'_>, ask: &HookAsk) -> Probed<HookLog> {
    let log_group = ask.log_group();
    let what = format!("the log of hook function {}", ask.function_name());
    let region = crate::arn::region_of(&ask.function_arn);
    let since = ask.at.unwrap_or_else(Utc::now) - Duration::minutes(LOOK_BACK_MINUTES);
    ctx.count_call();
    let output = ctx
        .clients
        .logs_in(region)
        .filter_log_events()
        .log_group_name(&log_group)
        .filter_pattern(FILTER)
        .start_time(since.timestamp_millis())
        .limit(50)
        .send()
        .await
        .map_err(|error| gaps::from_sdk_error(&what, crate::iam::LOGS_FILTER_LOG_EVENTS, &error))?;
    let raw = crate::gather::logs::lines_of(output.events().iter().filter_map(|e| e.message()));
    // The pattern chose the lines on AWS; they are chosen again here, so that a log read
    // another way (an emulator that ignores `?term` patterns) gives the same lines.
    let errors: Vec<String> = raw.into_iter().filter(|line| error_line(line)).collect();
    let newest = &errors[errors.len().saturating_sub(LINES)..];
    Ok(HookLog {
        function: ask.function_name().to_string(),
        function_arn: ask.function_arn.clone(),
        lifecycle_stage: ask.lifecycle_stage.clone(),
        log_group,
        lines: crate::redact::scrub_lines(newest)
            .into_iter()
            .map(|line| crate::cut::truncate(&line, 500))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hook_function_and_its_stage_come_from_the_reason() {
        let ask = HookAsk::from_reason(
            "Service deployment rolled back because TEST_TRAFFIC_SHIFT lifecycle hook(s) failed. Lifecycle hook target arn:aws:lambda:us-west-2:123456789012:function:myHook returned FAILED status.",
            None,
        )
        .unwrap();
        assert_eq!(ask.function_name(), "myHook");
        assert_eq!(ask.lifecycle_stage.as_deref(), Some("TEST_TRAFFIC_SHIFT"));
        assert_eq!(ask.log_group(), "/aws/lambda/myHook");
        assert!(HookAsk::from_reason(
            "ECS deployment circuit breaker: task failed to start.",
            None
        )
        .is_none());
    }
}
