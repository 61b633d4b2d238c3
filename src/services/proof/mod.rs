//! Live proof of the admission guards for `roles --verify`, changing nothing: server-side dry-run
//! writes made as a temporary support identity (impersonation) and as the caller, each expected
//! to be refused by a named guard or allowed; and the indirect paths no guard closes — what the
//! service accounts of pods support may exec into could do.

pub mod bounds;
pub mod probe;
pub mod support_bounds;

use probe::{GuardProof, as_written, dry_run, outcome, proof, record_binding};

use chrono::Utc;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
use kube::ResourceExt;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PostParams};
use serde::Serialize;
use serde_json::json;

use crate::base::error::Result;
use crate::cluster::Connection;
use crate::cluster::access::{Permission, subject_can};
use crate::output::rfc3339;
use crate::services::admission::{self, GUARDRAILS, REQUESTS};
use crate::services::verify::VerifyIdentity;
use crate::state::policy::Policy;
use crate::state::roles::Role;

/// Proves every guard the policy wants. A guard that is missing or changed is a failed row.
pub async fn guards(conn: &Connection, policy: &Policy, by: &str) -> Result<Vec<GuardProof>> {
    let status = admission::InstalledGuards::read(conn).await?.status(&conn.namespace, policy);
    if !status.available {
        return Ok(vec![proof(
            REQUESTS,
            "the admission guards",
            "allowed",
            "skipped: this server has no ValidatingAdmissionPolicy v1 (Kubernetes before 1.30)".into(),
        )]);
    }
    let mut proofs: Vec<GuardProof> = status
        .missing
        .iter()
        .map(|name| proof(guard_name(name), format!("{name} is installed"), "allowed", "missing".into()))
        .chain(status.differences.iter().map(|d| {
            let check = format!("{} enforces the policy ConfigMap", d.guard);
            proof(guard_name(&d.guard), check, "allowed", format!("changed: {}", d.detail))
        }))
        .collect();
    proofs.extend(as_caller(conn, policy, by).await?);
    proofs.extend(crate::services::proof::support_bounds::prove(conn).await?);
    if policy.guardrails {
        let namespaces = conn.existing_namespaces(&policy.system_namespaces).await?;
        let namespace = namespaces.first().cloned().unwrap_or_else(|| "kube-system".into());
        let identity = VerifyIdentity::create(conn, &Role::Operator.into(), &namespace, false).await?;
        let proved = as_support(conn, &identity, &namespaces).await;
        let deleted = identity.delete(conn).await;
        proofs.extend(proved?);
        deleted?;
    }
    Ok(proofs)
}

fn guard_name(name: &str) -> &'static str {
    admission::ALL.into_iter().find(|g| *g == name).unwrap_or(REQUESTS)
}

/// As the caller: support bindings the requests guard must refuse, and the one it must allow.
async fn as_caller(conn: &Connection, policy: &Policy, by: &str) -> Result<Vec<GuardProof>> {
    let api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
    let now = Utc::now();
    let role = policy.enabled_roles.first().copied().unwrap_or(Role::Readonly);
    let record = |id: &str, role: Role, lasts: chrono::TimeDelta| {
        as_written(policy, record_binding(id, role, now, lasts, by, &conn.namespace))
    };
    let create = |binding: ClusterRoleBinding| {
        let api = api.clone();
        async move {
            let params = PostParams { dry_run: true, ..PostParams::default() };
            conn.call(api.create(&params, &binding)).await
        }
    };
    let hour = chrono::TimeDelta::hours(1);
    let mut proofs = Vec::new();
    let well_formed = outcome(REQUESTS, create(record("verifyok", role, hour)).await);
    if policy.enabled {
        proofs.push(proof(REQUESTS, "a well-formed record of an enabled role", "allowed", well_formed));
    } else {
        proofs.push(proof(REQUESTS, "a support binding while disabled", "refused", well_formed));
    }
    let too_long = chrono::Duration::from_std(policy.max_duration).unwrap_or(hour) + hour;
    proofs.push(proof(
        REQUESTS,
        format!("a record longer than maxDuration ({})", rfc3339(now + too_long)),
        "refused",
        outcome(REQUESTS, create(record("verifylong", role, too_long)).await),
    ));
    if let Some(withdrawn) = Role::ALL.into_iter().find(|r| !policy.enabled_roles.contains(r)) {
        proofs.push(proof(
            REQUESTS,
            format!("a record of role {withdrawn}, which is not enabled"),
            "refused",
            outcome(REQUESTS, create(record("verifyrole", withdrawn, hour)).await),
        ));
    }
    // With its subject (a pending record has none, so it would match no guard).
    let mut bare = record_binding("verifybare", role, now, hour, by, &conn.namespace);
    bare.metadata.labels = None;
    proofs.push(proof(
        REQUESTS,
        "a binding to a support group that is not a request's record",
        "refused",
        outcome(REQUESTS, create(bare).await),
    ));
    Ok(proofs)
}

