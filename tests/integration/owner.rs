//! The cluster owner's side on the real control plane, through kubectl plugin discovery:
//! enable, disable, get, roles --verify, uninstall, history.

use std::process::Stdio;

use crate::common::{CLUSTER, TestCluster, minutes_from_now, namespace, own_cluster, record_manifest, run};

const DISABLED: &str = "Support Access Status: Disabled\nEnabled Roles:\nActive Requests: 0\n";

/// Writes a request record by hand, as `request` would, made now: it ends in `ends_in` minutes
/// and its credential in `credential_in`. Returns its requested-at.
fn hand_made_request(cluster: &TestCluster, id: &str, role: &str, ends_in: i64, credential_in: i64) -> String {
    let requested_at = minutes_from_now(0);
    let manifest = record_manifest(
        "crusoe-system",
        id,
        role,
        &requested_at,
        &minutes_from_now(ends_in),
        Some(&minutes_from_now(credential_in)),
    );
    cluster.apply(&manifest);
    requested_at
}

fn annotation(cluster: &TestCluster, id: &str, key: &str) -> String {
    cluster.kubectl_ok(&[
        "get",
        "clusterrolebinding",
        &format!("crusoe-support-{id}"),
        "-o",
        &format!("jsonpath={{.metadata.annotations.support-access\\.crusoe\\.ai/{key}}}"),
    ])
}

fn history(cluster: &TestCluster, ns: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(&cluster.supportaccess_ok(ns, &["history", "-o", "json"])).unwrap()
}

fn policy_data(cluster: &TestCluster, ns: &str) -> serde_json::Value {
    let out = cluster.kubectl_ok(&["get", "configmap", "support-access", "-n", ns, "-o", "json"]);
    serde_json::from_str::<serde_json::Value>(&out).unwrap()["data"].clone()
}

#[test]
fn enable_shows_the_reference_layout_and_a_request_line_for_line() {
    let cluster = own_cluster();
    let ns = "crusoe-system";
    assert_eq!(cluster.supportaccess_ok(ns, &["get"]), DISABLED);

    let out = cluster.supportaccess_ok(ns, &["enable"]);
    assert!(out.contains("Namespace crusoe-system: created"), "{out}");
    assert!(out.contains("ClusterRole crusoe-support-readonly: created"), "{out}");
    assert!(out.contains("FlowSchema crusoe-support: created"), "{out}");
    assert_eq!(
        cluster.supportaccess_ok(ns, &["get"]),
        "Support Access Status: Enabled\nEnabled Roles: SUPPORT_ACCESS_ROLE_READONLY\nActive Requests: 0\n"
    );

    let requested_at = hand_made_request(&cluster, "k3x9q2", "readonly", 240, 150);
    let ends = annotation(&cluster, "k3x9q2", "expires-at");
    let credential = annotation(&cluster, "k3x9q2", "credential-expires-at");
    assert_eq!(
        cluster.supportaccess_ok(ns, &["get"]),
        format!(
            "Support Access Status: Enabled\n\
             Enabled Roles: SUPPORT_ACCESS_ROLE_READONLY\n\
             Active Requests: 1\n\
             Request 1:\n\
             Request ID: k3x9q2\n\
             Role: SUPPORT_ACCESS_ROLE_READONLY\n\
             Requestor ID: 00uix9g0n77KrcdMq5d7\n\
             Reason: This is a test!\n\
             Requested At: {requested_at}\n\
             Request Expires At: {ends}\n\
             Credential Expires At: {credential}\n"
        )
    );

    // operator implies readonly; the reference says so.
    cluster.supportaccess_ok(ns, &["enable", "--enabled-roles", "operator"]);
    let out = cluster.supportaccess_ok(ns, &["get"]);
    assert!(out.contains("Enabled Roles: SUPPORT_ACCESS_ROLE_READONLY,SUPPORT_ACCESS_ROLE_OPERATOR\n"), "{out}");

    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(ns, &["get", "-o", "json"])).unwrap();
    assert_eq!(json["enabled"], true);
    assert_eq!(json["policy"]["enabledRoles"], serde_json::json!(["readonly", "operator"]));
    assert_eq!(json["activeRequests"][0]["id"], "k3x9q2");
    assert_eq!(json["activeRequests"][0]["annotations"]["support-access.crusoe.ai/requested-by"], "kubernetes-admin");
    let table = cluster.supportaccess_ok(ns, &["get", "-o", "table"]);
    assert!(table.contains("k3x9q2") && table.contains("in "), "{table}");
}

