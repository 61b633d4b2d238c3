//! Writing a request's bindings: the record ClusterRoleBinding (or RoleBinding when scoped) and its
//! `-logs`/`-debug` companions in the system namespaces, created together or not at all, annotated,
//! and deleted — one request at a time or every one at once.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, DeleteParams, ListParams, PostParams};

use crate::base::error::{Error, Result};
use crate::cluster::Connection;
use crate::cluster::records::{merge_patch_record, record_meta};
use crate::state;
use crate::state::policy::Policy;
use crate::state::record::{BindingRef, Grant, subjects_of};

/// A new request: its record, and where its companion bindings go.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub grant: Grant,
    /// Where the `-logs` and `-debug` RoleBindings go, if the namespaces exist: its system and
    /// operator namespaces.
    pub policy: Policy,
}

impl NewGrant {
    fn labels(&self) -> BTreeMap<String, String> {
        let mut labels = state::managed_labels();
        labels.insert(state::REQUEST_ID_LABEL.into(), self.grant.id.clone());
        labels.insert(state::ROLE_LABEL.into(), self.grant.role.label().into());
        labels
    }

    /// The request's ServiceAccount in the system namespace; none while it waits for approval
    /// (it then grants nothing).
    fn subjects(&self, namespace: &str) -> Option<Vec<Subject>> {
        if self.grant.pending {
            return None;
        }
        self.grant.account.as_ref().map(|account| subjects_of(namespace, account, self.grant.user.as_deref()))
    }

