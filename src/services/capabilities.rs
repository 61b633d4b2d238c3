//! What a ClusterRole the owner allows lets a support identity do, asked of the API server with
//! SubjectAccessReviews (never guessed from its rules): `enable` shows it and asks before allowing
//! one that puts every guarantee of the product in the holder's hands, `roles --verify` lists it,
//! and `get` marks the live requests that hold such power.

use std::fmt;

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use kube::api::Api;
use serde::Serialize;

use crate::base::error::Result;
use crate::cluster::Connection;
use crate::cluster::access::{Permission, subject_can};
use crate::services::verify::VerifyIdentity;
use crate::state::roles::{AllowedClusterRole, GrantRole};

/// One power worth knowing before support holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Power {
    ReadsSecrets,
    WritesRbac,
    Binds,
    Escalates,
    Impersonates,
    MintsTokens,
    Execs,
    DeletesAdmissionPolicies,
}

const RBAC: &str = "rbac.authorization.k8s.io";
const ADMISSION: &str = "admissionregistration.k8s.io";

impl Power {
    pub const ALL: [Power; 8] = [
        Power::ReadsSecrets,
        Power::WritesRbac,
        Power::Binds,
        Power::Escalates,
        Power::Impersonates,
        Power::MintsTokens,
        Power::Execs,
        Power::DeletesAdmissionPolicies,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Power::ReadsSecrets => "reads secrets",
            Power::WritesRbac => "writes RBAC",
            Power::Binds => "binds",
            Power::Escalates => "escalates",
            Power::Impersonates => "impersonates",
            Power::MintsTokens => "mints tokens",
            Power::Execs => "execs",
            Power::DeletesAdmissionPolicies => "deletes admission policies",
        }
    }

    /// Whoever holds it can undo what the product promises: remove the admission guards, or act as
    /// the owner. (RBAC writes, binding and escalating are RBAC writes, which the guards refuse to
    /// every support identity: what it bound would outlive its request.)
    pub fn voids_guarantees(self) -> bool {
        matches!(self, Power::Impersonates | Power::DeletesAdmissionPolicies)
    }

    /// What the admission guards make of it when a support identity holds it (`None`: nothing).
    pub fn held_as_support(self) -> Option<&'static str> {
        match self {
            Power::WritesRbac | Power::Binds | Power::Escalates => Some("refused by the guards"),
            Power::MintsTokens => Some(
                "its tokens are refused by the guards; as another support request it only reads; as any other \
                 ServiceAccount it may impersonate it acts fully",
            ),
            _ => None,
        }
    }

    /// What the API server is asked: any of these allowed means the power is held. Namespaced
    /// permissions are asked in `scope` (every namespace when `None`); cluster-scoped ones, which
    /// a RoleBinding never grants, cluster-wide.
    fn permissions(self, scope: Option<&str>) -> Vec<Permission> {
        let namespaced = |p: Permission| match scope {
            Some(ns) => p.within(ns),
            None => p,
        };
        match self {
            Power::ReadsSecrets => vec![
                namespaced(Permission::new("get", "", "secrets")),
                namespaced(Permission::new("list", "", "secrets")),
            ],
            Power::WritesRbac => vec![
                namespaced(Permission::new("create", RBAC, "rolebindings")),
                namespaced(Permission::new("update", RBAC, "rolebindings")),
                namespaced(Permission::new("create", RBAC, "roles")),
                Permission::new("create", RBAC, "clusterrolebindings"),
                Permission::new("update", RBAC, "clusterrolebindings"),
                Permission::new("update", RBAC, "clusterroles"),
            ],
            Power::Binds => vec![namespaced(Permission::new("bind", RBAC, "clusterroles"))],
            Power::Escalates => vec![
                namespaced(Permission::new("escalate", RBAC, "clusterroles")),
                namespaced(Permission::new("escalate", RBAC, "roles")),
            ],
            // Any user or group, the owner's included.
            Power::Impersonates => {
                vec![Permission::new("impersonate", "", "users"), Permission::new("impersonate", "", "groups")]
            }
            // Acting as a ServiceAccount: a token of it, or impersonating it.
            Power::MintsTokens => vec![
                namespaced(Permission::new("create", "", "serviceaccounts/token")),
                namespaced(Permission::new("impersonate", "", "serviceaccounts")),
            ],
            Power::Execs => vec![namespaced(Permission::new("create", "", "pods/exec"))],
            Power::DeletesAdmissionPolicies => vec![
                Permission::new("delete", ADMISSION, "validatingadmissionpolicies"),
                Permission::new("delete", ADMISSION, "validatingadmissionpolicybindings"),
            ],
        }
    }
}

/// The powers an identity holds, each asked of the API server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub held: Vec<Power>,
}

