//! Log-line shapes the literal grammar cannot say, matched by hand: nothing is compiled at
//! start-up (seven regular expressions cost the first crash with a log about half a
//! millisecond). Each function says the expression it stands for; `tests/engine/shapes.rs` holds them
//! to it over the corpora and crafted lines.

use super::grammar::Cause;

fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// A word boundary before `at` (the byte before is not a word byte) — for a position that
/// starts a word.
fn starts_word(bytes: &[u8], at: usize) -> bool {
    at == 0 || !is_word(bytes[at - 1])
}

/// A word boundary after `end` — for a word that ends at `end`.
fn ends_word(bytes: &[u8], end: usize) -> bool {
    end >= bytes.len() || !is_word(bytes[end])
}

fn starts_with_ci(bytes: &[u8], at: usize, needle: &str) -> bool {
    let needle = needle.as_bytes();
    // The first byte alone settles most positions, without a call.
    bytes.len() >= at + needle.len()
        && needle
            .first()
            .is_none_or(|first| bytes[at].eq_ignore_ascii_case(first))
        && bytes[at..at + needle.len()].eq_ignore_ascii_case(needle)
}

/// Every position where `needle` starts, case-insensitively.
fn find_all_ci<'a>(bytes: &'a [u8], needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    (0..=bytes.len().saturating_sub(needle.len()))
        .filter(move |&at| starts_with_ci(bytes, at, needle))
}

/// The causes the shapes find in a line.
pub fn causes(line: &str) -> Vec<Cause> {
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    let config = key_error(bytes)
        || name_missing(bytes)
        || environment_variable_missing(bytes)
        || env_var_missing(bytes)
        || nothing_given(bytes)
        || missing_setting(bytes);
    if config {
        found.push(Cause::Config);
    }
    if exception(bytes) {
        found.push(Cause::Crash);
    }
    found
}

/// How long the application says its start-up took, in seconds:
/// `(?i)\b(started|startup|start-up|ready)\b[^\n]{0,60}? in \[?(\d+(\.\d+)?)\]? ?(ms|milliseconds|s|secs?|seconds)\b`
/// — Spring Boot's "Started CheckoutApplication in 42.7 seconds", Quarkus's "started in
/// 2.345s", Micronaut's "Startup completed in 812ms", Tomcat's "Server startup in [2345]
/// milliseconds". A measurement the application made, not an estimate ("takes ~45 s").
pub fn startup_seconds(line: &str) -> Option<f64> {
    let bytes = line.as_bytes();
    find_all_ci(bytes, " in ").find_map(|at| {
        let before = &bytes[at.saturating_sub(60)..at];
        let said = ["started", "startup", "start-up", "ready"]
            .iter()
            .any(|word| {
                find_all_ci(before, word).any(|start| {
                    starts_word(before, start) && ends_word(before, start + word.len())
                })
            });
        if !said {
            return None;
        }
        duration_at(&bytes[at + " in ".len()..])
    })
}

/// `\[?(\d+(\.\d+)?)\]? ?(ms|milliseconds|s|secs?|seconds)\b` at the start of `bytes`, in
/// seconds (under an hour: a longer one is no start-up).
fn duration_at(bytes: &[u8]) -> Option<f64> {
    let bracket = usize::from(bytes.first() == Some(&b'['));
    let digits = bytes[bracket..]
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .count();
    let number: f64 = std::str::from_utf8(&bytes[bracket..bracket + digits])
        .ok()?
        .parse()
        .ok()?;
    let mut at = bracket + digits;
    if bracket == 1 {
        (bytes.get(at) == Some(&b']')).then_some(())?;
        at += 1;
    }
    if bytes.get(at) == Some(&b' ') {
        at += 1;
    }
    let unit_len = bytes[at..]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let seconds = match bytes[at..at + unit_len].to_ascii_lowercase().as_slice() {
        b"ms" | b"milliseconds" => number / 1000.0,
        b"s" | b"sec" | b"secs" | b"seconds" => number,
        _ => return None,
    };
    (seconds > 0.0 && seconds < 3600.0).then_some(seconds)
}

