//! What this thread has already scrubbed into. Scrubbing is idempotent (`scrub(scrub(x)) ==
//! scrub(x)`, tested), so a text that a scrub gave back comes back as it is at the cost of one
//! hash lookup, wherever it turns up again. A log line is scrubbed where it is read, again where
//! the diagnosis quotes it (it may be handed lines that were not), and again with the whole
//! report before it leaves: two of those three passes become lookups; and a crash loop's
//! repeated report is not scrubbed again, string by string.
//!
//! A text is remembered with the names that were kept from the shape net when it was scrubbed
//! (their fingerprint; 0 for none): a kept name would be masked by a scrub that keeps other
//! names. A text remembered with no names kept is safe under any (keeping names only ever
//! masks less). Bounded: forgotten whole past 1,024 texts or 256 KiB.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

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

/// The fingerprint of a set of kept names, in order: 0 for none, never 0 otherwise.
pub(super) fn fingerprint(names: &[&str]) -> u64 {
    if names.is_empty() {
        return 0;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    names.hash(&mut hasher);
    hasher.finish() | 1
}

/// `text` is what an earlier scrub on this thread gave back, with no names kept or with the
/// names whose fingerprint is `kept`.
pub(super) fn is_scrubbed(text: &str, kept: u64) -> bool {
    text.len() >= MIN_LEN
        && SCRUBBED.with(|memo| {
            memo.borrow()
                .texts
                .get(text)
                .is_some_and(|with| with.iter().any(|&f| f == 0 || f == kept))
        })
}

/// Remembers `text`, a scrub's result with the names whose fingerprint is `kept`.
pub(super) fn remember(text: &str, kept: u64) {
    if text.len() < MIN_LEN || text.len() > MAX_BYTES / 16 {
        return;
    }
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
        assert!(is_scrubbed(&plain, 0));
        assert!(is_scrubbed(&plain, fingerprint(&["x"])));
        assert_eq!(scrub(&plain), plain);
    }
}
