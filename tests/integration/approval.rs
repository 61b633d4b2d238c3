//! The owner's approval (policy `approval=required`) on the real control plane, with two
//! identities: the owner (the harness's admin) and a support engineer `bob` (a user of the
//! cluster with the rights `request` needs). Each promise is tried as the requester would try to
//! get around it too: approving their own request through the plugin and with plain kubectl.

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::{CLUSTER, Ran, TestCluster, finish, namespace, run};

/// A support engineer of the cluster: may make requests (cluster-admin here, as the provider's
/// administrative credentials are in Crusoe's setup), never approves their own.
fn support_user(cluster: &TestCluster) -> PathBuf {
    let kubeconfig = cluster.user("bob", &[]);
    run(cluster.kubectl().args([
        "create",
        "clusterrolebinding",
        "bob-admin",
        "--clusterrole=cluster-admin",
        "--user=bob",
    ]));
    kubeconfig
}

fn as_bob(cluster: &TestCluster, bob: &PathBuf, ns: &str, args: &[&str]) -> Ran {
    run(cluster.kubectl().env("KUBECONFIG", bob).args(["supportaccess", "-n", ns]).args(args))
}

/// A readonly request for an hour, made by bob where no approval is needed; returns its id.
fn bob_requests(cluster: &TestCluster, bob: &PathBuf, ns: &str) -> String {
    let made =
        as_bob(cluster, bob, ns, &["request", "-o", "json", "--role", "readonly", "--reason", "r", "--duration", "1h"]);
    assert_eq!(made.code, 0, "{made:?}");
    serde_json::from_str::<serde_json::Value>(&made.stdout).unwrap()["id"].as_str().unwrap().to_string()
}

