//! Text built from structure, not scrubbed after the fact: a command is its program and its
//! flag names, with every value masked unless it is a shape known to be safe (a number, a port,
//! a duration, a path, a URL without user-info, a plain word); an image reference never carries
//! its user-info; an event that cannot be read is logged as its outline (keys and types), with
//! the values of the fields known to be safe.

use serde_json::Value;

use super::MARKER;

/// A command, an entrypoint or a health check as a task definition lists it, for a message:
/// `["redis-server", "--requirepass", "x"]` → `[redis-server --requirepass [REDACTED]]`. A
/// shell string (`CMD-SHELL`'s, `sh -c`'s) is read word by word the same way.
pub fn command(words: &[String]) -> String {
    let mut reader = Reader::default();
    let shown: Vec<String> = words
        .iter()
        .map(|word| {
            if word.contains(char::is_whitespace) {
                let line = Reader::default().line(word);
                reader = Reader::default();
                reader.program_seen = true;
                line
            } else {
                reader.argument(word)
            }
        })
        .collect();
    format!("[{}]", shown.join(" "))
}

/// Where a command is read: whether its program was seen, and what the last flag expects.
#[derive(Clone, Copy)]
enum FlagValue {
    /// `--port`: shown when its shape is safe.
    Plain,
    /// `-p`, `-a`, `-k`: a password for some tools, a port or a flag for others: numbers shown.
    Short,
    /// `--db-password`, `--requirepass`: never shown.
    Secret,
}

#[derive(Default)]
struct Reader {
    program_seen: bool,
    /// The last word was a flag, and what its value is.
    value_of: Option<FlagValue>,
}

impl Reader {
    /// A shell command line, word by word (quotes stay where they were).
    fn line(&mut self, line: &str) -> String {
        line.split_whitespace()
            .map(|word| {
                let bare = word.trim_matches(|c| matches!(c, '"' | '\''));
                if matches!(bare, "&&" | "||" | "|" | ";" | "&") {
                    *self = Reader::default();
                    return word.to_string();
                }
                let shown = self.argument(bare);
                if shown == bare {
                    word.to_string()
                } else {
                    shown
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn argument(&mut self, word: &str) -> String {
        let value_of = self.value_of.take();
        let dashes = word.chars().take_while(|&c| c == '-').count().min(2);
        let name = &word[dashes..];
        let is_flag =
            dashes > 0 && !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit());
        if is_flag {
            self.program_seen = true;
            if let Some((flag, value)) = name.split_once('=') {
                return format!(
                    "{}{flag}={}",
                    &word[..dashes],
                    value_shown(value, secret_name(flag))
                );
            }
            // `-pS3cret`: a one-letter flag glued to its value.
            if dashes == 1
                && name.len() > 1
                && short_value_flag(&name[..1])
                && !safe_flag_word(name)
            {
                return format!("-{}{}", &name[..1], MARKER);
            }
            self.value_of = Some(if secret_name(name) {
                FlagValue::Secret
            } else if short_value_flag(name) {
                FlagValue::Short
            } else {
                FlagValue::Plain
            });
            return word.to_string();
        }
        if !self.program_seen {
            self.program_seen = true;
            return program_shown(word);
        }
        match value_of {
            Some(FlagValue::Secret) => MARKER.to_string(),
            // After `-p`, a port is a port.
            Some(FlagValue::Short) => value_shown(word, !number(word)),
            Some(FlagValue::Plain) | None => value_shown(word, false),
        }
    }
}

fn number(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_digit() || c == ':')
}

/// Flags whose value is a secret by their name: `--db-password`, `--requirepass`, `-setcookie`.
fn secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "pass",
        "pwd",
        "secret",
        "token",
        "key",
        "auth",
        "cookie",
        "credential",
        "sig",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// `-p`, `-P`, `-w`, `-k`, `-a`: the one-letter flags tools take passwords with.
fn short_value_flag(name: &str) -> bool {
    matches!(name, "p" | "P" | "w" | "W" | "k" | "K" | "a" | "s")
}

/// A long single-dash flag that is a word (`-server`, `-jar`, `-Xmx512m` is glued but safe).
fn safe_flag_word(name: &str) -> bool {
    name.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        || name.starts_with("Xm")
        || name.starts_with("XX")
}

/// The program: a name or a path, shown as it is unless it is not plainly one.
fn program_shown(word: &str) -> String {
    if word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
    {
        word.to_string()
    } else {
        MARKER.to_string()
    }
}

/// A value, shown when its shape is safe and its flag does not name a secret.
fn value_shown(value: &str, secret: bool) -> String {
    if !secret && safe_value(value) {
        value.to_string()
    } else {
        MARKER.to_string()
    }
}

/// A number, a port or a port mapping, a duration, a size, a path, a file name, a URL without
/// user-info, a `$VARIABLE`, or a plain lowercase word (a subcommand, a module).
pub fn safe_value(value: &str) -> bool {
    let v = value.trim_matches(|c| matches!(c, '"' | '\''));
    if v.is_empty() || v.starts_with('$') {
        return true;
    }
    let number_like = v
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | ':' | '/' | '-'));
    let duration_or_size = v
        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.')
        && v.len() - v.trim_end_matches(|c: char| c.is_ascii_alphabetic()).len() <= 3
        && v.starts_with(|c: char| c.is_ascii_digit());
    let path = (v.starts_with('/') || v.starts_with("./") || v.starts_with("~/"))
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'));
    let file = v.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty()
            && (1..=5).contains(&ext.len())
            && ext.chars().all(|c| c.is_ascii_lowercase())
            && stem
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
            && !super::looks_random(stem.as_bytes())
    });
    let url = (v.starts_with("http://") || v.starts_with("https://"))
        && !v
            .split_once("://")
            .is_some_and(|(_, rest)| rest.split('/').next().unwrap_or("").contains('@'))
        && !v.contains('?');
    let word = v.len() <= 32
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || matches!(c, '-' | '_' | '.' | ':'))
        && v.chars().any(|c| c.is_ascii_lowercase());
    number_like || duration_or_size || path || file || url || word
}

