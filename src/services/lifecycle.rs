//! Ending requests, shared by the commands: draining (bringing a request's end forward to its
//! current credential's expiry) and revoking (deleting every binding of its group now), each
//! recorded.

use chrono::Utc;
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding};
use kube::api::{Api, DeleteParams, ListParams};

use crate::base::error::Result;
use crate::cluster::Connection;
use crate::cluster::bindings::delete_refs;
use crate::cluster::history;
use crate::cluster::records::annotate;
use crate::output::rfc3339;
use crate::services::census::{Grants, Scan};
use crate::state::history::{EventKind, HistoryEvent};
use crate::state::record::Grant;
use crate::state::{self, annotations as ann};

/// Brings the end of every live request that `selects` forward to its current credential's expiry
/// (now, if it has none), so nothing outlives what was already minted; one bound to its
/// requester's own user (identity own) is revoked now. Returns the revoked ids and the drained ids.
pub async fn drain_requests(
    conn: &Connection,
    by: &str,
    selects: impl Fn(&Grant) -> bool,
    why: &str,
) -> Result<(Vec<String>, Vec<String>)> {
    let now = Utc::now();
    let grants = Grants::read(conn, Scan::Managed).await?;
    let (own, minted): (Vec<&Grant>, Vec<&Grant>) =
        grants.live(now).into_iter().filter(|g| selects(g)).partition(|g| g.user.is_some());
    // A request bound to its requester's own user has no credential of the plugin's to run out:
    // it ends now.
    let detail = format!("{why}; it bound its requester's own user, which no credential's expiry ends");
    let ended = end_requests(conn, by, &own, &grants, EventKind::Revoked, &detail).await?;
    let mut events = Vec::new();
    for grant in minted {
        let end = grant.credential_expires_at.unwrap_or(now).min(grant.expires_at).max(now);
        if end >= grant.expires_at {
            continue;
        }
        annotate(conn, grant, &[(ann::EXPIRES_AT, rfc3339(end))]).await?;
        let detail = format!("{why}; now ends at {} (its current credential's expiry)", rfc3339(end));
        events.push(HistoryEvent::request(EventKind::Drained, grant, by, detail));
    }
    history::record(conn, &events).await?;
    Ok((ended, events.into_iter().filter_map(|e| e.id).collect()))
}

/// Deletes every binding of these requests' groups now and records `event` for each whose record
/// was still there. `listing` must hold every binding; a partial one is read again in full.
pub async fn end_requests(
    conn: &Connection,
    by: &str,
    grants: &[&Grant],
    listing: &Grants,
    event: EventKind,
    detail: &str,
) -> Result<Vec<String>> {
    if grants.is_empty() {
        return Ok(Vec::new());
    }
    let listing = &*listing.with_every_binding(conn).await?;
    let deleted = futures::future::try_join_all(
        grants.iter().map(|g| async move { revoke_group(conn, &g.id, listing).await.map(|found| (g, found)) }),
    )
    .await?;
    // Their local credentials are worthless now: none is left looking valid.
    for grant in grants {
        crate::cluster::credential::forget(conn, &grant.id);
    }
    let events: Vec<HistoryEvent> = deleted
        .into_iter()
        .filter(|(_, found)| *found)
        .map(|(grant, _)| HistoryEvent::request(event, grant, by, detail))
        .collect();
    history::record(conn, &events).await?;
    Ok(events.into_iter().filter_map(|e| e.id).collect())
}

/// Deletes every binding of a request's ServiceAccount — its record, its companions, and any other
/// binding whose subjects name a ServiceAccount of its id or that claims its id — from a listing of
/// every binding, then its ServiceAccounts. Returns whether its record was still there.
pub async fn revoke_group(conn: &Connection, id: &str, listing: &Grants) -> Result<bool> {
    debug_assert!(listing.is_complete(), "revocation needs every binding, not only the managed ones");
    let refs = listing.bindings_of(id);
    let deleted = delete_refs(conn, &refs).await?;
    // Bindings first (403 at once), then the ServiceAccount (its tokens 401 within seconds).
    crate::cluster::credential::delete_accounts(conn, &[id]).await?;
    Ok(deleted.iter().any(|r| r.name == state::binding_name(id)))
}

/// Revokes every request at once: every managed binding, and every other binding whose subjects
/// hold a request's group. Returns the listing read before (what was there).
pub async fn revoke_everything(conn: &Connection) -> Result<Grants> {
    let listing = Grants::read(conn, crate::services::census::Scan::All).await?;
    delete_all_bindings(conn).await?;
    delete_refs(conn, &listing.all_request_bindings()).await?;
    crate::cluster::credential::delete_all_accounts(conn).await?;
    for grant in &listing.valid {
        crate::cluster::credential::forget(conn, &grant.id);
    }
    Ok(listing)
}

/// Deletes every managed binding of a request in the cluster (labelled with a request id: never
/// the bindings of who may ask and who may answer, which only `uninstall` removes): one collection
/// delete for the ClusterRoleBindings, one per namespace for the RoleBindings.
async fn delete_all_bindings(conn: &Connection) -> Result<()> {
    let selector = ListParams::default().labels(&format!("{},{}", state::MANAGED_SELECTOR, state::REQUEST_ID_LABEL));
    let cluster_api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
    conn.call(cluster_api.delete_collection(&DeleteParams::default(), &selector)).await?;
    let namespaced = conn.call(Api::<RoleBinding>::all(conn.client.clone()).list(&selector)).await?;
    let mut namespaces: Vec<String> = namespaced.items.iter().filter_map(|b| b.metadata.namespace.clone()).collect();
    namespaces.sort();
    namespaces.dedup();
    futures::future::try_join_all(namespaces.iter().map(|ns| {
        let api: Api<RoleBinding> = Api::namespaced(conn.client.clone(), ns);
        let selector = selector.clone();
        async move { conn.call(api.delete_collection(&DeleteParams::default(), &selector)).await.map(|_| ()) }
    }))
    .await?;
    Ok(())
}
