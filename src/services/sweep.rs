//! The expiry sweep that replaces a server: deletes requests past their end and records that
//! cannot be trusted, and notices requests whose binding someone else deleted. Run explicitly by
//! `sweep`, and lazily by every other command (silently skipped when the caller may not delete).

use chrono::{DateTime, Utc};
use kube::api::Api;
use serde::Serialize;

use crate::base::error::{ErrorKind, Result};
use crate::cluster::Connection;
use crate::cluster::access::{Permission, caller_can};
use crate::cluster::bindings::delete_refs;
use crate::cluster::history;
use crate::output::rfc3339;
use crate::services::census::{Grants, Scan};
use crate::services::lifecycle::end_requests;
use crate::state::history::{EventKind, HistoryEvent};
use crate::state::record::InvalidGrant;

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub expired: Vec<String>,
    /// Requests their requesters ended (`end`), whose records the sweep deleted.
    pub ended: Vec<String>,
    /// The untrusted bindings deleted ("ClusterRoleBinding crusoe-support-x-backdoor").
    pub invalid: Vec<String>,
    pub removed_out_of_band: Vec<String>,
    /// Live requests made with no history line (with plain kubectl), recorded by the sweep.
    pub unrecorded: Vec<String>,
    /// Live requests whose record someone else wrote (plain kubectl), recorded by the sweep.
    pub changed_out_of_band: Vec<String>,
    /// The trail's closed parts the owner's `sweep` made immutable.
    pub sealed: Vec<String>,
    /// The request ids (and why) whose objects were deleted as untrusted.
    #[serde(skip)]
    pub untrusted: Vec<(String, String)>,
}

impl SweepReport {
    pub fn is_empty(&self) -> bool {
        self.expired.is_empty()
            && self.ended.is_empty()
            && self.invalid.is_empty()
            && self.removed_out_of_band.is_empty()
            && self.unrecorded.is_empty()
            && self.changed_out_of_band.is_empty()
            && self.sealed.is_empty()
    }
}

/// Who is sweeping, asked of the API server only when there is something to record.
struct Sweeper<'a> {
    conn: &'a Connection,
    by: Option<String>,
}

impl Sweeper<'_> {
    async fn by(&mut self) -> Result<String> {
        if self.by.is_none() {
            self.by = Some(self.conn.whoami().await?);
        }
        Ok(self.by.clone().unwrap_or_default())
    }
}

/// The history, read *before* the bindings are listed: `request` creates its binding before it
/// records `requested`, so a request the history shows as live is always in a later listing unless
/// someone removed it.
pub struct HistoryFirst(Vec<HistoryEvent>);

impl HistoryFirst {
    /// The part of the trail that can show a request live now: lines since the longest a request
    /// lives (the policy's maxDuration, after at most pendingTTL waiting) and a day, at least
    /// [`HISTORY_WINDOW`] — not the whole year, whose length no command's cost may follow.
    pub async fn read(conn: &Connection) -> Result<HistoryFirst> {
        let policy = crate::cluster::policy::read_stored_policy(conn).await?.ok().flatten();
        let window = policy
            .map(|p| p.max_duration + p.pending_ttl + std::time::Duration::from_secs(86_400))
            .unwrap_or_default()
            .max(HISTORY_WINDOW);
        let since = crate::base::duration::before(Utc::now(), window);
        Ok(HistoryFirst(history::read(conn, since).await?.0))
    }
}

/// The least of the trail a sweep reads.
pub const HISTORY_WINDOW: std::time::Duration = std::time::Duration::from_secs(8 * 86_400);

