//! Writing a request's bindings: the record ClusterRoleBinding (or RoleBinding when scoped) and its
//! `-logs`/`-debug` companions in the system namespaces, created together or not at all, annotated,
//! and deleted — one request at a time or every one at once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};

use crate::cluster::Connection;
use crate::error::{Error, Result};
use crate::grant::{Grant, cluster_role_of};
use crate::policy::Role;
use crate::state;

/// A short lowercase random id, valid as a DNS-1123 label: a letter, then letters and digits.
pub fn new_id() -> Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| Error::failed(format!("no randomness for a request id: {e}")))?;
    Ok(bytes
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let alphabet = if i == 0 { &ALPHABET[..26] } else { ALPHABET };
            alphabet[*b as usize % alphabet.len()] as char
        })
        .collect())
}

/// True for a DNS-1123 label (request ids, namespaces).
pub fn is_dns_label(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

/// A new request: its record, and where its companion bindings go.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub grant: Grant,
    /// Where the `-logs` (and, for operator, `-debug`) RoleBindings go, if they exist.
    pub system_namespaces: Vec<String>,
}

impl NewGrant {
    fn labels(&self) -> BTreeMap<String, String> {
        let mut labels = state::managed_labels();
        labels.insert(state::REQUEST_ID_LABEL.into(), self.grant.id.clone());
        labels.insert(state::ROLE_LABEL.into(), self.grant.role.name().into());
        labels
    }

    fn subjects(&self) -> Option<Vec<Subject>> {
        Some(vec![Subject {
            kind: "Group".into(),
            name: state::request_group(&self.grant.id),
            api_group: Some("rbac.authorization.k8s.io".into()),
            namespace: None,
        }])
    }

    fn role_ref(name: &str) -> RoleRef {
        RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: "ClusterRole".into(), name: name.into() }
    }

    /// Creates the request's bindings. If any step fails, what was created is deleted again.
    pub async fn create(&self, conn: &Connection) -> Result<()> {
        let created = self.create_all(conn).await;
        if created.is_err() {
            let _ = delete_bindings(conn, &self.grant.id, self.grant.scope.as_deref()).await;
        }
        created
    }

    async fn create_all(&self, conn: &Connection) -> Result<()> {
        let meta = ObjectMeta {
            name: Some(state::binding_name(&self.grant.id)),
            labels: Some(self.labels()),
            annotations: Some(self.grant.record_annotations()),
            ..ObjectMeta::default()
        };
        let role_ref = Self::role_ref(cluster_role_of(self.grant.role));
        if let Some(scope) = &self.grant.scope {
            let api: Api<RoleBinding> = Api::namespaced(conn.client.clone(), scope);
            let binding = RoleBinding { metadata: meta, role_ref, subjects: self.subjects() };
            conn.call(api.create(&PostParams::default(), &binding)).await?;
            return Ok(());
        }
        let api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
        let binding = ClusterRoleBinding { metadata: meta, role_ref, subjects: self.subjects() };
        let record = conn.call(api.create(&PostParams::default(), &binding)).await?;
        let owner = OwnerReference {
            api_version: "rbac.authorization.k8s.io/v1".into(),
            kind: "ClusterRoleBinding".into(),
            name: state::binding_name(&self.grant.id),
            uid: record.metadata.uid.clone().unwrap_or_default(),
            ..OwnerReference::default()
        };
        let namespaces = existing_namespaces(conn, &self.system_namespaces).await?;
        let mut companions = vec![("logs", crate::roles::LOGS)];
        if self.grant.role == Role::Operator {
            companions.push(("debug", crate::roles::DEBUG));
        }
        let owner = &owner;
        let creations = namespaces.iter().flat_map(|ns| {
            companions.iter().map(move |(suffix, role)| {
                let api: Api<RoleBinding> = Api::namespaced(conn.client.clone(), ns);
                let binding = RoleBinding {
                    metadata: ObjectMeta {
                        name: Some(format!("{}-{suffix}", state::binding_name(&self.grant.id))),
                        labels: Some(self.labels()),
                        owner_references: Some(vec![owner.clone()]),
                        ..ObjectMeta::default()
                    },
                    role_ref: Self::role_ref(role),
                    subjects: self.subjects(),
                };
                async move { conn.call(api.create(&PostParams::default(), &binding)).await.map(|_| ()) }
            })
        });
        futures::future::try_join_all(creations).await?;
        Ok(())
    }
}

/// Which of these namespaces exist.
async fn existing_namespaces(conn: &Connection, wanted: &[String]) -> Result<Vec<String>> {
    let api: Api<Namespace> = Api::all(conn.client.clone());
    let existing = conn.call(api.list_metadata(&ListParams::default())).await?;
    let names: std::collections::BTreeSet<String> =
        existing.items.into_iter().filter_map(|n| n.metadata.name).collect();
    Ok(wanted.iter().filter(|ns| names.contains(*ns)).cloned().collect())
}

