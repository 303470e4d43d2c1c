//! The Amazon Q Developer in chat applications (AWS Chatbot) custom notification.
//!
//! Schema: `version` "1.0", `source` "custom", optional `id`; `content` with `textType`
//! "client-markdown", `title`, `description`, `nextSteps`, `keywords`; `metadata` with
//! `threadId`, `summary`, `eventType`, `relatedResources`, `additionalContext`
//! (docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html).
//!
//! Text quoted from logs and events is hostile until proven otherwise: it must not page a
//! channel (`@here`, `<!channel>`), forge a link (`[ok](http://evil)`, `<http://evil|ok>`) or
//! break out of its code span with a backtick. Every quoted string goes through [`escape`].

use serde_json::{json, Map, Value};

use super::{char_count, clean_line, occurrences_line, one_line, truncate};
use crate::report::{Report, Severity};

/// Conservative lengths: the notification must render in Slack, whose text objects hold 3,000
/// characters, and in Microsoft Teams and Chime.
const TITLE_MAX_CHARS: usize = 250;
const DESCRIPTION_MAX_CHARS: usize = 3000;
const STEP_MAX_CHARS: usize = 1500;
const STEPS_MAX: usize = 10;
const KEYWORD_MAX_CHARS: usize = 50;
const SUMMARY_MAX_CHARS: usize = 250;
const QUOTE_MAX_CHARS: usize = 300;
const EVIDENCE_MAX: usize = 6;
const LOG_LINES: usize = 5;
const LIST_MAX: usize = 3;

/// Breaks a mention (`@here`), a markdown link (`](`) or a run of backticks without changing
/// what a reader sees.
const ZERO_WIDTH_SPACE: char = '\u{200B}';
/// Stands in for a backtick inside quoted code: looks the same, cannot close the span.
const BACKTICK_STANDIN: char = '\u{02CB}';

/// The custom notification, as JSON text.
pub fn render(report: &Report) -> String {
    notification(report).to_string()
}

/// The custom notification, as a JSON value.
pub fn notification(report: &Report) -> Value {
    let mut root = Map::new();
    root.insert("version".into(), json!("1.0"));
    root.insert("source".into(), json!("custom"));
    if let Some(id) = report.event.id.as_deref().map(one_line) {
        if !id.is_empty() {
            root.insert("id".into(), json!(id));
        }
    }
    root.insert(
        "content".into(),
        json!({
            "textType": "client-markdown",
            "title": title(report),
            "description": description(report),
            "nextSteps": next_steps(report),
            "keywords": keywords(report),
        }),
    );
    root.insert(
        "metadata".into(),
        json!({
            "threadId": thread_id(report),
            "summary": fit(&one_line(&report.title), SUMMARY_MAX_CHARS, escape),
            "eventType": report.category.id(),
            "relatedResources": related_resources(report),
            "additionalContext": additional_context(report),
            // The stack's custom actions (render/actions.rs) read their variables from
            // additionalContext; each button shows only where its variables are.
            "enableCustomActions": true,
        }),
    );
    Value::Object(root)
}

fn emoji(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "🚨",
        Severity::High => "🔴",
        Severity::Medium => "🟠",
        Severity::Low => "🔵",
        Severity::Info => "ℹ️",
    }
}

fn title(report: &Report) -> String {
    let prefix = format!("{} ", emoji(report.severity));
    let budget = TITLE_MAX_CHARS - char_count(&prefix);
    let mut title = one_line(&report.title);
    if title.is_empty() {
        title = report.category.id().to_owned();
    }
    format!("{prefix}{}", fit(&title, budget, escape))
}

/// Summary, root cause, what changed, key evidence (verified first), the last log lines, how
/// often, what could not be seen: in that order, each part kept only while the whole stays
/// within the length limit.
fn description(report: &Report) -> String {
    let parts = [
        summary_part(report),
        root_cause_part(report),
        what_changed_part(report),
        evidence_part(report),
        log_part(report),
        report
            .occurrences
            .as_ref()
            .map(|occurrences| format!("*How often:* {}", escape(&occurrences_line(occurrences)))),
        list_part(
            "*Could not see*",
            report.gaps.iter().map(|gap| {
                format!(
                    "{}: {}",
                    fit(&one_line(&gap.what), QUOTE_MAX_CHARS, escape),
                    fit(&one_line(&gap.reason), QUOTE_MAX_CHARS, escape)
                )
            }),
        ),
        list_part(
            "*Also noticed*",
            report
                .findings
                .iter()
                .map(|finding| fit(&one_line(&finding.text), QUOTE_MAX_CHARS, escape)),
        ),
        Some(footer(report)),
    ];
    let mut description = String::new();
    let mut used = 0;
    for part in parts.into_iter().flatten() {
        let cost = char_count(&part) + if description.is_empty() { 0 } else { 2 };
        if used + cost > DESCRIPTION_MAX_CHARS {
            continue;
        }
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&part);
        used += cost;
    }
    description
}

