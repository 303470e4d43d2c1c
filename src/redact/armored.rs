use super::*;

// ---------------------------------------------------------------------------------------------
// PEM private keys.

pub(super) const PEM_MARKER: &str = "[REDACTED:private-key]";
pub(super) const PEM_MAX_LINES: usize = 200;

/// Where a `-----BEGIN …PRIVATE KEY…-----` (or END) header starts in `line`.
pub(super) fn pem_header_at(line: &str, opening: &[u8]) -> Option<usize> {
    let b = line.as_bytes();
    find_all(b, opening).find(|&at| pem_header_end(b, at, opening.len()).is_some())
}

/// The end of a private key header whose `-----BEGIN`/`-----END` is at `at`.
pub(super) fn pem_header_end(b: &[u8], at: usize, opening: usize) -> Option<usize> {
    let from = at + opening;
    let label_end = from + find(&b[from..b.len().min(from + 64)], b"-----")?;
    let label = &b[from..label_end];
    (find(label, b"PRIVATE KEY").is_some()).then_some(label_end + 5)
}

pub(super) fn has_pem_end(line: &str) -> bool {
    pem_header_at(line, b"-----END").is_some()
}

pub(super) fn pem_end_tail(line: &str) -> &str {
    let b = line.as_bytes();
    pem_header_at(line, b"-----END")
        .and_then(|at| pem_header_end(b, at, 8))
        .map_or("", |end| &line[end..])
}

/// A line of a key's body: base64, or one of the encrypted-PEM header lines: 16 characters, or
/// a digit, `+`, `/` or `=` in a shorter one (`loose`, between BEGIN and END: mixed case too).
/// A logger's prefix (`2026-11-20T10:01:08Z `) may stand before it: then the body part must
/// have 16 characters.
pub(super) fn pem_body_line(line: &str, loose: bool) -> bool {
    let t = line.trim();
    let body = t.rsplit([' ', '\t']).next().unwrap_or(t);
    let prefixed = body.len() < t.len();
    if prefixed && t.len() - body.len() > 64 {
        return false;
    }
    if t.contains("Proc-Type:") || t.contains("DEK-Info:") {
        return true;
    }
    let b = body.as_bytes();
    if b.len() < 4 || !b.iter().all(|&c| is_b64(c)) {
        return false;
    }
    let sh = shape(b);
    b.len() >= 16
        || (!prefixed && (sh.digit > 0 || sh.other > 0 || (loose && sh.upper > 0 && sh.lower > 0)))
}

pub(super) fn pem_blocks(b: &[u8], spans: &mut Vec<Span>) {
    let mut covered_until = 0;
    for at in find_all(b, b"-----BEGIN") {
        if at < covered_until {
            continue;
        }
        let Some(body) = pem_header_end(b, at, 10) else {
            continue;
        };
        let end = pem_body_end(b, body);
        push(spans, at, end, "private-key", PRIO_TYPED);
        covered_until = end;
    }
    // An END with no BEGIN before it: the text starts inside the key.
    for at in find_all(b, b"-----END") {
        if at < covered_until {
            continue;
        }
        let Some(end) = pem_header_end(b, at, 8) else {
            continue;
        };
        let mut start = at;
        while start > 0 && is_blank(b[start - 1]) {
            start -= 1;
        }
        let mut body_chars = 0;
        loop {
            if start >= 2 && b[start - 2] == b'\\' && matches!(b[start - 1], b'n' | b'r') {
                start -= 2;
            } else if start >= 1 && matches!(b[start - 1], b'\n' | b'\r') {
                start -= 1;
            } else if start >= 1 && is_b64(b[start - 1]) {
                start -= 1;
                body_chars += 1;
            } else {
                break;
            }
        }
        if body_chars >= 16 {
            push(spans, start, end, "private-key", PRIO_TYPED);
        }
    }
}

/// Where a key's body ends: after its END header, or (cut, or followed by something else)
/// after the last chunk that looks like key material.
pub(super) fn pem_body_end(b: &[u8], body: usize) -> usize {
    // The whole block, when an END header follows nothing but key material.
    let mut i = body;
    loop {
        if i >= b.len() {
            break;
        }
        if starts_at(b, i, b"-----END") {
            if let Some(end) = pem_header_end(b, i, 8) {
                return end;
            }
            break;
        }
        if starts_at(b, i, b"Proc-Type:") || starts_at(b, i, b"DEK-Info:") {
            while i < b.len() && b[i] != b'\n' && !starts_at(b, i, b"\\n") {
                i += 1;
            }
            continue;
        }
        if escape_at(b, i) && matches!(b[i + 1], b'n' | b'r') {
            i += 2;
        } else if is_b64(b[i]) || b[i].is_ascii_whitespace() {
            i += 1;
        } else {
            break;
        }
    }
    // No END: the chunks that look like key material, then stop.
    let mut i = body;
    let mut end = body;
    while i < b.len() {
        if escape_at(b, i) && matches!(b[i + 1], b'n' | b'r') {
            i += 2;
            continue;
        }
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let chunk_end = run(b, i, is_b64);
        if chunk_end == i {
            break;
        }
        let chunk = &b[i..chunk_end];
        let sh = shape(chunk);
        if chunk.len() >= 16 || sh.digit > 0 || sh.other > 0 || at_end(b, chunk_end) {
            end = chunk_end;
            i = chunk_end;
        } else {
            break;
        }
    }
    end
}