/// Sweeps what `grants` shows; given the history read before `grants` was listed, also records
/// requests removed out of band and deletes ServiceAccounts left by dead requests.
pub async fn sweep(
    conn: &Connection,
    grants: &Grants,
    out_of_band: Option<&HistoryFirst>,
    now: DateTime<Utc>,
) -> Result<SweepReport> {
    let mut sweeper = Sweeper { conn, by: None };
    let mut report = SweepReport::default();
    let expired: Vec<_> = grants.valid.iter().filter(|g| !g.is_live(now)).collect();
    if !expired.is_empty() {
        let by = sweeper.by().await?;
        // Revocation needs every binding: read them once for all the expired requests.
        let listing = &*grants.with_every_binding(conn).await?;
        for grant in &expired {
            if grant.ended_by_requester() {
                let detail = format!("its requester ended it at {}; record deleted", rfc3339(grant.expires_at));
                report.ended.extend(end_requests(conn, &by, &[grant], listing, EventKind::Ended, &detail).await?);
                continue;
            }
            let detail = match grant.credential_expires_at {
                None if grant.pending => format!(
                    "no answer from the owner by {} (requested at {})",
                    rfc3339(grant.end()),
                    rfc3339(grant.requested_at)
                ),
                Some(_) => format!("past its end at {}", rfc3339(grant.expires_at)),
                None => format!("abandoned before its first credential (requested at {})", rfc3339(grant.requested_at)),
            };
            report.expired.extend(end_requests(conn, &by, &[grant], listing, EventKind::Expired, &detail).await?);
        }
    }
    // Only what wears the managed label is deleted; a foreign object is reported, never touched.
    for invalid in grants.invalid.iter().filter(|g| g.managed) {
        let by = sweeper.by().await?;
        if !delete_refs(conn, &[invalid.reference()]).await?.is_empty() {
            history::record(conn, &[invalid_event(invalid, &by)]).await?;
            report.invalid.push(invalid.reference().describe());
            if let Some(id) = &invalid.id {
                report.untrusted.push((id.clone(), invalid.problem.clone()));
            }
        }
    }
    report.changed_out_of_band = record_changed_out_of_band(conn, &mut sweeper, out_of_band, grants, now).await?;
    if let Some(history) = out_of_band {
        report.unrecorded = record_unrecorded(conn, &mut sweeper, &history.0, grants, now).await?;
        report.removed_out_of_band = record_out_of_band(conn, &mut sweeper, &history.0, grants).await?;
        delete_stray_accounts(conn, grants, now).await?;
    }
    Ok(report)
}

/// The owner's side makes the trail's closed parts of the last week immutable
/// ([`history::seal_closed`]); a party's sweep leaves them (its guard keeps a part as it was, and
/// it may not delete ConfigMaps, which is how the owner is told from it).
pub async fn seal_trail(conn: &Connection) -> Result<Vec<String>> {
    let owner = Permission::new("delete", "", "configmaps").within(&conn.namespace);
    match caller_can(conn, std::slice::from_ref(&owner)).await?.first() {
        Some(true) => history::seal_closed(conn).await,
        _ => Ok(Vec::new()),
    }
}

/// The lazy sweep run before other commands: label-selected, quiet, and skipped when the caller
/// may not list or delete bindings. A glance at the API server's watch cache first: when it shows
/// nothing to sweep (the usual case) nothing waits for a consistent read. Returns what it did.
pub async fn lazy(conn: &Connection) -> Result<SweepReport> {
    // A server dry run stores nothing, so a sweep in it would report what it did not do.
    if conn.is_dry_run() {
        return Ok(SweepReport::default());
    }
    let swept = async {
        let history = HistoryFirst::read(conn).await?;
        let now = Utc::now();
        let glance = Grants::read(conn, Scan::ManagedCached).await?;
        if !has_work(conn, &glance, &history, now).await? {
            return Ok(SweepReport::default());
        }
        let grants = Grants::read(conn, Scan::Managed).await?;
        sweep(conn, &grants, Some(&history), now).await
    };
    quietly(swept.await)
}

/// The lazy sweep of a listing just read in full (`get`): no extra call unless something has to go.
pub async fn of_listing(conn: &Connection, grants: &Grants) -> Result<SweepReport> {
    quietly(sweep(conn, grants, None, Utc::now()).await)
}

/// A lazy sweep's end: a caller that may not sweep is no failure; what was swept is said on
/// stderr (or kept for a fleet's summary).
fn quietly(swept: Result<SweepReport>) -> Result<SweepReport> {
    match swept {
        Err(e) if e.kind == ErrorKind::Forbidden => Ok(SweepReport::default()),
        Err(e) => Err(e),
        Ok(report) => {
            if !report.is_empty() && !crate::output::capture(&describe(&report)) {
                eprintln!("{}", describe(&report));
            }
            Ok(report)
        }
    }
}

