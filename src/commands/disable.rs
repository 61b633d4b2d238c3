//! `disable`: no new requests and no renewals; running sessions drain to their current
//! credential's expiry. `--now` deletes every support binding at once (immediate revocation).

use chrono::Utc;

use crate::admission::{InstalledGuards, REQUESTS};
use crate::bindings::revoke_everything;
use crate::cli::{DisableArgs, GlobalArgs, OutputFormat};
use crate::cluster::{Connection, Target};
use crate::commands::ask_on_terminal;
use crate::error::Result;
use crate::history::{self, EventKind, HistoryEvent};
use crate::lifecycle::drain_requests;
use crate::output::print_structured;
use crate::policy::{Policy, Role, update_policy};
use crate::proof::{GuardState, wait_for_guard};

pub async fn run(global: &GlobalArgs, args: &DisableArgs) -> Result<()> {
    let conn = Connection::open(global, &Target { cluster: args.target.cluster.clone() }).await?;
    // Plain disable is reversible and never asks; revoking every session at once asks first.
    if args.now {
        let question =
            format!("Disable support access on {:?} and revoke every running support session now?", conn.context);
        ask_on_terminal(global, &question)?;
    }
    crate::sweep::lazy(&conn).await?;
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
    let (change, revoked, drained) = if args.now {
        // Bindings first, policy after: an interrupted `disable --now` never leaves the policy
        // saying disabled while support bindings remain; a second pass catches racing requests.
        let grants = revoke_everything(&conn).await?;
        let change = update_policy(&conn, disabled(&by)).await?;
        guard_sees_disabled(&conn, &by, &change.after).await?;
        revoke_everything(&conn).await?;
        let events: Vec<HistoryEvent> =
            grants.valid.iter().map(|g| HistoryEvent::request(EventKind::Revoked, g, &by, "disable --now")).collect();
        history::record(&conn, &events).await?;
        (change, grants.valid.len() + grants.invalid.len(), Vec::new())
    } else {
        let change = update_policy(&conn, disabled(&by)).await?;
        guard_sees_disabled(&conn, &by, &change.after).await?;
        (change, 0, drain_requests(&conn, &by, |_| true, "support access disabled").await?)
    };
    let detail = if args.now {
        format!("--now: {revoked} request(s) revoked")
    } else {
        format!("{} request(s) drain", drained.len())
    };
    history::record(&conn, &[HistoryEvent::policy(EventKind::Disabled, &by, detail)]).await?;

    match global.output {
        Some(format @ (OutputFormat::Json | OutputFormat::Yaml)) => print_structured(
            &serde_json::json!({ "context": conn.context, "policy": change.after, "revoked": revoked, "drained": drained }),
            format,
        ),
        _ => {
            println!("Support access disabled on context {:?}: no new requests and no renewals.", conn.context);
            if args.now {
                println!("Revoked {revoked} request(s) now: their credentials are refused from their next API call.");
            } else if drained.is_empty() {
                println!("No running session needed draining.");
            } else {
                println!(
                    "{} running session(s) drain: each ends when its current credential expires. Use `disable --now` to end them at once.",
                    drained.len()
                );
            }
            Ok(())
        }
    }
}

/// Waits until the API server's requests guard refuses new support bindings, so that nothing a
/// racing `request` or `renew` writes after this point lands: the second pass of `--now` and the
/// drain then see everything there will be. Skipped when the guard is not in force.
async fn guard_sees_disabled(conn: &Connection, by: &str, policy: &Policy) -> Result<()> {
    let guards = InstalledGuards::read(conn).await?.status(&conn.namespace, policy.guardrails);
    if !guards.in_force.iter().any(|g| g == REQUESTS) {
        return Ok(());
    }
    let role = policy.enabled_roles.first().copied().unwrap_or(Role::Readonly);
    if !wait_for_guard(conn, by, role, GuardState::SeesDisabled).await? {
        crate::output::warn("the API server's admission guard did not yet refuse new support bindings after 10s");
    }
    Ok(())
}
