//! Following the request records as they change, with no server: a watch on the support
//! bindings (taken up again from the last resourceVersion, and after a 410 Gone compared with a
//! fresh list, so nothing is lost or told twice), and the events each change is — made, waiting,
//! approved, denied, extended, revoked, ended. `get --watch` prints them.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, ListParams, WatchEvent, WatchParams};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::base::error::{Error, ErrorKind, Result};
use crate::cluster::Connection;
use crate::cluster::scan::Binding;
use crate::output::{self, rfc3339, terminal};
use crate::state::record::Grant;
use crate::state::{self, annotations as ann};

/// The records' label selector: managed bindings of a request.
fn selector() -> String {
    format!("{},{}", state::MANAGED_SELECTOR, state::REQUEST_ID_LABEL)
}

/// One record as the watch last saw it (`None`: gone), and whether it was seen on the first list.
#[derive(Debug)]
pub struct Change {
    pub before: Option<Grant>,
    pub after: Option<Grant>,
    pub initial: bool,
}

/// One line of the watch, and the JSON `--exec` gets.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub event: &'static str,
    pub time: String,
    pub context: String,
    pub id: String,
    pub role: crate::state::roles::GrantRole,
    pub scope: Option<String>,
    pub requestor: String,
    pub requested_by: String,
    pub reason: String,
    pub expires_at: String,
    /// Who caused it, when the record says (the approver, the denier).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The approvers so far (of the extension, for extension events), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<String>,
    pub approvals_needed: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied_reason: Option<String>,
    /// Seen on the first list, not a change (no `--exec` for it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub initial: bool,
    /// The trail's head (its last line's SHA-256) when the watch saw the change, for a change only
    /// (the event's own history line may follow it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_head: Option<String>,
}

impl Event {
    /// Someone must answer it.
    pub fn waits(&self) -> bool {
        matches!(self.event, "pending" | "extension-pending")
    }

    /// "2026-12-02T12:00:00Z  pending  k3x9  readonly cluster-wide  prov for acme: "reason"  …".
    pub fn line(&self) -> String {
        let scope = self.scope.as_deref().map(|ns| format!("in {ns}")).unwrap_or_else(|| "cluster-wide".into());
        let mut text = format!(
            "{}  {:<19} {}  {} {}  {} for {}: {:?}",
            self.time, self.event, self.id, self.role, scope, self.requested_by, self.requestor, self.reason
        );
        let approvals = || format!("approved {} of {}", self.approvals.len(), self.approvals_needed);
        let more = match self.event {
            "approval" | "extension-approval" => Some(format!("{} ({})", approvals(), self.approvals.join(", "))),
            "pending" => Some(format!("answer by approve/deny; {}", approvals())),
            "extension-pending" => self.extension_to.as_ref().map(|to| format!("to {to}; {}", approvals())),
            "approved" | "extended" | "requested" | "active" => Some(format!("until {}", self.expires_at)),
            "denied" | "extension-denied" => Some(self.denied_reason.clone().unwrap_or_default()),
            _ => None,
        };
        if let Some(by) = &self.by {
            text.push_str(&format!("  by {by}"));
        }
        if let Some(more) = more.filter(|m| !m.is_empty()) {
            text.push_str(&format!("  ({more})"));
        }
        terminal(&text).into_owned()
    }
}

/// What happened between two sightings of one record.
pub fn events(change: &Change, now: DateTime<Utc>) -> Vec<(&'static str, Option<String>)> {
    let denied_by = |g: &Grant| g.annotations.get(ann::DENIED_BY).cloned();
    let last = |list: &[crate::state::record::Approval]| list.last().map(|a| a.by.clone());
    match (&change.before, &change.after) {
        (None, Some(after)) if change.initial => {
            let mut seen = vec![(if after.pending { "pending" } else { "active" }, None)];
            if after.extension_requested.is_some() && !after.pending {
                seen.push(("extension-pending", None));
            }
            seen
        }
        (None, Some(after)) if after.pending => vec![("pending", None)],
        (None, Some(after)) if after.account.is_some() => vec![("requested", None)],
        (None, Some(_)) => vec![],
        (Some(before), None) => match denied_by(before) {
            Some(_) if before.pending => vec![],
            // Its requester's `end` was told when the record lost its subject.
            _ if before.ended_by_requester() => vec![],
            _ if before.end() <= now + chrono::TimeDelta::seconds(5) => vec![("ended", None)],
            _ => vec![("revoked", None)],
        },
        (Some(before), Some(after)) => {
            let mut seen = Vec::new();
            if after.pending && after.approvals.len() > before.approvals.len() {
                seen.push(("approval", last(&after.approvals)));
            }
            if before.pending && !after.pending && after.account.is_some() {
                seen.push(("approved", after.approved_by.clone()));
            }
            if before.pending && denied_by(after).is_some() && denied_by(before).is_none() {
                seen.push(("denied", denied_by(after)));
            }
            if after.extension_requested.is_some() && after.extension_requested != before.extension_requested {
                seen.push(("extension-pending", None));
            }
            if after.extension_requested.is_some() && after.extension_approvals.len() > before.extension_approvals.len()
            {
                seen.push(("extension-approval", last(&after.extension_approvals)));
            }
            if !before.pending && after.expires_at > before.expires_at {
                let by = if before.extension_requested.is_some() { last(&after.extension_approvals) } else { None };
                seen.push(("extended", by.or_else(|| Some(after.requested_by.clone()))));
            }
            if before.extension_requested.is_some()
                && after.extension_requested.is_none()
                && after.expires_at <= before.expires_at
            {
                match denied_by(after) {
                    Some(by) => seen.push(("extension-denied", Some(by))),
                    None => seen.push(("extension-withdrawn", None)),
                }
            }
            if before.account.is_some() && after.account.is_none() && !after.pending {
                seen.push(("ended", Some(after.requested_by.clone())));
            }
            seen
        }
        (None, None) => vec![],
    }
}

