//! `exec ID -- CMD…` and `shell ID`: run with KUBECONFIG pointing at the request's credential,
//! renewed first when it is about to expire and the request allows it. The child's exit status
//! is passed through.

use std::path::PathBuf;
use std::process::Command;

use chrono::Utc;

use crate::cli::{ExecArgs, GlobalArgs, IdArg};
use crate::commands::renew::{open_live, renew};
use crate::credential;
use crate::error::{Error, ErrorKind, Result};
use crate::grant::Grant;
use crate::output;

/// Renew when less than this is left of the credential.
const RENEW_WITHIN: chrono::Duration = chrono::Duration::minutes(5);

/// The request's kubeconfig, renewed first if its credential is about to expire, and the request.
async fn prepare(global: &GlobalArgs, id: &str) -> Result<(PathBuf, Grant)> {
    let (conn, grant) = open_live(global, id).await?;
    let path = credential::credential_path(&conn.context, id)?;
    let expiring = grant.credential_expires_at.is_none_or(|at| at - Utc::now() < RENEW_WITHIN);
    if expiring || !path.exists() {
        let by = conn.whoami().await?;
        match renew(&conn, &grant, &by).await {
            Ok(_) => {}
            Err(e) if path.exists() && grant.credential_expires_at.is_some_and(|at| at > Utc::now()) => {
                output::warn(&format!("the credential could not be renewed ({}); using the current one", e.message));
            }
            Err(e) => {
                return Err(Error { message: format!("no usable credential for request {id}: {}", e.message), ..e });
            }
        }
    }
    Ok((path, grant))
}

/// Runs the child with the request's credential, and says which request, role and namespace
/// (empty when cluster-wide) it runs under.
fn run_child(mut command: Command, path: &PathBuf, grant: &Grant) -> Result<()> {
    let status = command
        .env("KUBECONFIG", path)
        .env("SUPPORTACCESS_REQUEST", &grant.id)
        .env("SUPPORTACCESS_ROLE", grant.role.name())
        .env("SUPPORTACCESS_NAMESPACE", grant.scope.as_deref().unwrap_or_default())
        .status()
        .map_err(|e| Error::failed(format!("cannot start {:?}: {e}", command.get_program())))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(code) => Err(Error::new(ErrorKind::ChildExit(code.clamp(1, 255) as u8), "")),
        None => Err(Error::new(ErrorKind::ChildExit(128), "")),
    }
}

pub async fn exec(global: &GlobalArgs, args: &ExecArgs) -> Result<()> {
    let (path, grant) = prepare(global, &args.id).await?;
    let mut command = Command::new(&args.command[0]);
    command.args(&args.command[1..]);
    run_child(command, &path, &grant)
}

pub async fn shell(global: &GlobalArgs, args: &IdArg) -> Result<()> {
    let (path, grant) = prepare(global, &args.id).await?;
    let shell = std::env::var_os("SHELL").filter(|s| !s.is_empty()).unwrap_or_else(|| "/bin/sh".into());
    let shown = output::terminal(&path.display().to_string()).into_owned();
    eprintln!("Support shell for request {}: KUBECONFIG={shown} (exit to leave)", args.id);
    let mut command = Command::new(shell);
    command.env("PS1", format!("[support {}] \\w $ ", args.id));
    run_child(command, &path, &grant)
}
