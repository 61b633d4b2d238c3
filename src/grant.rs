//! A support request as the cluster holds it: the binding named `crusoe-support-<id>` whose labels
//! and annotations are the request's record. Reading fails closed: a record that does not parse
//! is an [`InvalidGrant`], treated as expired and reported, never trusted.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde::Serialize;

use crate::cluster::Connection;
use crate::error::{Error, Result};
use crate::output::rfc3339;
use crate::policy::Role;
use crate::state::{self, annotations as ann};

/// A live or past support request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub id: String,
    pub role: Role,
    /// The namespace of a scoped request; `None` for a cluster-wide one.
    pub scope: Option<String>,
    pub requestor: String,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub credential_expires_at: Option<DateTime<Utc>>,
    pub requested_by: String,
    /// Every annotation of the binding, as stored.
    pub annotations: BTreeMap<String, String>,
}

/// A managed request binding whose record does not parse.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvalidGrant {
    pub name: String,
    pub namespace: Option<String>,
    pub id: Option<String>,
    pub problem: String,
}

impl Grant {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.expires_at > now
    }

    /// Reads a request record from a binding's name, labels and annotations.
    pub fn from_metadata(
        name: &str,
        namespace: Option<&str>,
        labels: &BTreeMap<String, String>,
        annotations: &BTreeMap<String, String>,
    ) -> Result<Grant, InvalidGrant> {
        let id = labels.get(state::REQUEST_ID_LABEL).cloned();
        let invalid = |problem: String| InvalidGrant {
            name: name.to_string(),
            namespace: namespace.map(str::to_string),
            id: id.clone(),
            problem,
        };
        let Some(request_id) = id.clone() else {
            return Err(invalid(format!("label {} is missing", state::REQUEST_ID_LABEL)));
        };
        let role = labels
            .get(state::ROLE_LABEL)
            .ok_or_else(|| invalid(format!("label {} is missing", state::ROLE_LABEL)))?
            .parse::<Role>()
            .map_err(|e| invalid(format!("label {}: {e}", state::ROLE_LABEL)))?;
        let text = |key: &str| {
            annotations
                .get(key)
                .filter(|v| !v.is_empty())
                .cloned()
                .ok_or_else(|| invalid(format!("annotation {key} is missing")))
        };
        let time = |key: &str| -> Result<DateTime<Utc>, InvalidGrant> {
            let value = text(key)?;
            parse_time(&value).ok_or_else(|| invalid(format!("annotation {key} is {value:?}, not an RFC3339 time")))
        };
        let credential_expires_at = match annotations.get(ann::CREDENTIAL_EXPIRES_AT) {
            None => None,
            Some(_) => Some(time(ann::CREDENTIAL_EXPIRES_AT)?),
        };
        let requested_at = time(ann::REQUESTED_AT)?;
        let expires_at = time(ann::EXPIRES_AT)?;
        if expires_at < requested_at {
            return Err(invalid("annotation expires-at is before requested-at".to_string()));
        }
        Ok(Grant {
            id: request_id,
            role,
            scope: namespace.map(str::to_string),
            requestor: text(ann::REQUESTOR)?,
            reason: text(ann::REASON)?,
            requested_at,
            expires_at,
            credential_expires_at,
            requested_by: text(ann::REQUESTED_BY)?,
            annotations: annotations.clone(),
        })
    }
}

/// RFC3339 with an explicit offset, converted to UTC.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// Every managed request record in the cluster, valid or not, and the foreign grants.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Grants {
    pub valid: Vec<Grant>,
    pub invalid: Vec<InvalidGrant>,
    /// Bindings the plugin did not create whose subject is a support identity.
    pub foreign: Vec<ForeignGrant>,
    /// The Helm release whose static bindings use the support roles, when the chart is installed.
    pub helm: Option<HelmRelease>,
}

/// Crusoe's `crusoe-support-roles` chart, seen through its static bindings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmRelease {
    pub release: String,
    pub chart: String,
    /// The groups its static bindings grant the support roles to.
    pub groups: Vec<String>,
}

