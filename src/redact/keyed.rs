use super::*;

// ---------------------------------------------------------------------------------------------
// Values that a key word marks as secret.

#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Key {
    /// `password`, `secret`, `token`, `api_key`… (`wordy`: named by a whole word, so a lone
    /// lowercase word after `key:` can be the secret; not for `pass`, `auth`, `sig`).
    Strong {
        wordy: bool,
    },
    /// A key that only ends with `key` (`cacheKey`, `DD_APP_KEY`): the value must look random.
    Weak,
    Authorization,
    Cookie,
}

/// The last part of a key that says the value is not the secret itself (`SecretId`,
/// `token_type`, `password_file`, `PasswordLastUsed`).
#[rustfmt::skip]
pub(super) fn not_secret_last(part: &[u8]) -> bool {
    matches!(
        part,
        b"id" | b"ids" | b"sock" | b"socket" | b"arn" | b"arns" | b"name" | b"names" | b"type" |
        b"types" | b"url" | b"urls" | b"uri" | b"endpoint" | b"endpoints" | b"host" | b"hostname" |
        b"port" | b"file" | b"files" | b"path" | b"paths" | b"dir" | b"directory" | b"length" |
        b"len" | b"size" | b"ttl" | b"expiry" | b"expires" | b"expiration" | b"exp" | b"expire" |
        b"expired" | b"age" | b"lifetime" | b"timeout" | b"policy" | b"policies" | b"method" |
        b"methods" | b"mode" | b"provider" | b"providers" | b"source" | b"ref" | b"reference" |
        b"version" | b"versions" | b"count" | b"enabled" | b"disabled" | b"required" |
        b"enforced" | b"prompt" | b"format" | b"hint" | b"field" | b"fields" | b"error" |
        b"errors" | b"exception" | b"status" | b"state" | b"rotation" | b"rotated" | b"used" |
        b"usage" | b"created" | b"updated" | b"at" | b"date" | b"time" | b"timestamp" | b"stdin" |
        b"env" | b"var" | b"variable" | b"min" | b"max" | b"limit" | b"total" | b"num" |
        b"number" | b"location" | b"region" | b"kind" | b"class" | b"scheme" | b"algorithm" |
        b"alg" | b"algo" | b"strength" | b"reset" | b"manager" | b"service" | b"server" |
        b"process" | b"command" | b"cmd" | b"helper" | b"option" | b"options" | b"mount" |
        b"volume" | b"user" | b"username" | b"login" | b"email" | b"owner" | b"pattern" |
        b"regex" | b"validation" | b"label" | b"description" | b"desc" | b"title" | b"tag" |
        b"tags" | b"tokenizer" | b"tokenizers" | b"secrets" | b"tokens" | b"handler" | b"header" |
        b"prefix" | b"suffix" | b"store" | b"storage" | b"backend" | b"engine" | b"rule" |
        b"rules" | b"config" | b"configuration" | b"settings" | b"request" | b"response" |
        b"flow" | b"grant" | b"audience" | b"issuer" | b"retries" | b"interval"
    )
}

/// A part anywhere in the key that makes it about paging or idempotency, not access.
#[rustfmt::skip]
pub(super) fn not_secret_any(part: &[u8]) -> bool {
    matches!(
        part,
        b"next" | b"page" | b"continuation" | b"pagination" | b"idempotency" | b"sync" | b"public" |
        b"request"
    )
}

/// Words that name a secret anywhere in a key (`PGPASSWORD`, `client_secret`, `nextToken`
/// is paging, see above).
pub(super) const SECRET_WORDS: &[&[u8]] = &[
    b"password",
    b"passwd",
    b"passwrd",
    b"passphrase",
    b"secret",
    b"token",
    b"credential",
    b"hmac",
    b"storepass",
    b"keypass",
];

/// Parts that name a secret only as a whole part (`DB_PASS`, `auth`, `sig`, `MYSQL_PWD`,
/// openssl's `-passin`).
#[rustfmt::skip]
pub(super) fn secret_part(part: &[u8]) -> bool {
    matches!(
        part,
        b"pass" | b"pwd" | b"pw" | b"auth" | b"sig" | b"signature" | b"passin" | b"passout"
    )
}

