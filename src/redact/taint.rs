//! A secret word taints the rest of its line. After a key that names a secret (`password`,
//! `requirepass`, `--db-password`, `X-Auth-Token`, `AUTH`, `IDENTIFIED BY`), whatever the
//! punctuation between them (`=`, `:`, `=>`, `', '`, `] => `, a space after a flag or a command
//! word), the value that follows is masked unless it reads as prose or a placeholder, and so is
//! every later token of the line that is not plain: anything mixing letters with digits or
//! symbols that is not an id, a version or a name made of words.

use super::*;

/// Masks what follows secret keys, up to the end of each key's line.
pub(super) fn tainted_lines(b: &[u8], key_hits: &[(usize, usize)], spans: &mut Vec<Span>) {
    let mut done_until = 0;
    for &(hit_start, hit_end) in key_hits {
        let (ks, ke) = key_around(b, hit_start, hit_end);
        let key = &b[ks..ke];
        // Not a key: inside an ARN, inside a marker, a function being called, a file
        // (`credentials_provider_impl.cc:362`), or itself a value (`D3pl0yPass`).
        if inside_arn(b, ks)
            || source_file(key)
            || b[..ks].ends_with(b"[REDACTED:")
            || b.get(ke) == Some(&b'(')
            || password_like_digits(key)
            || looks_random(key)
        {
            continue;
        }
        let Some(form) = key_form(b, ke, key) else {
            continue;
        };
        let line_end = line_end(b, ke);
        // Each key's own value; the rest of a line once.
        let rest = ks >= done_until;
        taint(b, ke, line_end, form, rest, spans);
        done_until = done_until.max(line_end);
    }
}

/// How a key announces its value.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    /// `password`, `token`: an English word; a plain lowercase word after a mere space is prose
    /// (`password authentication failed`).
    Word,
    /// `requirepass`, `DB_PASSWORD`, `--db-password`, `AUTH`, `IDENTIFIED BY`: whatever follows
    /// is the value.
    Compact,
}

const PLAIN_WORDS: &[&[u8]] = &[
    b"password",
    b"passwords",
    b"passwd",
    b"secret",
    b"secrets",
    b"token",
    b"tokens",
    b"key",
    b"keys",
    b"credential",
    b"credentials",
    b"cookie",
    b"cookies",
    b"passphrase",
    b"signature",
    b"auth",
    b"authorization",
];

fn key_form(b: &[u8], ke: usize, key: &[u8]) -> Option<Form> {
    let bare = key.trim_ascii_start();
    let flag = bare.starts_with(b"-");
    let name = &bare[bare.iter().take_while(|&&c| c == b'-').count()..];
    if name.eq_ignore_ascii_case(b"identified") {
        return starts_at_fold(b, ke, b" by ").then_some(Form::Compact);
    }
    // `AUTH <password>`: Redis's command, spelled as commands are.
    if name == b"AUTH" {
        return Some(Form::Compact);
    }
    // `GetSecretValue`, `describe-secret`: an API's or a command's name, not a key.
    if api_name(name) {
        return None;
    }
    let Some(class) = classify(key) else {
        return compact_secret_name(name).then_some(Form::Compact);
    };
    match class {
        Key::Weak => None,
        Key::Strong { .. } | Key::Authorization | Key::Cookie => {
            let plain = PLAIN_WORDS.iter().any(|w| name.eq_ignore_ascii_case(w));
            Some(if plain && !flag {
                Form::Word
            } else {
                Form::Compact
            })
        }
    }
}

/// Names the key reader leaves alone that still announce a secret: `requirepass`, `rootpw`,
/// `masterauth`, `pin`, `secret_id` (Vault's; AWS's `SecretId` holds a name or an ARN, which
/// the value test lets through).
fn compact_secret_name(name: &[u8]) -> bool {
    let lower = folded(name);
    let last = lower
        .rsplit(|&c| matches!(c, b'_' | b'-' | b'.'))
        .next()
        .unwrap_or(&lower[..]);
    const ENGLISH: &[&[u8]] = &[
        b"bypass",
        b"compass",
        b"surpass",
        b"trespass",
        b"overpass",
        b"underpass",
        b"encompass",
    ];
    (last.ends_with(b"pass") && !ENGLISH.contains(&last))
        || (last.ends_with(b"pw") && last.len() > 2)
        || (last.ends_with(b"auth") && last.len() > 4 && !last.ends_with(b"oauth"))
        || matches!(
            last,
            b"pin" | b"passcode" | b"otp" | b"passhash" | b"passkey" | b"mnemonic"
        )
        || matches!(lower.as_slice(), b"secret_id" | b"secretid" | b"secret-id")
}

const VERBS: &[&[u8]] = &[
    b"get",
    b"put",
    b"describe",
    b"list",
    b"create",
    b"update",
    b"delete",
    b"rotate",
    b"restore",
    b"batch",
    b"validate",
    b"tag",
    b"untag",
    b"cancel",
    b"remove",
    b"add",
    b"set",
    b"fetch",
    b"load",
    b"read",
    b"write",
    b"refresh",
    b"revoke",
    b"generate",
    b"new",
    b"parse",
    b"verify",
];

