//! What a support credential may never write, proven live for `roles --verify`, changing nothing:
//! a temporary support identity that RBAC lets write in the system namespace (ClusterRole `admin`
//! there, as an allowed ClusterRole could give it) is refused the support state and RBAC by
//! `crusoe-support-identities`, and so is a request's ServiceAccount acting without its own token.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::rbac::v1::{RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, PostParams};

use crate::base::error::{Error, Result};
use crate::cluster::Connection;
use crate::cluster::access::{Permission, subject_can};
use crate::services::admission::IDENTITIES;
use crate::services::proof::probe::{GuardProof, outcome, proof};
use crate::state;

/// The ClusterRole the temporary identity holds in the system namespace: it writes ConfigMaps and
/// RoleBindings there, so only the guard stands in the way.
const WRITER: &str = "admin";

/// Proves `crusoe-support-identities` with dry-run writes as a temporary support identity and as
/// an impersonated request ServiceAccount.
pub async fn prove(conn: &Connection) -> Result<Vec<GuardProof>> {
    let id = crate::state::new_id()?;
    let group = state::verify_group(&id);
    let name = format!("supportaccess-verify-{id}-state");
    let binding = RoleBinding {
        metadata: crate::services::verify::verification_meta(name.clone(), Some(&conn.namespace)),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: WRITER.into(),
        },
        subjects: Some(vec![Subject {
            kind: "Group".into(),
            name: group.clone(),
            api_group: Some("rbac.authorization.k8s.io".into()),
            namespace: None,
        }]),
    };
    let api: Api<RoleBinding> = Api::namespaced(conn.client.clone(), &conn.namespace);
    conn.call(api.create(&PostParams::default(), &binding)).await?;
    let proved = prove_as(conn, &id, &group).await;
    let deleted = conn.call(api.delete(&name, &DeleteParams::default())).await;
    let proved = proved?;
    deleted?;
    Ok(proved)
}

async fn prove_as(conn: &Connection, id: &str, group: &str) -> Result<Vec<GuardProof>> {
    let ns = conn.namespace.as_str();
    let groups = vec![group.to_string(), state::SUPPORT_GROUP.to_string(), "system:authenticated".to_string()];
    let support = format!("crusoe-support:verify-{id}");
    let writes = Permission::new("create", "", "configmaps").within(ns);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while subject_can(conn, &support, &groups, std::slice::from_ref(&writes)).await?.contains(&false) {
        if std::time::Instant::now() > deadline {
            return Err(Error::failed("the API server did not apply the temporary verification binding within 10s"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let create = PostParams { dry_run: true, ..PostParams::default() };
    let config_map = ConfigMap {
        metadata: ObjectMeta { name: Some("supportaccess-verify".into()), ..ObjectMeta::default() },
        data: Some(BTreeMap::from([("verify".to_string(), "x".to_string())])),
        ..ConfigMap::default()
    };
    let role_binding = RoleBinding {
        metadata: ObjectMeta { name: Some("supportaccess-verify".into()), ..ObjectMeta::default() },
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: "view".into(),
        },
        subjects: Some(vec![Subject {
            kind: "User".into(),
            name: "supportaccess-verify-other".into(),
            api_group: Some("rbac.authorization.k8s.io".into()),
            namespace: None,
        }]),
    };
    let as_support = conn.impersonating(&support, &groups)?;
    let config_maps: Api<ConfigMap> = Api::namespaced(as_support.client.clone(), ns);
    let bindings: Api<RoleBinding> = Api::namespaced(as_support.client.clone(), ns);
    let mut proofs = vec![
        proof(
            IDENTITIES,
            format!("as a support identity that RBAC lets write {ns}: a ConfigMap there"),
            "refused",
            outcome(IDENTITIES, as_support.call(config_maps.create(&create, &config_map)).await),
        ),
        proof(
            IDENTITIES,
            format!("as a support identity that RBAC lets bind in {ns}: a RoleBinding"),
            "refused",
            outcome(IDENTITIES, as_support.call(bindings.create(&create, &role_binding)).await),
        ),
    ];
    let account = state::account_user(ns, &format!("{}verify-{id}", state::ACCOUNT_PREFIX));
    let as_account = conn.impersonating(&account, &groups)?;
    let config_maps: Api<ConfigMap> = Api::namespaced(as_account.client.clone(), ns);
    proofs.push(proof(
        IDENTITIES,
        "as a request's ServiceAccount, impersonated (no token of its own): any write",
        "refused",
        outcome(IDENTITIES, as_account.call(config_maps.create(&create, &config_map)).await),
    ));
    Ok(proofs)
}