fn summary_part(report: &Report) -> Option<String> {
    let summary = one_line(&report.summary);
    (!summary.is_empty()).then(|| fit(&summary, DESCRIPTION_MAX_CHARS / 2, escape))
}

fn root_cause_part(report: &Report) -> Option<String> {
    let cause = report.root_cause.as_ref()?;
    Some(format!(
        "*Root cause* (in the tasks it started): {} — {}",
        fit(&one_line(&cause.title), QUOTE_MAX_CHARS, escape),
        fit(&one_line(&cause.summary), DESCRIPTION_MAX_CHARS / 4, escape),
    ))
}

/// "*What changed since* `api:41` (…): • image api v1.4.1 → v1.4.2 …".
fn what_changed_part(report: &Report) -> Option<String> {
    let changed = report.what_changed.as_ref()?;
    let mut part = format!(
        "*What changed since* {} ({}) in {}",
        code_span(&one_line(&changed.from)),
        fit(&one_line(&changed.basis), QUOTE_MAX_CHARS, escape),
        code_span(&one_line(&changed.to))
    );
    if let Some(by) = &changed.registered_by {
        part.push_str(&format!(", registered by {}", code_span(&one_line(by))));
    }
    if changed.changes.is_empty() {
        part.push_str("\n• no difference in the task definition");
    }
    for change in changed.changes.iter().take(EVIDENCE_MAX) {
        part.push_str(&format!(
            "\n• {}",
            fit(&one_line(&change.text), QUOTE_MAX_CHARS, escape)
        ));
    }
    Some(part)
}

/// Verified facts carry ✅ and the call that verified them; quoted text is in code spans.
fn evidence_part(report: &Report) -> Option<String> {
    if report.evidence.is_empty() {
        return None;
    }
    let mut part = String::from("*Evidence*");
    for item in report.evidence.iter().take(EVIDENCE_MAX) {
        let source = fit(&one_line(&item.source), QUOTE_MAX_CHARS, escape);
        match &item.verified_by {
            Some(call) => part.push_str(&format!(
                "\n• ✅ {source}: {} _(verified: {})_",
                fit(&one_line(&item.text), QUOTE_MAX_CHARS, escape),
                escape(&one_line(call))
            )),
            None => part.push_str(&format!(
                "\n• {source}: {}",
                code_span(&one_line(&item.text))
            )),
        }
    }
    Some(part)
}

fn log_part(report: &Report) -> Option<String> {
    if report.log_excerpt.is_empty() {
        return None;
    }
    let container = report
        .resources
        .container
        .as_deref()
        .map(|name| format!(" ({})", fit(&one_line(name), QUOTE_MAX_CHARS, escape)))
        .unwrap_or_default();
    let skip = report.log_excerpt.len().saturating_sub(LOG_LINES);
    let lines: Vec<String> = report.log_excerpt[skip..]
        .iter()
        .map(|line| fit(&clean_line(line), QUOTE_MAX_CHARS, escape))
        .collect();
    Some(format!(
        "*Last log lines*{container}\n```\n{}\n```",
        lines.join("\n")
    ))
}

/// A heading and up to three bullet lines.
fn list_part(heading: &str, items: impl Iterator<Item = String>) -> Option<String> {
    let lines: Vec<String> = items
        .take(LIST_MAX)
        .map(|item| format!("\n• {item}"))
        .collect();
    (!lines.is_empty()).then(|| format!("{heading}{}", lines.concat()))
}

/// "Service `checkout` · Cluster `prod` · Account `1111…` · Region `eu-west-1` · Task `0f3a…` ·
/// Rule `oom-killed` · `ecs-doctor …`".
fn footer(report: &Report) -> String {
    let mut shown: Vec<String> = report
        .places()
        .into_iter()
        .filter(|place| place.resource || place.key == "rule")
        .filter_map(|place| {
            let value = one_line(&place.value);
            (!value.is_empty()).then(|| format!("{} {}", place.label, code_span(&value)))
        })
        .collect();
    shown.push(format!(
        "Explain: {}",
        code_span(&format!("ecs-doctor explain-category {}", report.category))
    ));
    shown.join(" · ")
}

