use super::*;

/// Classes of a string's ASCII letters and digits.
#[derive(Default)]
pub(super) struct Shape {
    pub(super) upper: usize,
    pub(super) lower: usize,
    pub(super) digit: usize,
    pub(super) other: usize,
}

pub(super) fn shape(s: &[u8]) -> Shape {
    let mut shape = Shape::default();
    for &c in s {
        match c {
            b'A'..=b'Z' => shape.upper += 1,
            b'a'..=b'z' => shape.lower += 1,
            b'0'..=b'9' => shape.digit += 1,
            _ => shape.other += 1,
        }
    }
    shape
}

/// Whether the letters and digits of `s` look random: machine-made tokens mix classes and
/// change class often, words and identifiers (`OrderServiceImpl`, `nginx-5-nginx`) do not.
/// Hex alone is an id here (task ids, container ids, commit SHAs), not a token.
pub(super) fn is_random(s: &[u8]) -> bool {
    let (mut n, mut upper, mut lower, mut digit, mut changes) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    let (mut lower_hex, mut upper_hex) = (true, true);
    let mut seen = [0u64; 2];
    let mut prev_class = u8::MAX;
    for &c in s.iter().filter(|c| c.is_ascii_alphanumeric()) {
        n += 1;
        let class = match c {
            b'A'..=b'Z' => {
                upper += 1;
                lower_hex = false;
                upper_hex &= c <= b'F';
                0
            }
            b'a'..=b'z' => {
                lower += 1;
                upper_hex = false;
                lower_hex &= c <= b'f';
                1
            }
            _ => {
                digit += 1;
                2
            }
        };
        if prev_class != u8::MAX && class != prev_class {
            changes += 1;
        }
        prev_class = class;
        seen[(c / 64) as usize] |= 1 << (c % 64);
    }
    if n < 16 || digit == n || lower_hex || upper_hex {
        return false;
    }
    let rate = changes as f32 / (n - 1) as f32;
    let distinct = (seen[0].count_ones() + seen[1].count_ones()) as usize;
    if (distinct as f32) < (n.min(40) as f32) * 0.5 {
        return false;
    }
    match (upper > 0, lower > 0, digit > 0) {
        (true, true, true) => rate >= 0.3 && digit >= 2,
        (true, false, true) => rate >= 0.3 && digit >= 3 && upper >= 3,
        (false, true, true) => rate >= 0.4 && digit >= 4,
        (true, true, false) => n >= 20 && rate >= 0.45,
        _ => false,
    }
}

/// How often neighbouring characters change class (upper, lower, digit): about 0.6 for random
/// base62, 0.2 for CamelCase words.
pub(super) fn class_change_rate(s: &[u8]) -> f32 {
    let class = |c: u8| match c {
        b'A'..=b'Z' => 0,
        b'a'..=b'z' => 1,
        b'0'..=b'9' => 2,
        _ => 3,
    };
    if s.len() < 2 {
        return 0.0;
    }
    s.windows(2).filter(|w| class(w[0]) != class(w[1])).count() as f32 / (s.len() - 1) as f32
}

pub(super) fn is_hex(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_hexdigit)
}

// ---------------------------------------------------------------------------------------------
// Values by shape, wherever they stand: a token that looks machine-made and is none of the
// shapes an on-call engineer needs (ids, digests, ARNs, versions, paths, names) is masked, key
// or no key.