/// What makes a `…key` a secret (`api_key`, `AccountKey`, `x-functions-key`); other keys
/// (`cacheKey`, `partitionKey`) hold a secret only when the value looks random.
#[rustfmt::skip]
pub(super) fn key_qualifier(part: &[u8]) -> bool {
    matches!(
        part,
        b"api" | b"access" | b"private" | b"account" | b"shared" | b"sharedaccess" | b"signing" |
        b"sign" | b"encryption" | b"decryption" | b"enc" | b"master" | b"app" | b"application" |
        b"auth" | b"license" | b"write" | b"ingest" | b"subscription" | b"session" | b"client" |
        b"hmac" | b"functions" | b"function" | b"admin" | b"root" | b"deploy" | b"webhook" |
        b"jwt" | b"role" | b"service" | b"user" | b"secret"
    )
}

/// A key's parts, lowercased, without allocating: `AWS_SECRET_ACCESS_KEY` → aws, secret,
/// access, key; `XAmzSecurityToken` → x, amz, security, token; `APIKey` → api, key.
pub(super) struct Parts {
    pub(super) buf: [u8; 96],
    pub(super) ends: [u8; 16],
    pub(super) count: usize,
}

impl Parts {
    fn new(key: &[u8]) -> Option<Parts> {
        let mut parts = Parts {
            buf: [0; 96],
            ends: [0; 16],
            count: 0,
        };
        let mut len = 0;
        let mut current = 0;
        for (i, &c) in key.iter().enumerate() {
            if matches!(c, b'_' | b'-' | b'.') {
                if current > 0 {
                    parts.end_part(len)?;
                    current = 0;
                }
                continue;
            }
            if c.is_ascii_uppercase() && current > 0 {
                let prev = key[i - 1];
                let next_lower = key.get(i + 1).is_some_and(u8::is_ascii_lowercase);
                if prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase() && next_lower)
                {
                    parts.end_part(len)?;
                    current = 0;
                }
            }
            *parts.buf.get_mut(len)? = c.to_ascii_lowercase();
            len += 1;
            current += 1;
        }
        if current > 0 {
            parts.end_part(len)?;
        }
        (parts.count > 0).then_some(parts)
    }

    fn end_part(&mut self, len: usize) -> Option<()> {
        *self.ends.get_mut(self.count)? = len as u8;
        self.count += 1;
        Some(())
    }

    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.buf[start..self.ends[i] as usize]
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.count).map(|i| self.get(i))
    }

    fn last(&self) -> &[u8] {
        self.get(self.count - 1)
    }

    /// The parts run together: `awssecretaccesskey`.
    fn joined(&self) -> &[u8] {
        &self.buf[..self.ends[self.count - 1] as usize]
    }
}

pub(super) fn classify(key: &[u8]) -> Option<Key> {
    let parts = Parts::new(key)?;
    let last = parts.last();
    if parts.iter().any(|p| p == b"authorization") {
        return (!not_secret_last(last) || last == b"header").then_some(Key::Authorization);
    }
    if last == b"cookie" || last == b"cookies" {
        return Some(Key::Cookie);
    }
    let joined = parts.joined();
    if matches!(
        joined,
        b"sessionid" | b"session" | b"sessid" | b"phpsessid" | b"jsessionid" | b"sid"
    ) {
        return Some(Key::Weak);
    }
    if not_secret_last(last) || parts.iter().any(not_secret_any) {
        return None;
    }
    if find(joined, b"secretsmanager").is_some() || last.starts_with(b"tokeniz") {
        return None;
    }
    if SECRET_WORDS.iter().any(|w| find(joined, w).is_some()) {
        return Some(Key::Strong { wordy: true });
    }
    if last.ends_with(b"key") {
        let qualifier = if last == b"key" {
            if parts.count >= 2 {
                parts.get(parts.count - 2)
            } else {
                b""
            }
        } else {
            &last[..last.len() - 3]
        };
        return Some(if key_qualifier(qualifier) {
            Key::Strong { wordy: true }
        } else {
            Key::Weak
        });
    }
    if parts.iter().any(secret_part) || joined.ends_with(b"pwd") {
        return Some(Key::Strong { wordy: false });
    }
    None
}

pub(super) fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')
}

