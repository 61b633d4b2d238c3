//! `exec ID -- CMD…` and `shell ID`: run with KUBECONFIG pointing at the request's credential,
//! renewed first when it is about to expire and the request allows it. The child's exit status
//! is passed through.

use std::ffi::{OsStr, OsString};
use tokio::process::Command;

use chrono::Utc;

use crate::base::error::{Error, ErrorKind, Result};
use crate::base::process;
use crate::cli::{ExecArgs, GlobalArgs, IdArg};
use crate::cluster::Connection;
use crate::cluster::credential;
use crate::output;
use crate::services::live::{open_live, renew};
use crate::services::supervise;
use crate::state::record::Grant;

/// Renew when less than this is left of the credential.
const RENEW_WITHIN: chrono::Duration = chrono::Duration::minutes(5);

/// The request's kubeconfig, renewed first if its credential is about to expire, and the request.
/// With identity `own`, the requester's own kubeconfig, held to the context the plugin used.
async fn prepare(global: &GlobalArgs, id: &str) -> Result<(Connection, OsString, Grant)> {
    let (conn, grant) = open_live(global, id).await?;
    if grant.pending {
        return Err(Error::refused(format!(
            "refused: request {id} is still waiting for the owner's approval; `kubectl supportaccess renew {id}` waits for it"
        )));
    }
    if grant.user.is_some() {
        let kubeconfig = own_kubeconfig(global, &conn, id)?;
        return Ok((conn, kubeconfig, grant));
    }
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
    // Read back and handed to the command: it must be nobody else's.
    credential::check_for_use(&path)?;
    Ok((conn, path.into_os_string(), grant))
}

/// The file that holds an `own` request's command to the context the plugin used: one per run
/// (another `exec` of the same request removes its own when its command ends).
fn context_file(conn: &Connection, id: &str) -> Result<std::path::PathBuf> {
    Ok(credential::default_path(&conn.context, id)?.with_extension(format!("{}.context", std::process::id())))
}

/// Identity `own`: KUBECONFIG for the child is the requester's own kubeconfig (`--kubeconfig`,
/// else $KUBECONFIG, else ~/.kube/config), after a private file that says only which context is
/// current (the one the plugin used: kubectl takes the first file's current-context). Nothing of
/// the user's credentials is copied, and the file is removed when the command ends.
fn own_kubeconfig(global: &GlobalArgs, conn: &Connection, id: &str) -> Result<OsString> {
    let pin = context_file(conn, id)?;
    let text = serde_yaml::to_string(&serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": conn.context,
    }))
    .map_err(|e| Error::failed(format!("cannot write the context file: {e}")))?;
    credential::write_private(&pin, &text)?;
    let theirs = match (&global.kubeconfig, std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty())) {
        (Some(path), _) => vec![path.clone()],
        (None, Some(paths)) => std::env::split_paths(&paths).collect(),
        (None, None) => vec![dirs::home_dir().unwrap_or_default().join(".kube").join("config")],
    };
    std::env::join_paths(std::iter::once(pin).chain(theirs))
        .map_err(|e| Error::failed(format!("cannot pass your kubeconfig on to the command: {e}")))
}

/// Runs the child with the request's credential, and says which request, role and namespace
/// (empty when cluster-wide) it runs under. The request's record is watched meanwhile: when the
/// request stops granting access the child is stopped and the plugin exits 3 saying why.
async fn run_child(conn: &Connection, mut command: Command, path: &OsStr, grant: &Grant) -> Result<()> {
    // Everything the command starts stays below the plugin, however it detaches (setsid, a double
    // fork), so that stopping it reaches all of it.
    process::adopt_orphans();
    let mut signals = process::Signals::new()?;
    let foreground = process::own_group(&mut command);
    let program = command.as_std().get_program().to_owned();
    let child = command
        .env("KUBECONFIG", path)
        .env("SUPPORTACCESS_REQUEST", &grant.id)
        .env("SUPPORTACCESS_ROLE", grant.role.name())
        .env("SUPPORTACCESS_NAMESPACE", grant.scope.as_deref().unwrap_or_default())
        .spawn()
        .map_err(|e| cannot_start(&program, &e));
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            foreground.restore();
            return Err(e);
        }
    };
    let status = tokio::select! {
        status = child.wait() => {
            foreground.restore();
            // What it left running (a background job, a detached process) ends with it.
            process::end_leftovers().await;
            status.map_err(|e| Error::failed(format!("cannot wait for the command: {e}")))?
        }
        signal = signals.next() => {
            // The plugin itself is being stopped: so is the command, and all it started.
            process::stop(&mut child).await;
            foreground.restore();
            return Err(Error::new(ErrorKind::ChildExit(128u8.saturating_add(signal)), ""));
        }
        why = supervise::ended(conn, grant) => {
            process::stop(&mut child).await;
            foreground.restore();
            return Err(Error::refused(format!(
                "support request {} {why}: the command was stopped ({})",
                grant.id,
                if cfg!(unix) {
                    "SIGHUP and SIGTERM to it and everything it started, then SIGKILL after 10s to what kept running"
                } else {
                    "killed"
                }
            )));
        }
    };
    match (status.code(), process::signal_of(&status)) {
        (Some(0), _) => Ok(()),
        (Some(code), _) => Err(Error::new(ErrorKind::ChildExit(code.clamp(1, 255) as u8), "")),
        // Killed by signal N: 128+N, as a shell says.
        (None, Some(signal)) => Err(Error::new(ErrorKind::ChildExit(128u8.saturating_add(signal)), "")),
        (None, None) => Err(Error::new(ErrorKind::ChildExit(128), "")),
    }
}

/// A command that cannot be started exits as a shell's would: 127 when it is not found, 126 when
/// it cannot be executed, with one line saying so.
fn cannot_start(program: &std::ffi::OsStr, e: &std::io::Error) -> Error {
    let shown = output::terminal(&program.to_string_lossy()).into_owned();
    let (code, why) = match e.kind() {
        std::io::ErrorKind::NotFound => (127, "command not found".to_string()),
        std::io::ErrorKind::PermissionDenied => (126, "permission denied".to_string()),
        _ => (126, e.to_string()),
    };
    Error::new(ErrorKind::ChildExit(code), format!("cannot start {shown:?}: {why}"))
}

/// Runs the child, then removes the context file of an `own` request's run.
async fn run_and_clean(conn: &Connection, command: Command, path: &OsStr, grant: &Grant) -> Result<()> {
    let ran = run_child(conn, command, path, grant).await;
    if grant.user.is_some() {
        let _ = context_file(conn, &grant.id).map(std::fs::remove_file);
    }
    ran
}

pub async fn exec(global: &GlobalArgs, args: &ExecArgs) -> Result<()> {
    let (conn, path, grant) = prepare(global, &args.id).await?;
    let mut command = Command::new(&args.command[0]);
    command.args(&args.command[1..]);
    run_and_clean(&conn, command, &path, &grant).await
}

pub async fn shell(global: &GlobalArgs, args: &IdArg) -> Result<()> {
    let (conn, path, grant) = prepare(global, &args.id).await?;
    let shell = std::env::var_os("SHELL").filter(|s| !s.is_empty()).unwrap_or_else(|| "/bin/sh".into());
    let shown = output::terminal(&path.to_string_lossy()).into_owned();
    eprintln!("Support shell for request {}: KUBECONFIG={shown} (exit to leave)", args.id);
    let marked =
        crate::services::support_shell::marked(&shell, &args.id, &credential::default_path(&conn.context, &args.id)?)?;
    let ran = run_and_clean(&conn, marked.command, &path, &grant).await;
    marked.made.clean();
    ran
}
