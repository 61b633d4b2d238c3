//! The four support ClusterRoles and the flow control of Crusoe's `crusoe-support-roles` chart:
//! their rules, and installing them — created when missing, brought back when they drifted,
//! never touched when Helm manages them.

use std::collections::BTreeMap;

use k8s_openapi::api::flowcontrol::v1::{
    FlowDistinguisherMethod, FlowSchema, FlowSchemaSpec, GroupSubject, LimitResponse,
    LimitedPriorityLevelConfiguration, NonResourcePolicyRule, PolicyRulesWithSubjects, PriorityLevelConfiguration,
    PriorityLevelConfigurationReference, PriorityLevelConfigurationSpec, QueuingConfiguration, ResourcePolicyRule,
    ServiceAccountSubject, Subject,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::Api;
use kube::{Resource, ResourceExt};

use crate::base::error::Result;
use crate::cluster::Connection;
use crate::cluster::install::{Installed, Outcome, helm_release, install_one, remove_one};
use crate::state;

pub use crate::state::cluster_roles::{DEBUG, FLOW_CONTROL, LOGS, OPERATOR, PER_REQUEST_FLOW, READONLY};

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
                "ciliumlocalredirectpolicies",
                "ciliumenvoyconfigs",
                "ciliumclusterwideenvoyconfigs",
                "ciliumendpoints",
                "ciliumendpointslices",
                "ciliumidentities",
                "ciliumnodes",
                "ciliumexternalworkloads",
                "ciliumloadbalancerippools",
                "ciliumpodippools",
                "ciliumcidrgroups",
                "ciliumgatewayclassconfigs",
                "ciliuml2announcementpolicies",
                "ciliumnodeconfigs",
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
            purpose: "bound only in the system namespaces for every request, and in the operator namespaces for \
                      operator requests: read pods and their logs",
            rules: vec![rule(&[""], &["pods", "pods/log"], READ)],
        },
        RoleDefinition {
            name: DEBUG,
            label: "debug",
            purpose: "bound only in the system and operator namespaces, for operator requests: exec and port-forward",
            rules: vec![rule(&[""], &["pods"], READ), rule(&[""], &["pods/exec", "pods/portforward"], &["create"])],
        },
    ]
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