pub fn event_of(kind: &'static str, by: Option<String>, grant: &Grant, change: &Change, ctx: &Ctx) -> Event {
    let extension = kind.starts_with("extension");
    let approvals = if extension { &grant.extension_approvals } else { &grant.approvals };
    Event {
        event: kind,
        time: rfc3339(Utc::now()),
        context: ctx.context.clone(),
        id: grant.id.clone(),
        role: grant.role.clone(),
        scope: grant.scope.clone(),
        requestor: grant.requestor.clone(),
        requested_by: grant.requested_by.clone(),
        reason: grant.reason.clone(),
        expires_at: rfc3339(grant.expires_at),
        by,
        approvals: approvals.iter().map(|a| a.by.clone()).collect(),
        approvals_needed: ctx.approvals_needed,
        extension_to: grant.extension_requested.map(rfc3339),
        denied_reason: kind.ends_with("denied").then(|| grant.annotations.get(ann::DENIED_REASON).cloned()).flatten(),
        initial: change.initial,
        history_head: None,
    }
}

pub struct Ctx {
    pub context: String,
    pub approvals_needed: u8,
}

/// Reads a binding as a request record; `None` for a companion or a record that cannot be trusted.
fn record_of<K: Binding>(binding: &K, namespace: &str) -> Option<Grant> {
    let meta = binding.meta();
    let labels = meta.labels.clone().unwrap_or_default();
    let id = labels.get(state::REQUEST_ID_LABEL)?;
    if meta.name.as_deref() != Some(state::binding_name(id).as_str()) {
        return None;
    }
    let annotations = meta.annotations.clone().unwrap_or_default();
    let mut grant =
        Grant::from_metadata(meta.name.as_deref()?, meta.namespace.as_deref(), &labels, &annotations).ok()?;
    grant.account = crate::state::record::account_of(&grant.id, binding.subjects(), namespace);
    grant.user = crate::state::record::user_of(&grant.id, binding.subjects(), namespace);
    Some(grant)
}

fn key<K: Binding>(binding: &K) -> String {
    let (namespace, name) = binding.key();
    format!("{}/{name}", namespace.unwrap_or_default())
}

