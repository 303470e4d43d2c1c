//! Publishes one report to SNS: one message whose body differs per protocol
//! (`MessageStructure=json`), within SNS's size limit.
//!
//! - `default`, `email`: the email text;
//! - `email-json`, `sqs`, `lambda`, `http`, `firehose`: the machine JSON;
//! - `https`: the Amazon Q Developer (AWS Chatbot) custom notification, which subscribes over https.
//!
//! SNS sends message attributes only with `MessageStructure=string`; ecs-doctor still sets them
//! (severity, category, cluster, service, account, region) for subscribers that read them, and the
//! machine JSON carries the same keys at its top level, so filter policies should use
//! `FilterPolicyScope=MessageBody`.

use aws_sdk_sns::types::MessageAttributeValue;
use serde_json::json;

use crate::gather::gaps;
use crate::incident::{Gap, GapKind};
use crate::render::{render, Rendered};
use crate::report::Report;
use crate::text::truncate_in_place;

/// SNS's limit for a whole message, attributes included: 256 KiB.
pub const SNS_MAX_BYTES: usize = 256 * 1024;
/// Room kept for the subject and SNS's own accounting.
const MARGIN_BYTES: usize = 2 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("could not publish to {topic_arn}: {reason}; {fix}")]
    Publish {
        topic_arn: String,
        reason: String,
        fix: String,
    },
    #[error(
        "the report does not fit in an SNS message even cut down ({bytes} bytes > {SNS_MAX_BYTES})"
    )]
    TooLarge { bytes: usize },
}

/// A message ready for SNS.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub subject: String,
    /// The per-protocol JSON envelope.
    pub body: String,
    /// Name → value, the empty ones left out.
    pub attributes: Vec<(&'static str, String)>,
    /// What was cut to fit SNS's limit, in order.
    pub cut: Vec<String>,
}

impl Message {
    /// The bytes SNS counts: the body and every attribute's name, type and value.
    pub fn size(&self) -> usize {
        self.body.len()
            + self
                .attributes
                .iter()
                .map(|(name, value)| name.len() + "String".len() + value.len())
                .sum::<usize>()
    }
}

/// The per-protocol envelope of one rendering.
pub fn envelope(rendered: &Rendered) -> String {
    json!({
        "default": rendered.text,
        "email": rendered.text,
        "email-json": rendered.json,
        "sqs": rendered.json,
        "lambda": rendered.json,
        "http": rendered.json,
        "https": rendered.chatbot,
        "firehose": rendered.json,
    })
    .to_string()
}

/// The message attributes: what subscribers filter on.
pub fn attributes(report: &Report) -> Vec<(&'static str, String)> {
    report
        .places()
        .into_iter()
        .filter(|place| place.filterable)
        .map(|place| (place.key, place.value))
        .collect()
}

/// Builds the message, cutting the report down step by step until it fits in SNS's limit.
/// Each cut is named in `cut` and, for readers, as a gap in the report itself.
pub fn prepare(report: &Report, rendered: Rendered) -> Result<Message, NotifyError> {
    let limit = SNS_MAX_BYTES - MARGIN_BYTES;
    let attributes = attributes(report);
    let message = |rendered: &Rendered, cut: Vec<String>| Message {
        // Clean already: one line, under 100 characters (render::text::subject).
        subject: rendered.subject.clone(),
        body: envelope(rendered),
        attributes: attributes.clone(),
        cut,
    };
    let first = message(&rendered, Vec::new());
    if first.size() <= limit {
        return Ok(first);
    }
    // Scrubbed before anything is cut: a cut secret's head must not survive for the scrubber
    // to miss.
    let mut report = crate::render::scrubbed(report);
    let mut cut = Vec::new();
    let mut last_size = first.size();
    for step in SHRINK_STEPS {
        let Some(what) = step(&mut report) else {
            continue;
        };
        cut.push(what);
        let mut noted = report.clone();
        noted.gaps.push(Gap::new(
            GapKind::Other,
            "part of this report",
            format!("cut to fit SNS's 256 KiB message limit: {}", cut.join("; ")),
            "run `ecs-doctor diagnose` for the whole report, or read the logs in CloudWatch",
        ));
        let candidate = message(&render(&noted), cut.clone());
        last_size = candidate.size();
        if last_size <= limit {
            return Ok(candidate);
        }
    }
    Err(NotifyError::TooLarge { bytes: last_size })
}