/// A FlowSchema sending the request ServiceAccounts (every ServiceAccount of the system namespace:
/// a FlowSchema matches no name pattern) and Group `crusoe-support` to this priority level.
fn flow_schema(name: &str, priority_level: &str, namespace: &str) -> FlowSchema {
    let all = || vec!["*".to_string()];
    FlowSchema {
        metadata: metadata(name, None),
        spec: Some(FlowSchemaSpec {
            priority_level_configuration: PriorityLevelConfigurationReference { name: priority_level.into() },
            distinguisher_method: Some(FlowDistinguisherMethod { type_: "ByUser".into() }),
            matching_precedence: None,
            rules: Some(vec![PolicyRulesWithSubjects {
                subjects: vec![
                    Subject {
                        kind: "ServiceAccount".into(),
                        service_account: Some(ServiceAccountSubject { namespace: namespace.into(), name: "*".into() }),
                        ..Subject::default()
                    },
                    Subject {
                        kind: "Group".into(),
                        group: Some(GroupSubject { name: state::SUPPORT_GROUP.into() }),
                        ..Subject::default()
                    },
                ],
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
    let schema = install_one(conn, flow_schema(FLOW_CONTROL, FLOW_CONTROL, &conn.namespace)).await?;
    let helm_schema = schema.outcome == Outcome::HelmManaged;
    installed.push(schema);
    if helm_schema {
        // Helm's FlowSchema is read, never changed: ours points at the priority level it uses.
        let api: Api<FlowSchema> = Api::all(conn.client.clone());
        let level = conn
            .call(api.get_opt(FLOW_CONTROL))
            .await?
            .and_then(|schema| schema.spec)
            .map(|spec| spec.priority_level_configuration.name)
            .unwrap_or_else(|| FLOW_CONTROL.into());
        installed.push(install_one(conn, flow_schema(PER_REQUEST_FLOW, &level, &conn.namespace)).await?);
    } else {
        // The plugin's own schema already matches the request ServiceAccounts.
        remove_one::<FlowSchema>(conn, PER_REQUEST_FLOW, &mut Vec::new(), &mut Vec::new()).await?;
    }
    Ok(installed)
}

/// The installed support ClusterRoles that Helm manages, with release and chart.
pub async fn helm_installation(conn: &Connection) -> Result<Option<(String, String)>> {
    let api: Api<ClusterRole> = Api::all(conn.client.clone());
    let readonly = conn.call(api.get_opt(READONLY)).await?;
    Ok(readonly.and_then(|role| helm_release(role.meta())))
}

/// Which of these ClusterRoles do not exist: one list of every ClusterRole's metadata (names
/// only, no rules), so that `get` spends one request on it, from the API server's watch cache (a
/// consistent list waits for that cache to catch up after any write, up to about 100 ms; a role
/// created or removed a moment ago only changes a warning). A caller who may not list
/// ClusterRoles cannot tell, and is told none is missing.
pub async fn missing<'a>(conn: &Connection, names: &[&'a str]) -> Result<Vec<&'a str>> {
    // Each by name, at once: a cluster's thousands of ClusterRoles are not this step's to read.
    let api: Api<ClusterRole> = Api::all(conn.client.clone());
    let found = futures::future::join_all(names.iter().map(|name| conn.call(api.get_metadata_opt(name)))).await;
    let mut missing = Vec::new();
    for (name, found) in names.iter().zip(found) {
        match found {
            Ok(Some(_)) => {}
            Ok(None) => missing.push(*name),
            Err(e) if e.kind == crate::base::error::ErrorKind::Forbidden => return Ok(Vec::new()),
            Err(e) => return Err(e),
        }
    }
    Ok(missing)
}

/// The four support ClusterRoles' names.
pub fn names() -> [&'static str; 4] {
    [READONLY, OPERATOR, LOGS, DEBUG]
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
    remove_one::<FlowSchema>(conn, PER_REQUEST_FLOW, &mut deleted, &mut helm).await?;
    helm.sort();
    helm.dedup();
    Ok((deleted, helm))
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

    /// Every group/resource/verb a role grants, as `group/resource verb`.
    fn triples(rules: &[PolicyRule]) -> std::collections::BTreeSet<String> {
        let mut all = std::collections::BTreeSet::new();
        for rule in rules {
            for group in rule.api_groups.iter().flatten() {
                for resource in rule.resources.iter().flatten() {
                    for verb in &rule.verbs {
                        all.insert(format!("{group}/{resource} {verb}"));
                    }
                }
            }
        }
        all
    }

    #[test]
    fn readonly_reads_exactly_the_charts_resources() {
        let read: std::collections::BTreeSet<String> =
            triples(&readonly_rules()).into_iter().filter_map(|t| t.strip_suffix(" get").map(str::to_string)).collect();
        let cilium = "ciliumnetworkpolicies ciliumclusterwidenetworkpolicies ciliumlocalredirectpolicies \
                      ciliumenvoyconfigs ciliumclusterwideenvoyconfigs ciliumendpoints ciliumendpointslices \
                      ciliumidentities ciliumnodes ciliumexternalworkloads ciliumloadbalancerippools ciliumpodippools \
                      ciliumcidrgroups ciliumgatewayclassconfigs ciliuml2announcementpolicies ciliumnodeconfigs";
        let chart = [
            (
                "",
                "pods services endpoints configmaps persistentvolumeclaims persistentvolumes nodes namespaces events \
                   resourcequotas limitranges",
            ),
            ("apps", "deployments daemonsets statefulsets replicasets"),
            ("batch", "jobs cronjobs"),
            ("networking.k8s.io", "networkpolicies"),
            ("discovery.k8s.io", "endpointslices"),
            ("policy", "poddisruptionbudgets"),
            ("storage.k8s.io", "storageclasses volumeattachments"),
            ("rbac.authorization.k8s.io", "roles rolebindings clusterroles clusterrolebindings"),
            ("nvidia.com", "clusterpolicies nvidiadrivers computedomains"),
            ("mellanox.com", "hostdevicenetworks nicclusterpolicies"),
            ("amd.com", "deviceconfigs networkconfigs remediationworkflowstatuses"),
            ("k8s.cni.cncf.io", "network-attachment-definitions"),
            ("cilium.io", cilium),
        ];
        let expected: std::collections::BTreeSet<String> = chart
            .iter()
            .flat_map(|(group, resources)| resources.split_whitespace().map(move |r| format!("{group}/{r}")))
            .collect();
        assert_eq!(read, expected);
        assert!(readonly_rules().iter().all(|r| r.verbs == READ), "readonly only reads");
        assert!(!read.contains("/serviceaccounts"), "the chart dropped serviceaccounts in 0.1.1");
    }

    #[test]
    fn operator_is_readonly_plus_more() {
        let readonly = readonly_rules();
        let operator = operator_rules();
        assert_eq!(&operator[..readonly.len()], &readonly[..]);
        assert!(grants(&operator, "pods", "delete") && !grants(&readonly, "pods", "delete"));
        assert!(grants(&operator, "nodes", "patch") && !grants(&readonly, "nodes", "patch"));
    }
}
