//! Cutting text to a size, once: by characters for what people read (titles, quotes), by bytes
//! for what a limit counts in bytes (SNS, log lines).

/// At most `max` characters of `text`, ended with "…" when cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some(_) => {
            let keep = max.saturating_sub(1);
            let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
            format!("{}…", &text[..end])
        }
    }
}

/// Cuts `text` in place to at most `max` characters, ended with "…"; whether it was cut.
pub fn truncate_in_place(text: &mut String, max: usize) -> bool {
    if text.char_indices().nth(max).is_none() {
        return false;
    }
    *text = truncate(text, max);
    true
}

/// At most `limit` bytes of `text`, cut on a character boundary (no ellipsis).
pub fn cap(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

pub fn char_count(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_a_character_boundary() {
        assert_eq!(truncate("héllo wörld", 5), "héll…");
        assert_eq!(truncate("héllo", 5), "héllo");
        assert_eq!(char_count(&truncate(&"é".repeat(300), 99)), 99);
        assert_eq!(cap("héllo", 2), "h");
        let mut text = "abcdef".to_string();
        assert!(truncate_in_place(&mut text, 4));
        assert_eq!(text, "abc…");
        assert!(!truncate_in_place(&mut text, 4));
    }
}
