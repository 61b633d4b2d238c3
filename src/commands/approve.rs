//! `approve ID` and `deny ID --reason TEXT`: the owner answers a pending request or extension.
//! Nobody approves their own request: the plugin refuses it here, and the admission guard refuses
//! the write on the API server.

use chrono::Utc;

use crate::access::{Permission, require};
use crate::approval;
use crate::cli::{DenyArgs, GlobalArgs, IdArg, OutputFormat};
use crate::cluster::Connection;
use crate::duration::format_duration;
use crate::error::{Error, Result};
use crate::history::{self, EventKind, HistoryEvent};
use crate::live::open_live;
use crate::output::{print_structured, rfc3339, terminal};
use crate::policy::{Policy, read_policy};
use crate::record::Grant;
use crate::text::{MAX_REASON, check_text};

/// What a pending request asks for, in one line.
fn asked(grant: &Grant) -> String {
    let scope = grant.scope.as_ref().map(|ns| format!(" in namespace {ns}")).unwrap_or_default();
    match grant.extension_requested {
        Some(end) if !grant.pending => {
            format!(
                "the extension of request {} to {} (it ended at {})",
                grant.id,
                rfc3339(end),
                rfc3339(grant.expires_at)
            )
        }
        _ => format!(
            "{} access{scope} for {}, {} from now",
            grant.role,
            grant.requestor,
            format_duration((grant.expires_at - grant.requested_at).to_std().unwrap_or_default())
        ),
    }
}

/// Only an approver answers: RBAC's verb `approve` on `requests.support-access.crusoe.ai` (the
/// admission guard asks RBAC the same).
async fn require_approver(conn: &Connection, by: &str) -> Result<()> {
    let approve = Permission::new("approve", crate::state::REQUESTS_GROUP, crate::state::REQUESTS_RESOURCE);
    require(conn, by, &[approve]).await
}

/// Opens the request and checks that it waits for an answer.
async fn open_question(global: &GlobalArgs, id: &str) -> Result<(Connection, Grant)> {
    let (conn, grant) = open_live(global, id).await?;
    if !grant.pending && grant.extension_requested.is_none() {
        return Err(Error::failed(format!(
            "request {id} is not waiting for an answer: it is neither pending nor asking for an extension"
        ))
        .with_hint("`kubectl supportaccess get` lists the pending requests"));
    }
    Ok((conn, grant))
}

/// The policy, which must let this request's role in.
async fn enabled_policy(conn: &Connection, grant: &Grant) -> Result<Policy> {
    match read_policy(conn).await? {
        Some(policy) if grant.allowed_by(&policy) => Ok(policy),
        Some(policy) if policy.enabled => Err(Error::refused(format!(
            "refused: role {} is not enabled, so request {} cannot be approved",
            grant.role, grant.id
        ))),
        _ => Err(Error::refused(format!(
            "refused: support access is disabled on context {:?}, so request {} cannot be approved",
            conn.context, grant.id
        ))),
    }
}

pub async fn approve(global: &GlobalArgs, args: &IdArg) -> Result<()> {
    let (conn, grant) = open_question(global, &args.id).await?;
    let by = conn.whoami().await?;
    require_approver(&conn, &by).await?;
    if by == grant.requested_by {
        return Err(Error::refused(format!(
            "refused: {} made request {} and nobody approves their own request; another owner must approve it",
            terminal(&by),
            grant.id
        )));
    }
    let policy = enabled_policy(&conn, &grant).await?;
    let what = asked(&grant);
    // On a terminal, what is granted, as read (the write is pinned to that read), before it is.
    let question = format!(
        "Approve {}? Role {}, scope {}, asked by {} for {}, reason {:?}",
        what,
        grant.role,
        grant.scope.as_deref().unwrap_or("cluster-wide"),
        grant.requested_by,
        grant.requestor,
        grant.reason
    );
    crate::prompt::ask_on_terminal(global, &terminal(&question))?;
    let (events, end) = match grant.extension_requested.filter(|_| !grant.pending) {
        Some(end) => {
            let longest = chrono::Duration::from_std(policy.max_duration).unwrap_or(chrono::Duration::MAX);
            if end - grant.requested_at > longest {
                return Err(Error::refused(format!(
                    "refused: the extension would make request {} last longer than the policy's maxDuration {}",
                    grant.id,
                    format_duration(policy.max_duration)
                )));
            }
            approval::approve_extension(&conn, &grant, &policy, end, &by).await?;
            let detail = format!("until {} (was {}), approved by {by}", rfc3339(end), rfc3339(grant.expires_at));
            let events = vec![
                HistoryEvent::request(EventKind::Approved, &grant, &by, format!("extension to {}", rfc3339(end))),
                HistoryEvent::request(EventKind::Extended, &grant, &by, detail),
            ];
            (events, end)
        }
        None => {
            approval::approve_request(&conn, &grant, &policy, &by).await?;
            let waited = format_duration((Utc::now() - grant.requested_at).to_std().unwrap_or_default());
            let detail = format!("{what}; asked by {} {waited} ago", grant.requested_by);
            (vec![HistoryEvent::request(EventKind::Approved, &grant, &by, detail)], grant.expires_at)
        }
    };
    history::record(&conn, &events).await?;
    match global.output {
        Some(format @ (OutputFormat::Json | OutputFormat::Yaml)) => print_structured(
            &serde_json::json!({
                "id": grant.id,
                "approvedBy": by,
                "role": grant.role,
                "scope": grant.scope,
                "expiresAt": rfc3339(end),
            }),
            format,
        ),
        _ => {
            println!("Approved {}; request {} now ends at {}.", terminal(&what), grant.id, rfc3339(end));
            Ok(())
        }
    }
}

pub async fn deny(global: &GlobalArgs, args: &DenyArgs) -> Result<()> {
    if args.reason.trim().is_empty() {
        return Err(Error::usage("--reason must say why the request is denied; the requester is shown it"));
    }
    check_text("--reason", &args.reason, MAX_REASON)?;
    let (conn, grant) = open_question(global, &args.id).await?;
    let by = conn.whoami().await?;
    require_approver(&conn, &by).await?;
    let what = asked(&grant);
    approval::deny(&conn, &grant, &by, &args.reason).await?;
    let detail = format!("{what}; denied by {by}: {}", args.reason);
    history::record(&conn, &[HistoryEvent::request(EventKind::Denied, &grant, &by, detail)]).await?;
    match global.output {
        Some(format @ (OutputFormat::Json | OutputFormat::Yaml)) => {
            print_structured(&serde_json::json!({ "id": grant.id, "deniedBy": by, "reason": args.reason }), format)
        }
        _ => {
            println!("Denied {}.", terminal(&what));
            Ok(())
        }
    }
}
