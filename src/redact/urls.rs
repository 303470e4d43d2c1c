use super::*;

// ---------------------------------------------------------------------------------------------
// Credentials in URLs and DSNs.

pub(super) fn url_credentials(b: &[u8], spans: &mut Vec<Span>) {
    for (sep, sep_len) in [(&b"://"[..], 3), (&b":\\/\\/"[..], 5)] {
        for at in find_all(b, sep) {
            let mut scheme = at;
            while scheme > 0
                && (b[scheme - 1].is_ascii_alphanumeric()
                    || matches!(b[scheme - 1], b'+' | b'.' | b'-'))
            {
                scheme -= 1;
            }
            // `…abcdefpostgres://`: the scheme starts at a letter.
            while scheme < at && !b[scheme].is_ascii_alphabetic() {
                scheme += 1;
            }
            if scheme == at {
                continue;
            }
            url_credential(b, at + sep_len, spans);
        }
    }
}

/// Where a URL that starts at `s` ends: whitespace, a quote, `<>`, or an escape.
pub(super) fn url_end(b: &[u8], s: usize) -> usize {
    let mut i = s;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b'<' | b'>' | b'`' | b'|') {
            break;
        }
        if c == b'\\'
            && matches!(
                b.get(i + 1),
                Some(b'n' | b'r' | b't' | b'"' | b'\'' | b'\\')
            )
        {
            break;
        }
        i += 1;
    }
    i
}

/// `1234`, `8443/path`: a port where a password would be.
pub(super) fn port_like(s: &[u8]) -> bool {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    (1..=5).contains(&digits)
        && (digits == s.len() || matches!(s[digits], b'/' | b'?' | b'#' | b'\\'))
}

pub(super) fn host_like(s: &[u8]) -> bool {
    let host = s
        .iter()
        .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
        .count();
    let rest = &s[host..];
    (host > 0 || rest.first() == Some(&b'['))
        && (rest.is_empty() || rest[0] == b':' || rest[0] == b'[' || rest.starts_with(b"tcp("))
        || s.is_empty()
}

pub(super) fn url_credential(b: &[u8], s: usize, spans: &mut Vec<Span>) {
    let e = url_end(b, s);
    // `[::1]:8080`: a bracketed host has no user information before it.
    if marker_at(b, s) || s >= e || b[s] == b'[' {
        return;
    }
    let mut u = s;
    while u < e && !matches!(b[u], b':' | b'@' | b'/' | b'?' | b'#' | b'\\') {
        // A marker is opaque: its `:` separates nothing.
        u = if marker_at(b, u) {
            b[u..e]
                .iter()
                .position(|&c| c == b']')
                .map_or(e, |close| u + close + 1)
        } else {
            u + 1
        };
    }
    if u == e {
        // Cut inside `https://<key>…`: a key-like user part (digits, no dot) at the end.
        let user = &b[s..e];
        if user.len() >= 4
            && at_end(b, e)
            && user.iter().all(u8::is_ascii_alphanumeric)
            && user.iter().any(u8::is_ascii_digit)
            && user.iter().any(u8::is_ascii_alphabetic)
        {
            push(spans, s, e, "", PRIO_KEYED);
        }
        return;
    }
    webhook_paths(b, s, u, e, spans);
    match b[u] {
        b'@' => {
            // `https://<token>@host`: a token as the user name (Sentry DSNs, git over HTTPS).
            let user = &b[s..u];
            let plain = user.iter().all(|&c| word_dot(c));
            if user.len() >= 16
                && user.iter().any(u8::is_ascii_digit)
                && ((plain && (is_hex(user) || user.len() >= 24)) || is_random(user))
            {
                push(spans, s, u, "", PRIO_KEYED);
            }
        }
        b':' => {
            let pw = u + 1;
            if marker_at(b, pw) {
                return;
            }
            let ats: Vec<usize> = (pw..e).filter(|&i| b[i] == b'@').collect();
            let Some(&last) = ats.last() else {
                // Cut before the `@`: `postgres://app:pa` at the end of the text.
                if pw < e && at_end(b, e) && !port_like(&b[pw..e]) {
                    push(spans, pw, e, "", PRIO_KEYED);
                }
                return;
            };
            let authority_end = |from: usize| {
                (from..e)
                    .find(|&i| matches!(b[i], b'/' | b'?' | b'#'))
                    .unwrap_or(e)
            };
            let at = ats
                .iter()
                .rev()
                .copied()
                .find(|&a| host_like(&b[a + 1..authority_end(a + 1)]))
                .unwrap_or(last);
            let password = &b[pw..at];
            if password.is_empty() || port_like(password) {
                return;
            }
            let host = &b[at + 1..authority_end(at + 1)];
            let mut end = at;
            if at + 1 + host.len() == e
                && at_end(b, e)
                && !host.contains(&b'.')
                && !host.contains(&b':')
            {
                // At the end of the text a dotless "host" may be the tail of a password cut
                // after an unencoded `@` (`sqlserver://sa:P@ssw`): it goes too.
                end = e;
            }
            push(spans, pw, end, "", PRIO_KEYED);
        }
        _ => {}
    }
}