/// Acronyms and names with digits in them that are words, not randomness (`AmazonS3Client`,
/// `IPv4Address`, `Base64Encoder`, `arm64`): read as letters before the shape is judged.
const DIGIT_WORDS: &[&[u8]] = &[
    b"s3",
    b"ec2",
    b"k8s",
    b"ipv4",
    b"ipv6",
    b"http2",
    b"h2",
    b"oauth2",
    b"base64",
    b"base32",
    b"utf8",
    b"utf16",
    b"sha1",
    b"sha256",
    b"sha384",
    b"sha512",
    b"md5",
    b"x509",
    b"log4j2",
    b"log4j",
    b"aes128",
    b"aes256",
    b"pkcs12",
    b"pkcs8",
    b"p12",
    b"ed25519",
    b"x25519",
    b"rsa2048",
    b"rsa4096",
    b"i18n",
    b"l10n",
    b"win32",
    b"win64",
    b"x86",
    b"x64",
    b"arm64",
    b"amd64",
    b"aarch64",
    b"gp2",
    b"gp3",
    b"io1",
    b"io2",
    b"3d",
    b"2d",
    b"mp4",
    b"mp3",
    b"h264",
    b"jdk8",
    b"jdk11",
    b"jdk17",
    b"jdk21",
    b"java8",
    b"java11",
    b"java17",
    b"java21",
    b"python3",
    b"py3",
    b"es6",
    b"es2015",
    b"v8",
    b"2fa",
    b"mfa",
    b"cp1252",
    b"latin1",
    b"route53",
    b"dynamodb",
    b"sqs",
    b"sns",
    b"p95",
    b"p99",
    b"p50",
    b"e2e",
    b"b2b",
    b"b2c",
];

/// Separators between tokens; everything else (letters, digits, `+/=_-.~!#$%^*@`) belongs to
/// one.
fn token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'+' | b'/'
                | b'='
                | b'_'
                | b'-'
                | b'.'
                | b'~'
                | b'!'
                | b'#'
                | b'$'
                | b'%'
                | b'^'
                | b'*'
                | b'@'
        )
        || c >= 0x80
}

/// Masks random-looking tokens anywhere in `b`, except within the names in `keep` (the
/// cluster, service and container names a report is about).
pub(super) fn random_tokens(b: &[u8], keep: &[&str], spans: &mut Vec<Span>) {
    let mut i = 0;
    while i < b.len() {
        // A whitespace-delimited word that is an ARN, a marker, an image's data URI or a
        // public key is left whole; in a URL only long random parts count.
        if i == 0 || b[i - 1].is_ascii_whitespace() {
            let word_end = run(b, i, |c| !c.is_ascii_whitespace());
            if let Some(end) = public_block(b, i) {
                i = end;
                continue;
            }
            // Most words hold nothing that could look machine-made: one pass, and on.
            if !suspicious(&b[i..word_end]) {
                i = word_end.max(i + 1);
                continue;
            }
            let word = trim_open(&b[i..word_end]);
            if public_word(b, i, word) || image_reference(word) {
                i = word_end;
                continue;
            }
            if find(word, b"://").is_some() {
                url_parts(b, i, word_end, spans);
                i = word_end;
                continue;
            }
            if let Some(end) = public_block(b, i) {
                i = end;
                continue;
            }
        }
        if !token_byte(b[i]) {
            i += 1;
            continue;
        }
        // A `\n` spelled out is a separator, not the start of a token.
        let mut start = i;
        if start >= 1 && b[start - 1] == b'\\' && matches!(b[start], b'n' | b'r' | b't') {
            start += 1;
        }
        let end = run(b, i, token_byte);
        i = end;
        token(b, start, end, keep, spans);
    }
}

/// Whether a word has a run of token bytes that the shape test could call machine-made: eight
/// or more with a digit or a symbol among them, or twenty or more of anything. A cheap first
/// look, so that ordinary words cost one pass.
fn suspicious(word: &[u8]) -> bool {
    let (mut len, mut marked) = (0usize, false);
    for &c in word {
        if token_byte(c) {
            len += 1;
            marked |= c.is_ascii_digit()
                || matches!(
                    c,
                    b'!' | b'#' | b'$' | b'%' | b'^' | b'*' | b'@' | b'+' | b'~' | b'='
                );
            if len >= 20 || (len >= 8 && marked) {
                return true;
            }
        } else {
            (len, marked) = (0, false);
        }
    }
    false
}