    fn role_ref(name: &str) -> RoleRef {
        RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: "ClusterRole".into(), name: name.into() }
    }

    /// Creates the request's bindings. If any step fails, what was created is deleted again.
    pub async fn create(&self, conn: &Connection) -> Result<()> {
        let created = self.create_all(conn).await;
        if created.is_err() {
            let _ = roll_back(conn, &self.grant).await;
        }
        created
    }

    /// Identity `own`: ClusterRoleBinding `crusoe-support-<id>-holder` of ClusterRole
    /// `crusoe-support-holder` to the request's ServiceAccount and its requester's user: through it
    /// the guardrails guard asks RBAC whether a user holds a live request, and the requests guard
    /// grants the record to the user only once it exists. Made before the grant; no party deletes
    /// it (it has no owner the garbage collector could follow, either): the owner's side does, with
    /// the request's other bindings.
    pub async fn create_holder(&self, conn: &Connection, account: &str) -> Result<()> {
        let binding = ClusterRoleBinding {
            metadata: ObjectMeta {
                name: Some(state::holder_name(&self.grant.id)),
                labels: Some(self.labels()),
                annotations: Some(self.companion_annotations()),
                ..ObjectMeta::default()
            },
            role_ref: Self::role_ref(state::HOLDER_ROLE),
            subjects: Some(subjects_of(&conn.namespace, account, self.grant.user.as_deref())),
        };
        let api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
        match conn.call(api.create(&PostParams::default(), &binding)).await {
            Err(e) if !e.is_conflict() => Err(e),
            _ => Ok(()),
        }
    }

    /// What a companion (and a holder) says: who asked (its ServiceAccount carries that
    /// requester), and an approved request's who approved, as the admission guard wants them.
    fn companion_annotations(&self) -> BTreeMap<String, String> {
        let mut annotations =
            BTreeMap::from([(state::annotations::REQUESTED_BY.to_string(), self.grant.requested_by.clone())]);
        if let Some(approver) = &self.grant.approved_by {
            annotations.insert(state::annotations::APPROVED_BY.to_string(), approver.clone());
        }
        annotations
    }

    async fn create_all(&self, conn: &Connection) -> Result<()> {
        let meta = ObjectMeta {
            name: Some(state::binding_name(&self.grant.id)),
            labels: Some(self.labels()),
            annotations: Some(self.grant.record_annotations()),
            ..ObjectMeta::default()
        };
        let role_ref = Self::role_ref(self.grant.role.cluster_role());
        // With identity own the guard grants the record only once RBAC's cache holds the holder
        // binding made a moment before: scoped or cluster-wide, the write is retried meanwhile.
        let post = PostParams::default();
        if let Some(scope) = &self.grant.scope {
            let api: Api<RoleBinding> = Api::namespaced(conn.client.clone(), scope);
            let binding = RoleBinding { metadata: meta, role_ref, subjects: self.subjects(&conn.namespace) };
            after_rbac(state::refusals::GRANT_AFTER_HOLDER, || conn.call(api.create(&post, &binding))).await?;
            return Ok(());
        }
        let api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
        let binding = ClusterRoleBinding { metadata: meta, role_ref, subjects: self.subjects(&conn.namespace) };
        let record = after_rbac(state::refusals::GRANT_AFTER_HOLDER, || conn.call(api.create(&post, &binding))).await?;
        let uid = record.metadata.uid.unwrap_or_default();
        // A dry run stores no record, and the guard lets a companion follow only a stored one.
        if self.grant.pending || conn.is_dry_run() {
            return Ok(());
        }
        self.create_companions(conn, uid).await
    }

    /// Creates the `-logs`/`-debug` RoleBindings of a cluster-wide request, owned by its record
    /// (uid `record_uid`), in the companion namespaces that exist.
    pub async fn create_companions(&self, conn: &Connection, record_uid: String) -> Result<()> {
        let owner = OwnerReference {
            api_version: "rbac.authorization.k8s.io/v1".into(),
            kind: "ClusterRoleBinding".into(),
            name: state::binding_name(&self.grant.id),
            uid: record_uid,
            ..OwnerReference::default()
        };
        let annotations = Some(self.companion_annotations());
        let namespaces = conn.existing_namespaces(&self.policy.companion_namespaces()).await?;
        let (owner, annotations) = (&owner, &annotations);
        let creations = namespaces.iter().flat_map(|ns| {
            self.policy.companions_in(&self.grant.role, ns).iter().map(move |companion| {
                let api: Api<RoleBinding> = Api::namespaced(conn.client.clone(), ns);
                let binding = RoleBinding {
                    metadata: ObjectMeta {
                        name: Some(format!("{}-{}", state::binding_name(&self.grant.id), companion.suffix())),
                        labels: Some(self.labels()),
                        annotations: annotations.clone(),
                        owner_references: Some(vec![owner.clone()]),
                        ..ObjectMeta::default()
                    },
                    role_ref: Self::role_ref(companion.cluster_role()),
                    subjects: self.subjects(&conn.namespace),
                };
                async move { create_companion(conn, &api, &binding).await }
            })
        });
        futures::future::try_join_all(creations).await?;
        Ok(())
    }
}

/// Creates one companion. The guard admits it only once RBAC, which the API server reads from its
/// own cache, holds its record's grant: a companion made right after that grant is retried for a
/// few seconds while the cache catches up.
async fn create_companion(conn: &Connection, api: &Api<RoleBinding>, binding: &RoleBinding) -> Result<()> {
    after_rbac(crate::state::refusals::COMPANION_AFTER_GRANT, || async {
        conn.call(api.create(&PostParams::default(), binding)).await.map(|_| ())
    })
    .await
}

/// Runs `write` until the guard stops refusing it with `refusal` (a grant RBAC's cache does not
/// hold yet), for up to ten seconds.
pub async fn after_rbac<T, F, Fut>(refusal: &str, mut write: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut attempt = 0;
    loop {
        match write().await {
            Err(e) if e.message.contains(refusal) && std::time::Instant::now() < deadline => {
                crate::base::retry::backoff(attempt).await;
                attempt = (attempt + 1).min(4);
            }
            result => return result,
        }
    }
}

