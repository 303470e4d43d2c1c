//! Publishes one report to SNS, within SNS's size limit, to each destination configured:
//!
//! - `TOPIC_ARN`, the all-in-one topic: one message whose body differs per protocol
//!   (`MessageStructure=json`): `email` gets the email text; `https` the Amazon Q Developer
//!   (AWS Chatbot) custom notification; `sms` the subject; every other protocol (`sqs`, `lambda`,
//!   `http`, `email-json`, `firehose`) the machine JSON, as `default`;
//! - `EMAIL_TOPIC_ARN`, `CHAT_TOPIC_ARN`, `JSON_TOPIC_ARN`: a topic per format, each message one
//!   plain string (`MessageStructure` unset).
//!
//! Every message carries the attributes subscribers filter on (severity, category, account,
//! region, cluster, service, and the routing tags such as `team`). SNS documents that it
//! *delivers* message attributes only for plain-string messages, so attribute-scope filter
//! policies (`{"team": ["payments"]}`) hold for every subscriber of the per-format topics; on the
//! all-in-one topic, filter the JSON bodies with `FilterPolicyScope=MessageBody`.

use crate::iam;
use aws_sdk_sns::types::MessageAttributeValue;
use serde_json::json;

use crate::aws::gaps;
use crate::cut::truncate_in_place;
use crate::incident::{Gap, GapKind};
use crate::render::{render, Rendered};
use crate::report::Report;

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

/// Where reports go: the all-in-one topic, and a topic per format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Destinations {
    /// TOPIC_ARN: one JSON-structured message, a body per protocol.
    pub all: Option<String>,
    /// EMAIL_TOPIC_ARN: the email text.
    pub email: Option<String>,
    /// CHAT_TOPIC_ARN: the Amazon Q Developer custom notification.
    pub chat: Option<String>,
    /// JSON_TOPIC_ARN: the machine JSON.
    pub json: Option<String>,
}

/// What one destination receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The per-protocol envelope (`MessageStructure=json`).
    Envelope,
    Email,
    Chat,
    Json,
}

impl Destinations {
    /// The all-in-one topic alone (the command line's `--publish`, a TOPIC_ARN-only deployment).
    pub fn single(topic_arn: impl Into<String>) -> Destinations {
        Destinations {
            all: Some(topic_arn.into()),
            ..Destinations::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.topics().is_empty()
    }

    /// Each configured topic with the format it receives.
    pub fn topics(&self) -> Vec<(Format, &str)> {
        [
            (Format::Envelope, &self.all),
            (Format::Email, &self.email),
            (Format::Chat, &self.chat),
            (Format::Json, &self.json),
        ]
        .into_iter()
        .filter_map(|(format, topic)| Some((format, topic.as_deref()?)))
        .collect()
    }
}

/// A message ready for SNS.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub subject: String,
    /// The per-protocol JSON envelope.
    pub body: String,
    /// The renderings the envelope holds (cut as the envelope is), for the per-format topics.
    pub rendered: Rendered,
    /// Name → value, the empty ones left out.
    pub attributes: Vec<(String, String)>,
    /// What was cut to fit SNS's limit, in order.
    pub cut: Vec<String>,
}

