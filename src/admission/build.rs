//! The CEL builders the guards share: how an annotation or label is read, who a writer is, the
//! probe every guard answers, and the JSON shapes of a policy, its binding, a variable and a validation.

use k8s_openapi::api::admissionregistration::v1::{ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding};
use serde_json::{Value, json};

use super::literal::{FINGERPRINT, fingerprint};
use crate::cel;
use crate::policy::Policy;
use crate::state::{self, annotations as ann};

/// A support identity: a request ServiceAccount of the system namespace `namespace`, or a member of
/// `roles --verify`'s group or the chart's static groups.
pub(super) fn support_identity(namespace: &str) -> String {
    format!(
        "request.userInfo.username.startsWith({account}) || request.userInfo.groups.exists(g, g == 'crusoe-support' || \
         g.startsWith('crusoe-support:') || g.startsWith('crusoe:support:'))",
        account = cel::string(&state::account_user(namespace, state::ACCOUNT_PREFIX)),
    )
}

/// CEL: whether RBAC grants the writer `verb` on the support requests resource.
pub(super) fn may(verb: &str) -> String {
    format!(
        "authorizer.group('{}').resource('{}').check('{verb}').allowed()",
        state::REQUESTS_GROUP,
        state::REQUESTS_RESOURCE
    )
}

/// The code points `--reason` refuses, as an RE2 class (control, bidirectional, line separators).
pub(super) const UNPRINTABLE: &str =
    r"[\\x00-\\x1f\\x7f-\\x9f\\x{061c}\\x{200e}\\x{200f}\\x{202a}-\\x{202e}\\x{2066}-\\x{2069}\\x{2028}\\x{2029}]";

/// An RFC3339 UTC time with seconds, as the plugin writes them.
pub(super) const TIME: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$";

/// `has(X.metadata.annotations) && KEY in … ? value : ''`: an annotation as a string, '' if absent.
pub(super) fn annotation(object: &str, key: &str) -> String {
    format!(
        "has({object}.metadata.annotations) && '{key}' in {object}.metadata.annotations ? \
         {object}.metadata.annotations['{key}'] : ''"
    )
}

pub(super) fn label(object: &str, key: &str) -> String {
    format!(
        "has({object}.metadata.labels) && '{key}' in {object}.metadata.labels ? {object}.metadata.labels['{key}'] : ''"
    )
}

/// A probe of `guard`, in a matchCondition (which cannot read variables).
pub(super) fn is_probe(guard: &str) -> String {
    format!("(request.operation == 'CREATE' && ({}) == {})", annotation("object", ann::PROBE), cel::string(guard))
}

/// The probe's two answers first (exactly one of them refuses a probe, every probe is refused),
/// then the guard's own validations, which a probe passes.
pub(super) fn guarded(validations: Vec<Value>) -> Vec<Value> {
    let probed = annotation("object", ann::PROBE_POLICY);
    let mut all = vec![
        validation(
            &format!("!variables.probe || ({probed}) == variables.{FINGERPRINT}"),
            format!("{PROBE_STALE}: it enforces another policy than the one probed"),
        ),
        validation(&format!("!variables.probe || ({probed}) != variables.{FINGERPRINT}"), PROBE_IN_FORCE.into()),
    ];
    all.extend(validations.into_iter().map(|mut v| {
        v["expression"] =
            Value::String(format!("variables.probe || ({})", v["expression"].as_str().unwrap_or("false")));
        v
    }));
    all
}

/// What a guard answers a probe of the policy it enforces.
pub const PROBE_IN_FORCE: &str = "probe of kubectl-supportaccess: in force with the policy probed";
/// What it answers a probe of another policy.
pub const PROBE_STALE: &str = "probe of kubectl-supportaccess";

/// The rule that lets a guard see its probe: the dry-run creation of a ClusterRoleBinding.
pub(super) fn probe_rule() -> Value {
    json!({
        "apiGroups": ["rbac.authorization.k8s.io"],
        "apiVersions": ["*"],
        "operations": ["CREATE"],
        "resources": ["clusterrolebindings"],
    })
}

/// A probe of `guard` for `policy`: a ClusterRoleBinding without subjects, only ever dry-run.
pub fn probe(guard: &str, policy: &Policy) -> k8s_openapi::api::rbac::v1::ClusterRoleBinding {
    serde_json::from_value(json!({
        "metadata": {
            "name": "supportaccess-probe",
            "labels": { state::REQUEST_ID_LABEL: "probe" },
            "annotations": { ann::PROBE: guard, ann::PROBE_POLICY: fingerprint(policy) },
        },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "crusoe-support-readonly" },
    }))
    .expect("a probe is a ClusterRoleBinding")
}

pub(super) fn variable(name: &str, expression: String) -> Value {
    json!({ "name": name, "expression": expression })
}

pub(super) fn validation(expression: &str, message: String) -> Value {
    json!({ "expression": expression, "message": message, "reason": "Forbidden" })
}

pub(super) fn policy(name: &str, spec: Value) -> ValidatingAdmissionPolicy {
    serde_json::from_value(json!({
        "metadata": { "name": name, "labels": state::managed_labels() },
        "spec": spec,
    }))
    .expect("the guard's spec matches admissionregistration.k8s.io/v1")
}

pub(super) fn binding(name: &str) -> ValidatingAdmissionPolicyBinding {
    serde_json::from_value(json!({
        "metadata": { "name": name, "labels": state::managed_labels() },
        "spec": { "policyName": name, "validationActions": ["Deny"] },
    }))
    .expect("the guard's binding matches admissionregistration.k8s.io/v1")
}

/// CEL: the requester form of the user name `user` (a CEL string), as a request ServiceAccount's
/// name carries it after its `.` (`state::carried_user`): `-` first, then the other specials and
/// the upper-case letters, each escaped by `-`. A name with any other character keeps it, so it
/// matches no ServiceAccount's name (those are lower-case DNS names): refused, never confused.
pub(super) fn carried(user: &str) -> String {
    let mut expression = format!("'u' + ({user})");
    for (index, special) in state::CARRIED_SPECIALS.iter().enumerate() {
        expression.push_str(&format!(".replace({}, '-{index}')", cel::string(&special.to_string())));
    }
    for upper in 'A'..='Z' {
        expression.push_str(&format!(".replace('{upper}', '-{}')", upper.to_ascii_lowercase()));
    }
    expression
}

/// CEL: the writing user's name as serde_json writes it in a history line (quoted, `\` and `"`
/// escaped; the names a request can carry need nothing else).
pub(super) fn writer_json() -> String {
    r#"'"' + request.userInfo.username.replace('\\', '\\\\').replace('"', '\\"') + '"'"#.to_string()
}

/// CEL: whether the writer is the cluster's owner, who may remove the guards themselves (delete
/// ValidatingAdmissionPolicies), so binding it would bind no one: requesters and approvers who
/// cannot are held to their parts.
pub(super) fn owner() -> String {
    "authorizer.group('admissionregistration.k8s.io').resource('validatingadmissionpolicies').check('delete').allowed()"
        .to_string()
}
