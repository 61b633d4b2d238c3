//! Many clusters at once: three real control planes in one kubeconfig, beside a context whose
//! port is closed and one whose listener accepts and never answers.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Ran, TestCluster, namespace, own_cluster, request, run};
use crate::owner::in_terminal;

const NS: &str = "crusoe-system";

/// A port that accepts connections and never answers, for as long as the test runs.
fn silent_listener() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for connection in listener.incoming().flatten() {
            held.push(connection);
        }
    });
    port
}

fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A kubeconfig of the live clusters under these context names (each cluster's admin entries
/// renamed after its context), then `dead-closed` and `dead-silent`, and any extra contexts
/// `(name, of live context)` that share a live context's cluster and user.
fn fleet_kubeconfig(dir: &Path, live: &[(&str, &TestCluster)], extra: &[(&str, &str)]) -> PathBuf {
    let (mut clusters, mut users, mut contexts) = (Vec::new(), Vec::new(), Vec::new());
    for (name, cluster) in live {
        let admin: Value = serde_yaml::from_str(&std::fs::read_to_string(&cluster.kubeconfig).unwrap()).unwrap();
        let mut entry = admin["clusters"][0].clone();
        entry["name"] = format!("cluster-{name}").into();
        clusters.push(entry);
        let mut user = admin["users"][0].clone();
        user["name"] = format!("user-{name}").into();
        users.push(user);
        contexts.push(serde_json::json!({"name": name, "context": {"cluster": format!("cluster-{name}"), "user": format!("user-{name}")}}));
    }
    for (name, of) in extra {
        contexts.push(serde_json::json!({"name": name, "context": {"cluster": format!("cluster-{of}"), "user": format!("user-{of}")}}));
    }
    for (name, port) in [("dead-closed", closed_port()), ("dead-silent", silent_listener())] {
        clusters.push(serde_json::json!({"name": format!("cluster-{name}"), "cluster": {"server": format!("https://127.0.0.1:{port}"), "insecure-skip-tls-verify": true}}));
        contexts.push(
            serde_json::json!({"name": name, "context": {"cluster": format!("cluster-{name}"), "user": "nobody"}}),
        );
    }
    users.push(serde_json::json!({"name": "nobody", "user": {"token": "x"}}));
    let config = serde_json::json!({
        "apiVersion": "v1", "kind": "Config", "clusters": clusters, "users": users, "contexts": contexts,
        "current-context": live[0].0,
    });
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("fleet.kubeconfig");
    std::fs::write(&path, serde_yaml::to_string(&config).unwrap()).unwrap();
    path
}

/// The plugin through kubectl with the fleet kubeconfig (a path, or a KUBECONFIG list).
fn fleet(cluster: &TestCluster, kubeconfig: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Ran {
    run(cluster.kubectl().env("KUBECONFIG", kubeconfig).arg("supportaccess").args(args).args(["-n", NS]))
}

fn rows(ran: &Ran) -> Vec<Value> {
    serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("not a JSON list ({e}): {ran:?}"))
}

fn row<'a>(rows: &'a [Value], context: &str) -> &'a Value {
    rows.iter().find(|r| r["context"] == context).unwrap_or_else(|| panic!("no row {context}: {rows:?}"))
}

fn active(cluster: &TestCluster) -> usize {
    let status: Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    status["activeRequests"].as_array().unwrap().len()
}

