//! Each party holds only its own (issue 28): requesters `alice` and `bob` and the approver
//! `owner`, harness users bound only through `enable --requesters user:alice,user:bob --approvers
//! user:owner`. A request is its requester's alone, every access reaches the history, history
//! lines are written in their writer's name, and an approver only answers — with plain kubectl
//! too, as an attacker would try it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::{CLUSTER, TestCluster, account_of, eventually, minutes_from_now, record_manifest};
use crate::requester::{as_user, eventually_unauthorized, plugin_as, plugin_ok, refused_by};

const NS: &str = "crusoe-system";

struct Parties {
    alice: PathBuf,
    bob: PathBuf,
    owner: PathBuf,
}

fn parties(cluster: &TestCluster, flags: &[&str]) -> Parties {
    let (alice, bob, owner) = (cluster.user("alice", &[]), cluster.user("bob", &[]), cluster.user("owner", &[]));
    let enable = [
        &[
            "enable",
            "--enabled-roles",
            "readonly,operator",
            "--requesters",
            "user:alice,user:bob",
            "--approvers",
            "user:owner",
        ],
        flags,
    ]
    .concat();
    cluster.supportaccess_ok(NS, &enable);
    eventually("the parties' bindings are in force", || {
        as_user(cluster, &bob, &["auth", "can-i", "create", "serviceaccounts/token", "-n", NS]).stdout.trim() == "yes"
            && as_user(cluster, &owner, &["auth", "can-i", "delete", "clusterrolebindings"]).stdout.trim() == "yes"
    });
    Parties { alice, bob, owner }
}