fn next_steps(report: &Report) -> Vec<String> {
    report
        .next_steps
        .iter()
        .take(STEPS_MAX)
        .map(|step| {
            let title = fit(&one_line(&step.title), STEP_MAX_CHARS / 4, escape);
            let command = step
                .command
                .as_deref()
                .map(|command| clean_line(command).trim().to_owned())
                .filter(|command| !command.is_empty());
            match command {
                None => title,
                Some(command) => {
                    let command = command_span(&command);
                    if char_count(&title) + 2 + char_count(&command) <= STEP_MAX_CHARS {
                        format!("{title}: {command}")
                    } else {
                        // A cut command would not paste; the email carries it whole.
                        format!("{title} (the command is in the email)")
                    }
                }
            }
        })
        .collect()
}

fn keywords(report: &Report) -> Vec<String> {
    let resources = &report.resources;
    let candidates = [
        Some(report.category.id()),
        Some(report.severity.id()),
        resources.cluster.as_deref(),
        resources.service.as_deref(),
        resources.container.as_deref(),
    ];
    let mut keywords: Vec<String> = Vec::new();
    for keyword in candidates.into_iter().flatten() {
        let keyword = fit(&one_line(keyword), KEYWORD_MAX_CHARS, escape);
        if !keyword.is_empty() && !keywords.contains(&keyword) {
            keywords.push(keyword);
        }
    }
    keywords
}

/// One thread per incident (a service's deployment, or a task family's revision), so a crash
/// loop, its rollback and its recovery stay in one thread: the id flood control gave the
/// incident (`crate::incidents::thread_id`), or a fixed one for a report about nothing.
pub fn thread_id(report: &Report) -> String {
    let thread = one_line(&report.incident.thread);
    if thread.is_empty() {
        "ecs-doctor".to_string()
    } else {
        thread.chars().take(256).collect()
    }
}

fn related_resources(report: &Report) -> Vec<String> {
    let resources = &report.resources;
    let service = match (resources.cluster.as_deref(), resources.service.as_deref()) {
        (Some(cluster), Some(service)) => Some(format!("service/{cluster}/{service}")),
        (None, Some(service)) => Some(format!("service/{service}")),
        _ => None,
    };
    [
        resources.task_arn.clone(),
        service,
        resources.task_definition.clone(),
        resources.log_group.clone(),
    ]
    .into_iter()
    .flatten()
    .map(|resource| fit(&one_line(&resource), QUOTE_MAX_CHARS, escape))
    .filter(|resource| !resource.is_empty())
    .collect()
}

/// Where it happened (the places), and the variables of the custom actions that apply. An
/// action's variable is an identifier passed to a command as it is: never cut or escaped (a cut
/// ARN would run another command); one that does not fit is left out, and its button with it.
fn additional_context(report: &Report) -> Map<String, Value> {
    let mut context: Map<String, Value> = report
        .places()
        .into_iter()
        .filter_map(|place| {
            let value = fit(&one_line(&place.value), QUOTE_MAX_CHARS, escape);
            (!value.is_empty()).then(|| (place.key.to_owned(), Value::String(value)))
        })
        .collect();
    for (name, value) in super::actions::variables(report) {
        let plain = value.len() <= 1024
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '-' | '_' | '.'));
        if plain {
            context.insert(name.to_owned(), Value::String(value));
        } else {
            context.remove(name);
        }
    }
    context
}

/// Quoted text made inert for Slack-style markdown: `&`, `<`, `>` as entities (no `<!here>`,
/// no `<url|label>`), a zero-width space after a mention's `@` and between `]` and `(`, and
/// backticks replaced so the text cannot open or close a code span or block.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut previous: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => {
                out.push('@');
                let starts_word = previous.is_none_or(|p| !p.is_alphanumeric());
                if starts_word && chars.peek().is_some_and(|next| !next.is_whitespace()) {
                    out.push(ZERO_WIDTH_SPACE);
                }
            }
            '`' => out.push(BACKTICK_STANDIN),
            ']' => {
                out.push(']');
                if chars.peek() == Some(&'(') {
                    out.push(ZERO_WIDTH_SPACE);
                }
            }
            c => out.push(c),
        }
        previous = Some(c);
    }
    out
}

