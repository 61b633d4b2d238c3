//! The admission guards: ValidatingAdmissionPolicies that the API server itself evaluates, so the
//! policy holds for someone who bypasses the plugin (DESIGN.md, "Admission"). Four policies, each
//! with a binding of the same name. Each carries the policy values it reads itself, as CEL
//! literals written into its expressions: never through `paramKind`, whose parameter informer
//! freezes on a stale ConfigMap once no binding uses it for a moment (upstream
//! kubernetes/kubernetes#130887), and never in `spec.variables`, whose compilation can crash the
//! API servers of 1.30 to 1.35 under load (kubernetes/kubernetes#135757; see `build::policy`).
//! Each also answers a probe (a dry-run ClusterRoleBinding that names it), so that a command can
//! wait until the API server enforces exactly the values it wrote.
//! This module writes their CEL; `enforce` writes them together with the policy ConfigMap.

pub mod cel;

use k8s_openapi::api::admissionregistration::v1::{ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding};
use kube::ResourceExt;
use kube::api::{Api, ListParams};
use serde::Serialize;

use crate::base::error::Result;
use crate::cluster::Connection;
use crate::cluster::install::{Installed, Outcome, install_one, remove_one, same};
use crate::state::policy::Policy;
use crate::state::{self};

mod build;
mod credentials;
mod guardrails;
mod identities;
mod literal;
mod parties;
mod requests;
mod trail;

pub use build::{PROBE_IN_FORCE, PROBE_STALE, probe, unstamped};
pub use guardrails::OPERATOR_GROUPS;
pub use literal::fingerprint;
use literal::read_carried;
use serde_json::Value;

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
/// What a support identity may never write: the support state, RBAC, credentials; and nothing at
/// all as an impersonated request ServiceAccount.
pub const IDENTITIES: &str = "crusoe-support-identities";

/// The names of the guards this policy wants: all five, or four with `guardrails=off`.
pub fn wanted(guardrails: bool) -> Vec<&'static str> {
    let mut names = vec![REQUESTS, CREDENTIALS, REQUESTERS, IDENTITIES];
    if guardrails {
        names.push(GUARDRAILS);
    }
    names
}

/// The guards and their bindings that enforce `policy`, kept in the ConfigMap of `namespace`.
pub fn desired(namespace: &str, policy: &Policy) -> Vec<(ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding)> {
    wanted(policy.guardrails)
        .into_iter()
        .filter_map(|name| Some((build_guard(name, namespace, policy)?, build::binding(name))))
        .collect()
}

/// The source of guard `name` for the policy kept in the ConfigMap of `namespace`: its spec, with
/// the named expressions its validations read in `variables` (`build::policy` writes them out).
fn source(name: &str, namespace: &str) -> Option<Value> {
    match name {
        REQUESTS => Some(requests::source(namespace)),
        CREDENTIALS => Some(credentials::source(namespace)),
        REQUESTERS => Some(parties::source(namespace)),
        GUARDRAILS => Some(guardrails::source(namespace)),
        IDENTITIES => Some(identities::source(namespace)),
        _ => None,
    }
}

/// The guard `name` that enforces `policy`, kept in the ConfigMap of `namespace`.
fn build_guard(name: &str, namespace: &str, policy: &Policy) -> Option<ValidatingAdmissionPolicy> {
    Some(build::policy(name, namespace, policy, source(name, namespace)?))
}

/// The fingerprint a guard answers a probe with: the text after the ` == ` of its first
/// validation (`build::guarded`), a CEL string literal.
fn carried_by(guard: &ValidatingAdmissionPolicy) -> Option<String> {
    let first = guard.spec.as_ref()?.validations.as_ref()?.first()?;
    let (_, literal) = first.expression.rsplit_once(" == (")?;
    crate::services::admission::cel::parse_string(literal.strip_suffix(')')?)
}

