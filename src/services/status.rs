//! The status of support access on one cluster, as `get` shows it (and its fleet rows): the
//! policy, the working, pending and untrusted requests, the foreign grants, the guards and who
//! may ask and answer, read at once.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::base::error::Result;
use crate::cluster::Connection;
use crate::cluster::policy::untrusted;
use crate::services::admission::{GuardsStatus, InstalledGuards};
use crate::services::capabilities::Capabilities;
use crate::services::census::{Grants, Scan};
use crate::services::requesters::Holders;
use crate::state::policy::Policy;
use crate::state::record::{ForeignGrant, Grant, HelmRelease, InvalidGrant};
use crate::state::roles::GrantRole;

/// What `get -o json|yaml` prints: a stable shape, documented in the README.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub context: String,
    pub enabled: bool,
    /// `None` when the policy ConfigMap does not exist (never enabled).
    pub policy: Option<Policy>,
    pub active_requests: Vec<ActiveRequest>,
    /// Requests waiting for the owner's approval (policy `approval=required`), oldest first.
    pub pending_requests: Vec<PendingRequest>,
    /// Requests being made, or abandoned before their first credential (not working requests).
    pub requests_being_made: Vec<String>,
    pub invalid_requests: Vec<InvalidGrant>,
    pub foreign_grants: Vec<ForeignGrant>,
    pub helm: Option<HelmRelease>,
    /// Why the stored policy cannot be trusted, when it cannot (access is then disabled).
    pub policy_problem: Option<String>,
    /// The admission guards: in force, missing or changed; `None` when access was never enabled.
    pub guards: Option<GuardsStatus>,
    /// Support ClusterRoles that do not exist while access is enabled (requests would grant
    /// nothing): `enable` installs them, or the chart is reinstalled.
    pub missing_roles: Vec<String>,
    /// Who may request and who may approve (`enable --requesters/--approvers`).
    #[serde(flatten)]
    pub holders: Holders,
    /// Where the trail's chain stands; `None` when there is no trail.
    pub history: Option<TrailStatus>,
}

/// The trail as `get` reports it: its length, its head, and whether it is time to export and
/// prune.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailStatus {
    pub lines: u64,
    pub head: String,
    /// Set when the trail holds more lines than the policy's `trailWarnLines`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl TrailStatus {
    fn of(head: crate::state::trail::Head, policy: Option<&Policy>) -> TrailStatus {
        let limit = policy.map_or(crate::state::DEFAULT_TRAIL_WARN_LINES, |p| p.trail_warn_lines);
        TrailStatus {
            lines: head.seq,
            warning: (head.seq > limit).then(|| {
                format!(
                    "the trail holds {} lines, more than trailWarnLines ({limit}): export it (`kubectl supportaccess \
                     history --export FILE`) and prune what is exported (`history --prune --before DAY`)",
                    head.seq
                )
            }),
            head: head.hash,
        }
    }
}

/// A working request as `get` shows it: its record, and whether it is draining.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveRequest {
    #[serde(flatten)]
    pub grant: Grant,
    /// Its role is no longer allowed (access disabled, or the role withdrawn): it ends with its
    /// current credential, at `expiresAt`, and cannot be renewed.
    pub draining: bool,
    /// For a request of a ClusterRole the owner allows: what its credential can do, asked of the
    /// API server (absent when the caller may not ask).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
}

impl ActiveRequest {
    /// Its credential can remove the guards or grant itself anything.
    pub fn voids_guarantees(&self) -> bool {
        self.capabilities.as_ref().is_some_and(Capabilities::voids_guarantees)
    }
}

