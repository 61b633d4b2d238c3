//! One module per command; each orchestrates the library modules and prints.

mod get;
mod version;

use crate::cli::{Cli, Command};
use crate::error::{Error, Result};

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    let global = &cli.global;
    match &cli.command {
        Command::Get(args) => get::run(global, args).await,
        Command::Version(args) => version::run(global, args).await,
        other => Err(not_available(other)),
    }
}

fn not_available(command: &Command) -> Error {
    let name = format!("{command:?}");
    let name = name
        .split(['(', ' '])
        .next()
        .unwrap_or_default()
        .to_lowercase();
    Error::failed(format!(
        "`{name}` is not available yet in this version of kubectl-supportaccess"
    ))
}