/// Words that are never secrets whatever their shape: ARNs, markers, images as data URIs,
/// public keys after their algorithm, hashes after their name (`sha512-…` integrity), values of
/// headers and keys that carry ids and digests (`x-amz-id-2:`, `Content-MD5:`, `ETag:`).
fn public_word(b: &[u8], i: usize, word: &[u8]) -> bool {
    if word.starts_with(b"arn:")
        || word.starts_with(MARKER_HEAD.as_bytes())
        || word.starts_with(b"data:image/")
        || word.starts_with(b"sha512-")
        || word.starts_with(b"sha384-")
        || word.starts_with(b"sha256-")
        || word.starts_with(b"sha1-")
    {
        return true;
    }
    let before = &b[..i];
    let line_start = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |at| at + 1);
    let previous = before[line_start..].trim_ascii_end();
    let previous_word = previous
        .rsplit(|c| c.is_ascii_whitespace() || *c == b'"' || *c == b'{' || *c == b',')
        .next()
        .unwrap_or(b"");
    public_key_name(&folded(previous_word)) || word.starts_with(b"h1:")
}

/// The token at `s` is the value of a key whose values are ids or digests (`"order_id":"…"`,
/// `SessionId: …`, `boundary=…`).
pub(super) fn public_context(b: &[u8], s: usize) -> bool {
    let mut k = s;
    let mut joiners = 0;
    while k > 0 && joiners < 4 && matches!(b[k - 1], b'"' | b'\'' | b' ' | b':' | b'=') {
        k -= 1;
        joiners += 1;
    }
    if joiners == 0 || !b[k..s].iter().any(|c| matches!(c, b':' | b'=')) {
        return false;
    }
    let key_end = k;
    while k > 0 && (b[k - 1].is_ascii_alphanumeric() || matches!(b[k - 1], b'_' | b'-' | b'.')) {
        k -= 1;
    }
    public_key_name(&folded(&b[k..key_end]))
}

/// `x-amz-id-2:`, `"order_id":`, `SessionId:`, `boundary=`: a key whose value is an id, a
/// digest or a public key (never one with a secret word in it: Vault's `secret_id`).
fn public_key_name(key: &[u8]) -> bool {
    let key = key.trim_ascii();
    let key = key
        .strip_suffix(b":")
        .or_else(|| key.strip_suffix(b"="))
        .unwrap_or(key);
    let start = key.iter().take_while(|&&c| c == b'"' || c == b'\'').count();
    let end = key.len()
        - key[start..]
            .iter()
            .rev()
            .take_while(|&&c| c == b'"' || c == b'\'' || c == b':')
            .count();
    let key = &key[start..end.max(start)];
    if key.is_empty() || SECRET_WORDS.iter().any(|w| find(key, w).is_some()) {
        return false;
    }
    PUBLIC_KEYS.contains(&key) || key.ends_with(b"id") && !key.ends_with(b"paid") && key.len() >= 2
}

/// An image reference in free text (`123456789012.dkr.ecr.…/repo:tag`, `public.ecr.aws/…`,
/// `ghcr.io/…`): never masked for its shape (the URL and DSN readers still take a password
/// out of one written with user-info).
fn image_reference(word: &[u8]) -> bool {
    let word = word
        .iter()
        .position(|&c| c != b'"' && c != b'\'')
        .map_or(word, |at| &word[at..]);
    let Some(slash) = word.iter().position(|&c| c == b'/') else {
        return false;
    };
    let host = &word[..slash];
    !host.contains(&b'@')
        && (find(host, b".dkr.ecr.").is_some()
            || [
                &b"public.ecr.aws"[..],
                b"docker.io",
                b"ghcr.io",
                b"quay.io",
                b"gcr.io",
                b"registry.k8s.io",
                b"mcr.microsoft.com",
            ]
            .contains(&host)
            || host.ends_with(b".azurecr.io")
            || host.ends_with(b".pkg.dev"))
}

/// The names ECS's service events give (`(service demo-api-Service-ZMAe8F2ERZtu)`,
/// `service orders-api was unable to place a task`): a name, whatever its shape. Spans inside
/// them are dropped.
pub(super) fn service_names(b: &[u8]) -> Vec<(usize, usize)> {
    let mut names = Vec::new();
    for at in find_all(b, b"service ") {
        if at > 0 && !matches!(b[at - 1], b'(' | b' ' | b'"') {
            continue;
        }
        let start = at + 8;
        let end = run(b, start, |c| {
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'/')
        });
        let rest = &b[end..];
        let named = (at > 0 && b[at - 1] == b'(' && matches!(rest.first(), Some(b')' | b',')))
            || [
                &b" was "[..],
                b" has ",
                b" is ",
                b" updated",
                b" registered",
                b" deregistered",
                b" reached",
                b" (port",
                b" failed",
            ]
            .iter()
            .any(|after| rest.starts_with(after));
        if named && end > start {
            names.push((start, end));
        }
    }
    names
}

