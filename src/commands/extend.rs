//! `extend ID --by D`: moves a live request's end later, within `maxDuration` from its start;
//! refused while disabled. With `approval=required` the new end is asked for and waited for like
//! a request; the request keeps its current end meanwhile.

use chrono::Utc;

use crate::base::duration::{after, format_duration, parse_duration};
use crate::base::error::{Error, Result};
use crate::cli::{ExtendArgs, GlobalArgs};
use crate::cluster::bindings::move_to_account;
use crate::cluster::history;
use crate::cluster::policy::read_policy;
use crate::cluster::records::merge_patch_record;
use crate::output::{Spinner, print_structured, rfc3339, terminal};
use crate::services::approval::{self, Answer, Awaited};
use crate::services::live::{find_live, open_live, renew};
use crate::state::annotations as ann;
use crate::state::history::{EventKind, HistoryEvent};

pub async fn run(global: &GlobalArgs, args: &ExtendArgs) -> Result<()> {
    let by_duration = parse_duration(&args.by).map_err(|e| Error::usage(format!("--by: {e}")))?;
    if by_duration.is_zero() {
        return Err(Error::usage("--by must be longer than 0s"));
    }
    let (conn, grant) = open_live(global, &args.id).await?;
    if grant.pending {
        return Err(Error::refused(format!(
            "refused: request {} is still waiting for approval; it can be extended once it is approved",
            grant.id
        )));
    }
    if let Some(end) = grant.extension_requested {
        return Err(Error::refused(format!(
            "refused: request {} already asks to be extended to {}; the owner answers that first",
            grant.id,
            rfc3339(end)
        )));
    }
    let policy = match read_policy(&conn).await? {
        Some(policy) if grant.allowed_by(&policy) => policy,
        _ => {
            return Err(Error::refused(format!(
                "refused: support access for role {} is disabled on context {:?}; request {} drains and cannot be extended",
                grant.role, conn.context, grant.id
            )));
        }
    };
    let end = after(grant.expires_at, by_duration)
        .ok_or_else(|| Error::usage(format!("--by {} ends past the end of time", args.by)))?;
    let longest = chrono::Duration::from_std(policy.max_duration).unwrap_or(chrono::Duration::MAX);
    if end - grant.requested_at > longest {
        let latest = after(grant.requested_at, policy.max_duration).unwrap_or(grant.expires_at);
        return Err(Error::refused(format!(
            "refused: request {} would last {} from its start, longer than the policy's maxDuration {}; it can end \
             at {} at the latest",
            grant.id,
            format_duration((end - grant.requested_at).to_std().unwrap_or_default()),
            format_duration(policy.max_duration),
            rfc3339(latest)
        )));
    }
    let by = conn.whoami().await?;
    let detail = format!("until {} (was {})", rfc3339(end), rfc3339(grant.expires_at));
    if policy.approval_required {
        approval::ask_extension(&conn, &grant, end).await?;
        eprintln!(
            "Request {} asks to end at {} instead of {}; waiting for the owner's answer (at most {}).\n\
             The owner runs: kubectl supportaccess approve {}  (or: deny {} --reason TEXT)",
            grant.id,
            rfc3339(end),
            rfc3339(grant.expires_at),
            format_duration(policy.pending_ttl),
            grant.id,
            grant.id
        );
        let until = after(Utc::now(), policy.pending_ttl).unwrap_or(grant.expires_at).min(grant.expires_at);
        let spinner = Spinner::start(&format!("waiting for the owner to approve the extension of {}", grant.id));
        let answer = approval::wait(&conn, &grant, Awaited::Extension(end), until).await;
        spinner.stop();
        match answer? {
            Answer::Approved(_) => {}
            Answer::Denied { by, reason } => {
                return Err(Error::refused(format!(
                    "refused: {} denied the extension of request {}: {}",
                    terminal(by.as_deref().unwrap_or("the owner")),
                    grant.id,
                    terminal(&reason)
                )));
            }
            Answer::Unanswered => {
                let _ = approval::withdraw_extension(&conn, &grant).await;
                return Err(Error::refused(format!(
                    "refused: no answer from the owner within {}; the extension was withdrawn and request {} still \
                     ends at {}",
                    format_duration(policy.pending_ttl),
                    grant.id,
                    rfc3339(grant.expires_at)
                )));
            }
        }
    } else {
        let (conn, grant) = (&conn, &grant);
        let body = move |subjects| async move {
            let annotations = serde_json::json!({ ann::EXPIRES_AT: rfc3339(end) });
            let body = serde_json::json!({ "metadata": { "annotations": annotations }, "subjects": subjects });
            merge_patch_record(conn, grant, body).await
        };
        move_to_account(conn, grant, &policy, end, None, body).await?;
        history::record(conn, &[HistoryEvent::request(EventKind::Extended, grant, &by, detail)]).await?;
    }
    // The request moved to a ServiceAccount whose tokens may last until the new end; the old
    // one's token was deleted with it, so a new credential is minted now, where the old one was.
    let moved = find_live(&conn, &grant.id).await?;
    let credential_expires_at = renew(&conn, &moved, &by).await?;
    match &global.output {
        Some(format) if format.is_structured() => print_structured(
            &serde_json::json!({
                "id": grant.id,
                "expiresAt": rfc3339(end),
                "credentialExpiresAt": rfc3339(credential_expires_at),
            }),
            format,
        ),
        _ if moved.user.is_some() => {
            crate::outln!(
                "Request {} now ends at {}; your own user holds its role until then.",
                grant.id,
                rfc3339(end)
            );
            Ok(())
        }
        _ => {
            crate::outln!(
                "Request {} now ends at {}; its new credential expires at {}.",
                grant.id,
                rfc3339(end),
                rfc3339(credential_expires_at)
            );
            Ok(())
        }
    }
}
