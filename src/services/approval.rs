//! The owner's answer to a request (policy `approval=required`, DESIGN.md "Approval"): the
//! pending record is the question, the owner's write to it is the answer, and the requester
//! waits for that write by watching the record. The admission guard makes the answer binding on
//! the API server (nobody approves their own request).

use chrono::{DateTime, SubsecRound, Utc};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding};
use kube::api::{Api, WatchEvent, WatchParams};
use serde_json::json;

use crate::base::error::{Error, Result};
use crate::cluster::Connection;
use crate::cluster::bindings::NewGrant;
use crate::cluster::scan::Binding;
use crate::output::rfc3339;
use crate::state::policy::Policy;
use crate::state::record::{Approval, Grant, approvals_text};
use crate::state::{self, annotations as ann};

/// What the requester waits for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Awaited {
    /// A pending request's approval.
    Request,
    /// A live request's extension to this end.
    Extension(DateTime<Utc>),
}

/// How the wait ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Approved: the record as it now stands.
    Approved(Box<Grant>),
    /// Denied (`by` and `reason` from `deny`), or removed without a denial (`by` is `None`):
    /// revoked, swept or disabled.
    Denied { by: Option<String>, reason: String },
    /// No answer by the deadline.
    Unanswered,
}

/// Waits, by watching the record, until the owner answers or `until` passes.
pub async fn wait(conn: &Connection, grant: &Grant, awaited: Awaited, until: DateTime<Utc>) -> Result<Answer> {
    let left = (until - Utc::now()).to_std().unwrap_or_default();
    let watching = async {
        match &grant.scope {
            Some(ns) => watch(conn, Api::<RoleBinding>::namespaced(conn.client.clone(), ns), grant, awaited).await,
            None => watch(conn, Api::<ClusterRoleBinding>::all(conn.client.clone()), grant, awaited).await,
        }
    };
    tokio::time::timeout(left, watching).await.unwrap_or(Ok(Answer::Unanswered))
}