/// Deletes a request's record binding and its companions; a binding already gone is fine.
/// Returns whether the record existed.
pub async fn delete_bindings(conn: &Connection, id: &str, scope: Option<&str>) -> Result<bool> {
    let name = state::binding_name(id);
    let record = match scope {
        Some(ns) => {
            let api = Api::<RoleBinding>::namespaced(conn.client.clone(), ns);
            ignore_not_found(conn.call(api.delete(&name, &DeleteParams::default())).await)?.map(|_| ())
        }
        None => {
            let api = Api::<ClusterRoleBinding>::all(conn.client.clone());
            ignore_not_found(conn.call(api.delete(&name, &DeleteParams::default())).await)?.map(|_| ())
        }
    };
    let selector =
        ListParams::default().labels(&format!("{},{}={id}", state::MANAGED_SELECTOR, state::REQUEST_ID_LABEL));
    let companions = conn.call(Api::<RoleBinding>::all(conn.client.clone()).list(&selector)).await?;
    let deletions = companions.items.iter().filter(|b| b.metadata.name.as_deref() != Some(&name)).map(|b| {
        let api: Api<RoleBinding> =
            Api::namespaced(conn.client.clone(), b.metadata.namespace.as_deref().unwrap_or_default());
        let name = b.metadata.name.clone().unwrap_or_default();
        async move { ignore_not_found(conn.call(api.delete(&name, &DeleteParams::default())).await) }
    });
    futures::future::try_join_all(deletions).await?;
    Ok(record.is_some())
}

fn ignore_not_found<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Deletes every managed binding in the cluster (immediate revocation of everything): one
/// collection delete for the ClusterRoleBindings, one per namespace for the RoleBindings.
pub async fn delete_all_bindings(conn: &Connection) -> Result<()> {
    let selector = ListParams::default().labels(state::MANAGED_SELECTOR);
    let cluster_api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
    conn.call(cluster_api.delete_collection(&DeleteParams::default(), &selector)).await?;
    let namespaced = conn.call(Api::<RoleBinding>::all(conn.client.clone()).list(&selector)).await?;
    let mut namespaces: Vec<String> = namespaced.items.iter().filter_map(|b| b.metadata.namespace.clone()).collect();
    namespaces.sort();
    namespaces.dedup();
    futures::future::try_join_all(namespaces.iter().map(|ns| {
        let api: Api<RoleBinding> = Api::namespaced(conn.client.clone(), ns);
        let selector = selector.clone();
        async move { conn.call(api.delete_collection(&DeleteParams::default(), &selector)).await.map(|_| ()) }
    }))
    .await?;
    Ok(())
}

/// Sets annotations on a request's record binding.
pub async fn annotate(conn: &Connection, grant: &Grant, annotations: &[(&str, String)]) -> Result<()> {
    let values: serde_json::Map<String, serde_json::Value> =
        annotations.iter().map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone()))).collect();
    let patch = Patch::Merge(serde_json::json!({ "metadata": { "annotations": values } }));
    let name = state::binding_name(&grant.id);
    let params = PatchParams::default();
    match &grant.scope {
        Some(ns) => {
            let api = Api::<RoleBinding>::namespaced(conn.client.clone(), ns);
            conn.call(api.patch(&name, &params, &patch)).await.map(|_| ())
        }
        None => {
            let api = Api::<ClusterRoleBinding>::all(conn.client.clone());
            conn.call(api.patch(&name, &params, &patch)).await.map(|_| ())
        }
    }
}

/// Whether the request's record binding still exists.
pub async fn record_exists(conn: &Connection, grant: &Grant) -> Result<bool> {
    let name = state::binding_name(&grant.id);
    Ok(match &grant.scope {
        Some(ns) => conn.call(Api::<RoleBinding>::namespaced(conn.client.clone(), ns).get_opt(&name)).await?.is_some(),
        None => conn.call(Api::<ClusterRoleBinding>::all(conn.client.clone()).get_opt(&name)).await?.is_some(),
    })
}

/// Until its first credential is issued, a request's record carries a provisional end: if the
/// `request` that made it dies half-way, the record expires soon by itself and is swept.
pub fn provisional_end(
    requested_at: DateTime<Utc>,
    end: DateTime<Utc>,
    timeout: Option<std::time::Duration>,
) -> DateTime<Utc> {
    match timeout {
        // Every step after the bindings is one call or the certificate's wait, each bounded.
        Some(limit) => {
            let window = limit.checked_mul(6).and_then(|w| w.checked_add(std::time::Duration::from_secs(10)));
            window.and_then(|w| crate::duration::after(requested_at, w)).map_or(end, |provisional| end.min(provisional))
        }
        None => end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provisional_end_never_overflows() {
        let now: DateTime<Utc> = "2026-11-23T10:00:00Z".parse().unwrap();
        let end = DateTime::<Utc>::MAX_UTC;
        assert_eq!(
            provisional_end(now, end, Some(std::time::Duration::from_secs(5))),
            now + chrono::Duration::seconds(40)
        );
        assert_eq!(provisional_end(now, end, Some(std::time::Duration::MAX)), end);
        assert_eq!(provisional_end(now, now, None), now);
    }

    #[test]
    fn ids_are_dns_labels() {
        for _ in 0..100 {
            let id = new_id().unwrap();
            assert!(is_dns_label(&id) && id.len() == 8 && id.as_bytes()[0].is_ascii_lowercase(), "{id}");
        }
        for bad in ["", "-a", "a-", "A1", "a_b", "a.b", &"a".repeat(64)] {
            assert!(!is_dns_label(bad), "{bad:?}");
        }
    }
}