/// Whether a sweep of what `grants` shows would do anything: an ended request, an untrusted
/// binding it may delete, a request the history shows live that the listing lacks, or a stray
/// ServiceAccount.
async fn has_work(conn: &Connection, grants: &Grants, history: &HistoryFirst, now: DateTime<Utc>) -> Result<bool> {
    let listed: std::collections::BTreeSet<&str> = grants
        .valid
        .iter()
        .map(|g| g.id.as_str())
        .chain(grants.invalid.iter().filter_map(|g| g.id.as_deref()))
        .collect();
    Ok(grants.valid.iter().any(|g| !g.is_live(now))
        || grants.invalid.iter().any(|g| g.managed)
        || !unrecorded(&history.0, grants, now).is_empty()
        || live_in_history(&history.0).iter().any(|(id, _)| !listed.contains(id.as_str()))
        || !untold_changes(&history.0, &changed(grants, now)).is_empty()
        || !stray_accounts(conn, grants, now, true).await?.is_empty())
}

/// One line for a person, escaped for the terminal: the ids come from the cluster and the history.
pub fn describe(report: &SweepReport) -> String {
    let mut parts = Vec::new();
    let said = [
        (&report.expired, "removed {} expired request(s)"),
        (&report.ended, "removed {} request(s) their requesters ended"),
        (&report.invalid, "removed {} binding(s) that cannot be trusted"),
        (&report.removed_out_of_band, "recorded {} request(s) removed by someone else"),
        (&report.unrecorded, "recorded {} request(s) made without a history line"),
        (&report.changed_out_of_band, "recorded {} request(s) whose record someone else changed"),
        (&report.sealed, "made {} closed part(s) of the trail immutable"),
    ];
    for (items, what) in said.into_iter().filter(|(items, _)| !items.is_empty()) {
        parts.push(format!("{}: {}", what.replace("{}", &items.len().to_string()), items.join(", ")));
    }
    if parts.is_empty() {
        "sweep: nothing to do".to_string()
    } else {
        crate::output::terminal(&format!("sweep: {}", parts.join("; "))).into_owned()
    }
}

fn invalid_event(invalid: &InvalidGrant, by: &str) -> HistoryEvent {
    HistoryEvent {
        id: invalid.id.clone(),
        ..HistoryEvent::policy(
            EventKind::Invalid,
            by,
            format!("binding {} cannot be trusted ({}); deleted", invalid.name, invalid.problem),
        )
    }
}

/// How long a new record may go without its `requested` line: `request` writes it right after the
/// record and the first credential.
const UNRECORDED_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// The records the history has never heard of, made at least [`UNRECORDED_AFTER`] ago: access
/// taken with plain kubectl, which the sweep puts on the record (a requester cannot delete a
/// record, so none escapes it).
fn unrecorded<'a>(
    events: &[HistoryEvent],
    grants: &'a Grants,
    now: DateTime<Utc>,
) -> Vec<&'a crate::state::record::Grant> {
    let known: std::collections::BTreeSet<&str> = events.iter().filter_map(|e| e.id.as_deref()).collect();
    grants
        .valid
        .iter()
        .filter(|g| g.is_live(now) && !known.contains(g.id.as_str()) && now - g.requested_at >= UNRECORDED_AFTER)
        .collect()
}

async fn record_unrecorded(
    conn: &Connection,
    sweeper: &mut Sweeper<'_>,
    events: &[HistoryEvent],
    grants: &Grants,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let found = unrecorded(events, grants, now);
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let by = sweeper.by().await?;
    let detail =
        "found by the sweep: made without kubectl-supportaccess, so no history line was written when it was made";
    let lines: Vec<HistoryEvent> =
        found.iter().map(|g| HistoryEvent::request(EventKind::Requested, g, &by, detail)).collect();
    history::record(conn, &lines).await?;
    Ok(lines.into_iter().filter_map(|e| e.id).collect())
}

