//! Checks of the free text a user gives the plugin (`--reason`, `--requestor`): what goes into an
//! annotation and one line of `get`.

use crate::error::{Error, Result};

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
    if let Some(c) = text.chars().find(|&c| crate::output::disturbs_terminal(c)) {
        return Err(Error::usage(format!(
            "{flag} must be one line of text, without newlines, control characters or bidirectional marks \
             (it holds {})",
            c.escape_unicode()
        )));
    }
    Ok(())
}
