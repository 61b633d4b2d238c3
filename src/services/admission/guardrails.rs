//! `crusoe-support-guardrails`: what a support identity may change in workloads, nodes and
//! operator resources.

use serde_json::{Value, json};

use super::GUARDRAILS;
use super::build::*;
use crate::state;

/// The GPU and network operators' API groups, whose resources choose the images of privileged
/// DaemonSets.
pub const OPERATOR_GROUPS: [&str; 3] = ["nvidia.com", "mellanox.com", "amd.com"];

/// How deep into an operator resource's spec image, repository and version fields are compared.
pub(super) const OPERATOR_DEPTH: usize = 3;

/// A field name that picks what runs: `image`, `repository`, `version`, or `…Image` and the like.
pub(super) fn watched(key: &str) -> String {
    format!(
        "({key} in ['image', 'repository', 'version', 'tag'] || {key}.endsWith('Image') ||          {key}.endsWith('Repository') || {key}.endsWith('Version'))"
    )
}

/// CEL that holds when no watched field at or below `new`/`old` (maps) was added, changed or
/// removed, to `depth` levels.
pub(super) fn same_watched_fields(new: &str, old: &str, depth: usize) -> String {
    let key = format!("k{depth}");
    let nested = |a: &str, b: &str, forward: bool| {
        if depth == 1 {
            return "true".to_string();
        }
        let (value, other) =
            (format!("{a}[{key}]"), format!("({key} in {b} && type({b}[{key}]) == map ? {b}[{key}] : {{}})"));
        let (n, o) = if forward { (value.clone(), other) } else { (other, value.clone()) };
        format!("(type({value}) != map || {})", same_watched_fields(&n, &o, depth - 1))
    };
    format!(
        "{new}.all({key}, (!{w} || ({key} in {old} && {old}[{key}] == {new}[{key}])) && {down}) && \
         {old}.all({key}, (!{w} || {key} in {new}) && {up})",
        w = watched(&key),
        down = nested(new, old, true),
        up = nested(old, new, false),
    )
}

/// The one pod-template annotation a support identity may change: what `kubectl rollout restart`
/// sets.
pub(super) const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// The guardrails' named expressions: a workload's pod-template labels and annotations before and
/// after.
pub(super) fn guardrail_variables() -> Vec<Value> {
    let mut variables = Vec::new();
    for (name, object, field) in [
        ("newLabels", "object", "labels"),
        ("oldLabels", "oldObject", "labels"),
        ("newAnnotations", "object", "annotations"),
        ("oldAnnotations", "oldObject", "annotations"),
    ] {
        let meta = format!("{object}.spec.template.metadata");
        variables.push(variable(
            name,
            format!("has({object}.spec.template) && has({meta}) && has({meta}.{field}) ? {meta}.{field} : {{}}"),
        ));
    }
    variables
}

/// `crusoe-support-guardrails`: for support identities only, no change of a workload's pod
/// template (spec, labels, annotations but `restartedAt`), of a node beyond cordon, or of an
/// operator resource's images and versions.
pub(super) fn source(namespace: &str) -> Value {
    let unchanged = |field: &str| {
        format!(
            "has(object.{field}) == has(oldObject.{field}) && (!has(object.{field}) || object.{field} == oldObject.{field})"
        )
    };
    let node =
        ["metadata.labels", "metadata.annotations", "spec.taints", "spec.podCIDR", "spec.podCIDRs", "spec.providerID"]
            .iter()
            .map(|field| unchanged(field))
            .collect::<Vec<_>>()
            .join(" && ");
    let spec = "(has(object.spec) ? object.spec : {})";
    let old_spec = "(has(oldObject.spec) ? oldObject.spec : {})";
    let validations = validations(&node, spec, old_spec);
    let mut variables = guardrail_variables();
    // Bound: a support identity, or, with identity own, a user RBAC says holds a request (bound
    // to ClusterRole crusoe-support-holder by a request's holder binding) without holding every
    // verb (cluster-admin holds that one too).
    variables.push(variable(
        "bound",
        format!(
            "{} || (variables.identity == 'own' && {} && !{})",
            support_identity(namespace),
            may(state::HOLD_VERB),
            may(state::EVERY_VERB_PROBE)
        ),
    ));
    json!({
        "failurePolicy": "Fail",
        "matchConstraints": { "resourceRules": [
            {
                "apiGroups": ["apps"],
                "apiVersions": ["*"],
                "operations": ["UPDATE"],
                "resources": ["deployments", "daemonsets", "statefulsets", "replicasets"],
            },
            { "apiGroups": [""], "apiVersions": ["*"], "operations": ["UPDATE"], "resources": ["nodes"] },
            { "apiGroups": OPERATOR_GROUPS, "apiVersions": ["*"], "operations": ["UPDATE"], "resources": ["*"] },
            probe_rule(),
        ]},
        // A support identity, or (identity own) a user, not a component of the cluster, who may hold
        // a request: the validations then ask RBAC.
        "matchConditions": [{
            "name": "support-identity-or-a-user",
            "expression": format!(
                "{} || {} || !request.userInfo.username.startsWith('system:')",
                support_identity(namespace),
                is_probe(GUARDRAILS)
            ),
        }],
        "variables": variables,
        "validations": guarded(validations.into_iter().map(|mut v| {
            v["expression"] = Value::String(format!("!variables.bound || ({})", v["expression"].as_str().unwrap_or("false")));
            v
        }).collect()),
    })
}

/// The guardrails' validations, each for a writer that is bound by them.
fn validations(node: &str, spec: &str, old_spec: &str) -> Vec<Value> {
    vec![
        validation(
            "request.resource.group != 'apps' || object.spec.template.spec == oldObject.spec.template.spec",
            "a support identity may restart or scale a workload but not change its pod template \
                 (service account, volumes, containers, images, security context)"
                .into(),
        ),
        validation(
            &format!(
                "request.resource.group != 'apps' || (variables.newLabels == variables.oldLabels && \
                     variables.newAnnotations.all(k, k == '{RESTARTED_AT}' || (k in variables.oldAnnotations && \
                      variables.oldAnnotations[k] == variables.newAnnotations[k])) && \
                     variables.oldAnnotations.all(k, k == '{RESTARTED_AT}' || k in variables.newAnnotations))"
            ),
            format!(
                "a support identity may not change a workload's pod template labels or annotations, but for \
                     {RESTARTED_AT} (`kubectl rollout restart`)"
            ),
        ),
        validation(
            &format!("request.resource.group != '' || request.resource.resource != 'nodes' || ({node})"),
            "a support identity may cordon or uncordon a node and change nothing else on it".into(),
        ),
        validation(
            &format!(
                "!(request.resource.group in {groups}) || ({check})",
                groups = serde_json::to_string(&OPERATOR_GROUPS).unwrap_or_default().replace('"', "'"),
                check = same_watched_fields(spec, old_spec, OPERATOR_DEPTH),
            ),
            "a support identity may not change the image, repository or version fields of a GPU or \
                 network operator resource"
                .into(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_fields_are_compared_in_both_directions_to_the_depth() {
        let check = same_watched_fields("n", "o", 2);
        assert!(check.starts_with("n.all(k2,"), "{check}");
        assert!(check.contains("o.all(k2,"), "{check}");
        assert!(check.contains("n[k2].all(k1,"), "{check}");
        assert!(!check.contains("k0"), "{check}");
    }
}