#[test]
fn enabling_twice_changes_nothing_but_updated_at() {
    let ns = namespace("twice");
    CLUSTER.supportaccess_ok(&ns, &["enable", "--enabled-roles", "readonly,operator", "--max-duration", "8h"]);
    let first = policy_data(&CLUSTER, &ns);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = CLUSTER.supportaccess_ok(&ns, &["enable", "--enabled-roles", "readonly,operator"]);
    assert!(out.contains("ClusterRole crusoe-support-operator: up to date"), "{out}");
    let mut second = policy_data(&CLUSTER, &ns);
    assert_ne!(first["updatedAt"], second["updatedAt"]);
    second["updatedAt"] = first["updatedAt"].clone();
    assert_eq!(first, second);
    assert_eq!(first["maxDuration"], "8h", "a limit not given again is kept");
    assert_eq!(first["updatedBy"], "kubernetes-admin", "updatedBy is the caller, from SelfSubjectReview");
}

#[test]
fn bad_enable_values_are_usage_errors_naming_what_is_accepted() {
    let ns = namespace("badenable");
    for (args, names) in [
        (vec!["enable", "--enabled-roles", "admin"], "readonly and operator"),
        (vec!["enable", "--max-duration", "forever"], "--max-duration"),
        (vec!["enable", "--credential-ttl", "5m"], "at least 10m"),
        (vec!["enable", "--credential-ttl", "48h", "--max-duration", "24h"], "longer than --max-duration"),
        (vec!["enable", "--system-namespaces", "Kube_System"], "not a namespace name"),
    ] {
        let ran = CLUSTER.supportaccess(&ns, &args);
        assert_eq!(ran.code, 2, "{args:?}: {ran:?}");
        assert!(ran.stderr.contains(names), "{args:?}: {ran:?}");
    }
    let ran = run(CLUSTER.kubectl().args(["get", "configmap", "support-access", "-n", &ns]));
    assert_ne!(ran.code, 0, "nothing was written");
}

#[test]
fn disable_needs_no_confirmation_without_a_terminal() {
    let ns = namespace("confirm");
    CLUSTER.supportaccess_ok(&ns, &["enable"]);
    // A script doing what Crusoe's docs do: stdin is not a terminal, nothing asks.
    let ran = run(CLUSTER.kubectl().args(["supportaccess", "disable", "-n", &ns]).stdin(std::process::Stdio::null()));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(CLUSTER.supportaccess_ok(&ns, &["get"]).starts_with("Support Access Status: Disabled"));
    CLUSTER.supportaccess_ok(&ns, &["enable"]);
    let ran = run(CLUSTER
        .kubectl()
        .args(["supportaccess", "disable", "--now", "-n", &ns])
        .stdin(std::process::Stdio::null()));
    assert_eq!(ran.code, 0, "--now asks only on a terminal: {ran:?}");
    assert!(CLUSTER.supportaccess_ok(&ns, &["get"]).starts_with("Support Access Status: Disabled"));
    // --yes is still accepted.
    CLUSTER.supportaccess_ok(&ns, &["disable", "--yes"]);
}

