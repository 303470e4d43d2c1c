//! What this thread has already scrubbed into. Scrubbing is idempotent (`scrub(scrub(x)) ==
//! scrub(x)`, tested), so a text that a scrub gave back comes back as it is at the cost of one
//! hash lookup, wherever it turns up again. A log line is scrubbed where it is read, again where
//! the diagnosis quotes it (it may be handed lines that were not), and again with the whole
//! report before it leaves: two of those three passes become lookups.
//!
//! Only a scrub with no names kept is remembered (a kept name would be masked by a scrub that
//! keeps none), and a remembered text is safe under any names kept (keeping names only ever
//! masks less). Bounded: forgotten whole past 1,024 texts or 256 KiB.

use std::cell::RefCell;
use std::collections::HashSet;

const MAX_TEXTS: usize = 1024;
const MAX_BYTES: usize = 256 * 1024;
/// Shorter texts cost less to scrub than to remember.
const MIN_LEN: usize = 16;

#[derive(Default)]
struct Memo {
    texts: HashSet<Box<str>>,
    bytes: usize,
}

thread_local! {
    static SCRUBBED: RefCell<Memo> = RefCell::new(Memo::default());
}

/// `text` is what an earlier scrub on this thread gave back.
pub(super) fn is_scrubbed(text: &str) -> bool {
    text.len() >= MIN_LEN && SCRUBBED.with(|memo| memo.borrow().texts.contains(text))
}

/// Remembers `text`, a scrub's result.
pub(super) fn remember(text: &str) {
    if text.len() < MIN_LEN || text.len() > MAX_BYTES / 16 {
        return;
    }
    SCRUBBED.with(|memo| {
        let mut memo = memo.borrow_mut();
        if memo.texts.len() >= MAX_TEXTS || memo.bytes + text.len() > MAX_BYTES {
            *memo = Memo::default();
        }
        if memo.texts.insert(text.into()) {
            memo.bytes += text.len();
        }
    });
}

/// Forgets everything (benchmarks measure a first scrub with it).
pub fn forget() {
    SCRUBBED.with(|memo| *memo.borrow_mut() = Memo::default());
}
