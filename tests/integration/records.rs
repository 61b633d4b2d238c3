//! A request is its ServiceAccount, and only its exact record is trusted: the review's attacks on
//! revocation, tried on the real control plane — first against the admission guard (refused),
//! then, planted as someone who may remove the guard would, against the plugin itself.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::{CLUSTER, Ran, TestCluster, minutes_from_now, record_manifest, run};

const NS: &str = "crusoe-system";

fn request(cluster: &TestCluster, role: &str, duration: &str) -> (String, PathBuf) {
    let out = cluster.supportaccess_ok(
        NS,
        &["request", "-o", "json", "--role", role, "--reason", "records", "--duration", duration],
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = json["id"].as_str().unwrap().to_string();
    // A copy, as a support engineer may keep one: revoking removes the plugin's own file, and
    // these tests prove the API server refuses the credential whoever holds it.
    let kept = cluster.dir.join(format!("kept-{id}.kubeconfig"));
    std::fs::copy(json["kubeconfig"].as_str().unwrap(), &kept).unwrap();
    (id, kept)
}

fn as_support(cluster: &TestCluster, kubeconfig: &Path, args: &[&str]) -> Ran {
    run(cluster.kubectl().env("KUBECONFIG", kubeconfig).args(args))
}

/// RBAC reads from the API server's watch cache: a deletion is seen within moments.
fn eventually_forbidden(cluster: &TestCluster, kubeconfig: &Path, args: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ran = as_support(cluster, kubeconfig, args);
        // 403 once the bindings are gone; 401 once the ServiceAccount is too.
        if ran.code != 0 && (ran.stderr.to_lowercase().contains("forbidden") || super::support::unauthorized(&ran)) {
            return;
        }
        assert!(Instant::now() < deadline, "{args:?} is still allowed: {ran:?}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Removes the requests guard, as someone allowed to delete admission policies could (or as a
/// cluster where the binding predates the guard): what follows tests the plugin on its own.
fn without_the_guard(cluster: &TestCluster) {
    cluster.kubectl_ok(&["delete", "validatingadmissionpolicybinding", "crusoe-support-requests"]);
    std::thread::sleep(Duration::from_secs(2));
}

fn exists(cluster: &TestCluster, object: &[&str]) -> bool {
    run(cluster.kubectl().arg("get").args(object)).code == 0
}

#[test]
fn a_decoy_rolebinding_and_role_of_the_same_name_do_not_keep_a_revoked_grant_alive() {
    // Changes the cluster-wide guards: a control plane of its own.
    let cluster = &crate::common::own_cluster();
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "operator"]);
    let (id, kubeconfig) = request(cluster, "operator", "2h");
    let patch = ["-n", "kube-system", "auth", "can-i", "patch", "deployments"];
    assert_eq!(as_support(cluster, &kubeconfig, &patch).code, 0);

    // The tenant's decoy: a Role named like the operator ClusterRole and a RoleBinding named like
    // the record, managed labels, an older requested-at, the live request's ServiceAccount.
    cluster.kubectl_ok(&["create", "namespace", "team-a"]);
    let decoy = format!(
        r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: crusoe-support-operator, namespace: team-a}}
rules: [{{apiGroups: [""], resources: [pods], verbs: [get]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: crusoe-support-{id}
  namespace: team-a
  labels: {{app.kubernetes.io/managed-by: kubectl-supportaccess, support-access.crusoe.ai/managed: "true", support-access.crusoe.ai/request-id: {id}, support-access.crusoe.ai/role: operator}}
  annotations:
    support-access.crusoe.ai/requestor: x
    support-access.crusoe.ai/reason: decoy
    support-access.crusoe.ai/requested-at: "{old}"
    support-access.crusoe.ai/expires-at: "{end}"
    support-access.crusoe.ai/requested-by: kubernetes-admin
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: crusoe-support-operator}}
subjects: [{{kind: ServiceAccount, namespace: {NS}, name: "{account}"}}]
"#,
        old = minutes_from_now(-60),
        end = minutes_from_now(60),
        account = crate::common::account_name(&id, &minutes_from_now(60)),
    );
    let refused = cluster.apply_result(&decoy);
    assert!(
        refused.code != 0 && refused.stderr.contains("crusoe-support-requests"),
        "the guard refuses it: {refused:?}"
    );

    without_the_guard(cluster);
    cluster.apply(&decoy);
    // revoke: every binding of the ServiceAccount goes, the real ClusterRoleBinding included.
    let ran = cluster.supportaccess(NS, &["revoke", &id]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains(&format!("Revoked request {id}")), "{ran:?}");
    assert!(!exists(cluster, &["clusterrolebinding", &format!("crusoe-support-{id}")]));
    assert!(!exists(cluster, &["-n", "team-a", "rolebinding", &format!("crusoe-support-{id}")]));
    eventually_forbidden(cluster, &kubeconfig, &["-n", "kube-system", "patch", "deployment", "x", "-p", "{}"]);

    // A decoy is never shown as a request: `get` reports it, and its sweep removes it.
    cluster.apply(&decoy);
    let get = cluster.supportaccess(NS, &["get", "-o", "json"]);
    assert!(get.stderr.contains(&format!("RoleBinding team-a/crusoe-support-{id} cannot be trusted")), "{get:?}");
    let json: serde_json::Value = serde_json::from_str(&get.stdout).unwrap();
    assert_eq!(json["activeRequests"], serde_json::json!([]), "{json}");
    assert!(!exists(cluster, &["-n", "team-a", "rolebinding", &format!("crusoe-support-{id}")]));
}

