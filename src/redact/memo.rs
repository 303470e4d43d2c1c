//! What this thread has already scrubbed into. Scrubbing is idempotent (`scrub(scrub(x)) ==
//! scrub(x)`, tested), so a text that a scrub gave back comes back as it is at the cost of one
//! hash lookup, wherever it turns up again. A log line is scrubbed where it is read, again where
//! the diagnosis quotes it (it may be handed lines that were not), and again with the whole
//! report before it leaves: two of those three passes become lookups; and a crash loop's
//! repeated report is not scrubbed again, string by string.
//!
//! A text is remembered with the kept names that could have changed its scrub (their
//! fingerprint; 0 for none): a kept name would be masked by a scrub that keeps other names. A
//! name can only keep a token (eight bytes or more, `shapes::token`) that is part of it, so a
//! name that shares no eight bytes with the text changed nothing: the fingerprint leaves it out
//! ([`Relevance`]). A crash loop's reports differ in the event id and the task's log stream, which
//! most of their strings never mention; those strings are found again. A text remembered with
//! no names kept is safe under any (keeping names only ever masks less). Bounded: forgotten
//! whole past 1,024 texts or 256 KiB.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasher;

use smallvec::SmallVec;

const MAX_TEXTS: usize = 1024;
const MAX_BYTES: usize = 256 * 1024;
/// Shorter texts cost less to scrub than to remember.
const MIN_LEN: usize = 16;

#[derive(Default)]
struct Memo {
    /// Each text, and the fingerprints of the names it was scrubbed with.
    texts: HashMap<Box<str>, SmallVec<[u64; 2]>>,
    bytes: usize,
}

thread_local! {
    static SCRUBBED: RefCell<Memo> = RefCell::new(Memo::default());
}

/// The shortest token the shape net masks, and so the shortest part of a name that can keep one.
const TOKEN_MIN: usize = 8;
/// Bytes that `escapes::clean` rewrites: a token of the cleaned text may not be in the text.
const ESCAPED: [u8; 3] = [0x1b, b'\\', b'%'];

/// Which of the kept names could change a text's scrub: every eight-byte window of each name,
/// with the names it is part of (a bit each, for the first 64 names).
pub(super) struct Relevance {
    windows: foldhash::HashMap<u64, u64>,
    /// Each name's own hash.
    hashes: Vec<u64>,
    /// The fingerprint of all the names, for a text whose tokens cleaning may rewrite.
    all: u64,
}

impl Relevance {
    pub(super) fn new(names: &[&str]) -> Relevance {
        let hashes: Vec<u64> = names
            .iter()
            .map(|name| foldhash::quality::FixedState::with_seed(0).hash_one(name))
            .collect();
        let mut windows = foldhash::HashMap::default();
        for (i, name) in names.iter().enumerate() {
            let bit = if i < 64 { 1u64 << i } else { u64::MAX };
            for window in name.as_bytes().windows(TOKEN_MIN) {
                *windows.entry(window_key(window)).or_insert(0) |= bit;
            }
        }
        let all = combine(&hashes, u64::MAX);
        Relevance {
            windows,
            hashes,
            all,
        }
    }

    /// The fingerprint of the names that could change `text`'s scrub: 0 for none.
    fn fingerprint(&self, text: &str) -> u64 {
        if self.windows.is_empty() {
            return 0;
        }
        let b = text.as_bytes();
        if b.iter().any(|c| ESCAPED.contains(c)) {
            return self.all;
        }
        let mask = b
            .windows(TOKEN_MIN)
            .filter_map(|window| self.windows.get(&window_key(window)))
            .fold(0, |mask, names| mask | names);
        combine(&self.hashes, mask)
    }
}

fn window_key(window: &[u8]) -> u64 {
    u64::from_le_bytes(window.try_into().expect("eight bytes"))
}

