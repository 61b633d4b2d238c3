//! Faults on the real control plane: the API server or etcd stopped mid-command, and races. The
//! cluster must never be left granting more than it says.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TestCluster, finish, minutes_from_now, own_cluster, record_manifest, run};

const NS: &str = "crusoe-system";

pub(crate) fn harness(cluster: &TestCluster, verb: &str, component: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cluster/harness.py");
    let ran = run(Command::new("python3").arg(script).arg(verb).arg(&cluster.dir).arg(component));
    assert_eq!(ran.code, 0, "{verb} {component}: {ran:?}");
}

fn spawn(cluster: &TestCluster, args: &[&str]) -> Child {
    cluster
        .kubectl()
        .arg("supportaccess")
        .args(args)
        .args(["-n", NS])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "{what} did not happen within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn history(cluster: &TestCluster) -> Vec<serde_json::Value> {
    serde_json::from_str(&cluster.supportaccess_ok(NS, &["history", "-o", "json"])).unwrap()
}

#[test]
fn api_server_stopped_mid_request_leaves_no_working_looking_grant_and_a_rerun_converges() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    // Every call of this user's arrives 700 ms late: the API server is stopped right after the
    // request's bindings were made, before its token.
    let slow = crate::guards::proxied_user(&cluster, "slow", 700);
    let child = slow.spawn(&cluster, &["request", "--role", "readonly", "--reason", "fault", "--duration", "1h"]);
    wait_for("the request's binding", Duration::from_secs(10), || {
        cluster.managed_bindings().iter().any(|b| b.starts_with("clusterrolebinding"))
    });
    let orphan = cluster.managed_bindings().into_iter().find(|b| b.starts_with("clusterrolebinding")).unwrap();
    let orphan_end = cluster.kubectl_ok(&[
        "get",
        &orphan,
        "-o",
        "jsonpath={.metadata.annotations.support-access\\.crusoe\\.ai/expires-at}",
    ]);
    harness(&cluster, "stop", "kube-apiserver");
    let ran = finish(child);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.starts_with("error: "), "one clear sentence: {ran:?}");
    assert!(!ran.stderr.contains("panicked"), "{ran:?}");
    let kubeconfigs =
        std::fs::read_dir(cluster.dir.join("xdg/kubectl-supportaccess/local")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(kubeconfigs, 0, "no kubeconfig for a request that failed");

    harness(&cluster, "start", "kube-apiserver");
    let get = cluster.supportaccess(NS, &["get"]);
    assert!(get.stdout.contains("Active Requests: 0\n"), "the half-made request is not shown as working: {get:?}");

    // A re-run converges.
    let again = cluster.supportaccess(NS, &["request", "--role", "readonly", "--reason", "again", "--duration", "1h"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(cluster.supportaccess_ok(NS, &["get"]).contains("Active Requests: 1\n"));

    // The half-made request has no credential: once it is 15 minutes old it counts as abandoned
    // and `sweep` removes it and its ServiceAccount, and records why. Aged here by writing it again with an
    // earlier requested-at (no sleeping for 15 minutes).
    let id = orphan.trim_start_matches("clusterrolebinding.rbac.authorization.k8s.io/crusoe-support-").to_string();
    cluster.kubectl_ok(&["delete", &orphan]);
    cluster.apply(&record_manifest(NS, &id, "readonly", &minutes_from_now(-16), &orphan_end, None));
    let swept = cluster.supportaccess(NS, &["sweep"]);
    assert_eq!(swept.code, 0, "{swept:?}");
    assert!(swept.stdout.contains("removed 1 expired request(s)"), "{swept:?}");
    assert!(!cluster.managed_bindings().contains(&orphan));
    let accounts = super::support::accounts(&cluster);
    assert!(!accounts.contains(&format!("crusoe-support-{id}-")), "its ServiceAccount is gone: {accounts}");
    let abandoned = history(&cluster).into_iter().any(|e| {
        e["event"] == "expired"
            && e["detail"].as_str().unwrap_or_default().contains("abandoned before its first credential")
    });
    assert!(abandoned);
}

/// Writes `count` request records by hand with one kubectl call.
fn hand_made_requests(cluster: &TestCluster, count: usize) {
    let (now, ends, credential) = (minutes_from_now(0), minutes_from_now(600), minutes_from_now(60));
    let manifest: String = (0..count)
        .map(|i| record_manifest(NS, &format!("bulk{i}"), "readonly", &now, &ends, Some(&credential)))
        .collect();
    cluster.apply(&manifest);
}

#[test]
fn api_server_stopped_during_disable_now_never_shows_disabled_with_bindings_left_and_a_rerun_finishes() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    hand_made_requests(&cluster, 200);
    for delay_ms in [0u64, 30, 120] {
        let child = spawn(&cluster, &["disable", "--now", "--yes", "--request-timeout", "3s"]);
        std::thread::sleep(Duration::from_millis(delay_ms));
        harness(&cluster, "stop", "kube-apiserver");
        let interrupted = finish(child);
        assert!(!interrupted.stderr.contains("panicked"), "{interrupted:?}");
        harness(&cluster, "start", "kube-apiserver");
        let left = cluster.managed_bindings();
        let get = cluster.supportaccess(NS, &["get"]);
        if !left.is_empty() {
            assert!(
                get.stdout.starts_with("Support Access Status: Enabled"),
                "disabled while {} bindings remain (stopped after {delay_ms} ms): {get:?}",
                left.len()
            );
        }
        let rerun = cluster.supportaccess(NS, &["disable", "--now", "--yes"]);
        assert_eq!(rerun.code, 0, "{rerun:?}");
        assert_eq!(cluster.managed_bindings(), Vec::<String>::new());
        assert!(cluster.supportaccess_ok(NS, &["get"]).starts_with("Support Access Status: Disabled"));
        cluster.supportaccess_ok(NS, &["enable"]);
        hand_made_requests(&cluster, 200);
    }
}

#[test]
fn etcd_restarted_under_concurrent_requests_loses_nothing_from_history() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    let children: Vec<Child> = (0..12)
        .map(|i| {
            spawn(
                &cluster,
                &[
                    "request",
                    "--role",
                    "readonly",
                    "--reason",
                    &format!("etcd {i}"),
                    "--duration",
                    "1h",
                    "-o",
                    "json",
                    "--request-timeout",
                    "10s",
                ],
            )
        })
        .collect();
    std::thread::sleep(Duration::from_millis(150));
    harness(&cluster, "stop", "etcd");
    std::thread::sleep(Duration::from_millis(500));
    harness(&cluster, "start", "etcd");
    let mut succeeded = Vec::new();
    for child in children {
        let ran = finish(child);
        assert!(!ran.stderr.contains("panicked"), "{ran:?}");
        if ran.code == 0 {
            let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
            succeeded.push(json["id"].as_str().unwrap().to_string());
        } else {
            assert!(ran.stderr.starts_with("error: "), "a clear error: {ran:?}");
        }
    }
    wait_for("the API server after etcd's restart", Duration::from_secs(30), || {
        cluster.supportaccess(NS, &["get"]).code == 0
    });
    let requested: Vec<String> = history(&cluster)
        .iter()
        .filter(|e| e["event"] == "requested")
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    for id in &succeeded {
        assert!(requested.contains(id), "request {id} succeeded but its history line is lost");
    }
    // Every working request the cluster shows is in the history too.
    let status: serde_json::Value =
        serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    for grant in status["activeRequests"].as_array().unwrap() {
        assert!(requested.contains(&grant["id"].as_str().unwrap().to_string()), "{grant}");
    }
    println!("{} of 12 requests succeeded across the etcd restart", succeeded.len());
}

