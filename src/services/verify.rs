//! The temporary identity of `roles --verify` (and of `enable`'s look at a ClusterRole it is asked
//! to allow): bindings of one role (and its companions in one system namespace) to a group no
//! credential carries, so that the API server can be asked what a support identity of that role
//! may do — and deleted again whatever happened.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, ListParams, PostParams};

use crate::base::error::{Error, Result};
use crate::cluster::Connection;
use crate::cluster::access::{Permission, subject_can};
use crate::cluster::bindings::delete_refs;
use crate::state;
use crate::state::new_id;
use crate::state::record::BindingRef;
use crate::state::roles::GrantRole;

/// A synthetic support identity with one role's bindings.
pub struct VerifyIdentity {
    pub id: String,
    pub role: GrantRole,
    bindings: Vec<BindingRef>,
}

impl VerifyIdentity {
    /// The user name it is asked about (and impersonated as).
    pub fn user(&self) -> String {
        format!("crusoe-support:verify-{}", self.id)
    }

    /// Its groups: the verification group, `crusoe-support` (what the guardrails match), and
    /// `system:authenticated`.
    pub fn groups(&self) -> Vec<String> {
        vec![state::verify_group(&self.id), state::SUPPORT_GROUP.to_string(), "system:authenticated".to_string()]
    }

    /// Binds the role cluster-wide and its companions in `namespace` (or, `scoped`, the role in
    /// `namespace` only, as a scoped request binds it), and waits until the API server's RBAC sees
    /// them (it reads from its watch cache).
    pub async fn create(conn: &Connection, role: &GrantRole, namespace: &str, scoped: bool) -> Result<VerifyIdentity> {
        let id = new_id()?;
        let mut identity = VerifyIdentity { id, role: role.clone(), bindings: Vec::new() };
        let seen = match role {
            GrantRole::Support(_) => {
                vec![Permission::new("list", "", "pods"), Permission::new("get", "", "pods/log").within(namespace)]
            }
            GrantRole::Cluster(name) => {
                let api: Api<ClusterRole> = Api::all(conn.client.clone());
                let rules = conn.call(api.get_opt(name)).await?.and_then(|r| r.rules).unwrap_or_default();
                witness(&rules, scoped.then_some(namespace)).into_iter().collect()
            }
        };
        let created = async {
            identity.create_all(conn, namespace, scoped).await?;
            identity.wait_until_bound(conn, &seen).await
        }
        .await;
        if created.is_err() {
            let _ = identity.delete(conn).await;
        }
        created.map(|()| identity)
    }

