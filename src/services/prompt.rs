//! Asking before something irreversible: on a terminal, or `--yes` without one. Below the
//! commands and the fleet, which both ask.

use crate::base::error::{Error, Result};

/// Asks before something irreversible: on a terminal unless `--yes`; without a terminal `--yes`
/// is required.
pub fn confirm(global: &crate::cli::GlobalArgs, question: &str) -> Result<()> {
    if global.yes {
        return Ok(());
    }
    if !global.yes && !crate::output::stdin_is_tty() {
        return Err(Error::usage(format!("{question} — refusing without confirmation"))
            .with_hint("pass --yes to confirm when there is no terminal to ask on"));
    }
    ask_on_terminal(global, question)
}

/// Asks on a terminal unless `--yes`; without a terminal (a script) it does not ask, as Crusoe's
/// CLI does not.
pub fn ask_on_terminal(global: &crate::cli::GlobalArgs, question: &str) -> Result<()> {
    if global.yes || !crate::output::stdin_is_tty() {
        return Ok(());
    }
    let yes = dialoguer::Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact()
        .map_err(|e| Error::failed(format!("cannot read the answer: {e}")))?;
    if yes { Ok(()) } else { Err(Error::failed("cancelled; nothing was changed")) }
}

/// Asks before revoking these live requests (on a terminal; without one, only with `--yes`), naming
/// them: every command that revokes live access asks the same way. Nothing live, nothing asked.
pub async fn confirm_revoking(
    global: &crate::cli::GlobalArgs,
    conn: &crate::cluster::Connection,
    what: &str,
) -> Result<()> {
    let grants = crate::services::census::Grants::read(conn, crate::services::census::Scan::Managed).await?;
    let now = chrono::Utc::now();
    let live: Vec<&str> = grants.valid.iter().filter(|g| g.is_live(now)).map(|g| g.id.as_str()).collect();
    if live.is_empty() {
        return Ok(());
    }
    let question = format!(
        "{what} on {:?}, revoking {} live request(s) now ({})?",
        conn.context,
        live.len(),
        crate::output::terminal(&live.join(", "))
    );
    confirm(global, &question)
}