/// `request -o json` as `who`; the id and the kubeconfig.
fn request(cluster: &TestCluster, who: &Path, role: &str) -> (String, PathBuf) {
    let out = plugin_ok(cluster, who, &["request", "-o", "json", "--role", role, "--reason", "r", "--duration", "1h"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    (json["id"].as_str().unwrap().to_string(), PathBuf::from(json["kubeconfig"].as_str().unwrap()))
}

fn record_exists(cluster: &TestCluster, id: &str) -> bool {
    run_ok(cluster, &["get", "clusterrolebinding", &format!("crusoe-support-{id}"), "-o", "name"]).is_some()
}

fn run_ok(cluster: &TestCluster, args: &[&str]) -> Option<String> {
    let ran = crate::common::run(cluster.kubectl().args(args));
    (ran.code == 0).then_some(ran.stdout)
}

/// A kubeconfig that holds only this token.
fn token_kubeconfig(cluster: &TestCluster, token: &str) -> PathBuf {
    let server = cluster.kubectl_ok(&["config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"]);
    let path = cluster.dir.join(format!("token-{}.kubeconfig", std::process::id()));
    let config = format!(
        "apiVersion: v1\nkind: Config\nclusters: [{{name: c, cluster: {{server: \"{}\", insecure-skip-tls-verify: true}}}}]\nusers: [{{name: u, user: {{token: \"{token}\"}}}}]\ncontexts: [{{name: c, context: {{cluster: c, user: u}}}}]\ncurrent-context: c\n",
        server.trim()
    );
    std::fs::write(&path, config).unwrap();
    path
}

/// `request` as `who` with approval required, left waiting.
pub(crate) fn start_request(cluster: &TestCluster, who: &Path) -> std::process::Child {
    cluster
        .kubectl()
        .env("KUBECONFIG", who)
        .args(["supportaccess", "-n", NS, "request", "--role", "readonly", "--reason", "r", "--duration", "1h"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_request_is_its_requesters_alone() {
    let cluster = &*CLUSTER;
    let p = parties(cluster, &[]);
    let (bobs, bob_kubeconfig) = request(cluster, &p.bob, "operator");
    let account = cluster.account_of(&bobs);
    assert!(account.ends_with(".ubob"), "bob's ServiceAccount carries bob: {account}");

    // alice, a requester who asked for nothing, tries bob's request every way.
    let minted = as_user(cluster, &p.alice, &["-n", NS, "create", "token", &account, "--duration", "10m"]);
    assert!(
        refused_by(&minted, "crusoe-support-credentials") && minted.stderr.contains("requester's alone"),
        "{minted:?}"
    );
    let extended = plugin_as(cluster, &p.alice, &["extend", &bobs, "--by", "30m"]);
    assert_ne!(extended.code, 0, "{extended:?}");
    let later = (chrono::Utc::now() + chrono::TimeDelta::hours(5)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let stretched = as_user(
        cluster,
        &p.alice,
        &[
            "annotate",
            "--overwrite",
            "clusterrolebinding",
            &format!("crusoe-support-{bobs}"),
            &format!("support-access.crusoe.ai/extension-requested={later}"),
        ],
    );
    assert!(
        refused_by(&stretched, "crusoe-support-requesters") && stretched.stderr.contains("only its own"),
        "{stretched:?}"
    );
    for target in
        [&["clusterrolebinding", &format!("crusoe-support-{bobs}")][..], &["-n", NS, "serviceaccount", &account]]
    {
        let deleted = as_user(cluster, &p.alice, &[&["delete", "--dry-run=server"], target].concat());
        assert!(refused_by(&deleted, "crusoe-support-requesters"), "{target:?}: {deleted:?}");
    }
    let revoked = plugin_as(cluster, &p.alice, &["revoke", &bobs]);
    assert_ne!(revoked.code, 0, "{revoked:?}");
    let ended = plugin_as(cluster, &p.alice, &["end", &bobs]);
    assert_eq!(ended.code, 3, "{ended:?}");
    assert!(record_exists(cluster, &bobs) && as_user(cluster, &bob_kubeconfig, &["get", "pods", "-A"]).code == 0);

    // bob renews, extends and ends his own.
    plugin_ok(cluster, &p.bob, &["renew", &bobs]);
    plugin_ok(cluster, &p.bob, &["extend", &bobs, "--by", "30m"]);
    let kept = cluster.dir.join("bob-kept.kubeconfig");
    std::fs::copy(&bob_kubeconfig, &kept).unwrap();
    plugin_ok(cluster, &p.bob, &["end", &bobs]);
    eventually_unauthorized(cluster, &kept);
    // The record stays for the owner's side (a requester never deletes one), and binds nothing.
    let subjects = cluster.kubectl_ok(&[
        "get",
        "clusterrolebinding",
        &format!("crusoe-support-{bobs}"),
        "-o",
        "jsonpath={.subjects}",
    ]);
    assert_eq!(subjects.trim(), "", "an ended record binds nothing");
    let companions = cluster.kubectl_ok(&[
        "get",
        "rolebindings",
        "-A",
        "-l",
        &format!("support-access.crusoe.ai/request-id={bobs}"),
        "-o",
        "name",
    ]);
    assert_eq!(companions.trim(), "", "an ended request's companions are gone");

    // The owner (an approver) revokes both requesters' requests, and sweeps bob's ended one.
    let (alices, alice_kubeconfig) = request(cluster, &p.alice, "readonly");
    let (bobs2, _) = request(cluster, &p.bob, "readonly");
    plugin_ok(cluster, &p.owner, &["revoke", &alices, &bobs2]);
    eventually_unauthorized(cluster, &alice_kubeconfig);
    plugin_ok(cluster, &p.owner, &["sweep"]);
    for id in [&bobs, &alices, &bobs2] {
        assert!(!record_exists(cluster, id), "{id} is gone");
    }
    let history: serde_json::Value =
        serde_json::from_str(&plugin_ok(cluster, &p.owner, &["history", "-o", "json"])).unwrap();
    let lines = history.as_array().or_else(|| history["events"].as_array()).unwrap().clone();
    let by = |id: &str, event: &str| {
        lines.iter().find(|l| l["id"] == id && l["event"] == event).map(|l| l["by"].as_str().unwrap_or("").to_string())
    };
    // One word for one event: bob's `end` is `ended` (his line), and so is the sweep's deletion of
    // its record (the owner's line): never `revoked`, never `expired`.
    let endings: Vec<(String, String)> = lines
        .iter()
        .filter(|l| {
            l["id"] == bobs.as_str() && ["ended", "revoked", "expired"].contains(&l["event"].as_str().unwrap_or(""))
        })
        .map(|l| (l["event"].as_str().unwrap_or("").to_string(), l["by"].as_str().unwrap_or("").to_string()))
        .collect();
    let ended = |by: &str| ("ended".to_string(), by.to_string());
    assert_eq!(endings, [ended("bob"), ended("owner")], "{lines:?}");
    assert_eq!(by(&alices, "revoked").as_deref(), Some("owner"), "{lines:?}");
}

#[test]
fn access_taken_with_plain_kubectl_reaches_the_history_and_cannot_be_deleted() {
    let cluster = &*CLUSTER;
    let p = parties(cluster, &[]);
    let id = "plain1";
    let start = (chrono::Utc::now() - chrono::TimeDelta::seconds(45)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let end = minutes_from_now(60);
    let account = account_of(id, &end, "alice");
    let record = record_manifest(NS, id, "readonly", &start, &end, None)
        .replace("requested-by: kubernetes-admin", "requested-by: alice")
        .replace(&crate::common::account_name(id, &end), &account);
    let sa = format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {account}\n  namespace: {NS}\n  labels: {{app.kubernetes.io/managed-by: kubectl-supportaccess, support-access.crusoe.ai/managed: \"true\", support-access.crusoe.ai/request-id: {id}}}\nautomountServiceAccountToken: false\n"
    );
    for manifest in [&sa, &record] {
        let made = cluster.create_as(&p.alice, manifest);
        assert_eq!(made.code, 0, "{manifest}\n{made:?}");
    }
    // Another requester's ServiceAccount name is refused at creation.
    let forged = sa.replace(".ualice", ".ubob").replace(id, "plain2");
    assert!(refused_by(&cluster.create_as(&p.alice, &forged), "crusoe-support-requesters"));
    let token = as_user(cluster, &p.alice, &["-n", NS, "create", "token", &account, "--duration", "10m"]);
    assert_eq!(token.code, 0, "{token:?}");
    let used = as_user(cluster, &token_kubeconfig(cluster, token.stdout.trim()), &["get", "configmaps", "-A"]);
    assert_eq!(used.code, 0, "the token works: {used:?}");
    let deleted = as_user(cluster, &p.alice, &["delete", "clusterrolebinding", &format!("crusoe-support-{id}")]);
    assert!(
        refused_by(&deleted, "crusoe-support-requesters") && deleted.stderr.contains("never deletes"),
        "{deleted:?}"
    );
    plugin_ok(cluster, &p.owner, &["sweep"]);
    let history = plugin_ok(cluster, &p.owner, &["history", "-o", "json"]);
    let json: serde_json::Value = serde_json::from_str(&history).unwrap();
    let lines = json.as_array().or_else(|| json["events"].as_array()).unwrap().clone();
    assert!(
        lines.iter().any(|l| l["id"] == id && l["requestedBy"] == "alice" && l["by"] == "owner"),
        "the sweep records alice's request: {history}"
    );
}

#[test]
fn a_companion_needs_its_record_and_goes_with_it() {
    let cluster = &*CLUSTER;
    let _p = parties(cluster, &[]);
    let end = minutes_from_now(60);
    let companion = |id: &str, owner: &str| {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: crusoe-support-{id}-logs\n  namespace: kube-system\n  labels: {{app.kubernetes.io/managed-by: kubectl-supportaccess, support-access.crusoe.ai/managed: \"true\", support-access.crusoe.ai/request-id: {id}, support-access.crusoe.ai/role: readonly}}\n  annotations: {{support-access.crusoe.ai/requested-by: kubernetes-admin}}\n{owner}roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: crusoe-support-logs}}\nsubjects: [{{kind: ServiceAccount, namespace: {NS}, name: {}}}]\n",
            crate::common::account_name(id, &end)
        )
    };
    let without = cluster.create_as(&cluster.kubeconfig, &companion("orph1", ""));
    assert!(refused_by(&without, "crusoe-support-requests") && without.stderr.contains("owner"), "{without:?}");
    let owned = "  ownerReferences: [{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, name: crusoe-support-orph2, uid: 0b0e0c9a-1111-4222-8333-444455556666}]\n";
    let made = cluster.create_as(&cluster.kubeconfig, &companion("orph2", owned));
    assert_eq!(made.code, 0, "{made:?}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while run_ok(cluster, &["-n", "kube-system", "get", "rolebinding", "crusoe-support-orph2-logs", "-o", "name"])
        .is_some()
    {
        assert!(Instant::now() < deadline, "the garbage collector removes a companion whose record does not exist");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn history_lines_are_written_in_their_writers_name() {
    let cluster = &*CLUSTER;
    let p = parties(cluster, &[]);
    let (bobs, _) = request(cluster, &p.bob, "readonly");
    let append = |who: &Path, line: &str| {
        let mut map = cluster.newest_chunk(NS);
        let old = map["data"]["lines"].as_str().unwrap_or("").to_string();
        map["data"]["lines"] = serde_json::Value::String(format!("{old}{line}\n"));
        crate::common::fed(cluster.kubectl().env("KUBECONFIG", who).args(["replace", "-f", "-"]), &map.to_string())
    };
    let at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let forged = format!(
        r#"{{"by":"owner","at":"{at}","event":"revoked","id":"{bobs}","role":"readonly","requestor":"bob","reason":"r","detail":"revoked by owner"}}"#
    );
    let ran = append(&p.alice, &forged);
    assert!(refused_by(&ran, "crusoe-support-requesters") && ran.stderr.contains("its own"), "{ran:?}");
    let hidden = format!(r#"{{"at":"{at}","by":"owner","event":"revoked","id":"{bobs}","detail":"x","by":"alice"}}"#);
    assert!(refused_by(&append(&p.alice, &hidden), "crusoe-support-requesters"), "a second by refused");
    // In her own name but of an event no requester writes, or about a request she did not make.
    for (what, line) in [
        (
            "a revocation",
            format!(
                r#"{{"by":"alice","at":"{at}","event":"revoked","id":"{bobs}","role":null,"requestor":null,"requestedBy":"alice","reason":null,"detail":"x"}}"#
            ),
        ),
        (
            "an end of bob's",
            format!(
                r#"{{"by":"alice","at":"{at}","event":"ended","id":"{bobs}","role":null,"requestor":null,"requestedBy":"bob","reason":null,"detail":"x"}}"#
            ),
        ),
    ] {
        assert!(refused_by(&append(&p.alice, &line), "crusoe-support-requesters"), "{what}");
    }
    // In her own name, as the requester of the request it names (issue 40: a requester's lines are
    // about its own requests; which request an id is, the guard cannot look up).
    let own = format!(
        r#"{{"by":"alice","at":"{at}","event":"renewed","id":"{bobs}","role":null,"requestor":null,"requestedBy":"alice","reason":null,"detail":"a note"}}"#
    );
    let ran = append(&p.alice, &own);
    assert_eq!(ran.code, 0, "her own well-formed line: {ran:?}");
    let history = plugin_ok(cluster, &p.owner, &["history"]);
    assert!(!history.contains("revoked by owner"), "{history}");
}

#[test]
fn an_approver_only_answers() {
    let cluster = &*CLUSTER;
    let p = parties(cluster, &["--approval", "required"]);
    let owner = p.owner.as_path();
    for binding in [
        &["create", "clusterrolebinding", "x1", "--clusterrole=crusoe-support-operator", "--user=owner"][..],
        &[
            "create",
            "clusterrolebinding",
            "x2",
            "--clusterrole=crusoe-support-readonly",
            "--group=system:authenticated",
        ],
        &["delete", "clusterrolebinding", "system:kube-controller-manager", "--dry-run=server"],
    ] {
        let ran = as_user(cluster, owner, binding);
        assert!(refused_by(&ran, "crusoe-support-requesters"), "{binding:?}: {ran:?}");
    }
    let policy = as_user(cluster, owner, &["-n", NS, "annotate", "configmap", "support-access", "x=y"]);
    assert_ne!(policy.code, 0, "an approver never writes the policy: {policy:?}");

    // approve, deny, revoke and sweep work as the approver.
    let waiting = start_request(cluster, &p.alice);
    let id = crate::approval::pending_id(cluster, NS);
    plugin_ok(cluster, owner, &["approve", &id, "--yes"]);
    let done = crate::common::finish(waiting);
    assert_eq!(done.code, 0, "{done:?}");
    let denied = start_request(cluster, &p.bob);
    let other = crate::approval::pending_id(cluster, NS);
    plugin_ok(cluster, owner, &["deny", &other, "--reason", "not now"]);
    assert_eq!(crate::common::finish(denied).code, 3);
    plugin_ok(cluster, owner, &["revoke", &id]);
    plugin_ok(cluster, owner, &["sweep"]);
    assert!(!record_exists(cluster, &id) && !record_exists(cluster, &other));
}

#[test]
fn enable_with_another_setting_keeps_the_roles_and_their_requests() {
    let cluster = &*CLUSTER;
    let p = parties(cluster, &[]);
    let (id, kubeconfig) = request(cluster, &p.bob, "operator");
    cluster.supportaccess_ok(NS, &["enable", "--approval", "none"]);
    let policy =
        cluster.kubectl_ok(&["-n", NS, "get", "configmap", "support-access", "-o", "jsonpath={.data.enabledRoles}"]);
    assert_eq!(policy.trim(), "readonly,operator");
    assert!(record_exists(cluster, &id) && as_user(cluster, &kubeconfig, &["get", "pods", "-A"]).code == 0);
    // Plain `enable` would withdraw operator: without a terminal it refuses, naming it.
    let plain = cluster.supportaccess(NS, &["enable"]);
    assert_eq!(plain.code, 2, "{plain:?}");
    assert!(plain.stderr.contains("withdraws operator") && plain.stderr.contains(&id), "{plain:?}");
    assert!(record_exists(cluster, &id));
}

#[test]
fn a_support_role_given_to_anyone_but_a_request_is_named_by_get_and_roles_verify() {
    let cluster = &*CLUSTER;
    let _p = parties(cluster, &[]);
    cluster.kubectl_ok(&[
        "create",
        "clusterrolebinding",
        "mallory-ops",
        "--clusterrole=crusoe-support-operator",
        "--user=mallory",
    ]);
    let get = cluster.supportaccess(NS, &["get"]);
    assert_eq!(get.code, 0, "{get:?}");
    assert!(get.stderr.contains("mallory-ops") && get.stderr.contains("User mallory"), "{get:?}");
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    let foreign = json["foreignGrants"].as_array().unwrap();
    assert!(foreign.iter().any(|f| f["name"] == "mallory-ops" && f["subjects"][0] == "User mallory"), "{json}");
    let verify = cluster.supportaccess(NS, &["roles", "--verify"]);
    assert!(verify.stderr.contains("mallory-ops") || verify.stdout.contains("mallory-ops"), "{verify:?}");
}

#[test]
fn roles_verify_holds_after_each_policy_change_approval_required_included() {
    let cluster = &*CLUSTER;
    let p = parties(cluster, &["--approval", "required"]);
    // A pending record to try the requester's delete on.
    let mut waiting = start_request(cluster, &p.bob);
    crate::approval::pending_id(cluster, NS);
    for change in [&[][..], &["--approval", "none"], &["--max-duration", "8h"], &["--approval", "required"]] {
        if !change.is_empty() {
            cluster.supportaccess_ok(NS, &[&["enable"], change].concat());
        }
        let verify = cluster.supportaccess(NS, &["roles", "--verify"]);
        assert_eq!(verify.code, 0, "after enable {change:?}: {verify:?}");
        for row in [
            "a token of another requester's request",
            "deleting a request's record",
            "a history line in another's name",
            "as an approver: a binding of crusoe-support-operator to itself",
            "as an approver: a binding of crusoe-support-readonly to system:authenticated",
            "as an approver: deleting a binding that is no support request's",
        ] {
            assert!(verify.stdout.contains(row), "{row}: {}", verify.stdout);
        }
    }
    let _ = waiting.kill();
    let _ = waiting.wait();
}
