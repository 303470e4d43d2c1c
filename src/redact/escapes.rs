//! Escapes out before scrubbing, so that the text scrubbed is the text shown: ANSI colour codes
//! (`password\x1b[0m=…` would hide the key from every detector), their spelled-out forms in
//! JSON logs (`\u001b[31m`), and the URL encoding of the separators a key and its value are
//! joined by (`password%3D…`, `user%3Aapp%40db`). `\r\n` spelled out in wire dumps stays: the
//! detectors read it as a line end.

use std::borrow::Cow;

/// The spellings of ESC that loggers write out.
const ESC_SPELLINGS: &[&[u8]] = &[
    b"\x1b", b"\\u001b", b"\\u001B", b"\\x1b", b"\\x1B", b"\\033", b"\\e",
];

/// Percent-encoded separators that are decoded (never `%25`, so that decoding stays idempotent).
fn decoded(hi: u8, lo: u8) -> Option<u8> {
    let byte = match (hi.to_ascii_uppercase(), lo.to_ascii_uppercase()) {
        (b'3', b'D') => b'=',
        (b'3', b'A') => b':',
        (b'2', b'6') => b'&',
        (b'4', b'0') => b'@',
        (b'2', b'0') => b' ',
        (b'2', b'2') => b'"',
        (b'2', b'7') => b'\'',
        (b'2', b'C') => b',',
        (b'3', b'B') => b';',
        _ => return None,
    };
    Some(byte)
}

/// Where an escape sequence starts at `i`, its length.
fn escape_len(b: &[u8], i: usize) -> Option<usize> {
    let spelling = ESC_SPELLINGS.iter().find(|s| b[i..].starts_with(s))?;
    let mut j = i + spelling.len();
    match b.get(j) {
        // CSI: parameters and intermediates, then one final byte.
        Some(b'[') => {
            j += 1;
            while j < b.len() && (0x20..0x40).contains(&b[j]) {
                j += 1;
            }
            (j < b.len() && (0x40..0x7f).contains(&b[j])).then(|| j + 1 - i)
        }
        // OSC: up to BEL or ST.
        Some(b']') => {
            let end = b[j..].iter().position(|&c| c == 0x07)?;
            Some(j + end + 1 - i)
        }
        Some(c) if spelling[0] == 0x1b && (0x40..0x60).contains(c) => Some(j + 1 - i),
        _ if spelling[0] == 0x1b => Some(1),
        _ => None,
    }
}

fn json_escaped(b: &[u8], i: usize) -> Option<u8> {
    let escape = b.get(i..i + 6)?;
    if escape[0] != b'\\' || !matches!(escape[1], b'u' | b'U') || &escape[2..4] != b"00" {
        return None;
    }
    decoded(escape[4], escape[5]).filter(|c| matches!(c, b'=' | b'&' | b':' | b'@'))
}

/// `text` without escapes and with its separators decoded; borrowed when there were none.
pub(super) fn clean(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let interesting = |c: &u8| matches!(c, 0x1b | b'\\' | b'%');
    let Some(first) = b.iter().position(interesting) else {
        return Cow::Borrowed(text);
    };
    let mut out: Vec<u8> = Vec::new();
    let mut pos = 0;
    let mut i = first;
    while i < b.len() {
        match b[i] {
            0x1b | b'\\' => {
                // JSON's `\u003d` (`=`), `\u0026` (`&`), `\u003a` (`:`), `\u0040` (`@`).
                if let Some(byte) = json_escaped(b, i) {
                    out.extend_from_slice(&b[pos..i]);
                    out.push(byte);
                    i += 6;
                    pos = i;
                    continue;
                }
                if let Some(len) = escape_len(b, i) {
                    out.extend_from_slice(&b[pos..i]);
                    i += len;
                    pos = i;
                    continue;
                }
            }
            b'%' if i + 2 < b.len() => {
                if let Some(byte) = decoded(b[i + 1], b[i + 2]) {
                    out.extend_from_slice(&b[pos..i]);
                    out.push(byte);
                    i += 3;
                    pos = i;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if pos == 0 {
        return Cow::Borrowed(text);
    }
    out.extend_from_slice(&b[pos..]);
    // Only ASCII sequences were removed or replaced by ASCII bytes: still UTF-8.
    Cow::Owned(
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn colour_codes_between_a_key_and_its_value_go() {
        assert_eq!(clean("\x1b[33mpassword\x1b[0m=hunter2"), "password=hunter2");
        assert_eq!(clean(r"\u001b[1mtoken\u001b[22m: abc"), "token: abc");
        assert_eq!(clean("plain text"), "plain text");
    }

    #[test]
    fn url_encoded_separators_are_decoded_once() {
        assert_eq!(
            clean("password%3DS3cret%26user%3Dapp"),
            "password=S3cret&user=app"
        );
        assert_eq!(clean("100%25 done"), "100%25 done");
        assert_eq!(clean(&clean("a%253Db")), "a%253Db");
        assert_eq!(
            clean(r"user\u003dapp\u0026password\u003dx"),
            "user=app&password=x"
        );
    }
}