/// Live records whose state someone else wrote (their managed fields name another manager) get a
/// `changed-out-of-band` line, once per write: what it wrote, by which manager and when, and what
/// the record now says. The trail is read only when a record shows such a write.
async fn record_changed_out_of_band(
    conn: &Connection,
    sweeper: &mut Sweeper<'_>,
    history: Option<&HistoryFirst>,
    grants: &Grants,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let changed = changed(grants, now);
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let read;
    let events = match history {
        Some(history) => &history.0,
        None => {
            // Only a line written after the earliest of these writes can tell of them: the trail
            // since then (an hour before, for a writer's clock), not the sweep's whole window.
            let since = changed.iter().flat_map(|g| &g.changed_outside).map(|c| c.at).min().flatten();
            read = match since {
                Some(at) => HistoryFirst(history::read(conn, Some(at - chrono::TimeDelta::hours(1))).await?.0),
                None => HistoryFirst::read(conn).await?,
            };
            &read.0
        }
    };
    let mut lines = untold_changes(events, &changed);
    if lines.is_empty() {
        return Ok(Vec::new());
    }
    let by = sweeper.by().await?;
    for line in &mut lines {
        line.by = by.clone();
    }
    history::record(conn, &lines).await?;
    let mut ids: Vec<String> = lines.into_iter().filter_map(|e| e.id).collect();
    ids.dedup();
    Ok(ids)
}

/// The `changed-out-of-band` lines (without a writer) the trail lacks for these records.
fn untold_changes(events: &[HistoryEvent], changed: &[&crate::state::record::Grant]) -> Vec<HistoryEvent> {
    let mut lines = Vec::new();
    for grant in changed {
        for change in &grant.changed_outside {
            let when = change.at.map(rfc3339).unwrap_or_else(|| "an unknown time".into());
            let mark = format!("by {} at {when}", change.manager);
            let told = events.iter().any(|e| {
                e.event == EventKind::ChangedOutOfBand && e.id.as_deref() == Some(&grant.id) && e.detail.contains(&mark)
            });
            if !told {
                let detail = format!(
                    "{} written {mark}, outside kubectl-supportaccess; the record now ends at {}, scope {}, subject {}",
                    change.fields.join(", "),
                    rfc3339(grant.expires_at),
                    grant.scope.as_deref().unwrap_or("*"),
                    grant.account.as_deref().unwrap_or("none (waiting)")
                );
                lines.push(HistoryEvent::request(EventKind::ChangedOutOfBand, grant, "", detail));
            }
        }
    }
    lines
}

/// Live records that show a write by someone else.
fn changed(grants: &Grants, now: DateTime<Utc>) -> Vec<&crate::state::record::Grant> {
    grants.valid.iter().filter(|g| g.is_live(now) && !g.changed_outside.is_empty()).collect()
}

/// Requests the history says are live but whose binding is gone were removed by someone else.
async fn record_out_of_band(
    conn: &Connection,
    sweeper: &mut Sweeper<'_>,
    events: &[HistoryEvent],
    grants: &Grants,
) -> Result<Vec<String>> {
    let existing: std::collections::BTreeSet<&str> = grants
        .valid
        .iter()
        .map(|g| g.id.as_str())
        .chain(grants.invalid.iter().filter_map(|g| g.id.as_deref()))
        .collect();
    let mut missing = Vec::new();
    for (id, last) in live_in_history(events) {
        if !existing.contains(id.as_str()) {
            missing.push(HistoryEvent {
                at: Utc::now(),
                event: EventKind::RemovedOutOfBand,
                by: String::new(),
                detail: "its binding was deleted outside kubectl-supportaccess".into(),
                ..last.clone()
            });
        }
    }
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let by = sweeper.by().await?;
    for event in &mut missing {
        event.by = by.clone();
        if let Some(id) = &event.id {
            // The local credential is worthless now; do not leave it looking valid.
            crate::cluster::credential::forget(conn, id);
        }
    }
    history::record(conn, &missing).await?;
    Ok(missing.into_iter().filter_map(|e| e.id).collect())
}

