use super::*;

// ---------------------------------------------------------------------------------------------
// Tokens that announce themselves.

/// Token bodies.
pub(super) fn alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}
pub(super) fn alnum_under(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}
pub(super) fn alnum_dash(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}
pub(super) fn word_dot(c: u8) -> bool {
    is_word(c) || c == b'.'
}
pub(super) fn b64url(c: u8) -> bool {
    is_word(c) || c == b'='
}
pub(super) fn upper_digit(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}
pub(super) fn hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

/// Reports tokens with a known prefix; returns whether an AWS access key id was seen (then a
/// bare 40-character secret access key nearby is its pair).
pub(super) fn providers(b: &[u8], prefixes: &[(usize, usize)], spans: &mut Vec<Span>) -> bool {
    let mut saw_aws_key_id = false;
    let mut covered = 0;
    for &(start, index) in prefixes {
        let provider = &PROVIDERS[index];
        let body_start = start + provider.prefix.len();
        if start < covered {
            continue;
        }
        if !boundary_before(b, start) {
            continue;
        }
        let raw_end = run(b, body_start, provider.body);
        let mut end = raw_end;
        while end > body_start && b[end - 1] == b'.' {
            end -= 1;
        }
        let body = &b[body_start..end];
        let n = body.len();
        let sh = shape(body);
        let long_enough = if provider.exact {
            n == provider.min && b.get(end).is_none_or(|c| !c.is_ascii_alphanumeric())
        } else {
            n >= provider.min
        };
        let whole = long_enough
            && (!provider.weak || is_random(body) || is_hex(body))
            && (!provider.exact || provider.min != 32 || sh.digit > 0)
            && (provider.prefix != "SG." || body.contains(&b'.'));
        let cut_end = if at_end(b, end) { end } else { raw_end };
        let cut = (raw_end - body_start) >= 4
            && at_end(b, cut_end)
            && (!provider.weak || sh.digit > 0 || (sh.upper > 0 && sh.lower > 0))
            && (!provider.exact || provider.min != 32 || sh.digit > 0);
        if whole || cut {
            covered = if whole { end } else { cut_end };
            push(spans, start, covered, provider.kind, PRIO_TYPED);
            saw_aws_key_id |= provider.kind == "aws-access-key-id";
        }
    }
    saw_aws_key_id
}

/// A `prefix_`, `prefix-` or `prefix.` (one to four word-like parts) followed by a long random
/// token, whoever issued it: `glsa_…`, `figd_…`, `abc_live_…`. The prefix stays when it reads
/// as a word. Hash names (`sha512-…` in npm's integrity fields) are not prefixes.
pub(super) fn generic_tokens(b: &[u8], spans: &mut Vec<Span>) {
    let mut i = 0;
    while i < b.len() {
        if !word_dot(b[i]) {
            i += 1;
            continue;
        }
        let mut start = i;
        let run_end = run(b, i, word_dot);
        i = run_end;
        // A whole token needs 22 characters and a separator in its first 32; a cut one, the end.
        if run_end - start < 7 || (run_end - start < 22 && !at_end(b, run_end)) {
            continue;
        }
        if !b[start..run_end.min(start + 32)]
            .iter()
            .any(|&c| matches!(c, b'_' | b'-' | b'.'))
        {
            continue;
        }
        if start >= 1 && b[start - 1] == b'\\' && matches!(b[start], b'n' | b'r' | b't') {
            start += 1;
        } else if start >= 1 && b[start - 1] == b'%' && run_end - start > 2 {
            start += 2;
        }
        let mut end = run_end;
        while end > start && matches!(b[end - 1], b'.' | b'-' | b'_') {
            end -= 1;
        }
        generic_token(b, start, end, at_end(b, run_end), spans);
    }
}

/// Prefix parts that say "credential" (`acme-live-…`, `key-…`): after an `_`-joined prefix or
/// one with such a part, a prefixed token cut after 4 characters is still caught. (Other
/// `-`-joined names are everywhere in AWS: `demo-test-api-Service-ZMAe8F2ERZtu`.)
pub(super) const SECRETISH_PARTS: &[&[u8]] = &[
    b"live", b"pat", b"key", b"token", b"secret", b"sk", b"rk", b"tok",
];

