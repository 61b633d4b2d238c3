//! `roles`: what each support role may do; `--verify` asks the API server, for a temporary
//! request of each role, a matrix of what support can and cannot do — the live proof of
//! "What Support Cannot Access".

use k8s_openapi::api::rbac::v1::ClusterRole;
use kube::api::Api;
use serde::Serialize;

use crate::base::error::{Error, Result};
use crate::cli::{GlobalArgs, RolesArgs};
use crate::cluster::access::{Permission, subject_can};
use crate::cluster::{Connection, Target};
use crate::output::{self, print_structured};
use crate::services::census::{Grants, Scan};
use crate::services::fleet::{Outcome, Plan};
use crate::services::proof::probe::GuardProof;
use crate::services::proof::{self, IndirectPath};
use crate::services::requesters::Holders;
use crate::services::roles::definitions;
use crate::services::verify::VerifyIdentity;
use crate::state::record::{ForeignGrant, InvalidGrant};
use crate::state::roles::Role;

const USER_NAMESPACE: &str = "default";
const SYSTEM_NAMESPACE: &str = "kube-system";

/// One line of the matrix: what is asked, and whether readonly and operator should be allowed.
struct Check {
    what: &'static str,
    permission: Permission,
    readonly: bool,
    operator: bool,
}

fn check(what: &'static str, permission: Permission, readonly: bool, operator: bool) -> Check {
    Check { what, permission, readonly, operator }
}

fn matrix() -> Vec<Check> {
    let rbac = "rbac.authorization.k8s.io";
    let certs = "certificates.k8s.io";
    vec![
        check("list pods cluster-wide", Permission::new("list", "", "pods"), true, true),
        check("get secrets", Permission::new("get", "", "secrets").within(USER_NAMESPACE), false, false),
        check("list secrets cluster-wide", Permission::new("list", "", "secrets"), false, false),
        check(
            "read pod logs in a user namespace",
            Permission::new("get", "", "pods/log").within(USER_NAMESPACE),
            false,
            false,
        ),
        check(
            "read pod logs in kube-system",
            Permission::new("get", "", "pods/log").within(SYSTEM_NAMESPACE),
            true,
            true,
        ),
        check(
            "exec in a user namespace",
            Permission::new("create", "", "pods/exec").within(USER_NAMESPACE),
            false,
            false,
        ),
        check("exec in kube-system", Permission::new("create", "", "pods/exec").within(SYSTEM_NAMESPACE), false, true),
        check(
            "port-forward in a user namespace",
            Permission::new("create", "", "pods/portforward").within(USER_NAMESPACE),
            false,
            false,
        ),
        check(
            "attach in kube-system",
            Permission::new("create", "", "pods/attach").within(SYSTEM_NAMESPACE),
            false,
            false,
        ),
        check("delete pods", Permission::new("delete", "", "pods").within(USER_NAMESPACE), false, true),
        check("cordon nodes (patch)", Permission::new("patch", "", "nodes"), false, true),
        check("create clusterrolebindings", Permission::new("create", rbac, "clusterrolebindings"), false, false),
        check("patch clusterrolebindings", Permission::new("patch", rbac, "clusterrolebindings"), false, false),
        check(
            "create rolebindings",
            Permission::new("create", rbac, "rolebindings").within(USER_NAMESPACE),
            false,
            false,
        ),
        check(
            "patch rolebindings",
            Permission::new("patch", rbac, "rolebindings").within(USER_NAMESPACE),
            false,
            false,
        ),
        check("bind clusterroles", Permission::new("bind", rbac, "clusterroles"), false, false),
        check("escalate clusterroles", Permission::new("escalate", rbac, "clusterroles"), false, false),
        check("impersonate users", Permission::new("impersonate", "", "users"), false, false),
        check("impersonate groups", Permission::new("impersonate", "", "groups"), false, false),
        check(
            "create serviceaccount tokens",
            Permission::new("create", "", "serviceaccounts/token").within(USER_NAMESPACE),
            false,
            false,
        ),
        check("create CSRs", Permission::new("create", certs, "certificatesigningrequests"), false, false),
        check("approve CSRs", Permission::new("update", certs, "certificatesigningrequests/approval"), false, false),
        check(
            "approve for the client signer",
            Permission::new("approve", certs, "signers").named("kubernetes.io/kube-apiserver-client"),
            false,
            false,
        ),
    ]
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    check: &'static str,
    permission: String,
    readonly_expected: bool,
    readonly_observed: bool,
    operator_expected: bool,
    operator_observed: bool,
}

impl Row {
    fn ok(&self) -> bool {
        self.readonly_expected == self.readonly_observed && self.operator_expected == self.operator_observed
    }
}

