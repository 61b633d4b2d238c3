//! Identity `own` (issue 43): a request binds the requester's own user, as its kubeconfig logs
//! in, instead of a ServiceAccount whose token the plugin mints. The jitsudo document's three
//! requests as a harness user, its own `kubectl auth can-i` before, during and after; revocation;
//! the guardrails on the user while it holds a request; and the attacks of `ownership.rs` made
//! with plain kubectl against this form of the record.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{CLUSTER, Ran, TestCluster, account_of, eventually, minutes_from_now, record_manifest};
use crate::requester::{as_user, plugin_as, plugin_ok, refused_by};

const NS: &str = "crusoe-system";

/// The requester's own `kubectl auth can-i ARGS`: "yes" or "no".
fn can_i(cluster: &TestCluster, who: &Path, args: &[&str]) -> String {
    as_user(cluster, who, &[&["auth", "can-i"], args].concat()).stdout.trim().to_string()
}

/// `request -o json` as `who`: what it printed.
fn request_as(cluster: &TestCluster, who: &Path, args: &[&str]) -> serde_json::Value {
    let out = plugin_ok(cluster, who, &[&["request", "-o", "json"], args].concat());
    serde_json::from_str(&out).unwrap()
}

/// A record of `user`'s own request as `request` writes it with identity own: requested by
/// `requested_by`, its ServiceAccount carrying `carried`, and `subject_user` as its User subject.
fn own_record(id: &str, requested_by: &str, carried: &str, subject_user: &str) -> String {
    let (at, end) = (minutes_from_now(0), minutes_from_now(30));
    record_manifest(NS, id, "operator", &at, &end, None)
        .replace("requested-by: kubernetes-admin", &format!("requested-by: {requested_by}"))
        .replace(&account_of(id, &end, "kubernetes-admin"), &account_of(id, &end, carried))
        .replace(
            "---\n",
            &format!("- kind: User\n  apiGroup: rbac.authorization.k8s.io\n  name: {subject_user}\n---\n"),
        )
}

/// The subjects of a binding (`kind name [-n NS]`), as `kind:name` each.
fn subjects(cluster: &TestCluster, binding: &[&str]) -> Vec<String> {
    let json = cluster.kubectl_ok(&[&["get"], binding, &["-o", "json"]].concat());
    let binding: serde_json::Value = serde_json::from_str(&json).unwrap();
    let subjects = binding["subjects"].as_array().cloned().unwrap_or_default();
    subjects.iter().map(|s| format!("{}:{}", s["kind"].as_str().unwrap(), s["name"].as_str().unwrap())).collect()
}

/// How long after `revoke` returned the user's own credential was first refused: polled as fast as
/// kubectl starts.
fn revoked_within(cluster: &TestCluster, who: &Path, id: &str, probe: &[&str]) -> Duration {
    cluster.supportaccess_ok(NS, &["revoke", id, "--yes"]);
    let returned = Instant::now();
    while as_user(cluster, who, probe).code == 0 {
        assert!(returned.elapsed() < Duration::from_secs(10), "{id} still grants 10 s after revoke");
    }
    returned.elapsed()
}

