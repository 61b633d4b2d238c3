//! The admission guards: ValidatingAdmissionPolicies that the API server itself evaluates, so the
//! policy holds for someone who bypasses the plugin (DESIGN.md, "Admission"). Three policies, each
//! with a binding of the same name. Each carries the policy's values itself, as CEL literals in
//! `spec.variables` named after the ConfigMap's keys: never through `paramKind`, whose parameter
//! informer freezes on a stale ConfigMap once no binding uses it for a moment (upstream
//! kubernetes/kubernetes#130887). Each also answers a probe (a dry-run ClusterRoleBinding that
//! names it), so that a command can wait until the API server enforces exactly the policy it wrote.
//! This module writes their CEL; `enforce` writes them together with the policy ConfigMap.

use k8s_openapi::api::admissionregistration::v1::{ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding};
use kube::ResourceExt;
use kube::api::{Api, ListParams};
use serde::Serialize;
use serde_json::Value;

use crate::cluster::Connection;
use crate::error::Result;
use crate::install::{Installed, Outcome, install_one, remove_one, same};
use crate::policy::Policy;
use crate::state::{self};

mod build;
mod credentials;
mod guardrails;
mod literal;
mod parties;
mod requests;

pub use build::{PROBE_IN_FORCE, PROBE_STALE, probe};
pub use guardrails::OPERATOR_GROUPS;
pub use literal::fingerprint;
use literal::{FINGERPRINT, Literal, literals};

/// Support bindings: well-formed records and companions of enabled roles only, within
/// `maxDuration`, none while disabled, ends only ever earlier.
pub const REQUESTS: &str = "crusoe-support-requests";
/// Tokens of request ServiceAccounts: only while enabled, at most `credentialTTL`, never past the
/// end the ServiceAccount's name carries; a requester's tokens only for those.
pub const CREDENTIALS: &str = "crusoe-support-credentials";
/// What a requester (RBAC verb `request` without `approve`) may write: only support records and
/// companions, request ServiceAccounts, and lines appended to the history.
pub const REQUESTERS: &str = "crusoe-support-requesters";
/// What a support identity may change in a workload, a node or an operator resource.
pub const GUARDRAILS: &str = "crusoe-support-guardrails";

/// The names of the guards this policy wants: all four, or three with `guardrails=off`.
pub fn wanted(guardrails: bool) -> Vec<&'static str> {
    let mut names = vec![REQUESTS, CREDENTIALS, REQUESTERS];
    if guardrails {
        names.push(GUARDRAILS);
    }
    names
}

/// The guards and their bindings that enforce `policy`, kept in the ConfigMap of `namespace`.
pub fn desired(namespace: &str, policy: &Policy) -> Vec<(ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding)> {
    let mut guards = vec![
        (requests::requests_policy(namespace, policy), build::binding(REQUESTS)),
        (credentials::credentials_policy(namespace, policy), build::binding(CREDENTIALS)),
        (parties::requesters_policy(namespace, policy), build::binding(REQUESTERS)),
    ];
    if policy.guardrails {
        guards.push((guardrails::guardrails_policy(namespace, policy), build::binding(GUARDRAILS)));
    }
    guards
}

/// Every guard, whatever the policy says (for removal).
pub const ALL: [&str; 4] = [REQUESTS, CREDENTIALS, REQUESTERS, GUARDRAILS];

/// What `enable` or `disable` did with the guards.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardsInstalled {
    /// False on a server without admissionregistration.k8s.io/v1 policies (before Kubernetes 1.30).
    pub available: bool,
    pub installed: Vec<Installed>,
    pub removed: Vec<String>,
}

impl GuardsInstalled {
    pub fn unavailable() -> GuardsInstalled {
        GuardsInstalled { available: false, installed: Vec::new(), removed: Vec::new() }
    }