#[test]
fn disable_now_across_every_context_ends_every_request_names_the_dead_ones_and_exits_1() {
    // Enabling and disabling change the cluster-wide guards: control planes of the test's own.
    let (a, b, c) = (own_cluster(), own_cluster(), own_cluster());
    let dir = a.dir.join("fleet");
    let live = [("prod-a", &a), ("prod-b", &b), ("staging-c", &c)];
    // `prod-a-again` names prod-a's cluster and user: it is asked once. `prod-nobody` is a user of
    // prod-a's cluster with no rights at all: every call answers 403.
    let fleet_file = fleet_kubeconfig(&dir, &live, &[("prod-a-again", "prod-a")]);
    let kubeconfig = std::env::join_paths([fleet_file, a.user("prod-nobody", &[])]).unwrap();

    // enable everywhere: the live ones are enabled, the dead ones named, exit 1.
    let ran = fleet(
        &a,
        &kubeconfig,
        &["enable", "--all-contexts", "--enabled-roles", "readonly,operator", "--request-timeout", "5s", "-o", "json"],
    );
    assert_eq!(ran.code, 1, "{ran:?}");
    let listed = rows(&ran);
    let names: Vec<&str> = listed.iter().map(|r| r["context"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["prod-a", "prod-b", "staging-c", "prod-a-again", "dead-closed", "dead-silent", "prod-nobody"],
        "kubeconfig order: {ran:?}"
    );
    for (name, cluster) in
        [("prod-a", "cluster-prod-a"), ("prod-b", "cluster-prod-b"), ("staging-c", "cluster-staging-c")]
    {
        let row = row(&listed, name);
        assert!(row["error"].is_null(), "{row}");
        assert_eq!(row["cluster"], cluster);
        // The single-cluster output's fields, as `enable -o json` prints them.
        assert_eq!(row["policy"]["enabledRoles"], serde_json::json!(["readonly", "operator"]), "{row}");
        assert!(row["installed"].is_array() && row["guards"]["available"] == true, "{row}");
    }
    assert_eq!(row(&listed, "prod-a-again")["sameAs"], "prod-a");
    assert!(row(&listed, "dead-closed")["error"].as_str().unwrap().contains("cannot reach"), "{ran:?}");
    assert!(row(&listed, "dead-silent")["error"].as_str().unwrap().contains("did not answer within 5s"), "{ran:?}");
    assert!(
        row(&listed, "prod-nobody")["error"].as_str().unwrap().starts_with("forbidden: prod-nobody may not"),
        "a 403: {ran:?}"
    );
    let audit = fleet(&a, &kubeconfig, &["get", "--contexts", "prod-a-again", "-o", "json"]);
    assert_eq!(rows(&audit)[0]["enabled"], true, "{audit:?}");

    // One request on each live cluster, each with a working credential.
    let credentials: Vec<PathBuf> = [&a, &b, &c]
        .iter()
        .map(|cluster| request(cluster, NS, &["--role", "operator", "--reason", "INC-7", "--duration", "1h"]).1)
        .collect();
    for credential in &credentials {
        let listed = run(a.kubectl().env("KUBECONFIG", credential).args(["get", "pods", "-n", "kube-system"]));
        assert_eq!(listed.code, 0, "{listed:?}");
    }

    // Without a terminal and without --yes it refuses, touching nothing.
    let refused = fleet(&a, &kubeconfig, &["disable", "--now", "--all-contexts"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("on 7 context(s) (") && refused.stderr.contains("--yes"), "{refused:?}");
    assert_eq!([active(&a), active(&b), active(&c)], [1, 1, 1]);

    let started = Instant::now();
    let ran = fleet(&a, &kubeconfig, &["disable", "--now", "--all-contexts", "--yes", "--request-timeout", "5s"]);
    let took = started.elapsed();
    assert_eq!(ran.code, 1, "{ran:?}");
    for name in ["prod-a", "prod-b", "staging-c"] {
        let line = ran.stdout.lines().find(|l| l.contains(&format!(" {name} "))).unwrap_or_else(|| panic!("{ran:?}"));
        assert!(line.contains("ok") && line.contains("1 request(s) revoked now"), "{line}\n{ran:?}");
    }
    assert!(ran.stderr.contains("3 of 6 context(s) failed"), "{ran:?}");
    assert!(ran.stderr.contains("\"prod-nobody\": "), "{ran:?}");
    assert!(ran.stderr.contains("\"dead-closed\": cannot reach the Kubernetes API server"), "{ran:?}");
    assert!(ran.stderr.contains("\"dead-silent\": the Kubernetes API server at"), "{ran:?}");
    assert_eq!([active(&a), active(&b), active(&c)], [0, 0, 0]);
    for credential in &credentials {
        let refused = run(a.kubectl().env("KUBECONFIG", credential).args(["get", "pods", "-n", "kube-system"]));
        assert_ne!(refused.code, 0, "a revoked credential still works: {refused:?}");
    }

    // The bound: one --request-timeout past the slowest live cluster. The live clusters alone,
    // the same work (enable, one request each, disable --now), give the slowest live time here.
    fleet(
        &a,
        &kubeconfig,
        &["enable", "--contexts", "prod-*,staging-*", "--yes", "--enabled-roles", "readonly,operator"],
    );
    for cluster in [&a, &b, &c] {
        request(cluster, NS, &["--role", "operator", "--reason", "INC-8", "--duration", "1h"]);
    }
    let started = Instant::now();
    let live_only = fleet(&a, &kubeconfig, &["disable", "--now", "--contexts", "prod-a,prod-b,staging-c", "--yes"]);
    let slowest_live = started.elapsed();
    assert_eq!(live_only.code, 0, "{live_only:?}");
    assert!(
        took < slowest_live + Duration::from_secs(5) + Duration::from_secs(3),
        "with the dead contexts it took {took:?}; the live ones alone {slowest_live:?}"
    );
}

#[test]
fn contexts_patterns_touch_only_matching_contexts_and_complete_context_names() {
    let (a, b) = (own_cluster(), own_cluster());
    let dir = a.dir.join("fleet");
    let kubeconfig = fleet_kubeconfig(&dir, &[("prod-eu", &a), ("staging-eu", &b)], &[]);

    let ran = fleet(&a, &kubeconfig, &["enable", "--contexts", "prod-*", "--enabled-roles", "operator"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("prod-eu") && !ran.stdout.contains("staging-eu"), "{ran:?}");
    let enabled = |cluster: &TestCluster| {
        let status: Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
        status["enabled"] == true
    };
    assert!(enabled(&a) && !enabled(&b), "only prod-eu was enabled");

    // The other fleet commands on the enabled cluster.
    let verified = fleet(&a, &kubeconfig, &["roles", "--verify", "--contexts", "prod-*"]);
    assert!(verified.code == 0 && verified.stdout.contains("all 23 checks and"), "{verified:?}");
    let history = fleet(&a, &kubeconfig, &["history", "--contexts", "prod-*", "-o", "json"]);
    assert_eq!(history.code, 0, "{history:?}");
    assert_eq!(rows(&history)[0]["events"][0]["event"], "enabled", "{history:?}");
    let swept = fleet(&a, &kubeconfig, &["sweep", "--contexts", "prod-*", "-o", "json"]);
    assert!(swept.code == 0 && rows(&swept)[0]["foreignGrants"].is_array(), "{swept:?}");
    let revoked = fleet(&a, &kubeconfig, &["revoke", "--all", "--contexts", "prod-*", "--yes", "-o", "json"]);
    assert_eq!(rows(&revoked)[0]["revoked"], serde_json::json!([]), "{revoked:?}");

    // Several patterns, the JSON list, and a pattern that matches nothing.
    let ran =
        fleet(&a, &kubeconfig, &["get", "--contexts", "staging-?u,dead-*", "--request-timeout", "3s", "-o", "json"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let listed = rows(&ran);
    let names: Vec<&str> = listed.iter().map(|r| r["context"].as_str().unwrap()).collect();
    assert_eq!(names, ["staging-eu", "dead-closed", "dead-silent"], "{ran:?}");
    assert_eq!(row(&listed, "staging-eu")["enabled"], false);
    // `get`'s calls race for the first connection: each says why it failed, not "canceled".
    let refused = row(&listed, "dead-closed")["error"].as_str().unwrap();
    assert!(refused.contains("cannot reach") && refused.contains("Connection refused"), "{ran:?}");
    assert!(row(&listed, "staging-eu")["activeRequests"].is_array());
    // The summary table fits 120 columns: a long DETAIL wraps inside its cell (issue 41).
    let table = fleet(&a, &kubeconfig, &["get", "--contexts", "prod-*,dead-*", "--request-timeout", "3s"]);
    assert!(table.stdout.contains("dead-closed") && table.stdout.contains("Connection refused"), "{table:?}");
    let widest = table.stdout.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 120, "{widest} columns: {}", table.stdout);
    let none = fleet(&a, &kubeconfig, &["get", "--contexts", "qa-*"]);
    assert_eq!(none.code, 1, "{none:?}");
    assert!(
        none.stderr.contains("no context matches qa-*; contexts: prod-eu, staging-eu, dead-closed, dead-silent"),
        "{none:?}"
    );

    // Flags that make no sense across clusters are refused before anything is asked.
    for args in [
        &["revoke", "abc123", "--all-contexts"][..],
        &["roles", "--all-contexts"],
        &["get", "prod-eu", "--all-contexts"],
        &["get", "--context", "prod-eu", "--all-contexts"],
        &["version", "--client", "--all-contexts"],
        &["get", "--all-contexts", "--parallel", "0"],
    ] {
        let refused = fleet(&a, &kubeconfig, args);
        assert_eq!(refused.code, 2, "{args:?}: {refused:?}");
    }

    // Completion offers context names for --contexts, after the ones already typed.
    let complete = |word: &str| {
        let ran = run(a.plugin().env("KUBECONFIG", &kubeconfig).args(["__complete", "get", "--contexts", word]));
        assert_eq!(ran.code, 0, "{ran:?}");
        ran.stdout
            .lines()
            .filter(|l| !l.starts_with(':'))
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(complete("st"), ["staging-eu"]);
    assert_eq!(complete("prod-eu,d"), ["prod-eu,dead-closed", "prod-eu,dead-silent"]);
}

#[test]
fn on_a_terminal_a_fleet_shows_its_progress_and_asks_once_before_revoking_everywhere() {
    let a = own_cluster();
    let ns = namespace("fleettty");
    let dir = a.dir.join("fleet");
    let kubeconfig = fleet_kubeconfig(&dir, &[("prod-a", &a)], &[]);
    let with = |command: &str| format!("env KUBECONFIG={} {command} -n {ns}", kubeconfig.display());

    // The silent context holds the run for its 6 s timeout: the bar shows the live one done.
    let screen = in_terminal(
        &a,
        &with("kubectl supportaccess get --all-contexts --request-timeout 6s"),
        &[("contexts done", &[]), ("EXIT=", &[])],
    );
    assert!(screen.contains("EXIT=1") && screen.contains("prod-a") && screen.contains("dead-silent"), "{screen}");
    // Done and failed counts, and the estimate of the time left, while the silent one holds it.
    let steps: &[(&str, &[&str])] = &[("2/3 contexts done, 1 failed, about ", &[])];
    in_terminal(&a, &with("kubectl supportaccess version --all-contexts --request-timeout 6s"), steps);

    // A destructive fleet action asks once, naming how many contexts and clusters.
    let screen = in_terminal(
        &a,
        &with("kubectl supportaccess revoke --all --all-contexts --request-timeout 3s"),
        &[("Revoke every support request now on 3 context(s) (3 cluster(s))?", &["n", "Enter"])],
    );
    assert!(screen.contains("EXIT=1") && screen.contains("nothing was changed"), "{screen}");
    assert!(!screen.contains("CONTEXT"), "nothing ran: {screen}");
    let screen = in_terminal(
        &a,
        &with("kubectl supportaccess revoke --all --all-contexts --request-timeout 3s"),
        &[("Revoke every support request now", &["y", "Enter"])],
    );
    assert!(screen.contains("EXIT=1") && screen.contains("no request to revoke"), "{screen}");

    // In a script (stderr not a terminal) no progress is drawn.
    let ran = fleet(&a, &kubeconfig, &["version", "--all-contexts", "--request-timeout", "2s"]);
    assert!(!ran.stderr.contains("contexts done") && !ran.stderr.contains('\r'), "{ran:?}");
}
