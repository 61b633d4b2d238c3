//! Enabling support access on one cluster: the policy `enable` writes over the stored one, the
//! checks before the first write (limits, rights, the ClusterRoles it names, what an allowed
//! ClusterRole can do), then the install — namespace, roles, flow control, parties, guards,
//! policy — and the revocation of what the new policy no longer allows.

use std::time::Duration;

use chrono::Utc;
use k8s_openapi::api::rbac::v1::Subject;

use crate::base::duration::format_duration;
use crate::base::error::{Error, Result};
use crate::cli::{Approval, EnableArgs, GlobalArgs, Identity, Switch};
use crate::cluster::Connection;
use crate::cluster::access::Permission;
use crate::cluster::history;
use crate::cluster::install::{Installed, Outcome as InstallOutcome};
use crate::cluster::policy::read_policy;
use crate::output::{self};
use crate::services::admission;
use crate::services::admission::GuardsInstalled;
use crate::services::capabilities::Weighed;
use crate::services::census::{Grants, Scan};
use crate::services::enforce::{self, write_policy};
use crate::services::fleet::Outcome;
use crate::services::lifecycle::end_requests;
use crate::services::requesters::{self, Holders};
use crate::services::roles;
use crate::state::MIN_CREDENTIAL_TTL_SECONDS;
use crate::state::history::{EventKind, HistoryEvent};
use crate::state::policy::Policy;
use crate::state::record::Grant;
use crate::state::roles::{AllowedClusterRole, Role};
use serde::Serialize;

/// The flags, validated before anything is asked of the cluster.
pub struct Wanted {
    pub roles: Option<Vec<Role>>,
    pub max_duration: Option<Duration>,
    pub credential_ttl: Option<Duration>,
    pub system_namespaces: Option<Vec<String>>,
    pub operator_namespaces: Option<Vec<String>>,
    pub pending_ttl: Option<Duration>,
    pub requesters: Option<Vec<Subject>>,
    pub approvers: Option<Vec<Subject>>,
    pub cluster_roles: Option<Vec<AllowedClusterRole>>,
    /// `Some(None)`: cluster-wide (`--default-scope ''`).
    pub default_scope: Option<Option<String>>,
    /// `Some(None)`: any reason (`--reason-pattern ''`).
    pub reason_pattern: Option<Option<String>>,
    pub trail_warn_lines: Option<u64>,
}

/// Checks the limits once the stored policy fills in what the flags left out.
pub fn check_limits(policy: &Policy) -> Result<()> {
    if policy.credential_ttl < Duration::from_secs(MIN_CREDENTIAL_TTL_SECONDS) {
        return Err(Error::usage(format!(
            "--credential-ttl {} is too short: the TokenRequest API issues tokens of at least 10m",
            format_duration(policy.credential_ttl)
        )));
    }
    if policy.credential_ttl > policy.max_duration {
        return Err(Error::usage(format!(
            "--credential-ttl {} is longer than --max-duration {}: a credential cannot outlive its request",
            format_duration(policy.credential_ttl),
            format_duration(policy.max_duration)
        )));
    }
    Ok(())
}

/// What `enable` did on one cluster: `-o json|yaml`, and a fleet's row.
#[derive(Serialize)]
pub struct Enabled {
    pub context: String,
    pub policy: Policy,
    pub installed: Vec<Installed>,
    pub guards: GuardsInstalled,
    pub revoked: Vec<String>,
    /// What each ClusterRole support may request can do, asked of the API server.
    pub cluster_roles: Vec<Weighed>,
    #[serde(flatten)]
    pub holders: Holders,
    #[serde(skip)]
    pub created_namespace: bool,
    #[serde(skip)]
    pub namespace: String,
}

impl Outcome for Enabled {
    fn detail(&self) -> String {
        let roles: Vec<&str> = self.policy.enabled_roles.iter().map(|r| r.name()).collect();
        let changed = self
            .installed
            .iter()
            .chain(&self.guards.installed)
            .filter(|i| i.outcome != InstallOutcome::Unchanged)
            .count();
        let mut detail = format!("enabled ({}); {changed} object(s) created or repaired", roles.join(","));
        if !self.revoked.is_empty() {
            detail += &format!("; {} request(s) of withdrawn roles revoked", self.revoked.len());
        }
        detail
    }
}

/// How `enable` may ask before allowing a ClusterRole that voids the product's guarantees: on a
/// terminal (one cluster), or only through `--yes` (a fleet).
#[derive(Clone, Copy)]
pub struct Asks<'a> {
    pub global: &'a GlobalArgs,
    pub on_terminal: bool,
}

