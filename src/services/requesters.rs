//! Who may ask and who may answer: the requester and approver roles — a ClusterRole and a Role in
//! the system namespace each — that `enable --requesters/--approvers` binds. RBAC accepts verbs on
//! a resource no API serves, so `request` and `approve` on `requests.support-access.crusoe.ai`
//! mark the two parties, and the admission guards ask RBAC (CEL's `authorizer`) which one a writer
//! is.

use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams};
use serde::Serialize;

use crate::base::error::{Error, Result};
use crate::cluster::Connection;
use crate::cluster::install::{Installed, install_one, remove_one};
use crate::state;

/// One of the two parties an owner hands support access to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Requester,
    Approver,
}

impl Party {
    pub const ALL: [Party; 2] = [Party::Requester, Party::Approver];

    /// The name of its ClusterRole, Role and both bindings.
    pub fn name(self) -> &'static str {
        match self {
            Party::Requester => state::REQUESTER_ROLE,
            Party::Approver => state::APPROVER_ROLE,
        }
    }

    /// The `enable` flag that names its members.
    pub fn flag(self) -> &'static str {
        match self {
            Party::Requester => "--requesters",
            Party::Approver => "--approvers",
        }
    }

    /// Cluster-wide: the bindings of support requests (RBAC cannot narrow these by name; the
    /// requesters guard does), `bind` on the four support ClusterRoles and the ClusterRoles the
    /// owner allows (`allowed`: a requester's record binds one, and an approver's write adds its
    /// subject) only, and reading what `get` shows. The requester's verb is `request`, the
    /// approver's `approve`.
    pub fn cluster_rules(self, allowed: &[String]) -> Vec<PolicyRule> {
        let rbac = "rbac.authorization.k8s.io";
        let verb = match self {
            Party::Requester => "request",
            Party::Approver => "approve",
        };
        vec![
            rule(
                rbac,
                &["clusterrolebindings", "rolebindings"],
                &["get", "list", "watch", "create", "update", "patch", "delete"],
            ),
            PolicyRule {
                resource_names: Some(
                    crate::services::roles::names()
                        .iter()
                        .chain(&[state::HOLDER_ROLE])
                        .map(|n| n.to_string())
                        .chain(allowed.iter().cloned())
                        .collect(),
                ),
                ..rule(rbac, &["clusterroles"], &["bind"])
            },
            rule(rbac, &["clusterroles"], &["get", "list"]),
            rule("", &["namespaces"], &["get", "list"]),
            rule(
                "admissionregistration.k8s.io",
                &["validatingadmissionpolicies", "validatingadmissionpolicybindings"],
                &["get", "list"],
            ),
            rule(state::REQUESTS_GROUP, &[state::REQUESTS_RESOURCE], &[verb]),
        ]
    }

    /// In the system namespace: read the policy, append to the trail (the requesters guard admits
    /// only a chunk's creation or an append to one, and keeps every line), record Events, and the request ServiceAccounts —
    /// a requester mints their tokens, an approver only creates and deletes them.
    pub fn namespace_rules(self) -> Vec<PolicyRule> {
        let mut rules = vec![
            rule("", &["configmaps"], &["get", "list", "watch"]),
            // The trail's chunks are named by day, which RBAC cannot: the requesters guard admits a
            // party's ConfigMap writes only as a chunk's creation or an append to one.
            rule("", &["configmaps"], &["create", "update", "patch"]),
            rule("", &["events"], &["create"]),
            rule("", &["serviceaccounts"], &["get", "list", "create", "delete"]),
        ];
        if self == Party::Requester {
            rules.push(rule("", &["serviceaccounts/token"], &["create"]));
        }
        rules
    }
}

fn rule(group: &str, resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![group.to_string()]),
        resources: Some(resources.iter().map(|r| r.to_string()).collect()),
        verbs: verbs.iter().map(|v| v.to_string()).collect(),
        ..PolicyRule::default()
    }
}

fn metadata(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: namespace.map(str::to_string),
        labels: Some(state::managed_labels()),
        ..ObjectMeta::default()
    }
}

