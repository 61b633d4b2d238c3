//! Ending requests, shared by the commands: draining (bringing a request's end forward to its
//! current credential's expiry) and revoking (deleting every binding of its group now), each
//! recorded.

use chrono::Utc;

use crate::base::error::Result;
use crate::cluster::Connection;
use crate::cluster::bindings::{annotate, revoke_group};
use crate::output::rfc3339;
use crate::services::history::{self, EventKind, HistoryEvent};
use crate::services::record::{Grant, Grants, Scan};
use crate::state::annotations as ann;

/// Brings the end of every live request that `selects` forward to its current credential's expiry
/// (now, if it has none), so nothing outlives what was already minted. Returns the drained ids.
pub async fn drain_requests(
    conn: &Connection,
    by: &str,
    selects: impl Fn(&Grant) -> bool,
    why: &str,
) -> Result<Vec<String>> {
    let now = Utc::now();
    let grants = Grants::read(conn, Scan::Managed).await?;
    let mut events = Vec::new();
    for grant in grants.live(now).into_iter().filter(|g| selects(g)) {
        let end = grant.credential_expires_at.unwrap_or(now).min(grant.expires_at).max(now);
        if end >= grant.expires_at {
            continue;
        }
        annotate(conn, grant, &[(ann::EXPIRES_AT, rfc3339(end))]).await?;
        let detail = format!("{why}; now ends at {} (its current credential's expiry)", rfc3339(end));
        events.push(HistoryEvent::request(EventKind::Drained, grant, by, detail));
    }
    history::record(conn, &events).await?;
    Ok(events.into_iter().filter_map(|e| e.id).collect())
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
