//! The policy ConfigMap, read and written: what `enable` and `disable` change, what every command
//! reads first.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, PostParams};

use crate::base::error::{Error, Result};
use crate::cluster::Connection;
use crate::state;
use crate::state::policy::{Policy, PolicyError};

/// Reads the policy ConfigMap of the system namespace. `None` when it (or the namespace) does
/// not exist, which means access was never enabled.
pub async fn read_policy(conn: &Connection) -> Result<Option<Policy>> {
    read_stored_policy(conn).await?.map_err(|problem| {
        Error::failed(untrusted(conn, &problem))
            .with_hint("run `kubectl supportaccess enable` or `disable` to rewrite it")
    })
}

/// Reads the policy, keeping a policy that does not parse apart as its problem (so that `get` can
/// report it and treat access as disabled).
pub async fn read_stored_policy(conn: &Connection) -> Result<Result<Option<Policy>, PolicyError>> {
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let Some(map) = conn.call(api.get_opt(state::POLICY_CONFIGMAP)).await? else {
        return Ok(Ok(None));
    };
    Ok(Policy::from_data(&map.data.unwrap_or_default()).map(Some))
}

/// Why `-n` names no system namespace, when it names one where support access never was (neither
/// its policy nor its history is there): `-n` is the system namespace that holds support access,
/// which a kubectl user may read as the namespace they work in. A call only off the default.
pub async fn not_installed_here(conn: &Connection, policy: Option<&Policy>) -> Result<Option<Error>> {
    if policy.is_some() || conn.namespace == state::DEFAULT_NAMESPACE {
        return Ok(None);
    }
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &conn.namespace);
    if conn.call(api.get_metadata_opt(state::HISTORY_CONFIGMAP)).await?.is_some()
        || !crate::cluster::history::chunks(conn).await?.is_empty()
    {
        return Ok(None);
    }
    let ns = crate::output::terminal(&conn.namespace).into_owned();
    Ok(Some(
        Error::refused(format!(
            "refused: support access is disabled on context {:?}: nothing is installed in namespace {ns}, and -n \
             names the system namespace that holds it (by default {}), not the namespace you work in",
            conn.context,
            state::DEFAULT_NAMESPACE
        ))
        .with_hint(format!("leave out -n; to ask for access in namespace {ns} only, use `request --scope {ns}`")),
    ))
}

/// "the policy ConfigMap crusoe-system/support-access cannot be trusted: key … is …".
pub fn untrusted(conn: &Connection, problem: &PolicyError) -> String {
    format!("the policy ConfigMap {}/{} cannot be trusted: {problem}", conn.namespace, state::POLICY_CONFIGMAP)
}

/// The policy before and after an update. `before` is `None` when there was none, or when the
/// stored one could not be trusted (`repaired` then says why).
#[derive(Debug, Clone)]
pub struct PolicyChange {
    pub before: Option<Policy>,
    pub after: Policy,
    pub repaired: Option<PolicyError>,
}

/// Writes the policy computed from the stored one, with the ConfigMap's resourceVersion
/// (optimistic concurrency), retrying from a fresh read when another writer got there first.
pub async fn update_policy(conn: &Connection, change: impl Fn(Option<&Policy>) -> Policy) -> Result<PolicyChange> {
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &conn.namespace);
    for attempt in 0.. {
        let stored = conn.call(api.get_opt(state::POLICY_CONFIGMAP)).await?;
        let (before, repaired) =
            match stored.as_ref().map(|m| Policy::from_data(m.data.as_ref().unwrap_or(&BTreeMap::new()))) {
                None => (None, None),
                Some(Ok(policy)) => (Some(policy), None),
                Some(Err(problem)) => (None, Some(problem)),
            };
        let after = change(before.as_ref());
        let result = match stored {
            Some(mut map) => {
                map.data = Some(after.to_data());
                let labels = map.metadata.labels.get_or_insert_with(BTreeMap::new);
                labels.extend(state::managed_labels());
                conn.call(api.replace(state::POLICY_CONFIGMAP, &PostParams::default(), &map)).await
            }
            None => {
                let map = ConfigMap {
                    metadata: ObjectMeta {
                        name: Some(state::POLICY_CONFIGMAP.into()),
                        labels: Some(state::managed_labels()),
                        ..ObjectMeta::default()
                    },
                    data: Some(after.to_data()),
                    ..ConfigMap::default()
                };
                conn.call(api.create(&PostParams::default(), &map)).await
            }
        };
        match result {
            Ok(_) => {
                return Ok(PolicyChange { before, after, repaired });
            }
            Err(e) if e.is_conflict() && attempt < 100 => crate::base::retry::backoff(attempt).await,
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop returns")
}
