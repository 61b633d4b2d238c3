//! Checks of the free text a user gives the plugin (`--reason`, `--requestor`): what goes into an
//! annotation and one line of `get`; and any text from the cluster made safe for a terminal.

use std::borrow::Cow;

use crate::base::error::{Error, Result};

/// The longest reason kept on a request.
pub const MAX_REASON: usize = 1024;

/// The longest requestor (`--requestor`) kept on a request.
pub const MAX_REQUESTOR: usize = 256;

/// A free-text value that goes into an annotation and one line of `get`: one line, bounded, and
/// nothing that would disturb the terminal of whoever reads it.
pub fn check_text(flag: &str, text: &str, max: usize) -> Result<()> {
    if text.chars().count() > max {
        return Err(Error::usage(format!(
            "{flag} is {} characters long; at most {max} are kept",
            text.chars().count()
        )));
    }
    if let Some(c) = text.chars().find(|&c| disturbs_terminal(c)) {
        return Err(Error::usage(format!(
            "{flag} must be one line of text, without newlines, control characters or bidirectional marks \
             (it holds {})",
            c.escape_unicode()
        )));
    }
    Ok(())
}

/// The candidate nearest to `typed` by edit distance, if it is at most 2 edits away (a typo).
pub fn closest<'a>(typed: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates.iter().map(|c| (edits(typed, c), *c)).filter(|(d, _)| *d <= 2).min().map(|(_, c)| c)
}

/// Levenshtein distance, by characters.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb)).min(row[j] + 1).min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A code point that can move the cursor, retitle the window or reorder what a terminal shows:
/// C0 and C1 controls, DEL, and the bidirectional marks, embeddings, overrides and isolates, and
/// the line and paragraph separators.
pub fn disturbs_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{061c}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// Text read from the cluster or a kubeconfig, as a terminal may show it: every code point that
/// [`disturbs_terminal`] is written escaped (`\u{1b}`, `\u{202e}`), everything else as it is.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(disturbs_terminal) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if disturbs_terminal(c) {
            escaped.extend(c.escape_unicode());
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_the_live_id_it_looks_like_and_nothing_far_does() {
        let live = ["k3x9a2bq", "zz7u1mop"];
        assert_eq!(closest("k3x9a2qb", &live), Some("k3x9a2bq"), "two letters swapped");
        assert_eq!(closest("k3x9a2b", &live), Some("k3x9a2bq"), "one left out");
        assert_eq!(closest("abcdefgh", &live), None);
        assert_eq!(edits("", "abc"), 3);
    }
}
