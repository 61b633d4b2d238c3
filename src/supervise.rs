//! Watching a request while `exec` or `shell` runs a command with its credential: an open exec,
//! attach or port-forward stream to the API server outlives the binding's deletion, so when the
//! request is revoked, ended, drained out or expired the command is stopped (SIGTERM, then SIGKILL
//! after 10 s). Warnings go to stderr 10 minutes and 1 minute before the end.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding};
use kube::api::{Api, WatchEvent, WatchParams};

use crate::cluster::Connection;
use crate::grant::Grant;
use crate::output::{self, rfc3339, span};
use crate::scan::Binding;
use crate::state;

/// How long a command has to exit after SIGTERM before it is killed.
pub const GRACE: Duration = Duration::from_secs(10);

/// When the warnings come, before the request's end.
const WARNINGS: [chrono::TimeDelta; 2] = [chrono::TimeDelta::minutes(10), chrono::TimeDelta::minutes(1)];

/// Resolves, with why, when the request no longer grants access: its record deleted (revoked),
/// replaced by one that cannot be trusted, or its end reached (ended, drained, expired). Warns
/// on the way.
pub async fn ended(conn: &Connection, grant: &Grant) -> String {
    match &grant.scope {
        Some(ns) => watch_record(conn, Api::<RoleBinding>::namespaced(conn.client.clone(), ns), grant).await,
        None => watch_record(conn, Api::<ClusterRoleBinding>::all(conn.client.clone()), grant).await,
    }
}

/// What the record says now.
enum Seen {
    Live(Box<Grant>),
    Gone(String),
}

fn read<K: Binding>(binding: &K, id: &str) -> Seen {
    let meta = binding.meta();
    let (labels, annotations) = (meta.labels.clone().unwrap_or_default(), meta.annotations.clone().unwrap_or_default());
    let group = state::request_group(id);
    match Grant::from_metadata(
        meta.name.as_deref().unwrap_or_default(),
        meta.namespace.as_deref(),
        &labels,
        &annotations,
    ) {
        Err(invalid) => Seen::Gone(format!("its record can no longer be trusted ({})", invalid.problem)),
        Ok(_) if !matches!(binding.subjects(), [only] if only.kind == "Group" && only.name == group) => {
            Seen::Gone("its record no longer grants its group".into())
        }
        Ok(grant) => Seen::Live(Box::new(grant)),
    }
}

async fn watch_record<K: Binding>(conn: &Connection, api: Api<K>, grant: &Grant) -> String {
    let name = state::binding_name(&grant.id);
    let mut end = grant.end();
    let mut warned = Warned::default();
    loop {
        // (Re)start from a fresh read; a failed read or watch is retried, the deadline still holds.
        let current = match tokio::time::timeout(until(end), conn.call(api.get_opt(&name))).await {
            Err(_) => return format!("ended at {}", rfc3339(end)),
            Ok(Ok(None)) => return "was revoked".into(),
            Ok(Ok(Some(binding))) => binding,
            Ok(Err(_)) => {
                if sleep_or_end(&grant.id, end, &mut warned, Duration::from_secs(2)).await {
                    return format!("ended at {}", rfc3339(end));
                }
                continue;
            }
        };
        match read(&current, &grant.id) {
            Seen::Gone(why) => return why,
            Seen::Live(now) => end = now.end(),
        }
        let version = current.meta().resource_version.clone().unwrap_or_default();
        let params = WatchParams::default().fields(&format!("metadata.name={name}")).timeout(290);
        let Ok(stream) = conn.call(api.watch(&params, &version)).await else {
            if sleep_or_end(&grant.id, end, &mut warned, Duration::from_secs(2)).await {
                return format!("ended at {}", rfc3339(end));
            }
            continue;
        };
        let mut events = stream.boxed();
        loop {
            warned.warn(&grant.id, end);
            let next = tokio::time::timeout(until_next(end, &warned), events.try_next()).await;
            match next {
                // A warning is due, or the end: go round (the end is checked just below).
                Err(_) => {}
                Ok(Ok(Some(WatchEvent::Added(b) | WatchEvent::Modified(b)))) => match read(&b, &grant.id) {
                    Seen::Gone(why) => return why,
                    Seen::Live(now) => {
                        if now.end() > end {
                            warned = Warned::default();
                        }
                        end = now.end();
                    }
                },
                Ok(Ok(Some(WatchEvent::Deleted(_)))) => return "was revoked".into(),
                Ok(Ok(Some(WatchEvent::Bookmark(_)))) => {}
                // The watch ended or broke: read again and watch anew.
                Ok(Ok(Some(WatchEvent::Error(_)))) | Ok(Ok(None)) | Ok(Err(_)) => break,
            }
            if Utc::now() >= end {
                return format!("ended at {}", rfc3339(end));
            }
        }
    }
}

/// Which warnings were given.
#[derive(Default)]
struct Warned([bool; 2]);

impl Warned {
    /// Gives the warnings that are due (only the latest of them when several are).
    fn warn(&mut self, id: &str, end: DateTime<Utc>) {
        let left = end - Utc::now();
        let due: Vec<usize> = (0..WARNINGS.len()).filter(|i| !self.0[*i] && left <= WARNINGS[*i]).collect();
        if !due.is_empty() {
            if left > chrono::TimeDelta::zero() {
                output::warn(&format!(
                    "support request {id} ends in {} (at {}); the command is stopped then",
                    span(left.num_seconds().max(0) as u64),
                    rfc3339(end)
                ));
            }
            for i in due {
                self.0[i] = true;
            }
        }
    }
}

