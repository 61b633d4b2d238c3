//! Cluster data and local files are hostile input: text planted in the cluster never reaches the
//! terminal raw, ids never become paths unchecked, a failing request keeps the user's file, the
//! credential directory must be the user's own, and absurd durations are usage errors.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use chrono::Utc;
use kubectl_supportaccess::output::rfc3339;

use crate::common::{CLUSTER, Ran, TestCluster, namespace, own_cluster, run};

/// ESC sequences (cursor up, erase line, a window title, a colour), a right-to-left override, a
/// C1 control, a line separator and newlines.
const HOSTILE: &str = "evil\x1b[1A\x1b[2K\x1b]0;pwned\x07\x1b[31mred\u{202e}txt\u{85}nel\u{2028}\nsecond\r\tline\n";

/// True when the output could move the cursor, retitle the window or reorder what is shown.
fn disturbs_the_terminal(output: &str) -> Option<char> {
    output.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
            || matches!(c, '\u{2028}' | '\u{2029}')
    })
}

fn assert_clean(what: &str, ran: &Ran) {
    for (stream, text) in [("stdout", &ran.stdout), ("stderr", &ran.stderr)] {
        if let Some(c) = disturbs_the_terminal(text) {
            panic!("{what}: {stream} holds {c:?}: {ran:?}");
        }
    }
}

/// A directory of the test's own, removed first if a previous run left it.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ksa-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The plugin run directly with its credentials under `xdg`.
fn plugin_in(cluster: &TestCluster, xdg: &Path, ns: &str, args: &[&str]) -> Ran {
    run(cluster.plugin().env("XDG_CONFIG_HOME", xdg).args(["-n", ns]).args(args))
}

fn create_from_stdin(cluster: &TestCluster, object: &serde_json::Value) {
    let mut child = cluster.kubectl().args(["create", "-f", "-"]).stdin(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(object.to_string().as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "kubectl create failed for {object}");
}

/// The policy, written by hand rather than by `enable` (whose admission policies would refuse
/// the hand-made bindings these tests plant).
fn enabled_by_hand(cluster: &TestCluster, ns: &str) {
    cluster.kubectl_ok(&["create", "namespace", ns]);
    cluster.kubectl_ok(&[
        "create",
        "configmap",
        "support-access",
        "-n",
        ns,
        "--from-literal=enabled=true",
        "--from-literal=enabledRoles=readonly,operator",
        "--from-literal=maxDuration=72h",
    ]);
}

/// A well-formed request record, made by hand, with these requestor and reason.
fn plant_record(cluster: &TestCluster, ns: &str, id: &str, requestor: &str, reason: &str) {
    let now = Utc::now();
    let record = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {
            "name": format!("crusoe-support-{id}"),
            "labels": {
                "app.kubernetes.io/managed-by": "kubectl-supportaccess",
                "support-access.crusoe.ai/managed": "true",
                "support-access.crusoe.ai/request-id": id,
                "support-access.crusoe.ai/role": "readonly",
            },
            "annotations": {
                "support-access.crusoe.ai/requestor": requestor,
                "support-access.crusoe.ai/reason": reason,
                "support-access.crusoe.ai/requested-at": rfc3339(now),
                "support-access.crusoe.ai/expires-at": rfc3339(now + chrono::Duration::hours(2)),
                "support-access.crusoe.ai/credential-expires-at": rfc3339(now + chrono::Duration::hours(1)),
                "support-access.crusoe.ai/requested-by": "kubernetes-admin",
            },
        },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "crusoe-support-readonly" },
        "subjects": [{ "kind": "ServiceAccount", "namespace": ns, "name": format!("crusoe-support-{}-{}", id.to_lowercase().replace('_', ""), (now + chrono::Duration::hours(2)).timestamp()) }],
    });
    create_from_stdin(cluster, &record);
}

