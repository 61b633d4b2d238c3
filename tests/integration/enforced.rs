//! The policy reaches the API server inside the guards themselves (CEL literals), never through
//! `paramKind`, whose parameter informer freezes on a stale ConfigMap after an `uninstall` and
//! `enable` (upstream kubernetes/kubernetes#130887). Each change is in force when the command that
//! made it returns: every check below writes with plain kubectl right after it, with no retry.

use crate::common::{CLUSTER, Ran, TestCluster, eventually, minutes_from_now, record_manifest, run};
use crate::guards::{as_support, refused_by, request, targets};

const NS: &str = "crusoe-system";
const REQUESTS: &str = "crusoe-support-requests";

/// A well-formed record of `role` lasting `minutes`, created by cluster-admin with plain kubectl.
fn hand_made(cluster: &TestCluster, id: &str, role: &str, minutes: i64) -> Ran {
    cluster.apply_result(&record_manifest(NS, id, role, &minutes_from_now(0), &minutes_from_now(minutes), None))
}

fn verify_passes(cluster: &TestCluster) {
    let ran = cluster.supportaccess(NS, &["roles", "--verify"]);
    assert_eq!(ran.code, 0, "{ran:?}");
}

fn plugin_request(cluster: &TestCluster, role: &str) -> Ran {
    cluster.supportaccess(NS, &["request", "--role", role, "--reason", "after the cycle", "--duration", "1h"])
}

#[test]
fn after_uninstall_and_enable_the_guards_enforce_the_new_policy_not_the_stale_one() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly,operator"]);
    cluster.supportaccess_ok(NS, &["uninstall", "--yes"]);
    cluster.supportaccess_ok(NS, &["enable", "--yes", "--enabled-roles", "readonly"]);
    cluster.supportaccess_ok(NS, &["disable"]);
    // The review's write: an operator record lasting 70 h, as cluster-admin with plain kubectl.
    let ran = hand_made(cluster, "stale1", "operator", 70 * 60);
    assert!(refused_by(&ran, REQUESTS) && ran.stderr.contains("support access is disabled"), "{ran:?}");
    verify_passes(cluster);

    cluster.supportaccess_ok(NS, &["enable"]);
    let ran = plugin_request(cluster, "readonly");
    assert_eq!(ran.code, 0, "{ran:?}");
    let ran = hand_made(cluster, "stale2", "operator", 60);
    assert!(refused_by(&ran, REQUESTS) && ran.stderr.contains("not enabled"), "{ran:?}");
    verify_passes(cluster);
}

#[test]
fn disable_now_uninstall_enable_and_request_succeeds() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable"]);
    cluster.supportaccess_ok(NS, &["disable", "--now", "--yes"]);
    cluster.supportaccess_ok(NS, &["uninstall", "--yes"]);
    cluster.supportaccess_ok(NS, &["enable"]);
    let ran = plugin_request(cluster, "readonly");
    assert_eq!(ran.code, 0, "{ran:?}");
    verify_passes(cluster);
}

#[test]
fn each_policy_change_is_in_force_when_the_command_returns() {
    let cluster = &*CLUSTER;
    targets(cluster);
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly,operator", "--guardrails", "off"]);
    let (_, operator) = request(cluster, "operator");
    let template = ["-n", "kube-system", "patch", "deployment", "coredns", "--dry-run=server", "-p"];
    let attack = r#"{"spec":{"template":{"spec":{"serviceAccountName":"powerful"}}}}"#;
    let ran = as_support(cluster, &operator, &[&template[..], &[attack]].concat());
    assert_eq!(ran.code, 0, "guardrails off: {ran:?}");

    // Guardrails on.
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly,operator", "--guardrails", "on"]);
    let ran = as_support(cluster, &operator, &[&template[..], &[attack]].concat());
    assert!(refused_by(&ran, "crusoe-support-guardrails"), "guardrails on: {ran:?}");
    verify_passes(cluster);

    // maxDuration shortened.
    assert_eq!(hand_made(cluster, "long1", "readonly", 5 * 60).code, 0);
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly,operator", "--max-duration", "4h"]);
    let ran = hand_made(cluster, "long2", "readonly", 5 * 60);
    assert!(refused_by(&ran, REQUESTS) && ran.stderr.contains("maxDuration"), "maxDuration 4h: {ran:?}");

    // A role withdrawn.
    cluster.supportaccess_ok(NS, &["enable", "--yes", "--enabled-roles", "readonly"]);
    let ran = hand_made(cluster, "role1", "operator", 60);
    assert!(refused_by(&ran, REQUESTS) && ran.stderr.contains("not enabled"), "operator withdrawn: {ran:?}");

    // Approval required: a record that grants without an approval.
    cluster.supportaccess_ok(NS, &["enable", "--yes", "--enabled-roles", "readonly", "--approval", "required"]);
    let ran = hand_made(cluster, "unapproved1", "readonly", 60);
    assert!(refused_by(&ran, REQUESTS) && ran.stderr.contains("approval is required"), "approval: {ran:?}");

    // Guardrails off again (operator back, approval none): the same write goes through at once.
    let loosen = ["enable", "--enabled-roles", "readonly,operator", "--approval", "none", "--guardrails", "off"];
    cluster.supportaccess_ok(NS, &loosen);
    let (_, operator) = request(cluster, "operator");
    let ran = as_support(cluster, &operator, &[&template[..], &[attack]].concat());
    assert_eq!(ran.code, 0, "guardrails off again: {ran:?}");
    verify_passes(cluster);
}

