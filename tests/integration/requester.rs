//! The provider holds only the right to ask: a requester `prov` and an approver `owner`, harness
//! users bound only through `enable --requesters user:prov --approvers user:owner` (neither holds
//! cluster-admin). The support flow works for them, and everything beyond it is refused by RBAC or
//! by the admission guards, with plain kubectl as an attacker would try it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{CLUSTER, Ran, TestCluster, eventually, minutes_from_now, run};
use crate::support::unauthorized;

const NS: &str = "crusoe-system";

/// The two parties, bound by `enable` (admin's) with these extra flags.
pub(crate) struct Parties {
    pub(crate) prov: PathBuf,
    pub(crate) owner: PathBuf,
}

pub(crate) fn parties(cluster: &TestCluster, flags: &[&str]) -> Parties {
    let (prov, owner) = (cluster.user("prov", &[]), cluster.user("owner", &[]));
    let enable =
        [&["enable", "--enabled-roles", "operator", "--requesters", "user:prov", "--approvers", "user:owner"], flags]
            .concat();
    cluster.supportaccess_ok(NS, &enable);
    // RBAC reads the new bindings from the API server's watch cache.
    eventually("prov may mint request tokens", || {
        as_user(cluster, &prov, &["auth", "can-i", "create", "serviceaccounts/token", "-n", NS]).stdout.trim() == "yes"
    });
    Parties { prov, owner }
}

/// Plain kubectl as the holder of `kubeconfig`.
pub(crate) fn as_user(cluster: &TestCluster, kubeconfig: &Path, args: &[&str]) -> Ran {
    run(cluster.kubectl().env("KUBECONFIG", kubeconfig).args(args))
}

/// `kubectl supportaccess ARGS -n NS` as the holder of `kubeconfig`.
pub(crate) fn plugin_as(cluster: &TestCluster, kubeconfig: &Path, args: &[&str]) -> Ran {
    run(cluster.kubectl().env("KUBECONFIG", kubeconfig).arg("supportaccess").args(args).args(["-n", NS]))
}

pub(crate) fn plugin_ok(cluster: &TestCluster, kubeconfig: &Path, args: &[&str]) -> String {
    let ran = plugin_as(cluster, kubeconfig, args);
    assert_eq!(ran.code, 0, "supportaccess {args:?}: {ran:?}");
    ran.stdout
}

