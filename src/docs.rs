//! Documentation generated from the rule declarations: the `rules` listing, the long
//! explanation of a category, and `docs/rules.md` (a test keeps the file and the code in step).

use std::fmt::Write;

use crate::diagnose::findings::{Subject, FINDINGS};
use crate::diagnose::grammar::Phase;
use crate::diagnose::rules::{self, Codes, On, Rule, Trigger, FAMILIES};
use crate::report::{Category, Group};

fn phases(phases: &[Phase]) -> String {
    phases
        .iter()
        .map(|phase| phase.label())
        .collect::<Vec<_>>()
        .join(" or ")
}

fn on(on: On) -> String {
    match on {
        On::Any => String::new(),
        On::In(list) => format!(" while {}", phases(list)),
    }
}

fn cause(cause: impl std::fmt::Debug) -> String {
    format!("{cause:?}")
}

/// What fires a trigger, in words.
pub fn trigger_text(trigger: &Trigger) -> String {
    match *trigger {
        Trigger::NotStopped => "task lastStatus is not STOPPED".into(),
        Trigger::Said {
            on: phase,
            cause: c,
        } => {
            format!("ECS says {}{}", cause(c), on(phase))
        }
        Trigger::SaidPhase(list) => format!(
            "ECS says it failed {} and names no cause ecs-doctor knows",
            phases(list)
        ),
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
        Trigger::Log {
            on: phase,
            cause: c,
        } => {
            format!("a log line says {}{}", cause(c), on(phase))
        }
        Trigger::Deployment {
            event_name,
            cause: c,
        } => match c {
            Some(c) => format!(
                "deployment event {event_name} whose reason says {}",
                cause(c)
            ),
            None => format!("deployment event {event_name}"),
        },
        Trigger::ServiceAction { names, cause: c } => {
            let names = if names.is_empty() {
                "any service action".to_string()
            } else {
                format!("service action {}", names.join(" or "))
            };
            match c {
                Some(c) => format!("{names} whose reason says {}", cause(c)),
                None => names,
            }
        }
        Trigger::Fallback => "nothing else matched".into(),
    }
}

fn triggers_text(rule: &Rule) -> String {
    rule.triggers
        .iter()
        .map(trigger_text)
        .collect::<Vec<_>>()
        .join("; or ")
}