fn spawn_as_bob(cluster: &TestCluster, bob: &PathBuf, ns: &str, args: &[&str]) -> Child {
    cluster
        .kubectl()
        .env("KUBECONFIG", bob)
        .args(["supportaccess", "-n", ns])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn get_json(cluster: &TestCluster, ns: &str) -> serde_json::Value {
    serde_json::from_str(&cluster.supportaccess_ok(ns, &["get", "-o", "json"])).unwrap()
}

/// Waits until `get` shows exactly one pending request; returns its id.
pub(crate) fn pending_id(cluster: &TestCluster, ns: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = get_json(cluster, ns);
        if let Some(id) = status["pendingRequests"].as_array().and_then(|p| p.first()).and_then(|p| p["id"].as_str()) {
            return id.to_string();
        }
        assert!(Instant::now() < deadline, "no pending request appeared: {status}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The kubeconfig that `request -o json` or `renew -o json` printed reads pods in kube-system.
fn assert_credential_works(cluster: &TestCluster, printed: &serde_json::Value) {
    let kubeconfig = printed["kubeconfig"].as_str().unwrap();
    let pods = run(cluster.kubectl().env("KUBECONFIG", kubeconfig).args(["get", "pods", "-n", "kube-system"]));
    assert_eq!(pods.code, 0, "the approved credential works: {pods:?}");
}

/// Whether the request's ServiceAccount (the one its record binds; none while pending) may list
/// pods everywhere.
fn can_i_as_request(cluster: &TestCluster, ns: &str, id: &str) -> String {
    let subject = cluster.kubectl_ok(&[
        "get",
        "clusterrolebinding",
        &format!("crusoe-support-{id}"),
        "-o",
        "jsonpath={.subjects[0].name}",
    ]);
    if subject.trim().is_empty() {
        return "no".into();
    }
    run(cluster.kubectl().args([
        "auth",
        "can-i",
        "list",
        "pods",
        "-A",
        &format!("--as=system:serviceaccount:{ns}:{}", subject.trim()),
    ]))
    .stdout
}

/// The ServiceAccount subject an approval of this pending record would add, as JSON.
fn account_subject_json(cluster: &TestCluster, ns: &str, id: &str) -> String {
    let end = cluster.kubectl_ok(&[
        "get",
        "clusterrolebinding",
        &format!("crusoe-support-{id}"),
        "-o",
        "jsonpath={.metadata.annotations.support-access\\.crusoe\\.ai/expires-at}",
    ]);
    let account = crate::common::account_name(id, end.trim());
    format!(r#"{{"kind":"ServiceAccount","namespace":"{ns}","name":"{account}"}}"#)
}

#[test]
fn a_pending_request_grants_nothing_until_the_owner_approves_and_then_finishes_at_once() {
    let cluster: &'static TestCluster = &CLUSTER;
    let ns = namespace("approval");
    let bob = support_user(cluster);
    cluster.supportaccess_ok(&ns, &["enable", "--enabled-roles", "operator", "--approval", "required"]);
    let waiting = spawn_as_bob(
        cluster,
        &bob,
        &ns,
        &["request", "-o", "json", "--role", "operator", "--reason", "node n1 is NotReady", "--duration", "2h"],
    );
    let id = pending_id(cluster, &ns);

    // Pending: the record has no subject, so the request's group may do nothing.
    assert_eq!(can_i_as_request(cluster, &ns, &id).trim(), "no", "a pending request grants nothing");
    let status = get_json(cluster, &ns);
    let pending = &status["pendingRequests"][0];
    assert_eq!(pending["requestedBy"], "bob");
    assert_eq!(pending["reason"], "node n1 is NotReady");
    assert!(pending["waitedSeconds"].as_i64().unwrap() >= 0, "{pending}");
    assert!(status["activeRequests"].as_array().unwrap().is_empty(), "{status}");
    let text = cluster.supportaccess_ok(&ns, &["get"]);
    assert!(text.contains("Active Requests: 0\nPending Requests: 1\nPending Request 1:\n"), "{text}");
    assert!(text.contains(&format!("Request ID: {id}\n")), "{text}");
    // Completion offers the pending id to the owner's approve.
    let completed = run(cluster.plugin().args(["__complete", "approve", "-n", &ns, ""]));
    assert!(completed.stdout.lines().any(|l| l.starts_with(&id)), "{completed:?}");

    // The requester cannot approve their own request: not through the plugin...
    let own = as_bob(cluster, &bob, &ns, &["approve", &id]);
    assert_eq!(own.code, 3, "{own:?}");
    assert!(own.stderr.contains("nobody approves their own request"), "{own:?}");
    // ...nor with plain kubectl, as approver or naming someone else as approver.
    for approver in ["bob", "kubernetes-admin"] {
        let patch = format!(
            r#"{{"metadata":{{"annotations":{{"support-access.crusoe.ai/state":null,"support-access.crusoe.ai/approved-by":"{approver}"}}}},"subjects":[{subject}]}}"#,
            subject = account_subject_json(cluster, &ns, &id)
        );
        let raw = run(cluster.kubectl().env("KUBECONFIG", &bob).args([
            "patch",
            "clusterrolebinding",
            &format!("crusoe-support-{id}"),
            "--type",
            "merge",
            "-p",
            &patch,
        ]));
        assert_ne!(raw.code, 0, "approved-by {approver}: {raw:?}");
        assert!(raw.stderr.contains("ValidatingAdmissionPolicy 'crusoe-support-requests'"), "{raw:?}");
    }
    // Nor by rewriting who asked.
    let forged = run(cluster.kubectl().env("KUBECONFIG", &bob).args([
        "annotate",
        "--overwrite",
        "clusterrolebinding",
        &format!("crusoe-support-{id}"),
        "support-access.crusoe.ai/requested-by=mallory",
    ]));
    assert_ne!(forged.code, 0, "{forged:?}");
    assert_eq!(can_i_as_request(cluster, &ns, &id).trim(), "no");

    // The owner approves: the waiting request returns within a second with a working credential.
    let approve = cluster.supportaccess(&ns, &["approve", &id]);
    let approved_at = Instant::now();
    assert_eq!(approve.code, 0, "{approve:?}");
    let ran = finish(waiting);
    let latency = approved_at.elapsed();
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(latency < Duration::from_secs(1), "request returned {latency:?} after the approval");
    assert!(ran.stderr.contains("approved by kubernetes-admin"), "{ran:?}");
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(json["id"], id.as_str());
    assert_credential_works(cluster, &json);
    assert_eq!(can_i_as_request(cluster, &ns, &id).trim(), "yes");
    let history = cluster.supportaccess_ok(&ns, &["history"]);
    let approved = history.lines().find(|l| l.contains(" approved ")).unwrap_or_else(|| panic!("{history}"));
    assert!(approved.contains("by kubernetes-admin") && approved.contains(&id), "{approved}");
    assert!(approved.contains("reason \"node n1 is NotReady\""), "the auditor sees why: {approved}");
}

#[test]
fn a_denied_request_exits_3_quoting_the_reason_and_an_unanswered_one_is_swept() {
    let cluster = &*CLUSTER;
    let ns = namespace("deny");
    let bob = support_user(cluster);
    cluster.supportaccess_ok(&ns, &["enable", "--approval", "required"]);
    let waiting =
        spawn_as_bob(cluster, &bob, &ns, &["request", "--role", "readonly", "--reason", "look", "--duration", "1h"]);
    let id = pending_id(cluster, &ns);
    let denied = cluster.supportaccess(&ns, &["deny", &id, "--reason", "use the runbook first"]);
    assert_eq!(denied.code, 0, "{denied:?}");
    let ran = finish(waiting);
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(ran.stderr.contains("denied by kubernetes-admin: use the runbook first"), "{ran:?}");
    assert!(cluster.managed_bindings().iter().all(|b| !b.contains(&id)), "the pending record is gone");
    let history = cluster.supportaccess_ok(&ns, &["history"]);
    assert!(history.lines().any(|l| l.contains(" denied ") && l.contains("use the runbook first")), "{history}");
    // A deny needs a reason.
    assert_eq!(cluster.supportaccess(&ns, &["deny", &id, "--reason", " "]).code, 2);

    // Unanswered: a pending record older than pendingTTL is swept as expired, and recorded.
    let old = (chrono::Utc::now() - chrono::TimeDelta::minutes(90)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let end = (chrono::Utc::now() + chrono::TimeDelta::minutes(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    cluster.apply(&format!(
        r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crusoe-support-stale1
  labels:
    app.kubernetes.io/managed-by: kubectl-supportaccess
    support-access.crusoe.ai/managed: "true"
    support-access.crusoe.ai/request-id: stale1
    support-access.crusoe.ai/role: readonly
  annotations:
    support-access.crusoe.ai/requestor: bob
    support-access.crusoe.ai/reason: "nobody answered"
    support-access.crusoe.ai/requested-at: "{old}"
    support-access.crusoe.ai/expires-at: "{end}"
    support-access.crusoe.ai/requested-by: kubernetes-admin
    support-access.crusoe.ai/state: pending
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: crusoe-support-readonly
"#
    ));
    let swept = cluster.supportaccess_ok(&ns, &["sweep"]);
    assert!(swept.contains("stale1"), "{swept}");
    assert!(cluster.managed_bindings().iter().all(|b| !b.contains("stale1")));
    let history = cluster.supportaccess_ok(&ns, &["history"]);
    assert!(history.lines().any(|l| l.contains(" expired ") && l.contains("no answer from the owner")), "{history}");
}

#[test]
fn extend_moves_the_end_within_max_duration_and_waits_for_approval_when_required() {
    let cluster = &*CLUSTER;
    let ns = namespace("extend");
    let bob = support_user(cluster);
    cluster.supportaccess_ok(&ns, &["enable", "--max-duration", "4h"]);
    let id = bob_requests(cluster, &bob, &ns);
    let expires = |cluster: &TestCluster| -> String {
        get_json(cluster, &ns)["activeRequests"][0]["expiresAt"].as_str().unwrap().to_string()
    };
    let before: chrono::DateTime<chrono::Utc> = expires(cluster).parse().unwrap();

    // Within maxDuration, without approval: at once.
    let extended = as_bob(cluster, &bob, &ns, &["extend", &id, "--by", "1h"]);
    assert_eq!(extended.code, 0, "{extended:?}");
    let after: chrono::DateTime<chrono::Utc> = expires(cluster).parse().unwrap();
    assert_eq!(after - before, chrono::TimeDelta::hours(1));
    // Beyond it: refused, nothing changes.
    let beyond = as_bob(cluster, &bob, &ns, &["extend", &id, "--by", "3h"]);
    assert_eq!(beyond.code, 3, "{beyond:?}");
    assert!(beyond.stderr.contains("longer than the policy's maxDuration 4h"), "{beyond:?}");
    assert_eq!(expires(cluster).parse::<chrono::DateTime<chrono::Utc>>().unwrap(), after);

    // With approval required, the extension waits; the request keeps its end meanwhile.
    cluster.supportaccess_ok(&ns, &["enable", "--max-duration", "4h", "--approval", "required"]);
    let waiting = spawn_as_bob(cluster, &bob, &ns, &["extend", &id, "--by", "30m"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while get_json(cluster, &ns)["activeRequests"][0]["extensionRequested"].is_null() {
        assert!(Instant::now() < deadline, "the extension was never asked for: {:?}", finish(waiting));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(expires(cluster).parse::<chrono::DateTime<chrono::Utc>>().unwrap(), after, "unchanged while pending");
    // Its requester cannot approve it, with the plugin or by moving the end with plain kubectl.
    assert_eq!(as_bob(cluster, &bob, &ns, &["approve", &id]).code, 3);
    let later = (after + chrono::TimeDelta::minutes(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let raw = run(cluster.kubectl().env("KUBECONFIG", &bob).args([
        "annotate",
        "--overwrite",
        "clusterrolebinding",
        &format!("crusoe-support-{id}"),
        &format!("support-access.crusoe.ai/expires-at={later}"),
    ]));
    assert_ne!(raw.code, 0, "{raw:?}");
    assert_eq!(cluster.supportaccess(&ns, &["approve", &id]).code, 0);
    let ran = finish(waiting);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(expires(cluster), later);
    let history = cluster.supportaccess_ok(&ns, &["history"]);
    assert!(history.lines().filter(|l| l.contains(" extended ")).count() == 2, "{history}");

    // Refused while disabled.
    cluster.supportaccess_ok(&ns, &["disable"]);
    let disabled = as_bob(cluster, &bob, &ns, &["extend", &id, "--by", "10m"]);
    assert_eq!(disabled.code, 3, "{disabled:?}");
}

#[test]
fn exec_is_stopped_within_two_seconds_of_revoke_and_warns_before_the_end() {
    let cluster = &*CLUSTER;
    let ns = namespace("session");
    let bob = support_user(cluster);
    cluster.supportaccess_ok(&ns, &["enable"]);

    // Revoked while `sleep 300` runs: stopped, exit 3, and why.
    let id = bob_requests(cluster, &bob, &ns);
    let running = spawn_as_bob(cluster, &bob, &ns, &["exec", &id, "--", "sleep", "300"]);
    std::thread::sleep(Duration::from_secs(2));
    let revoked = cluster.supportaccess(&ns, &["revoke", &id]);
    assert_eq!(revoked.code, 0, "{revoked:?}");
    let revoked_at = Instant::now();
    let ran = finish(running);
    assert!(revoked_at.elapsed() < Duration::from_secs(2), "stopped {:?} after revoke", revoked_at.elapsed());
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(ran.stderr.contains(&format!("support request {id} was revoked: the command was stopped")), "{ran:?}");

    // A shell too, and with warnings: the owner brings the end forward to 70 s from now.
    let id = bob_requests(cluster, &bob, &ns);
    let mut shell = cluster
        .kubectl()
        .env("KUBECONFIG", &bob)
        .env("SHELL", "/bin/sh")
        .args(["supportaccess", "shell", &id, "-n", &ns])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        // The shell runs a long command and would then wait for more input.
        writeln!(shell.stdin.as_mut().unwrap(), "sleep 300").unwrap();
    }
    std::thread::sleep(Duration::from_secs(2));
    let end = (chrono::Utc::now() + chrono::TimeDelta::seconds(70)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    cluster.kubectl_ok(&[
        "annotate",
        "--overwrite",
        "clusterrolebinding",
        &format!("crusoe-support-{id}"),
        &format!("support-access.crusoe.ai/expires-at={end}"),
        &format!("support-access.crusoe.ai/credential-expires-at={end}"),
    ]);
    let ran = finish(shell);
    assert_eq!(ran.code, 3, "{ran:?}");
    let warnings: Vec<&str> =
        ran.stderr.lines().filter(|l| l.contains(&format!("support request {id} ends in"))).collect();
    assert_eq!(warnings.len(), 2, "one warning inside 10 minutes, one inside 1 minute: {ran:?}");
    assert!(ran.stderr.contains(&format!("support request {id} ended at {end}: the command was stopped")), "{ran:?}");
}

#[test]
fn on_a_terminal_a_pending_request_shows_a_spinner_until_approved() {
    let cluster: &'static TestCluster = &CLUSTER;
    let ns = namespace("spinner");
    let bob = support_user(cluster);
    cluster.supportaccess_ok(&ns, &["enable", "--approval", "required"]);
    let approver = {
        let ns = ns.clone();
        std::thread::spawn(move || {
            let id = pending_id(cluster, &ns);
            // Long enough for the spinner to be seen on the screen.
            std::thread::sleep(Duration::from_secs(2));
            cluster.supportaccess(&ns, &["approve", &id])
        })
    };
    let screen = crate::owner::in_terminal(
        cluster,
        &format!(
            "kubectl supportaccess --kubeconfig {} request --role readonly --reason tty --duration 1h -n {ns}",
            bob.display()
        ),
        &[("to approve request", &[])],
    );
    let approved = approver.join().unwrap();
    assert_eq!(approved.code, 0, "{approved:?}");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(screen.contains("was approved by kubernetes-admin"), "{screen}");
}

#[test]
fn an_interrupted_request_is_picked_up_by_renew_and_plain_kubectl_cannot_skip_the_approval() {
    let cluster: &'static TestCluster = &CLUSTER;
    let ns = namespace("pickup");
    let bob = support_user(cluster);
    cluster.supportaccess_ok(&ns, &["enable", "--approval", "required"]);
    let mut waiting =
        spawn_as_bob(cluster, &bob, &ns, &["request", "--role", "readonly", "--reason", "r", "--duration", "1h"]);
    let id = pending_id(cluster, &ns);
    waiting.kill().unwrap();
    let _ = waiting.wait();
    // Still pending after the interruption; `renew` waits again, then mints.
    assert_eq!(pending_id(cluster, &ns), id);
    let renewing = spawn_as_bob(cluster, &bob, &ns, &["renew", "-o", "json", &id]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(cluster.supportaccess(&ns, &["approve", &id]).code, 0);
    let ran = finish(renewing);
    assert_eq!(ran.code, 0, "{ran:?}");
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_credential_works(cluster, &json);

    // With plain kubectl the requester cannot make a granting record, nor a companion the owner
    // did not approve.
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let end = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let direct = crate::common::record_manifest(&ns, "skip1", "readonly", &now, &end, None)
        .replace("requested-by: kubernetes-admin", "requested-by: bob")
        .replace(&crate::common::account_name("skip1", &end), &crate::common::account_of("skip1", &end, "bob"));
    let companion = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: crusoe-support-skip2-logs
  namespace: kube-system
  labels:
    app.kubernetes.io/managed-by: kubectl-supportaccess
    support-access.crusoe.ai/managed: "true"
    support-access.crusoe.ai/request-id: skip2
    support-access.crusoe.ai/role: readonly
  annotations:
    support-access.crusoe.ai/requested-by: bob
    support-access.crusoe.ai/approved-by: kubernetes-admin
  ownerReferences:
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, name: crusoe-support-skip2, uid: 0b0e0c9a-1111-4222-8333-444455556666}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: crusoe-support-logs
subjects:
- kind: ServiceAccount
  namespace: NS
  name: ACCOUNT
"#
    .replace("NS", &ns)
    .replace("ACCOUNT", &crate::common::account_of("skip2", "2100-01-01T00:00:00Z", "bob"));
    for manifest in [direct.as_str(), companion.as_str()] {
        let ran = cluster.create_as(&bob, manifest);
        assert_ne!(ran.code, 0, "{manifest}\n{ran:?}");
        assert!(ran.stderr.contains("approval is required"), "{ran:?}");
    }
}

#[test]
fn on_a_terminal_a_revoked_shell_ends_with_the_jobs_it_started() {
    let cluster: &'static TestCluster = &CLUSTER;
    let ns = namespace("tty-shell");
    let bob = support_user(cluster);
    cluster.supportaccess_ok(&ns, &["enable"]);
    let id = bob_requests(cluster, &bob, &ns);
    // An interactive bash puts each job in a process group of its own: a background job (a
    // port-forward, say) must not outlive the request.
    let revoker = {
        let (ns, id) = (ns.clone(), id.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(4));
            cluster.supportaccess(&ns, &["revoke", &id])
        })
    };
    let screen = crate::owner::in_terminal(
        cluster,
        &format!("env SHELL=/bin/bash kubectl supportaccess --kubeconfig {} shell {id} -n {ns}", bob.display()),
        &[("exit to leave", &["sleep 3017 & sleep 3018", "Enter"])],
    );
    assert_eq!(revoker.join().unwrap().code, 0);
    assert!(screen.contains("EXIT=3") && screen.contains("was revoked: the command was stopped"), "{screen}");
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
        .filter(|cmdline| cmdline.starts_with("sleep 3017") || cmdline.starts_with("sleep 3018"))
        .collect();
    assert!(left.is_empty(), "the shell's jobs outlived it: {left:?}");
}