/// `kubectl supportaccess shell ID` (with /bin/sh) as the holder of `kubeconfig`, fed `input`;
/// what it printed.
pub(crate) fn shell_as(cluster: &TestCluster, kubeconfig: &Path, id: &str, input: &str) -> String {
    let mut shell = cluster
        .kubectl()
        .env("KUBECONFIG", kubeconfig)
        .env("SHELL", "/bin/sh")
        .args(["supportaccess", "shell", id, "-n", NS])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    shell.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = shell.wait_with_output().unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `request -o json` as prov; returns the id and the kubeconfig path.
fn prov_requests(cluster: &TestCluster, parties: &Parties, role: &str, duration: &str) -> (String, PathBuf) {
    let out = plugin_ok(
        cluster,
        &parties.prov,
        &["request", "-o", "json", "--role", role, "--reason", "node n1 flaps", "--duration", duration],
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    (json["id"].as_str().unwrap().to_string(), PathBuf::from(json["kubeconfig"].as_str().unwrap()))
}

/// Refused by this admission guard (its name in the message).
pub(crate) fn refused_by(ran: &Ran, guard: &str) -> bool {
    ran.code != 0 && ran.stderr.contains(guard)
}

/// Refused by RBAC: the user lacks the permission.
fn refused_by_rbac(ran: &Ran) -> bool {
    ran.code != 0
        && (ran.stderr.contains("cannot ")
            || ran.stderr.contains("attempting to grant RBAC permissions not currently held"))
}

/// A record as `request` writes it, made by prov, starting at `requested_at`.
fn record_by_prov(id: &str, requested_at: &str, expires_at: &str, extra_annotation: &str) -> String {
    crate::common::record_manifest(NS, id, "readonly", requested_at, expires_at, None)
        .replace("requested-by: kubernetes-admin", &format!("requested-by: prov\n{extra_annotation}"))
        .replace(&crate::common::account_name(id, expires_at), &crate::common::account_of(id, expires_at, "prov"))
}

#[test]
fn prov_runs_the_whole_support_flow_without_cluster_admin() {
    let cluster = &*CLUSTER;
    let parties = parties(cluster, &[]);
    let (id, kubeconfig) = prov_requests(cluster, &parties, "operator", "1h");
    let pods = as_user(cluster, &kubeconfig, &["get", "pods", "-A"]);
    assert_eq!(pods.code, 0, "{pods:?}");
    plugin_ok(cluster, &parties.prov, &["renew", &id]);
    let exec = plugin_as(cluster, &parties.prov, &["exec", &id, "--", "kubectl", "auth", "whoami", "-o", "name"]);
    assert_eq!(exec.code, 0, "{exec:?}");
    let said = shell_as(cluster, &parties.prov, &id, "kubectl get nodes >/dev/null && echo shell-ok\n");
    assert!(said.contains("shell-ok"), "{said}");
    let old_account = cluster.account_of(&id);
    let extended = plugin_ok(cluster, &parties.prov, &["extend", &id, "--by", "30m"]);
    assert!(extended.contains("now ends at"), "{extended}");
    // The longer request lives in a ServiceAccount whose name carries the new end; the old one is gone.
    let new_account = cluster.account_of(&id);
    assert_ne!(new_account, old_account);
    assert_eq!(as_user(cluster, &kubeconfig, &["get", "pods", "-A"]).code, 0, "the new credential works");
    let get = plugin_ok(cluster, &parties.prov, &["get"]);
    assert!(get.contains(&format!("Request ID: {id}")), "{get}");
    let history = plugin_ok(cluster, &parties.prov, &["history"]);
    for event in ["requested", "renewed", "extended"] {
        assert!(history.contains(event), "{event} in {history}");
    }
    let kept = cluster.dir.join("prov-kept.kubeconfig");
    std::fs::copy(&kubeconfig, &kept).unwrap();
    plugin_ok(cluster, &parties.prov, &["end", &id]);
    let left = cluster.kubectl_ok(&[
        "get",
        "clusterrolebindings,rolebindings",
        "-A",
        "-l",
        "support-access.crusoe.ai/request-id",
        "-o",
        "name",
    ]);
    // A requester never deletes a record: it stays, bound to nothing, for the owner's side.
    assert_eq!(
        left.trim(),
        format!("clusterrolebinding.rbac.authorization.k8s.io/crusoe-support-{id}"),
        "end deletes the companions"
    );
    let subjects = cluster.kubectl_ok(&[
        "get",
        "clusterrolebinding",
        &format!("crusoe-support-{id}"),
        "-o",
        "jsonpath={.subjects}",
    ]);
    assert_eq!(subjects.trim(), "", "the ended record binds nothing");
    assert_eq!(crate::support::accounts(cluster), "", "end deletes its ServiceAccount");
    let first = as_user(cluster, &kept, &["get", "pods", "-A"]);
    assert!(first.code != 0, "refused from the first call after end: {first:?}");
}

#[test]
fn as_prov_plain_kubectl_gets_nothing_beyond_asking() {
    let cluster = &*CLUSTER;
    let parties = parties(cluster, &["--credential-ttl", "20m"]);
    let prov = parties.prov.as_path();
    let (id, _) = prov_requests(cluster, &parties, "readonly", "30m");
    let account = cluster.account_of(&id);
    let kubectl = |args: &[&str]| as_user(cluster, prov, args);

    assert!(refused_by_rbac(&kubectl(&["get", "secrets", "-A"])));
    assert!(refused_by_rbac(&kubectl(&["get", "secret", "x", "-n", NS])));
    for role in ["cluster-admin", "admin"] {
        let ran = kubectl(&["create", "clusterrolebinding", "mine", &format!("--clusterrole={role}"), "--user=prov"]);
        assert!(refused_by_rbac(&ran), "{role}: {ran:?}");
    }
    let ran = kubectl(&[
        "create",
        "rolebinding",
        "op",
        "-n",
        "default",
        "--clusterrole=crusoe-support-operator",
        "--user=prov",
    ]);
    assert!(refused_by(&ran, "crusoe-support-requesters"), "{ran:?}");
    let ran = kubectl(&[
        "create",
        "clusterrolebinding",
        "friend",
        "--clusterrole=crusoe-support-requester",
        "--user=mallory",
    ]);
    assert!(refused_by(&ran, "crusoe-support-requesters"), "{ran:?}");

    // Tokens: only for request ServiceAccounts, within credentialTTL and the request's end, for the
    // API server's audience, bound to nothing.
    let ran = kubectl(&["create", "token", "default", "-n", NS]);
    assert!(refused_by(&ran, "crusoe-support-credentials"), "{ran:?}");
    assert!(refused_by_rbac(&kubectl(&["create", "token", "default", "-n", "kube-system"])));
    let ran = kubectl(&["create", "token", &account, "-n", NS, "--duration", "40m"]);
    assert!(refused_by(&ran, "crusoe-support-credentials") && ran.stderr.contains("credentialTTL"), "{ran:?}");
    let ran = kubectl(&["create", "token", &account, "-n", NS, "--duration", "15m", "--audience", "vault"]);
    assert!(refused_by(&ran, "crusoe-support-credentials"), "another audience: {ran:?}");
    let ran = kubectl(&[
        "create",
        "token",
        &account,
        "-n",
        NS,
        "--duration",
        "15m",
        "--bound-object-kind",
        "Pod",
        "--bound-object-name",
        "p",
    ]);
    assert!(ran.code != 0, "a bound object: {ran:?}");
    // A ServiceAccount of its own whose name ends in 15 minutes: a 20-minute token would outlive it.
    let end15 = (chrono::Utc::now() + chrono::TimeDelta::minutes(15)).timestamp();
    let short = crate::common::account_of(
        &id,
        &chrono::DateTime::from_timestamp(end15, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "prov",
    );
    let made = cluster.create_as(
        prov,
        &format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {short}\n  namespace: {NS}\n  labels: {{support-access.crusoe.ai/managed: \"true\", support-access.crusoe.ai/request-id: {id}}}\nautomountServiceAccountToken: false\n"
        ),
    );
    assert_eq!(made.code, 0, "{made:?}");
    let ran = kubectl(&["create", "token", &short, "-n", NS, "--duration", "20m"]);
    assert!(refused_by(&ran, "crusoe-support-credentials") && ran.stderr.contains("never outlives"), "{ran:?}");
    assert_eq!(kubectl(&["create", "token", &short, "-n", NS, "--duration", "10m"]).code, 0, "within its end");
    // Nor re-point a companion at it: a requester's companions are never updated, only made again.
    let swap = format!(r#"{{"subjects":[{{"kind":"ServiceAccount","namespace":"{NS}","name":"{short}"}}]}}"#);
    let companion = format!("crusoe-support-{id}-logs");
    let ran = kubectl(&["patch", "rolebinding", &companion, "-n", "kube-system", "--type=merge", "-p", &swap]);
    assert!(refused_by(&ran, "crusoe-support-requesters"), "{ran:?}");
    // ServiceAccounts: only request ones, bare.
    let ran = kubectl(&["create", "serviceaccount", "helper", "-n", NS]);
    assert!(refused_by(&ran, "crusoe-support-requesters"), "{ran:?}");

    // Bindings it did not make, the policy, the history.
    let ran = kubectl(&["delete", "clusterrolebinding", "crusoe-support-approver"]);
    assert!(refused_by(&ran, "crusoe-support-requesters"), "{ran:?}");
    let ran = kubectl(&["delete", "clusterrolebinding", "cluster-admin"]);
    assert!(refused_by(&ran, "crusoe-support-requesters"), "{ran:?}");
    let ran = kubectl(&[
        "patch",
        "configmap",
        "support-access",
        "-n",
        NS,
        "--type=merge",
        "-p",
        r#"{"data":{"maxDuration":"999h"}}"#,
    ]);
    // RBAC lets a party write ConfigMaps there (the trail's chunks are named by day); the guard
    // keeps the policy the owner's.
    assert!(refused_by(&ran, "crusoe-support-requesters"), "{ran:?}");
    let mut map = cluster.newest_chunk(NS);
    for (_, lines) in map["data"].as_object_mut().unwrap() {
        *lines = serde_json::Value::String(lines.as_str().unwrap().lines().skip(1).collect::<Vec<_>>().join("\n"));
    }
    let path = cluster.dir.join("history-trimmed.json");
    std::fs::write(&path, map.to_string()).unwrap();
    let ran = kubectl(&["replace", "-f", path.to_str().unwrap()]);
    assert!(
        refused_by(&ran, "crusoe-support-requesters") && ran.stderr.contains("every existing line stays"),
        "{ran:?}"
    );
    assert!(refused_by_rbac(&kubectl(&["certificate", "approve", "anything"])));

    // Its own record: no finalizer, no foreign owner, no start in the past.
    let record = format!("crusoe-support-{id}");
    let ran = kubectl(&[
        "patch",
        "clusterrolebinding",
        &record,
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":["example.com/keep"]}}"#,
    ]);
    assert!(refused_by(&ran, "crusoe-support-requesters"), "{ran:?}");
    let owner_ref = r#"{"metadata":{"ownerReferences":[{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","name":"cluster-admin","uid":"00000000-0000-0000-0000-000000000000"}]}}"#;
    let ran = kubectl(&["patch", "clusterrolebinding", &record, "--type=merge", "-p", owner_ref]);
    // A record has no owner at all (the requests guard, whoever writes it; the requesters guard for
    // a requester): the API server may ask either first.
    assert!(refused_by(&ran, "crusoe-support-request") && ran.stderr.contains("no owner"), "{ran:?}");
    let backdated = record_by_prov("back1", &minutes_from_now(-60), &minutes_from_now(30), "");
    let ran = cluster.create_as(prov, &backdated);
    assert!(refused_by(&ran, "crusoe-support-requesters") && ran.stderr.contains("API server's time"), "{ran:?}");

    // While disabled: no token, no record.
    cluster.supportaccess_ok(NS, &["disable", "--yes"]);
    let ran = kubectl(&["create", "token", &account, "-n", NS, "--duration", "10m"]);
    assert!(refused_by(&ran, "crusoe-support-credentials") && ran.stderr.contains("disabled"), "{ran:?}");
    let fresh = record_by_prov("late2", &minutes_from_now(0), &minutes_from_now(30), "");
    let ran = cluster.create_as(prov, &fresh);
    assert!(refused_by(&ran, "crusoe-support-requests") && ran.stderr.contains("disabled"), "{ran:?}");
}

#[test]
fn with_approval_required_only_the_owner_answers_and_prov_cannot_grant_itself() {
    let cluster = &*CLUSTER;
    let parties = parties(cluster, &["--approval", "required"]);
    let prov = parties.prov.as_path();
    let waiting = cluster
        .kubectl()
        .env("KUBECONFIG", prov)
        .args([
            "supportaccess",
            "-n",
            NS,
            "request",
            "-o",
            "json",
            "--role",
            "readonly",
            "--reason",
            "r",
            "--duration",
            "1h",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let id = loop {
        let json: serde_json::Value = serde_json::from_str(&plugin_ok(cluster, prov, &["get", "-o", "json"])).unwrap();
        if let Some(id) = json["pendingRequests"][0]["id"].as_str() {
            break id.to_string();
        }
        assert!(Instant::now() < deadline, "no pending request: {json}");
        std::thread::sleep(Duration::from_millis(100));
    };
    // prov approves: the plugin refuses (not an approver), and so does the guard with plain kubectl.
    let own = plugin_as(cluster, prov, &["approve", &id]);
    assert_eq!(own.code, 4, "{own:?}");
    assert!(own.stderr.contains("may not approve requests.support-access.crusoe.ai"), "{own:?}");
    let end = crate::common::minutes_from_now(60);
    let subject = format!(
        r#"{{"metadata":{{"annotations":{{"support-access.crusoe.ai/state":null,"support-access.crusoe.ai/approved-by":"prov"}}}},"subjects":[{{"kind":"ServiceAccount","namespace":"{NS}","name":"{}"}}]}}"#,
        crate::common::account_name(&id, &end)
    );
    let ran = as_user(
        cluster,
        prov,
        &["patch", "clusterrolebinding", &format!("crusoe-support-{id}"), "--type=merge", "-p", &subject],
    );
    assert!(refused_by(&ran, "crusoe-support-request"), "{ran:?}");
    // Nor a companion that grants anything while the request is pending.
    let companion = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: crusoe-support-{id}-logs\n  namespace: kube-system\n  labels: {{app.kubernetes.io/managed-by: kubectl-supportaccess, support-access.crusoe.ai/managed: \"true\", support-access.crusoe.ai/request-id: {id}, support-access.crusoe.ai/role: readonly}}\n  annotations: {{support-access.crusoe.ai/requested-by: prov, support-access.crusoe.ai/approved-by: owner}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: crusoe-support-logs}}\nsubjects: [{{kind: ServiceAccount, namespace: {NS}, name: {}}}]\n",
        crate::common::account_name(&id, &end)
    );
    let ran = cluster.create_as(prov, &companion);
    assert!(refused_by(&ran, "crusoe-support-request"), "{ran:?}");

    // The owner approves on a terminal: it shows what is granted and asks first.
    let screen = crate::owner::in_terminal(
        cluster,
        &format!("kubectl supportaccess --kubeconfig {} -n {NS} approve {id}", parties.owner.display()),
        &[("Role readonly, scope cluster-wide, asked by prov", &["y"])],
    );
    assert!(screen.contains("EXIT=0") && screen.contains("Approve readonly access for prov"), "{screen}");
    let finished = crate::common::finish(waiting);
    assert_eq!(finished.code, 0, "{finished:?}");
    let json: serde_json::Value = serde_json::from_str(&finished.stdout).unwrap();
    let kubeconfig = json["kubeconfig"].as_str().unwrap();
    assert_eq!(as_user(cluster, Path::new(kubeconfig), &["get", "pods", "-A"]).code, 0);
    let history = plugin_ok(cluster, &parties.owner, &["history"]);
    assert!(history.lines().any(|l| l.contains(" approved ") && l.contains("by owner")), "{history}");
    // prov may not set approved-at or approved-by on the approved record.
    let ran = as_user(
        cluster,
        prov,
        &[
            "annotate",
            "--overwrite",
            "clusterrolebinding",
            &format!("crusoe-support-{id}"),
            "support-access.crusoe.ai/approved-at=2026-01-01T00:00:00Z",
        ],
    );
    // Nobody rewrites them, requester or approver (issue 40): the requests guard says so.
    assert!(refused_by(&ran, "crusoe-support-requests") && ran.stderr.contains("never rewritten"), "{ran:?}");
}

/// Polls until a call with this credential is refused as unauthenticated (401).
pub(crate) fn eventually_unauthorized(cluster: &TestCluster, kubeconfig: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !unauthorized(&as_user(cluster, kubeconfig, &["get", "pods", "-A"])) {
        assert!(Instant::now() < deadline, "{} still authenticates after 30 s", kubeconfig.display());
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn revoke_kills_the_token_itself_and_disable_now_kills_every_one() {
    let cluster = &*CLUSTER;
    let parties = parties(cluster, &[]);
    let keep = |id: &str, path: &Path| {
        let kept = cluster.dir.join(format!("kept-{id}.kubeconfig"));
        std::fs::copy(path, &kept).unwrap();
        kept
    };
    let (id, path) = prov_requests(cluster, &parties, "readonly", "1h");
    let first = keep(&id, &path);
    assert_eq!(as_user(cluster, &first, &["get", "pods", "-A"]).code, 0);
    plugin_ok(cluster, &parties.owner, &["revoke", &id]);
    let at_once = as_user(cluster, &first, &["get", "pods", "-A"]);
    assert!(at_once.code != 0, "refused from the first call after revoke: {at_once:?}");
    eventually_unauthorized(cluster, &first);

    let kept: Vec<PathBuf> = (0..2)
        .map(|_| {
            let (id, path) = prov_requests(cluster, &parties, "operator", "1h");
            keep(&id, &path)
        })
        .collect();
    cluster.supportaccess_ok(NS, &["disable", "--now", "--yes"]);
    for path in &kept {
        eventually_unauthorized(cluster, path);
    }
    assert_eq!(crate::support::accounts(cluster), "", "no request ServiceAccount is left");
}

#[test]
fn an_operator_credential_cannot_change_a_template_but_may_restart_it() {
    let cluster = &*CLUSTER;
    let parties = parties(cluster, &[]);
    crate::guards::targets(cluster);
    let (_, kubeconfig) = prov_requests(cluster, &parties, "operator", "1h");
    let support = |args: &[&str]| as_user(cluster, &kubeconfig, args);
    let deployment = "deployment/coredns";
    for patch in [
        r#"{"spec":{"template":{"metadata":{"labels":{"extra":"x"}}}}}"#,
        r#"{"spec":{"template":{"metadata":{"annotations":{"container.apparmor.security.beta.kubernetes.io/coredns":"unconfined"}}}}}"#,
    ] {
        let ran = support(&["patch", deployment, "-n", "kube-system", "--type=merge", "-p", patch]);
        assert!(refused_by(&ran, "crusoe-support-guardrails"), "{patch}: {ran:?}");
    }
    eventually("rollout restart", || support(&["rollout", "restart", deployment, "-n", "kube-system"]).code == 0);
}

#[test]
fn enable_refuses_a_request_service_account_as_requester_and_uninstall_removes_both_roles() {
    let cluster = &*CLUSTER;
    let ran = cluster
        .supportaccess(NS, &["enable", "--requesters", "serviceaccount:crusoe-system/crusoe-support-ab12-1796000000"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("request ServiceAccount"), "{ran:?}");
    let _ = parties(cluster, &[]);
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    assert_eq!(json["requesters"], serde_json::json!(["user:prov"]), "{json}");
    assert_eq!(json["approvers"], serde_json::json!(["user:owner"]), "{json}");
    // Plain enable keeps them; an empty list removes them.
    cluster.supportaccess_ok(NS, &["enable", "--yes", "--enabled-roles", "readonly"]);
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    assert_eq!(json["requesters"], serde_json::json!(["user:prov"]), "{json}");
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly", "--approvers", ""]);
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    assert_eq!(json["approvers"], serde_json::json!([]), "{json}");
    cluster.supportaccess_ok(NS, &["uninstall", "--yes"]);
    let left = run(cluster.kubectl().args([
        "get",
        "clusterroles,clusterrolebindings",
        "-o",
        "name",
        "--field-selector",
        "metadata.name=crusoe-support-requester",
    ]));
    assert_eq!(left.stdout.trim(), "", "{left:?}");
    let roles = cluster.kubectl_ok(&["get", "roles,rolebindings", "-n", NS, "-o", "name"]);
    assert!(!roles.contains("crusoe-support-"), "{roles}");
}

#[test]
fn roles_verify_proves_the_requesters_bounds_and_names_a_deleted_requester_guard() {
    let cluster = &*CLUSTER;
    let _ = parties(cluster, &[]);
    let out = cluster.supportaccess_ok(NS, &["roles", "--verify", "-o", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let bounds: Vec<&serde_json::Value> = json["guards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["check"].as_str().unwrap().starts_with("as a requester"))
        .collect();
    assert!(bounds.len() >= 15, "{bounds:#?}");
    for bound in &bounds {
        assert_eq!(bound["expected"], bound["observed"], "{bound}");
    }
    let refused = bounds.iter().filter(|b| b["expected"] == "refused").count();
    assert!(refused >= 12, "{bounds:#?}");
    assert_eq!(json["requesters"], serde_json::json!(["user:prov"]));

    cluster.kubectl_ok(&["delete", "validatingadmissionpolicybinding", "crusoe-support-requesters"]);
    let ran = cluster.supportaccess(NS, &["roles", "--verify"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("crusoe-support-requesters (missing)"), "{ran:?}");
}