async fn watch<K: Binding>(conn: &Connection, api: Api<K>, grant: &Grant, awaited: Awaited) -> Result<Answer> {
    let name = state::binding_name(&grant.id);
    // The last annotations seen: `deny` writes who and why just before it deletes the record.
    let mut last_seen = grant.annotations.clone();
    loop {
        let current = conn.call(api.get_opt(&name)).await?;
        if let Some(answer) = judge(current.as_ref(), grant, awaited, &mut last_seen, &conn.namespace)? {
            return Ok(answer);
        }
        let version = current.and_then(|b| b.meta().resource_version.clone()).unwrap_or_default();
        let params = WatchParams::default().fields(&format!("metadata.name={name}")).timeout(290);
        let mut events = match conn.call(api.watch(&params, &version)).await {
            Ok(stream) => stream.boxed(),
            Err(e) if e.kind == crate::base::error::ErrorKind::Forbidden => return Err(e),
            // A connection that dropped: the wait goes on from a fresh read.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        // A stream that breaks is read again and watched anew, like one the server ends.
        while let Ok(Some(event)) = events.try_next().await {
            let answer = match event {
                WatchEvent::Added(binding) | WatchEvent::Modified(binding) => {
                    judge(Some(&binding), grant, awaited, &mut last_seen, &conn.namespace)?
                }
                WatchEvent::Deleted(binding) => {
                    last_seen = binding.meta().annotations.clone().unwrap_or_default();
                    judge::<K>(None, grant, awaited, &mut last_seen, &conn.namespace)?
                }
                // Expired resourceVersion and the like: read the record again and watch anew.
                WatchEvent::Error(_) => break,
                WatchEvent::Bookmark(_) => None,
            };
            if let Some(answer) = answer {
                return Ok(answer);
            }
        }
    }
}

/// The answer the record shows, if any.
fn judge<K: Binding>(
    binding: Option<&K>,
    asked: &Grant,
    awaited: Awaited,
    last_seen: &mut std::collections::BTreeMap<String, String>,
    namespace: &str,
) -> Result<Option<Answer>> {
    let denial = |seen: &std::collections::BTreeMap<String, String>| Answer::Denied {
        by: seen.get(ann::DENIED_BY).cloned(),
        reason: seen.get(ann::DENIED_REASON).cloned().unwrap_or_default(),
    };
    let Some(binding) = binding else {
        return match awaited {
            Awaited::Request => Ok(Some(denial(last_seen))),
            Awaited::Extension(_) => Err(Error::refused(format!(
                "refused: request {} was revoked while its extension waited for approval",
                asked.id
            ))),
        };
    };
    let meta = binding.meta();
    let annotations = meta.annotations.clone().unwrap_or_default();
    let labels = meta.labels.clone().unwrap_or_default();
    *last_seen = annotations.clone();
    let record = Grant::from_metadata(
        meta.name.as_deref().unwrap_or_default(),
        meta.namespace.as_deref(),
        &labels,
        &annotations,
    )
    .map_err(|invalid| {
        Error::refused(format!("refused: the record of request {} cannot be trusted: {}", asked.id, invalid.problem))
    })
    .map(|mut record| {
        record.read_as = meta.uid.clone().zip(meta.resource_version.clone());
        record.account = crate::state::record::account_of(&asked.id, binding.subjects(), namespace);
        record.user = crate::state::record::user_of(&asked.id, binding.subjects(), namespace);
        record
    })?;
    if record.requested_at != asked.requested_at || record.requested_by != asked.requested_by {
        return Err(Error::refused(format!("refused: request {} was replaced by another record", asked.id)));
    }
    let granted = record.account.is_some();
    Ok(match awaited {
        Awaited::Request if !record.pending && granted => Some(Answer::Approved(Box::new(record))),
        // Drained (access disabled): it can no longer be approved.
        Awaited::Request if record.expires_at <= Utc::now() => Some(denial(&annotations)),
        Awaited::Request => None,
        Awaited::Extension(_) if record.extension_requested.is_some() => None,
        Awaited::Extension(end) if record.expires_at >= end => Some(Answer::Approved(Box::new(record))),
        Awaited::Extension(_) => Some(denial(&annotations)),
    })
}

/// A merge patch of a record's annotations (`None` removes one) and, optionally, its subjects,
/// made only if the record is still at `version` (nobody answered in between).
async fn patch_record(
    conn: &Connection,
    grant: &Grant,
    version: &str,
    annotations: &[(&str, Option<String>)],
    subjects: Option<serde_json::Value>,
) -> Result<()> {
    let values: serde_json::Map<String, serde_json::Value> =
        annotations.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    let mut body = json!({ "metadata": { "resourceVersion": version, "annotations": values } });
    if let Some(subjects) = subjects {
        body["subjects"] = subjects;
    }
    let result = crate::cluster::records::merge_patch_record(conn, grant, body).await;
    result.map_err(|e| match e.is_conflict() {
        true => Error::failed(format!("request {} changed while it was being answered; nothing was written", grant.id))
            .with_hint("run the command again"),
        false => e,
    })
}

/// The record's uid and resourceVersion in the read that showed it: never read again, so that
/// what is written is what was shown (a record swapped in between makes the write fail).
fn record_version(grant: &Grant) -> Result<(String, String)> {
    grant.read_as.clone().ok_or_else(|| {
        Error::failed(format!("request {} was not read with its version; nothing was written", grant.id))
            .with_hint("run the command again")
    })
}

/// What one approval did.
#[derive(Debug, Clone, PartialEq)]
pub enum Approved {
    /// Recorded; the policy asks for `needed` approvers in all, so the request (or extension)
    /// still waits and grants nothing.
    Waiting { approvals: Vec<Approval>, needed: u8 },
    /// The last approval the policy asks for: the request is granted (or extended).
    Granted { approvals: Vec<Approval> },
}

/// The approvals so far and `by`'s own, now; refused if `by` already approved.
fn with_approval(grant: &Grant, so_far: &[Approval], by: &str, now: DateTime<Utc>) -> Result<Vec<Approval>> {
    if so_far.iter().any(|a| a.by == by) {
        return Err(Error::refused(format!(
            "refused: {} already approved request {}; each approval must come from another approver",
            crate::output::terminal(by),
            grant.id
        )));
    }
    let mut approvals = so_far.to_vec();
    approvals.push(Approval { by: by.to_string(), at: now });
    Ok(approvals)
}

/// Approves a pending request as `by`. Short of the policy's quorum only the approval is
/// written. The last one creates its ServiceAccount and companions first (they grant nothing
/// until a token of that ServiceAccount exists, which only an approved record leads to), then
/// writes the record's subject with `approved-by`/`approved-at` and the approvals.
pub async fn approve_request(conn: &Connection, grant: &Grant, policy: &Policy, by: &str) -> Result<Approved> {
    let now = Utc::now().trunc_subsecs(0);
    let (uid, version) = record_version(grant)?;
    let approvals = with_approval(grant, &grant.approvals, by, now)?;
    let lines = Some(approvals_text(&approvals));
    if approvals.len() < usize::from(policy.approvals) {
        patch_record(conn, grant, &version, &[(ann::APPROVALS, lines)], None).await?;
        return Ok(Approved::Waiting { approvals, needed: policy.approvals });
    }
    let account =
        crate::cluster::credential::create_account(conn, &grant.id, grant.expires_at, &grant.requested_by).await?;
    let approved = Grant {
        pending: false,
        pending_until: None,
        approved_by: Some(by.to_string()),
        approved_at: Some(now),
        approvals: approvals.clone(),
        account: Some(account.clone()),
        // With identity `own` the grant binds the requester's own user too: the one that made the
        // record, as its ServiceAccount's name carries it.
        user: policy.own_identity.then(|| grant.requested_by.clone()),
        ..grant.clone()
    };
    let subjects = json!(crate::state::record::subjects_of(&conn.namespace, &account, approved.user.as_deref()));
    let annotations = [
        (ann::STATE, None),
        (ann::APPROVED_BY, Some(by.to_string())),
        (ann::APPROVED_AT, Some(rfc3339(now))),
        (ann::APPROVALS, lines),
    ];
    if approved.user.is_some() {
        NewGrant { grant: approved.clone(), policy: policy.clone() }.create_holder(conn, &account).await?;
    }
    crate::cluster::bindings::after_rbac(crate::state::refusals::GRANT_AFTER_HOLDER, || {
        patch_record(conn, grant, &version, &annotations, Some(subjects.clone()))
    })
    .await?;
    // The companions after the grant: the guard admits one only for a ServiceAccount its record
    // already binds, so no approver alone makes one before the quorum.
    if grant.scope.is_none() {
        let new = NewGrant { grant: approved, policy: policy.clone() };
        new.create_companions(conn, uid).await.map_err(|e| {
            let what = format!(
                "request {} was approved, but its -logs/-debug bindings in the system namespaces were not made: {}",
                grant.id, e.message
            );
            Error { message: what, ..e }
                .with_hint("its requester has the role without logs or exec in the system namespaces; revoke it and ask again if they need them")
        })?;
    }
    Ok(Approved::Granted { approvals })
}

/// Approves a live request's extension as `by`. Short of the quorum only the approval is
/// written; the last one moves its end to the one asked for, and the request to a ServiceAccount
/// whose tokens may last that long.
pub async fn approve_extension(
    conn: &Connection,
    grant: &Grant,
    policy: &Policy,
    end: DateTime<Utc>,
    by: &str,
) -> Result<Approved> {
    let (_, version) = record_version(grant)?;
    let now = Utc::now().trunc_subsecs(0);
    let approvals = with_approval(grant, &grant.extension_approvals, by, now)?;
    let lines = Some(approvals_text(&approvals));
    if approvals.len() < usize::from(policy.approvals) {
        patch_record(conn, grant, &version, &[(ann::EXTENSION_APPROVALS, lines)], None).await?;
        return Ok(Approved::Waiting { approvals, needed: policy.approvals });
    }
    // approved-by and approved-at stay the request's own approver's: an extension's are its lines.
    let annotations =
        [(ann::EXPIRES_AT, Some(rfc3339(end))), (ann::EXTENSION_REQUESTED, None), (ann::EXTENSION_APPROVALS, lines)];
    crate::cluster::bindings::move_to_account(conn, grant, policy, end, Some(by), |subjects| async move {
        patch_record(conn, grant, &version, &annotations, Some(subjects)).await
    })
    .await?;
    Ok(Approved::Granted { approvals })
}

/// Asks for a live request's end to move to `end` (approval required), clearing an earlier
/// denial.
pub async fn ask_extension(conn: &Connection, grant: &Grant, end: DateTime<Utc>) -> Result<()> {
    let (_, version) = record_version(grant)?;
    let annotations = [
        (ann::EXTENSION_REQUESTED, Some(rfc3339(end))),
        (ann::EXTENSION_APPROVALS, None),
        (ann::DENIED_BY, None),
        (ann::DENIED_REASON, None),
    ];
    patch_record(conn, grant, &version, &annotations, None).await
}

/// Withdraws an extension nobody answered.
pub async fn withdraw_extension(conn: &Connection, grant: &Grant) -> Result<()> {
    let (_, version) = record_version(grant)?;
    patch_record(conn, grant, &version, &[(ann::EXTENSION_REQUESTED, None)], None).await
}

/// Denies as `by`: says who and why on the record, then deletes a pending request; an extension
/// is only withdrawn (the request keeps its end).
pub async fn deny(conn: &Connection, grant: &Grant, by: &str, reason: &str) -> Result<()> {
    let (_, version) = record_version(grant)?;
    let mut annotations = vec![(ann::DENIED_BY, Some(by.to_string())), (ann::DENIED_REASON, Some(reason.to_string()))];
    if !grant.pending {
        annotations.push((ann::EXTENSION_REQUESTED, None));
    }
    patch_record(conn, grant, &version, &annotations, None).await?;
    if grant.pending {
        crate::cluster::bindings::delete_own_bindings(conn, &grant.id, grant.scope.as_deref()).await?;
    }
    Ok(())
}
/// "1 of 2 (alice)": the approvals so far against the quorum.
pub fn tally(approvals: &[crate::state::record::Approval], needed: u8) -> String {
    let names: Vec<String> = approvals.iter().map(|a| crate::output::terminal(&a.by).into_owned()).collect();
    match names.is_empty() {
        true => format!("0 of {needed}"),
        false => format!("{} of {needed} ({})", names.len(), names.join(", ")),
    }
}
