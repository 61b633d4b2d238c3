//! `enable`: install the roles and flow control, write the policy, drain the requests of roles
//! that are no longer enabled.

use std::time::Duration;

use chrono::Utc;
use k8s_openapi::api::rbac::v1::Subject;

use crate::base::duration::{format_duration, parse_duration};
use crate::base::error::{Error, Result};
use crate::cli::{Approval, DryRun, EnableArgs, GlobalArgs, Switch};
use crate::cluster::access::Permission;
use crate::cluster::history;
use crate::cluster::install::{Installed, Outcome as InstallOutcome};
use crate::cluster::policy::read_policy;
use crate::cluster::{Connection, Target};
use crate::output::{self, print_structured};
use crate::services::admission;
use crate::services::admission::GuardsInstalled;
use crate::services::capabilities::Weighed;
use crate::services::census::{Grants, Scan};
use crate::services::enforce::{self, write_policy};
use crate::services::fleet::{Outcome, Plan};
use crate::services::lifecycle::end_requests;
use crate::services::requesters::{self, Holders, Party};
use crate::services::roles;
use crate::state::MIN_CREDENTIAL_TTL_SECONDS;
use crate::state::history::{EventKind, HistoryEvent};
use crate::state::is_dns_label;
use crate::state::policy::{AllowedClusterRole, Policy, Role, parse_cluster_roles, parse_roles};
use crate::state::record::Grant;
use serde::Serialize;

/// The flags, validated before anything is asked of the cluster.
struct Wanted {
    roles: Option<Vec<Role>>,
    max_duration: Option<Duration>,
    credential_ttl: Option<Duration>,
    system_namespaces: Option<Vec<String>>,
    operator_namespaces: Option<Vec<String>>,
    pending_ttl: Option<Duration>,
    requesters: Option<Vec<Subject>>,
    approvers: Option<Vec<Subject>>,
    cluster_roles: Option<Vec<AllowedClusterRole>>,
    /// `Some(None)`: cluster-wide (`--default-scope ''`).
    default_scope: Option<Option<String>>,
    /// `Some(None)`: any reason (`--reason-pattern ''`).
    reason_pattern: Option<Option<String>>,
}

/// A namespace list flag, trimmed, each a namespace name.
fn namespaces(flag: &str, list: &Option<Vec<String>>) -> Result<Option<Vec<String>>> {
    let namespaces = list
        .as_ref()
        .map(|list| list.iter().map(|ns| ns.trim().to_string()).filter(|ns| !ns.is_empty()).collect::<Vec<_>>());
    if let Some(bad) = namespaces.iter().flatten().find(|ns| !is_dns_label(ns)) {
        return Err(Error::usage(format!(
            "--{flag}: {bad:?} is not a namespace name (lowercase letters, digits and '-')"
        )));
    }
    Ok(namespaces)
}

fn validate(args: &EnableArgs) -> Result<Wanted> {
    let usage = |e: String| Error::usage(e);
    let roles = args.enabled_roles.as_ref().map(|list| parse_roles(list)).transpose().map_err(usage)?;
    if roles.as_ref().is_some_and(|r| r.is_empty()) {
        return Err(Error::usage("--enabled-roles needs at least one role: readonly, operator"));
    }
    let duration = |flag: &str, text: &Option<String>| {
        text.as_deref().map(|t| parse_duration(t).map_err(|e| Error::usage(format!("--{flag}: {e}")))).transpose()
    };
    let max_duration = duration("max-duration", &args.max_duration)?;
    if max_duration.is_some_and(|d| d < Duration::from_secs(MIN_CREDENTIAL_TTL_SECONDS)) {
        return Err(Error::usage(
            "--max-duration must be at least 10m (the shortest token the TokenRequest API issues)",
        ));
    }
    let credential_ttl = duration("credential-ttl", &args.credential_ttl)?;
    let system_namespaces = namespaces("system-namespaces", &args.system_namespaces)?;
    let operator_namespaces = namespaces("operator-namespaces", &args.operator_namespaces)?;
    let pending_ttl = duration("pending-ttl", &args.pending_ttl)?;
    if pending_ttl.is_some_and(|d| d < Duration::from_secs(60) || d > Duration::from_secs(7 * 24 * 3600)) {
        return Err(Error::usage("--pending-ttl must be between 1m and 7d"));
    }
    let subjects = |party: Party, list: &Option<Vec<String>>| {
        list.as_ref().map(|list| requesters::parse_subjects(party.flag(), list)).transpose()
    };
    let cluster_roles = args
        .cluster_roles
        .as_ref()
        .map(|list| parse_cluster_roles(list))
        .transpose()
        .map_err(|e| Error::usage(format!("--clusterroles: {e}")))?;
    let default_scope = args.default_scope.as_deref().map(str::trim).map(|ns| (!ns.is_empty()).then(|| ns.to_string()));
    if let Some(Some(bad)) = default_scope.as_ref().filter(|ns| !ns.as_deref().is_none_or(is_dns_label)) {
        return Err(Error::usage(format!(
            "--default-scope: {} is not a namespace name (lowercase letters, digits and '-')",
            output::terminal(&format!("{bad:?}"))
        )));
    }
    let reason_pattern = args.reason_pattern.as_deref().map(|p| (!p.is_empty()).then(|| p.to_string()));
    if let Some(problem) =
        reason_pattern.iter().flatten().find_map(|p| crate::state::policy::unusable_reason_pattern(p))
    {
        return Err(Error::usage(format!("--reason-pattern {problem}")));
    }
    Ok(Wanted {
        reason_pattern,
        cluster_roles,
        default_scope,
        roles,
        max_duration,
        credential_ttl,
        system_namespaces,
        operator_namespaces,
        pending_ttl,
        requesters: subjects(Party::Requester, &args.requesters)?,
        approvers: subjects(Party::Approver, &args.approvers)?,
    })
}

