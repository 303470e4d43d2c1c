//! Secrets out of everything that leaves.
//!
//! Two kinds of detectors: tokens that announce themselves (`AKIA…`, `ghp_…`, `eyJ….eyJ…`,
//! `xoxb-…`) are replaced whole with a typed marker; values that only a key word next to them
//! marks as secret (`password=…`, `"token": "…"`, `postgres://app:…@db`) lose the value and keep
//! the key, so the decisive part of a line still reads:
//! `could not connect to postgres://app:[REDACTED]@db:5432/orders: connection refused`.
//!
//! One `RegexSet` pass answers "anything here?" for the common clean line; only the detectors
//! that matched run again to replace. Scrubbing is idempotent: `scrub(scrub(x)) == scrub(x)`.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex, RegexSet};

/// The marker for a value whose key already says what it is (`password=[REDACTED]`).
const MARKER: &str = "[REDACTED]";

/// Replaces secrets in `text` (keys, tokens, passwords in URLs) with a marker.
///
/// Returns `Cow::Borrowed` when nothing had to change.
pub fn scrub(text: &str) -> Cow<'_, str> {
    if !DETECTOR_SET.is_match(text) {
        return Cow::Borrowed(text);
    }
    let matched = DETECTOR_SET.matches(text);
    let mut scrubbed = text.to_owned();
    for (index, detector) in DETECTORS.iter().enumerate() {
        if !matched.matched(index) {
            continue;
        }
        let replaced = detector
            .regex
            .replace_all(&scrubbed, |caps: &Captures<'_>| detector.replace(caps));
        if let Cow::Owned(replaced) = replaced {
            scrubbed = replaced;
        }
    }
    if scrubbed == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(scrubbed)
    }
}

/// Scrubs `text`, then cuts it to at most `max_bytes` (on a character boundary, ending with
/// "…"): cutting first would leave the head of a cut secret for the scrubber to miss.
pub fn scrub_and_cut(text: &str, max_bytes: usize) -> String {
    let clean = scrub(text);
    if clean.len() <= max_bytes {
        return clean.into_owned();
    }
    let mut end = max_bytes.saturating_sub('…'.len_utf8());
    while !clean.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &clean[..end])
}

