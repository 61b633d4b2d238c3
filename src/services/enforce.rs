//! Writing the policy where it is kept: into the admission guards, which the API server enforces,
//! and into the ConfigMap `support-access`, which `get` and scripts read (DESIGN.md, "Admission").
//! The guards first take the stricter of the old and the new policy, then the ConfigMap the new
//! one, then the guards the new one: tightening writes the guards first, loosening the ConfigMap
//! first, and a command stopped between two writes never leaves the API server enforcing more
//! than the ConfigMap says.

use std::time::{Duration, Instant};

use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
use kube::api::{Api, PostParams};

use crate::base::error::Result;
use crate::cluster::Connection;
use crate::cluster::policy::{PolicyChange, read_stored_policy, update_policy};
use crate::services::admission::{self, GuardsInstalled, PROBE_IN_FORCE};
use crate::state::policy::Policy;

/// How long `enable`, `disable` and `uninstall` wait for the API server to run what they wrote.
/// It compiles every guard's CEL when the guard changes: well under a second here, but a CI
/// machine running several control planes on two cores once took more than 10 s.
pub const IN_FORCE_WITHIN: Duration = Duration::from_secs(30);

/// What a policy write did.
pub struct Written {
    pub change: PolicyChange,
    pub guards: GuardsInstalled,
}

/// Writes the policy `change` computes from the stored one, to the guards and the ConfigMap.
pub async fn write_policy(conn: &Connection, change: impl Fn(Option<&Policy>) -> Policy) -> Result<Written> {
    if !admission::available(conn).await? {
        return Ok(Written { change: update_policy(conn, change).await?, guards: GuardsInstalled::unavailable() });
    }
    // A ConfigMap that is missing or cannot be trusted allows nothing (the default policy is
    // disabled, with no roles), so the interim guards then allow nothing either.
    let stored = read_stored_policy(conn).await?.ok().flatten();
    let proposed = change(stored.as_ref());
    let interim = stored.unwrap_or_default().stricter(&proposed);
    let first = admission::install(conn, &interim).await?;
    let change = update_policy(conn, change).await?;
    let mut guards = first.then(admission::install(conn, &change.after).await?);
    // Another `enable` or `disable` may have written the ConfigMap after this one did, and its
    // guards before these: the guards follow whatever the ConfigMap says once they are written.
    let mut enforced = change.after.clone();
    for _ in 0..10 {
        let now = read_stored_policy(conn).await?.ok().flatten().unwrap_or_default();
        if admission::fingerprint(&now) == admission::fingerprint(&enforced) {
            break;
        }
        guards = guards.then(admission::install(conn, &now).await?);
        enforced = now;
    }
    Ok(Written { change, guards })
}

/// Waits (at most [`IN_FORCE_WITHIN`]) until the API server's admission chain runs the guards that enforce
/// `policy` — or, with `None`, runs none of them — by dry-run probes each guard answers. False
/// when that did not happen in time.
pub async fn wait(conn: &Connection, policy: Option<&Policy>) -> Result<bool> {
    let wanted = policy.map(|p| admission::wanted(p.guardrails)).unwrap_or_default();
    let fingerprint_of = policy.cloned().unwrap_or_default();
    let api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
    let params = PostParams { dry_run: true, ..PostParams::default() };
    let deadline = Instant::now() + IN_FORCE_WITHIN;
    for guard in admission::ALL {
        let probe = admission::probe(guard, &conn.namespace, &fingerprint_of);
        // The answer must come from the write of the guard the cluster holds (another command's
        // write may follow this one's).
        let mut stamp = admission::stored_stamp(conn, guard).await?;
        loop {
            // None: the guard did not answer (it is not in the chain); Some(stale or in force).
            let answer = match conn.call(api.create(&params, &probe)).await {
                Ok(_) => None,
                Err(e) if e.message.contains(&format!("admission guard {guard}:")) => {
                    Some(e.message.contains(PROBE_IN_FORCE) && e.message.contains(&stamp))
                }
                Err(e) => return Err(e),
            };
            let answered = if wanted.contains(&guard) { answer == Some(true) } else { answer.is_none() };
            if answered {
                break;
            }
            if Instant::now() > deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            stamp = admission::stored_stamp(conn, guard).await?;
        }
    }
    Ok(true)
}