/// As a temporary operator identity: what the guardrails refuse and allow.
async fn as_support(conn: &Connection, identity: &VerifyIdentity, namespaces: &[String]) -> Result<Vec<GuardProof>> {
    let support = conn.impersonating(&identity.user(), &identity.groups())?;
    let mut proofs = Vec::new();
    let mut deployment = None;
    for ns in namespaces {
        let api: Api<Deployment> = Api::namespaced(conn.client.clone(), ns);
        if let Some(found) = conn.call(api.list(&ListParams::default().limit(1))).await?.items.into_iter().next() {
            deployment = Some(found);
            break;
        }
    }
    match deployment {
        None => proofs.push(proof(
            GUARDRAILS,
            "pod template changes",
            "refused",
            "skipped: no Deployment in the system namespaces to try them on".into(),
        )),
        Some(found) => {
            let (ns, name) = (found.namespace().unwrap_or_default(), found.name_any());
            let api: Api<Deployment> = Api::namespaced(support.client.clone(), &ns);
            let target = format!("Deployment {ns}/{name}");
            let patch = |body: serde_json::Value| {
                let api = api.clone();
                let name = name.clone();
                let support = &support;
                async move { support.call(api.patch(&name, &dry_run(), &Patch::Strategic(body))).await }
            };
            for (check, body, expected) in [
                (
                    "serviceAccountName",
                    json!({"spec": {"template": {"spec": {"serviceAccountName": "verify-probe"}}}}),
                    "refused",
                ),
                (
                    "a secret volume",
                    json!({"spec": {"template": {"spec": {"volumes": [{"name": "verify-probe", "secret": {"secretName": "verify-probe"}}]}}}}),
                    "refused",
                ),
                (
                    "a hostPath volume",
                    json!({"spec": {"template": {"spec": {"volumes": [{"name": "verify-probe", "hostPath": {"path": "/"}}]}}}}),
                    "refused",
                ),
                (
                    "rollout restart",
                    json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": rfc3339(Utc::now())}}}}}),
                    "allowed",
                ),
            ] {
                proofs.push(proof(
                    GUARDRAILS,
                    format!("{check} on {target}"),
                    expected,
                    outcome(GUARDRAILS, patch(body).await),
                ));
            }
            let replicas = found.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
            let scale = support
                .call(api.patch_scale(&name, &dry_run(), &Patch::Merge(json!({"spec": {"replicas": replicas}}))))
                .await;
            proofs.push(proof(GUARDRAILS, format!("scale {target}"), "allowed", outcome(GUARDRAILS, scale)));
        }
    }
    let nodes: Api<Node> = Api::all(conn.client.clone());
    match conn.call(nodes.list(&ListParams::default().limit(1))).await?.items.into_iter().next() {
        None => proofs.push(proof(GUARDRAILS, "node changes", "refused", "skipped: the cluster has no Node".into())),
        Some(node) => {
            let api: Api<Node> = Api::all(support.client.clone());
            let name = node.name_any();
            let unschedulable = node.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false);
            for (check, body, expected) in [
                ("cordon", json!({"spec": {"unschedulable": !unschedulable}}), "allowed"),
                ("a label", json!({"metadata": {"labels": {"support-access.crusoe.ai/verify-probe": "x"}}}), "refused"),
            ] {
                let result = support.call(api.patch(&name, &dry_run(), &Patch::Merge(body))).await;
                proofs.push(proof(
                    GUARDRAILS,
                    format!("{check} on Node {name}"),
                    expected,
                    outcome(GUARDRAILS, result),
                ));
            }
        }
    }
    let policies = ApiResource {
        group: "nvidia.com".into(),
        version: "v1".into(),
        api_version: "nvidia.com/v1".into(),
        kind: "ClusterPolicy".into(),
        plural: "clusterpolicies".into(),
    };
    let api: Api<DynamicObject> = Api::all_with(conn.client.clone(), &policies);
    let found = match conn.call(api.list(&ListParams::default().limit(1))).await {
        Ok(list) => list.items.into_iter().next(),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e),
    };
    match found {
        None => proofs.push(proof(
            GUARDRAILS,
            "an nvidia ClusterPolicy's driver image",
            "refused",
            "skipped: no nvidia.com ClusterPolicy".into(),
        )),
        Some(cluster_policy) => {
            let api: Api<DynamicObject> = Api::all_with(support.client.clone(), &policies);
            let name = cluster_policy.name_any();
            let body = json!({"spec": {"driver": {"image": "verify-probe"}}});
            let result = support.call(api.patch(&name, &dry_run(), &Patch::Merge(body))).await;
            proofs.push(proof(
                GUARDRAILS,
                format!("the driver image of ClusterPolicy {name}"),
                "refused",
                outcome(GUARDRAILS, result),
            ));
        }
    }
    Ok(proofs)
}