/// Quoted text in an inline code span.
fn code_span(text: &str) -> String {
    if text.is_empty() {
        return "(empty)".to_owned();
    }
    format!("`{}`", fit(text, QUOTE_MAX_CHARS, escape))
}

/// A command, ready to paste: in a code span, or in a code block when it holds backticks
/// (JMESPath literals) that a span cannot. Only `&`, `<` and `>` are escaped (Slack shows them
/// as typed); a zero-width space would break the paste, so none is added except to split a
/// run of three backticks, which would end the block.
fn command_span(command: &str) -> String {
    let command = command
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    if !command.contains('`') {
        return format!("`{command}`");
    }
    let mut safe = String::with_capacity(command.len() + 8);
    let mut run = 0;
    for c in command.chars() {
        if c == '`' {
            run += 1;
            if run == 3 {
                safe.push(ZERO_WIDTH_SPACE);
                run = 1;
            }
        } else {
            run = 0;
        }
        safe.push(c);
    }
    format!("```{safe}```")
}

/// `escape(raw)` cut (before escaping, so no entity is split) to at most `max` characters.
fn fit(raw: &str, max: usize, escaper: fn(&str) -> String) -> String {
    let mut keep = max;
    loop {
        let escaped = escaper(&truncate(raw, keep));
        let length = char_count(&escaped);
        if length <= max || keep <= 1 {
            return escaped;
        }
        keep = (keep * max / length).min(keep - 1).max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::oom_report;
    use crate::report::{Occurrences, RootCause};

    const HOSTILE: &str = "@channel <!here> [click](http://evil) <http://evil|ok> `rm -rf` &amp;";

    fn parse(report: &Report) -> Value {
        serde_json::from_str(&render(report)).expect("the notification is JSON")
    }

    #[test]
    fn the_notification_follows_the_custom_notification_schema() {
        let value = parse(&oom_report());
        assert_eq!(value["version"], "1.0");
        assert_eq!(value["source"], "custom");
        assert_eq!(value["id"], "3f1c2b7e-9a4d-4c55-8e0f-1d2c3b4a5f60");
        let content = &value["content"];
        assert_eq!(content["textType"], "client-markdown");
        assert_eq!(content["title"], "🔴 Out of memory: api in checkout (prod)");
        let description = content["description"].as_str().unwrap();
        assert!(description.starts_with("Container api used more memory"));
        assert!(description.contains(
            "• container api reason: `OutOfMemoryError: Container killed due to memory usage`"
        ));
        assert!(description.contains(
            "```\nINFO  started order import batch=7731\nWARN  heap usage 498 MiB of 512 MiB\n```"
        ));
        assert!(description
            .contains("*How often:* 9 of 10 tasks stopped in the last 30 min: same cause"));
        assert!(description.contains("the service's events and deployments: AccessDeniedException"));
        assert_eq!(
            content["nextSteps"][0],
            "See the memory the task and its containers were given: ```aws ecs describe-task-definition --task-definition checkout-api:42 --region eu-west-1 --query 'taskDefinition.containerDefinitions[?name==`api`].memory'```"
        );
        assert_eq!(
            content["nextSteps"][1],
            "Raise the memory and deploy the new revision"
        );
        assert_eq!(
            content["keywords"],
            json!(["oom", "high", "prod", "checkout", "api"])
        );
        let metadata = &value["metadata"];
        assert_eq!(
            metadata["threadId"],
            "ecs-doctor/123456789012/eu-west-1/prod/service:checkout/ecs-svc_1234567890123456789"
        );
        assert_eq!(metadata["summary"], "Out of memory: api in checkout (prod)");
        assert_eq!(metadata["eventType"], "oom");
        assert_eq!(
            metadata["relatedResources"][0],
            "arn:aws:ecs:eu-west-1:123456789012:task/prod/0f3a9c1d2e4b4f6a8b7c6d5e4f3a2b1c"
        );
        assert_eq!(metadata["relatedResources"][1], "service/prod/checkout");
        let context = &metadata["additionalContext"];
        for (key, expected) in [
            ("category", "oom"),
            ("severity", "high"),
            ("cluster", "prod"),
            ("service", "checkout"),
            ("account", "123456789012"),
            ("region", "eu-west-1"),
            ("rule", "oom-killed"),
        ] {
            assert_eq!(context[key], expected, "{key}");
        }
    }

    #[test]
    fn a_short_step_command_is_a_code_span() {
        let mut report = oom_report();
        report.next_steps[0].command = Some("aws logs tail /ecs/checkout --since 1h".into());
        assert_eq!(
            parse(&report)["content"]["nextSteps"][0],
            "See the memory the task and its containers were given: `aws logs tail /ecs/checkout --since 1h`"
        );
    }

    #[test]
    fn quoted_text_cannot_mention_link_or_escape_its_code_span() {
        let mut report = oom_report();
        report.title = HOSTILE.into();
        report.summary = HOSTILE.into();
        report.evidence[0].text = HOSTILE.into();
        report.evidence[0].source = HOSTILE.into();
        report.log_excerpt = vec![HOSTILE.into(), "```\n@here".into()];
        report.findings[0].text = HOSTILE.into();
        report.gaps[0].reason = HOSTILE.into();
        report.next_steps[0].title = HOSTILE.into();
        report.root_cause = Some(RootCause {
            category: crate::report::Category::AppCrash,
            rule: "app-crash".into(),
            title: HOSTILE.into(),
            summary: HOSTILE.into(),
        });
        let value = parse(&report);
        let content = &value["content"];
        let mut texts = vec![
            content["title"].as_str().unwrap().to_owned(),
            content["description"].as_str().unwrap().to_owned(),
            value["metadata"]["summary"].as_str().unwrap().to_owned(),
        ];
        for step in content["nextSteps"].as_array().unwrap() {
            texts.push(step.as_str().unwrap().to_owned());
        }
        for text in &texts {
            for forbidden in ["@channel", "@here", "<!", "<http", "]("] {
                assert!(!text.contains(forbidden), "{forbidden:?} in {text:?}");
            }
            assert!(!text.contains('<') && !text.contains('>'), "{text:?}");
        }
        let description = &texts[1];
        // The hostile text's own backticks cannot end the span or the block.
        assert!(description.contains("`@\u{200B}channel &lt;!here&gt; [click]\u{200B}(http://evil) &lt;http://evil|ok&gt; ˋrm -rfˋ &amp;amp;`"), "{description}");
        let block = description.split("```").nth(1).expect("a log block");
        assert!(block.contains("ˋˋˋ"), "{block}");
        assert_eq!(description.matches("```").count(), 2, "{description}");
    }

    #[test]
    fn long_texts_respect_the_limits() {
        let mut report = oom_report();
        report.title = "&".repeat(10_000);
        report.summary = "<".repeat(100_000);
        report.evidence = (0..100)
            .map(|n| crate::report::Evidence {
                source: format!("source {n}"),
                text: "x".repeat(10_000),
                verified_by: None,
            })
            .collect();
        report.log_excerpt = vec!["y".repeat(100_000); 100];
        let value = parse(&report);
        let title = value["content"]["title"].as_str().unwrap();
        assert!(
            char_count(title) <= TITLE_MAX_CHARS,
            "{}",
            char_count(title)
        );
        assert!(!title.ends_with("&am…"));
        let description = value["content"]["description"].as_str().unwrap();
        assert!(char_count(description) <= DESCRIPTION_MAX_CHARS);
        assert!(description.contains("&lt;&lt;"));
        // An entity is never cut in half.
        assert!(!description.contains("&l…") && !description.contains("&lt…"));
    }

    #[test]
    fn the_thread_is_the_incidents() {
        let mut report = oom_report();
        assert_eq!(thread_id(&report), report.incident.thread);
        report.incident.thread.clear();
        assert_eq!(thread_id(&report), "ecs-doctor");
    }

    #[test]
    fn occurrences_and_root_cause_reach_the_description() {
        let mut report = oom_report();
        report.occurrences = Some(Occurrences {
            tasks: 1,
            same_cause: 1,
            window_minutes: 30,
            by_category: vec![],
        });
        report.root_cause = Some(RootCause {
            category: crate::report::Category::Oom,
            rule: "oom-killed".into(),
            title: "Out of memory".into(),
            summary: "Container api was killed.".into(),
        });
        let value = parse(&report);
        let description = value["content"]["description"].as_str().unwrap();
        assert!(
            description.contains("*How often:* 1 of 1 task stopped in the last 30 min: same cause")
        );
        assert!(description.contains(
            "*Root cause* (in the tasks it started): Out of memory — Container api was killed."
        ));
    }

    #[test]
    fn an_email_address_keeps_its_at_sign_readable() {
        assert_eq!(escape("ops@example.com"), "ops@example.com");
        assert_eq!(escape("cc @oncall"), "cc @\u{200B}oncall");
    }
}
