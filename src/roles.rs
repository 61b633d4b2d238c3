//! The four support ClusterRoles and the flow control of Crusoe's `crusoe-support-roles` chart:
//! their rules, and installing them — created when missing, brought back when they drifted,
//! never touched when Helm manages them.

use std::collections::BTreeMap;

use k8s_openapi::api::flowcontrol::v1::{
    FlowDistinguisherMethod, FlowSchema, FlowSchemaSpec, GroupSubject, LimitResponse,
    LimitedPriorityLevelConfiguration, NonResourcePolicyRule, PolicyRulesWithSubjects, PriorityLevelConfiguration,
    PriorityLevelConfigurationReference, PriorityLevelConfigurationSpec, QueuingConfiguration, ResourcePolicyRule,
    Subject,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, PostParams};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cluster::Connection;
use crate::error::Result;
use crate::state;

pub const READONLY: &str = "crusoe-support-readonly";
pub const OPERATOR: &str = "crusoe-support-operator";
pub const LOGS: &str = "crusoe-support-logs";
pub const DEBUG: &str = "crusoe-support-debug";
/// The PriorityLevelConfiguration and FlowSchema.
pub const FLOW_CONTROL: &str = "crusoe-support";

const HELM: &str = "Helm";
const CHART_LABEL: &str = "helm.sh/chart";
const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
const SUPPORT_ROLE_LABEL: &str = "crusoe.ai/support-role";

const READ: &[&str] = &["get", "list", "watch"];

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    let owned = |items: &[&str]| Some(items.iter().map(|s| s.to_string()).collect());
    PolicyRule {
        api_groups: owned(groups),
        resources: owned(resources),
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        ..PolicyRule::default()
    }
}

const WORKLOADS: &[&str] = &["deployments", "daemonsets", "statefulsets", "replicasets"];
const NVIDIA: &[&str] = &["clusterpolicies", "nvidiadrivers", "computedomains"];
const MELLANOX: &[&str] = &["hostdevicenetworks", "nicclusterpolicies"];
const AMD: &[&str] = &["deviceconfigs", "networkconfigs", "remediationworkflowstatuses"];

fn readonly_rules() -> Vec<PolicyRule> {
    vec![
        rule(
            &[""],
            &[
                "pods",
                "services",
                "endpoints",
                "configmaps",
                "persistentvolumeclaims",
                "persistentvolumes",
                "nodes",
                "namespaces",
                "events",
                "serviceaccounts",
                "resourcequotas",
                "limitranges",
            ],
            READ,
        ),
        rule(&["apps"], WORKLOADS, READ),
        rule(&["batch"], &["jobs", "cronjobs"], READ),
        rule(&["networking.k8s.io"], &["networkpolicies"], READ),
        rule(&["discovery.k8s.io"], &["endpointslices"], READ),
        rule(&["policy"], &["poddisruptionbudgets"], READ),
        rule(&["storage.k8s.io"], &["storageclasses", "volumeattachments"], READ),
        rule(&["rbac.authorization.k8s.io"], &["roles", "rolebindings", "clusterroles", "clusterrolebindings"], READ),
        rule(&["nvidia.com"], NVIDIA, READ),
        rule(&["mellanox.com"], MELLANOX, READ),
        rule(&["amd.com"], AMD, READ),
        rule(&["k8s.cni.cncf.io"], &["network-attachment-definitions"], READ),
        rule(
            &["cilium.io"],
            &[
                "ciliumnetworkpolicies",
                "ciliumclusterwidenetworkpolicies",
                "ciliumendpoints",
                "ciliumidentities",
                "ciliumnodes",
                "ciliumpodippools",
                "ciliumloadbalancerippools",
                "ciliumcidrgroups",
                "ciliuml2announcementpolicies",
                "ciliumnodeconfigs",
                "ciliumenvoyconfigs",
                "ciliumclusterwideenvoyconfigs",
                "ciliumexternalworkloads",
            ],
            READ,
        ),
    ]
}

fn operator_rules() -> Vec<PolicyRule> {
    let mut rules = readonly_rules();
    rules.extend([
        rule(&[""], &["pods"], &["delete"]),
        rule(&[""], &["pods/eviction"], &["create"]),
        rule(&[""], &["nodes"], &["patch"]),
        rule(&["apps"], WORKLOADS, &["patch"]),
        rule(&["apps"], &["deployments/scale", "statefulsets/scale"], &["patch", "update"]),
        rule(&["nvidia.com"], NVIDIA, &["patch", "update"]),
        rule(&["mellanox.com"], MELLANOX, &["patch", "update"]),
        rule(&["amd.com"], AMD, &["patch", "update"]),
        rule(&["k8s.cni.cncf.io"], &["network-attachment-definitions"], &["create", "update", "patch", "delete"]),
    ]);
    rules
}

/// One of the four support ClusterRoles: its name, what it is for, and its rules.
pub struct RoleDefinition {
    pub name: &'static str,
    pub label: &'static str,
    pub purpose: &'static str,
    pub rules: Vec<PolicyRule>,
}