/// Parses `user:NAME,group:NAME,serviceaccount:NS/NAME` (an empty list is allowed: it removes the
/// binding). A request ServiceAccount's name is refused: the requesters guard lets a requester
/// create and delete those, and mint their tokens.
pub fn parse_subjects(flag: &str, list: &[String]) -> Result<Vec<Subject>> {
    let mut subjects = Vec::new();
    for item in list.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        let bad = |why: &str| {
            Error::usage(format!(
                "{flag}: {:?} {why}; write user:NAME, group:NAME or serviceaccount:NAMESPACE/NAME",
                crate::output::terminal(item)
            ))
        };
        let (kind, name) = item.split_once(':').ok_or_else(|| bad("names no kind"))?;
        if name.is_empty() || name.chars().any(|c| c.is_control() || c == ',') {
            return Err(bad("has no name or an unprintable one"));
        }
        let subject = match kind {
            "user" | "group" => {
                if let Some(account) = name.strip_prefix("system:serviceaccount:").and_then(|r| r.split_once(':'))
                    && state::parse_request_account(account.1).is_some()
                {
                    return Err(bad("is a request ServiceAccount, which a requester can create and mint tokens for"));
                }
                Subject {
                    kind: if kind == "user" { "User" } else { "Group" }.into(),
                    name: name.into(),
                    api_group: Some("rbac.authorization.k8s.io".into()),
                    namespace: None,
                }
            }
            "serviceaccount" => {
                let (namespace, name) = name.split_once('/').ok_or_else(|| bad("needs NAMESPACE/NAME"))?;
                if !crate::state::is_dns_label(namespace) || name.is_empty() || name.contains('/') {
                    return Err(bad("is not NAMESPACE/NAME"));
                }
                if state::parse_request_account(name).is_some() {
                    return Err(bad("is a request ServiceAccount, which a requester can create and mint tokens for"));
                }
                crate::state::record::account_subject(namespace, name)
            }
            _ => return Err(bad("names an unknown kind")),
        };
        if !subjects.contains(&subject) {
            subjects.push(subject);
        }
    }
    Ok(subjects)
}

/// A subject as the flags spell it.
pub fn describe(subject: &Subject) -> String {
    match (subject.kind.as_str(), &subject.namespace) {
        ("ServiceAccount", Some(ns)) => format!("serviceaccount:{ns}/{}", subject.name),
        (kind, _) => format!("{}:{}", kind.to_lowercase(), subject.name),
    }
}

fn role_ref(kind: &str, name: &str) -> RoleRef {
    RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: kind.into(), name: name.into() }
}

/// Who holds each role, as its ClusterRoleBinding says.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Holders {
    pub requesters: Vec<String>,
    pub approvers: Vec<String>,
}

impl Holders {
    /// Reads both bindings; a caller who may not read them is told nobody holds either.
    pub async fn read(conn: &Connection) -> Result<Holders> {
        let api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
        let read = |party: Party| {
            let api = api.clone();
            async move {
                match conn.call(api.get_opt(party.name())).await {
                    Err(e) if e.kind == crate::base::error::ErrorKind::Forbidden => Ok(None),
                    other => other,
                }
            }
        };
        let (requesters, approvers) = tokio::try_join!(read(Party::Requester), read(Party::Approver))?;
        let names = |binding: Option<ClusterRoleBinding>| -> Vec<String> {
            binding.and_then(|b| b.subjects).unwrap_or_default().iter().map(describe).collect()
        };
        Ok(Holders { requesters: names(requesters), approvers: names(approvers) })
    }

    /// "Who may request: user:prov · who may approve: cluster administrators only".
    pub fn describe(&self) -> String {
        let list = |names: &[String]| match names.is_empty() {
            true => "cluster administrators only".to_string(),
            false => names.join(", "),
        };
        format!("Who may request: {} · who may approve: {}", list(&self.requesters), list(&self.approvers))
    }
}

/// Installs both parties' roles, and their bindings: `Some(list)` binds exactly that list (an
/// empty one removes the bindings), `None` keeps whom they bind and repairs the rest.
pub async fn install(
    conn: &Connection,
    requesters: Option<Vec<Subject>>,
    approvers: Option<Vec<Subject>>,
    cluster_roles: &[String],
) -> Result<Vec<Installed>> {
    let ns = conn.namespace.as_str();
    let mut installed = vec![install_one(conn, holder_role()).await?];
    for (party, wanted) in [(Party::Requester, requesters), (Party::Approver, approvers)] {
        let name = party.name();
        installed.push(
            install_one(
                conn,
                ClusterRole {
                    metadata: metadata(name, None),
                    rules: Some(party.cluster_rules(cluster_roles)),
                    aggregation_rule: None,
                },
            )
            .await?,
        );
        installed.push(
            install_one(conn, Role { metadata: metadata(name, Some(ns)), rules: Some(party.namespace_rules()) })
                .await?,
        );
        let subjects = match wanted {
            Some(subjects) => subjects,
            None => {
                let api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
                conn.call(api.get_opt(name)).await?.and_then(|b| b.subjects).unwrap_or_default()
            }
        };
        if subjects.is_empty() {
            remove_bindings(conn, party, &mut Vec::new()).await?;
            continue;
        }
        installed.push(
            install_one(
                conn,
                ClusterRoleBinding {
                    metadata: metadata(name, None),
                    role_ref: role_ref("ClusterRole", name),
                    subjects: Some(subjects.clone()),
                },
            )
            .await?,
        );
        installed.push(
            install_one(
                conn,
                RoleBinding {
                    metadata: metadata(name, Some(ns)),
                    role_ref: role_ref("Role", name),
                    subjects: Some(subjects),
                },
            )
            .await?,
        );
    }
    Ok(installed)
}

