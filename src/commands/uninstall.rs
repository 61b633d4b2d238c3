//! `uninstall`: the equivalent of `helm uninstall` — every support binding first (so revocation
//! is immediate), then the roles, flow control and policy the plugin created; Helm's are left.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams};

use crate::bindings::revoke_everything;
use crate::cli::{GlobalArgs, UninstallArgs};
use crate::cluster::{Connection, Target};
use crate::error::Result;
use crate::history::{self, EventKind, HistoryEvent};
use crate::prompt::confirm;
use crate::roles;
use crate::state;

pub async fn run(global: &GlobalArgs, args: &UninstallArgs) -> Result<()> {
    let conn = Connection::open(global, &Target::default()).await?;
    confirm(global, &format!("Remove support access from {:?}, revoking every running session?", conn.context))?;
    let by = conn.whoami().await?;
    // Who may ask and answer goes first, so nobody makes a request while the rest is removed.
    let mut parties = Vec::new();
    crate::requesters::uninstall(&conn, &mut parties).await?;
    let grants = revoke_everything(&conn).await?;
    for object in &parties {
        crate::outln!("Deleted {object}.");
    }
    crate::outln!("Deleted {} support request(s) and their bindings.", grants.valid.len() + grants.invalid.len());
    let mut guards = Vec::new();
    // Before the policy ConfigMap, which never says less than the guards enforce.
    crate::admission::remove(&conn, &crate::admission::ALL, &mut guards).await?;
    for object in &guards {
        crate::outln!("Deleted {object}.");
    }
    if !guards.is_empty() && !crate::enforce::wait(&conn, None).await? {
        crate::output::warn(&format!(
            "the API server still applied the removed admission guards after {}",
            crate::duration::format_duration(crate::enforce::IN_FORCE_WITHIN)
        ));
    }
    let (deleted, helm) = roles::uninstall(&conn).await?;
    for object in &deleted {
        crate::outln!("Deleted {object}.");
    }
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &conn.namespace);
    for name in [state::POLICY_CONFIGMAP].into_iter().chain(args.purge.then_some(state::HISTORY_CONFIGMAP)) {
        match conn.call(api.delete(name, &DeleteParams::default())).await {
            Ok(_) => crate::outln!("Deleted ConfigMap {}/{name}.", conn.namespace),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
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
            "Kept the history in ConfigMap {}/{} (delete it with --purge).",
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
