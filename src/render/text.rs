//! The email: a subject SNS accepts, and a plain-text body a tired on-call engineer reads in
//! twenty seconds. Cause first, then the evidence, then what to do with commands ready to paste,
//! then what else was seen and what could not be, then where it happened.

use std::fmt::Write as _;

use super::{char_count, clean_line, occurrences_line, one_line, severity_label, truncate};
use crate::report::Report;

/// SNS: "less than 100 characters".
const SUBJECT_MAX_CHARS: usize = 99;
/// Prose is wrapped at this width; commands and log lines are not.
const WIDTH: usize = 100;
const TITLE_MAX_CHARS: usize = 300;
const SUMMARY_MAX_CHARS: usize = 3000;
const ITEM_MAX_CHARS: usize = 1000;
const COMMAND_MAX_CHARS: usize = 4000;
const LOG_LINES: usize = 20;
const LOG_LINE_MAX_CHARS: usize = 400;

/// "[HIGH] Out of memory: api in checkout (prod)": one line, < 100 characters.
pub fn subject(report: &Report) -> String {
    let mut title = one_line(&report.title);
    if title.is_empty() {
        title = report.category.id().to_owned();
    }
    let line = format!("[{}] {title}", severity_label(report.severity));
    truncate(&line, SUBJECT_MAX_CHARS)
}

/// The email body, plain text: each part in the order the on-call engineer needs it.
pub fn body(report: &Report) -> String {
    let mut out = String::new();
    for part in [
        head,
        root_cause,
        what_changed,
        evidence,
        log_excerpt,
        next_steps,
        findings,
        occurrences,
        gaps,
        links,
    ] {
        part(&mut out, report);
    }
    out.push_str("\n--\n");
    footer(&mut out, report);
    out
}

fn head(out: &mut String, report: &Report) {
    let title = truncate(&one_line(&report.title), TITLE_MAX_CHARS);
    wrap(
        out,
        &format!("[{}] {title}", severity_label(report.severity)),
        "",
        "",
    );
    out.push('\n');
    wrap(
        out,
        &truncate(&one_line(&report.summary), SUMMARY_MAX_CHARS),
        "",
        "",
    );
}

fn root_cause(out: &mut String, report: &Report) {
    let Some(cause) = &report.root_cause else {
        return;
    };
    out.push('\n');
    wrap(
        out,
        &format!(
            "Root cause, found in the tasks it started: {} ({})",
            truncate(&one_line(&cause.title), TITLE_MAX_CHARS),
            cause.category
        ),
        "",
        "  ",
    );
    wrap(
        out,
        &truncate(&one_line(&cause.summary), SUMMARY_MAX_CHARS),
        "  ",
        "  ",
    );
}

/// "What changed since api:41 (…)": the failing revision, who registered it, the differences.
fn what_changed(out: &mut String, report: &Report) {
    let Some(changed) = &report.what_changed else {
        return;
    };
    section(
        out,
        &format!(
            "What changed since {} ({})",
            one_line(&changed.from),
            one_line(&changed.basis)
        ),
    );
    let mut line = format!("Revision {}", one_line(&changed.to));
    if let Some(by) = &changed.registered_by {
        let _ = write!(line, ", registered by {}", one_line(by));
    }
    if let Some(at) = &changed.registered_at {
        let at = chrono::DateTime::parse_from_rfc3339(at)
            .map(|t| {
                t.with_timezone(&chrono::Utc)
                    .format("%Y-%m-%d %H:%M UTC")
                    .to_string()
            })
            .unwrap_or_else(|_| one_line(at));
        let _ = write!(line, " at {at}");
    }
    wrap(out, &line, "  ", "  ");
    if changed.changes.is_empty() {
        wrap(
            out,
            "No difference in the task definition beyond its revision number.",
            "  - ",
            "    ",
        );
    }
    for change in &changed.changes {
        let text = match &change.container {
            Some(container) => format!(
                "{} (container {})",
                one_line(&change.text),
                one_line(container)
            ),
            None => one_line(&change.text),
        };
        wrap(out, &truncate(&text, ITEM_MAX_CHARS), "  - ", "    ");
    }
}

/// Verified facts first, each with the call that verified it; then what ECS and the logs said.
fn evidence(out: &mut String, report: &Report) {
    if report.evidence.is_empty() {
        return;
    }
    section(out, "Evidence");
    for item in &report.evidence {
        let line = match &item.verified_by {
            Some(call) => format!(
                "Verified ({}): {}: {}",
                one_line(call),
                one_line(&item.source),
                truncate(&one_line(&item.text), ITEM_MAX_CHARS)
            ),
            None => format!(
                "{}: \"{}\"",
                one_line(&item.source),
                truncate(&one_line(&item.text), ITEM_MAX_CHARS)
            ),
        };
        wrap(out, &line, "  - ", "    ");
    }
}

