//! Chart 0.2.0 on real control planes: the operator namespaces, the default limits, missing roles.

use std::path::{Path, PathBuf};

use crate::common::{Ran, TestCluster, own_cluster, run};

const NS: &str = "crusoe-system";

/// Runs `request` with `-o json`; returns the id and the kubeconfig path.
fn request(cluster: &TestCluster, args: &[&str]) -> (String, PathBuf) {
    let out = cluster.supportaccess_ok(NS, &[&["request", "-o", "json"], args].concat());
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    (json["id"].as_str().unwrap().to_string(), PathBuf::from(json["kubeconfig"].as_str().unwrap()))
}

fn as_support(cluster: &TestCluster, kubeconfig: &Path, args: &[&str]) -> Ran {
    run(cluster.kubectl().env("KUBECONFIG", kubeconfig).args(args))
}

/// `kubectl auth can-i VERB RESOURCE -n NS` with a support credential, retried a short while
/// (RBAC is read from the watch cache) until it says `want`.
fn can_i(cluster: &TestCluster, kubeconfig: &Path, verb: &str, resource: &str, ns: &str, want: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
        let subresource = format!("--subresource={subresource}");
        let ran = as_support(cluster, kubeconfig, &["auth", "can-i", verb, resource, &subresource, "-n", ns]);
        if ran.stdout.trim() == want {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "can-i {verb} {resource} -n {ns}: {ran:?}, wanted {want}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn an_operator_request_gets_logs_and_debug_in_slurm_and_a_readonly_one_nothing_there() {
    let cluster = own_cluster();
    cluster.kubectl_ok(&["create", "namespace", "slurm"]);
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "operator"]);
    let policy = cluster.kubectl_ok(&["get", "configmap", "support-access", "-n", NS, "-o", "json"]);
    let policy: serde_json::Value = serde_json::from_str(&policy).unwrap();
    assert_eq!(policy["data"]["operatorNamespaces"], "slurm");

    let (operator, operator_config) =
        request(&cluster, &["--role", "operator", "--reason", "slurm jobs stuck", "--duration", "1h"]);
    let (reader, reader_config) = request(&cluster, &["--role", "readonly", "--reason", "look", "--duration", "1h"]);
    let in_slurm = cluster.kubectl_ok(&["get", "rolebindings", "-n", "slurm", "-o", "name"]);
    let mut names: Vec<&str> = in_slurm.lines().collect();
    names.sort();
    let expected = [
        format!("rolebinding.rbac.authorization.k8s.io/crusoe-support-{operator}-debug"),
        format!("rolebinding.rbac.authorization.k8s.io/crusoe-support-{operator}-logs"),
    ];
    assert_eq!(names, expected, "only the operator request has bindings in slurm (reader {reader})");

    can_i(&cluster, &operator_config, "get", "pods/log", "slurm", "yes");
    can_i(&cluster, &operator_config, "create", "pods/exec", "slurm", "yes");
    can_i(&cluster, &reader_config, "get", "pods/log", "slurm", "no");
    can_i(&cluster, &reader_config, "get", "pods/log", "kube-system", "yes");

    // The plugin trusts its own companions there: nothing is reported invalid or swept.
    let get = cluster.supportaccess(NS, &["get"]);
    assert_eq!(get.code, 0, "{get:?}");
    assert!(!get.stderr.contains("invalid") && !get.stderr.contains("slurm"), "{get:?}");
    cluster.supportaccess_ok(NS, &["sweep"]);
    assert_eq!(cluster.kubectl_ok(&["get", "rolebindings", "-n", "slurm", "-o", "name"]), in_slurm);

    // The admission guard refuses a readonly request's companion in slurm, even from the admin.
    let forged = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: crusoe-support-{reader}-logs\n  \
         namespace: slurm\n  labels:\n    app.kubernetes.io/managed-by: kubectl-supportaccess\n    \
         support-access.crusoe.ai/managed: \"true\"\n    support-access.crusoe.ai/request-id: {reader}\n    \
         support-access.crusoe.ai/role: readonly\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  \
         name: crusoe-support-logs\nsubjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  \
         name: crusoe-support:request:{reader}\n"
    );
    let refused = cluster.apply_result(&forged);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(refused.stderr.contains("crusoe-support-requests"), "{refused:?}");
}

#[test]
fn the_reference_outputs_28h_request_fits_the_default_policy() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    let policy =
        cluster.kubectl_ok(&["get", "configmap", "support-access", "-n", NS, "-o", "jsonpath={.data.maxDuration}"]);
    assert_eq!(policy, "72h");
    let (id, _) = request(&cluster, &["--role", "readonly", "--reason", "This is a test!", "--duration", "28h"]);
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    let live = &json["activeRequests"][0];
    assert_eq!(live["id"], id.as_str());
    let at = |key: &str| chrono::DateTime::parse_from_rfc3339(live[key].as_str().unwrap()).unwrap();
    assert_eq!(at("expiresAt") - at("requestedAt"), chrono::TimeDelta::hours(28));
    let longer = cluster.supportaccess(NS, &["request", "--role", "readonly", "--reason", "r", "--duration", "73h"]);
    assert_eq!(longer.code, 3, "{longer:?}");
}

#[test]
fn a_missing_role_makes_get_warn_and_request_refuse_leaving_nothing_behind() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "operator"]);
    // What `helm uninstall` of the chart does to the roles while the policy stays enabled.
    cluster.kubectl_ok(&["delete", "clusterrole", "crusoe-support-readonly", "crusoe-support-debug"]);

    let get = cluster.supportaccess(NS, &["get"]);
    assert_eq!(get.code, 0, "{get:?}");
    assert!(get.stdout.starts_with("Support Access Status: Enabled\n"), "{get:?}");
    for role in ["crusoe-support-readonly", "crusoe-support-debug"] {
        assert!(get.stderr.contains(&format!("ClusterRole {role} is missing")), "{get:?}");
    }
    assert!(!get.stderr.contains("crusoe-support-logs"), "{get:?}");

    let csrs_before = cluster.kubectl_ok(&["get", "csr", "-o", "name"]);
    for role in ["readonly", "operator"] {
        let refused = cluster.supportaccess(NS, &["request", "--role", role, "--reason", "r", "--duration", "1h"]);
        assert_eq!(refused.code, 1, "{refused:?}");
        assert!(refused.stderr.contains("crusoe-support-"), "{refused:?}");
        assert!(refused.stderr.contains("enable") && refused.stderr.contains("chart"), "{refused:?}");
    }
    assert!(cluster.managed_bindings().is_empty(), "{:?}", cluster.managed_bindings());
    assert_eq!(cluster.kubectl_ok(&["get", "csr", "-o", "name"]), csrs_before);
    let credentials = cluster.dir.join("xdg/kubectl-supportaccess/local");
    let written = std::fs::read_dir(&credentials).map(|d| d.count()).unwrap_or(0);
    assert_eq!(written, 0, "no kubeconfig is written");

    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "operator"]);
    let get = cluster.supportaccess(NS, &["get"]);
    assert!(!get.stderr.contains("is missing"), "{get:?}");
    request(&cluster, &["--role", "operator", "--reason", "works again", "--duration", "1h"]);
}