#[test]
fn concurrent_revoke_and_renew_end_revoked_with_no_credential_kept() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    for round in 0..5 {
        let out = cluster.supportaccess_ok(
            NS,
            &["request", "--role", "readonly", "--reason", &format!("race {round}"), "--duration", "1h", "-o", "json"],
        );
        let id = serde_json::from_str::<serde_json::Value>(&out).unwrap()["id"].as_str().unwrap().to_string();
        let path = cluster.credential_path(&id);
        std::fs::remove_file(&path).unwrap();
        let renew = spawn(&cluster, &["renew", &id]);
        let revoke = spawn(&cluster, &["revoke", &id]);
        let (renewed, revoked) = (finish(renew), finish(revoke));
        assert_eq!(revoked.code, 0, "{revoked:?}");
        assert!(!renewed.stderr.contains("panicked"), "{renewed:?}");
        assert!(!cluster.managed_bindings().iter().any(|b| b.contains(&id)), "the request ends revoked");
        let events: Vec<String> = history(&cluster)
            .iter()
            .filter(|e| e["id"] == id.as_str())
            .map(|e| e["event"].as_str().unwrap().to_string())
            .collect();
        assert!(events.contains(&"revoked".to_string()), "{events:?}");
        if renewed.code != 0 {
            assert!(!path.exists(), "a renew that lost the race keeps no credential: {renewed:?}");
            assert!(!events.contains(&"renewed".to_string()), "{events:?}");
        }
        // Whatever the interleaving, the credential (if renew won) grants nothing now.
        if path.exists() {
            let denied = run(cluster.kubectl().env("KUBECONFIG", &path).args(["get", "pods", "-A"]));
            assert!(denied.stderr.to_lowercase().contains("forbidden"), "{denied:?}");
        }
        // A later sweep does not mistake the revoked request for one removed out of band.
        let swept = cluster.supportaccess_ok(NS, &["sweep"]);
        assert!(swept.contains("nothing to do"), "{swept}");
    }
}
