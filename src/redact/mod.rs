//! Secrets out of everything that leaves.
//!
//! Secrets are found by their shape, not by a list of known lines:
//!
//! - tokens that announce themselves (`AKIA…`, `ghp_…`, `sk-ant-…`, `hvs.…`, `eyJ….eyJ…`, PEM
//!   private keys) are replaced whole with a typed marker, `[REDACTED:github-token]`; a
//!   `prefix_` or `prefix-` followed by a long random-looking token is caught the same way
//!   whatever its vendor (`glsa_…`, `figd_…`);
//! - values that a key word marks as secret (`password=…`, `"token": "…"`, `Authorization:
//!   Basic …`, `--password …`, `<password>…</password>`, `map[Password:…]`, `sig=…` in a query)
//!   and passwords in URLs and DSNs (`postgres://app:…@db`, `app:…@tcp(db:3306)`) lose the value
//!   and keep the key, so the decisive part of a line still reads:
//!   `could not connect to postgres://app:[REDACTED]@db:5432/orders: connection refused`.
//!
//! Text cut by ECS or a log pipeline can end inside a secret: a token prefix followed by a few
//! characters, a `key=value` or `scheme://user:pa` running to the end, a PEM block without its
//! END line. Those heads go too. [`scrub_lines`] scrubs a log tail as one block (a private key
//! spread over log lines); [`scrub_and_cut`] scrubs before it cuts.
//!
//! Not caught, by design: a random string with neither a key word nor a prefix before it (it
//! cannot be told from an id or ordinary base64); an unquoted value past its first `;`, `,` or
//! space (`Pwd=a;b` keeps `;b`: those end values in connection strings); a secret spread over
//! lines other than a PEM block or a `name:`/`value:` pair.
//!
//! Speed: this runs on every alert, and the first call after a cold start counts, so nothing
//! is built at run time. A gate made of tables computed at compile time finds, in one pass,
//! the key words (anywhere: `PGPASSWORD`, `_authToken`) and the token prefixes (where a token
//! can start); only the detectors they point at run. The detectors are hand-written byte
//! scanners, not regexes: there is nothing to compile on the first call, and a clean line
//! costs one pass of the gate and one of the prefixed-token scanner. Scrubbing is idempotent:
//! `scrub(scrub(x)) == scrub(x)`.

use std::borrow::Cow;

mod armored;
mod bytes;
mod catalog;
mod command;
mod escapes;
mod gate;
mod headers;
mod keyed;
mod memo;
mod pairs;
mod shapes;
pub mod structure;
mod taint;
#[cfg(test)]
mod tests;
mod tokens;
mod urls;

use armored::*;
use bytes::*;
pub use catalog::catalog_markdown;
use catalog::*;
use command::*;
use gate::*;
use headers::*;
use keyed::*;
pub use memo::forget as forget_scrubbed;
use pairs::*;
use shapes::*;
use taint::*;
use tokens::*;
use urls::*;

/// The marker for a value whose key already says what it is (`password=[REDACTED]`).
const MARKER: &str = "[REDACTED]";
const MARKER_HEAD: &str = "[REDACTED";

/// Replaces secrets in `text` (keys, tokens, passwords in URLs) with a marker.
///
/// Returns `Cow::Borrowed` when nothing had to change.
pub fn scrub(text: &str) -> Cow<'_, str> {
    scrub_with(text, &Keep::new(&[]))
}

/// [`scrub`], except that the names in `keep` (the cluster, the service, the containers a
/// report is about: names ECS gave back, not values) are not masked for their shape.
pub fn scrub_keeping<'a>(text: &'a str, keep: &[&str]) -> Cow<'a, str> {
    scrub_with(text, &Keep::new(keep))
}

/// Names kept from the shape net, with what the memo needs of them worked out once (a report's
/// hundred strings are scrubbed with the same names).
pub struct Keep<'a> {
    names: &'a [&'a str],
    relevance: memo::Relevance,
}

impl<'a> Keep<'a> {
    pub fn new(names: &'a [&'a str]) -> Keep<'a> {
        Keep {
            names,
            relevance: memo::Relevance::new(names),
        }
    }

    /// [`scrub_keeping`] with these names.
    pub fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        scrub_with(text, self)
    }
}

