//! `revoke ID…|--all` and `end ID`: delete the requests' bindings now. RBAC is evaluated per API
//! call, so a revoked credential is refused from its next call.

use crate::cli::{GlobalArgs, IdArg, RevokeArgs};
use crate::cluster::{Connection, Target};
use crate::commands::renew::{check_id, open_live};
use crate::error::{Error, Result};
use crate::grant::Grants;
use crate::history::EventKind;
use crate::lifecycle::end_requests;
use crate::output::terminal;
use crate::sweep;

pub async fn revoke(global: &GlobalArgs, args: &RevokeArgs) -> Result<()> {
    for id in &args.ids {
        check_id(id)?;
    }
    let conn = Connection::open(global, &Target::default()).await?;
    sweep::lazy(&conn).await?;
    let grants = Grants::list(&conn, false).await?;
    let chosen: Vec<_> = if args.all {
        grants.valid.iter().collect()
    } else {
        let unknown: Vec<&str> = args.ids.iter().filter(|id| grants.find(id).is_none()).map(String::as_str).collect();
        if !unknown.is_empty() {
            return Err(Error::failed(format!(
                "no request {} on context {:?}; nothing was revoked",
                unknown.join(", "),
                conn.context
            ))
            .with_hint("`kubectl supportaccess get` lists the requests"));
        }
        args.ids.iter().filter_map(|id| grants.find(id)).collect()
    };
    let by = conn.whoami().await?;
    let revoked = end_requests(&conn, &by, &chosen, EventKind::Revoked, &format!("revoked by {by}")).await?;
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
    end_requests(&conn, &by, &[&grant], EventKind::Revoked, "ended by its requestor").await?;
    if let Ok(path) = crate::credential::default_path(&conn.context, &grant.id) {
        let _ = std::fs::remove_file(path);
    }
    println!("Ended request {}: its credential is refused from its next API call.", terminal(&grant.id));
    Ok(())
}