/// `(?-i:KeyError: '[A-Z][A-Z0-9_]+')`
pub fn key_error(bytes: &[u8]) -> bool {
    let needle = b"KeyError: '";
    bytes.windows(needle.len()).enumerate().any(|(at, window)| {
        if window[0] != b'K' || window != needle {
            return false;
        }
        let name = &bytes[at + needle.len()..];
        let run = name
            .iter()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
            .count();
        // A capital first, one more at least, and the quote right after the name.
        run >= 2 && name[0].is_ascii_uppercase() && name.get(run) == Some(&b'\'')
    })
}

const MISSING: [&str; 7] = [
    "not set",
    "must be set",
    "is required",
    "is missing",
    "missing",
    "undefined",
    "empty",
];

/// `(?-i:\b[A-Z][A-Z0-9]*_[A-Z0-9_]+)['`]? (is )?(not set|must be set|is required|is missing|missing|undefined|empty)`
/// (the phrase in any case).
pub fn name_missing(bytes: &[u8]) -> bool {
    let name_byte = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_';
    (0..bytes.len()).any(|start| {
        if !bytes[start].is_ascii_uppercase() || !starts_word(bytes, start) {
            return false;
        }
        let end = start + bytes[start..].iter().take_while(|b| name_byte(**b)).count();
        let Some(underscore) = bytes[start..end].iter().position(|b| *b == b'_') else {
            return false;
        };
        // One name byte at least after the first underscore.
        if start + underscore + 1 >= end {
            return false;
        }
        let mut at = end;
        if matches!(bytes.get(at), Some(b'\'') | Some(b'`')) {
            at += 1;
        }
        if bytes.get(at) != Some(&b' ') {
            return false;
        }
        at += 1;
        let phrase_at = |at: usize| {
            MISSING
                .iter()
                .any(|phrase| starts_with_ci(bytes, at, phrase))
        };
        phrase_at(at) || (starts_with_ci(bytes, at, "is ") && phrase_at(at + 3))
    })
}

/// A phrase of `phrases` that starts a word within `window` bytes after `from`, the bytes
/// before it free of `stop`.
fn phrase_within(bytes: &[u8], from: usize, window: usize, stop: &[u8], phrases: &[&str]) -> bool {
    let last = (from + window).min(bytes.len());
    (from..=last).any(|at| {
        // [^stop]{0,window} before the phrase.
        if bytes[from..at].iter().any(|b| stop.contains(b)) {
            return false;
        }
        starts_word(bytes, at)
            && phrases
                .iter()
                .any(|phrase| starts_with_ci(bytes, at, phrase))
    })
}

/// `environment variable[^.]{0,80}\b(not set|not defined|missing|required|undefined|must be set|empty|not found)`
pub fn environment_variable_missing(bytes: &[u8]) -> bool {
    const PHRASES: [&str; 8] = [
        "not set",
        "not defined",
        "missing",
        "required",
        "undefined",
        "must be set",
        "empty",
        "not found",
    ];
    find_all_ci(bytes, "environment variable")
        .any(|at| phrase_within(bytes, at + "environment variable".len(), 80, b".", &PHRASES))
}

/// `\b(env|environment) var(iable)?s?\b.{0,80}\b(not set|missing|required)`
pub fn env_var_missing(bytes: &[u8]) -> bool {
    const PHRASES: [&str; 3] = ["not set", "missing", "required"];
    ["env var", "environment var"].iter().any(|head| {
        find_all_ci(bytes, head).any(|at| {
            if !starts_word(bytes, at) {
                return false;
            }
            let var_end = at + head.len();
            ["iables", "iable", "s", ""].iter().any(|tail| {
                let end = var_end + tail.len();
                starts_with_ci(bytes, var_end, tail)
                    && ends_word(bytes, end)
                    && phrase_within(bytes, end, 80, b"\n", &PHRASES)
            })
        })
    })
}

/// `\bno\b[^.\n]{0,80}\b(has been|was|is|were|are) (specified|set|provided|configured|given)\b`
pub fn nothing_given(bytes: &[u8]) -> bool {
    const VERBS: [&str; 5] = ["has been", "was", "is", "were", "are"];
    const GIVEN: [&str; 5] = ["specified", "set", "provided", "configured", "given"];
    find_all_ci(bytes, "no").any(|at| {
        if !starts_word(bytes, at) || !ends_word(bytes, at + 2) {
            return false;
        }
        let from = at + 2;
        let last = (from + 80).min(bytes.len());
        (from..=last).any(|verb_at| {
            if bytes[from..verb_at]
                .iter()
                .any(|b| *b == b'.' || *b == b'\n')
                || !starts_word(bytes, verb_at)
            {
                return false;
            }
            VERBS.iter().any(|verb| {
                let space = verb_at + verb.len();
                starts_with_ci(bytes, verb_at, verb)
                    && bytes.get(space) == Some(&b' ')
                    && GIVEN.iter().any(|given| {
                        starts_with_ci(bytes, space + 1, given)
                            && ends_word(bytes, space + 1 + given.len())
                    })
            })
        })
    })
}