/// The whole key a key word stands in (`AWS_SECRET_ACCESS_KEY` around `secret`), without a
/// `\n` spelled out before it or a `.`/`-` after it.
pub(super) fn key_around(b: &[u8], s: usize, e: usize) -> (usize, usize) {
    let mut ks = s;
    while ks > 0 && is_key_char(b[ks - 1]) {
        ks -= 1;
    }
    if ks < s && ks >= 1 && b[ks - 1] == b'\\' && matches!(b[ks], b'n' | b'r' | b't') {
        ks += 1;
    }
    let mut ke = run(b, e, is_key_char);
    while ke > e && matches!(b[ke - 1], b'.' | b'-') {
        ke -= 1;
    }
    (ks, ke)
}

pub(super) fn keyed_values(text: &str, b: &[u8], hits: &[(usize, usize)], spans: &mut Vec<Span>) {
    let mut keys: Vec<(usize, usize)> = hits.iter().map(|&(s, e)| key_around(b, s, e)).collect();
    keys.sort_unstable();
    keys.dedup();
    for (ks, ke) in keys {
        let mut class = classify(&b[ks..ke]);
        if matches!(class, None | Some(Key::Weak)) && ks >= 2 && b[ks - 1] == b' ' {
            // Two words: "API key: …", "secret key …".
            let mut ws = ks - 1;
            while ws > 0 && b[ws - 1].is_ascii_alphabetic() {
                ws -= 1;
            }
            let mut joined = [0u8; 64];
            let (word, key) = (&b[ws..ks - 1], &b[ks..ke]);
            if ws < ks - 1 && word.len() + 1 + key.len() <= joined.len() {
                joined[..word.len()].copy_from_slice(word);
                joined[word.len()] = b'_';
                joined[word.len() + 1..word.len() + 1 + key.len()].copy_from_slice(key);
                if matches!(
                    classify(&joined[..word.len() + 1 + key.len()]),
                    Some(Key::Strong { .. })
                ) {
                    class = Some(Key::Strong { wordy: true });
                }
            }
        }
        if let Some(class) = class {
            keyed_value(text, b, ks, ke, class, spans);
        }
    }
}

/// Values that say something about the configuration rather than hold a secret: an empty or
/// unset value is often the diagnosis (`DB_PASSWORD=` → missing-env-or-config).
pub(super) fn is_placeholder(value: &str) -> bool {
    let value = value.trim_matches(['"', '\'', '\\', ' ', '(', ')']);
    value.is_empty()
        || value.starts_with('$')
        || value.starts_with("arn:")
        || value.starts_with('<')
        || value.starts_with("{{")
        || value.starts_with("%s")
        || value.starts_with("%v")
        || value.starts_with("%(")
        || value.starts_with(&MARKER_HEAD[..7])
        || value.starts_with("/run/secrets/")
        || value.starts_with("/var/run/secrets/")
        || [
            "ssm:",
            "secretsmanager:",
            "vault:",
            "op://",
            "env:",
            "file:",
        ]
        .iter()
        .any(|p| value.starts_with(p))
        || value
            .chars()
            .all(|c| matches!(c, '*' | 'x' | 'X' | '•' | '.' | '…'))
        || [
            "null",
            "none",
            "nil",
            "true",
            "false",
            "undefined",
            "redacted",
            "yes",
            "no",
            "on",
            "off",
            "n/a",
            "unset",
            "empty",
            "masked",
            "hidden",
            "omitted",
            "sensitive",
        ]
        .iter()
        .any(|word| value.eq_ignore_ascii_case(word))
}

/// Mixed letters and digits, or a long mixed-case string with digits or symbols.
pub(super) fn looks_secret(value: &str) -> bool {
    let has_digit = value.chars().any(|c| c.is_ascii_digit());
    let has_alpha = value.chars().any(|c| c.is_alphabetic());
    let has_upper = value.chars().any(|c| c.is_uppercase());
    let has_lower = value.chars().any(|c| c.is_lowercase());
    let has_symbol = value.chars().any(|c| !c.is_alphanumeric());
    (has_digit && has_alpha)
        || (value.chars().count() >= 16 && has_upper && has_lower && (has_digit || has_symbol))
}