/// Asks the API server what each ClusterRole the policy is about to allow can do, and before one
/// newly allowed (or newly allowed cluster-wide) that voids the guarantees, asks the owner: on a
/// terminal, or `--yes`; refused otherwise, before anything is written.
async fn weigh(
    conn: &Connection,
    allowed: &[AllowedClusterRole],
    before: &[AllowedClusterRole],
    asks: Asks<'_>,
) -> Result<Vec<Weighed>> {
    let weighed = Weighed::all(conn, allowed).await?;
    // Allowed before as widely: asked then.
    let new = |w: &&Weighed| {
        !before.iter().any(|b| b.name == w.allowed.name && (!b.namespaced_only || w.allowed.namespaced_only))
    };
    let dangerous: Vec<&Weighed> = weighed.iter().filter(|w| w.capabilities.voids_guarantees()).filter(new).collect();
    if dangerous.is_empty() {
        return Ok(weighed);
    }
    let named: Vec<String> = dangerous
        .iter()
        .map(|w| {
            let powers: Vec<&str> =
                w.capabilities.held.iter().filter(|p| p.voids_guarantees()).map(|p| p.label()).collect();
            format!("{} ({})", w.allowed.name, powers.join(", "))
        })
        .collect();
    let question = format!(
        "Allowing ClusterRole {} lets support remove the admission guards or grant itself anything, so every \
         guarantee of this product then rests on trust in support; allow it",
        output::terminal(&named.join(", "))
    );
    match asks.on_terminal {
        true => crate::services::prompt::confirm(asks.global, &question)?,
        false if asks.global.yes => {}
        false => return Err(Error::usage(format!("{question}? refusing without --yes"))),
    }
    Ok(weighed)
}

/// The roles asked for, else the stored ones, else readonly (a first `enable`, as Crusoe's).
fn stored_roles(roles: Option<Vec<Role>>, current: Option<&Policy>) -> Vec<Role> {
    roles.unwrap_or_else(|| {
        let stored = current.map(|p| p.enabled_roles.clone()).filter(|roles| !roles.is_empty());
        stored.unwrap_or(vec![Role::Readonly])
    })
}

/// The policy `enable` writes over `before`: each setting given on the command line, the rest as
/// it was.
fn desired_policy(args: &EnableArgs, wanted: &Wanted, roles: &[Role], before: Option<&Policy>, by: &str) -> Policy {
    let base = before.cloned().unwrap_or_default();
    Policy {
        enabled: true,
        enabled_roles: roles.to_vec(),
        max_duration: wanted.max_duration.unwrap_or(base.max_duration),
        credential_ttl: wanted.credential_ttl.unwrap_or(base.credential_ttl),
        system_namespaces: wanted.system_namespaces.clone().unwrap_or(base.system_namespaces),
        operator_namespaces: wanted.operator_namespaces.clone().unwrap_or(base.operator_namespaces),
        guardrails: args.guardrails.map(|g| g == Switch::On).unwrap_or(base.guardrails),
        approval_required: args.approval.map(|a| a == Approval::Required).unwrap_or(base.approval_required),
        own_identity: args.identity.map(|i| i == Identity::Own).unwrap_or(base.own_identity),
        pending_ttl: wanted.pending_ttl.unwrap_or(base.pending_ttl),
        approvals: args.approvals.unwrap_or(base.approvals),
        reason_pattern: wanted.reason_pattern.clone().unwrap_or(base.reason_pattern),
        trail_warn_lines: wanted.trail_warn_lines.unwrap_or(base.trail_warn_lines),
        api_audiences: base.api_audiences,
        cluster_roles: wanted.cluster_roles.clone().unwrap_or(base.cluster_roles),
        default_scope: wanted.default_scope.clone().unwrap_or(base.default_scope),
        updated_at: Some(Utc::now()),
        updated_by: Some(by.to_string()),
    }
}

/// What `enable` would write, writing nothing (`--dry-run=client`).
pub async fn would_enable(
    conn: &Connection,
    args: &EnableArgs,
    wanted: &Wanted,
    roles: Option<Vec<Role>>,
) -> Result<()> {
    let current = read_policy(conn).await?;
    let roles = stored_roles(roles, current.as_ref());
    let policy = desired_policy(args, wanted, &roles, current.as_ref(), "");
    check_limits(&policy)?;
    crate::outln!(
        "Would enable support access on context {:?} (dry run): roles {}; requests last at most {}; credentials live {}; \
         approval {}; nothing was written.",
        conn.context,
        roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(", "),
        format_duration(policy.max_duration),
        format_duration(policy.credential_ttl),
        crate::state::policy::approval_name(policy.approval_required)
    );
    Ok(())
}