/// Checks the limits once the stored policy fills in what the flags left out.
fn check_limits(policy: &Policy) -> Result<()> {
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

/// Offers the roles on a terminal, the current ones preselected (readonly on a first enable), so
/// that Enter alone is Crusoe's default.
fn pick_roles(current: &[Role]) -> Result<Vec<Role>> {
    let names: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
    let preselected: Vec<bool> = Role::ALL.iter().map(|r| current.contains(r)).collect();
    let picked = dialoguer::MultiSelect::new()
        .with_prompt("Roles support may request (space to toggle, enter to accept; operator implies readonly)")
        .items(&names)
        .defaults(&preselected)
        .interact()
        .map_err(|e| Error::failed(format!("cannot read the role choice: {e}")))?;
    let chosen: Vec<&str> = picked.iter().map(|i| names[*i]).collect();
    let roles = parse_roles(&chosen).map_err(Error::usage)?;
    if roles.is_empty() {
        return Err(Error::usage("no role was chosen; nothing was changed"));
    }
    Ok(roles)
}

/// What `enable` did on one cluster: `-o json|yaml`, and a fleet's row.
#[derive(Serialize)]
pub struct Enabled {
    context: String,
    policy: Policy,
    installed: Vec<Installed>,
    guards: GuardsInstalled,
    revoked: Vec<String>,
    /// What each ClusterRole support may request can do, asked of the API server.
    cluster_roles: Vec<Weighed>,
    #[serde(flatten)]
    holders: Holders,
    #[serde(skip)]
    created_namespace: bool,
    #[serde(skip)]
    namespace: String,
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

pub async fn run(global: &GlobalArgs, args: &EnableArgs) -> Result<()> {
    let wanted = validate(args)?;
    crate::services::fleet::single_target(&args.fleet, args.target.cluster.as_ref())?;
    if args.fleet.selected() {
        crate::services::fleet::no_dry_run(&args.dry_run)?;
        // Without --enabled-roles each cluster keeps the roles it has (readonly on a first enable);
        // with roles that leave one out, requests of that role are revoked wherever it was enabled.
        let destructive = wanted.roles.as_ref().filter(|roles| roles.len() < Role::ALL.len()).map(|roles| {
            let names: Vec<&str> = roles.iter().map(|r| r.name()).collect();
            format!("Enable support access with only {}, revoking the requests of any other role", names.join(","))
        });
        // A ClusterRole list replaces each cluster's: requests of ClusterRoles left out are revoked.
        let destructive = destructive.or_else(|| {
            let allowed = wanted.cluster_roles.as_ref()?;
            let names: Vec<String> = allowed.iter().map(AllowedClusterRole::spelled).collect();
            Some(format!(
                "Enable support access allowing only ClusterRoles {}, revoking the requests of any other ClusterRole",
                output::terminal(&if names.is_empty() { "(none)".to_string() } else { names.join(",") })
            ))
        });
        let plan = Plan { command: "enable", destructive };
        let wanted = &wanted;
        // Many clusters cannot be asked one by one: a ClusterRole that voids the guarantees needs --yes.
        let asks = Asks { global, on_terminal: false };
        return crate::services::fleet::run(global, &args.fleet, plan, |conn| {
            enable(conn, args, wanted, wanted.roles.clone(), asks)
        })
        .await;
    }
    let conn = Connection::open(global, &Target { cluster: args.target.cluster.clone() }).await?;
    let on_terminal = output::stdin_is_tty() && output::stdout_is_tty() && !global.yes;
    let (roles, picked) = match wanted.roles.clone() {
        Some(roles) => (Some(roles), false),
        // Changing one setting never changes another: the roles stay as they are.
        None if other_settings_given(args) => (None, false),
        None if on_terminal => {
            let current = read_policy(&conn).await.ok().flatten();
            let stored = current.as_ref().map(|p| p.enabled_roles.as_slice()).filter(|roles| !roles.is_empty());
            (Some(pick_roles(stored.unwrap_or(&[Role::Readonly]))?), true)
        }
        // Plain `enable`, as Crusoe's: readonly.
        None => (Some(vec![Role::Readonly]), false),
    };
    // A ClusterRole or namespace that does not exist is named before anything is asked.
    check_exists(&conn, &wanted).await?;
    let conn = match args.dry_run.get() {
        DryRun::Client => return would_enable(&conn, args, &wanted, roles).await,
        DryRun::Server => conn.dry_run()?,
        DryRun::None => {
            let given_roles = roles.as_deref().filter(|_| !picked);
            confirm_withdrawal(global, &conn, given_roles, wanted.cluster_roles.as_deref()).await?;
            conn
        }
    };
    let done = enable(conn, args, &wanted, roles, Asks { global, on_terminal: true }).await?;
    match &global.output {
        Some(format) if format.is_structured() => print_structured(&done, format),
        _ => print_enabled(&done),
    }?;
    if args.dry_run.get() == DryRun::Server {
        crate::outln!(
            "Server dry run: the API server and its admission guards accepted every write; nothing was stored."
        );
    }
    Ok(())
}

/// Whether the command line sets anything besides the roles.
fn other_settings_given(args: &EnableArgs) -> bool {
    [&args.max_duration, &args.credential_ttl, &args.pending_ttl].iter().any(|v| v.is_some())
        || [&args.system_namespaces, &args.operator_namespaces, &args.requesters, &args.approvers, &args.cluster_roles]
            .iter()
            .any(|v| v.is_some())
        || args.default_scope.is_some()
        || args.approvals.is_some()
        || args.reason_pattern.is_some()
        || args.guardrails.is_some()
        || args.approval.is_some()
}

/// A role withdrawn from live requests revokes them: said in one line and asked on a terminal,
/// refused without one unless `--yes`. `roles` and `cluster_roles` are what the command line sets
/// (`None`: kept as stored).
async fn confirm_withdrawal(
    global: &GlobalArgs,
    conn: &Connection,
    roles: Option<&[Role]>,
    cluster_roles: Option<&[AllowedClusterRole]>,
) -> Result<()> {
    if roles.is_none() && cluster_roles.is_none() {
        return Ok(());
    }
    // A caller who may not list bindings learns what it lacks from enable's own permission check.
    let grants = match Grants::read(conn, Scan::Managed).await {
        Err(e) if e.kind == crate::base::error::ErrorKind::Forbidden => return Ok(()),
        read => read?,
    };
    let stored = read_policy(conn).await.ok().flatten().unwrap_or_default();
    let after = Policy {
        enabled_roles: roles.map(<[Role]>::to_vec).unwrap_or(stored.enabled_roles),
        cluster_roles: cluster_roles.map(<[AllowedClusterRole]>::to_vec).unwrap_or(stored.cluster_roles),
        ..Policy::default()
    };
    let live = grants.live(Utc::now());
    let withdrawn: Vec<&Grant> = live.into_iter().filter(|g| !after.lists(&g.role, g.scope.as_deref())).collect();
    if withdrawn.is_empty() {
        return Ok(());
    }
    let mut named: Vec<String> = withdrawn.iter().map(|g| g.role.to_string()).collect();
    named.sort();
    named.dedup();
    let ids: Vec<&str> = withdrawn.iter().map(|g| g.id.as_str()).collect();
    crate::services::prompt::confirm(
        global,
        &format!(
            "Enabling only {} withdraws {} and revokes its {} live request(s) ({}) now",
            output::terminal(&after.requestable().join(",")),
            named.join(","),
            ids.len(),
            output::terminal(&ids.join(", "))
        ),
    )
}

/// Enables access on one cluster with these roles (`None`: the ones it has, readonly at first).
/// How `enable` may ask before allowing a ClusterRole that voids the product's guarantees: on a
/// terminal (one cluster), or only through `--yes` (a fleet).
#[derive(Clone, Copy)]
struct Asks<'a> {
    global: &'a GlobalArgs,
    on_terminal: bool,
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
        pending_ttl: wanted.pending_ttl.unwrap_or(base.pending_ttl),
        approvals: args.approvals.unwrap_or(base.approvals),
        reason_pattern: wanted.reason_pattern.clone().unwrap_or(base.reason_pattern),
        api_audiences: base.api_audiences,
        cluster_roles: wanted.cluster_roles.clone().unwrap_or(base.cluster_roles),
        default_scope: wanted.default_scope.clone().unwrap_or(base.default_scope),
        updated_at: Some(Utc::now()),
        updated_by: Some(by.to_string()),
    }
}