/// States a value can be in, as opposed to values: `token=expired`, `auth=failed`.
pub(super) const STATUS_WORDS: &[&str] = &[
    "expired",
    "invalid",
    "missing",
    "required",
    "revoked",
    "failed",
    "denied",
    "valid",
    "refreshed",
    "rotated",
    "provided",
    "present",
    "absent",
    "set",
    "unknown",
    "ok",
    "error",
    "unauthorized",
    "forbidden",
    "malformed",
    "pending",
];

/// More words that prose puts after a key and a colon.
pub(super) const PROSE_WORDS: &[&str] = &[
    "incorrect",
    "wrong",
    "changed",
    "updated",
    "rejected",
    "accepted",
    "notfound",
    "verified",
    "unverified",
    "generated",
    "ignored",
    "skipped",
    "configured",
    "enabled",
    "disabled",
    "default",
    "optional",
    "plain",
    "plaintext",
    "encrypted",
    "hashed",
    "secret",
    "password",
    "token",
    "bearer",
    "basic",
    "string",
    "value",
    "auth",
    "see",
    "below",
    "above",
    "tbd",
    "todo",
    "na",
    "required",
    "needed",
    "not",
    "is",
    "was",
    "for",
    "the",
];

/// Words that prose puts after `token:` or `password:` (`Token: expired`, `secret: none`).
pub(super) fn is_prose_word(value: &str) -> bool {
    if STATUS_WORDS
        .iter()
        .chain(PROSE_WORDS)
        .any(|w| w.eq_ignore_ascii_case(value))
    {
        return true;
    }
    let letters = value.bytes().all(|c| c.is_ascii_alphabetic());
    let ends = |suffix: &str| {
        value.len() >= suffix.len()
            && value[value.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    let participle = letters && value.len() <= 14 && (ends("ed") || ends("ing") || ends("tion"));
    let error_name = letters
        && value.as_bytes()[0].is_ascii_uppercase()
        && [
            "Error",
            "Exception",
            "Fault",
            "Failure",
            "Denied",
            "Expired",
            "NotFound",
            "Invalid",
            "Exceeded",
            "Unavailable",
            "Timeout",
            "Failed",
        ]
        .iter()
        .any(|suffix| value.ends_with(suffix));
    participle || error_name
}

/// After a value: the clause ends (end of line, a delimiter, an escape), or prose goes on.
pub(super) fn at_clause_end(b: &[u8], mut i: usize) -> bool {
    skip_blank(b, &mut i);
    i >= b.len()
        || matches!(
            b[i],
            b',' | b';' | b')' | b'}' | b']' | b'#' | b'"' | b'\'' | b'\n' | b'\r'
        )
        || escape_at(b, i)
        || at_end(b, i)
}

/// The end of a quoted value starting at `start` (after the quote), and whether the quote
/// closes (a value cut off runs to the end of its line). `escapes` backslashes stood before
/// the opening quote (`\"`) and stand before the closing one.
pub(super) fn quoted_end(b: &[u8], start: usize, quote: u8, escapes: usize) -> (usize, bool) {
    let mut i = start;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' || c == b'\r' {
            return (i, false);
        }
        if escapes == 0 {
            if c == b'\\' {
                i += 2;
                continue;
            }
            if c == quote {
                return (i, true);
            }
        } else if c == quote
            && i >= start + escapes
            && b[i - escapes..i].iter().all(|&c| c == b'\\')
        {
            return (i - escapes, true);
        }
        i += 1;
    }
    (b.len(), false)
}

/// The end of an unquoted value.
pub(super) fn bare_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace()
            || matches!(
                c,
                b'"' | b'\'' | b'`' | b',' | b';' | b'&' | b'<' | b'>' | b'}' | b']' | b')' | b'|'
            )
        {
            break;
        }
        if c == b'\\' {
            if matches!(
                b.get(i + 1),
                Some(b'n' | b'r' | b't' | b'"' | b'\'' | b'\\') | None
            ) {
                break;
            }
            i += 2;
            continue;
        }
        i += 1;
    }
    i.min(b.len())
}