/// `\bmissing\b[^\n]{0,60}\b(environment|config|configuration|setting|settings|credentials|variable|key|secret)\b`
pub fn missing_setting(bytes: &[u8]) -> bool {
    const WORDS: [&str; 9] = [
        "environment",
        "config",
        "configuration",
        "setting",
        "settings",
        "credentials",
        "variable",
        "key",
        "secret",
    ];
    find_all_ci(bytes, "missing").any(|at| {
        let from = at + "missing".len();
        if !starts_word(bytes, at) || !ends_word(bytes, from) {
            return false;
        }
        let last = (from + 60).min(bytes.len());
        (from..=last).any(|word_at| {
            if bytes[from..word_at].contains(&b'\n') || !starts_word(bytes, word_at) {
                return false;
            }
            WORDS.iter().any(|word| {
                starts_with_ci(bytes, word_at, word) && ends_word(bytes, word_at + word.len())
            })
        })
    })
}

/// `(?-i)(^|[\s"'])([A-Za-z_][\w.$]*\.)?[A-Z]\w*(Error|Exception)(: |:?$|\[)`: an exception
/// class, bare or with its package, as a trace prints it.
pub fn exception(bytes: &[u8]) -> bool {
    let path_byte = |b: u8| is_word(b) || b == b'.' || b == b'$';
    ["Error", "Exception"].iter().any(|suffix| {
        let suffix = suffix.as_bytes();
        bytes.windows(suffix.len()).enumerate().any(|(at, window)| {
            if window[0] != suffix[0] || window != suffix {
                return false;
            }
            let end = at + suffix.len();
            let rest = &bytes[end..];
            let closes = rest.starts_with(b": ")
                || rest.starts_with(b"[")
                || rest.is_empty()
                || rest == b":";
            if !closes {
                return false;
            }
            // The run of [\w.$] that ends with the suffix, and what stands before it.
            let start = bytes[..end]
                .iter()
                .rposition(|b| !path_byte(*b))
                .map_or(0, |p| p + 1);
            if start > 0
                && !matches!(
                    bytes[start - 1],
                    b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | b'"' | b'\''
                )
            {
                return false;
            }
            let run = &bytes[start..end];
            // The class: after the last dot, a capital, then word bytes only.
            let (path, class) = match run.iter().rposition(|b| *b == b'.') {
                Some(dot) => (Some(&run[..dot]), &run[dot + 1..]),
                None => (None, run),
            };
            // `[A-Z]\w*` then the suffix: a bare `Error:` is no class name.
            let class_ok = class.len() > suffix.len()
                && class.first().is_some_and(u8::is_ascii_uppercase)
                && class.iter().all(|b| is_word(*b));
            let path_ok = path.is_none_or(|path| {
                path.first()
                    .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            });
            class_ok && path_ok
        })
    })
}