fn scrub_with<'a>(text: &'a str, keep: &Keep) -> Cow<'a, str> {
    if memo::is_scrubbed(text, &keep.relevance) {
        return Cow::Borrowed(text);
    }
    let cleaned = escapes::clean(text);
    let spans = find_secrets(&cleaned, keep.names);
    let scrubbed = match (spans.is_empty(), cleaned) {
        (true, cleaned) => cleaned,
        (false, cleaned) => Cow::Owned(apply(&cleaned, spans)),
    };
    memo::remember(&scrubbed, &keep.relevance);
    scrubbed
}

/// Scrubs the last lines of a log as one block, so that a secret spread over several lines goes
/// too: a PEM private key whose BEGIN line, body lines and END line were logged one by one, a
/// block cut off before its END line (the base64 lines after BEGIN go), a tail that starts in
/// the middle of a key (the base64 lines before an END line go), and a YAML or pretty-printed
/// JSON `name: DB_PASSWORD` / `value: …` pair. A removed block collapses to one marker line;
/// every other line comes back scrubbed on its own, in order.
pub fn scrub_lines(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    // How many of the last lines pushed are base64 lines pushed as they were (a key body whose
    // BEGIN line is not in the tail, if an END line follows).
    let mut trailing_body = 0usize;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].as_str();
        if let Some(begin) = pem_header_at(line, b"-----BEGIN").filter(|_| !has_pem_end(line)) {
            let head = &line[..begin];
            let end = (i + 1..lines.len().min(i + 1 + PEM_MAX_LINES))
                .take_while(|&j| pem_header_at(&lines[j], b"-----BEGIN").is_none())
                .find(|&j| has_pem_end(&lines[j]));
            match end {
                Some(j) => {
                    let tail = pem_end_tail(&lines[j]);
                    out.push(format!("{}{}{}", scrub(head), PEM_MARKER, scrub(tail)));
                    // Lines logged in between by something else stay, after the marker.
                    for other in &lines[i + 1..j] {
                        if !pem_body_line(other, true) {
                            out.push(scrub(other).into_owned());
                        }
                    }
                    i = j + 1;
                }
                None => {
                    let mut j = i + 1;
                    while j < lines.len() && pem_body_line(&lines[j], false) {
                        j += 1;
                    }
                    out.push(format!("{}{}", scrub(head), PEM_MARKER));
                    i = j;
                }
            }
            trailing_body = 0;
            continue;
        }
        if let Some(end) = pem_header_at(line, b"-----END").filter(|_| !line.contains("-----BEGIN"))
        {
            if trailing_body > 0 {
                out.truncate(out.len() - trailing_body);
                let head = &line[..end];
                let head =
                    head.trim_end_matches(|c: char| c == ' ' || (c.is_ascii() && is_b64(c as u8)));
                let tail = pem_end_tail(line);
                out.push(format!("{}{}{}", scrub(head), PEM_MARKER, scrub(tail)));
                trailing_body = 0;
                i += 1;
                continue;
            }
        }
        if let Some(next) = lines.get(i + 1) {
            if let Some(value_line) = name_value_across(line, next) {
                out.push(scrub(line).into_owned());
                out.push(value_line);
                trailing_body = 0;
                i += 2;
                continue;
            }
        }
        let scrubbed = scrub(line);
        if pem_body_line(line, true) {
            trailing_body += 1;
        } else {
            trailing_body = 0;
        }
        out.push(scrubbed.into_owned());
        i += 1;
    }
    out
}

/// Scrubs `text`, then cuts it to at most `max_bytes` bytes on a character boundary, ending
/// with "…" when cut. Scrubbing first matters: a secret cut in half is no longer recognisable,
/// and its head would leak. A cut never splits a `[REDACTED…]` marker.
pub fn scrub_and_cut(text: &str, max_bytes: usize) -> String {
    const ELLIPSIS: &str = "…";
    let scrubbed = scrub(text);
    if scrubbed.len() <= max_bytes {
        return scrubbed.into_owned();
    }
    let budget = max_bytes.saturating_sub(ELLIPSIS.len());
    let mut end = budget;
    while !scrubbed.is_char_boundary(end) {
        end -= 1;
    }
    // Never half a marker: "[REDAC…" reads as nothing. (A marker holds no other `[`.)
    if let Some(open) = scrubbed[..end].rfind('[') {
        let cut_marker = scrubbed[open..].starts_with(MARKER_HEAD)
            && scrubbed[open..]
                .find(']')
                .is_none_or(|close| open + close >= end);
        if cut_marker {
            end = open;
        }
    }
    if max_bytes < ELLIPSIS.len() {
        return scrubbed[..end].to_owned();
    }
    format!("{}{ELLIPSIS}", &scrubbed[..end])
}