/// Writes these events as the history of the current month.
fn plant_history(cluster: &TestCluster, ns: &str, events: &[serde_json::Value]) {
    let lines: String = events.iter().map(|e| format!("{e}\n")).collect();
    let month = Utc::now().format("%Y-%m").to_string();
    cluster.kubectl_ok(&[
        "create",
        "configmap",
        "support-access-history",
        "-n",
        ns,
        &format!("--from-literal={month}={lines}"),
    ]);
}

fn history_line(event: &str, id: &str, text: &str) -> serde_json::Value {
    serde_json::json!({
        "at": rfc3339(Utc::now()), "event": event, "id": id, "role": "readonly",
        "requestor": text, "reason": text, "by": text, "detail": text,
    })
}

/// `__complete` answers with a 500 ms budget: ask until the planted request is among the answers.
fn completion_offering(cluster: &TestCluster, ns: &str, command: &str, id: &str) -> Ran {
    for _ in 0..20 {
        let ran = run(cluster.plugin().args(["__complete", command, "-n", ns, ""]));
        if ran.stdout.lines().any(|l| l.starts_with(id)) {
            return ran;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("__complete {command} never offered request {id}");
}

#[test]
fn control_characters_and_bidi_overrides_planted_in_the_cluster_never_reach_the_terminal() {
    let cluster = own_cluster();
    let ns = &namespace("hostile");
    enabled_by_hand(&cluster, ns);
    let foreign = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": { "name": "hand-made" },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view" },
        "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": format!("crusoe-support{HOSTILE}") }],
    });
    create_from_stdin(&cluster, &foreign);
    plant_record(&cluster, ns, "hostile1", HOSTILE, HOSTILE);
    // A record whose id is a valid label value but no DNS-1123 label.
    plant_record(&cluster, ns, "Not_Dns", "someone", "an id that is no DNS-1123 label");
    plant_history(&cluster, ns, &[history_line("requested", "hostile1", HOSTILE)]);

    for args in
        [vec!["get"], vec!["get", "-o", "table"], vec!["history"], vec!["history", "-o", "table"], vec!["sweep"]]
    {
        let ran = cluster.supportaccess(ns, &args);
        assert_eq!(ran.code, 0, "{args:?}: {ran:?}");
        assert_clean(&format!("{args:?}"), &ran);
    }
    let get = cluster.supportaccess_ok(ns, &["get"]);
    assert!(get.contains("Reason: evil\\u{1b}[1A\\u{1b}[2K\\u{1b}]0;pwned\\u{7}\\u{1b}[31mred\\u{202e}txt"), "{get}");
    let warned = cluster.supportaccess(ns, &["get"]).stderr;
    assert!(warned.contains(
        "foreign grant: ClusterRoleBinding hand-made gives ClusterRole view to Group crusoe-supportevil\\u{1b}"
    ));

    for command in ["renew", "revoke"] {
        let ran = completion_offering(&cluster, ns, command, "hostile1");
        let lines: Vec<&str> = ran.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "one candidate and the directive, no other id: {ran:?}");
        // Cobra's protocol: the candidate, one tab, its description.
        let (candidate, description) = lines[0].split_once('\t').unwrap();
        assert_eq!(candidate, "hostile1");
        assert_eq!(disturbs_the_terminal(description), None, "__complete {command}: {ran:?}");
        assert_eq!(disturbs_the_terminal(&ran.stderr), None, "__complete {command}: {ran:?}");
    }

    // Machines get the exact text.
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(ns, &["get", "-o", "json"])).unwrap();
    let planted = json["activeRequests"].as_array().unwrap().iter().find(|g| g["id"] == "hostile1").unwrap();
    assert_eq!(planted["reason"], HOSTILE);
    assert_eq!(planted["requestor"], HOSTILE);
    assert!(json["foreignGrants"][0]["subjects"][0].as_str().unwrap().ends_with(HOSTILE), "{json}");
    let history: Vec<serde_json::Value> =
        serde_json::from_str(&cluster.supportaccess_ok(ns, &["history", "-o", "json"])).unwrap();
    assert_eq!(history[0]["reason"], HOSTILE);
    assert_eq!(history[0]["by"], HOSTILE);
    assert_eq!(history[0]["detail"], HOSTILE);
}