fn log_excerpt(out: &mut String, report: &Report) {
    if report.log_excerpt.is_empty() {
        return;
    }
    let mut heading = String::from("Last log lines");
    let place: Vec<String> = [&report.resources.container, &report.resources.log_group]
        .into_iter()
        .flatten()
        .map(|part| one_line(part))
        .collect();
    if !place.is_empty() {
        let _ = write!(heading, " ({})", place.join(", "));
    }
    section(out, &heading);
    let skip = report.log_excerpt.len().saturating_sub(LOG_LINES);
    for line in &report.log_excerpt[skip..] {
        let _ = writeln!(
            out,
            "    {}",
            truncate(&clean_line(line), LOG_LINE_MAX_CHARS)
        );
    }
}

fn next_steps(out: &mut String, report: &Report) {
    if report.next_steps.is_empty() {
        return;
    }
    section(out, "What to do");
    for (number, step) in report.next_steps.iter().enumerate() {
        let label = format!("  {}. ", number + 1);
        let indent = " ".repeat(label.len());
        wrap(
            out,
            &truncate(&one_line(&step.title), ITEM_MAX_CHARS),
            &label,
            &indent,
        );
        if let Some(command) = &step.command {
            let command = truncate(clean_line(command).trim(), COMMAND_MAX_CHARS);
            if !command.is_empty() {
                let _ = writeln!(out, "{indent}  {command}");
            }
        }
    }
}

fn findings(out: &mut String, report: &Report) {
    if report.findings.is_empty() {
        return;
    }
    section(out, "Also noticed");
    for finding in &report.findings {
        wrap(
            out,
            &truncate(&one_line(&finding.text), ITEM_MAX_CHARS),
            "  - ",
            "    ",
        );
    }
}

fn occurrences(out: &mut String, report: &Report) {
    if let Some(occurrences) = &report.occurrences {
        section(out, "How often");
        wrap(out, &occurrences_line(occurrences), "  ", "  ");
    }
}

fn gaps(out: &mut String, report: &Report) {
    if report.gaps.is_empty() {
        return;
    }
    section(out, "Could not see");
    for gap in &report.gaps {
        let line = format!(
            "{}: {}",
            truncate(&one_line(&gap.what), ITEM_MAX_CHARS),
            truncate(&one_line(&gap.reason), ITEM_MAX_CHARS)
        );
        wrap(out, &line, "  - ", "    ");
        let fix = truncate(&one_line(&gap.fix), ITEM_MAX_CHARS);
        if !fix.is_empty() {
            wrap(out, &format!("Fix: {fix}"), "    ", "    ");
        }
        if let Some(action) = &gap.action {
            wrap(out, &format!("Needs: {}", one_line(action)), "    ", "    ");
        }
    }
}

fn links(out: &mut String, report: &Report) {
    if report.links.is_empty() {
        return;
    }
    section(out, "Links");
    for link in &report.links {
        let label = truncate(&one_line(&link.label), ITEM_MAX_CHARS);
        let url = one_line(&link.url);
        if char_count(&label) + char_count(&url) + 6 <= WIDTH {
            let _ = writeln!(out, "  - {label}: {url}");
        } else {
            // A URL is never wrapped: on a line of its own it stays clickable.
            wrap(out, &format!("{label}:"), "  - ", "    ");
            let _ = writeln!(out, "    {url}");
        }
    }
}

/// Where it happened and which rule decided, one fact a line so each can be copied.
fn footer(out: &mut String, report: &Report) {
    let mut facts: Vec<(String, String)> = report
        .places()
        .into_iter()
        .filter(|place| place.resource)
        .map(|place| (one_line(&place.label), one_line(&place.value)))
        .filter(|(_, value)| !value.is_empty())
        .collect();
    let event = &report.event;
    if let Some(id) = event.id.as_deref() {
        let details: Vec<&str> = [Some(event.detail_type.as_str()), event.time.as_deref()]
            .into_iter()
            .flatten()
            .filter(|detail| !detail.is_empty())
            .collect();
        let line = if details.is_empty() {
            id.to_owned()
        } else {
            format!("{id} ({})", details.join(", "))
        };
        facts.push(("Event".into(), one_line(&line)));
    }
    facts.push((
        "Rule".into(),
        format!(
            "{} (category {}, severity {})",
            one_line(&report.rule),
            report.category,
            report.severity
        ),
    ));
    facts.push((
        "Explanation".into(),
        format!("ecs-doctor explain-category {}", report.category),
    ));
    let width = facts
        .iter()
        .map(|(label, _)| label.len())
        .max()
        .unwrap_or(0)
        + 3;
    for (label, value) in facts {
        let _ = writeln!(out, "{:<width$}{value}", format!("{label}:"));
    }
}

fn section(out: &mut String, heading: &str) {
    out.push('\n');
    out.push_str(heading);
    out.push('\n');
}

