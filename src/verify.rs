//! The temporary identity of `roles --verify`: bindings of one role (and its companions in one
//! system namespace) to a group no credential carries, so that the API server can be asked what
//! a support identity of that role may do — and deleted again whatever happened.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, ListParams, PostParams};

use crate::access::{Permission, subject_can};
use crate::bindings::{delete_refs, new_id};
use crate::cluster::Connection;
use crate::error::{Error, Result};
use crate::policy::Role;
use crate::record::{BindingRef, Companion, cluster_role_of};
use crate::state;

/// A synthetic support identity with one role's bindings.
pub struct VerifyIdentity {
    pub id: String,
    pub role: Role,
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

    /// Binds the role cluster-wide and its companions in `namespace`, and waits until the API
    /// server's RBAC sees them (it reads from its watch cache).
    pub async fn create(conn: &Connection, role: Role, namespace: &str) -> Result<VerifyIdentity> {
        let id = new_id()?;
        let mut identity = VerifyIdentity { id, role, bindings: Vec::new() };
        let created = async {
            identity.create_all(conn, namespace).await?;
            identity.wait_until_bound(conn, namespace).await
        }
        .await;
        if created.is_err() {
            let _ = identity.delete(conn).await;
        }
        created.map(|()| identity)
    }

    async fn wait_until_bound(&self, conn: &Connection, namespace: &str) -> Result<()> {
        let seen = [Permission::new("list", "", "pods"), Permission::new("get", "", "pods/log").within(namespace)];
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while subject_can(conn, &self.user(), &self.groups(), &seen).await?.contains(&false) {
            if std::time::Instant::now() > deadline {
                return Err(Error::failed(
                    "the API server did not apply the temporary verification bindings within 10s",
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    async fn create_all(&mut self, conn: &Connection, namespace: &str) -> Result<()> {
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
        let api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
        let binding = ClusterRoleBinding {
            metadata: meta(name.clone(), None),
            role_ref: role_ref(cluster_role_of(self.role)),
            subjects: subjects.clone(),
        };
        self.bindings.push(BindingRef { kind: "ClusterRoleBinding", namespace: None, name: name.clone() });
        conn.call(api.create(&PostParams::default(), &binding)).await?;
        let api: Api<RoleBinding> = Api::namespaced(conn.client.clone(), namespace);
        for companion in Companion::of(self.role) {
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
