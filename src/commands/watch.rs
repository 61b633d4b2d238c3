//! `get --watch`: the owner told the moment someone asks, with no server. A watch on the support
//! bindings (records only) prints one line as each request is made, waits, is approved, denied,
//! extended, revoked or ends; on a terminal the bell rings for a request that waits for an answer;
//! `--exec CMD` runs CMD for each event with the event as JSON on its stdin. A dropped watch is
//! taken up again from the last resourceVersion seen; when the server no longer has it (410
//! Gone), a fresh list is compared with what was known, so nothing is lost or told twice.

use std::time::Duration;

use chrono::Utc;
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding};
use kube::api::Api;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use crate::base::duration::{format_duration, parse_duration};
use crate::base::error::{Error, Result};
use crate::cli::{GetArgs, GlobalArgs, OutputFormat};
use crate::cluster::{Connection, Target};
use crate::output::{self};
use crate::services::watch::{Ctx, Event, event_of, events, follow};

/// Runs `command` with `sh -c` for one event, the event as JSON on its stdin; a failure or a run
/// past `limit` is reported and the watch goes on.
async fn run_hook(command: &str, event: &Event, limit: Duration) {
    let what = format!("the {} event of request {}", event.event, event.id);
    let json = serde_json::to_string(event).unwrap_or_default() + "\n";
    let mut child = match tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("SUPPORTACCESS_EVENT", event.event)
        .env("SUPPORTACCESS_ID", &event.id)
        .stdin(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return output::warn(&format!("--exec could not start for {what}: {e}; the watch goes on")),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is no failure.
        let _ = stdin.write_all(json.as_bytes()).await;
    }
    match tokio::time::timeout(limit, child.wait()).await {
        Ok(Ok(status)) if status.success() => {}
        Ok(Ok(status)) => output::warn(&format!("--exec failed for {what} ({status}); the watch goes on")),
        Ok(Err(e)) => output::warn(&format!("--exec failed for {what} ({e}); the watch goes on")),
        Err(_) => {
            #[cfg(unix)]
            if let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) {
                // SAFETY: signals the command's own process group, made for it by `process_group(0)`.
                unsafe { libc::kill(-pid, libc::SIGKILL) };
            }
            let _ = child.kill().await;
            output::warn(&format!(
                "--exec ran longer than {} for {what} and was stopped; the watch goes on",
                format_duration(limit)
            ));
        }
    }
}

pub async fn run(global: &GlobalArgs, args: &GetArgs) -> Result<()> {
    if args.fleet.selected() {
        return Err(Error::usage("--watch follows one cluster; leave out --all-contexts/--contexts"));
    }
    let limit = parse_duration(&args.exec_timeout).map_err(|e| Error::usage(format!("--exec-timeout: {e}")))?;
    if limit.is_zero() || limit > Duration::from_secs(3600) {
        return Err(Error::usage("--exec-timeout must be between 1s and 1h"));
    }
    let cluster = match args.names.as_slice() {
        [] => None,
        [cluster] => Some(cluster.clone()),
        _ => return Err(Error::usage("--watch follows every request of one cluster: name at most the CLUSTER")),
    };
    let conn = Connection::open(global, &Target { cluster }).await?;
    let policy = crate::cluster::policy::read_policy(&conn).await.ok().flatten();
    let mut ctx = Ctx { context: conn.context.clone(), approvals_needed: policy.map(|p| p.approvals).unwrap_or(1) };
    let json = matches!(global.output, Some(OutputFormat::Json | OutputFormat::Yaml));
    let bell = !json && output::stdout_is_tty();
    let (sender, mut received) = mpsc::unbounded_channel();
    let cluster_wide = follow(&conn, Api::<ClusterRoleBinding>::all(conn.client.clone()), sender.clone());
    let namespaced = follow(&conn, Api::<RoleBinding>::all(conn.client.clone()), sender);
    let (hooks, mut hooked) = mpsc::unbounded_channel::<Event>();
    let command = args.exec.clone();
    let runner = tokio::spawn(async move {
        while let Some(event) = hooked.recv().await {
            if let Some(command) = &command {
                run_hook(command, &event, limit).await;
            }
        }
    });
    let printer = async {
        while let Some(change) = received.recv().await {
            let Some(grant) = change.after.as_ref().or(change.before.as_ref()) else { continue };
            let kinds = events(&change, Utc::now());
            if kinds.iter().any(|(kind, _)| kind.contains("approv") || *kind == "pending")
                && let Ok(Some(policy)) = crate::cluster::policy::read_policy(&conn).await
            {
                ctx.approvals_needed = policy.approvals;
            }
            let head = match json && !change.initial {
                true => crate::cluster::history::head(&conn).await.ok().flatten().map(|h| h.hash),
                false => None,
            };
            for (kind, by) in kinds {
                let event = Event { history_head: head.clone(), ..event_of(kind, by, grant, &change, &ctx) };
                let text = match json {
                    true => serde_json::to_string(&event).unwrap_or_default(),
                    false => event.line(),
                };
                let bell = if bell && event.waits() { "\x07" } else { "" };
                crate::out!("{text}\n{bell}");
                if !event.initial {
                    let _ = hooks.send(event);
                }
            }
            // The reader stopped reading (`| head -n 1`): a watch with no command to run ends.
            if output::stdout_closed() && args.exec.is_none() {
                break;
            }
        }
    };
    let ended = tokio::select! {
        result = cluster_wide => result,
        result = namespaced => result,
        () = printer => Ok(()),
        _ = tokio::signal::ctrl_c() => Ok(()),
    };
    runner.abort();
    ended
}
