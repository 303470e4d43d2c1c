//! Fills rule templates: `{name}` is a fact, `{name|fallback}` says what to write when the fact
//! is unknown (the fallback may hold placeholders too). Anything else in braces — the JMESPath
//! `{a:b}` of a `--query` — is left as it is.

use std::collections::BTreeMap;

pub type Vars = BTreeMap<&'static str, String>;

/// Every fact a rule's template may name, and where it comes from (`super::base_vars`,
/// `super::task_vars`, the deployment's and the service action's reports). A test holds the
/// rules' placeholders to this list, and the list to the code that fills each one.
pub const VARIABLES: &[(&str, &str)] = &[
    ("account", "the event's account"),
    ("region", "the event's region"),
    ("cluster", "the task's or the service's cluster"),
    ("service", "the task's or the event's service"),
    (
        "task_definition",
        "the task's task definition (family:revision)",
    ),
    ("family", "the task definition's family"),
    (
        "previous_task_definition",
        "the revision before it, or the rollback's",
    ),
    ("execution_role", "the task definition's execution role ARN"),
    ("execution_role_name", "its name"),
    ("task_role", "the task definition's task role ARN"),
    ("task_role_name", "its name"),
    (
        "cpu_architecture",
        "the task definition's or the task's CPU architecture",
    ),
    ("target_group", "the service's first target group"),
    ("task_arn", "the task's ARN"),
    ("task_id", "the task's id"),
    ("task_label", "\"task ID\""),
    ("last_status", "the task's lastStatus"),
    ("stop_code", "the task's stopCode"),
    ("stopped_reason", "the task's stoppedReason"),
    ("matched", "the ECS text the rule matched"),
    ("log_line", "the log line that decided"),
    ("said_clause", "what decided, quoted"),
    ("container", "the container that decided"),
    ("exit_code", "its exit code"),
    ("exit_clause", "\" (exit N)\""),
    ("reason", "its reason"),
    ("image", "its image"),
    ("image_repository", "an ECR image's repository"),
    ("image_tag", "an ECR image's tag"),
    ("image_region", "an ECR image's region"),
    ("memory_limit", "the container's or the task's memory"),
    ("log_group", "the container's awslogs group"),
    ("log_stream", "the container's awslogs stream"),
    (
        "startup_seconds",
        "the start-up time the application's log states",
    ),
    ("startup_clause", "\", which the log puts at N s\""),
    (
        "suggested_grace_period",
        "about 1.5x the start-up time the log states, in seconds",
    ),
    (
        "event_name",
        "the deployment's or service action's event name",
    ),
    ("event_reason", "its reason"),
    ("event_reason_suffix", "\" (reason)\""),
    ("deployment_id", "the deployment event's deployment"),
    ("failed_task_definition", "the failed deployment's revision"),
    ("rollback_task_definition", "the revision rolled back to"),
];

/// The facts `template` names, those in fallbacks included.
pub fn names(template: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match placeholder(after) {
            Some((name, fallback, consumed)) => {
                found.push(name);
                found.extend(fallback.map(names).unwrap_or_default());
                rest = &after[consumed..];
            }
            None => rest = after,
        }
    }
    found
}

/// Fills `template`; `None` when it names an unknown fact that has no fallback.
pub fn fill(template: &str, vars: &Vars) -> Option<String> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match placeholder(after) {
            Some((name, fallback, consumed)) => {
                match (vars.get(name), fallback) {
                    (Some(value), _) => out.push_str(value),
                    (None, Some(fallback)) => out.push_str(&fill(fallback, vars)?),
                    (None, None) => return None,
                }
                rest = &after[consumed..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

/// Reads `name}` or `name|fallback}` (with nested braces in the fallback) after a `{`.
/// Returns the name, the fallback and how many bytes were consumed, closing brace included.
fn placeholder(text: &str) -> Option<(&str, Option<&str>, usize)> {
    let name_len = text
        .bytes()
        .take_while(|b| b.is_ascii_lowercase() || *b == b'_')
        .count();
    if name_len == 0 {
        return None;
    }
    let name = &text[..name_len];
    match text.as_bytes().get(name_len)? {
        b'}' => Some((name, None, name_len + 1)),
        b'|' => {
            let body = &text[name_len + 1..];
            let mut depth = 0usize;
            for (index, byte) in body.bytes().enumerate() {
                match byte {
                    b'{' => depth += 1,
                    b'}' if depth == 0 => {
                        return Some((name, Some(&body[..index]), name_len + 1 + index + 1))
                    }
                    b'}' => depth -= 1,
                    _ => {}
                }
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&'static str, &str)]) -> Vars {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn fills_known_facts_and_fallbacks() {
        let vars = vars(&[("cluster", "prod"), ("region", "eu-west-1")]);
        assert_eq!(
            fill(
                "--cluster {cluster} --region {image_region|{region}} {service|the service}",
                &vars
            )
            .unwrap(),
            "--cluster prod --region eu-west-1 the service"
        );
    }

    #[test]
    fn an_unknown_fact_without_fallback_drops_the_template() {
        assert_eq!(fill("--services {service}", &Vars::new()), None);
    }

    #[test]
    fn jmespath_braces_are_not_placeholders() {
        let vars = vars(&[("task_id", "abc")]);
        assert_eq!(
            fill(
                "--tasks {task_id} --query 'tasks[0].{stopCode:stopCode}'",
                &vars
            )
            .unwrap(),
            "--tasks abc --query 'tasks[0].{stopCode:stopCode}'"
        );
    }

    #[test]
    fn every_placeholder_of_every_rule_names_a_fact_the_code_provides() {
        let known: Vec<&str> = VARIABLES.iter().map(|(name, _)| *name).collect();
        let mut unknown = Vec::new();
        for rule in crate::diagnose::RULES {
            let texts = std::iter::once(rule.summary).chain(
                rule.steps
                    .iter()
                    .flat_map(|step| [step.title, step.command]),
            );
            for text in texts {
                for name in names(text) {
                    if !known.contains(&name) {
                        unknown.push(format!("{}: {{{name}}}", rule.id));
                    }
                }
            }
        }
        assert!(
            unknown.is_empty(),
            "placeholders nothing provides: {unknown:#?}"
        );
    }

    #[test]
    fn every_fact_the_templates_may_name_is_filled_by_the_code() {
        // The code that fills them, without whitespace (rustfmt splits long calls).
        let source: String = ["mod.rs", "task.rs"]
            .iter()
            .map(|file| {
                std::fs::read_to_string(format!(
                    "{}/src/diagnose/{file}",
                    env!("CARGO_MANIFEST_DIR")
                ))
                .unwrap()
            })
            .collect::<String>()
            .split_whitespace()
            .collect();
        let unfilled: Vec<&str> = VARIABLES
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| {
                ![
                    format!("insert(\"{name}\""),
                    format!("put(vars,\"{name}\""),
                    format!("put(&mutvars,\"{name}\""),
                    format!("entry(\"{name}\""),
                ]
                .iter()
                .any(|call| source.contains(call.as_str()))
            })
            .collect();
        assert!(unfilled.is_empty(), "nothing fills {unfilled:?}");
    }

    #[test]
    fn names_include_those_in_fallbacks_and_skip_jmespath() {
        assert_eq!(
            names("--region {image_region|{region}} --query '{a:b}' {task_id|}"),
            ["image_region", "region", "task_id"]
        );
    }

    #[test]
    fn an_empty_fallback_writes_nothing() {
        assert_eq!(
            fill("Task {task_id|}stopped", &Vars::new()).unwrap(),
            "Task stopped"
        );
    }
}