/// Keys and algorithms whose value is an id, a digest or a public key.
const PUBLIC_KEYS: &[&[u8]] = &[
    b"x-amz-id-2",
    b"x-amz-request-id",
    b"x-amzn-requestid",
    b"x-amzn-trace-id",
    b"content-md5",
    b"etag",
    b"integrity",
    b"digest",
    b"checksum",
    b"md5",
    b"sha1",
    b"sha256",
    b"fingerprint",
    b"request-id",
    b"requestid",
    b"request_id",
    b"trace-id",
    b"traceid",
    b"trace_id",
    b"ssh-rsa",
    b"ssh-ed25519",
    b"ecdsa-sha2-nistp256",
    b"ecdsa-sha2-nistp384",
    b"ssh-dss",
    b"x-amz-cf-id",
    b"boundary",
];

/// A certificate or a public key block starting at `i`: where it ends.
fn public_block(b: &[u8], i: usize) -> Option<usize> {
    let rest = &b[i..];
    let label = rest.strip_prefix(b"-----BEGIN ")?;
    if !(label.starts_with(b"CERTIFICATE")
        || label.starts_with(b"PUBLIC KEY")
        || label.starts_with(b"X509 CRL"))
    {
        return None;
    }
    let end = find(rest, b"-----END ")?;
    let close = find(&rest[end + 9..], b"-----")?;
    Some(i + end + 9 + close + 5)
}

/// A URL: each part between `/?&=#;:@` is judged by the strict test only (long and random);
/// the URL reader masks its password.
fn url_parts(b: &[u8], start: usize, end: usize, spans: &mut Vec<Span>) {
    let mut part = start;
    for k in start..=end {
        if k == end
            || matches!(
                b[k],
                b'/' | b'?'
                    | b'&'
                    | b'='
                    | b'#'
                    | b';'
                    | b':'
                    | b'$'
                    | b'%'
                    | b'"'
                    | b'\''
                    | b')'
                    | b']'
                    | b'@'
            )
        {
            let p = &b[part..k];
            if p.len() >= 16
                && is_random(p)
                && !safe_shape(
                    p,
                    &p.iter()
                        .copied()
                        .filter(u8::is_ascii_alphanumeric)
                        .collect::<Vec<_>>(),
                )
            {
                push(spans, part, k, "", PRIO_GENERIC);
            }
            part = k + 1;
        }
    }
}

fn trim_open(word: &[u8]) -> &[u8] {
    let skip = word
        .iter()
        .take_while(|c| matches!(c, b'"' | b'\'' | b'(' | b'[' | b'{' | b'<' | b'`'))
        .count();
    &word[skip..]
}

