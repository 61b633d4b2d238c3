//! Approval as teams run it (issue 31), on the real control plane: approvers `owner` and `owner2`
//! and requester `prov`, harness users bound only through `enable --requesters/--approvers`. A
//! quorum of approvers, a reason pattern, and `get --watch` telling the owner at once — each
//! promise also tried with plain kubectl, as the party it binds would try to get around it.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::{CLUSTER, Ran, TestCluster, eventually, finish, namespace, run};
use crate::requester::{as_user, plugin_as, plugin_ok, refused_by};

const NS: &str = "crusoe-system";

struct Team {
    prov: PathBuf,
    owner: PathBuf,
    owner2: PathBuf,
}

/// `enable` with requester prov, approvers owner and owner2, and these extra flags.
fn team(cluster: &TestCluster, flags: &[&str]) -> Team {
    let team = Team {
        prov: cluster.user("prov", &[]),
        owner: cluster.user("owner", &[]),
        owner2: cluster.user("owner2", &[]),
    };
    let enable = [
        &[
            "enable",
            "--enabled-roles",
            "readonly,operator",
            "--requesters",
            "user:prov",
            "--approvers",
            "user:owner,user:owner2",
        ],
        flags,
    ]
    .concat();
    cluster.supportaccess_ok(NS, &enable);
    eventually("prov may mint request tokens", || {
        as_user(cluster, &team.prov, &["auth", "can-i", "create", "serviceaccounts/token", "-n", NS]).stdout.trim()
            == "yes"
    });
    team
}

