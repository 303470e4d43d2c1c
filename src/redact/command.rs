use super::*;

/// Passwords on command lines: `mysql -pSecret`, `sshpass -p secret`, `redis-cli -a secret`,
/// `sqlcmd -P secret`, `mongo -p secret`, `curl -u user:secret`, `--user user:secret`.
pub(super) fn command_lines(b: &[u8], spans: &mut Vec<Span>) {
    let tokens = words_of(b);
    let mut tool = Tool::None;
    for (k, &(s, e)) in tokens.iter().enumerate() {
        let token = &b[s..e];
        if let Some(named) = tool_named(b, &tokens, k) {
            tool = named;
        }
        let next = tokens.get(k + 1).copied();
        if let Some((value, user_pass)) = password_after(tool, token, (s, e), next) {
            push_password(b, value, user_pass, spans);
        }
    }
}

/// The blank-separated words of a text, as (start, end).
pub(super) fn words_of(b: &[u8]) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        words.push((start, i));
    }
    words
}

/// The command-line tool whose password flags apply to the words that follow it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Tool {
    None,
    Mysql,
    Sshpass,
    Redis,
    Sqlcmd,
    Mongo,
    Curl,
    /// `docker login`, `podman login`, `helm registry login`…: `-p` is the password.
    Login,
}

pub(super) const TOOLS: &[(Tool, &[&[u8]])] = &[
    (
        Tool::Mysql,
        &[
            b"mysql",
            b"mysqldump",
            b"mysqladmin",
            b"mysqlsh",
            b"mysqlimport",
            b"mysqlcheck",
            b"mysqlpump",
            b"mariadb",
            b"mariadb-dump",
            b"mariadb-admin",
        ],
    ),
    (Tool::Sshpass, &[b"sshpass"]),
    (Tool::Redis, &[b"redis-cli"]),
    (Tool::Sqlcmd, &[b"sqlcmd", b"bcp"]),
    (
        Tool::Mongo,
        &[
            b"mongo",
            b"mongosh",
            b"mongodump",
            b"mongorestore",
            b"mongoexport",
            b"mongoimport",
        ],
    ),
    (Tool::Curl, &[b"curl", b"wget", b"http", b"https"]),
];

/// The clients whose `login` takes `-p PASSWORD`.
pub(super) const LOGIN_CLIENTS: &[&[u8]] = &[
    b"docker",
    b"podman",
    b"nerdctl",
    b"buildah",
    b"skopeo",
    b"helm",
    b"oras",
    b"crane",
    b"finch",
    b"registry",
    b"az",
];

/// The tool word `k` names, if any: a program (path and a leading quote aside), or the `login`
/// of a registry client among the three words before it.
pub(super) fn tool_named(b: &[u8], words: &[(usize, usize)], k: usize) -> Option<Tool> {
    let (s, e) = words[k];
    let token = &b[s..e];
    let base = token.rsplit(|&c| c == b'/').next().unwrap_or(token);
    let base = base.trim_ascii_start().strip_prefix(b"'").unwrap_or(base);
    let by_name = TOOLS
        .iter()
        .find(|(_, names)| names.iter().any(|n| base.eq_ignore_ascii_case(n)))
        .map(|(tool, _)| *tool);
    by_name.or_else(|| {
        let login = base == b"login"
            && words[..k]
                .iter()
                .rev()
                .take(3)
                .any(|&(s, e)| LOGIN_CLIENTS.iter().any(|c| b[s..e].ends_with(c)));
        login.then_some(Tool::Login)
    })
}