/// An image reference without its user-info: `user:pass@registry/repo:tag` →
/// `registry/repo:tag` (a scheme, which Docker does not take, goes too). A digest's `@` comes
/// after the repository's first `/`, user-info's before it.
pub fn image(reference: &str) -> std::borrow::Cow<'_, str> {
    let rest = reference
        .split_once("://")
        .map_or(reference, |(_, rest)| rest);
    // No `/`: a Docker Hub image, which cannot carry user-info (`nginx@sha256:…`).
    let first_slash = rest.find('/').unwrap_or(0);
    match rest[..first_slash].rfind('@') {
        Some(at) => std::borrow::Cow::Owned(rest[at + 1..].to_string()),
        None if rest.len() != reference.len() => std::borrow::Cow::Owned(rest.to_string()),
        None => std::borrow::Cow::Borrowed(reference),
    }
}

/// Reads an image reference without its user-info (`#[serde(deserialize_with)]` on every type
/// that holds one, so no copy of it ever has it).
pub fn deserialize_image<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let reference: Option<String> = serde::Deserialize::deserialize(deserializer)?;
    Ok(reference.map(|r| image(&r).into_owned()))
}

/// Fields whose values are safe to log from an event that could not be read: ids, ARNs,
/// statuses, times, names ECS gives.
const SAFE_FIELDS: &[&str] = &[
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "clusterArn",
    "taskArn",
    "serviceArn",
    "containerInstanceArn",
    "taskDefinitionArn",
    "deploymentId",
    "serviceDeploymentArn",
    "eventName",
    "eventType",
    "lastStatus",
    "desiredStatus",
    "stopCode",
    "launchType",
    "capacityProviderName",
    "group",
    "availabilityZone",
    "createdAt",
    "startedAt",
    "stoppingAt",
    "stoppedAt",
    "updatedAt",
    "connectivity",
    "healthStatus",
    "exitCode",
    "hookId",
    "hookType",
    "hookStatus",
    "lifecycleStage",
    "failureType",
    "overallStatus",
    "status",
    "platformVersion",
    "cpu",
    "memory",
];