/// What `roles --verify` found on one cluster: `-o json|yaml`, and a fleet's row.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    #[serde(skip)]
    context: String,
    checks: Vec<Row>,
    mismatches: usize,
    guards: Vec<GuardProof>,
    indirect_paths: Vec<IndirectPath>,
    /// What each ClusterRole support may request besides readonly and operator can do.
    cluster_roles: Vec<crate::services::capabilities::Weighed>,
    invalid: Vec<InvalidGrant>,
    foreign_grants: Vec<ForeignGrant>,
    #[serde(flatten)]
    holders: Holders,
}

impl Outcome for Verified {
    fn detail(&self) -> String {
        format!(
            "all {} checks and {} guard proofs match; {} indirect path(s)",
            self.checks.len(),
            self.guards.len(),
            self.indirect_paths.iter().filter(|p| p.is_risky()).count()
        )
    }

    fn verdict(&self) -> Result<()> {
        let failed_guards: Vec<&GuardProof> = self.guards.iter().filter(|p| !p.ok()).collect();
        if !failed_guards.is_empty() {
            // Each guard once, with why: missing, what differs from the policy, or what it let through.
            let mut reasons: Vec<String> = Vec::new();
            for proof in &failed_guards {
                let why = match proof.observed.as_str() {
                    "missing" => "missing".to_string(),
                    changed if changed.starts_with("changed: ") => output::terminal(changed).into_owned(),
                    _ => "not enforced as expected".to_string(),
                };
                let reason = format!("{} ({why})", proof.guard);
                if !reasons.contains(&reason) {
                    reasons.push(reason);
                }
            }
            return Err(Error::failed(format!(
                "{} guard check(s) failed: {}",
                failed_guards.len(),
                reasons.join("; ")
            ))
            .with_hint("run `kubectl supportaccess enable` to restore the admission guards"));
        }
        let failures = self.checks.iter().filter(|r| !r.ok()).count();
        if failures > 0 {
            return Err(Error::failed(format!(
                "{failures} check(s) do not match what the support roles should allow"
            ))
            .with_hint("run `kubectl supportaccess enable` to restore the roles' rules (Helm-managed roles: upgrade the chart)"));
        }
        Ok(())
    }
}

pub async fn run(global: &GlobalArgs, args: &RolesArgs) -> Result<()> {
    if !args.verify {
        if args.fleet.selected() {
            return Err(Error::usage("plain `roles` does not contact a cluster: add --verify to ask each context"));
        }
        return print_definitions(global);
    }
    if args.fleet.selected() {
        let plan = Plan { command: "roles --verify", destructive: None };
        return crate::services::fleet::run(global, &args.fleet, plan, verify).await;
    }
    let verified = verify(Connection::open(global, &Target::default()).await?).await?;
    match &global.output {
        Some(format) if format.is_structured() => print_structured(&verified, format)?,
        _ => print_verified(&verified),
    }
    verified.verdict()
}

/// Asks one cluster the matrix and proves its guards and the requester's bounds.
async fn verify(conn: Connection) -> Result<Verified> {
    let conn = &conn;
    let cluster_roles: Api<ClusterRole> = Api::all(conn.client.clone());
    for definition in definitions() {
        if conn.call(cluster_roles.get_opt(definition.name)).await?.is_none() {
            return Err(Error::failed(format!("ClusterRole {} is not installed", definition.name))
                .with_hint("run `kubectl supportaccess enable` first"));
        }
    }
    crate::services::verify::delete_leftovers(conn).await?;
    let checks = matrix();
    let (readonly, operator) =
        tokio::try_join!(observe(conn, Role::Readonly, &checks), observe(conn, Role::Operator, &checks))?;
    let rows: Vec<Row> = checks
        .iter()
        .enumerate()
        .map(|(i, c)| Row {
            check: c.what,
            permission: c.permission.describe(),
            readonly_expected: c.readonly,
            readonly_observed: readonly[i],
            operator_expected: c.operator,
            operator_observed: operator[i],
        })
        .collect();
    let grants = Grants::read(conn, Scan::All).await?;
    crate::services::census::warn_untrusted(&grants.invalid, &grants.foreign);
    let policy = grants.policy.clone().unwrap_or_default();
    let by = conn.whoami().await?;
    let (mut proofs, paths, bounds) = tokio::try_join!(
        proof::guards(conn, &policy, &by),
        proof::indirect_paths(conn, &policy),
        crate::services::proof::bounds::requester_bounds(conn, &policy)
    )?;
    proofs.extend(bounds);
    let cluster_roles = crate::services::capabilities::Weighed::all(conn, &policy.cluster_roles).await?;
    let holders = crate::services::requesters::Holders::read(conn).await?;
    let mismatches = rows.iter().filter(|r| !r.ok()).count() + proofs.iter().filter(|p| !p.ok()).count();
    Ok(Verified {
        context: conn.context.clone(),
        checks: rows,
        mismatches,
        guards: proofs,
        indirect_paths: paths,
        cluster_roles,
        invalid: grants.invalid,
        foreign_grants: grants.foreign,
        holders,
    })
}

