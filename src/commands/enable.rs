//! `enable`: install the roles and flow control, write the policy, drain the requests of roles
//! that are no longer enabled.

use std::time::Duration;

use chrono::Utc;

use crate::base::duration::{format_duration, parse_duration};
use crate::base::error::{Error, Result};
use crate::cli::{DryRun, EnableArgs, GlobalArgs};
use crate::cluster::install::Outcome as InstallOutcome;
use crate::cluster::policy::read_policy;
use crate::cluster::{Connection, Target};
use crate::output::{self, print_structured};
use crate::services::census::{Grants, Scan};
use crate::services::enablement::{Asks, Enabled, Wanted, check_exists, enable, would_enable};
use crate::services::fleet::Plan;
use crate::services::requesters::{self, Party};
use crate::state::MIN_CREDENTIAL_TTL_SECONDS;
use crate::state::is_dns_label;
use crate::state::policy::Policy;
use crate::state::record::Grant;
use crate::state::roles::{AllowedClusterRole, Role, parse_cluster_roles, parse_roles};

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
        trail_warn_lines: args.trail_warn_lines,
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
            let identity = args.identity.map(|i| i == crate::cli::Identity::Own);
            confirm_withdrawal(global, &conn, given_roles, wanted.cluster_roles.as_deref(), identity).await?;
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
        || args.trail_warn_lines.is_some()
        || args.guardrails.is_some()
        || args.approval.is_some()
        || args.identity.is_some()
}

/// A role withdrawn from live requests revokes them: said in one line and asked on a terminal,
/// refused without one unless `--yes`. `roles` and `cluster_roles` are what the command line sets
/// (`None`: kept as stored).
async fn confirm_withdrawal(
    global: &GlobalArgs,
    conn: &Connection,
    roles: Option<&[Role]>,
    cluster_roles: Option<&[AllowedClusterRole]>,
    own_identity: Option<bool>,
) -> Result<()> {
    if roles.is_none() && cluster_roles.is_none() && own_identity.is_none() {
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
        own_identity: own_identity.unwrap_or(stored.own_identity),
        ..Policy::default()
    };
    let live = grants.live(Utc::now());
    let ids = |grants: &[&Grant]| {
        output::terminal(&grants.iter().map(|g| g.id.as_str()).collect::<Vec<_>>().join(", ")).into_owned()
    };
    let mut said = Vec::new();
    // Requests bound the other way: the owner switches the identity only with none live.
    let rebound: Vec<&Grant> = live.iter().copied().filter(|g| !g.fits_identity(&after)).collect();
    if !rebound.is_empty() {
        said.push(format!(
            "Switching requests to identity {} revokes the {} live request(s) bound the other way ({}) now",
            crate::state::policy::identity_name(after.own_identity),
            rebound.len(),
            ids(&rebound)
        ));
    }
    let withdrawn: Vec<&Grant> = live.into_iter().filter(|g| !after.lists(&g.role, g.scope.as_deref())).collect();
    if !withdrawn.is_empty() {
        let mut named: Vec<String> = withdrawn.iter().map(|g| g.role.to_string()).collect();
        named.sort();
        named.dedup();
        said.push(format!(
            "Enabling only {} withdraws {} and revokes its {} live request(s) ({}) now",
            output::terminal(&after.requestable().join(",")),
            named.join(","),
            withdrawn.len(),
            ids(&withdrawn)
        ));
    }
    match said.is_empty() {
        true => Ok(()),
        false => crate::services::prompt::confirm(global, &said.join("; ")),
    }
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
    if policy.own_identity {
        crate::outln!(
            "Identity own: each request binds its requester's own user and no credential is made; the API server \
             cannot expire what it did not issue, so schedule `kubectl supportaccess sweep` to end requests on time."
        );
    }
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
    use crate::services::enablement::check_limits;

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
            identity: None,
            pending_ttl: None,
            approvals: None,
            reason_pattern: None,
            trail_warn_lines: None,
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