impl Capabilities {
    /// Asks what a user in these groups may do, within `scope` (`None`: cluster-wide).
    pub async fn of(conn: &Connection, user: &str, groups: &[String], scope: Option<&str>) -> Result<Capabilities> {
        let asked: Vec<(Power, Permission)> = Power::ALL
            .iter()
            .flat_map(|power| power.permissions(scope).into_iter().map(move |p| (*power, p)))
            .collect();
        let permissions: Vec<Permission> = asked.iter().map(|(_, p)| p.clone()).collect();
        let allowed = subject_can(conn, user, groups, &permissions).await?;
        let mut held: Vec<Power> =
            asked.iter().zip(allowed).filter(|(_, ok)| *ok).map(|((power, _), _)| *power).collect();
        held.dedup();
        Ok(Capabilities { held })
    }

    /// Binds a temporary identity to the ClusterRole as a request of it would be (cluster-wide, or
    /// in `namespace` when it is allowed in namespaces only), asks, and deletes the binding again.
    pub async fn of_allowed(conn: &Connection, allowed: &AllowedClusterRole, namespace: &str) -> Result<Capabilities> {
        let role = GrantRole::Cluster(allowed.name.clone());
        let scope = allowed.namespaced_only.then_some(namespace);
        let identity = VerifyIdentity::create(conn, &role, namespace, scope.is_some()).await?;
        let asked = Capabilities::of(conn, &identity.user(), &identity.groups(), scope).await;
        let deleted = identity.delete(conn).await;
        let asked = asked?;
        deleted?;
        Ok(asked)
    }

    pub fn holds(&self, power: Power) -> bool {
        self.held.contains(&power)
    }

    /// Whether it puts every guarantee of the product in the holder's hands.
    pub fn voids_guarantees(&self) -> bool {
        self.held.iter().any(|power| power.voids_guarantees())
    }
}

/// Whether one RBAC rule grants a permission asked without a resource name, as RBAC's rule
/// matching decides it (`*` in verbs, groups and resources, `*/<subresource>`; a rule naming
/// resources never grants an unnamed request).
fn rule_grants(rule: &PolicyRule, permission: &Permission) -> bool {
    let subresource = permission.resource.split_once('/').map(|(_, sub)| format!("*/{sub}"));
    let listed = |list: &Option<Vec<String>>, want: &str| list.iter().flatten().any(|x| x == "*" || x == want);
    rule.verbs.iter().any(|v| v == "*" || v == permission.verb.as_ref())
        && listed(&rule.api_groups, &permission.group)
        && (listed(&rule.resources, &permission.resource)
            || subresource.as_deref().is_some_and(|sub| rule.resources.iter().flatten().any(|r| r == sub)))
        && rule.resource_names.as_ref().is_none_or(Vec::is_empty)
}

/// Whether any of these rules grants any of the power's permissions, bound in `namespace`
/// (a RoleBinding, which never grants cluster-scoped resources) or cluster-wide (`None`).
fn rules_hold(rules: &[PolicyRule], power: Power, namespace: Option<&str>) -> bool {
    let permissions = power.permissions(namespace);
    let bound = permissions.iter().filter(|p| namespace.is_none() || p.namespace.is_some());
    bound.into_iter().any(|p| rules.iter().any(|rule| rule_grants(rule, p)))
}

/// What a request can do once granted, for the one who answers it: each power held where the
/// request's binding puts its role (everywhere, or its namespace) or only in the namespaces its
/// companions reach. Read from the rules of the ClusterRoles it binds, matched as RBAC matches
/// them: an approver may read ClusterRoles but not bind the temporary identity `enable` asks with.
pub async fn reach(
    conn: &Connection,
    grant: &crate::state::record::Grant,
    policy: &crate::state::policy::Policy,
) -> Result<String> {
    let api: Api<ClusterRole> = Api::all(conn.client.clone());
    let rules_of = |name: &'static str| {
        let api = api.clone();
        async move {
            let role = conn.call(api.get_opt(name)).await?;
            Ok::<_, crate::base::error::Error>(role.map(|r| r.rules.unwrap_or_default()))
        }
    };
    let name = grant.role.cluster_role().to_string();
    let Some(main) = conn.call(api.get_opt(&name)).await? else {
        return Ok(format!("unknown: ClusterRole {} does not exist", crate::output::terminal(&name)));
    };
    let main = main.rules.unwrap_or_default();
    let mut companions: Vec<(String, Vec<PolicyRule>)> = Vec::new();
    let mut missing = Vec::new();
    if grant.scope.is_none() {
        // Companions are made only in the namespaces that exist: only those are counted.
        let wanted = policy.companion_namespaces();
        let existing = conn.existing_namespaces(&wanted).await?;
        missing = wanted.into_iter().filter(|ns| !existing.contains(ns)).collect();
        for namespace in existing {
            let mut rules = Vec::new();
            for companion in policy.companions_in(&grant.role, &namespace) {
                rules.extend(rules_of(companion.cluster_role()).await?.unwrap_or_default());
            }
            companions.push((namespace, rules));
        }
    }
    let parts: Vec<String> = Power::ALL
        .iter()
        .map(|power| {
            let label = power.label();
            if rules_hold(&main, *power, grant.scope.as_deref()) {
                return match &grant.scope {
                    Some(ns) => format!("{label}: in {}", crate::output::terminal(ns)),
                    None => format!("{label}: yes"),
                };
            }
            let reached: Vec<&str> = companions
                .iter()
                .filter(|(ns, rules)| rules_hold(rules, *power, Some(ns)))
                .map(|(ns, _)| ns.as_str())
                .collect();
            match reached.as_slice() {
                [] => format!("{label}: no"),
                [a, b, c, _, ..] => format!("{label}: in {a}, {b}, {c}… ({} existing namespaces)", reached.len()),
                some => format!("{label}: in {}", some.join(", ")),
            }
        })
        .collect();
    let absent = match missing.as_slice() {
        [] => String::new(),
        some => format!(" (counting only the namespaces that exist; not yet: {})", some.join(", ")),
    };
    Ok(crate::output::terminal(&format!("{}{absent}", parts.join(", "))).into_owned())
}