/// `ecs-doctor rules`: one line a rule, by family, then the findings.
pub fn rules_listing() -> String {
    let all: Vec<&Rule> = rules::all().collect();
    let width = all.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let category_width = all.iter().map(|r| r.category.id().len()).max().unwrap_or(0);
    let mut out = String::new();
    for (family, family_rules) in FAMILIES {
        let _ = writeln!(out, "# {family}");
        for rule in *family_rules {
            let aliases = if rule.aliases.is_empty() {
                String::new()
            } else {
                format!(" (was: {})", rule.aliases.join(", "))
            };
            let _ = writeln!(
                out,
                "{:width$}  {:category_width$}  {}{aliases}",
                rule.id,
                rule.category.id(),
                rule.headline
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "# findings (true, relevant, not the cause)");
    for finding in FINDINGS {
        let _ = writeln!(out, "{:width$}  {}", finding.id, finding.detects);
    }
    let _ = writeln!(
        out,
        "\n{} rules in {} categories, {} findings. `ecs-doctor explain-category <category>` explains one.",
        all.len(),
        Category::ALL.len(),
        FINDINGS.len()
    );
    out
}

fn rule_section(out: &mut String, rule: &Rule, heading: &str) {
    let _ = writeln!(out, "{heading} `{}` → `{}`\n", rule.id, rule.category.id());
    if !rule.aliases.is_empty() {
        let aliases: Vec<String> = rule.aliases.iter().map(|a| format!("`{a}`")).collect();
        let _ = writeln!(
            out,
            "**Also known as** (before rules were merged): {}\n",
            aliases.join(", ")
        );
    }
    let _ = writeln!(out, "**What it detects.** {}\n", rule.detects);
    let _ = writeln!(out, "**Why it happens.** {}\n", rule.why);
    let _ = writeln!(out, "**How to fix it.** {}\n", rule.fix);
    let reads: Vec<&str> = rule.reads.iter().map(|fact| fact.label()).collect();
    let _ = writeln!(out, "**Reads.** {}\n", reads.join(", "));
    let _ = writeln!(
        out,
        "**Fires when.** {}\n",
        triggers_text(rule).replace('|', "\\|")
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
    for rule in rules::rules_for(category) {
        rule_section(&mut out, rule, "##");
    }
    out
}

/// The whole catalog as Markdown: `docs/rules.md`.
pub fn rules_markdown() -> String {
    let mut out = String::new();
    out.push_str("# ecs-doctor rules\n\n");
    out.push_str("Generated from the rule declarations in `src/diagnose/rules/` (one file per family) by\n`ecs-doctor rules --format markdown > docs/rules.md`; a test fails when this file and the code disagree.\n\n");
    out.push_str("How a rule is chosen. A task is decided in phases: what ECS said (the containers' reasons, essential containers first, and the task's stoppedReason), then the stop code, then the exit code of the essential container that failed first, then its log lines (which refine an exit code), then the fallback. What ECS said is read in the error grammar (`src/diagnose/grammar.rs`): its *phase* (the image pull, the registry credentials, the secrets, the log driver, a volume, the network interface, the container runtime, the entrypoint, placement, the deployment) and its *causes* (not found, access denied, unreachable, throttled, no space, another platform …). The strongest cause decides; a rule that names the message's phase wins over one that takes the cause in any phase; a phase without a known cause falls to that phase's unrecognized rule, which says the phase. Deployment and service action events are decided by their name and the cause their reason says; a service action ecs-doctor does not know is explained by the service's newest events.\n\n");
    out.push_str("| rule | category | fires when |\n|---|---|---|\n");
    for rule in rules::all() {
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} |",
            rule.id,
            rule.category.id(),
            triggers_text(rule).replace('|', "\\|")
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
            for rule in rules::rules_for(*category) {
                rule_section(&mut out, rule, "####");
            }
        }
    }
    out.push_str("## Findings\n\nTrue, relevant, and not the cause: a report lists them under \"Also noticed\".\n\n");
    for finding in FINDINGS {
        let scope = match finding.scope {
            Subject::Task => "the stopped task",
            Subject::Service => "the service",
        };
        let _ = writeln!(
            out,
            "### `{}`\n\n**What it detects.** {}\n\n**Why it matters.** {}\n\n**About.** {scope}\n",
            finding.id, finding.detects, finding.why
        );
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
                rules::all().any(|rule| rule.category == *category),
                "no rule for {category}"
            );
        }
    }

    #[test]
    fn rule_ids_are_unique_and_documented() {
        let mut ids: Vec<&str> = rules::all()
            .flat_map(|r| std::iter::once(r.id).chain(r.aliases.iter().copied()))
            .chain(FINDINGS.iter().map(|f| f.id))
            .collect();
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "duplicate rule, alias or finding ids");
        for rule in rules::all() {
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
            assert!(!rule.triggers.is_empty(), "{} has no trigger", rule.id);
        }
        for finding in FINDINGS {
            assert!(
                !finding.detects.is_empty() && !finding.why.is_empty(),
                "{}",
                finding.id
            );
        }
    }

    #[test]
    fn every_old_rule_id_still_resolves() {
        // Ids published in reports before rules were merged.
        for id in [
            "log-exec-format-error",
            "exit-126-not-executable",
            "log-exec-permission-denied",
            "exit-127-not-found",
            "log-command-not-found",
            "spot-interruption-reason",
            "termination-notice",
            "placement-agent",
            "service-scheduler-initiated",
            "user-stop-reason",
        ] {
            assert!(rules::rule(id).is_some(), "{id} no longer resolves");
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