/// Moves a live request to a new ServiceAccount whose tokens may last until `end` (the admission
/// guard on TokenRequests reads a token's limit from the ServiceAccount's name, so an end moved
/// later needs one): creates it, lets `write_record` write the record with the new subject (and
/// the new end), binds the companions to it, and deletes the old ServiceAccount, whose tokens
/// then stop working — the caller mints a new one. `approver` is who approved the move, when
/// approval is required (the new companions say so, as the admission guard wants).
pub async fn move_to_account<F, Fut>(
    conn: &Connection,
    grant: &Grant,
    policy: &Policy,
    end: chrono::DateTime<chrono::Utc>,
    approver: Option<&str>,
    write_record: F,
) -> Result<()>
where
    F: FnOnce(serde_json::Value) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    // Identity `own`: no token is minted, so the ServiceAccount's end bounds nothing, and the record
    // keeps its ServiceAccount, its holder and its companions.
    if let (Some(_), Some(account)) = (&grant.user, &grant.account) {
        return write_record(serde_json::json!(subjects_of(&conn.namespace, account, grant.user.as_deref()))).await;
    }
    let account = crate::cluster::credential::create_account(conn, &grant.id, end, &grant.requested_by).await?;
    let subjects = serde_json::json!(subjects_of(&conn.namespace, &account, grant.user.as_deref()));
    if let Err(e) = write_record(subjects).await {
        if grant.account.as_deref() != Some(account.as_str()) {
            let _ = crate::cluster::credential::delete_account(conn, &account).await;
        }
        return Err(e);
    }
    if grant.scope.is_none() && grant.account.as_deref() != Some(account.as_str()) {
        delete_own_companions(conn, &grant.id).await?;
        let uid = record_meta(conn, grant).await?.and_then(|m| m.uid).unwrap_or_default();
        let moved = Grant {
            account: Some(account.clone()),
            expires_at: end,
            approved_by: approver.map(str::to_string).or_else(|| grant.approved_by.clone()),
            ..grant.clone()
        };
        NewGrant { grant: moved, policy: policy.clone() }.create_companions(conn, uid).await?;
    }
    if let Some(old) = grant.account.as_deref().filter(|old| *old != account) {
        crate::cluster::credential::delete_account(conn, old).await?;
    }
    Ok(())
}

/// Deletes the bindings this run made for a request (its record and companions, by name and
/// label), then its ServiceAccounts: the rollback of a request that failed half-way.
pub async fn delete_own_bindings(conn: &Connection, id: &str, scope: Option<&str>) -> Result<()> {
    let record = BindingRef {
        kind: if scope.is_some() { "RoleBinding" } else { "ClusterRoleBinding" },
        namespace: scope.map(str::to_string),
        name: state::binding_name(id),
    };
    let holder = BindingRef { kind: "ClusterRoleBinding", namespace: None, name: state::holder_name(id) };
    let refs: Vec<BindingRef> = [record, holder].into_iter().chain(own_companions(conn, id).await?).collect();
    delete_refs(conn, &refs).await?;
    crate::cluster::credential::delete_accounts(conn, &[id]).await
}

/// Ends a request the way its requester may, since a requester never deletes a record (the owner's
/// side does, and writes the history line, so every access reaches the history): its end moves to
/// now, its record loses its subject, and its companions and its requester's ServiceAccounts are
/// deleted, so their tokens die and a ServiceAccount made again under the old name binds nothing.
/// A record already gone is fine.
pub async fn end_own(conn: &Connection, grant: &Grant) -> Result<()> {
    use crate::state::annotations as ann;
    let now = crate::output::rfc3339(chrono::Utc::now().max(grant.requested_at));
    let mut annotations = serde_json::json!({ ann::EXPIRES_AT: now, ann::EXTENSION_REQUESTED: null });
    if grant.credential_expires_at.is_some() {
        annotations[ann::CREDENTIAL_EXPIRES_AT] = serde_json::json!(now);
    }
    let body = serde_json::json!({ "metadata": { "annotations": annotations }, "subjects": null });
    match merge_patch_record(conn, grant, body).await {
        Err(e) if !e.is_not_found() => return Err(e),
        _ => {}
    }
    delete_own_companions(conn, &grant.id).await?;
    crate::cluster::credential::delete_accounts_of(conn, &grant.id, &grant.requested_by).await
}

