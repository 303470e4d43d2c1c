use super::*;

// ---------------------------------------------------------------------------------------------
// Byte helpers. Every boundary the scanners cut at is an ASCII byte, so every span starts and
// ends on a character boundary.

pub(super) fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')
}

pub(super) fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-')
}

pub(super) fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

pub(super) fn starts_at(b: &[u8], i: usize, lit: &[u8]) -> bool {
    b.len() >= i + lit.len() && &b[i..i + lit.len()] == lit
}

/// Where `needle` occurs in `haystack`, left to right (non-overlapping is not required: every
/// start is reported).
pub(super) fn find_all<'a>(
    haystack: &'a [u8],
    needle: &'a [u8],
) -> impl Iterator<Item = usize> + 'a {
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = from + memchr::memmem::find(haystack.get(from..)?, needle)?;
        from = at + 1;
        Some(at)
    })
}

pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// A word's bytes, kept on the stack (tokens are short): the shape tests run on every token of
/// every line, and a heap allocation each would cost more than the test itself.
pub(super) type Word = smallvec::SmallVec<[u8; 64]>;

/// `t`'s letters and digits, in order.
pub(super) fn alnum_of(t: &[u8]) -> Word {
    t.iter()
        .copied()
        .filter(u8::is_ascii_alphanumeric)
        .collect()
}

/// `t` in ASCII lower case.
pub(super) fn folded(t: &[u8]) -> Word {
    t.iter().map(u8::to_ascii_lowercase).collect()
}

pub(super) fn run(b: &[u8], mut i: usize, class: impl Fn(u8) -> bool) -> usize {
    while i < b.len() && class(b[i]) {
        i += 1;
    }
    i
}

pub(super) fn skip_blank(b: &[u8], i: &mut usize) -> usize {
    let start = *i;
    while *i < b.len() && is_blank(b[*i]) {
        *i += 1;
    }
    *i - start
}

/// A marker (or the head of one, cut) starts at `i`.
pub(super) fn marker_at(b: &[u8], i: usize) -> bool {
    let rest = &b[i.min(b.len())..];
    rest.starts_with(&MARKER_HEAD.as_bytes()[..7])
        || (rest.len() >= 2
            && rest.len() < MARKER_HEAD.len()
            && MARKER_HEAD.as_bytes().starts_with(rest))
}

/// A `\n`, `\r`, `\t` or `\"` escape (Go's %q, JSON-encoded logs) starts at `i`.
pub(super) fn escape_at(b: &[u8], i: usize) -> bool {
    b.get(i) == Some(&b'\\') && matches!(b.get(i + 1), Some(b'n' | b'r' | b't' | b'"' | b'\''))
}

/// A token may start at `i`: after a non-alphanumeric byte, a `\n`-style escape, or `%XX`.
pub(super) fn boundary_before(b: &[u8], i: usize) -> bool {
    if i == 0 || !b[i - 1].is_ascii_alphanumeric() {
        return true;
    }
    (i >= 2 && b[i - 2] == b'\\' && matches!(b[i - 1], b'n' | b'r' | b't'))
        || (i >= 3
            && b[i - 3] == b'%'
            && b[i - 2].is_ascii_hexdigit()
            && b[i - 1].is_ascii_hexdigit())
}

/// The text ends at `i` (or its line does, or only "…" follows): where a pipeline cut it.
pub(super) fn at_end(b: &[u8], i: usize) -> bool {
    match b.get(i) {
        None | Some(b'\n' | b'\r') => return true,
        Some(b'\\') => return matches!(b.get(i + 1), Some(b'n' | b'r')),
        Some(b' ' | b'\t' | b'.' | b'[' | b'(' | 0xE2) => {}
        Some(_) => return false,
    }
    let rest = &b[i.min(b.len())..];
    if rest.is_empty()
        || matches!(rest[0], b'\n' | b'\r')
        || starts_at(rest, 0, b"\\n")
        || starts_at(rest, 0, b"\\r")
    {
        return true;
    }
    let rest = rest.trim_ascii();
    if rest.is_empty() {
        return true;
    }
    ["…", "...", "[truncated]", "(truncated)"]
        .iter()
        .any(|tail| rest.starts_with(tail.as_bytes()) && rest[tail.len()..].trim_ascii().is_empty())
}