#[test]
fn withdrawing_a_role_revokes_its_requests_disable_drains_and_disable_now_revokes_everything() {
    let cluster = own_cluster();
    let ns = "crusoe-system";
    cluster.supportaccess_ok(ns, &["enable", "--enabled-roles", "operator"]);
    hand_made_request(&cluster, "reader1", "readonly", 300, 60);
    hand_made_request(&cluster, "reader2", "readonly", 300, 90);
    hand_made_request(&cluster, "oper1", "operator", 300, 120);

    // Withdrawing operator revokes operator requests at once: a record of a role that is not
    // enabled is not trusted.
    let out = cluster.supportaccess_ok(ns, &["enable", "--yes", "--enabled-roles", "readonly"]);
    assert!(out.contains("Revoked 1 request(s) of roles no longer enabled: oper1"), "{out}");
    assert_ne!(run(cluster.kubectl().args(["get", "clusterrolebinding", "crusoe-support-oper1"])).code, 0);
    let reader_end = annotation(&cluster, "reader1", "expires-at");

    // disable: running sessions drain to their credential's expiry, nothing is deleted.
    let out = cluster.supportaccess_ok(ns, &["disable", "--yes"]);
    assert!(out.contains("2 running session(s) drain"), "{out}");
    let drained = annotation(&cluster, "reader1", "expires-at");
    assert!(drained < reader_end && drained == annotation(&cluster, "reader1", "credential-expires-at"), "{drained}");
    let get = cluster.supportaccess_ok(ns, &["get"]);
    assert!(get.starts_with("Support Access Status: Disabled\nEnabled Roles:\nActive Requests: 2\n"), "{get}");

    // disable --now: every managed binding goes, and the count is reported.
    let out = cluster.supportaccess_ok(ns, &["disable", "--now", "--yes"]);
    assert!(out.contains("Revoked 2 request(s) now"), "{out}");
    assert_eq!(cluster.managed_bindings(), Vec::<String>::new());
    assert_eq!(cluster.supportaccess_ok(ns, &["get"]), DISABLED);

    let events: Vec<String> = history(&cluster, ns).iter().map(|e| e["event"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        events,
        ["enabled", "revoked", "enabled", "drained", "drained", "disabled", "revoked", "revoked", "disabled"]
    );
    let kube_events = cluster.kubectl_ok(&["get", "events", "-n", ns, "-o", "jsonpath={.items[*].reason}"]);
    assert!(
        kube_events.contains("SupportAccessEnabled") && kube_events.contains("SupportAccessRevoked"),
        "{kube_events}"
    );
}

#[test]
fn roles_verify_proves_the_matrix_and_catches_a_broken_role_that_enable_restores() {
    let cluster = own_cluster();
    let ns = "crusoe-system";
    cluster.supportaccess_ok(ns, &["enable"]);
    let out = cluster.supportaccess_ok(ns, &["roles", "--verify"]);
    assert!(out.contains("All 23 checks match for both roles"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&cluster.supportaccess_ok(ns, &["roles", "--verify", "-o", "json"])).unwrap();
    let check = |name: &str| json["checks"].as_array().unwrap().iter().find(|c| c["check"] == name).unwrap().clone();
    assert_eq!(check("get secrets")["readonlyObserved"], false);
    assert_eq!(check("exec in kube-system")["operatorObserved"], true);
    assert_eq!(check("exec in a user namespace")["operatorObserved"], false);
    assert_eq!(check("impersonate users")["operatorObserved"], false);

    cluster.kubectl_ok(&[
        "patch",
        "clusterrole",
        "crusoe-support-readonly",
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["secrets"],"verbs":["get","list"]}}]"#,
    ]);
    let ran = cluster.supportaccess(ns, &["roles", "--verify"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stdout.contains("MISMATCH") && ran.stderr.contains("do not match"), "{ran:?}");

    let out = cluster.supportaccess_ok(ns, &["enable"]);
    assert!(out.contains("ClusterRole crusoe-support-readonly: repaired"), "{out}");
    assert!(cluster.supportaccess_ok(ns, &["roles", "--verify"]).contains("All 23 checks match"));
    // No temporary verification binding is left behind.
    assert_eq!(cluster.managed_bindings(), Vec::<String>::new());
}

