//! `uninstall`: the equivalent of `helm uninstall` — every support binding first (so revocation
//! is immediate), then the roles, flow control and policy the plugin created; Helm's are left.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams};

use crate::base::error::Result;
use crate::cli::{DryRun, GlobalArgs, UninstallArgs};
use crate::cluster::history;
use crate::cluster::{Connection, Target};
use crate::services::census::{Grants, Scan};
use crate::services::lifecycle::revoke_everything;
use crate::services::prompt::confirm;
use crate::services::roles;
use crate::state;
use crate::state::history::{EventKind, HistoryEvent};

pub async fn run(global: &GlobalArgs, args: &UninstallArgs) -> Result<()> {
    let conn = Connection::open(global, &Target::default()).await?;
    let dry = args.dry_run.get();
    let note = dry.note();
    let conn = match dry {
        DryRun::Client => return would_uninstall(&conn, args.purge).await,
        DryRun::Server => conn.dry_run()?,
        DryRun::None => {
            let question = format!("Remove support access from {:?}, revoking every running session?", conn.context);
            confirm(global, &question)?;
            conn
        }
    };
    let by = conn.whoami().await?;
    // Who may ask and answer goes first, so nobody makes a request while the rest is removed.
    let mut parties = Vec::new();
    crate::services::requesters::uninstall(&conn, &mut parties).await?;
    let grants = revoke_everything(&conn).await?;
    for object in &parties {
        crate::outln!("Deleted {object}{note}.");
    }
    crate::outln!("Deleted {} support request(s) and their bindings{note}.", grants.valid.len() + grants.invalid.len());
    let mut guards = Vec::new();
    // Before the policy ConfigMap, which never says less than the guards enforce.
    crate::services::admission::remove(&conn, &crate::services::admission::ALL, &mut guards).await?;
    for object in &guards {
        crate::outln!("Deleted {object}{note}.");
    }
    if !guards.is_empty() && !conn.is_dry_run() && !crate::services::enforce::wait(&conn, None).await? {
        crate::output::warn(&format!(
            "the API server still applied the removed admission guards after {}",
            crate::base::duration::format_duration(crate::services::enforce::IN_FORCE_WITHIN)
        ));
    }
    let (deleted, helm) = roles::uninstall(&conn).await?;
    for object in &deleted {
        crate::outln!("Deleted {object}{note}.");
    }
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let mut names = vec![state::POLICY_CONFIGMAP.to_string()];
    let mut purged = None;
    if args.purge {
        let (parts, _) = history::read_parts(&conn, None).await?;
        let lines = parts.iter().flat_map(|p| p.lines.iter().map(String::as_str));
        purged = Some(crate::state::trail::Head::after(&crate::state::trail::Head::genesis(), lines));
        names.extend(parts.into_iter().map(|p| p.name));
    }
    for name in &names {
        match conn.call(api.delete(name, &DeleteParams::default())).await {
            Ok(_) => crate::outln!("Deleted ConfigMap {}/{name}{note}.", conn.namespace),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    // The purge is the first line of a new trail: what it removed, and the old chain's head.
    if let Some(head) = purged.filter(|h| h.seq > 0) {
        let detail = format!("uninstalled; the history was purged: lines 1 to {}, last hash {}", head.seq, head.hash);
        history::record(&conn, &[HistoryEvent::policy(EventKind::Removed, &by, detail)]).await?;
        crate::outln!("Recorded the purge as the first line of a new history{note}.");
    }
    if !args.purge {
        let events: Vec<HistoryEvent> = grants
            .valid
            .iter()
            .map(|g| HistoryEvent::request(EventKind::Revoked, g, &by, "uninstall"))
            .chain([HistoryEvent::policy(EventKind::Removed, &by, "uninstalled")])
            .collect();
        history::record(&conn, &events).await?;
        crate::outln!(
            "Kept the history in ConfigMaps {}/{}*{note} (delete it with --purge).",
            conn.namespace,
            state::HISTORY_CONFIGMAP
        );
    }
    for (release, chart) in helm {
        crate::outln!(
            "Left the roles of Helm release {release} ({chart}) alone; to remove them: helm uninstall {release} --namespace {}",
            conn.namespace
        );
    }
    Ok(())
}

/// What `uninstall` would remove, removing nothing (`--dry-run=client`).
async fn would_uninstall(conn: &Connection, purge: bool) -> Result<()> {
    let grants = Grants::read(conn, Scan::All).await?;
    let requests = grants.valid.len() + grants.invalid.len();
    crate::outln!(
        "Would delete, on context {:?} (dry run): the requester and approver roles and bindings, {requests} support \
         request(s) and their bindings, the admission guards, the support roles and flow control this plugin \
         created (never Helm's), and ConfigMap {}/{}.",
        conn.context,
        conn.namespace,
        state::POLICY_CONFIGMAP
    );
    match purge {
        true => crate::outln!(
            "Would delete the history, ConfigMaps {}/{}* (dry run).",
            conn.namespace,
            state::HISTORY_CONFIGMAP
        ),
        false => crate::outln!(
            "Would keep the history in ConfigMaps {}/{}* (dry run).",
            conn.namespace,
            state::HISTORY_CONFIGMAP
        ),
    }
    Ok(())
}