/// How a key is followed by its value: `key = "value"`, `"key": value`, `key: [value]`, `--key value`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Assignment {
    /// The key was quoted (`"password": …`).
    pub(super) key_quoted: bool,
    /// Blanks before and after the separator.
    ws1: usize,
    ws2: usize,
    /// The separator's length: 0 (none: `--password hunter2`), 1 (`=`, `:`), 2 (`=>`, `:=`).
    pub(super) sep: usize,
    /// The separator is a lone `:`.
    pub(super) colon: bool,
    /// The value opens with `[` (Go's `Authorization:[Basic …]`).
    pub(super) bracket: bool,
    /// The value's opening quote and the backslashes before it.
    pub(super) quote: Option<(u8, usize)>,
    /// Where the value starts.
    pub(super) vstart: usize,
}

/// Reads what follows a key that ends at `ke`; None when it is no assignment (a comparison, a
/// nested object, a marker already there, a key with nothing after it).
pub(super) fn assignment(b: &[u8], ke: usize) -> Option<Assignment> {
    let n = b.len();
    let mut i = ke;
    // The closing quote of a quoted key: `"`, `'`, `\"`.
    let mut key_quoted = false;
    let mark = i;
    while i < n && b[i] == b'\\' {
        i += 1;
    }
    if i < n && (b[i] == b'"' || b[i] == b'\'') {
        i += 1;
        key_quoted = true;
    } else {
        i = mark;
    }
    let ws1 = skip_blank(b, &mut i);
    let sep = if starts_at(b, i, b"=>") || starts_at(b, i, b":=") {
        2
    } else if i < n && (b[i] == b'=' || b[i] == b':') {
        1
    } else {
        0
    };
    let colon = sep == 1 && b[i] == b':';
    if sep == 1 && b[i] == b'=' && b.get(i + 1) == Some(&b'=') {
        // `token == nil`: a comparison.
        return None;
    }
    i += sep;
    let ws2 = skip_blank(b, &mut i);
    if marker_at(b, i) {
        return None;
    }
    let mut bracket = false;
    if i < n && b[i] == b'[' && sep > 0 {
        bracket = true;
        i += 1;
        skip_blank(b, &mut i);
    }
    if i < n && (b[i] == b'{' || (bracket && matches!(b[i], b'[' | b']'))) {
        return None;
    }
    // The opening quote of a quoted value.
    let mark = i;
    let mut escapes = 0;
    while i < n && b[i] == b'\\' {
        i += 1;
        escapes += 1;
    }
    let quote = if i < n && (b[i] == b'"' || b[i] == b'\'') && (sep > 0 || ws1 > 0) {
        i += 1;
        Some((b[i - 1], escapes))
    } else {
        i = mark;
        None
    };
    if sep == 0 && ws1 == 0 {
        return None;
    }
    Some(Assignment {
        key_quoted,
        ws1,
        ws2,
        sep,
        colon,
        bracket,
        quote,
        vstart: i,
    })
}

pub(super) fn keyed_value(
    text: &str,
    b: &[u8],
    ks: usize,
    ke: usize,
    class: Key,
    spans: &mut Vec<Span>,
) {
    // <password>hunter2</password>
    if ks >= 1 && b[ks - 1] == b'<' && b.get(ke) == Some(&b'>') {
        return xml_value(text, b, ke, class, spans);
    }
    let Some(a) = assignment(b, ke) else {
        return;
    };
    match class {
        Key::Authorization => return authorization(b, &a, spans),
        Key::Cookie => return cookie(text, b, &a, spans),
        _ => {}
    }
    let (vend, closed) = match a.quote {
        Some((q, escapes)) => quoted_end(b, a.vstart, q, escapes),
        None => (bare_end(b, a.vstart), true),
    };
    let value = &text[a.vstart..vend];
    if value.is_empty() || is_placeholder(value) {
        return;
    }
    if a.quote.is_none() && looks_like_code(value, &text[ks..ke]) {
        return;
    }
    // The shell's working directory, in environment dumps.
    if (b[ks..ke].eq_ignore_ascii_case(b"pwd") || b[ks..ke].eq_ignore_ascii_case(b"oldpwd"))
        && value.starts_with(['/', '~'])
    {
        return;
    }
    let cut = if a.quote.is_some() {
        !closed
    } else {
        at_end(b, vend)
    };
    let found = Found {
        text,
        b,
        ks,
        ke,
        vend,
        value,
        cut,
    };
    if redacts(&found, &a, class) {
        push(spans, a.vstart, vend, "", PRIO_KEYED);
    }
}