// ---------------------------------------------------------------------------------------------
// Spans: every detector reports the byte ranges to replace; overlapping ranges merge.

#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    end: usize,
    /// `""` for `[REDACTED]`, else `[REDACTED:<kind>]`.
    kind: &'static str,
    /// Among spans over exactly the same range, the higher names the marker.
    prio: u8,
}

const PRIO_KEYED: u8 = 1;
const PRIO_GENERIC: u8 = 2;
const PRIO_TYPED: u8 = 3;

fn push(spans: &mut Vec<Span>, start: usize, end: usize, kind: &'static str, prio: u8) {
    if start < end {
        spans.push(Span {
            start,
            end,
            kind,
            prio,
        });
    }
}

fn apply(text: &str, mut spans: Vec<Span>) -> String {
    spans.sort_unstable_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    let mut i = 0;
    while i < spans.len() {
        let start = spans[i].start;
        let mut end = spans[i].end;
        let mut j = i + 1;
        while j < spans.len() && spans[j].start < end {
            end = end.max(spans[j].end);
            j += 1;
        }
        let group = &spans[i..j];
        let kind = group
            .iter()
            .filter(|s| s.start == start && s.end == end)
            .max_by_key(|s| s.prio)
            .or_else(|| group.iter().max_by_key(|s| (s.end - s.start, s.prio)))
            .map_or("", |s| s.kind);
        out.push_str(&text[pos..start]);
        if kind.is_empty() {
            out.push_str(MARKER);
        } else {
            out.push_str(MARKER_HEAD);
            out.push(':');
            out.push_str(kind);
            out.push(']');
        }
        pos = end;
        i = j;
    }
    out.push_str(&text[pos..]);
    out
}

fn find_secrets(text: &str, keep: &[&str]) -> Vec<Span> {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    if b.len() < 4 {
        return spans;
    }
    let Gate {
        groups,
        key_hits,
        hits,
        prefixes,
    } = gate(b);
    let hits_of = |group: u16| {
        hits.iter()
            .filter(move |(g, _, _)| g & group != 0)
            .map(|&(_, start, end)| (start, end))
    };

    // Shape first: whatever looks machine-made, wherever it stands; then a secret word taints
    // the rest of its line; then the detectors of known structures, which name what they find.
    random_tokens(b, keep, &mut spans);
    if !key_hits.is_empty() {
        tainted_lines(b, &key_hits, &mut spans);
    }
    let saw_aws_key_id = providers(b, &prefixes, &mut spans);
    generic_tokens(b, &mut spans);
    if saw_aws_key_id {
        aws_secret_keys(b, &mut spans);
    }
    if groups & G_PEM != 0 {
        pem_blocks(b, &mut spans);
    }
    if groups & G_JWT != 0 {
        jwts(b, hits_of(G_JWT), &mut spans);
    }
    if groups & G_URL != 0 {
        url_credentials(b, &mut spans);
    }
    if !key_hits.is_empty() {
        keyed_values(text, b, &key_hits, &mut spans);
    }
    if groups & G_BEARER != 0 {
        bare_bearers(b, hits_of(G_BEARER), &mut spans);
    }
    if groups & G_BASIC != 0 {
        bare_basics(b, hits_of(G_BASIC), &mut spans);
    }
    if groups & G_TOOL != 0 {
        command_lines(b, &mut spans);
    }
    short_password_flags(b, &mut spans);
    if groups & G_AT != 0 {
        schemeless_dsns(b, hits_of(G_AT), &mut spans);
    }
    let standalone = |(s, e): (usize, usize)| {
        (s == 0 || !b[s - 1].is_ascii_alphabetic())
            && b.get(e).is_none_or(|c| !c.is_ascii_alphabetic())
    };
    if groups & G_DSN != 0 && hits_of(G_DSN).any(standalone) {
        cut_dsn(b, &mut spans);
    }
    if groups & G_VALUE != 0 {
        name_value_pairs(b, hits_of(G_VALUE), &mut spans);
    }
    if groups & G_AZURE != 0 {
        azure_client_secrets(b, hits_of(G_AZURE), &mut spans);
    }
    if groups & G_TELEGRAM != 0 {
        telegram_tokens(b, hits_of(G_TELEGRAM), &mut spans);
    }
    // Service names ECS wrote into its own messages stay, whatever their shape.
    if !spans.is_empty() && find(b, b"service ").is_some() {
        let names = service_names(b);
        spans.retain(|span| !names.iter().any(|&(s, e)| span.start >= s && span.end <= e));
    }
    spans
}