#[test]
fn ids_in_the_history_never_become_paths_of_files_the_sweep_deletes() {
    let ns = namespace("pathid");
    let scratch = scratch("pathid");
    let xdg = scratch.join("xdg");
    let credentials = xdg.join("kubectl-supportaccess/local");
    std::fs::create_dir_all(&credentials).unwrap();
    chmod(&xdg.join("kubectl-supportaccess"), 0o700);
    chmod(&credentials, 0o700);
    let victim_dir = scratch.join("elsewhere");
    std::fs::create_dir_all(&victim_dir).unwrap();
    let absolute = victim_dir.join("victim");
    let victim = victim_dir.join("victim.kubeconfig");
    // `../../victim2` beside the credential directory resolves to XDG_CONFIG_HOME/victim2.
    let victim2 = xdg.join("victim2.kubeconfig");
    for file in [&victim, &victim2] {
        std::fs::write(file, "not yours to delete\n").unwrap();
    }
    CLUSTER.kubectl_ok(&["create", "namespace", &ns]);
    // Requested and never ended: the sweep believes both were removed by someone else.
    plant_history(
        &CLUSTER,
        &ns,
        &[
            history_line("requested", absolute.to_str().unwrap(), "planted"),
            history_line("requested", "../../victim2", "planted"),
        ],
    );
    for args in [["history"], ["sweep"], ["get"]] {
        let ran = plugin_in(&CLUSTER, &xdg, &ns, &args);
        assert_eq!(ran.code, 0, "{args:?}: {ran:?}");
        assert!(victim.exists(), "{args:?} deleted {}: {ran:?}", victim.display());
        assert!(victim2.exists(), "{args:?} deleted {}: {ran:?}", victim2.display());
    }
    let events: Vec<serde_json::Value> =
        serde_json::from_str(&CLUSTER.supportaccess_ok(&ns, &["history", "-o", "json"])).unwrap();
    assert_eq!(events.iter().filter(|e| e["event"] == "removed-out-of-band").count(), 2, "{events:?}");
    std::fs::remove_dir_all(scratch).unwrap();
}

#[test]
fn a_failing_request_keeps_the_kubeconfig_out_file_it_did_not_write() {
    let cluster = own_cluster();
    let ns = "crusoe-system";
    let scratch = scratch("keep");
    let precious = scratch.join("precious.kubeconfig");
    let content = "apiVersion: v1\nkind: Config\n# the user's own file\n";
    std::fs::write(&precious, content).unwrap();
    let out = format!("--kubeconfig-out={}", precious.display());
    let request = ["request", "--role", "readonly", "--reason", "keep my file", "--duration", "1h", &out];

    // Refused before anything is made: access is not enabled.
    let refused = cluster.supportaccess(ns, &request);
    assert_eq!(refused.code, 3, "{refused:?}");
    assert_eq!(std::fs::read_to_string(&precious).ok().as_deref(), Some(content));

    // Failing after the bindings exist: an owner's policy refuses every token.
    cluster.supportaccess_ok(ns, &["enable"]);
    cluster.refuse_tokens();
    let failed = cluster.supportaccess(ns, &request);
    cluster.allow_tokens();
    assert_ne!(failed.code, 0, "{failed:?}");
    assert!(failed.stderr.contains("rolled back"), "{failed:?}");
    let kept = std::fs::read_to_string(&precious).ok();
    assert_eq!(kept.as_deref(), Some(content), "the failing request removed or changed it: {failed:?}");
    assert_eq!(cluster.managed_bindings(), Vec::<String>::new());
    std::fs::remove_dir_all(scratch).unwrap();
}

/// Refused (exit 1) before any command ran, in a sentence naming the directory and the fix.
fn refused_naming(ran: &Ran, dir: &Path, fix: &str) {
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(!ran.stdout.contains("ran"), "the command ran: {ran:?}");
    assert!(ran.stderr.contains(&dir.display().to_string()), "names {}: {ran:?}", dir.display());
    assert!(ran.stderr.contains(fix), "says how to fix it ({fix}): {ran:?}");
}