/// How a detector turns a match into its replacement.
#[derive(Clone, Copy)]
enum Redact {
    /// Keep the named groups `pre` and `post` (when the pattern has them), replace the rest with
    /// `[REDACTED:<kind>]`, or with `[REDACTED]` when `kind` is empty.
    Marker(&'static str),
    /// `key=value`, `key: value`, `"key": "value"`: decided per match by [`redact_key_value`].
    KeyValue,
    /// A long random-looking value after a `…key` word: decided by [`redact_keyed_blob`].
    KeyedBlob,
}

struct Detector {
    regex: Regex,
    redact: Redact,
}

impl Detector {
    fn replace(&self, caps: &Captures<'_>) -> String {
        let whole = caps.get(0).map_or("", |m| m.as_str());
        let replaced = match self.redact {
            Redact::Marker(kind) => redact_marked(caps, kind),
            Redact::KeyValue => redact_key_value(caps),
            Redact::KeyedBlob => redact_keyed_blob(caps),
        };
        replaced.unwrap_or_else(|| whole.to_owned())
    }
}

/// The detectors, in the order they run: whole blocks and self-announcing tokens first, so a
/// key word detector later finds `[REDACTED:…]` and leaves it alone.
const PATTERNS: &[(&str, Redact)] = &[
    // -----BEGIN RSA PRIVATE KEY----- … -----END RSA PRIVATE KEY----- (or cut off: to the end).
    (
        r"(?s)-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\z)",
        Redact::Marker("private-key"),
    ),
    // JSON Web Tokens: header.payload.signature, both first parts base64url JSON objects.
    (
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        Redact::Marker("jwt"),
    ),
    // Slack incoming webhooks: the path is the credential.
    (
        r"(?P<pre>https://hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9/_-]+",
        Redact::Marker("slack-webhook"),
    ),
    // scheme://user:PASSWORD@host: keep the user and the host. Greedy up to the last `@` before
    // the path, so an unencoded `@` in the password does not leak its tail.
    (
        r#"(?i)(?P<pre>\b[a-z][a-z0-9+.-]{0,30}://[^\s:/?#@\[\]'"<>]*:)[^\s/?#'"<>]+(?P<post>@)"#,
        Redact::Marker(""),
    ),
    (
        r"\b(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{20,255})",
        Redact::Marker("github-token"),
    ),
    (
        r"\b(?:xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,})",
        Redact::Marker("slack-token"),
    ),
    (
        r"\b(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,})",
        Redact::Marker("stripe-key"),
    ),
    (r"\bAIza[0-9A-Za-z_-]{35}", Redact::Marker("google-api-key")),
    (
        r"\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}",
        Redact::Marker("sendgrid-key"),
    ),
    // Twilio API key (SK…) and account (AC…) SIDs.
    (
        r"\b(?:SK|AC)[0-9a-fA-F]{32}\b",
        Redact::Marker("twilio-key"),
    ),
    (r"\bnpm_[A-Za-z0-9]{36}\b", Redact::Marker("npm-token")),
    // Long-term (AKIA) and temporary (ASIA) access key ids.
    (
        r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
        Redact::Marker("aws-access-key-id"),
    ),
    (
        r#"(?i)(?P<pre>[a-z0-9_.-]*secret_?access_?key\\?["']?[ \t]*(?:=>|[:=])[ \t]*\\?["']?)[A-Za-z0-9/+=]{40,}"#,
        Redact::Marker("aws-secret-key"),
    ),
    (
        r#"(?i)(?P<pre>[a-z0-9_.-]*(?:session_?token|security_?token)\\?["']?[ \t]*(?:=>|[:=])[ \t]*\\?["']?)[A-Za-z0-9/+=%]{16,}"#,
        Redact::Marker("aws-session-token"),
    ),
    // SigV4 signatures, in presigned URLs (X-Amz-Signature=) and Authorization headers.
    (
        r"(?i)(?P<pre>\b(?:x-amz-)?signature=)[0-9a-f]{64}\b",
        Redact::Marker("aws-signature"),
    ),
    (
        r#"(?i)(?P<pre>\b(?:proxy-)?authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?(?:(?:bearer|basic|token|digest|negotiate|aws4-hmac-sha256)[ \t]+)?)[^\s"',;\\]+"#,
        Redact::Marker(""),
    ),
    (
        r"(?i)(?P<pre>\bbearer[ \t]+)[A-Za-z0-9._~+/-]{16,}=*",
        Redact::Marker(""),
    ),
    // Cookie headers: name=value pairs that are session credentials.
    (
        r"(?i)(?P<pre>\b(?:set-)?cookie[ \t]*:[ \t]*)[^\r\n=]+=[^\r\n]*",
        Redact::Marker(""),
    ),
    // Command-line flags: --password hunter2.
    (
        r"(?im)(?P<pre>(?:^|[ \t])--?(?:password|passwd|pass|secret|token|api-key|apikey|client-secret|auth-token)[ \t]+)[^\s-]\S*",
        Redact::Marker(""),
    ),
    (
        r#"(?i)(?P<key>[a-z0-9_.-]*(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|auth)[a-z0-9_.-]*)(?P<sep>\\?["']?[ \t]*(?:=>|[:=])[ \t]*)(?:(?P<dq>\\?"(?:[^"\\\r\n]|\\[^"])*\\?")|(?P<sq>'[^'\r\n]*')|(?P<bare>[^\s"',;&<>}\])]+))"#,
        Redact::KeyValue,
    ),
    (
        r#"(?i)(?P<key>[a-z0-9_.-]*key)(?P<sep>\\?["']?[ \t]*(?:=>|[:=])[ \t]*\\?["']?)(?P<value>[A-Za-z0-9+/_-]{32,}={0,2})"#,
        Redact::KeyedBlob,
    ),
];

static DETECTORS: LazyLock<Vec<Detector>> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .map(|(pattern, redact)| Detector {
            regex: Regex::new(pattern).expect("redaction patterns are valid"),
            redact: *redact,
        })
        .collect()
});