/// Where a ClusterRole allowed in namespaces only is bound for the moment its powers are asked
/// (the system namespace may not exist yet on a first `enable`; `default` does).
const WEIGHING_NAMESPACE: &str = "default";

/// A ClusterRole support may request, and what it can do.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Weighed {
    #[serde(flatten)]
    pub allowed: AllowedClusterRole,
    pub capabilities: Capabilities,
}

impl Weighed {
    /// Asks what each of these ClusterRoles can do, concurrently.
    pub async fn all(conn: &Connection, allowed: &[AllowedClusterRole]) -> Result<Vec<Weighed>> {
        futures::future::try_join_all(allowed.iter().map(|a| async move {
            let capabilities = Capabilities::of_allowed(conn, a, WEIGHING_NAMESPACE).await?;
            Ok(Weighed { allowed: a.clone(), capabilities })
        }))
        .await
    }

    /// "ClusterRole edit (in a namespace only): reads secrets: yes, …".
    pub fn describe(&self) -> String {
        format!(
            "ClusterRole {}{}: {}{}",
            crate::output::terminal(&self.allowed.name),
            if self.allowed.namespaced_only { " (in a namespace only)" } else { "" },
            self.capabilities,
            if self.capabilities.voids_guarantees() { " — the guards do not bind it" } else { "" }
        )
    }
}

/// "reads secrets: yes, writes RBAC: no, …".
impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = Power::ALL
            .iter()
            .map(|power| match (self.holds(*power), power.held_as_support()) {
                (false, _) => format!("{}: no", power.label()),
                (true, None) => format!("{}: yes", power.label()),
                (true, Some(guarded)) => format!("{}: yes ({guarded})", power.label()),
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_matched_as_rbac_matches_them() {
        let rule = |groups: &[&str], resources: &[&str], verbs: &[&str], names: Option<&[&str]>| PolicyRule {
            api_groups: Some(groups.iter().map(|g| g.to_string()).collect()),
            resources: Some(resources.iter().map(|r| r.to_string()).collect()),
            verbs: verbs.iter().map(|v| v.to_string()).collect(),
            resource_names: names.map(|n| n.iter().map(|x| x.to_string()).collect()),
            ..PolicyRule::default()
        };
        let admin = [rule(&["*"], &["*"], &["*"], None)];
        assert!(Power::ALL.iter().all(|p| rules_hold(&admin, *p, None)));
        // A RoleBinding never grants cluster-scoped resources.
        assert!(!rules_hold(&admin, Power::Impersonates, Some("ns")));
        assert!(rules_hold(&admin, Power::ReadsSecrets, Some("ns")));
        let exec = [rule(&[""], &["*/exec"], &["create"], None)];
        assert!(rules_hold(&exec, Power::Execs, Some("kube-system")));
        assert!(!rules_hold(&exec, Power::ReadsSecrets, None));
        let named = [rule(&[""], &["secrets"], &["get"], Some(&["one"]))];
        assert!(!rules_hold(&named, Power::ReadsSecrets, None));
        let view = [rule(&["", "apps"], &["pods", "pods/log"], &["get", "list", "watch"], None)];
        assert!(Power::ALL.iter().all(|p| !rules_hold(&view, *p, None)));
    }

    #[test]
    fn cluster_scoped_powers_are_asked_cluster_wide_even_for_a_namespace() {
        for power in Power::ALL {
            for permission in power.permissions(Some("production")) {
                let cluster_scoped = ["clusterrolebindings", "users", "groups", "validatingadmissionpolicies"]
                    .contains(&permission.resource.as_ref())
                    || permission.resource.starts_with("validatingadmissionpolicy")
                    || (permission.resource == "clusterroles" && permission.verb == "update");
                assert_eq!(permission.namespace.is_none(), cluster_scoped, "{permission:?}");
            }
            assert!(power.permissions(None).iter().all(|p| p.namespace.is_none()));
        }
        let held = Capabilities { held: vec![Power::ReadsSecrets, Power::Execs] };
        assert!(!held.voids_guarantees());
        assert!(held.to_string().starts_with("reads secrets: yes, writes RBAC: no"));
        assert!(Capabilities { held: vec![Power::DeletesAdmissionPolicies] }.voids_guarantees());
    }
}