/// The outline of a JSON value: objects keep their keys, arrays their length and first
/// element's outline, scalars their type, except under [`SAFE_FIELDS`], where a string or a
/// number is kept (still scrubbed). Values under any other key, the environment and overrides
/// included, are never read into the result.
pub fn outline(value: &Value) -> Value {
    outline_under(value, None)
}

fn outline_under(value: &Value, key: Option<&str>) -> Value {
    let safe = key.is_some_and(|k| SAFE_FIELDS.contains(&k));
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), outline_under(v, Some(k))))
                .collect(),
        ),
        Value::Array(items) => match items.first() {
            None => Value::Array(Vec::new()),
            Some(_) if safe => Value::Array(
                items
                    .iter()
                    .take(8)
                    .map(|item| outline_under(item, key))
                    .collect(),
            ),
            Some(first) => Value::Array(vec![
                outline_under(first, key),
                Value::String(format!("<{} items>", items.len())),
            ]),
        },
        Value::String(text) if safe && text.len() <= 2048 => {
            Value::String(super::scrub(text).into_owned())
        }
        Value::Number(number) if safe => Value::Number(number.clone()),
        Value::String(text) => Value::String(format!("<string, {} bytes>", text.len())),
        Value::Number(_) => Value::String("<number>".into()),
        Value::Bool(_) => Value::String("<bool>".into()),
        Value::Null => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn a_command_shows_its_program_and_flags_and_masks_values() {
        assert_eq!(
            command(&words(&["--db-password", "Xy9!pass", "--port", "5432"])),
            "[--db-password [REDACTED] --port 5432]"
        );
        assert_eq!(
            command(&words(&["redis-server", "--requirepass", "foobared"])),
            "[redis-server --requirepass [REDACTED]]"
        );
        assert_eq!(
            command(&words(&["erl", "-setcookie", "monster", "-name", "node"])),
            "[erl -setcookie [REDACTED] -name node]"
        );
        assert_eq!(
            command(&words(&[
                "CMD-SHELL",
                "cqlsh -u cassandra -p S3cretCass || exit 1"
            ])),
            "[CMD-SHELL cqlsh -u cassandra -p [REDACTED] || exit 1]"
        );
        assert_eq!(
            command(&words(&[
                "CMD-SHELL",
                "curl -f http://localhost:8080/health || exit 1"
            ])),
            "[CMD-SHELL curl -f http://localhost:8080/health || exit 1]"
        );
        assert_eq!(
            command(&words(&["node", "server.js", "--max-old-space-size=512"])),
            "[node server.js --max-old-space-size=512]"
        );
        assert_eq!(
            command(&words(&["mysql", "-pS3cretGlued"])),
            "[mysql -p[REDACTED]]"
        );
        assert_eq!(
            command(&words(&["app", "--api-key=abc123def456"])),
            "[app --api-key=[REDACTED]]"
        );
    }

    #[test]
    fn an_image_loses_its_user_info_and_keeps_its_digest() {
        assert_eq!(
            image("ci:S3cret@registry.example.com/app:1.2"),
            "registry.example.com/app:1.2"
        );
        assert_eq!(
            image("https://u:p@ghcr.io/acme/api:v1"),
            "ghcr.io/acme/api:v1"
        );
        assert_eq!(image("nginx@sha256:abcdef"), "nginx@sha256:abcdef");
        assert_eq!(
            image("ghcr.io/acme/api@sha256:abc"),
            "ghcr.io/acme/api@sha256:abc"
        );
    }

    #[test]
    fn an_outline_keeps_keys_and_safe_values_only() {
        let event: Value = serde_json::json!({
            "id": "abc-123",
            "detail": {
                "lastStatus": "STOPPED",
                "overrides": {"containerOverrides": [{"name": "app", "environment": [
                    {"name": "DB_PASSWORD", "value": "hunter2hunter2"}]}]},
            }
        });
        let text = outline(&event).to_string();
        assert!(
            text.contains("STOPPED") && text.contains("abc-123"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("<string, 14 bytes>"), "{text}");
    }
}
