use super::*;

// ---------------------------------------------------------------------------------------------
// The gate: which detectors can match at all.

pub(super) const G_KEY: u16 = 1 << 0;
pub(super) const G_URL: u16 = 1 << 1;
pub(super) const G_JWT: u16 = 1 << 2;
pub(super) const G_PEM: u16 = 1 << 3;
pub(super) const G_BEARER: u16 = 1 << 4;
pub(super) const G_BASIC: u16 = 1 << 5;
pub(super) const G_TOOL: u16 = 1 << 6;
pub(super) const G_AT: u16 = 1 << 7;
pub(super) const G_DSN: u16 = 1 << 8;
pub(super) const G_VALUE: u16 = 1 << 9;
pub(super) const G_AZURE: u16 = 1 << 10;
pub(super) const G_TELEGRAM: u16 = 1 << 11;

/// Words and marks, ASCII case-insensitive. A key word is a part of a key: the whole key
/// (`AWS_SECRET_ACCESS_KEY`, `x-api-key`, `_authToken`) is read around it.
pub(super) const WORDS: &[(&str, u16)] = &[
    ("pass", G_KEY),
    ("pwd", G_KEY),
    ("pw", G_KEY),
    ("secret", G_KEY),
    ("token", G_KEY),
    ("key", G_KEY),
    ("auth", G_KEY),
    ("credential", G_KEY),
    ("sig", G_KEY),
    ("hmac", G_KEY),
    ("cookie", G_KEY),
    ("session", G_KEY),
    ("sid", G_KEY),
    ("identified", G_KEY),
    ("pin", G_KEY),
    ("otp", G_KEY),
    ("mnemonic", G_KEY),
    ("://", G_URL),
    (":\\/\\/", G_URL),
    ("eyj", G_JWT),
    ("-----begin", G_PEM),
    ("-----end", G_PEM),
    ("bearer", G_BEARER),
    ("basic", G_BASIC),
    ("mysql", G_TOOL),
    ("mariadb", G_TOOL),
    ("sshpass", G_TOOL),
    ("redis-cli", G_TOOL),
    ("sqlcmd", G_TOOL),
    ("mongo", G_TOOL),
    ("curl", G_TOOL),
    ("wget", G_TOOL),
    ("--user", G_TOOL),
    ("login", G_TOOL),
    ("dsn", G_DSN),
    ("value", G_VALUE),
    ("q~", G_AZURE),
    (":aa", G_TELEGRAM),
];

// The gate is made of tables built at compile time, so the first call after a cold start
// builds nothing. Key words are found anywhere (`PGPASSWORD`, `_authToken`): a bitset of their
// first two bytes (ASCII case folded) filters the positions, then the words with that first
// byte are compared. Token prefixes are looked up only where a token can start (after a
// non-alphanumeric byte, a `\n` escape or `%XX`), by their exact first byte.

pub(super) const N_WORDS: usize = WORDS.len();
pub(super) const N_PREFIXES: usize = PROVIDERS.len();

pub(super) const fn fold(c: u8) -> u8 {
    c.to_ascii_lowercase()
}

/// Bit `(a << 8) | b` is set when some word starts with the (folded) bytes `a b`.
pub(super) static WORD_BIGRAMS: [u64; 1024] = {
    let mut table = [0u64; 1024];
    let mut id = 0;
    while id < N_WORDS {
        let word = WORDS[id].0.as_bytes();
        assert!(word.len() >= 2, "key words have two bytes or more");
        let bit = ((fold(word[0]) as usize) << 8) | fold(word[1]) as usize;
        table[bit / 64] |= 1 << (bit % 64);
        id += 1;
    }
    table
};

/// Word ids by folded first byte, and token prefix ids by exact first byte:
/// `ids[start[c] as usize..start[c + 1] as usize]`.
pub(super) static WORD_START: [u16; 257] = by_first_byte::<N_WORDS>(true).0;
pub(super) static WORD_IDS: [u16; N_WORDS] = by_first_byte::<N_WORDS>(true).1;
pub(super) static PREFIX_START: [u16; 257] = by_first_byte::<N_PREFIXES>(false).0;
pub(super) static PREFIX_IDS: [u16; N_PREFIXES] = by_first_byte::<N_PREFIXES>(false).1;

pub(super) const fn first_byte(words: bool, id: usize) -> usize {
    if words {
        fold(WORDS[id].0.as_bytes()[0]) as usize
    } else {
        PROVIDERS[id].prefix.as_bytes()[0] as usize
    }
}

pub(super) const fn by_first_byte<const N: usize>(words: bool) -> ([u16; 257], [u16; N]) {
    let mut start = [0u16; 257];
    let mut id = 0;
    while id < N {
        start[first_byte(words, id) + 1] += 1;
        id += 1;
    }
    let mut c = 1;
    while c < 257 {
        start[c] += start[c - 1];
        c += 1;
    }
    let mut fill = start;
    let mut ids = [0u16; N];
    let mut id = 0;
    while id < N {
        let c = first_byte(words, id);
        ids[fill[c] as usize] = id as u16;
        fill[c] += 1;
        id += 1;
    }
    (start, ids)
}