/// Requests the history shows as requested and not ended, with their latest event. An ending
/// event (revoked, ended, expired, removed-out-of-band, invalid) is final even if a racing `renew`
/// appended a line after it.
pub fn live_in_history(events: &[HistoryEvent]) -> Vec<(String, &HistoryEvent)> {
    let mut last: std::collections::BTreeMap<&str, &HistoryEvent> = std::collections::BTreeMap::new();
    let mut ended = std::collections::BTreeSet::new();
    for event in events {
        if let Some(id) = &event.id {
            last.insert(id, event);
            if matches!(
                event.event,
                EventKind::Revoked
                    | EventKind::Ended
                    | EventKind::Expired
                    | EventKind::RemovedOutOfBand
                    | EventKind::Invalid
            ) {
                ended.insert(id.as_str());
            }
        }
    }
    last.into_iter()
        .filter(|(id, e)| {
            !ended.contains(id)
                && matches!(
                    e.event,
                    EventKind::Requested
                        | EventKind::Renewed
                        | EventKind::Drained
                        | EventKind::Approved
                        | EventKind::Extended
                )
        })
        .map(|(id, e)| (id.to_string(), e))
        .collect()
}

/// Deletes request ServiceAccounts no live request binds: past their end, or without a record
/// for longer than a `request` takes to write one ([`crate::state::record::ABANDONED_AFTER`]).
async fn delete_stray_accounts(conn: &Connection, grants: &Grants, now: DateTime<Utc>) -> Result<()> {
    let stray = stray_accounts(conn, grants, now, false).await?;
    let ids: Vec<&str> = stray.iter().map(String::as_str).collect();
    crate::cluster::credential::delete_accounts(conn, &ids).await
}

/// The request ids whose ServiceAccounts are stray (see [`delete_stray_accounts`]), listed from the
/// watch cache when `cached`.
async fn stray_accounts(conn: &Connection, grants: &Grants, now: DateTime<Utc>, cached: bool) -> Result<Vec<String>> {
    use k8s_openapi::api::core::v1::ServiceAccount;
    let api: Api<ServiceAccount> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let params = kube::api::ListParams::default();
    let params = if cached { params.match_any() } else { params };
    let accounts = conn.call(api.list_metadata(&params)).await?;
    let live = grants.live(now);
    let mut stray = Vec::new();
    for account in &accounts.items {
        let Some((id, end)) = account.metadata.name.as_deref().and_then(crate::state::parse_request_account) else {
            continue;
        };
        let created = account
            .metadata
            .creation_timestamp
            .as_ref()
            .and_then(|t| DateTime::from_timestamp(t.0.as_second(), 0))
            .unwrap_or(now);
        let kept = live.iter().any(|g| g.id == id) || now - created < crate::state::record::ABANDONED_AFTER;
        if end <= now || !kept {
            stray.push(id.to_string());
        }
    }
    stray.sort();
    stray.dedup();
    Ok(stray)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, kind: EventKind, at: &str) -> HistoryEvent {
        HistoryEvent { at: at.parse().unwrap(), id: Some(id.into()), ..HistoryEvent::policy(kind, "admin", "") }
    }

    #[test]
    fn a_request_is_live_in_history_until_an_ending_event() {
        let events = vec![
            event("a", EventKind::Requested, "2026-11-01T00:00:00Z"),
            event("b", EventKind::Requested, "2026-11-01T00:00:01Z"),
            event("a", EventKind::Renewed, "2026-11-01T00:00:02Z"),
            event("b", EventKind::Revoked, "2026-11-01T00:00:03Z"),
            event("c", EventKind::Requested, "2026-11-01T00:00:04Z"),
            event("c", EventKind::Drained, "2026-11-01T00:00:05Z"),
            event("d", EventKind::Requested, "2026-11-01T00:00:06Z"),
            event("d", EventKind::Expired, "2026-11-01T00:00:07Z"),
            // A renew that raced a revoke and appended after it does not bring the request back.
            event("e", EventKind::Requested, "2026-11-01T00:00:08Z"),
            event("e", EventKind::Revoked, "2026-11-01T00:00:09Z"),
            event("e", EventKind::Renewed, "2026-11-01T00:00:09Z"),
        ];
        let live: Vec<String> = live_in_history(&events).into_iter().map(|(id, _)| id).collect();
        assert_eq!(live, ["a", "c"]);
    }

    #[test]
    fn the_report_shows_planted_ids_escaped() {
        let report = SweepReport { removed_out_of_band: vec!["x\x1b]0;pwned\x07".into()], ..SweepReport::default() };
        assert_eq!(describe(&report), "sweep: recorded 1 request(s) removed by someone else: x\\u{1b}]0;pwned\\u{7}");
    }
}