pub fn definitions() -> Vec<RoleDefinition> {
    vec![
        RoleDefinition {
            name: READONLY,
            label: "readonly",
            purpose: "bound cluster-wide for readonly requests: read workloads, nodes, storage, networking, \
                      policy, RBAC objects and the GPU/network operator CRDs; no secrets, no logs",
            rules: readonly_rules(),
        },
        RoleDefinition {
            name: OPERATOR,
            label: "operator",
            purpose: "bound cluster-wide for operator requests: readonly, plus delete pods, evict, cordon \
                      nodes, patch and scale workloads, patch the operator CRDs",
            rules: operator_rules(),
        },
        RoleDefinition {
            name: LOGS,
            label: "logs",
            purpose: "bound only in the system namespaces, for every request: read pods and their logs",
            rules: vec![rule(&[""], &["pods", "pods/log"], READ)],
        },
        RoleDefinition {
            name: DEBUG,
            label: "debug",
            purpose: "bound only in the system namespaces, for operator requests: exec and port-forward",
            rules: vec![rule(&[""], &["pods"], READ), rule(&[""], &["pods/exec", "pods/portforward"], &["create"])],
        },
    ]
}

/// What `enable` did to one installed object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Created,
    Unchanged,
    /// It existed with other rules or spec, and was brought back.
    Repaired,
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
fn contains(actual: &serde_json::Value, desired: &serde_json::Value) -> bool {
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
trait Installable: Resource<DynamicType = ()> + Clone + Serialize + DeserializeOwned + std::fmt::Debug {
    const KIND: &'static str;
    fn desired_part(&self) -> serde_json::Value;
    fn take_desired_part(&mut self, from: &Self);
}

impl Installable for ClusterRole {
    const KIND: &'static str = "ClusterRole";
    fn desired_part(&self) -> serde_json::Value {
        serde_json::json!({ "rules": self.rules, "aggregationRule": self.aggregation_rule })
    }
    fn take_desired_part(&mut self, from: &Self) {
        self.rules = from.rules.clone();
        self.aggregation_rule = None;
    }
}

impl Installable for PriorityLevelConfiguration {
    const KIND: &'static str = "PriorityLevelConfiguration";
    fn desired_part(&self) -> serde_json::Value {
        serde_json::to_value(&self.spec).unwrap_or_default()
    }
    fn take_desired_part(&mut self, from: &Self) {
        self.spec = from.spec.clone();
    }
}

impl Installable for FlowSchema {
    const KIND: &'static str = "FlowSchema";
    fn desired_part(&self) -> serde_json::Value {
        serde_json::to_value(&self.spec).unwrap_or_default()
    }
    fn take_desired_part(&mut self, from: &Self) {
        self.spec = from.spec.clone();
    }
}

fn labels(extra: Option<(&str, &str)>) -> BTreeMap<String, String> {
    let mut labels = state::managed_labels();
    if let Some((key, value)) = extra {
        labels.insert(key.to_string(), value.to_string());
    }
    labels
}

fn metadata(name: &str, extra_label: Option<(&str, &str)>) -> ObjectMeta {
    ObjectMeta { name: Some(name.to_string()), labels: Some(labels(extra_label)), ..ObjectMeta::default() }
}

async fn install_one<K: Installable>(conn: &Connection, desired: K) -> Result<Installed> {
    // Another `enable` may create or repair the same object at the same time: read again and retry.
    for attempt in 0.. {
        match install_attempt(conn, &desired).await {
            Err(e) if e.is_conflict() && attempt < 20 => crate::retry::backoff(attempt).await,
            result => {
                return result.map(|outcome| Installed { kind: K::KIND, name: desired.name_any(), outcome });
            }
        }
    }
    unreachable!("the loop returns")
}

async fn install_attempt<K: Installable>(conn: &Connection, desired: &K) -> Result<Outcome> {
    let api: Api<K> = Api::all(conn.client.clone());
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
    let mut repaired = existing.clone();
    repaired.take_desired_part(desired);
    repaired.labels_mut().extend(desired.labels().clone());
    conn.call(api.replace(&name, &PostParams::default(), &repaired)).await?;
    Ok(Outcome::Repaired)
}

fn cluster_roles() -> Vec<ClusterRole> {
    definitions()
        .into_iter()
        .map(|d| ClusterRole {
            metadata: metadata(d.name, Some((SUPPORT_ROLE_LABEL, d.label))),
            rules: Some(d.rules),
            aggregation_rule: None,
        })
        .collect()
}

fn priority_level() -> PriorityLevelConfiguration {
    PriorityLevelConfiguration {
        metadata: metadata(FLOW_CONTROL, None),
        spec: Some(PriorityLevelConfigurationSpec {
            type_: "Limited".into(),
            limited: Some(LimitedPriorityLevelConfiguration {
                nominal_concurrency_shares: Some(10),
                limit_response: Some(LimitResponse {
                    type_: "Queue".into(),
                    queuing: Some(QueuingConfiguration {
                        queues: Some(64),
                        hand_size: Some(8),
                        queue_length_limit: Some(50),
                    }),
                }),
                ..LimitedPriorityLevelConfiguration::default()
            }),
            ..PriorityLevelConfigurationSpec::default()
        }),
        status: None,
    }
}

fn flow_schema() -> FlowSchema {
    let all = || vec!["*".to_string()];
    FlowSchema {
        metadata: metadata(FLOW_CONTROL, None),
        spec: Some(FlowSchemaSpec {
            priority_level_configuration: PriorityLevelConfigurationReference { name: FLOW_CONTROL.into() },
            distinguisher_method: Some(FlowDistinguisherMethod { type_: "ByUser".into() }),
            matching_precedence: None,
            rules: Some(vec![PolicyRulesWithSubjects {
                subjects: vec![Subject {
                    kind: "Group".into(),
                    group: Some(GroupSubject { name: state::SUPPORT_GROUP.into() }),
                    ..Subject::default()
                }],
                resource_rules: Some(vec![ResourcePolicyRule {
                    api_groups: all(),
                    resources: all(),
                    verbs: all(),
                    cluster_scope: Some(true),
                    namespaces: Some(all()),
                }]),
                non_resource_rules: Some(vec![NonResourcePolicyRule { non_resource_urls: all(), verbs: all() }]),
            }]),
        }),
        status: None,
    }
}

/// Installs the four ClusterRoles and the flow control, one after another.
pub async fn install(conn: &Connection) -> Result<Vec<Installed>> {
    let mut installed = Vec::new();
    for role in cluster_roles() {
        installed.push(install_one(conn, role).await?);
    }
    installed.push(install_one(conn, priority_level()).await?);
    installed.push(install_one(conn, flow_schema()).await?);
    Ok(installed)
}

/// The installed support ClusterRoles that Helm manages, with release and chart.
pub async fn helm_installation(conn: &Connection) -> Result<Option<(String, String)>> {
    let api: Api<ClusterRole> = Api::all(conn.client.clone());
    let readonly = conn.call(api.get_opt(READONLY)).await?;
    Ok(readonly.and_then(|role| helm_release(role.meta())))
}

/// Deletes what the plugin installed (never Helm's); returns what was deleted and what was left.
pub async fn uninstall(conn: &Connection) -> Result<(Vec<String>, Vec<(String, String)>)> {
    let mut deleted = Vec::new();
    let mut helm = Vec::new();
    for role in cluster_roles() {
        remove_one::<ClusterRole>(conn, &role.name_any(), &mut deleted, &mut helm).await?;
    }
    remove_one::<PriorityLevelConfiguration>(conn, FLOW_CONTROL, &mut deleted, &mut helm).await?;
    remove_one::<FlowSchema>(conn, FLOW_CONTROL, &mut deleted, &mut helm).await?;
    helm.sort();
    helm.dedup();
    Ok((deleted, helm))
}

async fn remove_one<K: Installable>(
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

    fn grants(rules: &[PolicyRule], resource: &str, verb: &str) -> bool {
        rules.iter().any(|r| {
            r.resources.as_ref().is_some_and(|res| res.iter().any(|x| x == resource || x == "*"))
                && r.verbs.iter().any(|v| v == verb || v == "*")
        })
    }

    #[test]
    fn no_role_grants_what_support_must_never_have() {
        for role in definitions() {
            for resource in ["secrets", "serviceaccounts/token", "certificatesigningrequests", "*"] {
                for verb in ["get", "list", "create", "update", "approve"] {
                    assert!(!grants(&role.rules, resource, verb), "{} grants {verb} {resource}", role.name);
                }
            }
            for verb in ["bind", "escalate", "impersonate", "*"] {
                assert!(role.rules.iter().all(|r| !r.verbs.iter().any(|v| v == verb)), "{} has {verb}", role.name);
            }
            let rbac_write = role.rules.iter().any(|r| {
                r.api_groups.as_ref().is_some_and(|g| g.iter().any(|g| g == "rbac.authorization.k8s.io"))
                    && r.verbs.iter().any(|v| !READ.contains(&v.as_str()))
            });
            assert!(!rbac_write, "{} writes RBAC", role.name);
            let exec = grants(&role.rules, "pods/exec", "create") || grants(&role.rules, "pods/attach", "create");
            assert_eq!(exec, role.name == DEBUG, "only debug may exec");
        }
    }

    #[test]
    fn operator_is_readonly_plus_more() {
        let readonly = readonly_rules();
        let operator = operator_rules();
        assert_eq!(&operator[..readonly.len()], &readonly[..]);
        assert!(grants(&operator, "pods", "delete") && !grants(&readonly, "pods", "delete"));
        assert!(grants(&operator, "nodes", "patch") && !grants(&readonly, "nodes", "patch"));
    }

    #[test]
    fn server_defaults_are_not_drift_but_changes_are() {
        let desired = serde_json::json!({"a": 1, "list": [{"x": "y"}], "unset": null});
        assert!(contains(&serde_json::json!({"a": 1, "b": 2, "list": [{"x": "y", "z": 0}]}), &desired));
        assert!(!contains(&serde_json::json!({"a": 2, "list": [{"x": "y"}]}), &desired));
        assert!(!contains(&serde_json::json!({"a": 1, "list": [{"x": "y"}, {"x": "q"}]}), &desired));
    }
}