/// A binding the plugin did not create that grants something to a support identity: it would
/// outlive revocation, so it is reported (never deleted).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForeignGrant {
    pub kind: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    pub role: String,
    pub subjects: Vec<String>,
}

impl ForeignGrant {
    /// "ClusterRoleBinding ns/name gives ROLE to Group x, User y".
    pub fn describe(&self) -> String {
        format!(
            "{} {}{} gives {} to {}",
            self.kind,
            self.namespace.as_ref().map(|ns| format!("{ns}/")).unwrap_or_default(),
            self.name,
            self.role,
            self.subjects.join(", ")
        )
    }
}

struct Listed<'a> {
    kind: &'static str,
    meta: &'a ObjectMeta,
    role: &'a str,
    subjects: &'a [Subject],
}

impl Grants {
    /// Lists the bindings (two calls, concurrently) and reads the request records: the managed
    /// bindings named after their request id (the `-logs`/`-debug` companions are not records).
    /// With `scan_foreign`, every binding is listed so that foreign grants are found; otherwise
    /// the server selects the managed ones by label.
    pub async fn list(conn: &Connection, scan_foreign: bool) -> Result<Grants> {
        let selector =
            if scan_foreign { ListParams::default() } else { ListParams::default().labels(state::MANAGED_SELECTOR) };
        let cluster_api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
        let namespaced_api: Api<RoleBinding> = Api::all(conn.client.clone());
        let (cluster, namespaced) =
            tokio::try_join!(conn.call(cluster_api.list(&selector)), conn.call(namespaced_api.list(&selector)))?;
        let listed = cluster
            .items
            .iter()
            .map(|b| Listed {
                kind: "ClusterRoleBinding",
                meta: &b.metadata,
                role: &b.role_ref.name,
                subjects: b.subjects.as_deref().unwrap_or_default(),
            })
            .chain(namespaced.items.iter().map(|b| Listed {
                kind: "RoleBinding",
                meta: &b.metadata,
                role: &b.role_ref.name,
                subjects: b.subjects.as_deref().unwrap_or_default(),
            }));
        let mut grants = Grants::default();
        for binding in listed {
            grants.add(binding);
        }
        grants.valid.sort_by(|a, b| a.requested_at.cmp(&b.requested_at).then(a.id.cmp(&b.id)));
        Ok(grants)
    }

    fn add(&mut self, binding: Listed<'_>) {
        let meta = binding.meta;
        let name = meta.name.clone().unwrap_or_default();
        let namespace = meta.namespace.as_deref();
        let labels = meta.labels.clone().unwrap_or_default();
        if let Some((release, chart)) = crate::roles::helm_release(meta)
            && crate::roles::definitions().iter().any(|d| d.name == binding.role)
        {
            let helm = self.helm.get_or_insert_with(|| HelmRelease { release, chart, groups: Vec::new() });
            helm.groups.extend(binding.subjects.iter().map(|s| s.name.clone()));
            helm.groups.sort();
            helm.groups.dedup();
        }
        if labels.get(state::MANAGED_LABEL).map(String::as_str) != Some("true") {
            let support: Vec<String> = binding
                .subjects
                .iter()
                .filter(|s| (s.kind == "Group" || s.kind == "User") && state::is_support_subject(&s.name))
                .map(|s| format!("{} {}", s.kind, s.name))
                .collect();
            if !support.is_empty() {
                self.foreign.push(ForeignGrant {
                    kind: binding.kind,
                    name,
                    namespace: namespace.map(str::to_string),
                    role: binding.role.to_string(),
                    subjects: support,
                });
            }
            return;
        }
        let id = labels.get(state::REQUEST_ID_LABEL);
        let is_record = id.is_some_and(|id| state::binding_name(id) == name);
        let is_companion = meta.owner_references.as_ref().is_some_and(|o| !o.is_empty())
            || id.is_some_and(|id| name.starts_with(&state::binding_name(id)));
        if !is_record && is_companion {
            return;
        }
        let annotations = meta.annotations.clone().unwrap_or_default();
        let record = Grant::from_metadata(&name, namespace, &labels, &annotations).and_then(|grant| {
            check_binding(&grant, binding.role, binding.subjects).map_err(|problem| InvalidGrant {
                name: name.clone(),
                namespace: namespace.map(str::to_string),
                id: Some(grant.id.clone()),
                problem,
            })?;
            Ok(grant)
        });
        match record {
            Ok(grant) => self.valid.push(grant),
            Err(invalid) => self.invalid.push(invalid),
        }
    }