/// What the gate found: which groups of detectors can match, where the key words and other
/// marks are, and the token prefixes (the longest at each position).
#[derive(Default)]
pub(super) struct Gate {
    pub(super) groups: u16,
    pub(super) key_hits: Vec<(usize, usize)>,
    pub(super) hits: Vec<(u16, usize, usize)>,
    pub(super) prefixes: Vec<(usize, usize)>,
}

/// 1 for the bytes a token prefix starts with.
pub(super) static PREFIX_FIRST: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut id = 0;
    while id < N_PREFIXES {
        table[PROVIDERS[id].prefix.as_bytes()[0] as usize] = 1;
        id += 1;
    }
    table
};

/// 1 for the single-byte marks: `@` (DSNs), `\\` (`\n` escapes) and `%` (`%XX`), after which a
/// token can start too.
pub(super) static MARKS: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b'@' as usize] = 1;
    table[b'\\' as usize] = 1;
    table[b'%' as usize] = 1;
    table
};

/// 1 for ASCII letters and digits.
pub(super) static ALNUM: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = (c as u8).is_ascii_alphanumeric() as u8;
        c += 1;
    }
    table
};

/// ASCII lowercase.
pub(super) static FOLD: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = fold(c as u8);
        c += 1;
    }
    table
};

pub(super) fn gate(b: &[u8]) -> Gate {
    const CHUNK: usize = 256;
    let mut found = Gate::default();
    let n = b.len();
    // First the candidate positions, without branches (a position passes at random, so a
    // branch per byte would be mispredicted often); then the comparisons.
    let mut word_candidates = [0u16; CHUNK];
    let mut prefix_candidates = [0u16; CHUNK];
    let mut mark_candidates = [0u16; CHUNK];
    let mut after_mark = false;
    let mut start = 0;
    while start + 1 < n {
        let end = (start + CHUNK).min(n - 1);
        let (mut words, mut prefixes, mut marks) = (0, 0, 0);
        let mut prev_alnum = if start == 0 {
            0
        } else {
            ALNUM[b[start - 1] as usize]
        };
        let mut folded = FOLD[b[start] as usize] as usize;
        for i in start..end {
            let c = b[i] as usize;
            let next = FOLD[b[i + 1] as usize] as usize;
            let bit = (folded << 8) | next;
            let offset = (i - start) as u16;
            word_candidates[words] = offset;
            words += ((WORD_BIGRAMS[bit >> 6] >> (bit & 63)) & 1) as usize;
            prefix_candidates[prefixes] = offset;
            prefixes += (PREFIX_FIRST[c] & (prev_alnum ^ 1)) as usize;
            mark_candidates[marks] = offset;
            marks += MARKS[c] as usize;
            prev_alnum = ALNUM[c];
            folded = next;
        }
        for &i in &word_candidates[..words] {
            word_at(b, start + i as usize, &mut found);
        }
        for &i in &prefix_candidates[..prefixes] {
            prefix_at(b, start + i as usize, &mut found);
        }
        for &i in &mark_candidates[..marks] {
            let at = start + i as usize;
            if b[at] == b'@' {
                found.groups |= G_AT;
                found.hits.push((G_AT, at, at + 1));
                continue;
            }
            // Tokens also start after a `\n`-style escape and after `%XX`.
            let skip = if b[at] == b'\\' {
                matches!(b[at + 1], b'n' | b'r' | b't').then_some(2)
            } else {
                let hex = b[at + 1].is_ascii_hexdigit()
                    && b.get(at + 2).is_some_and(u8::is_ascii_alphanumeric);
                hex.then_some(3)
            };
            if let Some(skip) = skip {
                if b.get(at + skip)
                    .is_some_and(|&c| PREFIX_FIRST[c as usize] == 1)
                {
                    prefix_at(b, at + skip, &mut found);
                    after_mark = true;
                }
            }
        }
        start = end;
    }
    if after_mark {
        found.prefixes.sort_unstable();
        found.prefixes.dedup();
    }
    found
}

pub(super) fn word_at(b: &[u8], i: usize, found: &mut Gate) {
    let c0 = FOLD[b[i] as usize];
    for &id in &WORD_IDS[WORD_START[c0 as usize] as usize..WORD_START[c0 as usize + 1] as usize] {
        let (word, group) = WORDS[id as usize];
        let word = word.as_bytes();
        let Some(text) = b.get(i..i + word.len()) else {
            continue;
        };
        if text.iter().zip(word).all(|(a, w)| FOLD[*a as usize] == *w) {
            found.groups |= group;
            if group == G_KEY {
                found.key_hits.push((i, i + word.len()));
            } else {
                found.hits.push((group, i, i + word.len()));
            }
        }
    }
}

pub(super) fn prefix_at(b: &[u8], i: usize, found: &mut Gate) {
    let c = b[i] as usize;
    let mut longest: Option<(usize, usize)> = None;
    for &id in &PREFIX_IDS[PREFIX_START[c] as usize..PREFIX_START[c + 1] as usize] {
        let prefix = PROVIDERS[id as usize].prefix.as_bytes();
        let Some(text) = b.get(i..i + prefix.len()) else {
            continue;
        };
        if text[1] == prefix[1]
            && text.iter().zip(prefix).all(|(a, p)| a == p)
            && longest.is_none_or(|(_, len)| prefix.len() > len)
        {
            longest = Some((id as usize, prefix.len()));
        }
    }
    if let Some((id, _)) = longest {
        found.prefixes.push((i, id));
    }
}