/// What the credential of each request of an allowed ClusterRole can do (SubjectAccessReviews as
/// its ServiceAccount, in its scope); `None` for the others, and for a caller who may not ask.
async fn powers(conn: &Connection, requests: &[ActiveRequest]) -> Result<Vec<Option<Capabilities>>> {
    let asked = requests.iter().map(|request| async move {
        let (GrantRole::Cluster(_), Some(account)) = (&request.grant.role, &request.grant.account) else {
            return Ok(None);
        };
        let ns = &conn.namespace;
        let user = crate::state::account_user(ns, account);
        let groups = [
            "system:serviceaccounts".to_string(),
            format!("system:serviceaccounts:{ns}"),
            "system:authenticated".to_string(),
        ];
        match Capabilities::of(conn, &user, &groups, request.grant.scope.as_deref()).await {
            Ok(capabilities) => Ok(Some(capabilities)),
            Err(e) if e.kind == crate::base::error::ErrorKind::Forbidden => Ok(None),
            Err(e) => Err(e),
        }
    });
    futures::future::try_join_all(asked).await
}

/// A request waiting for the owner's `approve` or `deny`: its record and how long it has waited.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingRequest {
    #[serde(flatten)]
    pub grant: Grant,
    /// Seconds since it was made.
    pub waited_seconds: i64,
    /// When it stops waiting and is swept as expired.
    pub answer_by: DateTime<Utc>,
}

impl PendingRequest {
    pub fn of(grant: &Grant, now: DateTime<Utc>) -> PendingRequest {
        PendingRequest {
            grant: grant.clone(),
            waited_seconds: (now - grant.requested_at).num_seconds().max(0),
            answer_by: grant.end(),
        }
    }
}

impl std::ops::Deref for ActiveRequest {
    type Target = Grant;

    fn deref(&self) -> &Grant {
        &self.grant
    }
}

/// Reads the policy, every binding, the guards, the support roles by name and the trail's head
/// concurrently.
pub async fn read_status(conn: &Connection) -> Result<(Status, Grants)> {
    let support_roles = crate::services::roles::names();
    let (grants, guards, missing_support, holders, head) = tokio::try_join!(
        Grants::read(conn, Scan::All),
        InstalledGuards::read(conn),
        crate::services::roles::missing(conn, &support_roles),
        Holders::read(conn),
        crate::cluster::history::head(conn)
    )?;
    let policy = grants.policy.clone();
    // Each role by name (the support roles above, at once with the rest; the allowed ones once the
    // policy names them), not every ClusterRole of the cluster.
    let allowed: Vec<&str> = policy.iter().flat_map(|p| p.cluster_roles.iter().map(|a| a.name.as_str())).collect();
    let missing_allowed = crate::services::roles::missing(conn, &allowed).await?;
    let missing_roles: Vec<String> = missing_support.into_iter().chain(missing_allowed).map(str::to_string).collect();
    let enabled = policy.as_ref().is_some_and(|p| p.enabled);
    let policy_problem = grants.policy_problem.as_ref().map(|problem| untrusted(conn, problem));
    let now = Utc::now();
    let status = Status {
        policy_problem,
        context: conn.context.clone(),
        enabled,
        missing_roles: if enabled { missing_roles } else { Vec::new() },
        active_requests: grants
            .working(now)
            .into_iter()
            .map(|grant| ActiveRequest {
                grant: grant.clone(),
                draining: !policy.as_ref().is_some_and(|p| grant.allowed_by(p)),
                capabilities: None,
            })
            .collect(),
        pending_requests: grants.pending(now).into_iter().map(|g| PendingRequest::of(g, now)).collect(),
        requests_being_made: grants.being_made(now).into_iter().map(|g| g.id.clone()).collect(),
        invalid_requests: grants.invalid.clone(),
        foreign_grants: grants.foreign.clone(),
        helm: grants.helm.clone(),
        guards: policy.as_ref().map(|p| guards.status(&conn.namespace, p)),
        history: head.map(|head| TrailStatus::of(head, policy.as_ref())),
        policy,
        holders,
    };
    let mut status = status;
    let asked = powers(conn, &status.active_requests).await?;
    for (request, capabilities) in std::iter::zip(&mut status.active_requests, asked) {
        request.capabilities = capabilities;
    }
    Ok((status, grants))
}
