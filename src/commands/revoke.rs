//! `revoke ID…|--all` and `end ID`: delete every binding of the requests' groups now. RBAC is
//! evaluated per API call, so a revoked credential is refused from its next call.

use crate::base::error::{Error, Result};
use crate::cli::{DryRun, GlobalArgs, IdArg, RevokeArgs};
use crate::cluster::history;
use crate::cluster::{Connection, Target};
use crate::output::terminal;
use crate::services::census::{Grants, Scan};
use crate::services::fleet::{Outcome, Plan};
use crate::services::lifecycle::end_requests;
use crate::services::lifecycle::revoke_group;
use crate::services::live::{check_id, open_live};
use crate::services::sweep;
use crate::state::history::{EventKind, HistoryEvent};
use serde::Serialize;

/// The requests revoked on one cluster.
#[derive(Serialize)]
pub struct Revoked {
    revoked: Vec<String>,
}

impl Outcome for Revoked {
    fn detail(&self) -> String {
        match self.revoked.len() {
            0 => "no request to revoke".into(),
            n => format!("{n} request(s) revoked: {}", self.revoked.join(", ")),
        }
    }
}

pub async fn revoke(global: &GlobalArgs, args: &RevokeArgs) -> Result<()> {
    for id in &args.ids {
        check_id(id)?;
    }
    if args.fleet.selected() {
        crate::services::fleet::no_dry_run(&args.dry_run)?;
        if !args.all {
            return Err(Error::usage("request ids belong to one cluster: use --all with --all-contexts/--contexts"));
        }
        let plan = Plan { command: "revoke", destructive: Some("Revoke every support request now".into()) };
        return crate::services::fleet::run(
            global,
            &args.fleet,
            plan,
            |conn| async move { revoke_on(&conn, &[]).await },
        )
        .await;
    }
    let conn = Connection::open(global, &Target::default()).await?;
    let ids: &[String] = if args.all { &[] } else { &args.ids };
    let (done, dry) = match args.dry_run.get() {
        DryRun::Client => (Revoked { revoked: chosen(&conn, ids).await?.1 }, " (dry run)"),
        DryRun::Server => (revoke_on(&conn.dry_run()?, ids).await?, " (server dry run)"),
        DryRun::None => {
            if args.all {
                crate::services::prompt::confirm_revoking(global, &conn, "Revoke every support request").await?;
            }
            (revoke_on(&conn, ids).await?, "")
        }
    };
    if done.revoked.is_empty() {
        crate::outln!("No request to revoke{dry}.");
    }
    for id in done.revoked {
        crate::outln!("Revoked request {}{dry}: its credential is refused from its next API call.", terminal(&id));
    }
    Ok(())
}

/// The bindings, and the requests to revoke: these, or every one when `ids` is empty.
async fn chosen(conn: &Connection, ids: &[String]) -> Result<(Grants, Vec<String>)> {
    // Every binding is read: a request is its group, whatever its bindings are called.
    let grants = Grants::read(conn, Scan::All).await?;
    if ids.is_empty() {
        let mut ids: Vec<String> = grants.valid.iter().map(|g| g.id.clone()).collect();
        ids.extend(grants.invalid.iter().filter_map(|g| g.id.clone()));
        ids.sort();
        ids.dedup();
        return Ok((grants, ids));
    }
    let unknown: Vec<&str> = ids.iter().filter(|id| grants.bindings_of(id).is_empty()).map(String::as_str).collect();
    if !unknown.is_empty() {
        return Err(Error::failed(format!(
            "no request {} on context {:?}; nothing was revoked",
            unknown.join(", "),
            conn.context
        ))
        .with_hint("`kubectl supportaccess get` lists the requests"));
    }
    Ok((grants, ids.to_vec()))
}

/// Revokes these requests, or every one when `ids` is empty.
async fn revoke_on(conn: &Connection, ids: &[String]) -> Result<Revoked> {
    let (grants, ids) = chosen(conn, ids).await?;
    let by = conn.whoami().await?;
    let detail = format!("revoked by {by}");
    let trusted: Vec<_> = ids.iter().filter_map(|id| grants.find(id)).collect();
    let mut revoked = end_requests(conn, &by, &trusted, &grants, EventKind::Revoked, &detail).await?;
    // Ids only untrusted objects claim: their bindings go too, recorded without a trusted record.
    let mut events = Vec::new();
    for id in ids.iter().filter(|id| grants.find(id).is_none()) {
        let removed = grants.bindings_of(id);
        revoke_group(conn, id, &grants).await?;
        crate::cluster::credential::forget(conn, id);
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
    history::record(conn, &events).await?;
    sweep::lazy(conn).await?;
    Ok(Revoked { revoked })
}

pub async fn end(global: &GlobalArgs, args: &IdArg) -> Result<()> {
    let (conn, grant) = open_live(global, &args.id).await?;
    let by = conn.whoami().await?;
    if grant.requested_by != by {
        return Err(Error::refused(format!(
            "refused: request {} belongs to {}; the cluster owner ends it with `kubectl supportaccess revoke {}`",
            grant.id,
            terminal(&grant.requested_by),
            grant.id
        )));
    }
    // A requester never deletes a record: the request ends now and grants nothing, and the owner's
    // side deletes the record (the sweep of this request below, when the caller may).
    crate::cluster::bindings::end_own(&conn, &grant).await?;
    crate::cluster::credential::forget(&conn, &grant.id);
    history::record(&conn, &[HistoryEvent::request(EventKind::Ended, &grant, &by, "ended by its requester")]).await?;
    // The owner's side deletes the ended record: this request's alone, when the caller may.
    let grants = crate::services::census::Grants::read_request(&conn, &grant.id).await?;
    sweep::of_listing(&conn, &grants).await?;
    crate::outln!("Ended request {}: its credential is refused from its next API call.", terminal(&grant.id));
    Ok(())
}