#[test]
fn helm_managed_roles_are_used_and_left_byte_identical() {
    let cluster = own_cluster();
    let ns = "crusoe-system";
    cluster.kubectl_ok(&["create", "namespace", ns]);
    let helm_labels = "    app.kubernetes.io/managed-by: Helm\n    app.kubernetes.io/instance: crusoe-support-roles\n    helm.sh/chart: crusoe-support-roles-0.3.1\n    crusoe.ai/managed: \"true\"\n";
    let mut manifest = String::new();
    for (role, resources) in [("readonly", "pods"), ("operator", "pods"), ("logs", "pods/log"), ("debug", "pods/exec")]
    {
        manifest += &format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: crusoe-support-{role}\n  labels:\n{helm_labels}    crusoe.ai/support-role: {role}\nrules:\n- apiGroups: [\"\"]\n  resources: [\"{resources}\"]\n  verbs: [\"get\"]\n---\n"
        );
    }
    manifest += &format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: crusoe-support-readonly-binding\n  labels:\n{helm_labels}roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: crusoe-support-readonly\nsubjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: crusoe:support:readonly\n"
    );
    cluster.apply(&manifest);
    let snapshot = || {
        cluster.kubectl_ok(&[
            "get",
            "clusterroles/crusoe-support-readonly",
            "clusterroles/crusoe-support-operator",
            "clusterroles/crusoe-support-logs",
            "clusterroles/crusoe-support-debug",
            "clusterrolebindings/crusoe-support-readonly-binding",
            "-o",
            "json",
        ])
    };
    let before = snapshot();

    let out = cluster.supportaccess_ok(ns, &["enable"]);
    assert!(out.contains("ClusterRole crusoe-support-readonly: managed by Helm, used as it is"), "{out}");
    let get = cluster.supportaccess(ns, &["get"]);
    assert!(
        get.stderr.contains("note: Helm release crusoe-support-roles (crusoe-support-roles-0.3.1)")
            && get.stderr.contains("crusoe:support:readonly"),
        "{get:?}"
    );
    assert_eq!(snapshot(), before, "enable left Helm's objects byte-identical");
    cluster.supportaccess_ok(ns, &["disable", "--now", "--yes"]);
    assert_eq!(snapshot(), before, "disable left Helm's objects byte-identical");
    let out = cluster.supportaccess_ok(ns, &["uninstall", "--yes"]);
    assert!(out.contains("helm uninstall crusoe-support-roles --namespace crusoe-system"), "{out}");
    assert_eq!(snapshot(), before, "uninstall left Helm's objects byte-identical");
    // The plugin's own flow control is gone.
    let ran = run(cluster.kubectl().args(["get", "flowschema", "crusoe-support"]));
    assert_ne!(ran.code, 0, "{ran:?}");
}

#[test]
fn uninstall_removes_what_the_plugin_installed_and_keeps_history_unless_purged() {
    let cluster = own_cluster();
    let ns = "crusoe-system";
    cluster.supportaccess_ok(ns, &["enable", "--enabled-roles", "operator"]);
    hand_made_request(&cluster, "u1", "readonly", 300, 60);
    let out = cluster.supportaccess_ok(ns, &["uninstall", "--yes"]);
    assert!(out.contains("Deleted 1 support request(s)"), "{out}");
    for object in [
        "clusterrole/crusoe-support-readonly",
        "clusterrole/crusoe-support-debug",
        "prioritylevelconfiguration/crusoe-support",
        "flowschema/crusoe-support",
        "clusterrolebinding/crusoe-support-u1",
    ] {
        let ran = run(cluster.kubectl().args(["get", object]));
        assert_ne!(ran.code, 0, "{object} is still there");
    }
    assert_eq!(cluster.supportaccess_ok(ns, &["get"]), DISABLED);
    let events: Vec<String> = history(&cluster, ns).iter().map(|e| e["event"].as_str().unwrap().to_string()).collect();
    assert_eq!(events.last().map(String::as_str), Some("removed"));
    let lines = cluster.trail_lines(ns).len();
    cluster.supportaccess_ok(ns, &["uninstall", "--yes", "--purge"]);
    let ran = run(cluster.kubectl().args(["get", "configmap", "support-access-history", "-n", ns]));
    assert_ne!(ran.code, 0, "--purge deletes the history");
    // What is left is one line, the purge, the first of a new chain (issue 43).
    let left = cluster.trail_lines(ns);
    assert_eq!(left.len(), 1, "{left:?}");
    let purge: serde_json::Value = serde_json::from_str(&left[0]).unwrap();
    assert_eq!((purge["event"].as_str(), purge["seq"].as_u64()), (Some("removed"), Some(1)), "{purge}");
    assert!(purge["detail"].as_str().unwrap().contains(&format!("purged: lines 1 to {lines}, last hash")), "{purge}");
}

