//! Installing the cluster-scoped objects the plugin owns — roles, flow control, admission guards:
//! created when missing, brought back when they drifted, never touched when Helm manages them,
//! and removed again by `uninstall`.

use k8s_openapi::api::flowcontrol::v1::{FlowSchema, PriorityLevelConfiguration};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, PostParams};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::base::error::Result;
use crate::cluster::Connection;
use crate::state;

const HELM: &str = "Helm";
const CHART_LABEL: &str = "helm.sh/chart";
const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// What `enable` did to one installed object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Created,
    Unchanged,
    /// It existed with other rules or spec, and was brought back.
    Repaired,
    /// An admission guard rewritten to enforce another policy (its rules were as written).
    Updated,
    /// Helm manages it: used as it is, never modified.
    HelmManaged,
}

#[derive(Debug, Clone, Serialize)]
pub struct Installed {
    pub kind: &'static str,
    pub name: String,
    pub outcome: Outcome,
}

pub fn is_helm_managed(meta: &ObjectMeta) -> bool {
    meta.labels.as_ref().and_then(|l| l.get(state::MANAGED_BY_LABEL)).is_some_and(|v| v == HELM)
}

/// `helm.sh/chart` and the release name of a Helm-managed object.
pub fn helm_release(meta: &ObjectMeta) -> Option<(String, String)> {
    let labels = meta.labels.as_ref()?;
    is_helm_managed(meta).then(|| {
        (
            labels.get(INSTANCE_LABEL).cloned().unwrap_or_else(|| "crusoe-support-roles".into()),
            labels.get(CHART_LABEL).cloned().unwrap_or_else(|| "crusoe-support-roles".into()),
        )
    })
}

/// True when every field of `desired` is present and equal in `actual` (arrays element by
/// element); fields the server adds as defaults are ignored.
pub fn contains(actual: &serde_json::Value, desired: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (actual, desired) {
        (Value::Object(a), Value::Object(d)) => {
            d.iter().all(|(key, dv)| dv.is_null() || a.get(key).is_some_and(|av| contains(av, dv)))
        }
        (Value::Array(a), Value::Array(d)) => a.len() == d.len() && a.iter().zip(d).all(|(av, dv)| contains(av, dv)),
        (a, d) => a == d,
    }
}

/// An object the plugin installs, with the part of it that must match.
pub trait Installable: Resource<DynamicType = ()> + Clone + Serialize + DeserializeOwned + std::fmt::Debug {
    const KIND: &'static str;
    fn desired_part(&self) -> serde_json::Value;
    fn take_desired_part(&mut self, from: &Self);
    /// Whether `self` differs from `desired` only in the policy values it carries.
    fn differs_only_in_policy(&self, _desired: &Self) -> bool {
        false
    }
    /// Where objects of this kind are read and written: cluster-wide unless namespaced.
    fn api(conn: &Connection, _namespace: Option<&str>) -> Api<Self> {
        Api::all(conn.client.clone())
    }
}

impl Installable for Role {
    const KIND: &'static str = "Role";
    fn desired_part(&self) -> serde_json::Value {
        serde_json::json!({ "rules": self.rules })
    }
    fn take_desired_part(&mut self, from: &Self) {
        self.rules = from.rules.clone();
    }
    fn api(conn: &Connection, namespace: Option<&str>) -> Api<Self> {
        Api::namespaced(conn.client.clone(), namespace.unwrap_or(&conn.namespace))
    }
}

/// Bindings whose roleRef (fixed once created) and subjects are what the plugin installs.
macro_rules! installable_binding {
    ($kind:ident, $($api:tt)*) => {
        impl Installable for $kind {
            const KIND: &'static str = stringify!($kind);
            fn desired_part(&self) -> serde_json::Value {
                serde_json::json!({ "roleRef": self.role_ref, "subjects": self.subjects })
            }
            fn take_desired_part(&mut self, from: &Self) {
                self.subjects = from.subjects.clone();
            }
            $($api)*
        }
    };
}

installable_binding!(ClusterRoleBinding,);
installable_binding!(
    RoleBinding,
    fn api(conn: &Connection, namespace: Option<&str>) -> Api<Self> {
        Api::namespaced(conn.client.clone(), namespace.unwrap_or(&conn.namespace))
    }
);

impl Installable for ClusterRole {
    const KIND: &'static str = "ClusterRole";
    fn desired_part(&self) -> serde_json::Value {
        serde_json::json!({ "rules": self.rules, "aggregationRule": self.aggregation_rule })
    }
    fn take_desired_part(&mut self, from: &Self) {
        self.rules = from.rules.clone();
        self.aggregation_rule = None;
    }
    /// A party's ClusterRole lists the ClusterRoles the policy allows under `bind`: a new list
    /// is the policy's update, not drift.
    fn differs_only_in_policy(&self, desired: &Self) -> bool {
        let unnamed = |role: &ClusterRole| {
            let mut rules = role.rules.clone().unwrap_or_default();
            for rule in rules.iter_mut().filter(|r| r.verbs == ["bind"]) {
                rule.resource_names = None;
            }
            serde_json::json!({ "rules": rules, "aggregationRule": role.aggregation_rule })
        };
        contains(&unnamed(self), &unnamed(desired))
    }
}

