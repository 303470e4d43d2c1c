use super::*;

pub(super) const AUTH_SCHEMES: &[&str] = &[
    "bearer",
    "basic",
    "token",
    "digest",
    "negotiate",
    "ntlm",
    "aws4-hmac-sha256",
    "hoba",
    "mutual",
    "vapid",
    "ssws",
    "sso-key",
    "splunk",
    "genie",
    "genikey",
    "apikey",
    "api-key",
    "key",
    "jwt",
    "otp",
    "dsn",
    "hmac",
    "hmac-sha256",
    "signature",
    "oauth",
    "sharedkey",
    "bot",
    "client-id",
    "zoho-oauthtoken",
    "klaviyo-api-key",
];

/// `Authorization: Bearer …`, `authorization=Basic …`, Go's `Authorization:[Basic …]`, JSON's
/// `"Authorization":["Bearer …"]`: the scheme stays, the credential goes.
pub(super) fn authorization(b: &[u8], a: &Assignment, spans: &mut Vec<Span>) {
    if a.sep == 0 {
        return;
    }
    let vstart = a.vstart;
    // After a bare `key:` (prose such as "authorization: denied"), a lone word is no credential.
    let prose = a.colon && !a.key_quoted && a.quote.is_none();
    let limit = enclosed_end(b, a).unwrap_or(b.len());
    let delim = |i: usize| {
        let c = b[i];
        c.is_ascii_whitespace()
            || matches!(c, b'"' | b'\'' | b',' | b';' | b']')
            || (c == b'\\' && escape_at(b, i))
    };
    let token_end = |from: usize| (from..limit).find(|&i| delim(i)).unwrap_or(limit);
    let first_end = token_end(vstart);
    if first_end == vstart {
        return;
    }
    let mut i = first_end;
    skip_blank(&b[..limit], &mut i);
    let second_end = if i > first_end { token_end(i) } else { i };
    if marker_at(b, vstart) || (second_end > i && marker_at(b, i)) {
        return;
    }
    let first = String::from_utf8_lossy(&b[vstart..first_end]).to_ascii_lowercase();
    let scheme_word = AUTH_SCHEMES.contains(&first.as_str());
    let capitalised = b[vstart].is_ascii_uppercase()
        && b[vstart..first_end]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'-');
    let (from, to) = if second_end > i
        && (scheme_word
            || (capitalised && looks_secret(&String::from_utf8_lossy(&b[i..second_end]))))
    {
        (i, second_end)
    } else if scheme_word && second_end == i {
        return;
    } else {
        (vstart, first_end)
    };
    let credential = String::from_utf8_lossy(&b[from..to]);
    if is_placeholder(&credential) || (prose && from == vstart && is_prose_word(&credential)) {
        return;
    }
    push(spans, from, to, "", PRIO_KEYED);
}

/// Where a quoted or bracketed value ends (its closing quote or `]`); None for a bare value.
pub(super) fn enclosed_end(b: &[u8], a: &Assignment) -> Option<usize> {
    match a.quote {
        Some((q, escapes)) => Some(quoted_end(b, a.vstart, q, escapes).0),
        None if a.bracket => Some(
            (a.vstart..b.len())
                .find(|&i| b[i] == b']')
                .unwrap_or(b.len()),
        ),
        None => None,
    }
}

/// `Cookie: a=b; c=d`, `Set-Cookie: sid=…; Path=/`: everything after the key, to the end of the
/// line (or of the quoted or bracketed value).
pub(super) fn cookie(text: &str, b: &[u8], a: &Assignment, spans: &mut Vec<Span>) {
    if a.sep == 0 {
        return;
    }
    let vstart = a.vstart;
    let end = enclosed_end(b, a).unwrap_or_else(|| {
        (vstart..b.len())
            .find(|&i| {
                matches!(b[i], b'\n' | b'\r')
                    || (b[i] == b'\\' && matches!(b.get(i + 1), Some(b'n' | b'r')))
            })
            .unwrap_or(b.len())
    });
    let value = text[vstart..end].trim_end();
    if value.is_empty() || is_placeholder(value) || is_prose_word(value) {
        return;
    }
    push(spans, vstart, vstart + value.len(), "", PRIO_KEYED);
}

/// `bearer <token>` anywhere: 16 characters, or fewer at the end of the text (cut).
pub(super) fn bare_bearers(
    b: &[u8],
    hits: impl Iterator<Item = (usize, usize)>,
    spans: &mut Vec<Span>,
) {
    let token_char =
        |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'~' | b'+' | b'/' | b'-');
    for (start, end) in hits {
        if !boundary_before(b, start) {
            continue;
        }
        let mut i = end;
        if skip_blank(b, &mut i) == 0 {
            continue;
        }
        let mut token_end = run(b, i, token_char);
        token_end = run(b, token_end, |c| c == b'=');
        let token = &b[i..token_end];
        if token.is_empty() || marker_at(b, i) {
            continue;
        }
        let word = String::from_utf8_lossy(token);
        let sh = shape(token);
        let machine = sh.digit > 0 || (sh.upper > 0 && sh.lower > 0) || sh.other > 0;
        if token.len() >= 16
            || (token.len() >= 4 && at_end(b, token_end) && machine && !is_placeholder(&word))
        {
            push(spans, i, token_end, "", PRIO_KEYED);
        }
    }
}

/// `Basic <base64 of user:password>` anywhere.
pub(super) fn bare_basics(
    b: &[u8],
    hits: impl Iterator<Item = (usize, usize)>,
    spans: &mut Vec<Span>,
) {
    for (start, end) in hits {
        if !boundary_before(b, start) {
            continue;
        }
        let mut i = end;
        if skip_blank(b, &mut i) == 0 {
            continue;
        }
        let token_end = run(b, i, is_b64);
        let token = &b[i..token_end];
        let cut = token.len() >= 4 && b[start] == b'B' && at_end(b, token_end) && !word_like(token);
        if (token.len() >= 8 && decodes_to_credentials(token)) || cut {
            push(spans, i, token_end, "", PRIO_KEYED);
        }
    }
}

pub(super) fn decodes_to_credentials(token: &[u8]) -> bool {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let data: Vec<u8> = token.iter().copied().take_while(|&c| c != b'=').collect();
    if data.len() % 4 == 1 {
        return false;
    }
    let mut decoded = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut acc = 0u32;
        for (k, &c) in chunk.iter().enumerate() {
            let Some(v) = value(c) else { return false };
            acc |= v << (18 - 6 * k);
        }
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        decoded.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    decoded.contains(&b':')
        && decoded.iter().all(|&c| (0x20..0x7f).contains(&c))
        && decoded[0] != b':'
}