/// One token: its `/` segments (paths, base64 with slashes), then its `-_.` segments.
fn token(b: &[u8], start: usize, end: usize, keep: &[&str], spans: &mut Vec<Span>) {
    // Trim punctuation that ends sentences or wraps values; base64 padding stays with its body.
    let (mut s, mut e) = (start, end);
    while s < e
        && matches!(
            b[s],
            b'.' | b'-' | b'_' | b'!' | b'*' | b'#' | b'=' | b'~' | b'/' | b'@'
        )
    {
        s += 1;
    }
    while e > s
        && matches!(
            b[e - 1],
            b'.' | b'-' | b'_' | b'!' | b'*' | b'#' | b'~' | b'/' | b'@' | b'$' | b'%'
        )
    {
        e -= 1;
    }
    if e - s < 8 || marker_at(b, s) {
        return;
    }
    let t = &b[s..e];
    if kept(t, keep) || email(t) || public_context(b, start) || ecs_id(t) {
        return;
    }
    // key=value without spaces: each side on its own.
    if let Some(eq) = t
        .iter()
        .position(|&c| c == b'=')
        .filter(|&at| at > 0 && t[at..].iter().any(|&c| c != b'='))
    {
        token(b, s, s + eq, keep, spans);
        token(b, s + eq + 1, e, keep, spans);
        return;
    }
    if t.contains(&b'/') {
        // Base64 with slashes (`wJalrXUtnFEMI/K7MDENG/…`) is one token; a path is segments.
        if t[0] != b'/' && t.len() >= 20 && t.iter().all(|&c| is_b64(c)) && is_random(t) {
            push(spans, s, e, "", PRIO_GENERIC);
            return;
        }
        let mut seg = s;
        for k in s..=e {
            if k == e || b[k] == b'/' {
                if k > seg {
                    token(b, seg, k, keep, spans);
                }
                seg = k + 1;
            }
        }
        return;
    }
    // `repo@sha256:…`: a digest follows; `PgConnection@6d4a1b7e`: an identity hash.
    if let Some(at) = t.iter().rposition(|&c| c == b'@') {
        let after = &t[at + 1..];
        let host = at >= 8
            && !after.is_empty()
            && after.iter().all(|&c| c.is_ascii_lowercase() || c == b'.');
        if after.starts_with(b"sha") || (after.len() > 3 && is_hex(after)) || host {
            token(b, s, s + at, keep, spans);
            return;
        }
    }
    let alnum = alnum_of(t);
    if safe_shape(t, &alnum) {
        return;
    }
    let structured = t.iter().any(|c| matches!(c, b'.' | b'-' | b'_'));
    // A name with a word in it (`orders-api-j8sskc92cl-bqxw5`) loses only its machine-made
    // parts; a token with none is judged whole.
    if !(structured && has_word_part(t)) && looks_random(t) {
        push(spans, s, e, "", PRIO_GENERIC);
        return;
    }
    // `demo-api-Service-ZMAe8F2ERZtu`: the machine-made part of a name.
    let mut seg = s;
    for k in s..=e {
        if k == e || matches!(b[k], b'-' | b'_' | b'.') {
            if k - seg >= 8 && looks_random_in(&b[seg..k], structured) && !kept(&b[seg..k], keep) {
                push(spans, seg, k, "", PRIO_GENERIC);
            }
            seg = k + 1;
        }
    }
}

/// The ids ECS makes with its own prefix: hook ids (`ecs-pause-e7tK9G_…`, `ecs-lambda-…`), ECS
/// Exec sessions (`ecs-execute-command-0700d6bd…`), deployments (`ecs-svc/…`).
fn ecs_id(t: &[u8]) -> bool {
    t.len() > 8 && t[..4].eq_ignore_ascii_case(b"ecs-")
}

/// A part of at least three letters with a vowel that does not look random: a word.
fn has_word_part(t: &[u8]) -> bool {
    t.split(|c| matches!(c, b'.' | b'-' | b'_')).any(|part| {
        part.len() >= 3
            && part.iter().all(u8::is_ascii_alphabetic)
            && part
                .iter()
                .any(|c| matches!(c.to_ascii_lowercase(), b'a' | b'e' | b'i' | b'o' | b'u'))
            && !is_random(part)
    })
}

fn kept(t: &[u8], keep: &[&str]) -> bool {
    keep.iter()
        .any(|name| name.len() >= t.len() && find(name.as_bytes(), t).is_some())
}

fn email(t: &[u8]) -> bool {
    let Some(at) = t.iter().position(|&c| c == b'@') else {
        return false;
    };
    let (user, host) = (&t[..at], &t[at + 1..]);
    !user.is_empty()
        && user
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'+'))
        && host.contains(&b'.')
        && host
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-'))
}

/// Whether a token of 8 or more characters looks machine-made: long and random (the same
/// test the token prefixes use), or short with the marks of a password (symbols among letters
/// and digits; digits inside letters more than once; single letters between digits). Hex (ids,
/// digests, commit SHAs), numbers, versions, timestamps and identifiers made of words do not.
pub(super) fn looks_random(t: &[u8]) -> bool {
    looks_random_in(t, false)
}