#[test]
fn bindings_of_a_request_account_by_any_name_are_reported_swept_and_revoked() {
    // Changes the cluster-wide guards: a control plane of its own.
    let cluster = &crate::common::own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    let (revoked, revoked_config) = request(cluster, "readonly", "2h");
    let (live, live_config) = request(cluster, "readonly", "2h");
    let (revoked_account, live_account) = (cluster.account_of(&revoked), cluster.account_of(&live));
    cluster.supportaccess_ok(NS, &["revoke", &revoked]);
    eventually_forbidden(cluster, &revoked_config, &["get", "pods", "-A"]);

    let backdoor = format!(
        r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crusoe-support-{live}-backdoor
  labels: {{app.kubernetes.io/managed-by: kubectl-supportaccess, support-access.crusoe.ai/managed: "true", support-access.crusoe.ai/request-id: other1}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}
subjects: [{{kind: ServiceAccount, namespace: {NS}, name: {live_account}}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: revive-{revoked}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}
subjects: [{{kind: ServiceAccount, namespace: {NS}, name: {revoked_account}}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: crusoe-support-aaaa-logs
  namespace: default
  labels: {{app.kubernetes.io/managed-by: kubectl-supportaccess, support-access.crusoe.ai/managed: "true", support-access.crusoe.ai/request-id: aaaa}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}}
subjects: [{{kind: ServiceAccount, namespace: {NS}, name: crusoe-support-aaaa-4102444800}}]
"#
    );
    let refused = cluster.apply_result(&backdoor);
    assert!(refused.code != 0 && refused.stderr.contains("crusoe-support-requests"), "{refused:?}");
    without_the_guard(cluster);
    cluster.apply(&backdoor);
    // The live credential reads secrets through the backdoor…
    let secrets = ["get", "secrets", "-A"];
    let deadline = Instant::now() + Duration::from_secs(10);
    while as_support(cluster, &live_config, &secrets).code != 0 {
        assert!(Instant::now() < deadline, "the backdoor never took effect");
        std::thread::sleep(Duration::from_millis(25));
    }
    // …but the revoked one stays dead, bound again or not: its ServiceAccount is gone, so its
    // token no longer authenticates (401 once the API server's 10 s token cache lets go).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !super::support::unauthorized(&as_support(cluster, &revoked_config, &secrets)) {
        assert!(Instant::now() < deadline, "the revoked token still authenticates");
        std::thread::sleep(Duration::from_millis(500));
    }
    // `get` reports the two bindings that claim request ids and its sweep removes them.
    let get = cluster.supportaccess(NS, &["get"]);
    assert!(
        get.stderr.contains(&format!("ClusterRoleBinding crusoe-support-{live}-backdoor cannot be trusted")),
        "{get:?}"
    );
    assert!(get.stderr.contains("RoleBinding default/crusoe-support-aaaa-logs cannot be trusted"), "{get:?}");
    assert!(get.stderr.contains("removed 2 binding(s) that cannot be trusted"), "{get:?}");
    assert!(!exists(cluster, &["clusterrolebinding", &format!("crusoe-support-{live}-backdoor")]));
    assert!(!exists(cluster, &["-n", "default", "rolebinding", "crusoe-support-aaaa-logs"]));
    eventually_forbidden(cluster, &live_config, &secrets);

    // A binding of the live request's ServiceAccount that wears no label of ours: a foreign grant,
    // reported and never swept — but `revoke` deletes every binding of the account, whatever it
    // is called.
    cluster.kubectl_ok(&[
        "create",
        "clusterrolebinding",
        "sneaky",
        "--clusterrole=cluster-admin",
        &format!("--serviceaccount={NS}:{live_account}"),
    ]);
    let swept = cluster.supportaccess(NS, &["sweep"]);
    assert!(swept.stderr.contains("foreign grant: ClusterRoleBinding sneaky"), "{swept:?}");
    assert!(exists(cluster, &["clusterrolebinding", "sneaky"]), "a foreign grant is never swept");
    cluster.supportaccess_ok(NS, &["revoke", &live]);
    assert!(!exists(cluster, &["clusterrolebinding", "sneaky"]), "revocation is by ServiceAccount");
    eventually_forbidden(cluster, &live_config, &secrets);
}

#[test]
fn a_record_beyond_the_policy_is_not_trusted_and_renew_refuses_it() {
    // Changes the cluster-wide guards: a control plane of its own.
    let cluster = &crate::common::own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    let record = record_manifest(NS, "far2099", "readonly", &minutes_from_now(0), "2099-01-01T00:00:00Z", None);
    let refused = cluster.apply_result(&record);
    assert!(refused.stderr.contains("at most the policy's maxDuration"), "the guard refuses it: {refused:?}");
    without_the_guard(cluster);
    cluster.apply(&record);
    let ran = cluster.supportaccess(NS, &["renew", "far2099"]);
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(
        ran.stderr.contains("cannot be trusted") && ran.stderr.contains("longer than the policy's maxDuration"),
        "{ran:?}"
    );
    assert!(!exists(cluster, &["clusterrolebinding", "crusoe-support-far2099"]), "and the sweep removed it");
    assert!(!cluster.credential_path("far2099").exists(), "no credential was minted");
}

#[test]
fn the_documented_minimum_duration_of_10m_works_and_its_credential_fits() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable"]);
    let (id, kubeconfig) = request(cluster, "readonly", "10m");
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    let grant = json["activeRequests"].as_array().unwrap().iter().find(|g| g["id"] == id.as_str()).unwrap().clone();
    let at = |key: &str| grant[key].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    assert_eq!(at("expiresAt") - at("requestedAt"), chrono::TimeDelta::minutes(11), "{grant}");
    let not_after = super::support::token_expires_at(&kubeconfig);
    assert!(not_after <= at("expiresAt"), "{not_after} {grant}");
    assert_eq!(as_support(cluster, &kubeconfig, &["get", "pods", "-A"]).code, 0);
}