/// `GetSecretValue`, `describe-secret`, `get-login-password`, `refreshToken(`: a verb first.
fn api_name(name: &[u8]) -> bool {
    let lower = folded(name);
    VERBS.iter().any(|verb| {
        lower.starts_with(verb)
            && name.len() > verb.len()
            && (name[verb.len()].is_ascii_uppercase() || matches!(name[verb.len()], b'-' | b'_'))
    })
}

fn starts_at_fold(b: &[u8], i: usize, lit: &[u8]) -> bool {
    b.get(i..i + lit.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(lit))
}

/// The end of the line `i` is on: a newline, one spelled out (`\n`, `\r`), or the end of a
/// sentence (`. ` and a capital: a report's summary is sentences on one line).
fn line_end(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'\n' | b'\r' => return j,
            b'\\' if matches!(b.get(j + 1), Some(b'n' | b'r')) => return j,
            b'.' if j > i + 1
                && b.get(j + 1) == Some(&b' ')
                && b.get(j + 2).is_some_and(u8::is_ascii_uppercase) =>
            {
                return j
            }
            _ => j += 1,
        }
    }
    j
}

/// Bytes between a key and its value.
fn joiner(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t'
            | b'='
            | b':'
            | b'>'
            | b'"'
            | b'\''
            | b','
            | b']'
            | b')'
            | b'('
            | b'['
            | b'`'
            | b'{'
            | b'}'
    )
}

/// A token of the rest of a tainted line runs to white space or a quote (`7F;6ZKqMGBk;` is
/// one token).
fn rest_byte(c: u8) -> bool {
    !c.is_ascii_whitespace() && !matches!(c, b'"' | b'\'' | b'`' | b'<' | b')' | b']' | b'}' | b',')
}

fn value_byte(c: u8) -> bool {
    !c.is_ascii_whitespace()
        && !matches!(
            c,
            b'"' | b'\'' | b',' | b';' | b')' | b']' | b'}' | b'`' | b'&' | b'<'
        )
}

fn taint(b: &[u8], ke: usize, line_end: usize, form: Form, rest: bool, spans: &mut Vec<Span>) {
    let mut i = ke;
    let joined = run(b, i, joiner).min(line_end);
    let between = &b[i..joined];
    i = joined;
    if i >= line_end {
        return;
    }
    // The value right after the key: to its closing quote when it is quoted (a passphrase of
    // several words), else to the next separator.
    // (`"Bearer …"` keeps its scheme: the header reader masks what follows it.)
    let scheme = AUTH_SCHEMES.iter().any(|scheme| {
        b.get(i..i + scheme.len() + 1).is_some_and(|w| {
            w[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes()) && w[scheme.len()] == b' '
        })
    });
    let quote = between
        .last()
        .copied()
        .filter(|c| matches!(c, b'"' | b'\'') && !scheme);
    let mut end = match quote {
        Some(q) => b[i..line_end]
            .iter()
            .position(|&c| c == q)
            .map_or_else(|| run(b, i, value_byte).min(line_end), |at| i + at),
        None => run(b, i, value_byte).min(line_end),
    };
    while end > i + 1 && matches!(b[end - 1], b':' | b'.' | b',' | b';') {
        end -= 1;
    }
    if end > i && !marker_at(b, i) {
        let value = &b[i..end];
        // `=`, `:`, `=>`, a quote (`('password', 'x')`): an assignment; `, ` alone is a list.
        let explicit = between
            .iter()
            .any(|c| matches!(c, b'=' | b':' | b'>' | b'"' | b'\''));
        let text = std::str::from_utf8(value).unwrap_or("");
        let key = std::str::from_utf8(&b[..ke]).unwrap_or("");
        let plain_word = value.len() <= 16
            && value.iter().all(u8::is_ascii_alphabetic)
            && (value[1..].iter().all(u8::is_ascii_lowercase)
                || (value.len() <= 5 && value.iter().all(u8::is_ascii_uppercase)));
        let id_key = key.ends_with("id") || key.ends_with("Id") || key.ends_with("ID");
        let prose = is_prose_word(text)
            || is_placeholder(text)
            || next_is_key(value, b.get(end), b.get(end + 1))
            || value.starts_with(b"-")
            || value.starts_with(b"/")
            || value.starts_with(b"arn:")
            || value.starts_with(b"REDACTED")
            || value.starts_with(b"[REDACTED")
            // `--secret-id prod/db`: AWS's secret ids are names and ARNs.
            || (id_key && value.contains(&b'/'))
            || looks_like_code(text, key.rsplit(|c: char| !c.is_ascii_alphanumeric() && c != '_').next().unwrap_or(""))
            // `token: signature has expired`: a sentence goes on.
            || (plain_word && sentence_follows(b, end, line_end));
        // After a plain word and a space, only a value that is more than a word or a name.
        let masked =
            !prose && value.len() >= 3 && (explicit || form == Form::Compact || not_plain(value));
        if masked {
            push(spans, i, end, "", PRIO_KEYED);
        }
        i = end;
    }
    // The rest of the line: whatever is not plain.
    while rest && i < line_end {
        if !value_byte(b[i]) || b[i] == b'=' {
            i += 1;
            continue;
        }
        let end = run(b, i, |c| rest_byte(c) && c != b'=').min(line_end);
        let word = &b[i..end];
        let whole = word.starts_with(b"arn:") || find(word, b"://").is_some();
        if !marker_at(b, i) && !word.starts_with(b"REDACTED") && !whole && !public_context(b, i) {
            // Its parts between `/` and `:` one by one (`id>:assumed-role/Role/f83b…`).
            let mut part = i;
            for k in i..=end {
                if k == end || matches!(b[k], b'/' | b':') {
                    if k > part && not_plain(&b[part..k]) {
                        push(spans, part, k, "", PRIO_KEYED);
                    }
                    part = k + 1;
                }
            }
        }
        i = end;
    }
}