/// Follows one kind of binding for as long as it runs, sending each record's changes.
pub async fn follow<K: Binding>(conn: &Connection, api: Api<K>, changes: mpsc::UnboundedSender<Change>) -> Result<()> {
    let mut known: BTreeMap<String, Grant> = BTreeMap::new();
    let mut version: Option<String> = None;
    let mut initial = true;
    let mut outage: Option<String> = None;
    loop {
        let from = match version.clone() {
            Some(version) => version,
            None => match conn.call(api.list(&ListParams::default().labels(&selector()))).await {
                Ok(list) => {
                    let mut listed: BTreeMap<String, Grant> = BTreeMap::new();
                    for binding in &list.items {
                        if let Some(grant) = record_of(binding, &conn.namespace) {
                            listed.insert(key(binding), grant);
                        }
                    }
                    for (key, before) in &known {
                        if !listed.contains_key(key) {
                            let _ = changes.send(Change { before: Some(before.clone()), after: None, initial });
                        }
                    }
                    for (key, after) in &listed {
                        let before = known.get(key);
                        if before != Some(after) {
                            let before = before.cloned();
                            let _ = changes.send(Change { before, after: Some(after.clone()), initial });
                        }
                    }
                    known = listed;
                    initial = false;
                    list.metadata.resource_version.unwrap_or_default()
                }
                Err(e) => {
                    lost(&mut outage, e).await?;
                    continue;
                }
            },
        };
        let params = WatchParams::default().labels(&selector()).timeout(290);
        let mut stream = match conn.call(api.watch(&params, &from)).await {
            Ok(stream) => stream.boxed(),
            Err(e) => {
                lost(&mut outage, e).await?;
                continue;
            }
        };
        if let Some(cause) = outage.take() {
            output::warn(&format!("watching again after the connection to the API server dropped ({cause})"));
        }
        version = Some(from);
        loop {
            let event = match stream.try_next().await {
                Ok(Some(event)) => event,
                // The server ended the watch (its timeout): watch on from the last version.
                Ok(None) => break,
                Err(e) => {
                    outage = Some(e.to_string());
                    break;
                }
            };
            match event {
                WatchEvent::Added(binding) | WatchEvent::Modified(binding) => {
                    version = binding.meta().resource_version.clone().or(version);
                    let Some(after) = record_of(&binding, &conn.namespace) else { continue };
                    let before = known.insert(key(&binding), after.clone());
                    if before.as_ref() != Some(&after) {
                        let _ = changes.send(Change { before, after: Some(after), initial: false });
                    }
                }
                WatchEvent::Deleted(binding) => {
                    version = binding.meta().resource_version.clone().or(version);
                    // The object as it was deleted: a denial's who and why are on it.
                    if let Some(before) = known.remove(&key(&binding)) {
                        let before = record_of(&binding, &conn.namespace).unwrap_or(before);
                        let _ = changes.send(Change { before: Some(before), after: None, initial: false });
                    }
                }
                WatchEvent::Bookmark(bookmark) => version = Some(bookmark.metadata.resource_version),
                // 410 Gone: the version is too old to watch from; list again and compare.
                WatchEvent::Error(e) if e.code == 410 => {
                    version = None;
                    break;
                }
                WatchEvent::Error(e) => {
                    outage = Some(e.message);
                    break;
                }
            }
        }
        if outage.is_some() {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// A failed list or watch: a refusal ends the watch; anything else is waited out (reported once).
async fn lost(outage: &mut Option<String>, e: Error) -> Result<()> {
    if e.kind == ErrorKind::Forbidden {
        return Err(e);
    }
    if outage.is_none() {
        output::warn(&format!("the watch lost the API server ({}); trying again every second", e.message));
    }
    *outage = Some(e.message);
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::record::Approval;

    fn grant() -> Grant {
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        Grant {
            id: "k3x9".into(),
            requested_by: "prov".into(),
            requested_at: at("2026-12-02T10:00:00Z"),
            expires_at: at("2026-12-02T12:00:00Z"),
            credential_expires_at: Some(at("2026-12-02T11:00:00Z")),
            account: Some("crusoe-support-k3x9-1.uprov".into()),
            ..Grant::default()
        }
    }

    fn told(before: Option<Grant>, after: Option<Grant>) -> Vec<&'static str> {
        let now = "2026-12-02T11:00:00Z".parse().unwrap();
        events(&Change { before, after, initial: false }, now).into_iter().map(|(kind, _)| kind).collect()
    }

    #[test]
    fn each_answer_is_told_once() {
        let pending = Grant { pending: true, account: None, credential_expires_at: None, ..grant() };
        assert_eq!(told(None, Some(pending.clone())), ["pending"]);
        assert_eq!(told(None, Some(grant())), ["requested"]);
        let alice = Approval { by: "alice".into(), at: grant().requested_at };
        let one = Grant { approvals: vec![alice.clone()], ..pending.clone() };
        assert_eq!(told(Some(pending.clone()), Some(one.clone())), ["approval"]);
        let granted = Grant { approvals: vec![alice.clone(), Approval { by: "bob".into(), ..alice }], ..grant() };
        assert_eq!(told(Some(one.clone()), Some(granted.clone())), ["approved"]);
        let mut denied = pending.clone();
        denied.annotations.insert(ann::DENIED_BY.into(), "owner".into());
        assert_eq!(told(Some(pending.clone()), Some(denied.clone())), ["denied"]);
        assert!(told(Some(denied), None).is_empty(), "a denial is told when it is written, not again");
        assert_eq!(told(Some(grant()), None), ["revoked"]);
        let ended = Grant { expires_at: "2026-12-02T11:00:00Z".parse().unwrap(), ..grant() };
        assert_eq!(told(Some(ended), None), ["ended"]);
        // Its requester's `end`: `ended` when the record loses its subject, nothing when the
        // sweep deletes it after.
        let by_its_requester = Grant { account: None, ..grant() };
        assert_eq!(told(Some(grant()), Some(by_its_requester.clone())), ["ended"]);
        assert!(told(Some(by_its_requester), None).is_empty(), "an end is told once");
        let asked = Grant { extension_requested: Some("2026-12-02T14:00:00Z".parse().unwrap()), ..grant() };
        assert_eq!(told(Some(grant()), Some(asked.clone())), ["extension-pending"]);
        let extended = Grant { expires_at: "2026-12-02T14:00:00Z".parse().unwrap(), ..grant() };
        assert_eq!(told(Some(asked), Some(extended)), ["extended"]);
        // A renewal (a new credential) is no event.
        let renewed = Grant { credential_expires_at: Some("2026-12-02T11:30:00Z".parse().unwrap()), ..grant() };
        assert!(told(Some(grant()), Some(renewed)).is_empty());
    }
}