/// [`looks_random`] for a part of a larger token; `structured` when that token has the
/// separators of a name (`Outer$Inner` in `com.acme.Outer$Inner`).
pub(super) fn looks_random_in(t: &[u8], structured: bool) -> bool {
    let n = t.len();
    if n < 8 {
        return false;
    }
    let alnum = alnum_of(t);
    if alnum.len() < 6 || safe_shape(t, &alnum) {
        return false;
    }
    let marks = password_marks(&alnum);
    if n >= 16 && is_random(t) && (marks > 0 || !camel_words(&alnum)) {
        return true;
    }
    let sh = shape(t);
    let letters = sh.upper + sh.lower;
    let symbols = if structured {
        strong_symbols(t)
    } else {
        password_symbols(t)
    };
    if symbols > 0 && letters >= 3 && (sh.digit > 0 || (sh.upper > 0 && sh.lower > 0)) {
        // Not a `$VARIABLE`, a `%s` format, or `50%`-like prose.
        let first_symbol_only = symbols == 1 && matches!(t[0], b'$' | b'%' | b'#' | b'@' | b'~');
        let padding = t.iter().rev().take_while(|&&c| c == b'=').count();
        if !first_symbol_only && symbols > padding {
            return true;
        }
    }
    if letters == 0 || sh.digit == 0 {
        // Letters alone: a word, an identifier, a CamelCase name (long random letters were
        // judged by `is_random` above).
        return false;
    }
    marks >= 2 || (n >= 12 && marks >= 1 && class_change_rate(&alnum) >= 0.45)
}

/// The symbols of a password in `t`: `!#%^*~` always; `@+=$` only in a token without the
/// separators of a structured name (`pkg@3.5.0`, `Outer$Inner.method`, `1.25-alpine@sha256`).
pub(super) fn password_symbols(t: &[u8]) -> usize {
    let structured = t.iter().any(|c| matches!(c, b'.' | b'-' | b'/'));
    t.iter()
        .filter(|&&c| match c {
            b'!' | b'#' | b'%' | b'^' | b'*' | b'~' => true,
            b'@' | b'+' | b'=' | b'$' => !structured,
            _ => false,
        })
        .count()
}

fn strong_symbols(t: &[u8]) -> usize {
    t.iter()
        .filter(|c| matches!(c, b'!' | b'#' | b'%' | b'^' | b'*' | b'~'))
        .count()
}

/// A name made of plain parts (`eni-0a1b2c3d4e5f67890`, `ecs-api-12-api-9ac0808dd0afa495f001`,
/// `us-east-1`, `OrderServiceImpl`): every part between `-_.:/` is hex, digits, letters that do
/// not look random, or letters and digits with no mark of a password.
pub(super) fn plain_name(t: &[u8]) -> bool {
    t.split(|c| matches!(c, b'-' | b'_' | b'.' | b':' | b'/'))
        .all(|part| {
            part.is_empty()
                || is_hex(part)
                || part.iter().all(u8::is_ascii_digit)
                || (part.iter().all(u8::is_ascii_alphabetic) && !is_random(part))
                || (part.iter().all(u8::is_ascii_alphanumeric)
                    && !is_random(part)
                    && password_marks(part) == 0)
        })
}

/// Words joined in CamelCase, with digits only at their ends (`GetImageBlob111111111`): every
/// letter run of three or more has a vowel.
fn camel_words(alnum: &[u8]) -> bool {
    let mut start = 0;
    for k in 1..=alnum.len() {
        let boundary = k == alnum.len()
            || alnum[k].is_ascii_digit() != alnum[k - 1].is_ascii_digit()
            || (alnum[k].is_ascii_uppercase() && alnum[k - 1].is_ascii_lowercase());
        if boundary {
            let part = &alnum[start..k];
            let letters = part.iter().all(u8::is_ascii_alphabetic);
            if letters
                && part.len() >= 3
                && !part.iter().any(|c| {
                    matches!(
                        c.to_ascii_lowercase(),
                        b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
                    )
                })
            {
                return false;
            }
            start = k;
        }
    }
    true
}

