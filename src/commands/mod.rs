//! One module per command; each orchestrates the library modules and prints.

mod disable;
mod enable;
mod exec;
mod get;
mod history;
mod renew;
mod request;
mod revoke;
mod roles;
mod sweep;
mod uninstall;
mod version;

use crate::cli::{Cli, Command};
use crate::error::{Error, Result};

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    let global = &cli.global;
    match &cli.command {
        Command::Enable(args) => enable::run(global, args).await,
        Command::Disable(args) => disable::run(global, args).await,
        Command::Get(args) => get::run(global, args).await,
        Command::History(args) => history::run(global, args).await,
        Command::Request(args) => request::run(global, args).await,
        Command::Renew(args) => renew::run(global, args).await,
        Command::Revoke(args) => revoke::revoke(global, args).await,
        Command::End(args) => revoke::end(global, args).await,
        Command::Exec(args) => exec::exec(global, args).await,
        Command::Shell(args) => exec::shell(global, args).await,
        Command::Sweep => sweep::run(global).await,
        Command::Roles(args) => roles::run(global, args).await,
        Command::Uninstall(args) => uninstall::run(global, args).await,
        Command::Version(args) => version::run(global, args).await,
        other => Err(not_available(other)),
    }
}

fn not_available(command: &Command) -> Error {
    let name = format!("{command:?}");
    let name = name.split(['(', ' ']).next().unwrap_or_default().to_lowercase();
    Error::failed(format!("`{name}` is not available yet in this version of kubectl-supportaccess"))
}

/// Asks before something irreversible: on a terminal unless `--yes`; without a terminal `--yes`
/// is required.
pub fn confirm(global: &crate::cli::GlobalArgs, question: &str) -> Result<()> {
    if global.yes {
        return Ok(());
    }
    if !crate::output::stdin_is_tty() {
        return Err(Error::usage(format!("{question} — refusing without confirmation"))
            .with_hint("pass --yes to confirm when there is no terminal to ask on"));
    }
    let yes = dialoguer::Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact()
        .map_err(|e| Error::failed(format!("cannot read the answer: {e}")))?;
    if yes { Ok(()) } else { Err(Error::failed("cancelled; nothing was changed")) }
}