static DETECTOR_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(PATTERNS.iter().map(|(pattern, _)| pattern))
        .expect("redaction patterns are valid")
});

fn is_redacted(value: &str) -> bool {
    value
        .trim_start_matches(['"', '\'', '\\'])
        .starts_with("[REDACTED")
}

/// `pre` + marker + `post`; `None` (leave the match alone) when the secret part is a marker.
fn redact_marked(caps: &Captures<'_>, kind: &str) -> Option<String> {
    let whole = caps.get(0)?.as_str();
    let pre = caps.name("pre").map_or("", |m| m.as_str());
    let post = caps.name("post").map_or("", |m| m.as_str());
    let secret = &whole[pre.len()..whole.len() - post.len()];
    if is_redacted(secret) {
        return None;
    }
    let marker = if kind.is_empty() {
        MARKER.to_owned()
    } else {
        format!("[REDACTED:{kind}]")
    };
    Some(format!("{pre}{marker}{post}"))
}

/// Whether `key` names a secret: password, secret, api key, credentials, token, auth; but not
/// author, authority or authentication.
fn is_secret_key(key: &str) -> bool {
    const WORDS: &[&str] = &[
        "password",
        "passwd",
        "passwrd",
        "secret",
        "apikey",
        "api_key",
        "api-key",
        "access_key",
        "access-key",
        "accesskey",
        "private_key",
        "private-key",
        "privatekey",
        "credential",
        "token",
    ];
    let key = key.to_ascii_lowercase();
    let is_segment = |word: &str| key.split(['_', '.', '-']).any(|segment| segment == word);
    WORDS.iter().any(|word| key.contains(word))
        || is_segment("pwd")
        || key.ends_with("pwd")
        || is_segment("auth")
        || key.ends_with("auth")
}

/// A colon with no space and no quote (`arn:aws:secretsmanager:…`, `host:port`, JMESPath's
/// `secrets:containerDefinitions`) is not an assignment.
fn is_bare_colon(separator: &str) -> bool {
    separator.contains(':') && !separator.contains(['"', '\'']) && !separator.ends_with([' ', '\t'])
}

/// Values that say something about the configuration rather than hold a secret: an empty or
/// unset value is often the diagnosis (`DB_PASSWORD=` → missing-env-or-config).
fn is_placeholder(value: &str) -> bool {
    let value = value.trim_matches(['"', '\'', '\\']);
    value.is_empty()
        || value.starts_with('$')
        || value.starts_with("arn:")
        || value.starts_with('<')
        || value.chars().all(|c| c == '*' || c == 'x' || c == 'X')
        || [
            "null",
            "none",
            "nil",
            "true",
            "false",
            "undefined",
            "redacted",
        ]
        .iter()
        .any(|word| value.eq_ignore_ascii_case(word))
}

/// Mixed letters and digits, or a long mixed-case string with digits or symbols.
fn looks_secret(value: &str) -> bool {
    let has_digit = value.chars().any(|c| c.is_ascii_digit());
    let has_alpha = value.chars().any(|c| c.is_alphabetic());
    let has_upper = value.chars().any(|c| c.is_uppercase());
    let has_lower = value.chars().any(|c| c.is_lowercase());
    let has_symbol = value.chars().any(|c| !c.is_alphanumeric());
    (has_digit && has_alpha)
        || (value.chars().count() >= 16 && has_upper && has_lower && (has_digit || has_symbol))
}