async fn remove_bindings(conn: &Connection, party: Party, deleted: &mut Vec<String>) -> Result<()> {
    remove_one::<ClusterRoleBinding>(conn, party.name(), deleted, &mut Vec::new()).await?;
    remove_namespaced::<RoleBinding>(conn, party.name(), deleted).await
}

async fn remove_namespaced<K>(conn: &Connection, name: &str, deleted: &mut Vec<String>) -> Result<()>
where
    K: crate::cluster::install::Installable + kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
{
    let api: Api<K> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let Some(existing) = conn.call(api.get_opt(name)).await? else {
        return Ok(());
    };
    let ours = existing.meta().labels.as_ref().and_then(|l| l.get(state::MANAGED_LABEL)).is_some_and(|v| v == "true");
    if ours {
        match conn.call(api.delete(name, &DeleteParams::default())).await {
            Err(e) if !e.is_not_found() => return Err(e),
            _ => deleted.push(format!("{} {}/{name}", K::KIND, conn.namespace)),
        }
    }
    Ok(())
}

/// Removes both parties' roles and bindings, and the holder ClusterRole (`uninstall`).
pub async fn uninstall(conn: &Connection, deleted: &mut Vec<String>) -> Result<()> {
    for party in Party::ALL {
        remove_bindings(conn, party, deleted).await?;
        remove_one::<ClusterRole>(conn, party.name(), deleted, &mut Vec::new()).await?;
        remove_namespaced::<Role>(conn, party.name(), deleted).await?;
    }
    remove_one::<ClusterRole>(conn, state::HOLDER_ROLE, deleted, &mut Vec::new()).await
}

/// ClusterRole `crusoe-support-holder`: verb `hold` on the support requests resource, which no
/// API serves, so it grants nothing; with identity `own` a user bound to it holds a live request,
/// and the guardrails guard asks RBAC for it.
fn holder_role() -> ClusterRole {
    ClusterRole {
        metadata: metadata(state::HOLDER_ROLE, None),
        rules: Some(vec![rule(state::REQUESTS_GROUP, &[state::REQUESTS_RESOURCE], &[state::HOLD_VERB])]),
        aggregation_rule: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(items: &[&str]) -> Result<Vec<Subject>> {
        parse_subjects("--requesters", &items.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn subjects_parse_and_read_back() {
        let subjects = parse(&["user:prov", " group:support ", "serviceaccount:ops/bot", "user:prov", ""]).unwrap();
        let shown: Vec<String> = subjects.iter().map(describe).collect();
        assert_eq!(shown, ["user:prov", "group:support", "serviceaccount:ops/bot"]);
        assert!(parse(&[]).unwrap().is_empty());
    }

    #[test]
    fn request_service_accounts_and_malformed_items_are_refused() {
        for bad in [
            "serviceaccount:crusoe-system/crusoe-support-ab12-1796000000",
            "user:system:serviceaccount:crusoe-system:crusoe-support-ab12-1796000000",
            "prov",
            "role:x",
            "serviceaccount:ops",
            "user:",
            "user:a\u{1b}b",
        ] {
            let error = parse(&[bad]).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn neither_party_reads_secrets_execs_or_signs() {
        for party in Party::ALL {
            for rule in party.cluster_rules(&[]).iter().chain(&party.namespace_rules()) {
                let resources = rule.resources.clone().unwrap_or_default();
                for forbidden in ["secrets", "pods/exec", "certificatesigningrequests", "*", "users", "groups"] {
                    assert!(!resources.iter().any(|r| r == forbidden), "{party:?} {rule:?}");
                }
                for verb in ["impersonate", "escalate", "*"] {
                    assert!(!rule.verbs.iter().any(|v| v == verb), "{party:?} {rule:?}");
                }
                if rule.verbs.iter().any(|v| v == "bind") {
                    assert!(rule.resource_names.as_ref().is_some_and(|n| n.len() == 5), "{rule:?}");
                }
            }
        }
        let tokens = |party: Party| {
            party
                .namespace_rules()
                .iter()
                .any(|r| r.resources.as_ref().unwrap().contains(&"serviceaccounts/token".to_string()))
        };
        assert!(tokens(Party::Requester) && !tokens(Party::Approver));
        // The ClusterRoles the owner allows are bound by name, and nothing else.
        let binds = |party: Party| {
            let rules = party.cluster_rules(&["view".to_string()]);
            rules.into_iter().find(|r| r.verbs.contains(&"bind".to_string())).unwrap().resource_names.unwrap()
        };
        for party in Party::ALL {
            assert_eq!(binds(party).len(), 6);
            assert_eq!(binds(party).last().map(String::as_str), Some("view"));
        }
    }
}
