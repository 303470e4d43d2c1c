use super::*;

// ---------------------------------------------------------------------------------------------
// Name/value pairs: ECS's `{"name":"DB_PASSWORD","value":"…"}` environment, the CLI's
// `Name=DB_PASSWORD,Value=…`, .NET's `<add key="DbPassword" value="…"/>`, YAML's
// `- name: DB_PASSWORD` / `value: …`, Go's `{Name:DB_PASSWORD Value:…}`. From each `value`
// key, read back to the name before it, and redact the value when the name is a secret's.

pub(super) fn name_value_pairs(
    b: &[u8],
    hits: impl Iterator<Item = (usize, usize)>,
    spans: &mut Vec<Span>,
) {
    for (vs, ve) in hits {
        let whole_word = (vs == 0 || !b[vs - 1].is_ascii_alphanumeric())
            && b.get(ve).is_none_or(|c| !c.is_ascii_alphanumeric());
        if !whole_word {
            continue;
        }
        let Some(name) = name_before(b, vs) else {
            continue;
        };
        if !matches!(
            classify(name),
            Some(Key::Strong { .. } | Key::Authorization | Key::Cookie)
        ) {
            continue;
        }
        // After `value`: its closing quote, `:` or `=`, the value (quoted or bare).
        let mut i = ve;
        quote_after(b, &mut i);
        skip_blank(b, &mut i);
        if !matches!(b.get(i), Some(b':' | b'=')) {
            continue;
        }
        i += 1;
        skip_blank(b, &mut i);
        let mut from = i;
        let (to, _) = match quote_after(b, &mut from) {
            Some((quote, escapes)) => quoted_end(b, from, quote, escapes),
            None => (bare_end(b, from), true),
        };
        let value = String::from_utf8_lossy(&b[from..to]);
        if !value.is_empty() && !is_placeholder(&value) {
            push(spans, from, to, "", PRIO_KEYED);
        }
    }
}

/// A quote (`"`, `'`, `\"`) at `*i`: steps over it, returns it and its backslashes.
pub(super) fn quote_after(b: &[u8], i: &mut usize) -> Option<(u8, usize)> {
    let escapes = b[(*i).min(b.len())..]
        .iter()
        .take_while(|&&c| c == b'\\')
        .count();
    let quote = *b.get(*i + escapes)?;
    (quote == b'"' || quote == b'\'').then(|| {
        *i += escapes + 1;
        (quote, escapes)
    })
}

/// A quote that ends at `j` (exclusive): steps back over it, returns it and its backslashes.
pub(super) fn quote_before(b: &[u8], j: &mut usize) -> Option<(u8, usize)> {
    let quote = *b.get(j.checked_sub(1)?)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let escapes = b[..*j - 1]
        .iter()
        .rev()
        .take_while(|&&c| c == b'\\')
        .count();
    *j -= 1 + escapes;
    Some((quote, escapes))
}

/// The name in `name: KEY` (or `"name":"KEY"`, `key="KEY"`, `Name=KEY`) that ends before the
/// `value` key starting at `vs`, with only a comma and white space between.
pub(super) fn name_before(b: &[u8], vs: usize) -> Option<&[u8]> {
    let mut j = vs;
    quote_before(b, &mut j);
    let skip_space = |j: &mut usize| {
        while *j > 0 && b[*j - 1].is_ascii_whitespace() {
            *j -= 1;
        }
    };
    skip_space(&mut j);
    if j > 0 && b[j - 1] == b',' {
        j -= 1;
        skip_space(&mut j);
    }
    // The name: quoted, or a bare word.
    let key_end;
    let key_start;
    if let Some((quote, escapes)) = quote_before(b, &mut j) {
        key_end = j;
        let open = (key_end.saturating_sub(128)..key_end).rev().find(|&k| {
            b[k] == quote && k >= escapes && b[k - escapes..k].iter().all(|&c| c == b'\\')
        })?;
        if b[open + 1..key_end].contains(&b'\n') {
            return None;
        }
        key_start = open + 1;
        j = open - escapes;
    } else {
        key_end = j;
        while j > 0 && is_key_char(b[j - 1]) {
            j -= 1;
        }
        key_start = j;
    }
    if key_start == key_end {
        return None;
    }
    while j > 0 && is_blank(b[j - 1]) {
        j -= 1;
    }
    if j == 0 || !matches!(b[j - 1], b':' | b'=') {
        return None;
    }
    j -= 1;
    while j > 0 && is_blank(b[j - 1]) {
        j -= 1;
    }
    quote_before(b, &mut j);
    let named = |word: &[u8]| {
        j >= word.len()
            && b[j - word.len()..j].eq_ignore_ascii_case(word)
            && (j == word.len() || !b[j - word.len() - 1].is_ascii_alphanumeric())
    };
    (named(b"name") || named(b"key")).then(|| &b[key_start..key_end])
}

/// A `name: DB_PASSWORD` line followed by its `value: …` line: the value line, scrubbed.
pub(super) fn name_value_across(line: &str, next: &str) -> Option<String> {
    let has = |text: &str, word: &[u8]| {
        text.as_bytes()
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word))
    };
    if !(has(line, b"name") || has(line, b"key")) || !has(next, b"value") {
        return None;
    }
    let joined = format!("{line}\n{next}");
    let offset = line.len() + 1;
    let mut spans = Vec::new();
    let joined = joined.as_bytes();
    let values = (offset..joined.len().saturating_sub(4))
        .filter(|&i| joined[i..i + 5].eq_ignore_ascii_case(b"value"))
        .map(|i| (i, i + 5));
    name_value_pairs(joined, values, &mut spans);
    let spans: Vec<Span> = spans
        .into_iter()
        .filter(|s| s.start >= offset)
        .map(|s| Span {
            start: s.start - offset,
            end: s.end - offset,
            ..s
        })
        .collect();
    if spans.is_empty() {
        return None;
    }
    let mut all = find_secrets(next, &[]);
    all.extend(spans);
    Some(apply(next, all))
}