fn redact_key_value(caps: &Captures<'_>) -> Option<String> {
    let key = caps.name("key")?.as_str();
    let separator = caps.name("sep")?.as_str();
    if !is_secret_key(key) || is_bare_colon(separator) {
        return None;
    }
    let (value, replacement) = if let Some(quoted) = caps.name("dq") {
        let quoted = quoted.as_str();
        let quote = if quoted.starts_with('\\') {
            "\\\""
        } else {
            "\""
        };
        (quoted, format!("{quote}{MARKER}{quote}"))
    } else if let Some(quoted) = caps.name("sq") {
        (quoted.as_str(), format!("'{MARKER}'"))
    } else {
        (caps.name("bare")?.as_str(), MARKER.to_owned())
    };
    if is_redacted(value) || is_placeholder(value) {
        return None;
    }
    // `key: value` in prose ("Token: expired", "fetch its secrets: 'AccessDenied…'") needs a
    // single word that looks like a secret; `key=value` and `"key": "value"` do not.
    let prose = separator.contains(':') && !separator.contains(['"', '\'']);
    let inner = value.trim_matches(['"', '\'', '\\']);
    if prose && (inner.contains(char::is_whitespace) || !looks_secret(inner)) {
        return None;
    }
    Some(format!("{key}{separator}{replacement}"))
}