/// Shapes that are never secrets here: hex (with `0x`, dashes or colons: UUIDs, ids, digests,
/// MACs), numbers, versions and timestamps (digits with separators and few letters), and names
/// whose parts are words (`us-east-1a`, `OrderServiceImpl`).
pub(super) fn safe_shape(t: &[u8], alnum: &[u8]) -> bool {
    let hexish = alnum.strip_prefix(b"0x").unwrap_or(alnum);
    if is_hex(hexish) || plain_name(t) {
        return true;
    }
    // AWS's upper-case ids (`Z0VN4I98MRGNMIN4Q3YPV`, `AROAXXXXXXXXXXXXXXXXX`, `EM1YI6HYG`);
    // the access key ids among them are typed tokens, caught by their prefix.
    // ECS's service deployment ids (`NCWGC2ZR-taawPAYrIaU5`, the last part of their ARN).
    if let [head, tail] = t.split(|&c| c == b'-').collect::<Vec<_>>()[..] {
        if head.len() == 8
            && head
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && (10..=14).contains(&tail.len())
            && tail.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            return true;
        }
    }
    let upper_id = |part: &[u8]| {
        part.len() <= 24
            && part
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    let short_lower = |part: &[u8]| part.len() <= 3 && part.iter().all(u8::is_ascii_lowercase);
    if alnum.len() <= 32
        && t.split(|&c| c == b'-')
            .all(|part| upper_id(part) || short_lower(part))
    {
        return true;
    }
    let letters = alnum.iter().filter(|c| c.is_ascii_alphabetic()).count();
    if letters * 4 <= alnum.len()
        && t.iter().all(|&c| {
            !matches!(
                c,
                b'!' | b'#' | b'$' | b'%' | b'^' | b'*' | b'@' | b'+' | b'~'
            )
        })
    {
        // 2026-12-06T07:53:44Z, 1.4.2-rc1, 10.0.1.23
        return true;
    }
    false
}

/// How many marks of a password a letters-and-digits token has: a digit between two letters
/// (`S3cret`, `Tr0ub4dor`), a lone letter between digits or at a class change (`Pw9x`), a
/// short vowel-less letter run (`Pw`, `Xk`). Known words with digits (`S3`, `EC2`, `Base64`)
/// count as letters.
pub(super) fn password_marks(alnum: &[u8]) -> usize {
    let mut lower = folded(alnum);
    for word in DIGIT_WORDS {
        let mut at = 0;
        while let Some(k) = find(&lower[at..], word) {
            for c in &mut lower[at + k..at + k + word.len()] {
                if c.is_ascii_digit() {
                    *c = b'o';
                }
            }
            at += k + word.len();
        }
    }
    // Runs: (is_digit, start, end) over the original case.
    let mut runs: smallvec::SmallVec<[(bool, usize, usize); 16]> = smallvec::SmallVec::new();
    for (k, &c) in lower.iter().enumerate() {
        let digit = c.is_ascii_digit();
        // A new letter run starts at lower→upper too (`cretPw`).
        let camel = k > 0 && alnum[k].is_ascii_uppercase() && alnum[k - 1].is_ascii_lowercase();
        match runs.last_mut() {
            Some((d, _, end)) if *d == digit && !camel => *end = k + 1,
            _ => runs.push((digit, k, k + 1)),
        }
    }
    let mut marks = 0;
    for (r, &(digit, start, end)) in runs.iter().enumerate() {
        let (before, after) = (r.checked_sub(1).map(|p| runs[p]), runs.get(r + 1).copied());
        if digit {
            if before.is_some_and(|b| !b.0) && after.is_some_and(|a| !a.0) {
                marks += 1;
            }
            continue;
        }
        let letters = &lower[start..end];
        let vowel = letters
            .iter()
            .any(|c| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y'));
        let inner = before.is_some() && after.is_some();
        let lone = letters.len() == 1
            && (inner || before.is_some_and(|b| b.0) || after.is_some_and(|a| a.0));
        let vowelless = (2..=3).contains(&letters.len()) && !vowel;
        if lone || vowelless {
            marks += 1;
        }
    }
    marks
}