type Shrink = fn(&mut Report) -> Option<String>;

/// Cheapest loss first: the log excerpt is one click away in CloudWatch.
const SHRINK_STEPS: &[Shrink] = &[
    |report| {
        let lines = std::mem::take(&mut report.log_excerpt).len();
        (lines > 0).then(|| format!("the log excerpt ({lines} lines)"))
    },
    |report| {
        let before = report.evidence.len();
        report.evidence.truncate(10);
        let mut changed = before != report.evidence.len();
        for evidence in &mut report.evidence {
            changed |= truncate_in_place(&mut evidence.text, 500);
        }
        changed
            .then(|| format!("evidence truncated ({before} items to at most 10 of 500 characters)"))
    },
    |report| {
        let mut changed = truncate_in_place(&mut report.summary, 2_000);
        changed |= report.findings.len() > 5;
        report.findings.truncate(5);
        for finding in &mut report.findings {
            changed |= truncate_in_place(&mut finding.text, 500);
        }
        for gap in &mut report.gaps {
            changed |= truncate_in_place(&mut gap.reason, 500);
        }
        changed.then(|| "summary, findings and gaps truncated".to_string())
    },
    |report| {
        let evidence = std::mem::take(&mut report.evidence).len();
        let findings = std::mem::take(&mut report.findings).len();
        report.gaps.truncate(5);
        report.next_steps.truncate(5);
        Some(format!(
            "all evidence ({evidence}) and findings ({findings}) dropped"
        ))
    },
];

/// Publishes the message; an error means the report did not leave (the invocation must fail so
/// Lambda retries it).
pub async fn send(
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
    message: &Message,
) -> Result<Option<String>, NotifyError> {
    let mut request = sns
        .publish()
        .topic_arn(topic_arn)
        .message_structure("json")
        .subject(&message.subject)
        .message(&message.body);
    for (name, value) in &message.attributes {
        let value = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
            .expect("data_type is set");
        request = request.message_attributes(*name, value);
    }
    let output = request.send().await.map_err(|error| {
        let gap = gaps::from_sdk_error("the SNS topic", "sns:Publish", &error);
        let fix = if gap.kind == GapKind::AccessDenied {
            format!("grant sns:Publish on {topic_arn} to the function's role (and kms:GenerateDataKey and kms:Decrypt if the topic is encrypted)")
        } else {
            gap.fix
        };
        NotifyError::Publish {
            topic_arn: topic_arn.to_string(),
            reason: gap.reason,
            fix,
        }
    })?;
    Ok(output.message_id().map(str::to_string))
}

/// What was published.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub message_id: Option<String>,
    pub bytes: usize,
    pub cut: Vec<String>,
}

/// Prepares and sends one report.
pub async fn publish(
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
    report: &Report,
    rendered: Rendered,
) -> Result<Published, NotifyError> {
    let message = prepare(report, rendered)?;
    if !message.cut.is_empty() {
        tracing::warn!(cut = ?message.cut, bytes = message.size(), "report cut to fit SNS's limit");
    }
    let message_id = send(sns, topic_arn, &message).await?;
    Ok(Published {
        message_id,
        bytes: message.size(),
        cut: message.cut,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_has_a_body() {
        let rendered = Rendered {
            subject: "s".into(),
            text: "text".into(),
            chatbot: "{\"version\":\"1.0\"}".into(),
            json: "{\"category\":\"oom\"}".into(),
        };
        let envelope: serde_json::Value = serde_json::from_str(&envelope(&rendered)).unwrap();
        for protocol in [
            "default",
            "email",
            "email-json",
            "sqs",
            "lambda",
            "http",
            "https",
            "firehose",
        ] {
            assert!(envelope[protocol].is_string(), "{protocol}");
        }
        assert_eq!(envelope["https"], "{\"version\":\"1.0\"}");
        assert_eq!(envelope["default"], "text");
    }
}