fn until(end: DateTime<Utc>) -> Duration {
    (end - Utc::now()).to_std().unwrap_or_default()
}

/// Time until the next warning or the end, whichever comes first.
fn until_next(end: DateTime<Utc>, warned: &Warned) -> Duration {
    let next = WARNINGS
        .iter()
        .zip(warned.0)
        .filter(|(_, given)| !given)
        .map(|(before, _)| end - *before)
        .filter(|at| *at > Utc::now())
        .min()
        .unwrap_or(end)
        .min(end);
    (next - Utc::now()).to_std().unwrap_or_default()
}

/// Sleeps `pause` (warning on the way); true when the end came first.
async fn sleep_or_end(id: &str, end: DateTime<Utc>, warned: &mut Warned, pause: Duration) -> bool {
    warned.warn(id, end);
    tokio::time::sleep(pause.min(until(end))).await;
    Utc::now() >= end
}

/// Puts the command in a process group of its own, so that stopping it reaches everything it
/// started (a shell's `kubectl port-forward`, say). On a terminal the group is made the
/// terminal's foreground group, as a shell does for a job, so that it reads the keyboard and
/// gets Ctrl-C; [`Foreground::restore`] gives the terminal back afterwards.
pub fn own_group(command: &mut tokio::process::Command) -> Foreground {
    #[cfg(unix)]
    {
        let on_terminal = unsafe { libc::isatty(0) } == 1;
        // SAFETY: only async-signal-safe calls (signal, setpgid, tcsetpgrp) between fork and exec.
        unsafe {
            command.pre_exec(move || {
                libc::setpgid(0, 0);
                if on_terminal {
                    // A background group may not take the terminal unless SIGTTOU is ignored.
                    libc::signal(libc::SIGTTOU, libc::SIG_IGN);
                    libc::tcsetpgrp(0, libc::getpid());
                    libc::signal(libc::SIGTTOU, libc::SIG_DFL);
                }
                Ok(())
            });
        }
        Foreground { on_terminal }
    }
    #[cfg(not(unix))]
    {
        let _ = command;
        Foreground {}
    }
}

/// Whether the terminal was handed to the command's group.
pub struct Foreground {
    #[cfg(unix)]
    on_terminal: bool,
}

impl Foreground {
    /// Takes the terminal back for the plugin's own process group.
    pub fn restore(&self) {
        #[cfg(unix)]
        if self.on_terminal {
            // SAFETY: plain system calls on fd 0 with SIGTTOU ignored for their length.
            unsafe {
                let previous = libc::signal(libc::SIGTTOU, libc::SIG_IGN);
                libc::tcsetpgrp(0, libc::getpgrp());
                libc::signal(libc::SIGTTOU, previous);
            }
        }
    }
}

/// Stops a command, its process group and every process it started (an interactive shell puts
/// each job in a group of its own): SIGHUP, which a shell passes on to its jobs, and SIGTERM; then
/// SIGKILL after [`GRACE`] to whatever is left.
pub async fn stop(child: &mut tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id() {
        let pid = pid as libc::pid_t;
        let mut started = descendants(pid);
        for signal in [libc::SIGHUP, libc::SIGTERM] {
            send(-pid, signal);
            for &process in &started {
                send(process, signal);
            }
        }
        let exited = tokio::time::timeout(GRACE, child.wait()).await.is_ok();
        if !exited {
            started.extend(descendants(pid));
        }
        send(-pid, libc::SIGKILL);
        for &process in &started {
            send(process, libc::SIGKILL);
        }
        if exited {
            return;
        }
    }
    let _ = child.kill().await;
}

#[cfg(unix)]
fn send(target: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill(2) on the command's own group or on processes it started, found just before.
    unsafe { libc::kill(target, signal) };
}

/// Every process below `root` in the process tree, from /proc (none where there is no /proc: then
/// only the command's group is signalled).
#[cfg(unix)]
fn descendants(root: libc::pid_t) -> Vec<libc::pid_t> {
    let mut children: std::collections::BTreeMap<libc::pid_t, Vec<libc::pid_t>> = Default::default();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<libc::pid_t>().ok()) else {
            continue;
        };
        // `pid (comm) state ppid …`: the command name may hold spaces and parentheses.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok());
        if let Some(ppid) = ppid {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(parent) = queue.pop() {
        for &child in children.get(&parent).into_iter().flatten() {
            found.push(child);
            queue.push(child);
        }
    }
    found
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn finds_the_processes_a_command_started_even_in_other_groups() {
        let mut shell =
            std::process::Command::new("sh").args(["-c", "setsid sleep 30 & sleep 30 & wait"]).spawn().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let found = loop {
            let found = super::descendants(shell.id() as libc::pid_t);
            if found.len() >= 2 || std::time::Instant::now() > deadline {
                break found;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        for &pid in &found {
            super::send(pid, libc::SIGKILL);
        }
        let _ = shell.kill();
        let _ = shell.wait();
        assert_eq!(found.len(), 2, "{found:?}");
    }
}