/// Fails with exit 4, before anything is written, when the caller lacks one of these: `enable`
/// installs ClusterRoles, flow control and admission guards, which takes a cluster administrator,
/// and the error says so (naming the first permission missing).
async fn require_owner(conn: &Connection, by: &str, needed: &[Permission]) -> Result<()> {
    let allowed = crate::cluster::access::caller_can(conn, needed).await?;
    let Some((denied, _)) = needed.iter().zip(allowed).find(|(_, ok)| !ok) else {
        return Ok(());
    };
    Err(Error::new(
        crate::base::error::ErrorKind::Forbidden,
        format!(
            "forbidden: {} may not {}; nothing was changed: enable installs ClusterRoles, flow control and \
             admission guards, so it needs a cluster administrator (cluster-admin) on context {:?}",
            output::terminal(by),
            denied.describe(),
            conn.context
        ),
    )
    .with_status(403)
    .with_hint("run it with a cluster-admin context (--context), or ask the cluster's administrator to"))
}

/// Enables access on one cluster with these roles (`None`: the ones it has, readonly at first).
pub async fn enable(
    conn: Connection,
    args: &EnableArgs,
    wanted: &Wanted,
    roles: Option<Vec<Role>>,
    asks: Asks<'_>,
) -> Result<Enabled> {
    crate::services::sweep::lazy(&conn).await?;
    let current = read_policy(&conn).await.ok().flatten();
    let roles = stored_roles(roles, current.as_ref());
    let desired = |before: Option<&Policy>, by: &str| desired_policy(args, wanted, &roles, before, by);
    let resulting = desired(current.as_ref(), "");
    check_limits(&resulting)?;
    if args.approvals.is_some_and(|n| n > 1) && !resulting.approval_required {
        return Err(Error::usage(format!(
            "--approvals {} asks for approvers, but approval is not required; add --approval required",
            args.approvals.unwrap_or_default()
        )));
    }

    let by = conn.whoami().await?;
    let ns = conn.namespace.clone();
    // Every write is checked before the first one, so a denied enable leaves nothing half-done.
    let policy_writes = [
        Permission::new("create", "", "configmaps").within(&ns),
        Permission::new("update", "", "configmaps").within(&ns),
        Permission::new("get", "rbac.authorization.k8s.io", "clusterroles"),
        Permission::new("create", "rbac.authorization.k8s.io", "clusterroles"),
        Permission::new("create", "rbac.authorization.k8s.io", "clusterrolebindings"),
        Permission::new("create", "rbac.authorization.k8s.io", "roles").within(&ns),
        Permission::new("create", "rbac.authorization.k8s.io", "rolebindings").within(&ns),
        Permission::new("create", "", "serviceaccounts").within(&ns),
        Permission::new("create", "", "serviceaccounts/token").within(&ns),
        Permission::new("delete", "", "serviceaccounts").within(&ns),
    ];
    require_owner(&conn, &by, &policy_writes).await?;
    let guards_available = admission::available(&conn).await?;
    if guards_available {
        let admission = "admissionregistration.k8s.io";
        let guard_writes = [
            Permission::new("create", admission, "validatingadmissionpolicies"),
            Permission::new("update", admission, "validatingadmissionpolicies"),
            Permission::new("create", admission, "validatingadmissionpolicybindings"),
            Permission::new("update", admission, "validatingadmissionpolicybindings"),
        ];
        require_owner(&conn, &by, &guard_writes).await?;
    }
    if roles::helm_installation(&conn).await?.is_none() {
        let role_writes = [
            Permission::new("create", "rbac.authorization.k8s.io", "clusterroles"),
            Permission::new("update", "rbac.authorization.k8s.io", "clusterroles"),
            Permission::new("create", "flowcontrol.apiserver.k8s.io", "flowschemas"),
            Permission::new("create", "flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"),
        ];
        require_owner(&conn, &by, &role_writes).await?;
    }

    check_exists(&conn, wanted).await?;
    let before_roles = current.as_ref().map(|p| p.cluster_roles.clone()).unwrap_or_default();
    let cluster_roles = weigh(&conn, &desired(current.as_ref(), "").cluster_roles, &before_roles, asks).await?;
    let created_namespace = conn.ensure_namespace().await?;
    let mut installed = roles::install(&conn).await?;
    // Both parties may bind the ClusterRoles the policy is about to allow (RBAC checks `bind` on
    // every write of a binding: a requester's record, an approver's subject).
    let allowed = desired(current.as_ref(), "").cluster_roles.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
    installed.extend(requesters::install(&conn, wanted.requesters.clone(), wanted.approvers.clone(), &allowed).await?);
    let holders = Holders::read(&conn).await?;
    // Learning them makes a ServiceAccount and a token, which a dry run cannot: the stored ones.
    let api_audiences = match conn.is_dry_run() {
        true => current.as_ref().map(|p| p.api_audiences.clone()).unwrap_or_default(),
        false => crate::cluster::credential::api_audiences(&conn).await?,
    };
    // Read before the policy changes: afterwards a withdrawn role's requests no longer count as
    // trusted records.
    let before = Grants::read(&conn, Scan::All).await?;
    let enforce::Written { change, guards } =
        write_policy(&conn, |before| Policy { api_audiences: api_audiences.clone(), ..desired(before, &by) }).await?;
    if let Some(problem) = &change.repaired {
        output::warn(&format!("the stored policy could not be trusted ({problem}); it was rewritten"));
    }
    let policy = &change.after;
    let withdrawn: Vec<&Grant> = before.live(Utc::now()).into_iter().filter(|g| !g.allowed_by(policy)).collect();
    let revoked = end_requests(
        &conn,
        &by,
        &withdrawn,
        &before,
        EventKind::Revoked,
        "its role is no longer enabled, or the policy's identity no longer binds it so",
    )
    .await?;
    // Each setting as `key value`; a key whose value is empty is left out.
    let settings = [
        ("roles", policy.enabled_roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(",")),
        ("clusterRoles", policy.cluster_roles_spelled().join(",")),
        ("defaultScope", policy.default_scope.clone().unwrap_or_else(|| "*".into())),
        ("maxDuration", format_duration(policy.max_duration)),
        ("credentialTTL", format_duration(policy.credential_ttl)),
        ("systemNamespaces", policy.system_namespaces.join(",")),
        ("operatorNamespaces", policy.operator_namespaces.join(",")),
        ("approval", crate::state::policy::approval_name(policy.approval_required).to_string()),
        ("identity", crate::state::policy::identity_name(policy.own_identity).to_string()),
        ("approvals", policy.approvals.to_string()),
        ("pendingTTL", format_duration(policy.pending_ttl)),
        ("reasonPattern", policy.reason_pattern.clone().unwrap_or_default()),
        ("trailWarnLines", policy.trail_warn_lines.to_string()),
    ];
    let detail = settings
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key} {value}"))
        .collect::<Vec<_>>()
        .join("; ");
    history::record(&conn, &[HistoryEvent::policy(EventKind::Enabled, &by, detail)]).await?;
    // A written guard takes a moment to reach the API server's admission chain.
    if guards.available && !conn.is_dry_run() && !enforce::wait(&conn, Some(policy)).await? {
        output::warn(&format!(
            "the API server did not enforce this policy's admission guards within {}; run `roles --verify` to check them",
            format_duration(enforce::IN_FORCE_WITHIN)
        ));
    }

    Ok(Enabled {
        context: conn.context.clone(),
        policy: policy.clone(),
        installed,
        guards,
        revoked,
        cluster_roles,
        holders,
        created_namespace,
        namespace: ns,
    })
}

/// The ClusterRoles `--clusterroles` names and the namespace `--default-scope` names exist: a
/// request of a ClusterRole that does not would grant nothing.
pub async fn check_exists(conn: &Connection, wanted: &Wanted) -> Result<()> {
    if let Some(allowed) = &wanted.cluster_roles {
        let names: Vec<&str> = allowed.iter().map(|a| a.name.as_str()).collect();
        let missing = roles::missing(conn, &names).await?;
        if !missing.is_empty() {
            return Err(Error::usage(format!(
                "--clusterroles: ClusterRole {} does not exist on context {:?}; nothing was changed",
                output::terminal(&missing.join(", ")),
                conn.context
            )));
        }
    }
    if let Some(Some(scope)) = &wanted.default_scope {
        let api = kube::api::Api::<k8s_openapi::api::core::v1::Namespace>::all(conn.client.clone());
        if conn.call(api.get_opt(scope)).await?.is_none() {
            return Err(Error::usage(format!(
                "--default-scope: namespace {scope} does not exist on context {:?}; nothing was changed",
                conn.context
            )));
        }
    }
    Ok(())
}
