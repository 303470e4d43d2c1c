//! A failed AWS call becomes a gap that says what could not be seen, why, and what to do.

use std::time::Duration;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::incident::{Gap, GapKind};

/// Turns a failed SDK call into a gap. `what` names the fact ("the service's deployments and
/// events"), `action` the IAM action of the call ("ecs:DescribeServices").
pub fn from_sdk_error<E>(what: &str, action: &str, error: &SdkError<E, HttpResponse>) -> Gap
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = error.code().unwrap_or_default();
    let message = error.message().unwrap_or_default();
    let status = error.raw_response().map(|raw| raw.status().as_u16());
    let detail = match (code.is_empty(), message.is_empty()) {
        (false, false) => format!("{code}: {message}"),
        (false, true) => code.to_string(),
        (true, false) => message.to_string(),
        (true, true) => error_chain(error),
    };
    let gap = |kind: GapKind, reason: String, fix: String| {
        Gap::new(kind, what, reason, fix).with_action(action)
    };
    let lower = code.to_ascii_lowercase();
    if lower.contains("accessdenied")
        || lower.contains("unauthorized")
        || lower.contains("authorizationerror")
        || lower == "unrecognizedclientexception"
        || status == Some(403)
    {
        return gap(
            GapKind::AccessDenied,
            detail,
            format!("grant {action} to the ecs-doctor function's role"),
        );
    }
    if lower.contains("throttl")
        || lower.contains("toomanyrequests")
        || lower.contains("limitexceeded")
        || status == Some(429)
    {
        return gap(
            GapKind::Throttled,
            format!("throttled by AWS ({detail})"),
            format!("{action} was throttled after retries; raise the API rate quota or reduce how many events reach ecs-doctor at once (reserved concurrency)"),
        );
    }
    if let Some(status) = status.filter(|status| *status >= 500) {
        return gap(
            GapKind::Unavailable,
            format!("AWS returned HTTP {status} ({detail})"),
            "a transient AWS error that outlasted the retries; the next event will try again"
                .into(),
        );
    }
    if lower.contains("resourcenotfound") || lower.contains("notfound") {
        return gap(
            GapKind::NotFound,
            detail,
            "the resource does not exist (any more) or lives in another region or account".into(),
        );
    }
    match error {
        SdkError::TimeoutError(_) => gap(
            GapKind::Unavailable,
            "the AWS call timed out (every attempt or the whole call, retries included)".into(),
            "AWS did not answer in time; check the function's network path to the AWS endpoints (VPC endpoints or NAT)".into(),
        ),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => gap(
            GapKind::Unavailable,
            format!("connecting timed out: {}", error_chain(error)),
            "the function could not reach the AWS endpoint; check its VPC routes, NAT or VPC endpoints".into(),
        ),
        SdkError::DispatchFailure(_) => gap(
            GapKind::Unavailable,
            format!("could not send the request: {}", error_chain(error)),
            "the function could not reach the AWS endpoint; check its VPC routes, NAT or VPC endpoints, and its credentials".into(),
        ),
        _ => gap(
            GapKind::Other,
            detail,
            format!("the call to {action} failed; see the reason"),
        ),
    }
}

/// A fact that was not read because the gather budget ran out.
pub fn timed_out(what: &str, budget: Duration) -> Gap {
    Gap::new(
        GapKind::TimedOut,
        what,
        format!("timed out: the {} ms gather budget ran out", budget.as_millis()),
        "raise the function's timeout (or GATHER_BUDGET_MS); ecs-doctor keeps 1.5 s of it to publish",
    )
}

/// The error and its sources on one line: SDK errors hide the useful part in the chain.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