#[test]
fn the_jitsudo_requests_bind_the_requesters_own_user_for_their_time_and_no_longer() {
    let cluster = &*CLUSTER;
    for ns in ["staging", "production"] {
        cluster.kubectl_ok(&["create", "namespace", ns]);
    }
    cluster.kubectl_ok(&["create", "deployment", "web", "--image=registry.k8s.io/pause:3.10", "-n", "production"]);
    let prov = cluster.user("prov@example.com", &["support-engineers"]);
    cluster.supportaccess_ok(
        NS,
        &[
            "enable",
            "--identity",
            "own",
            "--requesters",
            "user:prov@example.com",
            "--clusterroles",
            "view,edit,cluster-admin",
            "--yes",
        ],
    );
    eventually("prov may request", || can_i(cluster, &prov, &["create", "serviceaccounts/token", "-n", NS]) == "yes");
    // Before: prov's own context may do none of it.
    assert_eq!(can_i(cluster, &prov, &["get", "pods", "-n", "staging"]), "no");
    assert_eq!(can_i(cluster, &prov, &["patch", "deployments", "-n", "production"]), "no");
    assert_eq!(can_i(cluster, &prov, &["get", "secrets", "-A"]), "no");

    let view = request_as(
        cluster,
        &prov,
        &["--role", "view", "--scope", "staging", "--duration", "1h", "--reason", "Audit staging for compliance"],
    );
    let edit = request_as(
        cluster,
        &prov,
        &["--role", "edit", "--scope", "production", "--duration", "30m", "--reason", "Scale for traffic spike"],
    );
    for made in [&view, &edit] {
        assert_eq!(made["user"], "prov@example.com", "{made}");
        assert!(made["kubeconfig"].is_null(), "no kubeconfig is written: {made}");
    }
    let (view_id, edit_id) = (view["id"].as_str().unwrap(), edit["id"].as_str().unwrap());
    // The record binds the request's ServiceAccount (which no token is minted for) and prov itself.
    let bound = subjects(cluster, &["rolebinding", &format!("crusoe-support-{edit_id}"), "-n", "production"]);
    assert_eq!(bound.len(), 2, "{bound:?}");
    assert!(bound[0].starts_with("ServiceAccount:crusoe-support-") && bound[1] == "User:prov@example.com", "{bound:?}");

    // During: prov's own kubeconfig, no other, does what each ClusterRole gives in its scope.
    assert_eq!(can_i(cluster, &prov, &["get", "pods", "-n", "staging"]), "yes");
    assert_eq!(can_i(cluster, &prov, &["get", "pods", "-n", "default"]), "no");
    assert_eq!(can_i(cluster, &prov, &["get", "secrets", "-n", "staging"]), "no");
    let scaled = as_user(cluster, &prov, &["scale", "deployment", "web", "--replicas", "2", "-n", "production"]);
    assert_eq!(scaled.code, 0, "{scaled:?}");
    // The guardrails bind prov's own user while it holds a request: it may scale, not swap images.
    let swapped = as_user(
        cluster,
        &prov,
        &["set", "image", "deployment/web", "pause=registry.example/evil:1", "-n", "production"],
    );
    assert!(refused_by(&swapped, "crusoe-support-guardrails"), "{swapped:?}");
    // cluster-admin swaps images as before: the guardrails are the support user's, not everyone's.
    cluster.kubectl_ok(&["set", "image", "deployment/web", "pause=registry.k8s.io/pause:3.9", "-n", "production"]);
    // No token of its ServiceAccount can be minted, by prov or by the owner.
    let account = bound[0].trim_start_matches("ServiceAccount:");
    let minted = as_user(cluster, &prov, &["create", "token", account, "-n", NS]);
    assert!(
        refused_by(&minted, "crusoe-support-credentials") && minted.stderr.contains("identity is own"),
        "{minted:?}"
    );
    let minted = crate::common::run(cluster.kubectl().args(["create", "token", account, "-n", NS]));
    assert!(refused_by(&minted, "crusoe-support-credentials"), "{minted:?}");
    // exec runs with prov's own identity; renew has nothing to renew.
    let exec = plugin_ok(
        cluster,
        &prov,
        &["exec", edit_id, "--", "kubectl", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"],
    );
    assert_eq!(exec.trim(), "prov@example.com");
    // The file that said which context is current went with the command.
    let files = cluster.dir.join("xdg/kubectl-supportaccess/prov@example.com");
    let left: Vec<_> =
        std::fs::read_dir(&files).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    let renewed = plugin_as(cluster, &prov, &["renew", edit_id]);
    assert!(renewed.code == 3 && renewed.stderr.contains("no credential to renew"), "{renewed:?}");
    // get shows whom each record binds.
    let status: serde_json::Value =
        serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    let users: Vec<&str> =
        status["activeRequests"].as_array().unwrap().iter().filter_map(|r| r["user"].as_str()).collect();
    assert_eq!(users, ["prov@example.com", "prov@example.com"], "{status}");

    let admin = request_as(
        cluster,
        &prov,
        &["--role", "cluster-admin", "--scope", "*", "--duration", "15m", "--reason", "Debug kube-system CrashLoop"],
    );
    let admin_id = admin["id"].as_str().unwrap();
    assert_eq!(can_i(cluster, &prov, &["get", "secrets", "-A"]), "yes");

    // After: each revocation takes prov's access at once (RBAC decides every call).
    for (id, probe) in [
        (admin_id, ["get", "secrets", "-n", "kube-system"]),
        (view_id, ["get", "pods", "-n", "staging"]),
        (edit_id, ["get", "pods", "-n", "production"]),
    ] {
        let took = revoked_within(cluster, &prov, id, &probe);
        println!("revoked {id}: prov's own {probe:?} refused {} ms after revoke returned", took.as_millis());
    }
    assert_eq!(can_i(cluster, &prov, &["get", "pods", "-n", "staging"]), "no");
    assert_eq!(can_i(cluster, &prov, &["patch", "deployments", "-n", "production"]), "no");
    // Its holder went with it: prov's own writes are its own again (and RBAC refuses them).
    assert!(cluster.managed_bindings().iter().all(|b| !b.contains("-holder")), "{:?}", cluster.managed_bindings());
    // disable has no credential of prov's to drain to: it ends prov's request at once.
    request_as(cluster, &prov, &["--role", "view", "--scope", "staging", "--duration", "1h", "--reason", "again"]);
    assert_eq!(can_i(cluster, &prov, &["get", "pods", "-n", "staging"]), "yes");
    let disabled = cluster.supportaccess_ok(NS, &["disable"]);
    assert!(disabled.contains("Revoked 1 request(s) bound to their requesters' own users now"), "{disabled}");
    assert_eq!(can_i(cluster, &prov, &["get", "pods", "-n", "staging"]), "no");
    let history = cluster.supportaccess_ok(NS, &["history"]);
    let revoked = history.lines().filter(|l| l.split_whitespace().nth(1) == Some("revoked")).count();
    assert_eq!(revoked, 4, "{history}");
}

#[test]
fn the_ownership_attacks_fail_against_a_record_of_the_requesters_own_user() {
    let cluster = &*CLUSTER;
    let (alice, bob, owner) = (cluster.user("alice", &[]), cluster.user("bob", &[]), cluster.user("owner", &[]));
    let enable = |flags: &[&str]| {
        let base = ["enable", "--enabled-roles", "readonly,operator", "--requesters", "user:alice,user:bob"];
        cluster.supportaccess_ok(NS, &[&base[..], &["--approvers", "user:owner"], flags].concat())
    };
    enable(&["--identity", "own"]);
    eventually("alice may request", || can_i(cluster, &alice, &["create", "serviceaccounts/token", "-n", NS]) == "yes");
    cluster.kubectl_ok(&["create", "deployment", "web", "--image=registry.k8s.io/pause:3.10", "-n", "default"]);
    // Refused by the API server, saying why (two guards may both refuse; either one's answer is
    // enough, so only the reason is asked for).
    let refused = |ran: &Ran, why: &str| {
        assert!(ran.code != 0 && ran.stderr.contains("denied request") && ran.stderr.contains(why), "{why}: {ran:?}");
    };

    // A record made by hand: for bob, as bob, or for alice before its holder binds her.
    refused(&cluster.create_as(&alice, &own_record("forged1", "alice", "alice", "bob")), "exactly one subject");
    refused(&cluster.create_as(&alice, &own_record("forged2", "bob", "bob", "bob")), "'crusoe-support-requests'");
    refused(
        &cluster.create_as(&alice, &own_record("forged3", "alice", "alice", "alice")),
        "only once its holder binding",
    );
    // A holder binding that would put bob under alice's request.
    let holder = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: crusoe-support-forged4-holder\n  labels:\n    support-access.crusoe.ai/managed: \"true\"\n    support-access.crusoe.ai/request-id: forged4\n    support-access.crusoe.ai/role: operator\n  annotations:\n    support-access.crusoe.ai/requested-by: bob\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: crusoe-support-holder\nsubjects:\n- kind: ServiceAccount\n  namespace: {NS}\n  name: {}\n- kind: User\n  apiGroup: rbac.authorization.k8s.io\n  name: bob\n",
        account_of("forged4", &minutes_from_now(30), "bob")
    );
    refused(&cluster.create_as(&alice, &holder), "its own user");

    // alice's own request, then every way around it.
    let made = request_as(cluster, &alice, &["--role", "operator", "--reason", "r", "--duration", "1h"]);
    let id = made["id"].as_str().unwrap();
    let (record, holder) = (format!("crusoe-support-{id}"), format!("crusoe-support-{id}-holder"));
    let account = cluster.account_of(id);
    let minted = as_user(cluster, &alice, &["create", "token", &account, "-n", NS]);
    refused(&minted, "identity is own");
    let gone = as_user(cluster, &alice, &["delete", "clusterrolebinding", &holder]);
    refused(&gone, "never deletes a holder binding");
    let bob_too = r#"[{"op":"add","path":"/subjects/-","value":{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"bob"}}]"#;
    let added = as_user(cluster, &alice, &["patch", "clusterrolebinding", &record, "--type", "json", "-p", bob_too]);
    refused(&added, "exactly one subject");
    let evil = ["set", "image", "deployment/web", "pause=registry.example/evil:1", "-n", "default"];
    refused(&as_user(cluster, &alice, &evil), "pod template");
    // Deleting its own ServiceAccount takes nothing off the guardrails: the holder binding stays.
    as_user(cluster, &alice, &["delete", "serviceaccount", &account, "-n", NS]);
    cluster.kubectl_ok(&["get", "clusterrolebinding", &holder]);
    refused(&as_user(cluster, &alice, &evil), "pod template");
    // bob neither ends nor extends alice's request.
    assert_ne!(plugin_as(cluster, &bob, &["end", id]).code, 0);
    assert_ne!(plugin_as(cluster, &bob, &["extend", id, "--by", "10m"]).code, 0);
    // Only cluster-admin can take the holder away; the record is then not trusted, and the next
    // get revokes it: the user never holds the role off the guardrails.
    assert_eq!(can_i(cluster, &alice, &["list", "nodes"]), "yes");
    cluster.kubectl_ok(&["delete", "clusterrolebinding", &holder]);
    let shown = cluster.supportaccess(NS, &["get"]);
    assert!(format!("{}{}", shown.stdout, shown.stderr).contains("without its holder binding"), "{shown:?}");
    eventually("alice's request without its holder is revoked", || can_i(cluster, &alice, &["list", "nodes"]) == "no");

    // With approval: the approver's grant binds the requester's user and no other.
    enable(&["--approval", "required"]);
    let waiting = crate::ownership::start_request(cluster, &alice);
    let id = crate::state::waiting_id(cluster);
    let end = cluster.kubectl_ok(&[
        "get",
        "clusterrolebinding",
        &format!("crusoe-support-{id}"),
        "-o",
        "jsonpath={.metadata.annotations.support-access\\.crusoe\\.ai/expires-at}",
    ]);
    let to_bob = format!(
        r#"{{"metadata":{{"annotations":{{"support-access.crusoe.ai/state":null,"support-access.crusoe.ai/approved-by":"owner","support-access.crusoe.ai/approved-at":"{}","support-access.crusoe.ai/approvals":"{} owner"}}}},"subjects":[{{"kind":"ServiceAccount","namespace":"{NS}","name":"{}"}},{{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"bob"}}]}}"#,
        minutes_from_now(0),
        minutes_from_now(0),
        account_of(&id, &end, "alice")
    );
    let granted = as_user(
        cluster,
        &owner,
        &["patch", "clusterrolebinding", &format!("crusoe-support-{id}"), "--type", "merge", "-p", &to_bob],
    );
    refused(&granted, "exactly one subject");
    plugin_ok(cluster, &owner, &["approve", &id, "--yes"]);
    let output = waiting.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(can_i(cluster, &alice, &["list", "nodes"]), "yes");
    assert_eq!(can_i(cluster, &bob, &["list", "nodes"]), "no");

    // The owner switches the identity only with no request live, or revoking them when asked.
    let switched = crate::common::run(
        cluster
            .kubectl()
            .args(["supportaccess", "-n", NS, "enable", "--identity", "serviceaccount"])
            .stdin(std::process::Stdio::null()),
    );
    assert!(switched.code == 2 && switched.stderr.contains("revokes the 1 live request(s)"), "{switched:?}");
    assert_eq!(can_i(cluster, &alice, &["list", "nodes"]), "yes");
    cluster.supportaccess_ok(NS, &["enable", "--identity", "serviceaccount", "--yes"]);
    eventually("alice's access is revoked", || can_i(cluster, &alice, &["list", "nodes"]) == "no");
    // In ServiceAccount mode no record binds a user, whoever grants it.
    refused(&cluster.create_as(&alice, &own_record("forged5", "alice", "alice", "alice")), "exactly one subject");
}