/// An AWS denial an application logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denial<'a> {
    /// The whole match, as quoted.
    pub said: &'a str,
    pub principal: Option<&'a str>,
    pub action: &'a str,
    pub resource: Option<&'a str>,
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// `(?:User:\s*(arn:\S+)\s+)?is not authorized to perform:?\s+([A-Za-z0-9-]+:[A-Za-z0-9*]+)(?:\s+on resource:?\s+([^\s,;)]+))?`
/// — the first such denial in the line.
pub fn denial(line: &str) -> Option<Denial<'_>> {
    const SAID: &str = "is not authorized to perform";
    let bytes = line.as_bytes();
    let spaces = |from: usize| bytes[from..].iter().take_while(|b| is_space(**b)).count();
    let run =
        |from: usize, ok: &dyn Fn(u8) -> bool| bytes[from..].iter().take_while(|b| ok(**b)).count();
    line.match_indices(SAID).find_map(|(at, _)| {
        let mut cursor = at + SAID.len();
        if bytes.get(cursor) == Some(&b':') {
            cursor += 1;
        }
        let gap = spaces(cursor);
        if gap == 0 {
            return None;
        }
        cursor += gap;
        let service = run(cursor, &|b| b.is_ascii_alphanumeric() || b == b'-');
        if service == 0 || bytes.get(cursor + service) != Some(&b':') {
            return None;
        }
        let name = run(cursor + service + 1, &|b| {
            b.is_ascii_alphanumeric() || b == b'*'
        });
        if name == 0 {
            return None;
        }
        let action = &line[cursor..cursor + service + 1 + name];
        let mut end = cursor + service + 1 + name;
        let resource = on_resource(line, end).map(|(resource, resource_end)| {
            end = resource_end;
            resource
        });
        let (start, principal) =
            principal_before(line, at).map_or((at, None), |(s, p)| (s, Some(p)));
        Some(Denial {
            said: &line[start..end],
            principal,
            action,
            resource,
        })
    })
}

/// `\s+on resource:?\s+([^\s,;)]+)` at `from`: the resource and where it ends.
fn on_resource(line: &str, from: usize) -> Option<(&str, usize)> {
    let bytes = line.as_bytes();
    let gap = bytes[from..].iter().take_while(|b| is_space(**b)).count();
    let mut cursor = from + gap;
    if gap == 0 || !line[cursor..].starts_with("on resource") {
        return None;
    }
    cursor += "on resource".len();
    if bytes.get(cursor) == Some(&b':') {
        cursor += 1;
    }
    let gap = bytes[cursor..].iter().take_while(|b| is_space(**b)).count();
    if gap == 0 {
        return None;
    }
    cursor += gap;
    let length = bytes[cursor..]
        .iter()
        .take_while(|b| !is_space(**b) && !matches!(**b, b',' | b';' | b')'))
        .count();
    (length > 0).then(|| (&line[cursor..cursor + length], cursor + length))
}

/// `User:\s*(arn:\S+)\s+` right before `at`: where it starts, and the principal.
fn principal_before(line: &str, at: usize) -> Option<(usize, &str)> {
    let before = &line.as_bytes()[..at];
    let gap = before.iter().rev().take_while(|b| is_space(**b)).count();
    if gap == 0 {
        return None;
    }
    let end = at - gap;
    let token_start = before[..end]
        .iter()
        .rposition(|b| is_space(*b))
        .map_or(0, |p| p + 1);
    let token = &line[token_start..end];
    let is_arn = |text: &str| text.starts_with("arn:") && text.len() > 4;
    if let Some(principal) = token.strip_prefix("User:") {
        return is_arn(principal).then_some((token_start, principal));
    }
    if !is_arn(token) {
        return None;
    }
    let head_end = token_start
        - before[..token_start]
            .iter()
            .rev()
            .take_while(|b| is_space(**b))
            .count();
    let user = head_end.checked_sub("User:".len())?;
    (&line[user..head_end] == "User:").then_some((user, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_up_times_the_frameworks_log_are_read_in_seconds() {
        let read = |line: &str| startup_seconds(line);
        assert_eq!(
            read("2026-11-20 INFO 1 --- [main] c.a.CheckoutApplication : Started CheckoutApplication in 42.7 seconds (process running for 44.1)"),
            Some(42.7)
        );
        assert_eq!(
            read("INFO  [io.quarkus] checkout 1.8.3 on JVM started in 2.345s. Listening on: http://0.0.0.0:8080"),
            Some(2.345)
        );
        assert_eq!(
            read("INFO  io.micronaut.runtime.Micronaut - Startup completed in 812ms. Server Running: http://localhost:8080"),
            Some(0.812)
        );
        assert_eq!(
            read("INFO [main] org.apache.catalina.startup.Catalina.start Server startup in [2345] milliseconds"),
            Some(2.345)
        );
    }

    #[test]
    fn an_estimate_or_another_duration_is_no_start_up_time() {
        for line in [
            "info: checkout-api 1.8.3 warming caches (this takes ~45 s)",
            "GET /healthz 503 2ms (warming)",
            "request completed in 35 ms",
            "Started job in queue default",
            "restarted in 5 seconds",
        ] {
            assert_eq!(startup_seconds(line), None, "{line}");
        }
    }
}
