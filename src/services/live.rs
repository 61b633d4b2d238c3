//! A live request, as the commands about one request use it: finding it (its bindings only),
//! waiting for the owner's answer, and renewing its credential.

use chrono::Utc;

use crate::base::duration::{after, format_duration};
use crate::base::error::{Error, Result};
use crate::cli::GlobalArgs;
use crate::cluster::access::require;
use crate::cluster::credential;
use crate::cluster::history;
use crate::cluster::policy::read_policy;
use crate::cluster::{Connection, Target};
use crate::output::{rfc3339, terminal};
use crate::services::approval::{self, Answer, Awaited};
use crate::services::census::Grants;
use crate::services::lifecycle::end_requests;
use crate::state::history::{EventKind, HistoryEvent};
use crate::state::is_dns_label;
use crate::state::policy::Policy;
use crate::state::record::Grant;

pub fn check_id(id: &str) -> Result<()> {
    if is_dns_label(id) {
        Ok(())
    } else {
        Err(Error::usage(format!("{id:?} is not a request id (lowercase letters and digits, see `get`)")))
    }
}

/// Checks the id, connects, sweeps this request alone and finds it live: how every command about
/// one request starts. Only its bindings are read, so the command costs the same however many
/// others the cluster holds (`get` and `sweep` sweep them).
pub async fn open_live(global: &GlobalArgs, id: &str) -> Result<(Connection, Grant)> {
    check_id(id)?;
    let conn = Connection::open(global, &Target::default()).await?;
    let grants = Grants::read_request(&conn, id).await?;
    // Ended or untrusted, it goes now (when the caller may), as a sweep would.
    let swept = crate::services::sweep::of_listing(&conn, &grants).await?;
    if let Some((_, problem)) = swept.untrusted.iter().find(|(untrusted, _)| untrusted == id) {
        return Err(untrusted(id, problem));
    }
    let grant = live_in(&conn, id, &grants).await?;
    Ok((conn, grant))
}

fn untrusted(id: &str, problem: &str) -> Error {
    Error::refused(format!("refused: the record of request {id} cannot be trusted: {problem}"))
        .with_hint("the sweep removes untrusted bindings; a new request is needed")
}

/// The live request with this id, or an error naming it.
pub async fn find_live(conn: &Connection, id: &str) -> Result<Grant> {
    live_in(conn, id, &Grants::read_request(conn, id).await?).await
}

/// The live request with this id among these bindings, or an error naming it.
async fn live_in(conn: &Connection, id: &str, grants: &Grants) -> Result<Grant> {
    let now = Utc::now();
    match grants.find(id) {
        Some(grant) if grant.is_live(now) => Ok(grant.clone()),
        Some(grant) => Err(Error::refused(format!("refused: request {id} ended at {}", rfc3339(grant.end())))),
        None if let Some(invalid) = grants.invalid.iter().find(|g| g.id.as_deref() == Some(id)) => {
            Err(untrusted(id, &invalid.problem))
        }
        None => Err(no_request(conn, id, grants).await),
    }
}

/// Why there is no live request `id`: how it ended, as the history says, or the live id it looks
/// like (a typo), or that there is none.
async fn no_request(conn: &Connection, id: &str, grants: &Grants) -> Error {
    let since = crate::base::duration::before(Utc::now(), crate::services::sweep::HISTORY_WINDOW * 12);
    let history = crate::cluster::history::read(conn, since).await.map(|(events, _)| events).unwrap_or_default();
    if let Some(last) = history.iter().rev().find(|e| e.id.as_deref() == Some(id)) {
        return Error::failed(format!(
            "request {id} was {} by {} at {} ({})",
            last.event.name(),
            crate::output::terminal(&last.by),
            rfc3339(last.at),
            crate::output::terminal(&last.detail)
        ))
        .with_hint("`kubectl supportaccess history` shows its whole story; `request` asks anew");
    }
    // Only now, on the way to an error, the other live requests: the one it looks like.
    let others = Grants::read(conn, crate::services::census::Scan::ManagedCached).await;
    let live: Vec<&str> = match &others {
        Ok(all) => all.valid.iter().map(|g| g.id.as_str()).collect(),
        Err(_) => grants.valid.iter().map(|g| g.id.as_str()).collect(),
    };
    let error = Error::failed(format!("there is no request {id} on context {:?}", conn.context));
    match crate::base::text::closest(id, &live) {
        Some(near) => error.with_hint(format!("did you mean {near}?")),
        None => error.with_hint("`kubectl supportaccess get` lists the live requests"),
    }
}