#[test]
fn a_credential_directory_others_can_write_or_own_is_refused_like_ssh() {
    let cluster = own_cluster();
    let ns = "crusoe-system";
    cluster.supportaccess_ok(ns, &["enable"]);
    let xdg = scratch("perms").join("xdg");
    let plugin_dir = xdg.join("kubectl-supportaccess");
    let credentials = plugin_dir.join("local");
    std::fs::create_dir_all(&credentials).unwrap();
    chmod(&plugin_dir, 0o700);
    chmod(&credentials, 0o777);
    let request = ["request", "--role", "readonly", "--reason", "perms", "--duration", "1h", "-o", "json"];

    refused_naming(&plugin_in(&cluster, &xdg, ns, &request), &credentials, "chmod 700");
    assert_eq!(std::fs::read_dir(&credentials).unwrap().count(), 0, "nothing is written there");
    assert_eq!(cluster.managed_bindings(), Vec::<String>::new(), "nothing is made in the cluster");

    chmod(&credentials, 0o700);
    chmod(&plugin_dir, 0o777);
    refused_naming(&plugin_in(&cluster, &xdg, ns, &request), &plugin_dir, "chmod 700");

    chmod(&plugin_dir, 0o700);
    let made = plugin_in(&cluster, &xdg, ns, &request);
    assert_eq!(made.code, 0, "{made:?}");
    let id = serde_json::from_str::<serde_json::Value>(&made.stdout).unwrap()["id"].as_str().unwrap().to_string();
    let exec = ["exec", id.as_str(), "--", "sh", "-c", "echo ran"];
    assert_eq!(plugin_in(&cluster, &xdg, ns, &exec).stdout, "ran\n");

    // Another user could swap the kubeconfig, whose `exec:` plugin the child would then run.
    chmod(&credentials, 0o777);
    refused_naming(&plugin_in(&cluster, &xdg, ns, &exec), &credentials, "chmod 700");

    // Another user's directory, private or not (only root can give it away to check this).
    chmod(&credentials, 0o700);
    if std::os::unix::fs::chown(&credentials, Some(65534), None).is_ok() {
        refused_naming(&plugin_in(&cluster, &xdg, ns, &exec), &credentials, "remove it");
    }
    std::fs::remove_dir_all(xdg.parent().unwrap()).unwrap();
}

#[test]
fn absurd_timeouts_and_durations_are_usage_errors_not_panics() {
    let ns = namespace("absurd");
    CLUSTER.supportaccess_ok(&ns, &["enable", "--max-duration", "72h"]);
    let request = |extra: &[&'static str]| -> Vec<&'static str> {
        [&["request", "--role", "readonly", "--reason", "absurd", "--duration", "1h"], extra].concat()
    };
    for (args, names) in [
        (vec!["get", "--request-timeout", "18446744073709551615"], "--request-timeout"),
        (request(&["--request-timeout", "10000000000000"]), "--request-timeout"),
        (request(&["--request-timeout", "25h"]), "--request-timeout"),
        (vec!["request", "--role", "readonly", "--reason", "absurd", "--duration", "100000000h"], "--duration"),
        (vec!["request", "--role", "readonly", "--reason", "absurd", "--duration", "9000h"], "--duration"),
        (vec!["enable", "--max-duration", "9000h"], "--max-duration"),
        (vec!["history", "--since", "100000000h"], "--since"),
    ] {
        let ran = CLUSTER.supportaccess(&ns, &args);
        assert_eq!(ran.code, 2, "{args:?}: {ran:?}");
        assert!(ran.stderr.contains(names), "{args:?} names the flag: {ran:?}");
        assert!(!ran.stderr.contains("panicked"), "{args:?}: {ran:?}");
    }
    let history = CLUSTER.supportaccess_ok(&ns, &["history", "-o", "json"]);
    assert!(!history.contains("\"requested\""), "nothing was requested: {history}");
}
