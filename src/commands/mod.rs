//! One module per command; each orchestrates the library modules and prints.

mod approve;
mod disable;
mod enable;
mod exec;
mod extend;
mod get;
mod history;
mod renew;
pub(crate) mod request;
mod revoke;
mod roles;
mod sweep;
mod uninstall;
mod version;
mod watch;

use crate::base::error::{Error, Result};
use crate::cli::{Cli, Command};

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
        Command::Approve(args) => approve::approve(global, args).await,
        Command::Deny(args) => approve::deny(global, args).await,
        Command::Extend(args) => extend::run(global, args).await,
        Command::Revoke(args) => revoke::revoke(global, args).await,
        Command::End(args) => revoke::end(global, args).await,
        Command::Exec(args) => exec::exec(global, args).await,
        Command::Shell(args) => exec::shell(global, args).await,
        Command::Sweep(args) => sweep::run(global, args).await,
        Command::Roles(args) => roles::run(global, args).await,
        Command::Uninstall(args) => uninstall::run(global, args).await,
        Command::Version(args) => version::run(global, args).await,
        Command::Completion(args) => completion(args),
    }
}

fn completion(args: &crate::cli::CompletionArgs) -> Result<()> {
    if let Some(dir) = &args.install_kubectl_shim {
        let link = crate::services::complete::install_shim(dir.as_deref())?;
        crate::outln!("Installed {}: `kubectl supportaccess <TAB>` now completes through kubectl.", link.display());
        return Ok(());
    }
    let shell = args.shell.ok_or_else(|| Error::usage("name a shell: bash, zsh, fish or powershell"))?;
    crate::out!("{}", String::from_utf8_lossy(&crate::services::complete::script(shell)));
    Ok(())
}