    /// Two installs one after the other, as one: an object keeps what the first did to it unless
    /// the second did something too.
    pub fn then(self, next: GuardsInstalled) -> GuardsInstalled {
        let installed = next
            .installed
            .into_iter()
            .map(|item| match self.installed.iter().find(|first| first.kind == item.kind && first.name == item.name) {
                Some(first) if item.outcome == Outcome::Unchanged || first.outcome == Outcome::Created => first.clone(),
                _ => item,
            })
            .collect();
        let mut removed = self.removed;
        removed.extend(next.removed.into_iter().filter(|r| !removed.contains(r)).collect::<Vec<_>>());
        GuardsInstalled { available: self.available && next.available, installed, removed }
    }
}

/// Whether the server serves ValidatingAdmissionPolicies (v1); one small list, no discovery.
pub async fn available(conn: &Connection) -> Result<bool> {
    let api: Api<ValidatingAdmissionPolicy> = Api::all(conn.client.clone());
    match conn.call(api.list_metadata(&ListParams::default().limit(1))).await {
        Ok(_) => Ok(true),
        Err(e) if e.is_not_found() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes the guards that enforce `policy`, each policy before its binding (a guard written by an
/// older plugin is replaced in place: never deleted, so never absent), and removes the
/// guardrails when the policy turns them off. The caller checked that the server has the API.
pub async fn install(conn: &Connection, policy: &Policy) -> Result<GuardsInstalled> {
    let mut installed = Vec::new();
    // The requests guard last: it is the one a racing `request` meets.
    for (guard, binding) in desired(&conn.namespace, policy).into_iter().rev() {
        installed.push(install_one(conn, guard).await?);
        installed.push(install_one(conn, binding).await?);
    }
    let mut removed = Vec::new();
    if !policy.guardrails {
        remove(conn, &[GUARDRAILS], &mut removed).await?;
    }
    Ok(GuardsInstalled { available: true, installed, removed })
}

/// Removes these guards (bindings first), if the plugin made them.
pub async fn remove(conn: &Connection, names: &[&str], removed: &mut Vec<String>) -> Result<()> {
    if !available(conn).await? {
        return Ok(());
    }
    let mut helm = Vec::new();
    for name in names {
        remove_one::<ValidatingAdmissionPolicyBinding>(conn, name, removed, &mut helm).await?;
        remove_one::<ValidatingAdmissionPolicy>(conn, name, removed, &mut helm).await?;
    }
    Ok(())
}

/// The guard's spec without what depends on the policy's values (its literals and fingerprint):
/// two guards equal here differ only in the policy they enforce.
pub fn without_policy(guard: &ValidatingAdmissionPolicy) -> Value {
    let mut spec = serde_json::to_value(&guard.spec).unwrap_or_default();
    let policy_keys: Vec<&str> = literals(&Policy::default()).iter().map(|(k, _)| *k).collect();
    if let Some(Value::Array(variables)) = spec.get_mut("variables") {
        variables.retain(|v| {
            let name = v["name"].as_str().unwrap_or_default();
            name != FINGERPRINT && !policy_keys.contains(&name)
        });
    }
    spec
}

/// One way a guard differs from the one that enforces the stored policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardDifference {
    pub guard: String,
    /// The policy key whose value differs; absent when the difference is in the guard's rules.
    pub key: Option<String>,
    /// What the guard enforces (its literal as the ConfigMap would spell it, or as written).
    pub enforced: Option<String>,
    /// What the policy ConfigMap says.
    pub policy: Option<String>,
    pub detail: String,
}

/// Every way `installed` (with its binding) differs from `desired`, policy values first.
fn differences(
    installed: &ValidatingAdmissionPolicy,
    installed_binding: &ValidatingAdmissionPolicyBinding,
    desired: &ValidatingAdmissionPolicy,
    policy: &Policy,
) -> Vec<GuardDifference> {
    let guard = desired.name_any();
    let spec = installed.spec.as_ref();
    let other =
        |detail: String| GuardDifference { guard: guard.clone(), key: None, enforced: None, policy: None, detail };
    if spec.is_some_and(|s| s.param_kind.is_some())
        || installed_binding.spec.as_ref().is_some_and(|s| s.param_ref.is_some())
    {
        return vec![other(
            "reads the policy through paramKind (written by an older version of the plugin, and stale once \
             its binding was ever removed: kubernetes/kubernetes#130887); `enable` or `disable` rewrites it"
                .into(),
        )];
    }
    let variables = spec.and_then(|s| s.variables.as_ref());
    let carries = |key: &str| variables.is_some_and(|vars| vars.iter().any(|v| v.name == key));
    if !carries(FINGERPRINT) && !literals(policy).iter().any(|(key, _)| carries(key)) {
        return vec![other(
            "carries no policy values (written by an older version of the plugin); `enable` or `disable` rewrites it"
                .into(),
        )];
    }
    let mut found = Vec::new();
    for (key, literal) in literals(policy) {
        let expression = variables.and_then(|vars| vars.iter().find(|v| v.name == key)).map(|v| v.expression.as_str());
        if expression == Some(literal.cel().as_str()) {
            continue;
        }
        let enforced =
            expression.map(|e| Literal::parse(e, &literal).map(|l| l.show(key)).unwrap_or_else(|| e.to_string()));
        let wanted = literal.show(key);
        let detail = match &enforced {
            Some(enforced) => format!("enforces {key} {enforced:?}, but the policy ConfigMap says {wanted:?}"),
            None => format!("does not carry {key} (the policy ConfigMap says {wanted:?})"),
        };
        found.push(GuardDifference {
            guard: guard.clone(),
            key: Some(key.into()),
            enforced,
            policy: Some(wanted),
            detail,
        });
    }
    if !crate::install::contains(&without_policy(installed), &without_policy(desired)) {
        found.push(other("has rules that differ from what `enable` writes".into()));
    }
    found
}

/// The guards as the cluster holds them, against the ones that enforce the stored policy.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardsStatus {
    /// False on a server without admissionregistration.k8s.io/v1 policies.
    pub available: bool,
    /// Whether the policy wants the guardrails (`guardrails=on`).
    pub guardrails: bool,
    /// Guards in place and enforcing the stored policy.
    pub in_force: Vec<String>,
    /// Guards whose policy or binding is missing.
    pub missing: Vec<String>,
    /// Guards whose policy or binding differs from the one that enforces the stored policy.
    pub changed: Vec<String>,
    /// How each changed guard differs.
    pub differences: Vec<GuardDifference>,
}

impl GuardsStatus {
    pub fn is_intact(&self) -> bool {
        self.missing.is_empty() && self.changed.is_empty()
    }
}

/// The installed guards' policies and bindings: two lists, read concurrently with the rest.
pub struct InstalledGuards {
    policies: Option<Vec<ValidatingAdmissionPolicy>>,
    bindings: Vec<ValidatingAdmissionPolicyBinding>,
}

impl InstalledGuards {
    pub async fn read(conn: &Connection) -> Result<InstalledGuards> {
        let selector = ListParams::default().labels(state::MANAGED_SELECTOR);
        let policies: Api<ValidatingAdmissionPolicy> = Api::all(conn.client.clone());
        let bindings: Api<ValidatingAdmissionPolicyBinding> = Api::all(conn.client.clone());
        let (policies, bindings) =
            tokio::join!(conn.call(policies.list(&selector)), conn.call(bindings.list(&selector)));
        match (policies, bindings) {
            (Err(e), _) | (_, Err(e)) if e.is_not_found() => {
                Ok(InstalledGuards { policies: None, bindings: Vec::new() })
            }
            (policies, bindings) => Ok(InstalledGuards { policies: Some(policies?.items), bindings: bindings?.items }),
        }
    }

    /// Compares with the guards that enforce `policy`, kept in the ConfigMap of `namespace`.
    pub fn status(&self, namespace: &str, policy: &Policy) -> GuardsStatus {
        let Some(policies) = &self.policies else {
            return GuardsStatus { available: false, guardrails: policy.guardrails, ..GuardsStatus::default() };
        };
        let mut status = GuardsStatus { available: true, guardrails: policy.guardrails, ..GuardsStatus::default() };
        for (guard, binding) in desired(namespace, policy) {
            let name = guard.name_any();
            let found_policy = policies.iter().find(|p| p.name_any() == name);
            let found_binding = self.bindings.iter().find(|b| b.name_any() == name);
            match (found_policy, found_binding) {
                (Some(p), Some(b)) if same(p, &guard) && same(b, &binding) => status.in_force.push(name),
                (Some(p), Some(b)) => {
                    let mut found = differences(p, b, &guard, policy);
                    if found.is_empty() {
                        found.push(GuardDifference {
                            guard: name.clone(),
                            key: None,
                            enforced: None,
                            policy: None,
                            detail: "has a binding or labels that differ from what `enable` writes".into(),
                        });
                    }
                    status.differences.extend(found);
                    status.changed.push(name);
                }
                _ => status.missing.push(name),
            }
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Role;

    fn enabled() -> Policy {
        Policy { enabled: true, enabled_roles: vec![Role::Readonly, Role::Operator], ..Policy::default() }
    }

    #[test]
    fn guardrails_off_drops_only_the_third() {
        let names = |g: bool| {
            desired("crusoe-system", &Policy { guardrails: g, ..enabled() })
                .iter()
                .map(|(p, _)| p.metadata.name.clone().unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(true), [REQUESTS, CREDENTIALS, REQUESTERS, GUARDRAILS]);
        assert_eq!(names(false), [REQUESTS, CREDENTIALS, REQUESTERS]);
    }

    #[test]
    fn no_guard_reads_a_parameter_and_each_denies() {
        for (policy, binding) in desired("team-x", &enabled()) {
            let spec = binding.spec.unwrap();
            assert_eq!(spec.policy_name.as_deref(), policy.metadata.name.as_deref());
            assert_eq!(spec.validation_actions.unwrap(), ["Deny"]);
            assert!(spec.param_ref.is_none());
            let policy_spec = policy.spec.unwrap();
            assert_eq!(policy_spec.failure_policy.as_deref(), Some("Fail"));
            assert!(policy_spec.param_kind.is_none());
            let text = serde_json::to_string(&policy_spec).unwrap();
            assert!(!text.contains("params"), "{text}");
        }
    }

    #[test]
    fn each_guard_carries_every_policy_value_as_a_literal() {
        let policy = Policy { max_duration: std::time::Duration::from_secs(8 * 3600), ..enabled() };
        for (guard, _) in desired("crusoe-system", &policy) {
            let variables = guard.spec.unwrap().variables.unwrap();
            let get = |name: &str| variables.iter().find(|v| v.name == name).unwrap().expression.clone();
            assert_eq!(get("enabled"), "true");
            assert_eq!(get("enabledRoles"), "['readonly', 'operator']");
            assert_eq!(get("maxDuration"), "duration('8h')");
            assert_eq!(get("approval"), "'none'");
            assert_eq!(get("systemNamespaces"), crate::cel::list(&policy.system_namespaces));
            assert!(get(FINGERPRINT).starts_with("['enabled=' + string(variables.enabled), "), "{}", get(FINGERPRINT));
        }
    }

    #[test]
    fn a_changed_value_changes_the_fingerprint_and_is_named_as_a_difference() {
        let (before, after) = (enabled(), Policy { enabled_roles: vec![Role::Readonly], ..enabled() });
        assert_ne!(fingerprint(&before), fingerprint(&after));
        assert_eq!(fingerprint(&before), fingerprint(&enabled()));
        let (old, old_binding) = desired("ns", &before).remove(0);
        let (new, _) = desired("ns", &after).remove(0);
        assert_eq!(without_policy(&old), without_policy(&new));
        let found = differences(&old, &old_binding, &new, &after);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].key.as_deref(), Some("enabledRoles"));
        assert_eq!(found[0].enforced.as_deref(), Some("readonly,operator"));
        assert_eq!(found[0].policy.as_deref(), Some("readonly"));
    }

    #[test]
    fn literals_read_back_and_hand_edits_show_as_written() {
        for (key, literal) in literals(&enabled()) {
            assert_eq!(Literal::parse(&literal.cel(), &literal), Some(literal.clone()), "{key}");
        }
        let like = Literal::Duration(std::time::Duration::from_secs(1));
        assert_eq!(Literal::parse("duration('72h') + duration('1h')", &like), None);
        assert_eq!(Literal::Switch(false).show("guardrails"), "off");
    }
}