/// The password `token` (at `s..e`) gives or announces under `tool`, and whether it is a
/// `user:password` pair: `-pSecret`, `-p secret`, `-a secret`, `-P secret`, `-u user:secret`,
/// `--user=user:secret`.
pub(super) fn password_after(
    tool: Tool,
    token: &[u8],
    (s, e): (usize, usize),
    next: Option<(usize, usize)>,
) -> Option<((usize, usize), bool)> {
    match tool {
        Tool::Mysql if token.len() > 2 && token.starts_with(b"-p") => Some(((s + 2, e), false)),
        Tool::Sshpass | Tool::Mongo | Tool::Login if token == b"-p" => next.map(|v| (v, false)),
        Tool::Redis if token == b"-a" => next.map(|v| (v, false)),
        Tool::Sqlcmd if token == b"-P" => next.map(|v| (v, false)),
        Tool::Curl => {
            if token.starts_with(b"--user=") || token.starts_with(b"--proxy-user=") {
                let at = token.iter().position(|&c| c == b'=').unwrap_or(0) + 1;
                Some(((s + at, e), true))
            } else if matches!(token, b"-u" | b"-U" | b"--user" | b"--proxy-user") {
                next.map(|v| (v, true))
            } else if token.len() > 2
                && (token.starts_with(b"-u") || token.starts_with(b"-U"))
                && token[2] != b'-'
            {
                Some(((s + 2, e), true))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Redacts a password at `vs..ve` (quotes aside; of a `user:password` pair, what follows the
/// colon), unless it is another flag, a placeholder, or a pair's numeric part (a port).
pub(super) fn push_password(
    b: &[u8],
    (mut vs, mut ve): (usize, usize),
    user_pass: bool,
    spans: &mut Vec<Span>,
) {
    while vs < ve && matches!(b[vs], b'"' | b'\'') {
        vs += 1;
    }
    while ve > vs && matches!(b[ve - 1], b'"' | b'\'') {
        ve -= 1;
    }
    if user_pass {
        match b[vs..ve].iter().position(|&c| c == b':') {
            Some(colon) => vs += colon + 1,
            None => vs = ve,
        }
    }
    let v = String::from_utf8_lossy(&b[vs..ve]);
    let numeric = v.bytes().all(|c| c.is_ascii_digit());
    let skip = vs >= ve || v.starts_with('-') || is_placeholder(&v) || (user_pass && numeric);
    if !skip {
        push(spans, vs, ve, "", PRIO_KEYED);
    }
}

/// Azure AD client secrets: `abc8Q~…` (34 to 40 characters with a `Q~` at the fourth).
pub(super) fn azure_client_secrets(
    b: &[u8],
    hits: impl Iterator<Item = (usize, usize)>,
    spans: &mut Vec<Span>,
) {
    let secret_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'~' | b'.' | b'-');
    for (q, _) in hits {
        if b[q] != b'Q' || q < 4 || !b[q - 1].is_ascii_digit() {
            continue;
        }
        let start = q - 4;
        if !b[start..q].iter().all(|&c| secret_char(c)) || !boundary_before(b, start) {
            continue;
        }
        let end = run(b, q + 2, secret_char);
        let n = end - (q + 2);
        if (31..=40).contains(&n) || (n >= 4 && at_end(b, end)) {
            push(spans, start, end, "azure-client-secret", PRIO_TYPED);
        }
    }
}

/// Telegram bot tokens: `123456789:AA…` (35 characters after the colon).
pub(super) fn telegram_tokens(
    b: &[u8],
    hits: impl Iterator<Item = (usize, usize)>,
    spans: &mut Vec<Span>,
) {
    for (colon, _) in hits {
        if !starts_at(b, colon, b":AA") {
            continue;
        }
        let mut start = colon;
        while start > 0 && b[start - 1].is_ascii_digit() {
            start -= 1;
        }
        let digits = colon - start;
        let before_ok = boundary_before(b, start) || (start >= 3 && &b[start - 3..start] == b"bot");
        if !(8..=10).contains(&digits) || !before_ok {
            continue;
        }
        let end = run(b, colon + 1, is_word);
        let n = end - colon - 1;
        if n >= 35 || (n >= 4 && at_end(b, end)) {
            push(spans, start, end, "telegram-bot-token", PRIO_TYPED);
        }
    }
}

/// `-p VALUE` / `-P VALUE` in any command line, whatever the tool (`ipmitool … -P ADMIN`,
/// `sshpass -p …` in a `ps` listing): the value goes unless it is a port or a port mapping, a
/// path, a URL or another flag.
pub(super) fn short_password_flags(b: &[u8], spans: &mut Vec<Span>) {
    for at in find_all(b, b" -p ").chain(find_all(b, b" -P ")) {
        let start = at + 4;
        let end = run(b, start, |c| {
            !c.is_ascii_whitespace() && !matches!(c, b'"' | b'\'')
        });
        let value = &b[start..end];
        let kept = value.is_empty()
            || value[0] == b'-'
            || value[0] == b'/'
            || value[0] == b'$'
            || value
                .iter()
                .all(|c| c.is_ascii_digit() || matches!(c, b':' | b'.' | b'/' | b'-'))
            || find(value, b"://").is_some()
            || marker_at(b, start);
        if !kept && value.len() >= 4 {
            push(spans, start, end, "", PRIO_KEYED);
        }
    }
}
