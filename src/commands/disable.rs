//! `disable`: no new requests and no renewals; running sessions drain to their current
//! credential's expiry. `--now` deletes every support binding at once (immediate revocation).

use chrono::Utc;

use crate::base::error::Result;
use crate::cli::{DisableArgs, DryRun, GlobalArgs};
use crate::cluster::history;
use crate::cluster::{Connection, Target};
use crate::output::print_structured;
use crate::services::census::{Grants, Scan};
use crate::services::enforce::{self, write_policy};
use crate::services::fleet::{Outcome, Plan};
use crate::services::lifecycle::drain_requests;
use crate::services::lifecycle::revoke_everything;
use crate::state::history::{EventKind, HistoryEvent};
use crate::state::policy::Policy;
use serde::Serialize;

/// What `disable` did on one cluster: `-o json|yaml`, and a fleet's row.
#[derive(Serialize)]
pub struct Disabled {
    context: String,
    policy: Policy,
    /// Requests revoked at once (`--now`; without it, those bound to their requesters' own users).
    revoked: usize,
    /// Requests that drain to their current credential's expiry (plain `disable`).
    drained: Vec<String>,
    #[serde(skip)]
    now: bool,
}

impl Outcome for Disabled {
    fn detail(&self) -> String {
        match self.now {
            true => format!("disabled; {} request(s) revoked now", self.revoked),
            false if self.revoked > 0 => format!(
                "disabled; {} running session(s) drain, {} own-identity request(s) revoked now",
                self.drained.len(),
                self.revoked
            ),
            false => format!("disabled; {} running session(s) drain", self.drained.len()),
        }
    }
}

pub async fn run(global: &GlobalArgs, args: &DisableArgs) -> Result<()> {
    crate::services::fleet::single_target(&args.fleet, args.target.cluster.as_ref())?;
    if args.fleet.selected() {
        crate::services::fleet::no_dry_run(&args.dry_run)?;
        // Plain disable is reversible and never asks; revoking every session at once asks once.
        let destructive =
            args.now.then(|| "Disable support access and revoke every running support session now".into());
        let plan = Plan { command: "disable", destructive };
        return crate::services::fleet::run(global, &args.fleet, plan, |conn| disable(conn, args.now)).await;
    }
    let conn = Connection::open(global, &Target { cluster: args.target.cluster.clone() }).await?;
    let dry = args.dry_run.get();
    let done = match dry {
        DryRun::Client => would_disable(conn, args.now).await?,
        DryRun::Server => disable(conn.dry_run()?, args.now).await?,
        DryRun::None => {
            if args.now {
                crate::services::prompt::confirm_revoking(global, &conn, "Disable support access").await?;
            }
            disable(conn, args.now).await?
        }
    };
    let note = dry.note();
    match &global.output {
        Some(format) if format.is_structured() => print_structured(&done, format),
        _ => {
            crate::outln!(
                "Support access disabled on context {:?}{note}: no new requests and no renewals.",
                done.context
            );
            if !args.now && done.revoked > 0 {
                crate::outln!(
                    "Revoked {} request(s) bound to their requesters' own users now{note}: no credential of theirs \
                     can drain.",
                    done.revoked
                );
            }
            if args.now {
                crate::outln!(
                    "Revoked {} request(s) now{note}: their credentials are refused from their next API call.",
                    done.revoked
                );
            } else if done.drained.is_empty() {
                crate::outln!("No running session needed draining{note}.");
            } else {
                crate::outln!(
                    "{} running session(s) drain{note}: each ends when its current credential expires. Use `disable --now` to end them at once.",
                    done.drained.len()
                );
            }
            Ok(())
        }
    }
}

/// What `disable` would do, written nowhere (`--dry-run=client`).
async fn would_disable(conn: Connection, now: bool) -> Result<Disabled> {
    let grants = Grants::read(&conn, Scan::Managed).await?;
    let policy = crate::cluster::policy::read_policy(&conn).await?.unwrap_or_default();
    let (own, live): (Vec<_>, Vec<_>) = grants.working(Utc::now()).into_iter().partition(|g| g.user.is_some());
    let live: Vec<String> = live.iter().map(|g| g.id.clone()).collect();
    let (revoked, drained) =
        if now { (grants.valid.len() + grants.invalid.len(), Vec::new()) } else { (own.len(), live) };
    Ok(Disabled { context: conn.context, policy: Policy { enabled: false, ..policy }, revoked, drained, now })
}

/// Disables access on one cluster; with `now`, revokes every request too.
async fn disable(conn: Connection, now: bool) -> Result<Disabled> {
    crate::services::sweep::lazy(&conn).await?;
    let by = conn.whoami().await?;
    conn.ensure_namespace().await?;
    let disabled = |by: &str| {
        let by = by.to_string();
        move |before: Option<&Policy>| Policy {
            enabled: false,
            updated_at: Some(Utc::now()),
            updated_by: Some(by.clone()),
            ..before.cloned().unwrap_or_default()
        }
    };
    let (enforce::Written { change, .. }, revoked, drained) = if now {
        // Bindings first, policy after: an interrupted `disable --now` never leaves the policy
        // saying disabled while support bindings remain; a second pass catches racing requests.
        let grants = revoke_everything(&conn).await?;
        let change = write_policy(&conn, disabled(&by)).await?;
        guards_see_disabled(&conn, &change).await?;
        revoke_everything(&conn).await?;
        let events: Vec<HistoryEvent> =
            grants.valid.iter().map(|g| HistoryEvent::request(EventKind::Revoked, g, &by, "disable --now")).collect();
        history::record(&conn, &events).await?;
        (change, grants.valid.len() + grants.invalid.len(), Vec::new())
    } else {
        let change = write_policy(&conn, disabled(&by)).await?;
        guards_see_disabled(&conn, &change).await?;
        let (ended, drained) = drain_requests(&conn, &by, |_| true, "support access disabled").await?;
        (change, ended.len(), drained)
    };
    let detail = match now {
        true => format!("--now: {revoked} request(s) revoked"),
        false if revoked > 0 => {
            format!("{} request(s) drain, {revoked} bound to their own users revoked", drained.len())
        }
        false => format!("{} request(s) drain", drained.len()),
    };
    history::record(&conn, &[HistoryEvent::policy(EventKind::Disabled, &by, detail)]).await?;
    Ok(Disabled { context: conn.context, policy: change.after, revoked, drained, now })
}

/// Waits until the API server enforces the disabled policy, so that nothing a racing `request` or
/// `renew` writes after this point lands: the second pass of `--now` and the drain then see
/// everything there will be. Skipped on a server without admission guards.
async fn guards_see_disabled(conn: &Connection, written: &enforce::Written) -> Result<()> {
    if written.guards.available && !conn.is_dry_run() && !enforce::wait(conn, Some(&written.change.after)).await? {
        crate::output::warn(&format!(
            "the API server's admission guards did not yet refuse new support bindings after {}",
            crate::base::duration::format_duration(enforce::IN_FORCE_WITHIN)
        ));
    }
    Ok(())
}
