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
use crate::cluster::scan::Binding;
use crate::output::{self, rfc3339, span};
use crate::state;
use crate::state::record::Grant;

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

fn read<K: Binding>(binding: &K, id: &str, namespace: &str) -> Seen {
    let meta = binding.meta();
    let (labels, annotations) = (meta.labels.clone().unwrap_or_default(), meta.annotations.clone().unwrap_or_default());
    match Grant::from_metadata(
        meta.name.as_deref().unwrap_or_default(),
        meta.namespace.as_deref(),
        &labels,
        &annotations,
    ) {
        Err(invalid) => Seen::Gone(format!("its record can no longer be trusted ({})", invalid.problem)),
        Ok(_) if crate::state::record::account_of(id, binding.subjects(), namespace).is_none() => {
            Seen::Gone("its record no longer grants its ServiceAccount".into())
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
        match read(&current, &grant.id, &conn.namespace) {
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
                Ok(Ok(Some(WatchEvent::Added(b) | WatchEvent::Modified(b)))) => {
                    match read(&b, &grant.id, &conn.namespace) {
                        Seen::Gone(why) => return why,
                        Seen::Live(now) => {
                            if now.end() > end {
                                warned = Warned::default();
                            }
                            end = now.end();
                        }
                    }
                }
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