/// What a guard as the cluster holds it enforces: the namespace of its policy ConfigMap (as its
/// fingerprint names it) and each policy value its expressions hold, as the ConfigMap spells it,
/// when it is a guard `enable` writes for some values, whatever its fingerprint says. `None` for
/// anything else (an older form, rules edited by hand).
fn enforced(guard: &ValidatingAdmissionPolicy) -> Option<(String, Vec<(String, String)>)> {
    let name = guard.name_any();
    let (namespace, _) = read_carried(&carried_by(guard)?)?;
    let source = source(&name, &namespace)?;
    let written = guard.spec.as_ref()?.validations.as_ref()?;
    let template = build::template(&name, &source);
    if template.len() != written.len() {
        return None;
    }
    let mut values: Vec<(String, literal::Literal)> = Vec::new();
    for (template, written) in template.iter().zip(written) {
        for (key, value) in literal::read(template, &written.expression)? {
            match values.iter().find(|(k, _)| *k == key) {
                Some((_, seen)) if *seen != value && key != literal::FINGERPRINT => return None,
                Some(_) => {}
                None => values.push((key, value)),
            }
        }
    }
    values.retain(|(key, _)| key != literal::FINGERPRINT);
    let mut data = Policy::default().to_data();
    data.extend(values.iter().map(|(key, value)| (key.clone(), value.show(key))));
    let policy = Policy::from_data(&data).ok()?;
    let mut rebuilt = build::policy(&name, &namespace, &policy, source);
    if let Some(spec) = rebuilt.spec.as_mut() {
        spec.validations = Some(written.clone());
    }
    // As `same` compares: what the API server adds (defaults) is not a difference.
    let spec = |g: &ValidatingAdmissionPolicy| serde_json::to_value(&g.spec).unwrap_or_default();
    // As the expressions hold them (the policy read back may differ: `operator` implies `readonly`).
    let order = |key: &str| literal::literals(&policy).iter().position(|(k, _)| *k == key);
    values.sort_by_key(|(key, _)| order(key));
    let shown = values.iter().map(|(key, value)| (key.clone(), value.show(key))).collect();
    crate::cluster::install::contains(&spec(guard), &spec(&rebuilt)).then_some((namespace, shown))
}

/// Whether an installed guard is one `enable` writes, for other values than `desired` carries.
pub fn differs_only_in_policy(installed: &ValidatingAdmissionPolicy, desired: &ValidatingAdmissionPolicy) -> bool {
    installed.name_any() == desired.name_any() && enforced(installed).is_some()
}

/// An admission guard's policy or binding matches only without the fields of an older plugin's
/// guards, which `contains` alone would not see because the desired object leaves them out: a
/// parameter (`paramKind`, `paramRef`), through which they read the policy, and `variables`, in
/// which they carried it. `$spec` gives the spec as compared (a guard's without its write stamp).
macro_rules! installable_guard {
    ($kind:ident, $older:expr, $spec:expr $(, $more:item)*) => {
        impl crate::cluster::install::Installable for $kind {
            const KIND: &'static str = stringify!($kind);
            fn desired_part(&self) -> serde_json::Value {
                let older_form = self.spec.as_ref().is_some_and($older);
                serde_json::json!({ "spec": $spec(self), "olderForm": older_form })
            }
            fn take_desired_part(&mut self, from: &Self) {
                self.spec = from.spec.clone();
            }
            $($more)*
        }
    };
}

installable_guard!(
    ValidatingAdmissionPolicy,
    |s: &k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicySpec| s.param_kind.is_some()
        || s.variables.as_ref().is_some_and(|v| !v.is_empty()),
    unstamped,
    fn differs_only_in_policy(&self, desired: &Self) -> bool {
        differs_only_in_policy(self, desired)
    }
);
installable_guard!(
    ValidatingAdmissionPolicyBinding,
    |s: &k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicyBindingSpec| s.param_ref.is_some(),
    |b: &ValidatingAdmissionPolicyBinding| b.spec.clone()
);

/// Every guard, whatever the policy says (for removal).
pub const ALL: [&str; 5] = [REQUESTS, CREDENTIALS, REQUESTERS, IDENTITIES, GUARDRAILS];

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
    let write = this_write();
    // The requests guard last: it is the one a racing `request` meets.
    for (mut guard, binding) in desired(&conn.namespace, policy).into_iter().rev() {
        build::stamp(&mut guard, &write);
        installed.push(install_one(conn, guard).await?);
        installed.push(install_one(conn, binding).await?);
    }
    let mut removed = Vec::new();
    if !policy.guardrails {
        remove(conn, &[GUARDRAILS], &mut removed).await?;
    }
    Ok(GuardsInstalled { available: true, installed, removed })
}

/// How the in-force answer of guard `name` as the cluster holds it names the write that stored it
/// (`build::stamp`); empty when it is missing or unstamped.
pub async fn stored_stamp(conn: &Connection, name: &str) -> Result<String> {
    let api: Api<ValidatingAdmissionPolicy> = Api::all(conn.client.clone());
    let stored = conn.call(api.get_opt(name)).await?;
    Ok(stored.as_ref().and_then(build::stamp_of).unwrap_or_default())
}