/// A service account of a pod support may exec into, and what it could do: the paths from exec
/// to more than the role grants, which no admission guard closes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndirectPath {
    pub namespace: String,
    pub service_account: String,
    /// Some of the pods that run as it.
    pub pods: Vec<String>,
    pub reads_secrets: bool,
    pub creates_pods: bool,
    pub binds_escalates_or_impersonates: bool,
}

impl IndirectPath {
    pub fn is_risky(&self) -> bool {
        self.reads_secrets || self.creates_pods || self.binds_escalates_or_impersonates
    }
}

/// For every pod in the system and operator namespaces (where operator requests may exec), its service account
/// and what that account may do, asked with SubjectAccessReview.
pub async fn indirect_paths(conn: &Connection, policy: &Policy) -> Result<Vec<IndirectPath>> {
    let mut paths = Vec::new();
    for ns in conn.existing_namespaces(&policy.companion_namespaces()).await? {
        let api: Api<Pod> = Api::namespaced(conn.client.clone(), &ns);
        let pods = conn.call(api.list(&ListParams::default())).await?.items;
        let mut accounts: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for pod in &pods {
            let account =
                pod.spec.as_ref().and_then(|s| s.service_account_name.clone()).unwrap_or_else(|| "default".into());
            accounts.entry(account).or_default().push(pod.name_any());
        }
        for (account, pods) in accounts {
            let user = format!("system:serviceaccount:{ns}:{account}");
            let groups = vec![
                "system:serviceaccounts".to_string(),
                format!("system:serviceaccounts:{ns}"),
                "system:authenticated".to_string(),
            ];
            let rbac = "rbac.authorization.k8s.io";
            let asked = [
                Permission::new("get", "", "secrets").within(&ns),
                Permission::new("list", "", "secrets"),
                Permission::new("create", "", "pods").within(&ns),
                Permission::new("bind", rbac, "clusterroles"),
                Permission::new("escalate", rbac, "clusterroles"),
                Permission::new("impersonate", "", "users"),
                Permission::new("impersonate", "", "groups"),
            ];
            let can = subject_can(conn, &user, &groups, &asked).await?;
            paths.push(IndirectPath {
                namespace: ns.clone(),
                service_account: account,
                pods: pods.into_iter().take(3).collect(),
                reads_secrets: can[0] || can[1],
                creates_pods: can[2],
                binds_escalates_or_impersonates: can[3..].contains(&true),
            });
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_counts_only_when_the_named_guard_gave_it() {
        let guard_said = crate::base::error::Error::forbidden(
            "x is forbidden: ValidatingAdmissionPolicy 'crusoe-support-guardrails' with binding 'b' denied request: no",
        );
        assert_eq!(outcome::<()>(GUARDRAILS, Err(guard_said)), "refused");
        let rbac_said = crate::base::error::Error::forbidden(
            r#"deployments.apps "x" is forbidden: User "u" cannot patch resource "deployments" in API group "apps" in the namespace "kube-system""#,
        );
        assert!(outcome::<()>(GUARDRAILS, Err(rbac_said)).starts_with("refused by something else"));
        assert_eq!(outcome(GUARDRAILS, Ok(())), "allowed");
        assert!(proof(GUARDRAILS, "x", "refused", "skipped: none".into()).ok());
        assert!(!proof(GUARDRAILS, "x", "refused", "allowed".into()).ok());
    }
}
