//! `approve ID` and `deny ID --reason TEXT`: the owner answers a pending request or extension.
//! Nobody approves their own request: the plugin refuses it here, and the admission guard refuses
//! the write on the API server.

use chrono::Utc;

use crate::base::duration::format_duration;
use crate::base::error::{Error, Result};
use crate::base::text::{MAX_REASON, check_text};
use crate::cli::{DenyArgs, GlobalArgs, IdArg};
use crate::cluster::Connection;
use crate::cluster::access::{Permission, require};
use crate::cluster::history;
use crate::cluster::policy::read_policy;
use crate::output::{print_structured, rfc3339, terminal};
use crate::services::approval::{self, Approved, tally};
use crate::services::live::open_live;
use crate::state::history::{EventKind, HistoryEvent};
use crate::state::policy::Policy;
use crate::state::record::{Approval, Grant};
use crate::state::roles::GrantRole;

/// What a pending request asks for, in one line: how long it lasts, never a "from now" that a
/// wait for the answer makes stale.
fn asked(grant: &Grant) -> String {
    let scope = grant.scope.as_ref().map(|ns| format!(" in namespace {ns}")).unwrap_or_default();
    match grant.extension_requested {
        Some(end) if !grant.pending => {
            let now = match grant.expires_at > Utc::now() {
                true => "it now ends at",
                false => "it ended at",
            };
            format!("the extension of request {} to {} ({now} {})", grant.id, rfc3339(end), rfc3339(grant.expires_at))
        }
        _ => format!(
            "{} access{scope} for {}, lasting {}",
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

/// On a terminal, before asking: what is granted, by whom and why, what the role can do, and for
/// an extension its old and new end.
async fn show_question(conn: &Connection, grant: &Grant, policy: &Policy, so_far: &[Approval]) {
    let mut lines = vec![format!("Request {}:", grant.id)];
    let role = match &grant.role {
        GrantRole::Support(role) => format!("{} (ClusterRole {})", role.name(), grant.role.cluster_role()),
        GrantRole::Cluster(_) => grant.role.api_name(),
    };
    lines.push(format!(
        "  Role:      {role}, {}",
        match &grant.scope {
            Some(ns) => format!("in namespace {}", terminal(ns)),
            None => "cluster-wide".to_string(),
        }
    ));
    match grant.extension_requested.filter(|_| !grant.pending) {
        Some(end) => lines.push(format!(
            "  Ends:      {} now, {} if approved (+{})",
            rfc3339(grant.expires_at),
            rfc3339(end),
            format_duration((end - grant.expires_at).to_std().unwrap_or_default())
        )),
        None => lines.push(format!(
            "  Duration:  {} (until {})",
            format_duration((grant.expires_at - grant.requested_at).to_std().unwrap_or_default()),
            rfc3339(grant.expires_at)
        )),
    }
    lines.push(format!("  Asked by:  {} for {}", terminal(&grant.requested_by), terminal(&grant.requestor)));
    lines.push(format!("  Reason:    {}", terminal(&format!("{:?}", grant.reason))));
    // What it can do is worth showing, not worth failing the answer over.
    let can = crate::services::capabilities::reach(conn, grant, policy)
        .await
        .unwrap_or_else(|e| format!("unknown ({})", e.message));
    lines.push(format!("  Can:       {can}"));
    if policy.approvals > 1 {
        lines.push(format!("  Approvals: {} so far", tally(so_far, policy.approvals)));
    }
    eprintln!("{}", lines.join("\n"));
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
    let extension = grant.extension_requested.filter(|_| !grant.pending);
    let so_far = if extension.is_some() { &grant.extension_approvals } else { &grant.approvals };
    if so_far.iter().any(|a| a.by == by) {
        return Err(Error::refused(format!(
            "refused: {} already approved {}; the policy asks for {} distinct approvers, so another must approve it",
            terminal(&by),
            terminal(&asked(&grant)),
            policy.approvals
        )));
    }
    if let Some(end) = extension {
        let longest = chrono::Duration::from_std(policy.max_duration).unwrap_or(chrono::Duration::MAX);
        if end - grant.requested_at > longest {
            return Err(Error::refused(format!(
                "refused: the extension would make request {} last longer than the policy's maxDuration {}",
                grant.id,
                format_duration(policy.max_duration)
            )));
        }
    }
    let what = asked(&grant);
    // On a terminal, what is granted, as read (the write is pinned to that read), before it is.
    if !global.yes && crate::output::stdin_is_tty() {
        show_question(&conn, &grant, &policy, so_far).await;
    }
    let question = format!(
        "Approve {}? Role {}, scope {}, asked by {} for {}, reason {:?}",
        what,
        grant.role,
        grant.scope.as_deref().unwrap_or("cluster-wide"),
        grant.requested_by,
        grant.requestor,
        grant.reason
    );
    crate::services::prompt::ask_on_terminal(global, &terminal(&question))?;
    let (approved, end) = match extension {
        Some(end) => (approval::approve_extension(&conn, &grant, &policy, end, &by).await?, end),
        None => (approval::approve_request(&conn, &grant, &policy, &by).await?, grant.expires_at),
    };
    let (approvals, granted) = match &approved {
        Approved::Waiting { approvals, .. } => (approvals, false),
        Approved::Granted { approvals } => (approvals, true),
    };
    let count = (policy.approvals > 1).then(|| format!(" (approved {})", tally(approvals, policy.approvals)));
    let count = count.unwrap_or_default();
    let events = match (extension, granted) {
        (_, false) => {
            let detail = format!("{what}: approval {}, waiting for more", tally(approvals, policy.approvals));
            let state = if extension.is_some() { "active" } else { "pending" };
            vec![HistoryEvent::request(EventKind::Approved, &grant, &by, detail).in_state(state)]
        }
        (Some(end), true) => {
            let detail = format!("until {} (was {}), approved by {by}{count}", rfc3339(end), rfc3339(grant.expires_at));
            vec![
                HistoryEvent::request(
                    EventKind::Approved,
                    &grant,
                    &by,
                    format!("extension to {}{count}", rfc3339(end)),
                ),
                HistoryEvent::request(EventKind::Extended, &grant, &by, detail),
            ]
        }
        (None, true) => {
            let waited = format_duration((Utc::now() - grant.requested_at).to_std().unwrap_or_default());
            let detail = format!("{what}; asked by {} {waited} ago{count}", grant.requested_by);
            vec![HistoryEvent::request(EventKind::Approved, &grant, &by, detail)]
        }
    };
    history::record(&conn, &events).await?;
    let approvers: Vec<&str> = approvals.iter().map(|a| a.by.as_str()).collect();
    match &global.output {
        Some(format) if format.is_structured() => print_structured(
            &serde_json::json!({
                "id": grant.id,
                "approvedBy": by,
                "approvals": approvers,
                "approvalsNeeded": policy.approvals,
                "granted": granted,
                "role": grant.role,
                "scope": grant.scope,
                "expiresAt": rfc3339(if granted { end } else { grant.expires_at }),
            }),
            format,
        ),
        _ if !granted => {
            let left = usize::from(policy.approvals).saturating_sub(approvals.len());
            crate::outln!(
                "Approval {} recorded for {}; it grants nothing until {left} more approver{} approve{} it.",
                tally(approvals, policy.approvals),
                terminal(&what),
                if left == 1 { "" } else { "s" },
                if left == 1 { "s" } else { "" },
            );
            Ok(())
        }
        _ => {
            crate::outln!("Approved {}{count}; request {} now ends at {}.", terminal(&what), grant.id, rfc3339(end));
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
    match &global.output {
        Some(format) if format.is_structured() => {
            print_structured(&serde_json::json!({ "id": grant.id, "deniedBy": by, "reason": args.reason }), format)
        }
        _ => {
            crate::outln!("Denied {}.", terminal(&what));
            Ok(())
        }
    }
}