/// `get`, `sweep` and `revoke` read only the bindings that matter to support (the server's Table of
/// every binding picks the candidates): a support subject must not hide in a long subject list, nor
/// behind the name of a RoleBinding the plugin wrote in another namespace.
#[test]
fn a_support_subject_in_a_long_subject_list_or_behind_a_companions_name_is_found_and_revoked() {
    let cluster = crate::common::own_cluster();
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "operator"]);
    let (id, kubeconfig) = request(&cluster, "operator", "1h");
    let account = cluster.account_of(&id);
    let companions = cluster.kubectl_ok(&[
        "get",
        "rolebindings",
        "-A",
        "-l",
        &format!("support-access.crusoe.ai/request-id={id}"),
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    assert!(companions.starts_with(&format!("crusoe-support-{id}-")), "{companions:?}");
    // The requests guard refuses such bindings; they predate it, or someone removed it.
    without_the_guard(&cluster);
    let padding = "x".repeat(200);
    let users: String = (0..300)
        .map(|i| format!("- {{apiGroup: rbac.authorization.k8s.io, kind: User, name: tenant-{i}-{padding}}}\n"))
        .collect();
    cluster.apply(&format!(
        "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: crowded}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}
subjects:
{users}- {{kind: ServiceAccount, namespace: {NS}, name: \"{account}\"}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: tenant-a}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: {companions}, namespace: tenant-a}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}}
subjects: [{{kind: ServiceAccount, namespace: {NS}, name: \"{account}\"}}]
"
    ));
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    let foreign: Vec<String> = json["foreignGrants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}/{}", f["kind"], f["namespace"].as_str().unwrap_or(""), f["name"].as_str().unwrap()))
        .collect();
    assert!(foreign.contains(&"\"ClusterRoleBinding\" /crowded".to_string()), "{foreign:?}");
    assert!(foreign.contains(&format!("\"RoleBinding\" tenant-a/{companions}")), "{foreign:?}");
    assert_eq!(json["activeRequests"].as_array().unwrap().len(), 1, "the request itself is still trusted: {json}");
    assert_eq!(as_support(&cluster, &kubeconfig, &["-n", "tenant-a", "get", "secrets"]).code, 0);
    cluster.supportaccess_ok(NS, &["revoke", &id]);
    assert!(!exists(&cluster, &["clusterrolebinding", "crowded"]), "revocation is by ServiceAccount");
    assert!(!exists(&cluster, &["-n", "tenant-a", "rolebinding", &companions]), "in every namespace");
    eventually_forbidden(&cluster, &kubeconfig, &["-n", "tenant-a", "get", "secrets"]);
}

/// The records list's line of `get -v 8`, with the content type of its answer.
fn records_list_answer(ran: &Ran, kind: &str) -> String {
    let (path, query) = (format!("/{kind}?"), "labelSelector=support-access.crusoe.ai%2Fmanaged%3Dtrue ");
    let line = ran.stderr.lines().find(|l| l.contains(&path) && l.contains(query));
    line.unwrap_or_else(|| panic!("get -v 8 logs its list of {kind}: {ran:?}")).to_string()
}

#[test]
fn get_reads_the_records_as_protobuf_and_says_exactly_what_it_says_from_json() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly,operator"]);
    cluster.kubectl_ok(&["create", "namespace", "pb-scope"]);
    let (wide, _) = request(cluster, "readonly", "1h");
    crate::common::request(
        cluster,
        NS,
        &["--role", "operator", "--scope", "pb-scope", "--reason", "r", "--duration", "1h"],
    );
    // A record with another field manager's write in its managed fields (told apart by them), and
    // one the admin made with kubectl.
    let later = minutes_from_now(90);
    cluster.kubectl_ok(&[
        "annotate",
        "clusterrolebinding",
        &format!("crusoe-support-{wide}"),
        "--overwrite",
        &format!("support-access.crusoe.ai/expires-at={later}"),
    ]);
    cluster.apply(&record_manifest(NS, "pbplanted", "readonly", &minutes_from_now(-5), &minutes_from_now(50), None));
    // The first get records the outside write; then both forms read the same state.
    cluster.supportaccess_ok(NS, &["get"]);
    let json_only = |args: &[&str]| run(cluster.plugin().env("SUPPORTACCESS_JSON", "1").args(args).args(["-n", NS]));
    let from_protobuf = cluster.supportaccess_ok(NS, &["get", "-o", "json"]);
    let from_json = json_only(&["get", "-o", "json"]);
    assert_eq!(from_json.code, 0, "{from_json:?}");
    assert_eq!(from_protobuf, from_json.stdout);
    let shown: serde_json::Value = serde_json::from_str(&from_protobuf).unwrap();
    assert_eq!(shown["activeRequests"].as_array().map(Vec::len), Some(2), "{shown}");
    assert_eq!(shown["requestsBeingMade"], serde_json::json!(["pbplanted"]), "{shown}");
    assert!(from_protobuf.contains(&later), "the outside write is read: {from_protobuf}");
    // YAML too (its times are absolute, as JSON's: the table's "1s ago" moves between two runs).
    let yaml = cluster.supportaccess_ok(NS, &["get", "-o", "yaml"]);
    assert_eq!(yaml, json_only(&["get", "-o", "yaml"]).stdout);

    // The records and companions came as protobuf; with SUPPORTACCESS_JSON=1, as JSON.
    let traced = cluster.supportaccess(NS, &["get", "-v", "8"]);
    for kind in ["clusterrolebindings", "rolebindings"] {
        let line = records_list_answer(&traced, kind);
        assert!(line.contains("200 OK (application/vnd.kubernetes.protobuf)"), "{line}");
        let line = records_list_answer(&json_only(&["get", "-v", "8"]), kind);
        assert!(line.contains("200 OK (application/json)"), "{line}");
    }
    // One request's bindings (what revoke reads) come the same way, and revoke works from them.
    let revoked = cluster.supportaccess(NS, &["revoke", &wide, "-v", "8"]);
    assert_eq!(revoked.code, 0, "{revoked:?}");
    assert!(revoked.stderr.contains("(application/vnd.kubernetes.protobuf)"), "{revoked:?}");
    assert!(!cluster.managed_bindings().iter().any(|b| b.contains(&wide)), "{:?}", cluster.managed_bindings());
}