/// `<password>hunter2</password>`: the element's text, closed by its end tag or cut as one word
/// running to the end of the text.
pub(super) fn xml_value(text: &str, b: &[u8], ke: usize, class: Key, spans: &mut Vec<Span>) {
    let from = ke + 1;
    let to = (from..b.len()).find(|&i| b[i] == b'<').unwrap_or(b.len());
    let value = &text[from..to];
    let cut = to == b.len() && !value.is_empty() && !value.contains(char::is_whitespace);
    if (starts_at(b, to, b"</") || cut) && !is_placeholder(value) && class != Key::Weak {
        push(spans, from, to, "", PRIO_KEYED);
    }
}

/// A key and the value found after it.
pub(super) struct Found<'a> {
    pub(super) text: &'a str,
    pub(super) b: &'a [u8],
    /// The key's start and end.
    pub(super) ks: usize,
    pub(super) ke: usize,
    /// The value's end, the value, and whether the text was cut inside it.
    pub(super) vend: usize,
    pub(super) value: &'a str,
    pub(super) cut: bool,
}

/// Whether the value after a key is a secret, by how it is assigned.
pub(super) fn redacts(found: &Found<'_>, a: &Assignment, class: Key) -> bool {
    let Found {
        b,
        ks,
        vend,
        value,
        cut,
        ..
    } = *found;
    let strong = matches!(class, Key::Strong { .. });
    let wordy = class == Key::Strong { wordy: true };
    let bare = a.colon && !a.key_quoted && a.quote.is_none() && !a.bracket;
    if a.sep == 0 {
        flag_value(found, a, strong, wordy)
    } else if bare && a.ws1 == 0 && a.ws2 == 0 {
        // `arn:aws:secretsmanager:…`, `host:port`, JMESPath's `secrets:containerDefinitions`
        // are not assignments; Go's `%+v` of a struct or a map is: `{User:app Password:s3cr3t}`.
        let before = if ks > 0 { b[ks - 1] } else { b' ' };
        let go_struct = b[ks].is_ascii_uppercase() && matches!(before, b'{' | b' ' | b',');
        let go_map = (ks >= 4 && &b[ks - 4..ks] == b"map[")
            || (before == b' ' && find(b, b"map[").is_some_and(|m| m < ks));
        strong && (go_struct || go_map) && looks_secret(value) && !value.contains(['[', '(', '{'])
    } else if bare {
        // `key: value` in prose ("Token: expired", "auth: execution resource retrieval failed")
        // needs a value that looks secret; a lone word ending the clause after a key named by a
        // word (`password: correcthorsebatterystaple`) does too unless it is a state.
        match class {
            Key::Strong { .. } => {
                looks_secret(value)
                    || (wordy
                        && key_leads(b, ks)
                        && at_clause_end(b, vend)
                        && !is_prose_word(value))
            }
            _ => weak_value(value, cut),
        }
    } else if strong {
        a.quote.is_some()
            || a.bracket
            || !STATUS_WORDS.iter().any(|w| w.eq_ignore_ascii_case(value))
    } else {
        weak_value(value, cut)
    }
}