/// What `enable` would write, writing nothing (`--dry-run=client`).
async fn would_enable(conn: &Connection, args: &EnableArgs, wanted: &Wanted, roles: Option<Vec<Role>>) -> Result<()> {
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

async fn enable(
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
    let revoked =
        end_requests(&conn, &by, &withdrawn, &before, EventKind::Revoked, "its role is no longer enabled").await?;
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
        ("approvals", policy.approvals.to_string()),
        ("pendingTTL", format_duration(policy.pending_ttl)),
        ("reasonPattern", policy.reason_pattern.clone().unwrap_or_default()),
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
async fn check_exists(conn: &Connection, wanted: &Wanted) -> Result<()> {
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

fn print_enabled(done: &Enabled) -> Result<()> {
    let (policy, guards, holders) = (&done.policy, &done.guards, &done.holders);
    if done.created_namespace {
        crate::outln!("Namespace {}: created", done.namespace);
    }
    for item in done.installed.iter().chain(&guards.installed) {
        let outcome = match item.outcome {
            InstallOutcome::Created => "created",
            InstallOutcome::Unchanged => "up to date",
            InstallOutcome::Repaired => "repaired (its rules had drifted from the expected ones)",
            InstallOutcome::Updated => "updated to enforce this policy",
            InstallOutcome::HelmManaged => "managed by Helm, used as it is",
        };
        crate::outln!("{} {}: {outcome}", item.kind, item.name);
    }
    for removed in &guards.removed {
        crate::outln!("{removed}: removed (guardrails off)");
    }
    if !guards.available {
        crate::outln!(
            "Admission guards: not available on this server (ValidatingAdmissionPolicy v1 needs Kubernetes 1.30); \
             the policy is kept by this plugin's own checks only."
        );
    }
    crate::outln!(
        "Support access enabled on context {:?}: roles {}; requests last at most {}; credentials live {}.",
        done.context,
        policy.enabled_roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(", "),
        format_duration(policy.max_duration),
        format_duration(policy.credential_ttl)
    );
    for weighed in &done.cluster_roles {
        crate::outln!("Support may also request {}.", weighed.describe());
    }
    if let Some(scope) = &policy.default_scope {
        crate::outln!("A request without --scope is made in namespace {scope}.");
    }
    if policy.approval_required {
        let approvers = match policy.approvals {
            1 => String::new(),
            n => format!(" by {n} approvers other than its requester"),
        };
        crate::outln!(
            "Each request waits for approval{approvers} (`kubectl supportaccess approve ID`) for at most {}.",
            format_duration(policy.pending_ttl)
        );
    }
    if let Some(pattern) = &policy.reason_pattern {
        crate::outln!("Each request's reason must match {}.", output::terminal(&format!("{pattern:?}")));
    }
    crate::outln!("{}.", output::terminal(&holders.describe()));
    if !done.revoked.is_empty() {
        crate::outln!(
            "Revoked {} request(s) of roles no longer enabled: {}.",
            done.revoked.len(),
            done.revoked.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(roles: Option<&str>, max: Option<&str>, ttl: Option<&str>) -> EnableArgs {
        EnableArgs {
            target: Default::default(),
            fleet: Default::default(),
            dry_run: Default::default(),
            enabled_roles: roles.map(|r| vec![r.to_string()]),
            max_duration: max.map(str::to_string),
            credential_ttl: ttl.map(str::to_string),
            system_namespaces: None,
            operator_namespaces: None,
            guardrails: None,
            approval: None,
            pending_ttl: None,
            approvals: None,
            reason_pattern: None,
            requesters: None,
            approvers: None,
            cluster_roles: None,
            default_scope: None,
        }
    }

    #[test]
    fn invalid_flags_are_usage_errors_naming_what_is_accepted() {
        let error = validate(&args(Some("admin"), None, None)).err().unwrap();
        assert_eq!(error.exit_code(), 2);
        assert!(error.message.contains("readonly and operator"));
        assert!(validate(&args(None, Some("forever"), None)).err().unwrap().message.contains("--max-duration"));
        assert!(validate(&args(None, None, Some("1y"))).err().unwrap().message.contains("--credential-ttl"));
        assert_eq!(validate(&args(Some(""), None, None)).err().unwrap().exit_code(), 2);
    }

    #[test]
    fn credential_ttl_is_at_least_10m_and_at_most_the_max_duration() {
        let policy = |ttl: u64, max: u64| Policy {
            credential_ttl: Duration::from_secs(ttl),
            max_duration: Duration::from_secs(max),
            ..Policy::default()
        };
        assert!(check_limits(&policy(599, 3600)).unwrap_err().message.contains("at least 10m"));
        assert!(check_limits(&policy(7200, 3600)).unwrap_err().message.contains("longer than"));
        assert!(check_limits(&policy(600, 600)).is_ok());
    }
}
