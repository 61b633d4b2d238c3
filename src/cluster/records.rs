//! A request's record binding, read and patched in place (its annotations, its subjects): the
//! writes every step after the record's creation makes.

use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, Patch, PatchParams};

use crate::base::error::Result;
use crate::cluster::Connection;
use crate::state::{self, record::Grant};

/// Sets annotations on a request's record binding.
pub async fn annotate(conn: &Connection, grant: &Grant, annotations: &[(&str, String)]) -> Result<()> {
    let values: serde_json::Map<String, serde_json::Value> =
        annotations.iter().map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone()))).collect();
    merge_patch_record(conn, grant, serde_json::json!({ "metadata": { "annotations": values } })).await
}

/// A JSON merge patch of a request's record binding (ClusterRoleBinding, or RoleBinding in its
/// scope).
pub async fn merge_patch_record(conn: &Connection, grant: &Grant, body: serde_json::Value) -> Result<()> {
    let name = state::binding_name(&grant.id);
    let (patch, params) = (Patch::Merge(body), PatchParams::default());
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

/// The request's record binding's metadata, if it exists.
pub async fn record_meta(conn: &Connection, grant: &Grant) -> Result<Option<ObjectMeta>> {
    let name = state::binding_name(&grant.id);
    Ok(match &grant.scope {
        Some(ns) => {
            conn.call(Api::<RoleBinding>::namespaced(conn.client.clone(), ns).get_opt(&name)).await?.map(|b| b.metadata)
        }
        None => {
            conn.call(Api::<ClusterRoleBinding>::all(conn.client.clone()).get_opt(&name)).await?.map(|b| b.metadata)
        }
    })
}

/// Whether the request's record binding still exists.
pub async fn record_exists(conn: &Connection, grant: &Grant) -> Result<bool> {
    Ok(record_meta(conn, grant).await?.is_some())
}