/// Objects whose whole `spec` is what the plugin installs.
macro_rules! installable_by_spec {
    ($($kind:ident),*) => {$(
        impl Installable for $kind {
            const KIND: &'static str = stringify!($kind);
            fn desired_part(&self) -> serde_json::Value {
                serde_json::to_value(&self.spec).unwrap_or_default()
            }
            fn take_desired_part(&mut self, from: &Self) {
                self.spec = from.spec.clone();
            }
        }
    )*};
}

installable_by_spec!(PriorityLevelConfiguration, FlowSchema);

pub async fn install_one<K: Installable>(conn: &Connection, desired: K) -> Result<Installed> {
    // Another `enable` may create or repair the same object at the same time: read again and retry.
    for attempt in 0.. {
        match install_attempt(conn, &desired).await {
            Err(e) if e.is_conflict() && attempt < 20 => crate::base::retry::backoff(attempt).await,
            result => {
                return result.map(|outcome| Installed { kind: K::KIND, name: desired.name_any(), outcome });
            }
        }
    }
    unreachable!("the loop returns")
}

async fn install_attempt<K: Installable>(conn: &Connection, desired: &K) -> Result<Outcome> {
    let api: Api<K> = K::api(conn, desired.meta().namespace.as_deref());
    let name = desired.name_any();
    let Some(existing) = conn.call(api.get_opt(&name)).await? else {
        conn.call(api.create(&PostParams::default(), desired)).await?;
        return Ok(Outcome::Created);
    };
    if is_helm_managed(existing.meta()) {
        return Ok(Outcome::HelmManaged);
    }
    let has_labels = state::managed_labels().iter().all(|(k, v)| existing.labels().get(k) == Some(v));
    if has_labels && contains(&existing.desired_part(), &desired.desired_part()) {
        return Ok(Outcome::Unchanged);
    }
    let outcome =
        if has_labels && existing.differs_only_in_policy(desired) { Outcome::Updated } else { Outcome::Repaired };
    let mut repaired = existing.clone();
    repaired.take_desired_part(desired);
    repaired.labels_mut().extend(desired.labels().clone());
    conn.call(api.replace(&name, &PostParams::default(), &repaired)).await?;
    Ok(outcome)
}

/// Whether an installed object (or the one of that name) is what `desired` says, ignoring server
/// defaults; `None` when it does not exist.
pub async fn matches<K: Installable>(conn: &Connection, desired: &K) -> Result<Option<bool>> {
    let api: Api<K> = K::api(conn, desired.meta().namespace.as_deref());
    Ok(conn.call(api.get_opt(&desired.name_any())).await?.map(|existing| same(&existing, desired)))
}

/// An installed object carries the managed labels and the desired part.
pub fn same<K: Installable>(existing: &K, desired: &K) -> bool {
    let has_labels = state::managed_labels().iter().all(|(k, v)| existing.labels().get(k) == Some(v));
    has_labels && contains(&existing.desired_part(), &desired.desired_part())
}

pub async fn remove_one<K: Installable>(
    conn: &Connection,
    name: &str,
    deleted: &mut Vec<String>,
    helm: &mut Vec<(String, String)>,
) -> Result<()> {
    let api: Api<K> = Api::all(conn.client.clone());
    let Some(existing) = conn.call(api.get_opt(name)).await? else {
        return Ok(());
    };
    if let Some(release) = helm_release(existing.meta()) {
        helm.push(release);
        return Ok(());
    }
    let ours = existing.labels().get(state::MANAGED_LABEL).is_some_and(|v| v == "true");
    if ours {
        conn.call(api.delete(name, &Default::default())).await?;
        deleted.push(format!("{} {name}", K::KIND));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_defaults_are_not_drift_but_changes_are() {
        let desired = serde_json::json!({"a": 1, "list": [{"x": "y"}], "unset": null});
        assert!(contains(&serde_json::json!({"a": 1, "b": 2, "list": [{"x": "y", "z": 0}]}), &desired));
        assert!(!contains(&serde_json::json!({"a": 2, "list": [{"x": "y"}]}), &desired));
        assert!(!contains(&serde_json::json!({"a": 1, "list": [{"x": "y"}, {"x": "q"}]}), &desired));
    }

    #[test]
    fn a_new_bind_list_is_the_policys_update_and_any_other_change_is_drift() {
        use k8s_openapi::api::rbac::v1::PolicyRule;
        let role = |names: &[&str], verbs: &[&str]| ClusterRole {
            rules: Some(vec![PolicyRule {
                api_groups: Some(vec!["rbac.authorization.k8s.io".into()]),
                resources: Some(vec!["clusterroles".into()]),
                resource_names: Some(names.iter().map(|n| n.to_string()).collect()),
                verbs: verbs.iter().map(|v| v.to_string()).collect(),
                ..PolicyRule::default()
            }]),
            ..ClusterRole::default()
        };
        let installed = role(&["crusoe-support-readonly"], &["bind"]);
        assert!(installed.differs_only_in_policy(&role(&["crusoe-support-readonly", "view"], &["bind"])));
        assert!(!installed.differs_only_in_policy(&role(&["crusoe-support-readonly"], &["bind", "escalate"])));
        assert!(!role(&["x"], &["get"]).differs_only_in_policy(&role(&["y"], &["get"])), "only bind's names");
    }
}