pub(super) fn generic_token(b: &[u8], start: usize, end: usize, cut: bool, spans: &mut Vec<Span>) {
    let token = &b[start..end];
    if [
        &b"sha1"[..],
        b"sha256",
        b"sha384",
        b"sha512",
        b"md5",
        b"sha-",
    ]
    .iter()
    .any(|hash| token.len() >= hash.len() && token[..hash.len()].eq_ignore_ascii_case(hash))
    {
        return;
    }
    // The longest run of word-like prefix parts; the token is what follows the last of them
    // after which a random-looking body remains.
    let mut seg_start = 0;
    let mut segments = 0;
    let mut secretish = false;
    let mut found: Option<usize> = None;
    let mut cut_at: Option<usize> = None;
    for k in 0..token.len().min(32) {
        if !matches!(token[k], b'_' | b'-' | b'.') {
            continue;
        }
        let segment = &token[seg_start..k];
        if !word_like(segment) {
            break;
        }
        secretish |= if token[k] == b'_' {
            true
        } else {
            SECRETISH_PARTS
                .iter()
                .any(|p| segment.eq_ignore_ascii_case(p))
        };
        segments += 1;
        seg_start = k + 1;
        if segments > 4 {
            break;
        }
        let body = &token[k + 1..];
        let random = body.len() >= 20
            && body
                .split(|&c| matches!(c, b'_' | b'-' | b'.'))
                .any(|part| part.len() >= 16 && is_random(part))
            && body.iter().filter(|c| c.is_ascii_alphanumeric()).count() >= 20;
        if random {
            found = Some(k);
        } else if cut && secretish && body.len() >= 4 && body.iter().all(u8::is_ascii_alphanumeric)
        {
            let sh = shape(body);
            let mixed = (sh.upper > 0 && sh.lower > 0) || (sh.digit > 0 && sh.upper + sh.lower > 0);
            if mixed
                && !is_hex(body)
                && !word_like(body)
                && (body.len() < 8 || class_change_rate(body) >= 0.4)
            {
                cut_at = Some(k);
            }
        }
    }
    if let Some(k) = found.or(cut_at) {
        let from = if k <= 16 { start + k + 1 } else { start };
        push(spans, from, end, "token", PRIO_GENERIC);
    }
}

/// A part of a token prefix that reads as a word: `glsa`, `live`, `v1`, `api03`, `1`.
pub(super) fn word_like(s: &[u8]) -> bool {
    if s.is_empty() || s.len() > 12 {
        return false;
    }
    let letters = s.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let digits = &s[letters..];
    if !digits.iter().all(u8::is_ascii_digit) || digits.len() > 3 {
        return false;
    }
    let word = &s[..letters];
    word.iter().all(u8::is_ascii_lowercase)
        || word.iter().all(u8::is_ascii_uppercase)
        || (word.len() >= 2
            && word[0].is_ascii_uppercase()
            && word[1..].iter().all(u8::is_ascii_lowercase))
}

/// With an access key id in the text, a bare 40-character base64 word is its secret key.
pub(super) fn aws_secret_keys(b: &[u8], spans: &mut Vec<Span>) {
    let b64_plain = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
    let mut i = 0;
    while i < b.len() {
        if !b64_plain(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let end = run(b, i, b64_plain);
        i = end;
        let word = &b[start..end];
        let sh = shape(word);
        let clean_edges = (start == 0 || !matches!(b[start - 1], b'=' | b'_' | b'-'))
            && b.get(end).is_none_or(|&c| !matches!(c, b'=' | b'_' | b'-'));
        let mixed = sh.upper > 0 && sh.lower > 0 && (sh.digit > 0 || sh.other > 0);
        if word.len() == 40 && clean_edges && mixed {
            push(spans, start, end, "aws-secret-key", PRIO_TYPED);
        } else if word.len() >= 4
            && at_end(b, end)
            && ((sh.upper > 0 && sh.lower > 0) || (sh.digit > 0 && sh.upper + sh.lower > 0))
            && !word.starts_with(b"AKIA")
            && !word.starts_with(b"ASIA")
        {
            // Cut: the head of the secret key that followed the key id.
            push(spans, start, end, "aws-secret-key", PRIO_TYPED);
        }
    }
}

/// `eyJ….eyJ….…`: JSON Web Tokens (and JWE's five parts); cut ones at the end of the text.
pub(super) fn jwts(b: &[u8], hits: impl Iterator<Item = (usize, usize)>, spans: &mut Vec<Span>) {
    let b64url_part = |c: u8| is_word(c);
    for (start, _) in hits {
        if !starts_at(b, start, b"eyJ") || !boundary_before(b, start) {
            continue;
        }
        let mut parts = Vec::with_capacity(5);
        let mut i = start;
        loop {
            let end = run(b, i, b64url_part);
            parts.push((i, end));
            if parts.len() < 5 && b.get(end) == Some(&b'.') {
                i = end + 1;
            } else {
                i = end;
                break;
            }
        }
        let (first, second) = (parts[0], parts.get(1).copied());
        let whole = parts.len() >= 3
            && first.1 - first.0 >= 11
            && second.is_some_and(|(s, e)| e - s >= 10 && starts_at(b, s, b"ey"));
        let cut = first.1 - first.0 >= 7 && at_end(b, i);
        if whole || cut {
            push(spans, start, i, "jwt", PRIO_TYPED);
        }
    }
}