/// `--password hunter2`, `aws_secret_access_key wJalr…`: a value after a key with no separator is
/// a secret after a flag, or when it looks random.
pub(super) fn flag_value(found: &Found<'_>, a: &Assignment, strong: bool, wordy: bool) -> bool {
    let Found {
        text,
        b,
        ks,
        ke,
        value,
        cut,
        ..
    } = *found;
    let flag = b[ks] == b'-'
        && (ks == 0 || b[ks - 1].is_ascii_whitespace() || matches!(b[ks - 1], b'"' | b'\''));
    // A key that reads as an identifier (`aws_secret_access_key`), not a word of prose.
    let identifier = wordy
        && (text[ks..ke].contains(['_', '-'])
            || Parts::new(&b[ks..ke]).is_some_and(|p| p.count > 1));
    let sh = shape(value.as_bytes());
    if !strong || (a.quote.is_none() && !value.starts_with(|c: char| c.is_ascii_alphanumeric())) {
        false
    } else if flag {
        true
    } else if next_key(value) {
        // `{Name:DB_PASSWORD Value:…}`: what follows is the next key, not a value.
        false
    } else if identifier {
        (value.len() >= 8 && looks_secret(value))
            || (cut
                && value.len() >= 4
                && !is_prose_word(value)
                && (sh.digit > 0 || (sh.upper > 0 && sh.lower > 0) || sh.other > 0))
    } else {
        // "token 8f3b…" in prose: a random token, or 32 hex digits and more; cut, a few
        // characters of letters and digits.
        (value.len() >= 16 && is_random(value.as_bytes()))
            || (value.len() >= 32 && is_hex(value.as_bytes()))
            || (cut && wordy && value.len() >= 4 && sh.digit > 0 && sh.upper + sh.lower > 0)
    }
}

/// `Value:…`, `user=…`: a word and a `:` or `=`, as the next key of a struct or a map.
pub(super) fn next_key(value: &str) -> bool {
    let v = value.as_bytes();
    let word = v
        .iter()
        .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_')
        .count();
    word > 0 && v[0].is_ascii_alphabetic() && matches!(v.get(word), Some(b':' | b'='))
}

/// The key starts its line (YAML's `password: …`, `- secret: …`) or a structure (`{`, `,`),
/// rather than ending a sentence ("could not decrypt a secret: the key…").
pub(super) fn key_leads(b: &[u8], ks: usize) -> bool {
    let mut i = ks;
    while i > 0 && (is_blank(b[i - 1]) || b[i - 1] == b'-') {
        i -= 1;
    }
    i == 0
        || matches!(
            b[i - 1],
            b'\n' | b'\r' | b'{' | b'[' | b',' | b';' | b'(' | b'"' | b'\''
        )
        || (i >= 2 && b[i - 2] == b'\\' && matches!(b[i - 1], b'n' | b'r' | b't'))
}

/// An unquoted value that is code, not a secret: source lines quoted in stack traces
/// (`token = client.get_token(user, password)`, `password=password`, `secret = os.environ[`).
pub(super) fn looks_like_code(value: &str, key: &str) -> bool {
    let v = value.as_bytes();
    let ident = |c: &u8| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.';
    let call = v
        .iter()
        .position(|&c| c == b'(' || c == b'[')
        .is_some_and(|at| at > 0 && v[..at].iter().all(ident));
    let member = [
        "self.",
        "this.",
        "cls.",
        "os.",
        "process.",
        "config.",
        "settings.",
        "params.",
        "args.",
        "request.",
        "req.",
        "ctx.",
        "env.",
        "options.",
        "opts.",
    ]
    .iter()
    .any(|p| value.starts_with(p));
    let last_part = key.rsplit(['_', '-', '.']).next().unwrap_or(key);
    let same_name = value.eq_ignore_ascii_case(key) || value.eq_ignore_ascii_case(last_part);
    // `db_password`, `api_key`: a snake_case name that holds a secret word.
    let variable = v.contains(&b'_')
        && v.iter().all(|c| c.is_ascii_lowercase() || *c == b'_')
        && [
            "password",
            "passwd",
            "secret",
            "token",
            "key",
            "credential",
            "auth",
        ]
        .iter()
        .any(|w| value.contains(w));
    let keyword = [
        "await", "new", "function", "lambda", "yield", "require", "this", "self", "none",
    ]
    .contains(&value);
    v.len() < 2 || call || member || same_name || variable || keyword
}

/// A value after a key that merely ends with `key`: a secret only if it looks like one.
pub(super) fn weak_value(value: &str, cut: bool) -> bool {
    let v = value.as_bytes();
    let sh = shape(v);
    let charset = v.iter().all(|&c| {
        c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'_' | b'-' | b'=' | b'.')
    });
    (charset && v.len() >= 32 && sh.digit > 0 && ((sh.upper > 0 && sh.lower > 0) || is_hex(v)))
        || (v.len() >= 16 && is_random(v))
        || (charset && v.len() >= 24 && is_hex(v))
        || (cut && v.len() >= 4 && charset && (is_hex(v) || sh.digit > 0))
}
