//! One Report, three renderings: email text, the Amazon Q Developer (AWS Chatbot) custom
//! notification, and the machine JSON.
//!
//! Every string of the report is scrubbed of secrets once, here, before any rendering sees it:
//! the engine scrubs too, and this is the second lock on the same door.

pub mod actions;
pub mod chatbot;
pub mod json;
mod scrub;
pub mod text;

use crate::report::{Occurrences, Report, Severity};
use scrub::Scrub;

/// Everything that leaves for SNS, rendered from one report.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// < 100 characters, no control characters (SNS's limit for email subjects).
    pub subject: String,
    /// The email body.
    pub text: String,
    /// The Amazon Q Developer custom notification, as JSON text.
    pub chatbot: String,
    /// The whole report as JSON text, stable field names.
    pub json: String,
}

pub fn render(report: &Report) -> Rendered {
    let report = scrubbed(report);
    Rendered {
        subject: text::subject(&report),
        text: text::body(&report),
        chatbot: chatbot::render(&report),
        json: json::render(&report),
    }
}

/// A copy of the report with [`scrub`](crate::redact::scrub) applied to every string in it
/// (`scrub.rs`: each type lists all its fields).
pub fn scrubbed(report: &Report) -> Report {
    let mut report = report.clone();
    let mut names = report.resources.names();
    names.extend(report.event.id.clone());
    let keep: Vec<&str> = names.iter().map(String::as_str).collect();
    report.scrub(&crate::redact::Keep::new(&keep));
    report
}

/// LOG_QUOTE: how much of the application's log an alert quotes. The log is read by fewer
/// people than the channel the alert goes to; strict teams quote only the lines that decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogQuote {
    /// The lines a rule matched (quoted in the evidence), no tail.
    Decisive,
    /// The last lines of the log (the default), scrubbed.
    #[default]
    Tail,
    /// No log line at all: the evidence says which rule matched, not the line.
    None,
}

impl LogQuote {
    pub fn parse(value: &str) -> Option<LogQuote> {
        match value.trim().to_ascii_lowercase().as_str() {
            "decisive" => Some(LogQuote::Decisive),
            "tail" => Some(LogQuote::Tail),
            "none" => Some(LogQuote::None),
            _ => None,
        }
    }

    /// The report as this setting quotes it.
    pub fn apply(self, report: &Report) -> std::borrow::Cow<'_, Report> {
        match self {
            LogQuote::Tail => std::borrow::Cow::Borrowed(report),
            LogQuote::Decisive => {
                let mut report = report.clone();
                report.log_excerpt.clear();
                std::borrow::Cow::Owned(report)
            }
            LogQuote::None => {
                let mut report = report.clone();
                report.log_excerpt.clear();
                for evidence in &mut report.evidence {
                    if evidence.source.starts_with("log") {
                        evidence.text = "(a log line matched; not quoted: LOG_QUOTE=none)".into();
                    }
                }
                std::borrow::Cow::Owned(report)
            }
        }
    }
}

/// One line of plain text: terminal colour codes removed, control characters (C0, DEL, C1, and
/// the Unicode line and paragraph separators) turned into spaces, runs of whitespace collapsed.
pub(crate) fn one_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len().min(4096));
    let mut pending_space = false;
    for c in without_ansi(text).chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = !line.is_empty();
        } else {
            if pending_space {
                line.push(' ');
                pending_space = false;
            }
            line.push(c);
        }
    }
    line
}