impl Message {
    /// The body one format's topic receives, and whether it is JSON-structured.
    pub fn body_for(&self, format: Format) -> (&str, bool) {
        match format {
            Format::Envelope => (&self.body, true),
            Format::Email => (&self.rendered.text, false),
            Format::Chat => (&self.rendered.chatbot, false),
            Format::Json => (&self.rendered.json, false),
        }
    }
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

/// The per-protocol envelope of one rendering. Each body is written once: the machine JSON is
/// `default`, which SNS gives every protocol the envelope does not name (`sqs`, `lambda`,
/// `http`, `email-json`, `firehose`, and any protocol SNS adds); `email` gets the text, `https`
/// the Amazon Q Developer notification, `sms` the subject (a whole report would be a dozen
/// segments). Five copies of the JSON made a message 2–3× as large: SNS's 256 KiB limit cut the
/// log excerpt sooner, and every byte was escaped, URL-encoded and signed again.
pub fn envelope(rendered: &Rendered) -> String {
    json!({
        "default": rendered.json,
        "email": rendered.text,
        "https": rendered.chatbot,
        "sms": rendered.subject,
    })
    .to_string()
}

/// SNS takes at most 10 attributes a message.
pub const MAX_ATTRIBUTES: usize = 10;

/// The message attributes: what subscribers filter on, the routing tags included.
pub fn attributes(report: &Report) -> Vec<(String, String)> {
    report
        .places()
        .into_iter()
        .filter(|place| place.filterable)
        .map(|place| (place.key, place.value))
        .take(MAX_ATTRIBUTES)
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
        rendered: rendered.clone(),
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

/// Publishes the message to one topic; an error means the report did not leave (the invocation
/// must fail so Lambda retries it).
pub async fn send(
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
    message: &Message,
    format: Format,
) -> Result<Option<String>, NotifyError> {
    let (body, structured) = message.body_for(format);
    let mut request = sns
        .publish()
        .topic_arn(topic_arn)
        .subject(&message.subject)
        .message(body);
    if structured {
        request = request.message_structure("json");
    }
    for (name, value) in &message.attributes {
        let value = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
            .expect("data_type is set");
        request = request.message_attributes(name, value);
    }
    let output = request.send().await.map_err(|error| {
        let gap = gaps::from_sdk_error("the SNS topic", iam::SNS_PUBLISH, &error);
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
    /// The first destination's message id (the all-in-one topic's when it is configured).
    pub message_id: Option<String>,
    pub bytes: usize,
    pub cut: Vec<String>,
    /// How many topics received it.
    pub topics: usize,
    /// The machine JSON as sent (scrubbed, cut if it had to be): what the history keeps.
    pub json: String,
}

/// Prepares one report and sends it to every destination at once. One that fails fails the
/// whole: Lambda retries, and a retry sends to every destination again.
pub async fn publish(
    sns: &aws_sdk_sns::Client,
    destinations: &Destinations,
    report: &Report,
    rendered: Rendered,
) -> Result<Published, NotifyError> {
    let message = prepare(report, rendered)?;
    if !message.cut.is_empty() {
        tracing::warn!(cut = ?message.cut, bytes = message.size(), "report cut to fit SNS's limit");
    }
    let topics = destinations.topics();
    let sent = futures_util::future::join_all(
        topics
            .iter()
            .map(|(format, topic)| send(sns, topic, &message, *format)),
    )
    .await;
    let mut message_id = None;
    for result in sent {
        let id = result?;
        message_id = message_id.or(id);
    }
    Ok(Published {
        message_id,
        bytes: message.size(),
        topics: topics.len(),
        json: message.rendered.json,
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
        // SNS gives a protocol the envelope does not name the `default` body (AWS SNS Developer
        // Guide, "Publishing messages with a different payload per protocol").
        let body = |protocol: &str| envelope.get(protocol).unwrap_or(&envelope["default"]);
        assert_eq!(body("email"), "text");
        assert_eq!(body("https"), "{\"version\":\"1.0\"}");
        assert_eq!(body("sms"), "s");
        for machine in [
            "sqs",
            "lambda",
            "http",
            "email-json",
            "firehose",
            "application",
        ] {
            assert_eq!(body(machine), "{\"category\":\"oom\"}", "{machine}");
        }
        // Each body once: the machine JSON is not copied per protocol.
        assert_eq!(envelope.as_object().unwrap().len(), 4);
    }

    #[test]
    fn each_format_topic_gets_its_own_plain_body() {
        let rendered = Rendered {
            subject: "s".into(),
            text: "text".into(),
            chatbot: "{\"version\":\"1.0\"}".into(),
            json: "{\"category\":\"oom\"}".into(),
        };
        let message = prepare(&crate::render::tests::oom_report(), rendered).unwrap();
        assert!(!message.body_for(Format::Email).1);
        assert!(message.body_for(Format::Envelope).1);
        let destinations = Destinations {
            all: None,
            email: Some("arn:aws:sns:eu-west-1:1:email".into()),
            chat: None,
            json: Some("arn:aws:sns:eu-west-1:1:json".into()),
        };
        assert_eq!(
            destinations.topics(),
            [
                (Format::Email, "arn:aws:sns:eu-west-1:1:email"),
                (Format::Json, "arn:aws:sns:eu-west-1:1:json")
            ]
        );
    }
}