/// The fingerprint of the names in `mask` (all of them past the 64th when its top bit is set):
/// 0 for none, never 0 otherwise.
fn combine(hashes: &[u64], mask: u64) -> u64 {
    if mask == 0 || hashes.is_empty() {
        return 0;
    }
    let fingerprint = hashes
        .iter()
        .enumerate()
        .filter(|&(i, _)| mask & (1u64 << i.min(63)) != 0)
        .fold(0u64, |fingerprint, (_, hash)| {
            (fingerprint ^ hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        });
    fingerprint | 1
}

/// `text` is what an earlier scrub on this thread gave back, with no names kept or with the same
/// names that could change it.
pub(super) fn is_scrubbed(text: &str, names: &Relevance) -> bool {
    text.len() >= MIN_LEN
        && SCRUBBED.with(|memo| {
            let memo = memo.borrow();
            let Some(with) = memo.texts.get(text) else {
                return false;
            };
            with.contains(&0) || with.contains(&names.fingerprint(text))
        })
}

/// Remembers `text`, a scrub's result with these names kept.
pub(super) fn remember(text: &str, names: &Relevance) {
    if text.len() < MIN_LEN || text.len() > MAX_BYTES / 16 {
        return;
    }
    let kept = names.fingerprint(text);
    SCRUBBED.with(|memo| {
        let mut memo = memo.borrow_mut();
        if memo.texts.len() >= MAX_TEXTS || memo.bytes + text.len() > MAX_BYTES {
            *memo = Memo::default();
        }
        if let Some(with) = memo.texts.get_mut(text) {
            if !with.contains(&kept) {
                with.push(kept);
            }
            return;
        }
        memo.bytes += text.len();
        memo.texts.insert(text.into(), SmallVec::from_elem(kept, 1));
    });
}

/// Forgets everything (benchmarks measure a first scrub with it).
pub fn forget() {
    SCRUBBED.with(|memo| *memo.borrow_mut() = Memo::default());
}

#[cfg(test)]
mod tests {
    use super::super::{scrub, scrub_keeping};
    use super::*;

    #[test]
    fn a_text_kept_with_some_names_is_scrubbed_again_without_them() {
        forget();
        // A generated name, masked for its shape unless the report names it.
        let text = "container api-Service-ZMAe8F2ERZtu7Qx exited with code 1";
        let kept = scrub_keeping(text, &["api-Service-ZMAe8F2ERZtu7Qx"]);
        assert_eq!(kept, text, "kept: the report's own name");
        let plain = scrub(text);
        assert_ne!(plain, text, "remembered with its names only: {plain}");
        // Remembered with none: kept under any names, and found again.
        let none = Relevance::new(&[]);
        assert!(is_scrubbed(&plain, &none));
        assert!(is_scrubbed(&plain, &Relevance::new(&["x"])));
        assert_eq!(scrub(&plain), plain);
    }

    #[test]
    fn names_a_text_shares_nothing_with_do_not_tell_it_apart() {
        forget();
        let text = "connect ECONNREFUSED 10.0.3.7:5432 after 3 attempts (pool exhausted)";
        let first = Relevance::new(&["orders-prod", "ecs/api/4f1c2d9e8b7a4c3d9e1f2a3b4c5d6e7f"]);
        let next = Relevance::new(&["orders-prod", "ecs/api/0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d"]);
        assert_eq!(first.fingerprint(text), 0, "no name is in the line");
        assert_eq!(scrub_keeping(text, &["orders-prod"]), text);
        assert!(
            is_scrubbed(text, &next),
            "the next task's names change nothing"
        );
    }

    #[test]
    fn a_name_that_shares_a_token_with_the_text_tells_it_apart() {
        let name = "api-Service-ZMAe8F2ERZtu7Qx";
        let text = "deployment of ZMAe8F2ERZtu7Qx failed";
        let with = Relevance::new(&["orders-prod", name]);
        let without = Relevance::new(&["orders-prod", "web-Service-Q81hd7Gs0Pk2LmX"]);
        assert_ne!(with.fingerprint(text), 0);
        assert_ne!(with.fingerprint(text), without.fingerprint(text));
        assert_eq!(without.fingerprint(text), 0);
        // Cleaning may join a token across an escape: every name counts then.
        let escaped = "deployment of ZMAe8F2E%3DRZtu7Qx failed";
        assert_eq!(with.fingerprint(escaped), with.all);
        assert_ne!(with.all, without.all);
    }
}