/// A log line or a command as quoted: colour codes removed, control characters turned into
/// spaces, the spacing otherwise kept (indented stack frames stay indented).
pub(crate) fn clean_line(text: &str) -> String {
    without_ansi(text)
        .chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => ' ',
            c => c,
        })
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// Removes ANSI escape sequences (`ESC [ … letter`, `ESC ] … BEL`) that colour terminal logs.
fn without_ansi(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\u{1b}') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('[') => {
                chars.next();
                // Parameters and intermediates, then one final byte in @..~.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                chars.next();
                for c in chars.by_ref() {
                    if c == '\u{7}' || c == '\u{1b}' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    std::borrow::Cow::Owned(out)
}

pub(crate) use crate::cut::{char_count, truncate};

/// "9 of 10 tasks stopped in the last 30 min: same cause; others: app-crash 1".
pub(crate) fn occurrences_line(occurrences: &Occurrences) -> String {
    let Occurrences {
        tasks,
        same_cause,
        window_minutes,
        by_category,
    } = occurrences;
    let noun = if *tasks == 1 { "task" } else { "tasks" };
    // A window of 0: the stopped tasks of a deployment, whenever they stopped.
    let when = if *window_minutes == 0 {
        String::new()
    } else {
        format!(" in the last {window_minutes} min")
    };
    let mut line = format!("{same_cause} of {tasks} {noun} stopped{when}: same cause");
    if !by_category.is_empty() {
        let others: Vec<String> = by_category
            .iter()
            .map(|(category, count)| format!("{} {count}", one_line(category)))
            .collect();
        line.push_str("; others: ");
        line.push_str(&others.join(", "));
    }
    line
}

pub(crate) fn severity_label(severity: Severity) -> String {
    severity.id().to_ascii_uppercase()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::incident::Gap;
    use crate::report::{
        Category, EventInfo, Evidence, Finding, IncidentRef, Link, Resources, Step, SCHEMA_VERSION,
    };

    /// An out-of-memory report for service `checkout` in cluster `prod`, with every part filled.
    pub(crate) fn oom_report() -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            category: Category::Oom,
            rule: "oom-killed".into(),
            severity: Severity::High,
            notify: true,
            title: "Out of memory: api in checkout (prod)".into(),
            summary: "Container api used more memory than its limit (512 MiB) and was killed by \
                      the kernel (exit 137). This is a memory limit problem, not an application \
                      error."
                .into(),
            root_cause: None,
            event: EventInfo {
                id: Some("3f1c2b7e-9a4d-4c55-8e0f-1d2c3b4a5f60".into()),
                detail_type: "ECS Task State Change".into(),
                name: None,
                time: Some("2024-05-02T03:14:15Z".into()),
            },
            resources: Resources {
                account: Some("123456789012".into()),
                region: Some("eu-west-1".into()),
                cluster: Some("prod".into()),
                service: Some("checkout".into()),
                task_arn: Some(
                    "arn:aws:ecs:eu-west-1:123456789012:task/prod/0f3a9c1d2e4b4f6a8b7c6d5e4f3a2b1c"
                        .into(),
                ),
                task_id: Some("0f3a9c1d2e4b4f6a8b7c6d5e4f3a2b1c".into()),
                task_definition: Some(
                    "arn:aws:ecs:eu-west-1:123456789012:task-definition/checkout-api:42".into(),
                ),
                container: Some("api".into()),
                deployment_id: Some("ecs-svc/1234567890123456789".into()),
                log_group: Some("/ecs/checkout".into()),
                log_stream: Some("api/api/0f3a9c1d2e4b4f6a8b7c6d5e4f3a2b1c".into()),
                hook_id: None,
                service_deployment: None,
            },
            evidence: vec![
                Evidence {
                    source: "container api reason".into(),
                    text: "OutOfMemoryError: Container killed due to memory usage".into(),
                    verified_by: None,
                },
                Evidence {
                    source: "container api exitCode".into(),
                    text: "137".into(),
                    verified_by: None,
                },
            ],
            log_excerpt: vec![
                "INFO  started order import batch=7731".into(),
                "WARN  heap usage 498 MiB of 512 MiB".into(),
            ],
            next_steps: vec![
                Step {
                    title: "See the memory the task and its containers were given".into(),
                    command: Some(
                        "aws ecs describe-task-definition --task-definition checkout-api:42 \
                         --region eu-west-1 --query 'taskDefinition.containerDefinitions[?name==`api`].memory'"
                            .into(),
                    ),
                },
                Step {
                    title: "Raise the memory and deploy the new revision".into(),
                    command: None,
                },
            ],
            findings: vec![Finding {
                id: "no-memory-reservation".into(),
                text: "Container api has no soft limit (memoryReservation).".into(),
            }],
            occurrences: Some(Occurrences {
                tasks: 10,
                same_cause: 9,
                window_minutes: 30,
                by_category: vec![("app-crash".into(), 1)],
            }),
            links: vec![Link {
                label: "Task in the console".into(),
                url: "https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/0f3a9c1d2e4b4f6a8b7c6d5e4f3a2b1c".into(),
            }],
            gaps: vec![Gap {
                what: "the service's events and deployments".into(),
                reason: "AccessDeniedException: not authorized to perform ecs:DescribeServices".into(),
                action: Some("ecs:DescribeServices".into()),
                fix: "Allow ecs:DescribeServices on the cluster's services in the function's role.".into(),
                kind: crate::incident::GapKind::AccessDenied,
            }],
            incident: IncidentRef {
                id: "123456789012/eu-west-1/prod/service:checkout/ecs-svc/1234567890123456789@1714619655000".into(),
                thread: "ecs-doctor/123456789012/eu-west-1/prod/service:checkout/ecs-svc_1234567890123456789".into(),
                message: "opened".into(),
                occurrences: 1,
                opened_at: Some("2024-05-02T03:14:15+00:00".into()),
                services: Vec::new(),
            },
            what_changed: None,
            routing: Default::default(),
        }
    }

    #[test]
    fn every_string_is_scrubbed_before_rendering() {
        let mut report = oom_report();
        let secret = "postgres://app:hunter2@db:5432/orders";
        report.title = format!("Crash: {secret}");
        report.summary = secret.into();
        report.evidence[0].text = secret.into();
        report.log_excerpt.push(format!("DB_URL={secret}"));
        report.next_steps[0].command = Some(format!("psql {secret}"));
        report.findings[0].text = secret.into();
        report.gaps[0].reason = secret.into();
        report.links[0].url = "https://x.example/?token=abc123def456".into();
        let rendered = render(&report);
        for output in [
            &rendered.subject,
            &rendered.text,
            &rendered.chatbot,
            &rendered.json,
        ] {
            assert!(!output.contains("hunter2"), "{output}");
            assert!(!output.contains("abc123def456"), "{output}");
        }
        assert!(rendered
            .text
            .contains("postgres://app:[REDACTED]@db:5432/orders"));
    }

    #[test]
    fn one_line_removes_colours_and_controls() {
        assert_eq!(
            one_line("\u{1b}[31mERROR\u{1b}[0m\r\n\tboom\u{7}\u{85}now\u{2028}x"),
            "ERROR boom now x"
        );
        assert_eq!(
            clean_line("\tat Main.main(Main.java:3)\r"),
            " at Main.main(Main.java:3)"
        );
    }
}