    /// The requests still running at `now`, oldest first.
    pub fn live(&self, now: DateTime<Utc>) -> Vec<&Grant> {
        self.valid.iter().filter(|g| g.is_live(now)).collect()
    }

    /// Live requests that hold a credential: the working ones `get` lists.
    pub fn working(&self, now: DateTime<Utc>) -> Vec<&Grant> {
        self.live(now).into_iter().filter(|g| g.credential_expires_at.is_some()).collect()
    }

    /// Live requests still being made, or abandoned before their first credential.
    pub fn pending(&self, now: DateTime<Utc>) -> Vec<&Grant> {
        self.live(now).into_iter().filter(|g| g.credential_expires_at.is_none()).collect()
    }

    pub fn find(&self, id: &str) -> Option<&Grant> {
        self.valid.iter().find(|g| g.id == id)
    }
}

/// A record whose roleRef or subject was edited is not trusted.
fn check_binding(grant: &Grant, role: &str, subjects: &[Subject]) -> Result<(), String> {
    let expected_role = cluster_role_of(grant.role);
    if role != expected_role {
        return Err(format!("roleRef is {role:?}, not {expected_role:?}"));
    }
    let group = state::request_group(&grant.id);
    match subjects {
        [only] if only.kind == "Group" && only.name == group => Ok(()),
        _ => Err(format!("subjects were edited: the only subject must be Group {group}")),
    }
}

/// The ClusterRole a request's record binding refers to.
pub fn cluster_role_of(role: Role) -> &'static str {
    match role {
        Role::Readonly => crate::roles::READONLY,
        Role::Operator => crate::roles::OPERATOR,
    }
}

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

/// What a new request's bindings say.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub id: String,
    pub role: Role,
    pub scope: Option<String>,
    pub requestor: String,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub requested_by: String,
    /// Where the `-logs` (and, for operator, `-debug`) RoleBindings go, if they exist.
    pub system_namespaces: Vec<String>,
}

impl NewGrant {
    fn labels(&self) -> BTreeMap<String, String> {
        let mut labels = state::managed_labels();
        labels.insert(state::REQUEST_ID_LABEL.into(), self.id.clone());
        labels.insert(state::ROLE_LABEL.into(), self.role.name().into());
        labels
    }