/// Undoes a request that failed half-way: deleted outright when the caller may (an owner), else
/// ended as its requester may ([`end_own`]; the owner's next sweep deletes and records it).
pub async fn roll_back(conn: &Connection, grant: &Grant) -> Result<()> {
    match delete_own_bindings(conn, &grant.id, grant.scope.as_deref()).await {
        Err(e) if e.kind == crate::base::error::ErrorKind::Forbidden => end_own(conn, grant).await,
        other => other,
    }
}

/// Deletes a request's companion RoleBindings only (an approval that failed half-way).
pub async fn delete_own_companions(conn: &Connection, id: &str) -> Result<()> {
    delete_refs(conn, &own_companions(conn, id).await?).await.map(|_| ())
}

/// The managed RoleBindings labelled with this request id, in any namespace.
async fn own_companions(conn: &Connection, id: &str) -> Result<Vec<BindingRef>> {
    let selector =
        ListParams::default().labels(&format!("{},{}={id}", state::MANAGED_SELECTOR, state::REQUEST_ID_LABEL));
    let companions = conn.call(Api::<RoleBinding>::all(conn.client.clone()).list(&selector)).await?;
    Ok(companions
        .items
        .iter()
        .filter(|b| b.metadata.name.as_deref() != Some(state::binding_name(id).as_str()))
        .map(|b| BindingRef {
            kind: "RoleBinding",
            namespace: b.metadata.namespace.clone(),
            name: b.metadata.name.clone().unwrap_or_default(),
        })
        .collect())
}

/// A name or namespace read from the cluster as one URL path segment: every byte but the
/// unreserved ones percent-encoded (RBAC allows spaces and control characters in binding names;
/// the API server decodes the path).
pub fn path_segment(name: &str) -> String {
    let mut segment = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            segment.push(char::from(byte));
        } else {
            segment.push_str(&format!("%{byte:02X}"));
        }
    }
    segment
}

/// Deletes these bindings concurrently; one already gone is fine. Returns those that existed.
pub async fn delete_refs(conn: &Connection, refs: &[BindingRef]) -> Result<Vec<BindingRef>> {
    let deletions = refs.iter().map(|binding| async move {
        let params = DeleteParams::default();
        let name = path_segment(&binding.name);
        let deleted = match &binding.namespace {
            Some(ns) if binding.kind == "RoleBinding" => {
                let api = Api::<RoleBinding>::namespaced(conn.client.clone(), &path_segment(ns));
                ignore_not_found(conn.call(api.delete(&name, &params)).await)?.map(|_| ())
            }
            _ => {
                let api = Api::<ClusterRoleBinding>::all(conn.client.clone());
                ignore_not_found(conn.call(api.delete(&name, &params)).await)?.map(|_| ())
            }
        };
        Ok::<_, Error>(deleted.map(|()| binding.clone()))
    });
    Ok(futures::future::try_join_all(deletions).await?.into_iter().flatten().collect())
}

fn ignore_not_found<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::is_dns_label;

    #[test]
    fn names_from_the_cluster_are_one_encoded_path_segment() {
        assert_eq!(path_segment("crusoe-support-abc"), "crusoe-support-abc");
        assert_eq!(path_segment("has space"), "has%20space");
        assert_eq!(path_segment("a/../b?c#d%"), "a%2F..%2Fb%3Fc%23d%25");
        assert_eq!(path_segment("\u{1b}[2J"), "%1B%5B2J");
        assert_eq!(path_segment("é"), "%C3%A9");
    }

    #[test]
    fn ids_are_dns_labels() {
        for _ in 0..100 {
            let id = crate::state::new_id().unwrap();
            assert!(is_dns_label(&id) && id.len() == 8 && id.as_bytes()[0].is_ascii_lowercase(), "{id}");
        }
        for bad in ["", "-a", "a-", "A1", "a_b", "a.b", &"a".repeat(64)] {
            assert!(!is_dns_label(bad), "{bad:?}");
        }
    }
}