/// Greedy word wrap at [`WIDTH`] characters; a word longer than a line gets a line of its own.
fn wrap(out: &mut String, text: &str, first_indent: &str, rest_indent: &str) {
    let mut line = String::from(first_indent);
    let mut line_chars = char_count(first_indent);
    let mut indent_only = true;
    for word in text.split(' ').filter(|word| !word.is_empty()) {
        let word_chars = char_count(word);
        if !indent_only && line_chars + 1 + word_chars > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = String::from(rest_indent);
            line_chars = char_count(rest_indent);
            indent_only = true;
        }
        if !indent_only {
            line.push(' ');
            line_chars += 1;
        }
        line.push_str(word);
        line_chars += word_chars;
        indent_only = false;
    }
    if !indent_only {
        out.push_str(&line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::oom_report;

    #[test]
    fn the_subject_names_severity_and_title() {
        assert_eq!(
            subject(&oom_report()),
            "[HIGH] Out of memory: api in checkout (prod)"
        );
    }

    #[test]
    fn a_huge_title_with_control_characters_makes_a_short_clean_subject() {
        let mut report = oom_report();
        report.title = "Boom\n\r\t\u{7}\u{7f}\u{1b}[31m é ".repeat(80_000);
        assert!(report.title.len() > 1_000_000);
        let subject = subject(&report);
        assert!(char_count(&subject) < 100, "{}", char_count(&subject));
        assert!(subject.starts_with("[HIGH] Boom é Boom"), "{subject}");
        assert!(subject.ends_with('…'));
        assert!(!subject.chars().any(char::is_control), "{subject:?}");
        assert!(!subject.contains("  "));
    }

    #[test]
    fn an_empty_title_still_makes_a_subject() {
        let mut report = oom_report();
        report.title = "\n\t ".into();
        assert_eq!(subject(&report), "[HIGH] oom");
    }

    #[test]
    fn the_body_reads_cause_evidence_steps_then_context() {
        let body = body(&oom_report());
        let order = [
            "[HIGH] Out of memory: api in checkout (prod)",
            "Container api used more memory than its limit",
            "Evidence",
            "  - container api reason: \"OutOfMemoryError: Container killed due to memory usage\"",
            "Last log lines (api, /ecs/checkout)",
            "    WARN  heap usage 498 MiB of 512 MiB",
            "What to do",
            "  1. See the memory the task and its containers were given",
            "       aws ecs describe-task-definition --task-definition checkout-api:42 --region eu-west-1",
            "  2. Raise the memory and deploy the new revision",
            "Also noticed",
            "How often",
            "  9 of 10 tasks stopped in the last 30 min: same cause; others: app-crash 1",
            "Could not see",
            "  - the service's events and deployments: AccessDeniedException",
            "    Fix: Allow ecs:DescribeServices",
            "    Needs: ecs:DescribeServices",
            "Links",
            "Account:",
            "Task definition:  checkout-api:42",
            "Event:            3f1c2b7e-9a4d-4c55-8e0f-1d2c3b4a5f60 (ECS Task State Change, 2024-05-02T03:14:15Z)",
            "Rule:             oom-killed (category oom, severity high)",
            "Explanation:      ecs-doctor explain-category oom",
        ];
        let mut from = 0;
        for expected in order {
            let at = body[from..]
                .find(expected)
                .unwrap_or_else(|| panic!("missing or out of order: {expected:?}\n{body}"));
            from += at + expected.len();
        }
    }

    #[test]
    fn prose_lines_stay_within_the_width() {
        let mut report = oom_report();
        report.summary = "word ".repeat(500);
        report.findings[0].text = "another finding that goes on ".repeat(40);
        let body = body(&report);
        for line in body.lines() {
            let line_start = line.trim_start();
            if line_start.starts_with("aws ") || line_start.starts_with("https://") {
                continue; // commands and URLs are not wrapped: they must paste as one line
            }
            assert!(char_count(line) <= WIDTH, "{line}");
        }
    }

    #[test]
    fn log_lines_lose_colours_and_controls_and_only_the_last_lines_show() {
        let mut report = oom_report();
        report.log_excerpt = (0..50)
            .map(|n| format!("\u{1b}[31mline {n}\u{1b}[0m\r"))
            .collect();
        let body = body(&report);
        assert!(!body.contains("line 29\n"));
        assert!(body.contains("    line 30\n"));
        assert!(body.contains("    line 49\n"));
        assert!(!body.contains('\u{1b}') && !body.contains('\r'));
    }

    #[test]
    fn a_report_without_optional_parts_has_no_empty_sections() {
        let mut report = oom_report();
        report.evidence.clear();
        report.log_excerpt.clear();
        report.next_steps.clear();
        report.findings.clear();
        report.occurrences = None;
        report.gaps.clear();
        report.links.clear();
        let body = body(&report);
        for heading in [
            "Evidence",
            "What to do",
            "Could not see",
            "Links",
            "How often",
        ] {
            assert!(!body.contains(heading), "{heading}\n{body}");
        }
    }
}