    fn annotations(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (ann::REQUESTOR.into(), self.requestor.clone()),
            (ann::REASON.into(), self.reason.clone()),
            (ann::REQUESTED_AT.into(), rfc3339(self.requested_at)),
            (ann::EXPIRES_AT.into(), rfc3339(self.expires_at)),
            (ann::REQUESTED_BY.into(), self.requested_by.clone()),
        ])
    }

    fn subjects(&self) -> Option<Vec<Subject>> {
        Some(vec![Subject {
            kind: "Group".into(),
            name: state::request_group(&self.id),
            api_group: Some("rbac.authorization.k8s.io".into()),
            namespace: None,
        }])
    }

    fn role_ref(name: &str) -> RoleRef {
        RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: "ClusterRole".into(), name: name.into() }
    }

    /// The request as `get` will read it back.
    pub fn grant(&self) -> Grant {
        Grant {
            id: self.id.clone(),
            role: self.role,
            scope: self.scope.clone(),
            requestor: self.requestor.clone(),
            reason: self.reason.clone(),
            requested_at: self.requested_at,
            expires_at: self.expires_at,
            credential_expires_at: None,
            requested_by: self.requested_by.clone(),
            annotations: self.annotations(),
        }
    }

    /// Creates the request's bindings. If any step fails, what was created is deleted again.
    pub async fn create(&self, conn: &Connection) -> Result<()> {
        let created = self.create_all(conn).await;
        if created.is_err() {
            let _ = delete_bindings(conn, &self.id, self.scope.as_deref()).await;
        }
        created
    }

    async fn create_all(&self, conn: &Connection) -> Result<()> {
        let meta = ObjectMeta {
            name: Some(state::binding_name(&self.id)),
            labels: Some(self.labels()),
            annotations: Some(self.annotations()),
            ..ObjectMeta::default()
        };
        let role_ref = Self::role_ref(cluster_role_of(self.role));
        if let Some(scope) = &self.scope {
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
            name: state::binding_name(&self.id),
            uid: record.metadata.uid.clone().unwrap_or_default(),
            ..OwnerReference::default()
        };
        let namespaces = existing_namespaces(conn, &self.system_namespaces).await?;
        let mut companions = vec![("logs", crate::roles::LOGS)];
        if self.role == Role::Operator {
            companions.push(("debug", crate::roles::DEBUG));
        }
        let owner = &owner;
        let creations = namespaces.iter().flat_map(|ns| {
            companions.iter().map(move |(suffix, role)| {
                let api: Api<RoleBinding> = Api::namespaced(conn.client.clone(), ns);
                let binding = RoleBinding {
                    metadata: ObjectMeta {
                        name: Some(format!("{}-{suffix}", state::binding_name(&self.id))),
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
            let window = chrono::Duration::from_std(limit * 6).unwrap_or(chrono::Duration::MAX);
            end.min(requested_at + window + chrono::Duration::seconds(10))
        }
        None => end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(id: &str, role: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            (state::REQUEST_ID_LABEL.to_string(), id.to_string()),
            (state::ROLE_LABEL.to_string(), role.to_string()),
        ])
    }

    fn record() -> BTreeMap<String, String> {
        [
            (ann::REQUESTOR, "00uix9g0n77KrcdMq5d7"),
            (ann::REASON, "This is a test!"),
            (ann::REQUESTED_AT, "2026-03-30T23:12:53Z"),
            (ann::EXPIRES_AT, "2026-04-01T03:12:53Z"),
            (ann::CREDENTIAL_EXPIRES_AT, "2026-04-01T01:46:18Z"),
            (ann::REQUESTED_BY, "admin"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
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

    #[test]
    fn reads_a_complete_record() {
        let grant = Grant::from_metadata("crusoe-support-ab12", None, &labels("ab12", "readonly"), &record()).unwrap();
        assert_eq!(grant.id, "ab12");
        assert_eq!(grant.role, Role::Readonly);
        assert_eq!(grant.requestor, "00uix9g0n77KrcdMq5d7");
        assert!(grant.is_live("2026-03-31T00:00:00Z".parse().unwrap()));
        assert!(!grant.is_live("2026-04-01T03:12:53Z".parse().unwrap()));
    }

    #[test]
    fn a_record_that_does_not_parse_is_invalid_not_trusted() {
        let mut bad_time = record();
        bad_time.insert(ann::EXPIRES_AT.into(), "tomorrow".into());
        let mut missing = record();
        missing.remove(ann::REASON);
        let mut backwards = record();
        backwards.insert(ann::EXPIRES_AT.into(), "2026-01-01T00:00:00Z".into());
        for annotations in [bad_time, missing, backwards] {
            let invalid = Grant::from_metadata("crusoe-support-ab12", None, &labels("ab12", "readonly"), &annotations)
                .unwrap_err();
            assert_eq!(invalid.id.as_deref(), Some("ab12"));
        }
        let invalid =
            Grant::from_metadata("crusoe-support-ab12", None, &labels("ab12", "root"), &record()).unwrap_err();
        assert!(invalid.problem.contains("unknown role"));
    }
}