fn redact_keyed_blob(caps: &Captures<'_>) -> Option<String> {
    let key = caps.name("key")?.as_str();
    let separator = caps.name("sep")?.as_str();
    let value = caps.name("value")?.as_str();
    if is_bare_colon(separator) {
        return None;
    }
    let has_digit = value.chars().any(|c| c.is_ascii_digit());
    let mixed_case = value.chars().any(|c| c.is_ascii_uppercase())
        && value.chars().any(|c| c.is_ascii_lowercase());
    let hex = value.chars().all(|c| c.is_ascii_hexdigit());
    if !(has_digit && (mixed_case || hex)) {
        return None;
    }
    Some(format!("{key}{separator}{MARKER}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (what, the line, the secret that must not survive).
    const PLANTED: &[(&str, &str, &str)] = &[
        ("aws access key id", "using key AKIAIOSFODNN7EXAMPLE for s3", "AKIAIOSFODNN7EXAMPLE"),
        ("aws temporary key id", "AWS_ACCESS_KEY_ID=ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"),
        ("aws secret key env", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("aws secret key json", r#"{"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}"#, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("aws secret key ini", "aws_secret_access_key = 9drTJvcXLB89EXAMPLELB8923FB892xMFI2E9XAM", "9drTJvcXLB89EXAMPLELB8923FB892xMFI2E9XAM"),
        ("aws session token", "AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD", "IQoJb3JpZ2luX2VjEJr"),
        ("presigned url token", "GET /obj?X-Amz-Security-Token=FwoGZXIvYXdzEBYaDHqa0AP1%2FExample&X-Amz-Expires=60", "FwoGZXIvYXdzEBYaDHqa0AP1"),
        ("sigv4 signature", "X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024", "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"),
        ("authorization bearer", "Authorization: Bearer abc123def456ghi789jkl012", "abc123def456ghi789jkl012"),
        ("authorization basic", "authorization: Basic dXNlcjpodW50ZXIy", "dXNlcjpodW50ZXIy"),
        ("bare bearer", "retrying with bearer 0123456789abcdefABCDEF.xyz", "0123456789abcdefABCDEF.xyz"),
        ("jwt", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U expired", "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
        ("postgres url password", "could not connect to postgres://app:s3cr3t-Pa55@db:5432/orders", "s3cr3t-Pa55"),
        ("redis url password only", "redis://:hunter2hunter2@cache.internal:6379/0", "hunter2hunter2"),
        ("url password with @", "mongodb://admin:p@ss@w0rd@mongo:27017", "p@ss@w0rd"),
        ("private key block", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu\n-----END RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA1c7"),
        ("private key in json", r#"{"private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"}"#, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
        ("cut-off private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE"),
        ("password env", "DB_PASSWORD=correcthorsebatterystaple", "correcthorsebatterystaple"),
        ("password yaml", "password: hunter2", "hunter2"),
        ("password yaml quoted", "password: 'hunter2'", "hunter2"),
        ("password json", r#"{"user":"app","password":"Tr0ub4dor&3"}"#, "Tr0ub4dor&3"),
        ("password escaped json", r#"{\"password\":\"n0t-s0-s3cret\"}"#, "n0t-s0-s3cret"),
        ("passwd", "passwd=letmein99", "letmein99"),
        ("pwd in connection string", "Server=db;User Id=sa;Pwd=Sup3rS3cret;", "Sup3rS3cret"),
        ("client secret", "client_secret='aB3dE5fG7hI9jK1l'", "aB3dE5fG7hI9jK1l"),
        ("api key", "x-api-key: 4f8e2a1b9c7d6e5f4a3b2c1d", "4f8e2a1b9c7d6e5f4a3b2c1d"),
        ("apikey in query", "GET /v1/data?apikey=zzYY1234xx&page=2", "zzYY1234xx"),
        ("access key word", "ACCESS_KEY=MyAccessKey123", "MyAccessKey123"),
        ("auth token", "auth_token=tok_8a7s6d5f4g", "tok_8a7s6d5f4g"),
        ("credentials", "credentials => 'user:pa55word'", "user:pa55word"),
        ("cli flag", "mysql --password S3cretPass -h db", "S3cretPass"),
        ("github classic", "git clone https://ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com/o/r", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
        ("github fine-grained", "GH=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
        ("github app", "installation ghs_abcdefghijklmnopqrstuvwxyz0123456789", "ghs_abcdefghijklmnopqrstuvwxyz0123456789"),
        ("slack bot token", "slack error for xoxb-2048-4096-abcDEF123456", "xoxb-2048-4096-abcDEF123456"),
        ("slack app token", "SLACK_APP=xapp-1-A0123456789-0123456789-abcdef", "xapp-1-A0123456789-0123456789-abcdef"),
        ("slack webhook", "posting to https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX failed", "XXXXXXXXXXXXXXXXXXXXXXXX"),
        ("stripe live", "stripe: sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        ("stripe restricted", "rk_live_51H8abcdefghijklmnop", "rk_live_51H8abcdefghijklmnop"),
        ("stripe test", "using sk_test_BQokikJOvBiI2HlWgH4olfQ2", "sk_test_BQokikJOvBiI2HlWgH4olfQ2"),
        ("google api key", "maps key AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe", "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe"),
        ("sendgrid", "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", "TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr"),
        ("twilio api key sid", "twilio SK2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d rejected", "SK2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d"),
        ("npm token", "//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789", "npm_abcdefghijklmnopqrstuvwxyz0123456789"),
        ("datadog api key", "DD_API_KEY=0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"),
        ("datadog app key", "datadog.app_key: fedcba9876543210fedcba9876543210fedcba98", "fedcba9876543210fedcba9876543210fedcba98"),
        ("signing key blob", "JWT_SIGNING_KEY=Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWpr==", "Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWpr"),
        ("cookie", "Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark", "8f14e45fceea167a5a36dedd4bea2543"),
        ("generic secret", "app secret=Qm9vbXNoYWthbGFrYTEyMw", "Qm9vbXNoYWthbGFrYTEyMw"),
    ];

    #[test]
    fn no_planted_secret_survives() {
        assert!(PLANTED.len() >= 30);
        for (what, line, secret) in PLANTED {
            let scrubbed = scrub(line);
            assert!(
                !scrubbed.contains(secret),
                "{what}: the secret survived in {scrubbed:?}"
            );
            assert!(
                scrubbed.contains("[REDACTED"),
                "{what}: no marker in {scrubbed:?}"
            );
        }
    }

    #[test]
    fn scrubbing_twice_changes_nothing_more() {
        for (what, line, _) in PLANTED {
            let once = scrub(line).into_owned();
            let twice = scrub(&once);
            assert!(
                matches!(twice, Cow::Borrowed(_)),
                "{what}: {once:?} -> {twice:?}"
            );
        }
    }

    #[test]
    fn a_url_password_keeps_the_user_the_host_and_the_error() {
        assert_eq!(
            scrub("could not connect to postgres://app:s3cr3t@db:5432/orders: connection refused"),
            "could not connect to postgres://app:[REDACTED]@db:5432/orders: connection refused"
        );
    }

    #[test]
    fn markers_name_the_kind_of_secret() {
        assert_eq!(
            scrub("key AKIAIOSFODNN7EXAMPLE denied"),
            "key [REDACTED:aws-access-key-id] denied"
        );
        assert_eq!(scrub("DB_PASSWORD=hunter2"), "DB_PASSWORD=[REDACTED]");
        assert_eq!(
            scrub(r#"{"password":"hunter2","user":"app"}"#),
            r#"{"password":"[REDACTED]","user":"app"}"#
        );
        assert_eq!(
            scrub("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig"),
            "Authorization: Bearer [REDACTED:jwt]"
        );
    }

    #[test]
    fn the_rule_catalog_survives_scrubbing() {
        for rule in crate::diagnose::RULES {
            let texts = [rule.summary, rule.detects, rule.why, rule.fix];
            let steps = rule
                .steps
                .iter()
                .flat_map(|step| [step.title, step.command]);
            for text in texts.into_iter().chain(steps) {
                let scrubbed = scrub(text);
                assert!(
                    matches!(scrubbed, Cow::Borrowed(_)),
                    "rule {}: changed {text:?} into {scrubbed:?}",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn ordinary_lines_are_left_alone() {
        let ordinary = [
            "connection refused",
            "dial tcp 10.0.1.23:5432: connect: connection refused",
            "KeyError: DATABASE_URL",
            "Traceback (most recent call last):",
            "  File \"/app/main.py\", line 12, in <module>",
            "\tat com.example.orders.Main.main(Main.java:42)",
            "java.lang.OutOfMemoryError: Java heap space",
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "FATAL:  password authentication failed for user \"app\"",
            "Error: missing required environment variable API_KEY",
            "DB_PASSWORD=",
            "password=${DB_PASSWORD}",
            "invalid token: signature has expired",
            "Token: expired",
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ecsTaskExecutionRole/0f3 is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
            "valueFrom=arn:aws:ssm:eu-west-1:123456789012:parameter/prod/api_key",
            "CannotPullContainerError: pull access denied for api, repository does not exist or may require 'docker login'",
            "Essential container in task exited",
            "OutOfMemoryError: Container killed due to memory usage",
            "GET https://api.example.com:8443/v1/orders?page=2 503",
            "author=Jane Doe",
            "aws ecs describe-task-definition --task-definition api:42 --region eu-west-1 --query 'taskDefinition.{executionRoleArn:executionRoleArn,secrets:containerDefinitions[].secrets[]}'",
            "aws ecs describe-task-definition --task-definition api:42 --query 'taskDefinition.containerDefinitions[?name==`api`].{environment:environment[].name,secrets:secrets[].name}'",
            "aws secretsmanager describe-secret --secret-id <valueFrom-arn> --region eu-west-1",
            "image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "cacheKey: orders",
            "The task could not reach Secrets Manager to fetch its secrets: 'ResourceInitializationError: unable to pull secrets or registry auth: service call has been retried 5 time(s): RequestError: send request failed'.",
            r#"{"level":"error","msg":"token refresh failed","error":"context deadline exceeded","attempt":3}"#,
            "",
        ];
        for line in ordinary {
            let scrubbed = scrub(line);
            assert!(
                matches!(scrubbed, Cow::Borrowed(_)),
                "changed {line:?} into {scrubbed:?}"
            );
        }
    }
}