/// A name for one write of the guards, different from any other's: the time in nanoseconds and the
/// process id.
fn this_write() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{nanos:x}.{:x}", std::process::id())
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
    if spec.and_then(|s| s.variables.as_ref()).is_some_and(|v| !v.is_empty()) {
        return vec![other(
            "carries spec.variables (written by an older version of the plugin; rewriting a guard with variables \
             can crash the API server on Kubernetes 1.30 to 1.35: kubernetes/kubernetes#135757); `enable` or \
             `disable` rewrites it"
                .into(),
        )];
    }
    let Some((namespace, carried)) = enforced(installed) else {
        return vec![other("has rules that differ from what `enable` writes".into())];
    };
    let Some((wanted_namespace, wanted)) = enforced(desired) else {
        return vec![other("cannot be compared with what `enable` writes".into())];
    };
    let mut found = Vec::new();
    if namespace != wanted_namespace {
        found.push(other(format!(
            "enforces the policy ConfigMap of namespace {namespace:?}, not of {wanted_namespace:?}"
        )));
    }
    for (key, value) in &wanted {
        let enforced = carried.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        if enforced.as_ref() == Some(value) {
            continue;
        }
        let detail = match &enforced {
            Some(enforced) => format!("enforces {key} {enforced:?}, but the policy ConfigMap says {value:?}"),
            None => format!("does not carry {key} (the policy ConfigMap says {value:?})"),
        };
        found.push(GuardDifference {
            guard: guard.clone(),
            key: Some(key.clone()),
            enforced,
            policy: Some(value.clone()),
            detail,
        });
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
                    let mut found = differences(p, b, &guard);
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
    use crate::state::roles::Role;
    use std::collections::HashMap;

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
        assert_eq!(names(true), [REQUESTS, CREDENTIALS, REQUESTERS, IDENTITIES, GUARDRAILS]);
        assert_eq!(names(false), [REQUESTS, CREDENTIALS, REQUESTERS, IDENTITIES]);
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

    fn carried(guard: &ValidatingAdmissionPolicy) -> Vec<(String, String)> {
        enforced(guard).expect("a written guard reads back").1
    }

    fn keys(guard: &ValidatingAdmissionPolicy) -> Vec<String> {
        carried(guard).into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn no_guard_has_variables_and_each_carries_only_the_values_it_reads() {
        let policy = Policy { max_duration: std::time::Duration::from_secs(8 * 3600), ..enabled() };
        for (guard, _) in desired("crusoe-system", &policy) {
            let spec = guard.spec.clone().unwrap();
            assert!(spec.variables.is_none(), "{}", guard.name_any());
            for validation in spec.validations.unwrap() {
                assert_eq!(
                    build::references(&validation.expression),
                    Vec::<String>::new(),
                    "{}",
                    validation.expression
                );
            }
            assert_eq!(enforced(&guard).unwrap().0, "crusoe-system");
        }
        let guards: Vec<_> = desired("crusoe-system", &policy).into_iter().map(|(g, _)| g).collect();
        assert_eq!(
            keys(&guards[0]),
            [
                "enabled",
                "enabledRoles",
                "maxDuration",
                "systemNamespaces",
                "operatorNamespaces",
                "approval",
                "approvals",
                "reasonPattern",
                "clusterRoles",
                "identity"
            ]
        );
        assert_eq!(keys(&guards[1]), ["enabled", "credentialTTL", "apiAudiences", "identity"]);
        assert_eq!(keys(&guards[2]), ["maxDuration"]);
        assert_eq!(keys(&guards[3]), Vec::<String>::new());
        assert_eq!(keys(&guards[4]), ["identity"]);
        assert!(carried(&guards[0]).contains(&("maxDuration".into(), "8h".into())));
        assert!(carried(&guards[0]).contains(&("enabledRoles".into(), "readonly,operator".into())));
    }

    #[test]
    fn a_value_no_guard_reads_rewrites_none_and_a_value_one_reads_rewrites_that_one() {
        let guards = |policy: &Policy| desired("crusoe-system", policy);
        let before = guards(&enabled());
        let ttl = guards(&Policy { pending_ttl: std::time::Duration::from_secs(600), ..enabled() });
        assert_eq!(before, ttl, "pendingTTL is read by no guard");
        let roles = guards(&Policy { enabled_roles: vec![Role::Readonly], ..enabled() });
        let changed: Vec<String> =
            before.iter().zip(&roles).filter(|(a, b)| a != b).map(|(a, _)| a.0.name_any()).collect();
        assert_eq!(changed, [REQUESTS]);
        let audiences = guards(&Policy { api_audiences: vec!["https://variables.example".into()], ..enabled() });
        let changed: Vec<String> =
            before.iter().zip(&audiences).filter(|(a, b)| a != b).map(|(a, _)| a.0.name_any()).collect();
        assert_eq!(changed, [CREDENTIALS]);
        assert!(carried(&audiences[1].0).contains(&("apiAudiences".into(), "https://variables.example".into())));
        let allowed = crate::state::roles::parse_cluster_roles(&["view,edit/namespaced"]).unwrap();
        let cluster_roles = guards(&Policy { cluster_roles: allowed, ..enabled() });
        let changed: Vec<String> =
            before.iter().zip(&cluster_roles).filter(|(a, b)| a != b).map(|(a, _)| a.0.name_any()).collect();
        assert_eq!(changed, [REQUESTS]);
        assert!(carried(&cluster_roles[0].0).contains(&("clusterRoles".into(), "edit/namespaced,view".into())));
        let scope = guards(&Policy { default_scope: Some("staging".into()), ..enabled() });
        assert_eq!(before, scope, "defaultScope is read by no guard");
    }

    #[test]
    fn a_changed_value_is_named_as_a_difference_and_a_hand_edit_as_other_rules() {
        let after = Policy { enabled_roles: vec![Role::Readonly], ..enabled() };
        assert_ne!(fingerprint(&enabled()), fingerprint(&after));
        assert_eq!(fingerprint(&enabled()), fingerprint(&enabled()));
        let (old, old_binding) = desired("ns", &enabled()).remove(0);
        let (new, _) = desired("ns", &after).remove(0);
        assert!(differs_only_in_policy(&old, &new));
        let found = differences(&old, &old_binding, &new);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].key.as_deref(), Some("enabledRoles"));
        assert_eq!(found[0].enforced.as_deref(), Some("readonly,operator"));
        assert_eq!(found[0].policy.as_deref(), Some("readonly"));
        let mut literal = old.clone();
        for validation in literal.spec.as_mut().unwrap().validations.as_mut().unwrap() {
            validation.expression = validation.expression.replace("(['readonly', 'operator'])", "(['operator'])");
        }
        let found = differences(&literal, &old_binding, &old);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].enforced.as_deref(), Some("operator"), "the expressions say, not the fingerprint");
        let mut edited = old.clone();
        let validations = edited.spec.as_mut().unwrap().validations.as_mut().unwrap();
        validations[3].expression = format!("true || {}", validations[3].expression);
        assert!(enforced(&edited).is_none());
        assert!(!differs_only_in_policy(&edited, &new));
        let found = differences(&edited, &old_binding, &new);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].detail.contains("rules that differ"), "{found:?}");
        let elsewhere = desired("other-ns", &enabled()).remove(0).0;
        assert!(differences(&elsewhere, &old_binding, &old)[0].detail.contains("\"other-ns\""));
    }

    #[test]
    fn a_stamped_guard_compares_as_unstamped_and_names_its_write() {
        let (guard, _) = desired("ns", &enabled()).remove(0);
        assert_eq!(build::stamp_of(&guard), None);
        let mut stamped = guard.clone();
        build::stamp(&mut stamped, "17.2a");
        assert_eq!(build::stamp_of(&stamped).as_deref(), Some(" (write 17.2a)"));
        assert!(crate::cluster::install::same(&stamped, &guard) && crate::cluster::install::same(&guard, &stamped));
        assert_ne!(stamped, guard);
        assert_eq!(enforced(&stamped), enforced(&guard));
    }

    #[test]
    fn a_guard_written_with_variables_is_named_as_the_older_form() {
        let (mut old, binding) = desired("ns", &enabled()).remove(0);
        let wanted = old.clone();
        old.spec.as_mut().unwrap().variables =
            Some(vec![serde_json::from_value(serde_json::json!({"name": "enabled", "expression": "true"})).unwrap()]);
        let found = differences(&old, &binding, &wanted);
        assert!(found[0].detail.contains("#135757"), "{found:?}");
    }

    #[test]
    fn references_are_replaced_outside_string_literals_only() {
        let named =
            HashMap::from([("a".to_string(), "variables.b + 1".to_string()), ("b".to_string(), "2".to_string())]);
        let text =
            r#"variables.a == 3 && 'variables.a' != "variables.b\"variables.a" && myvariables.a && x.variables.a"#;
        assert_eq!(
            build::expand(text, &named, 0),
            r#"((2) + 1) == 3 && 'variables.a' != "variables.b\"variables.a" && myvariables.a && x.variables.a"#
        );
        assert_eq!(build::references("variables.x1 || variables.y_2 || variables."), ["x1", "y_2"]);
    }
}