fn print_verified(verified: &Verified) {
    let mark = |allowed: bool| if allowed { "allowed" } else { "denied" };
    let mut table = output::table(&["CHECK", "READONLY (expected → seen)", "OPERATOR (expected → seen)", "OK"]);
    for row in &verified.checks {
        table.add_row(vec![
            row.check.to_string(),
            format!("{} → {}", mark(row.readonly_expected), mark(row.readonly_observed)),
            format!("{} → {}", mark(row.operator_expected), mark(row.operator_observed)),
            if row.ok() { "ok".into() } else { "MISMATCH".to_string() },
        ]);
    }
    crate::outln!("{table}");
    if verified.checks.iter().all(Row::ok) {
        crate::outln!(
            "All {} checks match for both roles, asked of the API server on context {:?}.",
            verified.checks.len(),
            verified.context
        );
    }
    let mut table = output::table(&["GUARD", "DRY-RUN WRITE", "EXPECTED", "SEEN", "OK"]);
    for proof in &verified.guards {
        table.add_row(vec![
            proof.guard.to_string(),
            output::terminal(&proof.check).into_owned(),
            proof.expected.to_string(),
            output::terminal(&proof.observed).into_owned(),
            proof.verdict().to_string(),
        ]);
    }
    crate::outln!("{table}");
    crate::outln!("{}.", output::terminal(&verified.holders.describe()));
    print_indirect_paths(&verified.indirect_paths);
    for weighed in &verified.cluster_roles {
        crate::outln!("Support may also request {}.", weighed.describe());
    }
}

/// What no guard closes: exec into pods whose service accounts hold more than the role.
fn print_indirect_paths(paths: &[IndirectPath]) {
    let risky: Vec<&IndirectPath> = paths.iter().filter(|p| p.is_risky()).collect();
    crate::outln!(
        "Indirect paths no guard closes: operator requests may exec into the pods of the system namespaces, \
         and a shell there acts as the pod's service account. {} service account(s) checked, {} hold more than the roles:",
        paths.len(),
        risky.len()
    );
    let yes = |b: bool| if b { "yes" } else { "no" };
    for path in risky {
        crate::outln!(
            "  {}/{} (pods {}): read secrets {}, create pods {}, bind/escalate/impersonate {}",
            path.namespace,
            output::terminal(&path.service_account),
            output::terminal(&path.pods.join(", ")),
            yes(path.reads_secrets),
            yes(path.creates_pods),
            yes(path.binds_escalates_or_impersonates)
        );
    }
}

/// Binds a temporary identity of this role, asks the matrix, and deletes the bindings again
/// whatever happened.
async fn observe(conn: &Connection, role: Role, checks: &[Check]) -> Result<Vec<bool>> {
    let identity = VerifyIdentity::create(conn, &role.into(), SYSTEM_NAMESPACE, false).await?;
    let observed = ask(conn, &identity, checks).await;
    let deleted = identity.delete(conn).await;
    let observed = observed?;
    deleted?;
    Ok(observed)
}

async fn ask(conn: &Connection, identity: &VerifyIdentity, checks: &[Check]) -> Result<Vec<bool>> {
    let permissions: Vec<Permission> = checks.iter().map(|c| c.permission.clone()).collect();
    subject_can(conn, &identity.user(), &identity.groups(), &permissions).await
}

fn print_definitions(global: &GlobalArgs) -> Result<()> {
    let definitions = definitions();
    if let Some(format) = global.output.as_ref().filter(|f| f.is_structured()) {
        let roles: Vec<_> = definitions
            .iter()
            .map(|d| serde_json::json!({ "name": d.name, "purpose": d.purpose, "rules": d.rules }))
            .collect();
        let items = crate::output::Items { kind: "clusterrole", key: "name", items: roles.clone() };
        return crate::output::print_listing(&roles, Some(items), format);
    }
    for definition in definitions {
        crate::outln!("{} — {}", definition.name, definition.purpose);
        for rule in &definition.rules {
            let groups: Vec<&str> =
                rule.api_groups.iter().flatten().map(|g| if g.is_empty() { "core" } else { g.as_str() }).collect();
            crate::outln!(
                "  {} on {}: {}",
                rule.verbs.join(", "),
                groups.join(", "),
                rule.resources.clone().unwrap_or_default().join(", ")
            );
        }
        crate::outln!();
    }
    crate::outln!(
        "Directly, none of them grants secrets, RBAC writes, bind, escalate, impersonate, serviceaccounts/token, \
         or CSR creation or approval; exec and port-forward only through crusoe-support-debug in the system \
         namespaces, for operator requests."
    );
    crate::outln!(
        "Indirectly: operator may patch workloads, nodes and the GPU/network operator resources; the admission \
         guard crusoe-support-guardrails (policy key guardrails) refuses any change to a pod template's spec, to \
         a node beyond cordon, and to those resources' images and versions. No guard closes exec: a shell in a \
         system-namespace pod acts as the pod's service account, which may hold more than the roles (secrets, \
         creating pods, RBAC). `roles --verify` proves the rules and the guards on the live cluster and lists \
         those service accounts."
    );
    Ok(())
}
