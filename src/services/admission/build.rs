//! The CEL builders the guards share: how an annotation or label is read, who a writer is, the
//! probe every guard answers, and the JSON shapes of a policy, its binding, a variable and a validation.

use std::collections::{BTreeSet, HashMap};

use k8s_openapi::api::admissionregistration::v1::{ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding};
use serde_json::{Value, json};

use super::literal::{FINGERPRINT, Literal, carried_values, literals, mark};
use crate::services::admission::cel;
use crate::state::policy::Policy;
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

/// The match condition of a guard that leaves support identities to `crusoe-support-identities`,
/// which refuses all they may not write: a write is then refused by one guard, always the same.
pub(super) fn not_support_identity(namespace: &str) -> Value {
    json!({ "name": "not-a-support-identity", "expression": format!("!({})", support_identity(namespace)) })
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

/// What a guard answers a probe of the policy it enforces (then, in parentheses, which write of
/// the guard answers: [`stamp`]).
pub const PROBE_IN_FORCE: &str = "probe of kubectl-supportaccess: in force with the policy probed";

/// How the in-force answer names the write of the guard that gives it.
const WRITE: &str = " (write ";

/// Stamps a guard about to be written with `write`, in the message of its in-force answer (the
/// second validation, `guarded`): a probe then tells this write from an earlier one that carried
/// the same values (a guard edited by hand, or written by a release with other rules), which its
/// fingerprint alone cannot. Comparisons leave the stamp out ([`unstamped`]).
pub(super) fn stamp(guard: &mut ValidatingAdmissionPolicy, write: &str) {
    if let Some(answer) = guard.spec.as_mut().and_then(|s| s.validations.as_mut()).and_then(|v| v.get_mut(1)) {
        answer.message = Some(format!("{PROBE_IN_FORCE}{WRITE}{write})"));
    }
}

/// The write a guard's in-force answer names, if it was stamped.
pub(super) fn stamp_of(guard: &ValidatingAdmissionPolicy) -> Option<String> {
    let answer = guard.spec.as_ref()?.validations.as_ref()?.get(1)?.message.as_deref()?;
    let write = answer.strip_prefix(PROBE_IN_FORCE)?.strip_prefix(WRITE)?.strip_suffix(')')?;
    Some(format!("{WRITE}{write})"))
}

/// A guard's spec without its stamp, as `enable` compares guards.
pub fn unstamped(
    guard: &ValidatingAdmissionPolicy,
) -> Option<k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicySpec> {
    let mut spec = guard.spec.clone()?;
    if let Some(answer) = spec.validations.as_mut().and_then(|v| v.get_mut(1))
        && answer.message.as_deref().is_some_and(|m| m.starts_with(&format!("{PROBE_IN_FORCE}{WRITE}")))
    {
        answer.message = Some(PROBE_IN_FORCE.into());
    }
    Some(spec)
}
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

/// A probe of the guard that enforces `policy` (kept in the ConfigMap of `namespace`): a
/// ClusterRoleBinding without subjects, only ever dry-run, naming the values the guard carries.
pub fn probe(guard: &str, namespace: &str, policy: &Policy) -> k8s_openapi::api::rbac::v1::ClusterRoleBinding {
    let fingerprint =
        super::build_guard(guard, namespace, policy).and_then(|g| super::carried_by(&g)).unwrap_or_default();
    serde_json::from_value(json!({
        "metadata": {
            "name": "supportaccess-probe",
            "labels": { state::REQUEST_ID_LABEL: "probe" },
            "annotations": { ann::PROBE: guard, ann::PROBE_POLICY: fingerprint },
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

/// The named expressions of a guard's `source`, and whether the object is a probe of guard `name`.
fn named(name: &str, source: &Value) -> HashMap<String, String> {
    let mut named: HashMap<String, String> = source["variables"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| (v["name"].as_str().unwrap_or_default().into(), v["expression"].as_str().unwrap_or_default().into()))
        .collect();
    named.insert(
        "probe".into(),
        format!("request.operation == 'CREATE' && ({}) == {}", annotation("object", ann::PROBE), cel::string(name)),
    );
    named
}

fn expressions(source: &Value) -> Vec<String> {
    let validations = source["validations"].as_array().into_iter().flatten();
    validations.map(|v| v["expression"].as_str().unwrap_or_default().to_string()).collect()
}

/// Writes the guard `name` from its `source` (a spec whose `variables` name the sub-expressions its
/// validations read as `variables.<name>`; the policy's values are read under their ConfigMap keys,
/// the probe as `probe`, the fingerprint as `fingerprint`). The guard is written without
/// `spec.variables`: each reference is replaced by its expression in parentheses, each policy value
/// by its CEL literal. On Kubernetes 1.30 to 1.35 the API server compiles every policy's variables
/// into one map that all policies share, and reads that map unlocked while it evaluates any policy
/// with variables, so writing a policy with variables under load can crash it
/// (kubernetes/kubernetes#135757, fixed in 1.36.0). A guard without variables neither writes the
/// map when it is compiled nor reads it when it is evaluated. A guard carries only the policy
/// values its expressions read, and its fingerprint names exactly those, so a policy change
/// rewrites only the guards that read a changed value.
pub(super) fn policy(name: &str, namespace: &str, policy: &Policy, mut source: Value) -> ValidatingAdmissionPolicy {
    let mut named = named(name, &source);
    let read = reads(&expressions(&source), &named);
    let values = literals(policy);
    let carried: Vec<(&str, &Literal)> =
        values.iter().filter(|(key, _)| read.contains(*key)).map(|(key, literal)| (*key, literal)).collect();
    named.insert(FINGERPRINT.into(), cel::string(&carried_values(namespace, &carried)));
    named.extend(values.iter().map(|(key, literal)| (key.to_string(), literal.cel())));
    if let Some(Value::Array(validations)) = source.get_mut("validations") {
        for validation in validations {
            let expanded = expand(validation["expression"].as_str().unwrap_or_default(), &named, 0);
            validation["expression"] = Value::String(expanded);
        }
    }
    if let Some(spec) = source.as_object_mut() {
        spec.remove("variables");
    }
    serde_json::from_value(json!({
        "metadata": { "name": name, "labels": state::managed_labels() },
        "spec": source,
    }))
    .expect("the guard's spec matches admissionregistration.k8s.io/v1")
}

/// The validation expressions [`policy`] writes from `source`, with a mark (`literal::mark`) in
/// place of each policy value and of the fingerprint: what a written guard is read back against.
pub(super) fn template(name: &str, source: &Value) -> Vec<String> {
    let mut named = named(name, source);
    named.insert(FINGERPRINT.into(), mark(FINGERPRINT));
    named.extend(literals(&Policy::default()).iter().map(|(key, _)| (key.to_string(), mark(key))));
    expressions(source).iter().map(|e| expand(e, &named, 0)).collect()
}

/// Every name that `expressions` read, directly or through the named expressions they read.
fn reads(expressions: &[String], named: &HashMap<String, String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut next: Vec<String> = expressions.iter().flat_map(|e| references(e)).collect();
    while let Some(name) = next.pop() {
        if let Some(expression) = named.get(&name).filter(|_| !seen.contains(&name)) {
            next.extend(references(expression));
        }
        seen.insert(name);
    }
    seen
}

/// The names an expression reads as `variables.<name>`.
pub(super) fn references(expression: &str) -> Vec<String> {
    let mut names = Vec::new();
    rewrite(expression, |name| {
        names.push(name.to_string());
        None
    });
    names
}

/// `expression` with each `variables.<name>` replaced by the named expression (itself expanded),
/// in parentheses. A name not in `named` stays as it is (the API server then refuses the guard as
/// reading an undeclared name; a unit test writes every guard and finds none).
pub(super) fn expand(expression: &str, named: &HashMap<String, String>, depth: usize) -> String {
    rewrite(expression, |name| {
        let inner = named.get(name).filter(|_| depth < 16)?;
        Some(format!("({})", expand(inner, named, depth + 1)))
    })
}

/// Walks a CEL expression outside its string literals, and replaces each `variables.<name>` with
/// what `with` returns for the name, or keeps it when that is `None`.
fn rewrite(expression: &str, mut with: impl FnMut(&str) -> Option<String>) -> String {
    const PREFIX: &str = "variables.";
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(expression.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut at = 0;
    while let Some(c) = expression[at..].chars().next() {
        if let Some(q) = quote {
            out.push(c);
            at += c.len_utf8();
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                _ if c == q => quote = None,
                _ => {}
            }
            continue;
        }
        let starts_name = expression[at..].starts_with(PREFIX)
            && !expression[..at].chars().next_back().is_some_and(|p| ident(p) || p == '.');
        if starts_name {
            let rest = &expression[at + PREFIX.len()..];
            let name = &rest[..rest.find(|c: char| !ident(c)).unwrap_or(rest.len())];
            if !name.is_empty() {
                match with(name) {
                    Some(replacement) => out.push_str(&replacement),
                    None => out.push_str(&expression[at..at + PREFIX.len() + name.len()]),
                }
                at += PREFIX.len() + name.len();
                continue;
            }
        }
        if c == '\'' || c == '"' {
            quote = Some(c);
        }
        out.push(c);
        at += c.len_utf8();
    }
    out
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