#[test]
fn a_guard_deleted_by_hand_comes_back_with_the_current_policy() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--max-duration", "8h"]);
    cluster.kubectl_ok(&["delete", "validatingadmissionpolicybinding", REQUESTS]);
    cluster.kubectl_ok(&["delete", "validatingadmissionpolicy", REQUESTS]);
    eventually("the deleted guard leaves the admission chain", || {
        hand_made(cluster, "gone1", "readonly", 9 * 60).code == 0
    });

    let out = cluster.supportaccess_ok(NS, &["enable"]);
    assert!(out.contains(&format!("ValidatingAdmissionPolicy {REQUESTS}: created")), "{out}");
    let ran = hand_made(cluster, "gone2", "readonly", 9 * 60);
    assert!(refused_by(&ran, REQUESTS) && ran.stderr.contains("maxDuration"), "{ran:?}");
    verify_passes(cluster);
}

#[test]
fn a_literal_edited_by_hand_is_named_by_roles_verify_and_get_and_enable_repairs_it() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--yes", "--enabled-roles", "readonly"]);
    // The guard carries its values as literals in its expressions (no spec.variables): edit the one
    // that holds enabledRoles.
    let guard: serde_json::Value =
        serde_json::from_str(&cluster.kubectl_ok(&["get", "validatingadmissionpolicy", REQUESTS, "-o", "json"]))
            .unwrap();
    assert!(guard["spec"]["variables"].is_null(), "{guard}");
    let validations = guard["spec"]["validations"].as_array().unwrap();
    let (index, expression) = validations
        .iter()
        .enumerate()
        .find_map(|(i, v)| v["expression"].as_str().filter(|e| e.contains("in (['readonly'])")).map(|e| (i, e)))
        .expect("the guard carries enabledRoles");
    let edited = expression.replace("in (['readonly'])", "in (['readonly', 'operator'])");
    let patch = serde_json::json!([{"op": "replace", "path": format!("/spec/validations/{index}/expression"), "value": edited}])
        .to_string();
    cluster.kubectl_ok(&["patch", "validatingadmissionpolicy", REQUESTS, "--type=json", "-p", &patch]);

    let ran = cluster.supportaccess(NS, &["roles", "--verify"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let named = "enforces enabledRoles \"readonly,operator\", but the policy ConfigMap says \"readonly\"";
    assert!(ran.stderr.contains(REQUESTS) && ran.stderr.contains(named), "{ran:?}");
    let get = cluster.supportaccess(NS, &["get"]);
    assert!(get.stderr.contains(named), "{get:?}");
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    let difference = &json["guards"]["differences"][0];
    assert_eq!(difference["guard"], REQUESTS, "{json}");
    assert_eq!(difference["key"], "enabledRoles", "{json}");
    assert_eq!(difference["enforced"], "readonly,operator", "{json}");
    assert_eq!(difference["policy"], "readonly", "{json}");

    let out = cluster.supportaccess_ok(NS, &["enable"]);
    assert!(out.contains(&format!("ValidatingAdmissionPolicy {REQUESTS}: updated to enforce this policy")), "{out}");
    let ran = hand_made(cluster, "edited1", "operator", 60);
    assert!(refused_by(&ran, REQUESTS) && ran.stderr.contains("not enabled"), "{ran:?}");
    verify_passes(cluster);
    let get = cluster.supportaccess(NS, &["get"]);
    assert!(!get.stderr.contains("admission guard"), "{get:?}");
}

/// The requests guard as an older plugin wrote it: `extra` spec fields, then `validations` of
/// `expression`.
fn older_requests_guard(extra: &str, expression: &str) -> String {
    format!(
        r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: crusoe-support-requests
  labels: {{app.kubernetes.io/managed-by: kubectl-supportaccess, support-access.crusoe.ai/managed: "true"}}
spec:
  failurePolicy: Fail
{extra}
  matchConstraints:
    resourceRules:
    - {{apiGroups: [rbac.authorization.k8s.io], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: [clusterrolebindings, rolebindings]}}
  matchConditions:
  - name: grants-a-support-identity
    expression: "has(object.subjects) && object.subjects.exists(s, s.name.startsWith('crusoe-support'))"
  validations:
  - expression: "{expression}"
    message: support access is disabled
"#
    )
}

/// Enables, then puts `yaml` in place of the guards with `kubectl replace` (an older plugin wrote
/// them without kubectl's last-applied annotation).
fn plant_older_guards(cluster: &TestCluster, yaml: &str) {
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly,operator"]);
    let file = cluster.dir.join("older-guard.yaml");
    std::fs::write(&file, yaml).unwrap();
    cluster.kubectl_ok(&["replace", "-f", file.to_str().unwrap()]);
}

#[test]
fn a_guard_with_variables_is_named_and_rewritten_in_place_without_them() {
    let cluster = &*CLUSTER;
    // The form of the release before issue 29: the policy's values in `spec.variables`, which the
    // API servers of 1.30 to 1.35 share between policies (kubernetes/kubernetes#135757).
    let guard = older_requests_guard("  variables:\n  - {name: enabled, expression: \"true\"}", "variables.enabled");
    plant_older_guards(cluster, &guard);
    let uid = || cluster.kubectl_ok(&["get", "validatingadmissionpolicy", REQUESTS, "-o", "jsonpath={.metadata.uid}"]);
    let before = uid();
    let ran = cluster.supportaccess(NS, &["roles", "--verify"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("carries spec.variables") && ran.stderr.contains("#135757"), "{ran:?}");
    let get = cluster.supportaccess(NS, &["get"]);
    assert!(get.stderr.contains("carries spec.variables"), "{get:?}");

    let out = cluster.supportaccess_ok(NS, &["enable"]);
    assert!(out.contains(&format!("ValidatingAdmissionPolicy {REQUESTS}: repaired")), "{out}");
    assert_eq!(uid(), before, "the guard was updated in place, never deleted");
    let variables =
        cluster.kubectl_ok(&["get", "validatingadmissionpolicy", REQUESTS, "-o", "jsonpath={.spec.variables}"]);
    assert_eq!(variables.trim(), "", "no variables once rewritten");
    verify_passes(cluster);
}

/// The shape an older plugin wrote: the policy read through `paramKind`, the binding's `paramRef`.
fn param_guard() -> String {
    older_requests_guard(
        "  paramKind: {apiVersion: v1, kind: ConfigMap}",
        "has(params.data) && 'enabled' in params.data && params.data['enabled'] == 'true'",
    ) + r#"---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: crusoe-support-requests
  labels: {app.kubernetes.io/managed-by: kubectl-supportaccess, support-access.crusoe.ai/managed: "true"}
spec:
  policyName: crusoe-support-requests
  validationActions: [Deny]
  paramRef: {name: support-access, namespace: crusoe-system, parameterNotFoundAction: Deny}
"#
}

#[test]
fn guards_an_older_plugin_wrote_are_replaced_in_place_and_nothing_reads_a_parameter() {
    let cluster = &*CLUSTER;
    plant_older_guards(cluster, &param_guard());
    let uid = |kind: &str| cluster.kubectl_ok(&["get", kind, REQUESTS, "-o", "jsonpath={.metadata.uid}"]);
    let (policy_uid, binding_uid) = (uid("validatingadmissionpolicy"), uid("validatingadmissionpolicybinding"));
    let ran = cluster.supportaccess(NS, &["roles", "--verify"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("reads the policy through paramKind"), "{ran:?}");

    cluster.supportaccess_ok(NS, &["disable"]);
    assert_eq!(uid("validatingadmissionpolicy"), policy_uid, "the guard was updated in place, never deleted");
    assert_eq!(uid("validatingadmissionpolicybinding"), binding_uid);
    let ran = hand_made(cluster, "old1", "readonly", 60);
    assert!(refused_by(&ran, REQUESTS) && ran.stderr.contains("support access is disabled"), "{ran:?}");
    verify_passes(cluster);

    // No object the plugin writes reads a parameter.
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly,operator"]);
    let written = cluster.kubectl_ok(&[
        "get",
        "validatingadmissionpolicies,validatingadmissionpolicybindings",
        "-l",
        "support-access.crusoe.ai/managed=true",
        "-o",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 10, "five guards and their bindings");
    for forbidden in ["paramKind", "paramRef", "params.", "\"variables\"", "variables."] {
        assert!(!written.contains(forbidden), "{forbidden} in\n{written}");
    }
    let ran = run(cluster.kubectl().args(["get", "validatingadmissionpolicy", REQUESTS]));
    assert_eq!(ran.code, 0, "{ran:?}");
}