/// Renews the request's credential, writing the kubeconfig where it was first written.
pub async fn renew(conn: &Connection, grant: &Grant, by: &str) -> Result<chrono::DateTime<Utc>> {
    let policy = read_policy(conn).await.map_err(|e| Error::refused(format!("refused: {}", e.message)))?;
    let policy = match policy {
        Some(policy) if policy.enabled => policy,
        _ => return Err(Error::refused(format!("refused: support access is disabled on context {:?}", conn.context))),
    };
    if !grant.allowed_by(&policy) {
        return Err(Error::refused(format!(
            "refused: role {} is no longer enabled; request {} drains",
            grant.role, grant.id
        )));
    }
    if grant.user.is_some() {
        return match grant.credential_expires_at {
            Some(at) if at >= grant.expires_at => Err(Error::refused(format!(
                "refused: request {} binds your own user (the policy's identity is own), which holds the role until \
                 {}: there is no credential to renew",
                grant.id,
                rfc3339(grant.expires_at)
            ))),
            // Approved while its `request` was interrupted, or extended: granted until its end.
            _ => own_identity_granted(conn, grant).await,
        };
    }
    require(conn, by, &credential::minting_permissions(&conn.namespace)).await?;
    let path = credential::credential_path(&conn.context, &grant.id)?;
    let at = credential::issue(conn, grant, policy.credential_ttl, &path).await?;
    let detail = format!("credential until {}", rfc3339(at));
    history::record(conn, &[HistoryEvent::request(EventKind::Renewed, grant, by, detail)]).await?;
    Ok(at)
}

/// Identity `own`: the granted record says its requester's user holds the role until its end (as
/// a minted credential's expiry says it for a ServiceAccount), so that it is not taken for a
/// request abandoned before its first credential.
pub async fn own_identity_granted(conn: &Connection, grant: &Grant) -> Result<chrono::DateTime<Utc>> {
    if grant.user.is_none() {
        return Err(Error::failed(format!(
            "request {} was granted to its ServiceAccount alone, not to your own user: the policy's identity \
             changed meanwhile; nothing was kept",
            grant.id
        )));
    }
    let annotations = [(crate::state::annotations::CREDENTIAL_EXPIRES_AT, rfc3339(grant.expires_at))];
    crate::cluster::records::annotate(conn, grant, &annotations).await?;
    Ok(grant.expires_at)
}

/// Says what the owner runs, then waits (watching the record, a spinner on a terminal) until
/// the owner approves or denies the pending request, or `pendingTTL` passes. Returns the
/// approved record; a denial or no answer is a refusal (exit 3) that says why.
pub async fn await_approval(conn: &Connection, grant: &Grant, policy: &Policy) -> Result<Grant> {
    // The one instant `get` and `get -w` show as its answer-by: the pending deadline, but never
    // past the request's own end.
    let until = grant
        .pending_until
        .or_else(|| after(grant.requested_at, policy.pending_ttl))
        .unwrap_or(grant.expires_at)
        .min(grant.expires_at);
    let id = &grant.id;
    let scope = grant.scope.as_deref().map(|ns| format!("namespace {}", terminal(ns))).unwrap_or("cluster-wide".into());
    eprintln!(
        "Request ID: {id} (role {}, {scope})\nWaiting for the cluster owner's approval until {}. The owner runs:\n  \
         kubectl supportaccess approve {id}\n  kubectl supportaccess deny {id} --reason TEXT\n\
         If this is interrupted, `kubectl supportaccess renew {id}` waits again and mints the credential once approved.",
        grant.role.name(),
        rfc3339(until),
    );
    let spinner = crate::output::Spinner::start(&format!("waiting for the owner to approve request {id}"));
    let answer = approval::wait(conn, grant, Awaited::Request, until).await;
    spinner.stop();
    match answer? {
        Answer::Approved(approved) => {
            // Every approver of a quorum, in the order they approved.
            let mut by: Vec<&str> = approved.approvals.iter().map(|a| a.by.as_str()).collect();
            if by.is_empty() {
                by.extend(approved.approved_by.as_deref());
            }
            if !by.is_empty() {
                eprintln!("Request {id} was approved by {}.", terminal(&by.join(", ")));
            }
            Ok(*approved)
        }
        Answer::Denied { by: Some(by), reason } => {
            Err(Error::refused(format!("refused: request {id} was denied by {}: {}", terminal(&by), terminal(&reason))))
        }
        Answer::Denied { by: None, .. } => Err(Error::refused(format!(
            "refused: request {id} was removed before anyone approved it (revoked, swept, or support access disabled)"
        ))),
        Answer::Unanswered => {
            let listing = Grants::read_request(conn, id).await?;
            let by = conn.whoami().await?;
            let detail = format!("no answer from the owner by {}", rfc3339(until));
            let _ = end_requests(conn, &by, &[grant], &listing, EventKind::Expired, &detail).await;
            Err(Error::refused(format!(
                "refused: no answer from the owner within {}; request {id} expired unanswered",
                format_duration(policy.pending_ttl)
            )))
        }
    }
}