    /// Waits until every one of `seen` (what the bindings grant) is allowed.
    async fn wait_until_bound(&self, conn: &Connection, seen: &[Permission]) -> Result<()> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while subject_can(conn, &self.user(), &self.groups(), seen).await?.contains(&false) {
            if std::time::Instant::now() > deadline {
                return Err(Error::failed(
                    "the API server did not apply the temporary verification bindings within 10s",
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    async fn create_all(&mut self, conn: &Connection, namespace: &str, scoped: bool) -> Result<()> {
        let meta = verification_meta;
        let subjects = Some(vec![Subject {
            kind: "Group".into(),
            name: state::verify_group(&self.id),
            api_group: Some("rbac.authorization.k8s.io".into()),
            namespace: None,
        }]);
        let role_ref = |name: &str| RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: name.into(),
        };
        let name = format!("crusoe-support-verify-{}", self.id);
        let api: Api<RoleBinding> = Api::namespaced(conn.client.clone(), namespace);
        if scoped {
            let binding = RoleBinding {
                metadata: meta(name.clone(), Some(namespace)),
                role_ref: role_ref(self.role.cluster_role()),
                subjects: subjects.clone(),
            };
            self.bindings.push(BindingRef { kind: "RoleBinding", namespace: Some(namespace.to_string()), name });
            conn.call(api.create(&PostParams::default(), &binding)).await?;
            return Ok(());
        }
        let cluster_api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
        let binding = ClusterRoleBinding {
            metadata: meta(name.clone(), None),
            role_ref: role_ref(self.role.cluster_role()),
            subjects: subjects.clone(),
        };
        self.bindings.push(BindingRef { kind: "ClusterRoleBinding", namespace: None, name: name.clone() });
        conn.call(cluster_api.create(&PostParams::default(), &binding)).await?;
        for companion in self.role.companions() {
            let name = format!("{name}-{}", companion.suffix());
            let binding = RoleBinding {
                metadata: meta(name.clone(), Some(namespace)),
                role_ref: role_ref(companion.cluster_role()),
                subjects: subjects.clone(),
            };
            self.bindings.push(BindingRef { kind: "RoleBinding", namespace: Some(namespace.to_string()), name });
            conn.call(api.create(&PostParams::default(), &binding)).await?;
        }
        Ok(())
    }

    pub async fn delete(&self, conn: &Connection) -> Result<()> {
        delete_refs(conn, &self.bindings).await.map(|_| ())
    }
}

/// One permission a ClusterRole's rules grant, to tell when its binding is in force: the first
/// resource rule, a wildcard asked as a concrete value it matches. `None` for a role with no
/// resource rule (there is nothing it grants to wait for).
fn witness(rules: &[PolicyRule], namespace: Option<&str>) -> Option<Permission> {
    rules.iter().find_map(|rule| {
        let concrete = |value: &str, instead: &str| value.replace('*', instead);
        let verb = concrete(rule.verbs.first()?, "get");
        let group = concrete(rule.api_groups.as_ref()?.first()?, "");
        let resource = concrete(rule.resources.as_ref()?.first()?, "pods");
        let mut permission = Permission::of(verb, group, resource);
        if let Some(name) = rule.resource_names.as_ref().and_then(|names| names.first()) {
            permission = permission.named(name.clone());
        }
        Some(match namespace {
            Some(ns) => permission.within(ns),
            None => permission,
        })
    })
}

/// The metadata of a temporary verification binding: named, labelled so that
/// [`delete_leftovers`] finds it.
pub fn verification_meta(name: String, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: namespace.map(str::to_string),
        labels: Some(BTreeMap::from([
            (state::MANAGED_BY_LABEL.to_string(), state::MANAGED_BY_VALUE.to_string()),
            (state::VERIFY_LABEL.to_string(), "true".to_string()),
        ])),
        ..ObjectMeta::default()
    }
}

/// Deletes the temporary bindings an interrupted `roles --verify` left behind.
pub async fn delete_leftovers(conn: &Connection) -> Result<()> {
    let selector = ListParams::default().labels(&format!("{}=true", state::VERIFY_LABEL));
    let params = DeleteParams::default();
    let cluster: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
    conn.call(cluster.delete_collection(&params, &selector)).await?;
    let namespaced = conn.call(Api::<RoleBinding>::all(conn.client.clone()).list(&selector)).await?;
    let refs: Vec<BindingRef> = namespaced
        .items
        .iter()
        .map(|b| BindingRef {
            kind: "RoleBinding",
            namespace: b.metadata.namespace.clone(),
            name: b.metadata.name.clone().unwrap_or_default(),
        })
        .collect();
    delete_refs(conn, &refs).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
        PolicyRule {
            api_groups: Some(groups.iter().map(|g| g.to_string()).collect()),
            resources: Some(resources.iter().map(|r| r.to_string()).collect()),
            verbs: verbs.iter().map(|v| v.to_string()).collect(),
            ..PolicyRule::default()
        }
    }

    #[test]
    fn a_binding_is_seen_through_the_first_resource_rule_of_its_role() {
        let url_only = PolicyRule {
            non_resource_urls: Some(vec!["/healthz".into()]),
            verbs: vec!["get".into()],
            ..PolicyRule::default()
        };
        let found =
            witness(&[url_only.clone(), rule(&["apps"], &["deployments/scale"], &["patch"])], Some("prod")).unwrap();
        assert_eq!(
            (found.verb.as_ref(), found.group.as_ref(), found.resource.as_ref()),
            ("patch", "apps", "deployments/scale")
        );
        assert_eq!(found.namespace.as_deref(), Some("prod"));
        let admin = witness(&[rule(&["*"], &["*"], &["*"])], None).unwrap();
        assert_eq!((admin.verb.as_ref(), admin.group.as_ref(), admin.resource.as_ref()), ("get", "", "pods"));
        assert_eq!(witness(&[url_only], None), None);
        assert_eq!(witness(&[], None), None);
    }
}
