//! Documentation generated from the rule declarations: the `rules` listing, the long
//! explanation of a category, and `docs/rules.md` (a test keeps the file and the code in step).

use std::fmt::Write;

use crate::diagnose::rules::{Codes, Rule, Trigger, RULES};
use crate::report::{Category, Group};

/// What fires a rule, in words.
pub fn trigger_text(trigger: &Trigger) -> String {
    match trigger {
        Trigger::NotStopped => "task lastStatus is not STOPPED".into(),
        Trigger::Reason(pattern) => {
            format!("container reason or task stoppedReason matches /{pattern}/")
        }
        Trigger::StopCode(code) => format!("task stopCode is {code}"),
        Trigger::ExitCode(Codes::Exactly(codes)) => format!(
            "exit code {} of the first failed essential container",
            codes
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Trigger::ExitCode(Codes::AnyNonZero) => {
            "any other non-zero exit code of the first failed essential container".into()
        }
        Trigger::Log(pattern) => format!("a log line matches /{pattern}/"),
        Trigger::Deployment { event_name, reason } => match reason {
            Some(reason) => {
                format!("deployment event {event_name} with a reason matching /{reason}/")
            }
            None => format!("deployment event {event_name}"),
        },
        Trigger::ServiceAction { event_name, reason } => match reason {
            Some(reason) => {
                format!("service action /{event_name}/ with a reason matching /{reason}/")
            }
            None => format!("service action /{event_name}/"),
        },
        Trigger::Fallback => "nothing else matched".into(),
    }
}

/// `ecs-doctor rules`: one line a rule.
pub fn rules_listing() -> String {
    let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let category_width = RULES
        .iter()
        .map(|r| r.category.id().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for rule in RULES {
        let _ = writeln!(
            out,
            "{:width$}  {:category_width$}  {}",
            rule.id,
            rule.category.id(),
            rule.headline
        );
    }
    let _ = writeln!(
        out,
        "\n{} rules in {} categories. `ecs-doctor explain-category <category>` explains one.",
        RULES.len(),
        Category::ALL.len()
    );
    out
}

fn rule_section(out: &mut String, rule: &Rule, heading: &str) {
    let _ = writeln!(out, "{heading} `{}` → `{}`\n", rule.id, rule.category.id());
    let _ = writeln!(out, "**What it detects.** {}\n", rule.detects);
    let _ = writeln!(out, "**Why it happens.** {}\n", rule.why);
    let _ = writeln!(out, "**How to fix it.** {}\n", rule.fix);
    let reads: Vec<&str> = rule.reads.iter().map(|fact| fact.label()).collect();
    let _ = writeln!(out, "**Reads.** {}\n", reads.join(", "));
    let _ = writeln!(
        out,
        "**Fires when.** {}\n",
        trigger_text(&rule.trigger).replace('|', "\\|")
    );
}

/// `ecs-doctor explain-category oom`: the long form, like `rustc --explain`.
pub fn explain_category(category: Category) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} ({})\n",
        category.id(),
        category.group().heading()
    );
    let _ = writeln!(out, "{}.\n", category.meaning());
    let _ = writeln!(
        out,
        "Default severity: {}. Alerts by default: {}.\n",
        category.default_severity(),
        if category.notify() { "yes" } else { "no" }
    );
    for rule in RULES.iter().filter(|rule| rule.category == category) {
        rule_section(&mut out, rule, "##");
    }
    out
}

/// The whole catalog as Markdown: `docs/rules.md`.
pub fn rules_markdown() -> String {
    let mut out = String::new();
    out.push_str("# ecs-doctor rules\n\n");
    out.push_str("Generated from the rule declarations in `src/diagnose/rules.rs` by\n`ecs-doctor rules --format markdown > docs/rules.md`; a test fails when this file and the code disagree.\n\n");
    out.push_str("Rules are tried in this order within each phase: what ECS said (container reason, stoppedReason, stopCode), then the exit code, then the log lines (which refine an exit code), then the fallback.\n\n");
    out.push_str("| rule | category | fires when |\n|---|---|---|\n");
    for rule in RULES {
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} |",
            rule.id,
            rule.category.id(),
            trigger_text(&rule.trigger).replace('|', "\\|")
        );
    }
    out.push('\n');
    let groups = [
        Group::NotFailure,
        Group::Container,
        Group::Starting,
        Group::Infrastructure,
        Group::Logs,
        Group::Service,
        Group::Fallback,
    ];
    for group in groups {
        let _ = writeln!(out, "## {}\n", group.heading());
        for category in Category::ALL.iter().filter(|c| c.group() == group) {
            let _ = writeln!(out, "### `{}`\n\n{}.\n", category.id(), category.meaning());
            for rule in RULES.iter().filter(|rule| rule.category == *category) {
                rule_section(&mut out, rule, "####");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_has_a_rule() {
        for category in Category::ALL {
            assert!(
                RULES.iter().any(|rule| rule.category == *category),
                "no rule for {category}"
            );
        }
    }

    #[test]
    fn rule_ids_are_unique_and_documented() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len(), "duplicate rule ids");
        for rule in RULES {
            for text in [
                rule.detects,
                rule.why,
                rule.fix,
                rule.headline,
                rule.summary,
            ] {
                assert!(
                    !text.trim().is_empty(),
                    "{} has an empty doc field",
                    rule.id
                );
            }
            assert!(!rule.reads.is_empty(), "{} reads no fact", rule.id);
        }
    }

    #[test]
    fn docs_rules_md_matches_the_declarations() {
        let on_disk =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md"))
                .unwrap_or_default();
        assert!(
            on_disk == rules_markdown(),
            "docs/rules.md is stale: run `cargo run --bin ecs-doctor -- rules --format markdown > docs/rules.md`"
        );
    }
}