/// Webhook URLs whose path is the credential.
pub(super) fn webhook_paths(b: &[u8], s: usize, host_end: usize, e: usize, spans: &mut Vec<Span>) {
    let host = &b[s..host_end];
    let path = &b[host_end..e];
    type Hook = (&'static [u8], &'static [&'static [u8]], &'static str);
    let hooks: &[Hook] = &[
        (
            b"hooks.slack.com",
            &[b"/services/", b"/workflows/", b"/triggers/"],
            "slack-webhook",
        ),
        (b"discord.com", &[b"/api/webhooks/"], "discord-webhook"),
        (b"discordapp.com", &[b"/api/webhooks/"], "discord-webhook"),
        (b"webhook.office.com", &[b"/webhookb2/"], "teams-webhook"),
    ];
    for (suffix, prefixes, kind) in hooks {
        if !host.ends_with(suffix) {
            continue;
        }
        for prefix in *prefixes {
            if path.starts_with(prefix)
                && path.len() > prefix.len()
                && !marker_at(path, prefix.len())
            {
                let from = host_end + prefix.len();
                let end = run(b, from, |c| is_word(c) || c == b'/' || c == b'@');
                push(spans, from, end, kind, PRIO_TYPED);
            }
        }
    }
}

/// `user:password@tcp(host:3306)/db` (Go's MySQL driver), `user:password@/db`, and
/// `user:password@host:port` without a scheme.
pub(super) fn schemeless_dsns(
    b: &[u8],
    hits: impl Iterator<Item = (usize, usize)>,
    spans: &mut Vec<Span>,
) {
    for (at, _) in hits {
        let after = &b[at + 1..];
        let go_dsn = [&b"tcp("[..], b"tcp6(", b"udp(", b"unix(", b"("]
            .iter()
            .any(|net| after.starts_with(net))
            || (after.first() == Some(&b'/')
                && after.get(1).is_some_and(u8::is_ascii_alphanumeric));
        let host = after
            .iter()
            .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-'))
            .count();
        let port = after.get(host) == Some(&b':')
            && after[host + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count()
                > 0
            && after[host + 1..]
                .iter()
                .find(|c| !c.is_ascii_digit())
                .is_none_or(|&c| !c.is_ascii_alphanumeric());
        let digest = after.starts_with(b"sha")
            || after.starts_with(b"v") && after.get(1).is_some_and(u8::is_ascii_digit);
        if !(go_dsn || (port && host > 0 && !digest)) {
            continue;
        }
        let mut start = at;
        while start > 0
            && !b[start - 1].is_ascii_whitespace()
            && !matches!(
                b[start - 1],
                b'"' | b'\'' | b'=' | b'(' | b'<' | b'>' | b'`' | b','
            )
        {
            start -= 1;
        }
        let token = &b[start..at];
        if find(token, b"//").is_some() || find(token, b":\\/").is_some() || token.contains(&b'/') {
            continue;
        }
        let Some(colon) = token.iter().position(|&c| c == b':') else {
            continue;
        };
        let user = &token[..colon];
        let password = &token[colon + 1..];
        let user_ok = !user.is_empty()
            && user.iter().all(|&c| {
                c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'%' | b'+' | b'-')
            })
            && !user.eq_ignore_ascii_case(b"mailto");
        if user_ok
            && !password.is_empty()
            && !password.iter().all(u8::is_ascii_digit)
            && !marker_at(password, 0)
        {
            push(spans, start + colon + 1, at, "", PRIO_KEYED);
        }
    }
}

/// In a text that names a DSN, a `user:pa` at its very end is a DSN cut before its `@`.
pub(super) fn cut_dsn(b: &[u8], spans: &mut Vec<Span>) {
    let mut end = b.len();
    while end > 0 && b[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    let mut start = end;
    while start > 0
        && !b[start - 1].is_ascii_whitespace()
        && !matches!(b[start - 1], b'"' | b'\'' | b'=' | b'(' | b',')
    {
        start -= 1;
    }
    let token = &b[start..end];
    if token.contains(&b'/') || token.contains(&b'(') {
        return;
    }
    let Some(colon) = token.iter().position(|&c| c == b':') else {
        return;
    };
    let (user, password) = (&token[..colon], &token[colon + 1..]);
    let user_ok = user.first().is_some_and(u8::is_ascii_alphabetic)
        && user
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'));
    let password_ok = !password.is_empty()
        && !password
            .iter()
            .all(|&c| c.is_ascii_digit() || matches!(c, b':' | b'.'))
        && !marker_at(password, 0);
    if user_ok && password_ok {
        push(spans, start + colon + 1, end, "", PRIO_KEYED);
    }
}