/// `request` as prov, left waiting for its answer.
fn prov_asks(cluster: &TestCluster, team: &Team, role: &str, reason: &str) -> Child {
    cluster
        .kubectl()
        .env("KUBECONFIG", &team.prov)
        .args(["supportaccess", "-n", NS, "request", "-o", "json", "--role", role, "--reason", reason])
        .args(["--duration", "1h"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `extend ID --by 30m` as prov, left waiting once the record asks for the extension.
fn prov_extends(cluster: &TestCluster, team: &Team, id: &str) -> Child {
    let extend = cluster
        .kubectl()
        .env("KUBECONFIG", &team.prov)
        .args(["supportaccess", "-n", NS, "extend", id, "--by", "30m"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    eventually("the extension is asked for", || {
        record(cluster, id)["metadata"]["annotations"]["support-access.crusoe.ai/extension-requested"].is_string()
    });
    extend
}

fn record(cluster: &TestCluster, id: &str) -> serde_json::Value {
    let json = cluster.kubectl_ok(&["get", "clusterrolebinding", &format!("crusoe-support-{id}"), "-o", "json"]);
    serde_json::from_str(&json).unwrap()
}

fn approvals_of(cluster: &TestCluster, id: &str) -> String {
    record(cluster, id)["metadata"]["annotations"]["support-access.crusoe.ai/approvals"].as_str().unwrap_or("").into()
}

/// A merge patch of the record as `kubeconfig`'s holder, with plain kubectl.
fn patch_as(cluster: &TestCluster, kubeconfig: &Path, id: &str, patch: serde_json::Value) -> Ran {
    let binding = format!("crusoe-support-{id}");
    as_user(cluster, kubeconfig, &["patch", "clusterrolebinding", &binding, "--type=merge", "-p", &patch.to_string()])
}

fn with_line(so_far: &str, user: &str) -> serde_json::Value {
    let line = format!("2026-12-02T12:00:00Z {user}");
    let lines = if so_far.is_empty() { line } else { format!("{so_far}\n{line}") };
    serde_json::json!({ "metadata": { "annotations": { "support-access.crusoe.ai/approvals": lines } } })
}

#[test]
fn a_quorum_of_two_grants_only_after_the_second_approver_and_the_guard_refuses_each_shortcut() {
    let cluster = &*CLUSTER;
    let team = team(cluster, &["--approval", "required", "--approvals", "2"]);
    let waiting = prov_asks(cluster, &team, "readonly", "node n1 flaps");
    let id = crate::approval::pending_id(cluster, NS);

    let first = plugin_ok(cluster, &team.owner, &["approve", &id]);
    assert!(first.contains("Approval 1 of 2 (owner) recorded") && first.contains("1 more approver"), "{first}");
    // Still waiting, and granting nothing: no subject, no ServiceAccount.
    let status: serde_json::Value =
        serde_json::from_str(&plugin_ok(cluster, &team.owner, &["get", "-o", "json"])).unwrap();
    assert_eq!(status["pendingRequests"][0]["id"], id.as_str(), "{status}");
    assert_eq!(status["pendingRequests"][0]["approvals"][0]["by"], "owner", "{status}");
    assert!(record(cluster, &id)["subjects"].is_null());
    let text = plugin_ok(cluster, &team.owner, &["get"]);
    assert!(text.contains("Approvals: approved 1 of 2 (owner)"), "{text}");
    let accounts = cluster.kubectl_ok(&["get", "serviceaccounts", "-n", NS, "-o", "name"]);
    assert!(!accounts.contains(&format!("crusoe-support-{id}")), "{accounts}");
    // The Kubernetes Event of the first approval says the request still waits.
    let selector = "support-access.crusoe.ai/event=approved,support-access.crusoe.ai/state=pending";
    let events: serde_json::Value =
        serde_json::from_str(&cluster.kubectl_ok(&["get", "events", "-n", NS, "-l", selector, "-o", "json"])).unwrap();
    let event = &events["items"][0];
    assert_eq!(event["metadata"]["labels"]["support-access.crusoe.ai/request-id"], id.as_str(), "{events}");
    assert_eq!(event["reason"], "SupportAccessApproved", "{event}");
    let message = event["message"].as_str().unwrap();
    assert!(message.contains(&format!("(request {id}, readonly, requestor prov, state pending)")), "{message}");
    assert_eq!(event["metadata"]["annotations"]["support-access.crusoe.ai/reason"], "node n1 flaps", "{event}");

    // owner again, and prov: refused by the plugin.
    let twice = plugin_as(cluster, &team.owner, &["approve", &id]);
    assert_eq!(twice.code, 3, "{twice:?}");
    assert!(twice.stderr.contains("owner already approved"), "{twice:?}");
    let own = plugin_as(cluster, &team.prov, &["approve", &id]);
    assert_eq!(own.code, 4, "{own:?}");

    // The same with plain kubectl: refused by the guard.
    let so_far = approvals_of(cluster, &id);
    assert!(so_far.ends_with(" owner") && !so_far.contains('\n'), "{so_far:?}");
    for (who, kubeconfig, line) in [
        ("owner approving twice", &team.owner, "owner"),
        ("owner in owner2's name", &team.owner, "owner2"),
        ("prov approving", &team.prov, "prov"),
    ] {
        let ran = patch_as(cluster, kubeconfig, &id, with_line(&so_far, line));
        assert!(refused_by(&ran, "crusoe-support-requests"), "{who}: {ran:?}");
    }
    // owner's approval removed or rewritten: refused too.
    let ran = patch_as(cluster, &team.owner2, &id, with_line("", "owner2"));
    assert!(refused_by(&ran, "crusoe-support-requests"), "{ran:?}");
    // The write that grants after one approval, as `approve` made it with a quorum of one.
    let end = record(cluster, &id)["metadata"]["annotations"]["support-access.crusoe.ai/expires-at"]
        .as_str()
        .unwrap()
        .to_string();
    let grant = serde_json::json!({
        "metadata": { "annotations": {
            "support-access.crusoe.ai/state": null,
            "support-access.crusoe.ai/approved-by": "owner",
        } },
        "subjects": [{ "kind": "ServiceAccount", "namespace": NS, "name": crate::common::account_of(&id, &end, "prov") }],
    });
    let ran = patch_as(cluster, &team.owner, &id, grant.clone());
    assert!(
        refused_by(&ran, "crusoe-support-requests") && ran.stderr.contains("keys approval and approvals"),
        "{ran:?}"
    );
    // The admin, who holds every right RBAC gives, is refused the same.
    let ran = patch_as(cluster, &cluster.kubeconfig, &id, grant);
    assert!(refused_by(&ran, "crusoe-support-requests"), "{ran:?}");
    assert!(record(cluster, &id)["subjects"].is_null());

    // owner2's approval grants it: the waiting request gets its credential.
    let second = plugin_ok(cluster, &team.owner2, &["approve", &id]);
    assert!(second.contains("(approved 2 of 2 (owner, owner2))"), "{second}");
    // How long it lasts, never "1h from now" from a clock read before the wait (issue 41).
    assert!(second.contains("lasting 1h (approved 2 of 2") && !second.contains("from now"), "{second}");
    let finished = finish(waiting);
    assert_eq!(finished.code, 0, "{finished:?}");
    // The requester is told every approver of the quorum, not the last one only (issue 41).
    assert!(finished.stderr.contains(&format!("Request {id} was approved by owner, owner2.")), "{finished:?}");
    let printed: serde_json::Value = serde_json::from_str(&finished.stdout).unwrap();
    let kubeconfig = printed["kubeconfig"].as_str().unwrap();
    assert_eq!(run(cluster.kubectl().env("KUBECONFIG", kubeconfig).args(["get", "pods", "-A"])).code, 0);
    let lines = approvals_of(cluster, &id);
    let approvers: Vec<&str> = lines.lines().map(|l| l.split_once(' ').unwrap().1).collect();
    assert_eq!(approvers, ["owner", "owner2"], "{lines:?}");
    let history: Vec<serde_json::Value> =
        serde_json::from_str(&plugin_ok(cluster, &team.owner, &["history", "-o", "json"])).unwrap();
    let approved: Vec<&str> = history
        .iter()
        .filter(|e| e["event"] == "approved" && e["id"] == id.as_str())
        .map(|e| e["by"].as_str().unwrap())
        .collect();
    assert_eq!(approved, ["owner", "owner2"], "{history:?}");

    // An extension waits for two approvers as well.
    let extend = prov_extends(cluster, &team, &id);
    let first = plugin_ok(cluster, &team.owner2, &["approve", &id]);
    assert!(first.contains("Approval 1 of 2 (owner2) recorded"), "{first}");
    // A live request's extension: it now ends at its end, it has not ended (issue 41).
    assert!(first.contains(&format!("(it now ends at {end})")) && !first.contains("ended at"), "{first}");
    assert_eq!(record(cluster, &id)["metadata"]["annotations"]["support-access.crusoe.ai/expires-at"], end.as_str());
    plugin_ok(cluster, &team.owner, &["approve", &id]);
    let extended = finish(extend);
    assert_eq!(extended.code, 0, "{extended:?}");
    assert_ne!(record(cluster, &id)["metadata"]["annotations"]["support-access.crusoe.ai/expires-at"], end.as_str());
}

#[test]
fn a_reason_that_does_not_match_the_pattern_is_refused_before_anything_is_made_and_by_the_api_server() {
    let cluster = &*CLUSTER;
    let team = team(cluster, &["--reason-pattern", "^CASE-[0-9]+: "]);
    let before = cluster.managed_bindings();
    let ran = plugin_as(cluster, &team.prov, &["request", "--role", "readonly", "--reason", "x", "--duration", "1h"]);
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(ran.stderr.contains("does not match the policy's reasonPattern \"^CASE-[0-9]+: \""), "{ran:?}");
    assert_eq!(cluster.managed_bindings(), before, "nothing was made");
    let accounts = cluster.kubectl_ok(&["get", "serviceaccounts", "-n", NS, "-o", "name"]);
    assert!(!accounts.contains("crusoe-support-"), "{accounts}");

    // The same record with plain kubectl, as prov: refused by the guard; a matching one passes.
    let requested_at = crate::common::minutes_from_now(0);
    let expires_at = crate::common::minutes_from_now(60);
    let manifest = |id: &str, reason: &str| {
        crate::common::record_manifest(NS, id, "readonly", &requested_at, &expires_at, None)
            .replace("requested-by: kubernetes-admin", "requested-by: prov")
            .replace(&crate::common::account_name(id, &expires_at), &crate::common::account_of(id, &expires_at, "prov"))
            .replace("reason: \"This is a test!\"", &format!("reason: {reason:?}"))
    };
    let ran = cluster.create_as(&team.prov, &manifest("byhand1", "x"));
    assert!(refused_by(&ran, "crusoe-support-requests") && ran.stderr.contains("reasonPattern"), "{ran:?}");
    let ran = cluster.create_as(&team.prov, &manifest("byhand2", "CASE-4711: node down"));
    assert_eq!(ran.code, 0, "{ran:?}");

    let made = plugin_ok(
        cluster,
        &team.prov,
        &["request", "-o", "json", "--role", "readonly", "--reason", "CASE-4711: node down", "--duration", "1h"],
    );
    let made: serde_json::Value = serde_json::from_str(&made).unwrap();
    assert!(made["id"].is_string(), "{made}");

    // A pattern that does not compile is refused, and the policy keeps the one it had.
    let ran = cluster.supportaccess(NS, &["enable", "--reason-pattern", "CASE-(["]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("--reason-pattern is not a regular expression"), "{ran:?}");
    let policy =
        cluster.kubectl_ok(&["get", "configmap", "support-access", "-n", NS, "-o", "jsonpath={.data.reasonPattern}"]);
    assert_eq!(policy, "^CASE-[0-9]+: ");
}

/// The lines a watcher wrote so far, as JSON.
pub fn watched(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// Waits until the watcher wrote a line of this event for this request; returns when it did.
pub fn wait_for_line(path: &Path, event: &str, id: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(line) = watched(path).into_iter().find(|l| l["event"] == event && l["id"] == id) {
            return line;
        }
        assert!(Instant::now() < deadline, "no {event} line for {id}: {:?}", std::fs::read_to_string(path));
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn watcher(cluster: &TestCluster, dir: &Path, name: &str, exec: &str) -> Child {
    let limit = if name == "slow" { "1s" } else { "10s" };
    let out = std::fs::File::create(dir.join(format!("{name}.out"))).unwrap();
    let err = std::fs::File::create(dir.join(format!("{name}.err"))).unwrap();
    cluster
        .kubectl()
        .args(["supportaccess", "-n", NS, "get", "--watch", "-o", "json", "--exec", exec, "--exec-timeout", limit])
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap()
}

#[test]
fn get_watch_tells_each_request_and_answer_once_across_a_restarted_api_server() {
    let cluster = &*CLUSTER;
    let team = team(cluster, &["--approval", "required"]);
    let dir = cluster.dir.join(namespace("watch"));
    std::fs::create_dir_all(&dir).unwrap();
    // A request that waits before the watch starts: the watch's first list shows it.
    let first = prov_asks(cluster, &team, "readonly", "seen on the first list");
    let a = crate::approval::pending_id(cluster, NS);
    let hook = dir.join("hook.jsonl");
    let mut telling = watcher(cluster, &dir, "watch", &format!("cat >> {}", hook.display()));
    let mut failing = watcher(cluster, &dir, "failing", "cat > /dev/null; echo boom >&2; exit 7");
    let mut slow = watcher(cluster, &dir, "slow", "exec sleep 30");
    let out = dir.join("watch.out");
    let initial = wait_for_line(&out, "pending", &a);
    assert_eq!(initial["initial"], true, "{initial}");
    wait_for_line(&dir.join("failing.out"), "pending", &a);

    plugin_ok(cluster, &team.owner, &["deny", &a, "--reason", "not now"]);
    let denied = wait_for_line(&out, "denied", &a);
    assert_eq!((denied["by"].as_str(), denied["deniedReason"].as_str()), (Some("owner"), Some("not now")), "{denied}");
    assert_ne!(finish(first).code, 0);

    // The watch drops: kube-apiserver stops and starts again on the same etcd.
    crate::faults::harness(cluster, "stop", "kube-apiserver");
    crate::faults::harness(cluster, "start", "kube-apiserver");
    eventually("the API server is back", || cluster.supportaccess(NS, &["get"]).code == 0);

    let asked = Instant::now();
    let second = prov_asks(cluster, &team, "operator", "made after the restart");
    let b = crate::approval::pending_id(cluster, NS);
    let pending = wait_for_line(&out, "pending", &b);
    println!("pending line {:?} after the request was started (across a restarted API server)", asked.elapsed());
    assert_eq!(
        (pending["role"].as_str(), pending["requestedBy"].as_str()),
        (Some("operator"), Some("prov")),
        "{pending}"
    );
    plugin_ok(cluster, &team.owner, &["approve", &b]);
    assert_eq!(wait_for_line(&out, "approved", &b)["by"], "owner");
    assert_eq!(finish(second).code, 0);
    plugin_ok(cluster, &team.owner, &["revoke", &b]);
    wait_for_line(&out, "revoked", &b);

    // Each event once, in order; the command got each change (not the first list) as JSON.
    let told: Vec<(String, String)> = watched(&out)
        .iter()
        .map(|l| (l["event"].as_str().unwrap().to_string(), l["id"].as_str().unwrap().to_string()))
        .collect();
    let expected: Vec<(String, String)> =
        [("pending", &a), ("denied", &a), ("pending", &b), ("approved", &b), ("revoked", &b)]
            .iter()
            .map(|(e, id)| (e.to_string(), id.to_string()))
            .collect();
    assert_eq!(told, expected);
    eventually("the command got the revocation", || watched(&hook).len() == 4);
    let hooked: Vec<String> = watched(&hook).iter().map(|l| format!("{} {}", l["event"], l["id"])).collect();
    assert_eq!(
        hooked,
        [
            format!("\"denied\" \"{a}\""),
            format!("\"pending\" \"{b}\""),
            format!("\"approved\" \"{b}\""),
            format!("\"revoked\" \"{b}\"")
        ]
    );
    // A failing command is reported for each event, and its watch goes on.
    wait_for_line(&dir.join("failing.out"), "revoked", &b);
    let reported = std::fs::read_to_string(dir.join("failing.err")).unwrap();
    assert!(
        reported.contains(&format!(
            "--exec failed for the pending event of request {b} (exit status: 7); the watch goes on"
        )),
        "{reported}"
    );
    assert!(reported.contains("boom"), "{reported}");
    // So is one that runs past --exec-timeout (this watcher's: 1s); it is stopped.
    wait_for_line(&dir.join("slow.out"), "revoked", &b);
    eventually("the slow command is reported", || {
        std::fs::read_to_string(dir.join("slow.err")).unwrap().contains(&format!(
            "--exec ran longer than 1s for the pending event of request {b} and was stopped; the watch goes on"
        ))
    });
    for child in [&mut telling, &mut failing, &mut slow] {
        assert!(child.try_wait().unwrap().is_none(), "the watch is still running");
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[test]
fn on_a_terminal_the_watch_rings_for_a_pending_request_and_approve_shows_what_the_role_can_do() {
    let cluster = &*CLUSTER;
    let team = team(cluster, &["--approval", "required", "--approvals", "2"]);
    let waiting = prov_asks(cluster, &team, "operator", "CASE-7: disk");
    let id = crate::approval::pending_id(cluster, NS);
    let session = format!("ksa-watch-{}", namespace("bell"));
    let tmux = || {
        let mut command = std::process::Command::new("tmux");
        command.args(["-L", &session]);
        command
    };
    let raw = cluster.dir.join(format!("{session}.raw"));
    let command = format!(
        "read go; env KUBECONFIG={} PATH={} NO_COLOR=1 kubectl supportaccess -n {NS} get --watch",
        cluster.kubeconfig.display(),
        cluster.path_env()
    );
    let started =
        run(tmux().args(["-f", "/dev/null", "new-session", "-d", "-s", &session, "-x", "200", "-y", "30", &command]));
    assert_eq!(started.code, 0, "tmux is needed for terminal tests: {started:?}");
    // Every byte the watch writes, the bell among them, from before it starts.
    let piped = run(tmux().args(["pipe-pane", "-t", &session, "-o", &format!("cat >> {}", raw.display())]));
    assert_eq!(piped.code, 0, "{piped:?}");
    assert_eq!(run(tmux().args(["send-keys", "-t", &session, "go", "Enter"])).code, 0);
    let screen = || run(tmux().args(["capture-pane", "-p", "-t", &session])).stdout;
    eventually("the pending line on the terminal", || screen().contains(&format!("pending             {id}")));
    eventually("the bell", || std::fs::read(&raw).unwrap_or_default().contains(&7u8));

    // The approve prompt says what an operator credential can do, and how many have approved.
    let shown = crate::owner::in_terminal(
        cluster,
        &format!("kubectl supportaccess --kubeconfig {} -n {NS} approve {id}", team.owner.display()),
        &[("[y/N]", &["y"])],
    );
    assert!(shown.contains("EXIT=0"), "{shown}");
    assert!(shown.contains("Role:      operator (ClusterRole crusoe-support-operator), cluster-wide"), "{shown}");
    assert!(shown.contains("Can:       reads secrets: no, writes RBAC: no"), "{shown}");
    assert!(shown.contains("execs: in crusoe-system, kube-system"), "{shown}");
    assert!(shown.contains("Approvals: 0 of 2 so far"), "{shown}");
    assert!(shown.contains("Reason:    \"CASE-7: disk\""), "{shown}");
    eventually("the approval on the watching terminal", || screen().contains("approved 1 of 2 (owner)"));
    plugin_ok(cluster, &team.owner2, &["approve", &id]);
    assert_eq!(finish(waiting).code, 0);

    // An extension: the prompt shows the old and the new end.
    let extend = prov_extends(cluster, &team, &id);
    let annotations = record(cluster, &id)["metadata"]["annotations"].clone();
    let (old, new) = (
        annotations["support-access.crusoe.ai/expires-at"].as_str().unwrap().to_string(),
        annotations["support-access.crusoe.ai/extension-requested"].as_str().unwrap().to_string(),
    );
    let shown = crate::owner::in_terminal(
        cluster,
        &format!("kubectl supportaccess --kubeconfig {} -n {NS} approve {id}", team.owner.display()),
        &[("[y/N]", &["y"])],
    );
    assert!(shown.contains(&format!("Ends:      {old} now, {new} if approved (+30m)")), "{shown}");
    eventually("the extension on the watching terminal", || screen().contains(&format!("extension-pending   {id}")));
    let _ = run(tmux().arg("kill-server"));
    plugin_ok(cluster, &team.owner2, &["approve", &id]);
    assert_eq!(finish(extend).code, 0);
}