#[test]
fn concurrent_enables_and_disables_lose_nothing() {
    let ns = namespace("race");
    CLUSTER.supportaccess_ok(&ns, &["enable"]);
    let children: Vec<_> = (0..20)
        .map(|i| {
            let args: &[&str] =
                if i % 2 == 0 { &["enable", "--yes", "--enabled-roles", "readonly"] } else { &["disable", "--yes"] };
            CLUSTER
                .kubectl()
                .arg("supportaccess")
                .args(args)
                .args(["-n", &ns])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let data = policy_data(&CLUSTER, &ns);
    let enabled = data["enabled"].as_str().unwrap();
    assert!(enabled == "true" || enabled == "false", "{data}");
    assert_eq!(data["enabledRoles"], "readonly");
    let get = CLUSTER.supportaccess(&ns, &["get"]);
    assert!(get.code == 0, "{get:?}");
    // Whoever wrote the ConfigMap last, the guards enforce what it says.
    assert!(!get.stderr.contains("admission guard"), "{get:?}");
    let events = history(&CLUSTER, &ns);
    assert_eq!(events.len(), 21, "one line per run, nothing lost");
    let disabled = events.iter().filter(|e| e["event"] == "disabled").count();
    assert_eq!(disabled, 10);
    // The last writer of the policy also wrote the last policy line of its kind.
    let last = data["updatedAt"].as_str().unwrap();
    assert!(events.iter().any(|e| e["at"].as_str().unwrap() >= last), "{last}");
}

#[test]
fn a_reader_of_the_namespace_gets_exit_4_and_nothing_is_half_written() {
    let ns = namespace("reader");
    CLUSTER.kubectl_ok(&["create", "namespace", &ns]);
    CLUSTER.kubectl_ok(&["create", "rolebinding", "reader-view", "--clusterrole=view", "--user=reader", "-n", &ns]);
    let reader = CLUSTER.user("reader", &[]);
    let ran = run(CLUSTER.kubectl().env("KUBECONFIG", &reader).args(["supportaccess", "enable", "-n", &ns]));
    assert_eq!(ran.code, 4, "{ran:?}");
    assert!(ran.stderr.contains(&format!("reader may not create configmaps in namespace {ns}")), "{ran:?}");
    // It says what it takes (issue 41).
    assert!(ran.stderr.contains("so it needs a cluster administrator (cluster-admin) on context"), "{ran:?}");
    let written = CLUSTER.kubectl_ok(&["get", "configmaps", "-n", &ns, "-o", "name"]);
    assert!(!written.contains("support-access"), "{written}");
}

#[test]
fn a_garbage_policy_fails_closed_and_enable_repairs_it() {
    let ns = namespace("garbage");
    CLUSTER.supportaccess_ok(&ns, &["enable", "--enabled-roles", "operator"]);
    for (key, value, named) in [
        ("maxDuration", "forever", "\"forever\""),
        ("enabledRoles", "readonly,root", "unknown role \"root\""),
        ("enabled", "maybe", "\"maybe\""),
    ] {
        CLUSTER.kubectl_ok(&[
            "patch",
            "configmap",
            "support-access",
            "-n",
            &ns,
            "--type=merge",
            "-p",
            &format!(r#"{{"data":{{"{key}":"{value}"}}}}"#),
        ]);
        let ran = CLUSTER.supportaccess(&ns, &["get"]);
        assert_eq!(ran.stdout, DISABLED, "fail closed with {key}={value}: {ran:?}");
        assert!(ran.stderr.contains(&format!("key \"{key}\"")) && ran.stderr.contains(named), "{ran:?}");
        let out = CLUSTER.supportaccess_ok(&ns, &["enable"]);
        assert!(out.contains("Support access enabled"), "{out}");
        let ran = CLUSTER.supportaccess(&ns, &["get"]);
        assert!(ran.stdout.starts_with("Support Access Status: Enabled"), "{ran:?}");
        assert!(ran.stderr.is_empty(), "{ran:?}");
    }
}

#[test]
fn roles_lists_each_role_and_what_none_of_them_grants() {
    let out = CLUSTER.supportaccess_ok("crusoe-system", &["roles"]);
    for role in ["crusoe-support-readonly", "crusoe-support-operator", "crusoe-support-logs", "crusoe-support-debug"] {
        assert!(out.contains(role), "{out}");
    }
    assert!(out.contains("Directly, none of them grants secrets"), "{out}");
    assert!(out.contains("No guard closes exec"), "the indirect path is stated, not hidden: {out}");
}

/// Runs a command in a real terminal (tmux) and drives it with keys; returns the final screen.
pub(crate) fn in_terminal(cluster: &TestCluster, command: &str, steps: &[(&str, &[&str])]) -> String {
    // A tmux server of this terminal's own (-L): one test's last kill-session would stop a shared
    // server while another test's new-session connects to it.
    let session = format!("ksa-tty-{}", namespace("tty"));
    let tmux = || {
        let mut command = std::process::Command::new("tmux");
        command.args(["-L", &session]);
        command
    };
    let env = format!(
        "env KUBECONFIG={} PATH={} NO_COLOR=1 XDG_CONFIG_HOME={}",
        cluster.kubeconfig.display(),
        cluster.path_env(),
        cluster.dir.join("xdg").display()
    );
    let started = run(tmux().args([
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "160",
        "-y",
        "40",
        &format!("{env} {command}; echo EXIT=$?; sleep 30"),
    ]));
    assert_eq!(started.code, 0, "tmux is needed for terminal tests: {started:?}");
    let screen = || run(tmux().args(["capture-pane", "-p", "-t", &session])).stdout;
    let wait_for = |text: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let shown = screen();
            if shown.contains(text) {
                return shown;
            }
            assert!(std::time::Instant::now() < deadline, "{text:?} never appeared:\n{shown}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    for (expect, keys) in steps {
        wait_for(expect);
        if keys.is_empty() {
            continue;
        }
        let sent = run(tmux().args(["send-keys", "-t", &session]).args(*keys));
        assert_eq!(sent.code, 0, "{sent:?}");
    }
    let last = wait_for("EXIT=");
    let _ = run(tmux().arg("kill-server"));
    last
}

#[test]
fn on_a_terminal_enable_preselects_the_roles_and_only_disable_now_asks_first() {
    let ns = namespace("tty");
    // A first enable preselects readonly: Enter alone is Crusoe's default.
    let screen = in_terminal(
        &CLUSTER,
        &format!("kubectl supportaccess enable -n {ns}"),
        &[("Roles support may request", &["Enter"])],
    );
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert_eq!(policy_data(&CLUSTER, &ns)["enabledRoles"], "readonly");
    // The current role is preselected; move to operator, select it, accept.
    let screen = in_terminal(
        &CLUSTER,
        &format!("kubectl supportaccess enable -n {ns}"),
        &[("Roles support may request", &["Down", "Space", "Enter"])],
    );
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert_eq!(policy_data(&CLUSTER, &ns)["enabledRoles"], "readonly,operator");

    // With a live request, `disable --now` names it and asks (with none it has nothing to ask).
    let (id, _) = crate::common::request(&CLUSTER, &ns, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    let screen = in_terminal(
        &CLUSTER,
        &format!("kubectl supportaccess disable --now -n {ns}"),
        &[("Disable support access", &["n", "Enter"])],
    );
    assert!(screen.contains("EXIT=1") && screen.contains("nothing was changed"), "{screen}");
    assert!(screen.contains(&id), "the question names the request it would revoke: {screen}");
    assert_eq!(policy_data(&CLUSTER, &ns)["enabled"], "true");
    let screen = in_terminal(
        &CLUSTER,
        &format!("kubectl supportaccess disable --now -n {ns}"),
        &[("Disable support access", &["y", "Enter"])],
    );
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert_eq!(policy_data(&CLUSTER, &ns)["enabled"], "false");

    // Plain disable is reversible and never asks, on a terminal either.
    CLUSTER.supportaccess_ok(&ns, &["enable"]);
    let screen = in_terminal(&CLUSTER, &format!("kubectl supportaccess disable -n {ns}"), &[]);
    assert!(screen.contains("EXIT=0") && !screen.contains("Disable support access on"), "{screen}");
    assert_eq!(policy_data(&CLUSTER, &ns)["enabled"], "false");
}