/// `credentials_provider_impl.cc`, `secrets.py`: a file name, not a key.
fn source_file(key: &[u8]) -> bool {
    key.iter().rposition(|&c| c == b'.').is_some_and(|dot| {
        let ext = &key[dot + 1..];
        dot > 0 && (1..=10).contains(&ext.len()) && ext.iter().all(u8::is_ascii_lowercase)
    })
}

/// `…:secret:prod/db-AbC`: a key word inside an ARN is a resource type, not a key.
fn inside_arn(b: &[u8], ks: usize) -> bool {
    let word_start = b[..ks]
        .iter()
        .rposition(|&c| c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b'(' | b'[' | b','))
        .map_or(0, |at| at + 1);
    b[word_start..ks].starts_with(b"arn:")
}

/// A lowercase word follows after a space: the value before it was a word of a sentence.
fn sentence_follows(b: &[u8], end: usize, line_end: usize) -> bool {
    b.get(end) == Some(&b' ')
        && b[end + 1..line_end]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count()
            >= 1
}

/// `user=…` right after the key: the next key, not a value (`password= user=app`,
/// `"DB_PASSWORD", "valueFrom": …`, `token) path=/v1/orders`).
fn next_is_key(value: &[u8], after: Option<&u8>, after_quote: Option<&u8>) -> bool {
    value.contains(&b'=')
        || matches!(after, Some(b':' | b'='))
        || (matches!(after, Some(b'"' | b'\'')) && matches!(after_quote, Some(b':' | b'=')))
}

/// A token that is more than a word, a number, an id or a name: letters mixed with digits
/// (`hunter2x`) or with symbols, a random-looking string, in 6 characters or more.
fn not_plain(word: &[u8]) -> bool {
    let mut w = word;
    while let Some(shorter) = w
        .strip_suffix(b".")
        .or_else(|| w.strip_suffix(b":"))
        .or_else(|| w.strip_suffix(b";"))
    {
        w = shorter;
    }
    if w.len() < 6
        || w.starts_with(b"arn:")
        || w.starts_with(b"http")
        || w.starts_with(b"/")
        || w.starts_with(b"-")
        || w.contains(&b'(')
    {
        return false;
    }
    if looks_random(w) {
        return true;
    }
    let alnum = alnum_of(w);
    if plain_name(w) || safe_shape(w, &alnum) {
        return false;
    }
    let hexish = alnum.strip_prefix(b"0x").unwrap_or(&alnum);
    if is_hex(hexish) {
        return false;
    }
    let sh = shape(w);
    let letters = sh.upper + sh.lower;
    let symbols = password_symbols(w);
    if letters == 0 {
        return false;
    }
    // Digits among letters (not a version or a trailing counter like `app1`), symbols, or
    // all three classes in 8 characters or more.
    let digits_inside = password_like_digits(w);
    let three_classes = w.len() >= 8 && sh.upper > 0 && sh.lower > 0 && sh.digit > 0;
    (symbols > 0 && letters >= 2) || digits_inside || three_classes
}

/// Letters and digits mixed beyond `word2` or `v1.2.3`: two digit runs, or digits inside.
fn password_like_digits(w: &[u8]) -> bool {
    let mut runs = 0;
    let mut prev_digit = false;
    let mut inside = false;
    for (k, &c) in w.iter().enumerate() {
        let digit = c.is_ascii_digit();
        if digit && !prev_digit {
            runs += 1;
            if k > 0 && w[k - 1].is_ascii_alphabetic() {
                let rest = &w[k..];
                let after_letter = rest.iter().find(|c| !c.is_ascii_digit());
                inside |= after_letter.is_some_and(u8::is_ascii_alphabetic);
            }
        }
        prev_digit = digit;
    }
    let letters = w.iter().filter(|c| c.is_ascii_alphabetic()).count();
    (inside || runs >= 2) && letters >= 2 && w.iter().all(|&c| c != b'.' || runs < 3)
}
