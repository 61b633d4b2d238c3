//! `revoke ID…|--all` and `end ID`: delete every binding of the requests' groups now. RBAC is
//! evaluated per API call, so a revoked credential is refused from its next call.

use crate::bindings::revoke_group;
use crate::cli::{GlobalArgs, IdArg, RevokeArgs};
use crate::cluster::{Connection, Target};
use crate::error::{Error, Result};
use crate::history::{self, EventKind, HistoryEvent};
use crate::lifecycle::end_requests;
use crate::live::{check_id, open_live};
use crate::output::terminal;
use crate::record::{Grants, Scan};
use crate::sweep;

pub async fn revoke(global: &GlobalArgs, args: &RevokeArgs) -> Result<()> {
    for id in &args.ids {
        check_id(id)?;
    }
    let conn = Connection::open(global, &Target::default()).await?;
    // Every binding is read: a request is its group, whatever its bindings are called.
    let grants = Grants::read(&conn, Scan::All).await?;
    let ids: Vec<String> = if args.all {
        let mut ids: Vec<String> = grants.valid.iter().map(|g| g.id.clone()).collect();
        ids.extend(grants.invalid.iter().filter_map(|g| g.id.clone()));
        ids.sort();
        ids.dedup();
        ids
    } else {
        let unknown: Vec<&str> =
            args.ids.iter().filter(|id| grants.bindings_of(id).is_empty()).map(String::as_str).collect();
        if !unknown.is_empty() {
            return Err(Error::failed(format!(
                "no request {} on context {:?}; nothing was revoked",
                unknown.join(", "),
                conn.context
            ))
            .with_hint("`kubectl supportaccess get` lists the requests"));
        }
        args.ids.clone()
    };
    let by = conn.whoami().await?;
    let detail = format!("revoked by {by}");
    let trusted: Vec<_> = ids.iter().filter_map(|id| grants.find(id)).collect();
    let mut revoked = end_requests(&conn, &by, &trusted, &grants, EventKind::Revoked, &detail).await?;
    // Ids only untrusted objects claim: their bindings go too, recorded without a trusted record.
    let mut events = Vec::new();
    for id in ids.iter().filter(|id| grants.find(id).is_none()) {
        let removed = grants.bindings_of(id);
        revoke_group(&conn, id, &grants).await?;
        crate::credential::forget(&conn.context, id);
        let names: Vec<String> = removed.iter().map(|b| b.describe()).collect();
        events.push(HistoryEvent {
            id: Some(id.clone()),
            ..HistoryEvent::policy(
                EventKind::Revoked,
                &by,
                format!("{detail}; untrusted bindings {}", names.join(", ")),
            )
        });
        revoked.push(id.clone());
    }
    history::record(&conn, &events).await?;
    sweep::lazy(&conn).await?;
    if revoked.is_empty() {
        println!("No request to revoke.");
    }
    for id in revoked {
        println!("Revoked request {}: its credential is refused from its next API call.", terminal(&id));
    }
    Ok(())
}

pub async fn end(global: &GlobalArgs, args: &IdArg) -> Result<()> {
    let (conn, grant) = open_live(global, &args.id).await?;
    let by = conn.whoami().await?;
    if grant.requestor != by && grant.requested_by != by {
        return Err(Error::refused(format!(
            "refused: request {} belongs to {}; the cluster owner ends it with `kubectl supportaccess revoke {}`",
            grant.id, grant.requestor, grant.id
        )));
    }
    let listing = Grants::read(&conn, Scan::All).await?;
    end_requests(&conn, &by, &[&grant], &listing, EventKind::Revoked, "ended by its requestor").await?;
    println!("Ended request {}: its credential is refused from its next API call.", terminal(&grant.id));
    Ok(())
}
