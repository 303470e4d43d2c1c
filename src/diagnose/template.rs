//! Fills rule templates: `{name}` is a fact, `{name|fallback}` says what to write when the fact
//! is unknown (the fallback may hold placeholders too). Anything else in braces — the JMESPath
//! `{a:b}` of a `--query` — is left as it is.

use std::collections::BTreeMap;

pub type Vars = BTreeMap<&'static str, String>;

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
    fn an_empty_fallback_writes_nothing() {
        assert_eq!(
            fill("Task {task_id|}stopped", &Vars::new()).unwrap(),
            "Task stopped"
        );
    }
}
