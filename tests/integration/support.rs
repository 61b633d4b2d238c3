//! The support side on real control planes: requests mint real ServiceAccount tokens through the TokenRequest API,
//! and the credentials are used through real kubectl.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::common::{CLUSTER, Ran, TestCluster, eventually, namespace, own_cluster, run};

const NS: &str = "crusoe-system";

/// Runs `request` through kubectl with `-o json`; returns the id and the kubeconfig path.
fn request(cluster: &TestCluster, args: &[&str]) -> (String, PathBuf) {
    crate::common::request(cluster, NS, args)
}

/// Real kubectl with a support credential.
fn as_support(cluster: &TestCluster, kubeconfig: &Path, args: &[&str]) -> Ran {
    run(cluster.kubectl().env("KUBECONFIG", kubeconfig).args(args))
}

fn forbidden(ran: &Ran) -> bool {
    ran.code != 0 && ran.stderr.to_lowercase().contains("forbidden")
}

/// The request ServiceAccounts left in the system namespace.
pub(crate) fn accounts(cluster: &TestCluster) -> String {
    cluster.kubectl_ok(&[
        "get",
        "serviceaccounts",
        "-n",
        NS,
        "-l",
        "support-access.crusoe.ai/managed=true",
        "-o",
        "name",
    ])
}

fn events(cluster: &TestCluster) -> Vec<serde_json::Value> {
    serde_json::from_str(&cluster.supportaccess_ok(NS, &["history", "-o", "json"])).unwrap()
}

/// The `exp` claim of the kubeconfig's token.
pub(crate) fn token_expires_at(kubeconfig: &Path) -> chrono::DateTime<chrono::Utc> {
    let config: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(kubeconfig).unwrap()).unwrap();
    let token = config["users"][0]["user"]["token"].as_str().unwrap();
    use base64::Engine;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    chrono::DateTime::from_timestamp(claims["exp"].as_i64().unwrap(), 0).unwrap()
}

/// Whether a call was refused as unauthenticated (401): the credential itself is dead.
pub(crate) fn unauthorized(ran: &Ran) -> bool {
    ran.code != 0 && (ran.stderr.contains("Unauthorized") || ran.stderr.contains("provide credentials"))
}

#[test]
fn a_readonly_credential_reads_but_cannot_read_secrets_or_exec_and_revoke_ends_it_at_once() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable", "--credential-ttl", "30m"]);
    let (id, kubeconfig) = request(
        &cluster,
        &[
            "--role",
            "readonly",
            "--reason",
            "Investigating \"GPU\" node 'n1'",
            "--duration",
            "2h",
            "--requestor",
            "00uix9g0n77KrcdMq5d7",
        ],
    );
    assert_eq!(kubeconfig, cluster.credential_path(&id));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&kubeconfig).unwrap().permissions().mode() & 0o777, 0o600);

    let whoami = as_support(&cluster, &kubeconfig, &["auth", "whoami", "-o", "json"]);
    let who: serde_json::Value = serde_json::from_str(&whoami.stdout).unwrap();
    let username = who["status"]["userInfo"]["username"].as_str().unwrap();
    assert!(username.starts_with(&format!("system:serviceaccount:{NS}:crusoe-support-{id}-")), "{who}");

    eventually("listing pods cluster-wide", || as_support(&cluster, &kubeconfig, &["get", "pods", "-A"]).code == 0);
    assert!(forbidden(&as_support(&cluster, &kubeconfig, &["get", "secrets", "-A"])));
    assert!(forbidden(&as_support(&cluster, &kubeconfig, &["get", "secrets", "-n", "kube-system"])));
    let exec =
        as_support(&cluster, &kubeconfig, &["auth", "can-i", "create", "pods", "--subresource=exec", "-n", "default"]);
    assert_eq!(exec.stdout.trim(), "no");
    let logs =
        as_support(&cluster, &kubeconfig, &["auth", "can-i", "get", "pods", "--subresource=log", "-n", "kube-system"]);
    assert_eq!(logs.stdout.trim(), "yes");

    // The certificate ends no later than the request and the credential TTL.
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    let grant = &json["activeRequests"][0];
    let expires_at: chrono::DateTime<chrono::Utc> = grant["expiresAt"].as_str().unwrap().parse().unwrap();
    let requested_at: chrono::DateTime<chrono::Utc> = grant["requestedAt"].as_str().unwrap().parse().unwrap();
    let not_after = token_expires_at(&kubeconfig);
    assert!(not_after <= expires_at);
    assert!(not_after <= requested_at + chrono::Duration::minutes(30) + chrono::Duration::seconds(5));
    assert_eq!(grant["credentialExpiresAt"].as_str().unwrap(), kubectl_supportaccess::output::rfc3339(not_after));
    let text = cluster.supportaccess_ok(NS, &["get"]);
    for line in [
        format!("Request ID: {id}"),
        "Role: SUPPORT_ACCESS_ROLE_READONLY".to_string(),
        "Requestor ID: 00uix9g0n77KrcdMq5d7".to_string(),
        "Reason: Investigating \"GPU\" node 'n1'".to_string(),
        format!("Requested At: {}", grant["requestedAt"].as_str().unwrap()),
        format!("Request Expires At: {}", grant["expiresAt"].as_str().unwrap()),
        format!("Credential Expires At: {}", kubectl_supportaccess::output::rfc3339(not_after)),
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in:\n{text}");
    }
    let account = username.rsplit(':').next().unwrap();
    assert_eq!(accounts(&cluster).trim(), format!("serviceaccount/{account}"), "one ServiceAccount per request");

    // A copy kept elsewhere (revoke removes the plugin's own file): the API server refuses it.
    let kept = cluster.dir.join("kept-before-revoke.kubeconfig");
    std::fs::copy(&kubeconfig, &kept).unwrap();
    let out = cluster.supportaccess_ok(NS, &["revoke", &id]);
    assert!(out.contains(&format!("Revoked request {id}")), "{out}");
    assert!(!kubeconfig.exists(), "revoke removes the request's local credential");
    let first = as_support(&cluster, &kept, &["get", "pods", "-A"]);
    assert!(forbidden(&first) || unauthorized(&first), "refused from the first call after revoke: {first:?}");
    assert_eq!(accounts(&cluster), "", "revoke deletes the request's ServiceAccount");
    // Deleting the ServiceAccount kills the token itself, once the API server's 10 s token cache
    // lets go: polled, never timed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !unauthorized(&as_support(&cluster, &kept, &["get", "pods", "-A"])) {
        assert!(std::time::Instant::now() < deadline, "the revoked token still authenticates after 30 s");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert_eq!(cluster.managed_bindings(), Vec::<String>::new());
    let kinds: Vec<_> = events(&cluster).iter().map(|e| e["event"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["enabled", "requested", "revoked"]);
}

#[test]
fn an_operator_credential_deletes_pods_cordons_and_execs_only_in_system_namespaces() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "operator"]);
    cluster.kubectl_ok(&["create", "namespace", "team-a"]);
    for ns in ["team-a", "kube-system"] {
        cluster.kubectl_ok(&["run", "victim", "--image=registry.invalid/none", "--restart=Never", "-n", ns]);
    }
    let node = "apiVersion: v1\nkind: Node\nmetadata:\n  name: gpu-node-1\n";
    let mut child = cluster.kubectl().args(["create", "-f", "-"]).stdin(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(node.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());

    let (id, kubeconfig) = request(&cluster, &["--role", "operator", "--reason", "drain a node", "--duration", "1h"]);
    eventually("deleting a pod", || {
        as_support(&cluster, &kubeconfig, &["delete", "pod", "victim", "-n", "team-a", "--wait=false"]).code == 0
    });
    let cordon = as_support(&cluster, &kubeconfig, &["cordon", "gpu-node-1"]);
    assert_eq!(cordon.code, 0, "{cordon:?}");
    assert_eq!(cluster.kubectl_ok(&["get", "node", "gpu-node-1", "-o", "jsonpath={.spec.unschedulable}"]), "true");
    let can_exec = |ns: &str| {
        as_support(&cluster, &kubeconfig, &["auth", "can-i", "create", "pods", "--subresource=exec", "-n", ns])
            .stdout
            .trim()
            .to_string()
    };
    assert_eq!(can_exec("kube-system"), "yes");
    assert_eq!(can_exec("team-a"), "no");
    assert!(forbidden(&as_support(&cluster, &kubeconfig, &["get", "secrets", "-n", "kube-system"])));
    assert!(forbidden(&as_support(
        &cluster,
        &kubeconfig,
        &["create", "clusterrolebinding", "x", "--clusterrole=cluster-admin", "--group=crusoe-support"]
    )));

    // exec and shell run with the credential and pass the exit status through.
    let ran = cluster.supportaccess(
        NS,
        &["exec", &id, "--", "sh", "-c", "kubectl auth whoami -o jsonpath='{.status.userInfo.username}'; exit 7"],
    );
    assert_eq!(ran.code, 7, "{ran:?}");
    assert!(ran.stdout.starts_with(&format!("system:serviceaccount:{NS}:crusoe-support-{id}-")), "{ran:?}");
    let mut shell = cluster
        .kubectl()
        .args(["supportaccess", "shell", &id, "-n", NS])
        .env("SHELL", "/bin/sh")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    shell.stdin.take().unwrap().write_all(b"echo \"$SUPPORTACCESS_REQUEST $KUBECONFIG\"\nexit 3\n").unwrap();
    let output = shell.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), format!("{id} {}", kubeconfig.display()));

    // `end` is revocation by the request's own requestor.
    let kept = cluster.dir.join("kept-copy.kubeconfig");
    std::fs::copy(&kubeconfig, &kept).unwrap();
    cluster.supportaccess_ok(NS, &["end", &id]);
    eventually("refused after end", || {
        let ran = as_support(&cluster, &kept, &["get", "pods", "-A"]);
        forbidden(&ran) || unauthorized(&ran)
    });
    assert!(!kubeconfig.exists(), "end removes the local credential");
}

#[test]
fn disable_refuses_new_requests_drains_the_live_one_and_the_sweep_removes_it_after() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable", "--credential-ttl", "20m"]);
    let (id, kubeconfig) = request(&cluster, &["--role", "readonly", "--reason", "drain me", "--duration", "3h"]);
    cluster.supportaccess_ok(NS, &["disable", "--yes"]);

    let refused =
        cluster.supportaccess(NS, &["request", "--role", "readonly", "--reason", "again", "--duration", "1h"]);
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(refused.stderr.contains("disabled"), "{refused:?}");
    let renew = cluster.supportaccess(NS, &["renew", &id]);
    assert_eq!(renew.code, 3, "no renewals while disabled: {renew:?}");

    // Drained: the request now ends with its credential, and that credential still works.
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    let grant = &json["activeRequests"][0];
    assert_eq!(grant["expiresAt"], grant["credentialExpiresAt"], "{json}");
    assert_eq!(as_support(&cluster, &kubeconfig, &["get", "pods", "-A"]).code, 0);

    // Once that end has passed (written here as the current second, a second after the request:
    // no sleeping for 20 minutes), the next command sweeps the binding and records it as expired.
    std::thread::sleep(Duration::from_millis(1100));
    let now = kubectl_supportaccess::output::rfc3339(chrono::Utc::now());
    cluster.kubectl_ok(&[
        "annotate",
        "--overwrite",
        "clusterrolebinding",
        &format!("crusoe-support-{id}"),
        &format!("support-access.crusoe.ai/expires-at={now}"),
        &format!("support-access.crusoe.ai/credential-expires-at={now}"),
    ]);
    let ran = cluster.supportaccess(NS, &["get"]);
    assert!(ran.stdout.starts_with("Support Access Status: Disabled\nEnabled Roles:\nActive Requests: 0\n"), "{ran:?}");
    assert!(ran.stderr.contains(&format!("removed 1 expired request(s): {id}")), "{ran:?}");
    assert_eq!(cluster.managed_bindings(), Vec::<String>::new());
    assert!(events(&cluster).iter().any(|e| e["event"] == "expired" && e["id"] == id.as_str()));

    // disable --now revokes a live credential at once.
    cluster.supportaccess_ok(NS, &["enable"]);
    let (_, kubeconfig) = request(&cluster, &["--role", "readonly", "--reason", "now", "--duration", "1h"]);
    eventually("access", || as_support(&cluster, &kubeconfig, &["get", "pods", "-A"]).code == 0);
    let kept = cluster.dir.join("kept-before-disable.kubeconfig");
    std::fs::copy(&kubeconfig, &kept).unwrap();
    cluster.supportaccess_ok(NS, &["disable", "--now", "--yes"]);
    assert!(!kubeconfig.exists(), "disable --now removes the request's local credential");
    eventually("refused after disable --now", || {
        let ran = as_support(&cluster, &kept, &["get", "pods", "-A"]);
        forbidden(&ran) || unauthorized(&ran)
    });
}

#[test]
fn sweep_fails_closed_on_garbage_records_notices_out_of_band_removal_and_leaves_foreign_grants() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    let (garbage, _) = request(&cluster, &["--role", "readonly", "--reason", "garbage", "--duration", "1h"]);
    let (edited, _) = request(&cluster, &["--role", "readonly", "--reason", "edited", "--duration", "1h"]);
    let (gone, gone_config) = request(&cluster, &["--role", "readonly", "--reason", "gone", "--duration", "1h"]);
    // The admission guard refuses a garbage record outright…
    let refused = run(cluster.kubectl().args([
        "annotate",
        "--overwrite",
        "clusterrolebinding",
        &format!("crusoe-support-{garbage}"),
        "support-access.crusoe.ai/expires-at=next tuesday",
    ]));
    assert!(refused.code != 0 && refused.stderr.contains("crusoe-support-requests"), "{refused:?}");
    // …so the rest is planted as someone who may remove the guard would: without it. The plugin
    // says the guard is missing, and still fails closed on what was planted.
    cluster.kubectl_ok(&["delete", "validatingadmissionpolicybinding", "crusoe-support-requests"]);
    // The API server drops the guard from its admission chain a moment later.
    std::thread::sleep(Duration::from_secs(2));
    cluster.kubectl_ok(&[
        "annotate",
        "--overwrite",
        "clusterrolebinding",
        &format!("crusoe-support-{garbage}"),
        "support-access.crusoe.ai/expires-at=next tuesday",
    ]);
    cluster.kubectl_ok(&[
        "patch",
        "clusterrolebinding",
        &format!("crusoe-support-{edited}"),
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/subjects/-","value":{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"system:authenticated"}}]"#,
    ]);
    cluster.kubectl_ok(&["delete", "clusterrolebinding", &format!("crusoe-support-{gone}")]);
    cluster.kubectl_ok(&[
        "create",
        "clusterrolebinding",
        "hand-made",
        "--clusterrole=view",
        "--group=crusoe-support:someone",
    ]);
    cluster.kubectl_ok(&["create", "clusterrolebinding", "unrelated", "--clusterrole=view", "--user=alice"]);

    let get = cluster.supportaccess(NS, &["get", "-o", "json"]);
    assert!(get.stderr.contains("foreign grant: ClusterRoleBinding hand-made"), "{get:?}");
    assert!(get.stderr.contains("admission guard crusoe-support-requests is missing"), "{get:?}");
    assert!(get.stderr.contains("removed 2 binding(s) that cannot be trusted"), "{get:?}");
    let json: serde_json::Value = serde_json::from_str(&get.stdout).unwrap();
    assert_eq!(json["activeRequests"], serde_json::json!([]), "garbage is never shown as a working request");

    let ran = cluster.supportaccess(NS, &["sweep"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains(&format!("recorded 1 request(s) removed by someone else: {gone}")), "{ran:?}");
    assert!(ran.stderr.contains("foreign grant: ClusterRoleBinding hand-made"), "{ran:?}");
    assert!(!gone_config.exists(), "the worthless local credential is removed");
    let kinds: Vec<(String, String)> = events(&cluster)
        .iter()
        .filter(|e| e["id"].is_string())
        .map(|e| (e["id"].as_str().unwrap().to_string(), e["event"].as_str().unwrap().to_string()))
        .collect();
    for (id, kind) in [(&garbage, "invalid"), (&edited, "invalid"), (&gone, "removed-out-of-band")] {
        assert!(kinds.contains(&(id.clone(), kind.to_string())), "{id} {kind}: {kinds:?}");
    }
    assert_eq!(cluster.managed_bindings(), Vec::<String>::new());
    for untouched in ["hand-made", "unrelated"] {
        cluster.kubectl_ok(&["get", "clusterrolebinding", untouched]);
    }
    // A second sweep has nothing left to do and records nothing twice.
    assert!(cluster.supportaccess_ok(NS, &["sweep"]).contains("nothing to do"));
}

#[test]
fn fifty_concurrent_requests_give_fifty_working_credentials_and_fifty_history_lines() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    let children: Vec<_> = (0..50)
        .map(|i| {
            cluster
                .kubectl()
                .args(["supportaccess", "request", "-n", NS, "-o", "json", "--role", "readonly", "--duration", "1h"])
                .args(["--reason", &format!("parallel {i}"), "--request-timeout", "60s"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ids = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        ids.push(json["id"].as_str().unwrap().to_string());
    }
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 50);
    for id in &ids {
        let who = as_support(
            &cluster,
            &cluster.credential_path(id),
            &["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"],
        );
        assert!(who.stdout.contains(&format!(":crusoe-support-{id}-")), "{who:?}");
    }
    let requested = events(&cluster).iter().filter(|e| e["event"] == "requested").count();
    assert_eq!(requested, 50);
    assert_eq!(accounts(&cluster).lines().count(), 50, "one ServiceAccount per request");
    let records = cluster.managed_bindings().iter().filter(|b| b.starts_with("clusterrolebinding")).count();
    assert_eq!(records, 50, "one ClusterRoleBinding per request, nothing stray");
}

#[test]
fn a_refused_token_rolls_the_request_back_and_says_why() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    cluster.refuse_tokens();
    let ran = cluster.supportaccess(NS, &["request", "--role", "readonly", "--reason", "refused", "--duration", "1h"]);
    assert_ne!(ran.code, 0, "{ran:?}");
    assert!(ran.stderr.contains("no tokens today") && ran.stderr.contains("rolled back"), "{ran:?}");
    assert_eq!(cluster.managed_bindings(), Vec::<String>::new());
    assert_eq!(accounts(&cluster), "", "the rolled-back request's ServiceAccount is gone");
    let left = std::fs::read_dir(cluster.dir.join("xdg/kubectl-supportaccess/local")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "no kubeconfig is left");
    cluster.allow_tokens();
    request(&cluster, &["--role", "readonly", "--reason", "back", "--duration", "1h"]);
}

#[test]
fn bad_input_gets_a_clear_error_and_nothing_is_made() {
    let ns = namespace("badinput");
    CLUSTER.supportaccess_ok(&ns, &["enable", "--max-duration", "8h"]);
    let long = "x".repeat(10_000);
    let request = |duration: &str, role: &str, reason: &str| {
        vec![
            "request".to_string(),
            format!("--duration={duration}"),
            format!("--role={role}"),
            format!("--reason={reason}"),
        ]
    };
    let mut scoped = request("1h", "readonly", "r");
    scoped.push("--scope=Not_A_Namespace".into());
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (request("0", "readonly", "r"), 2, "at least 10m"),
        (request("-1h", "readonly", "r"), 2, "invalid duration"),
        (request("1y", "readonly", "r"), 2, "invalid duration"),
        (request("abc", "readonly", "r"), 2, "invalid duration"),
        (request("9h", "readonly", "r"), 3, "longer than the policy's maximum of 8h"),
        // Any ClusterRole's name may be asked for; the policy says which are allowed (issue 30).
        (request("1h", "admin", "r"), 3, "ClusterRole admin is not one support may request"),
        (request("1h", "has space", "r"), 2, "not a ClusterRole name"),
        (request("1h", "crusoe-support-debug", "r"), 2, "this plugin's own ClusterRoles"),
        (request("1h", "readonly", "  "), 3, "reason is required"),
        (request("1h", "readonly", &long), 2, "at most 1024"),
        (request("1h", "readonly", "two\nlines"), 2, "one line"),
        (scoped, 2, "not a namespace name"),
        (request("1h", "operator", "r"), 3, "role operator is not enabled"),
    ];
    for (args, code, says) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let ran = CLUSTER.supportaccess(&ns, &args);
        assert_eq!(ran.code, code, "{args:?}: {ran:?}");
        assert!(ran.stderr.contains(says), "{args:?}: {ran:?}");
        assert!(!ran.stderr.contains("panicked"), "{ran:?}");
    }
    for (args, code) in [
        (vec!["revoke", "NOT-DNS"], 2),
        (vec!["renew", "../etc"], 2),
        (vec!["exec", "x_y", "--", "true"], 2),
        (vec!["revoke", "nosuchid"], 1),
        (vec!["renew", "nosuchid"], 1),
        (vec!["end", "nosuchid"], 1),
    ] {
        let ran = CLUSTER.supportaccess(&ns, &args);
        assert_eq!(ran.code, code, "{args:?}: {ran:?}");
        assert!(ran.stderr.starts_with("error: "), "{args:?}: {ran:?}");
    }
    let history = CLUSTER.supportaccess_ok(&ns, &["history", "-o", "json"]);
    assert!(!history.contains("\"requested\""), "nothing was requested: {history}");
}

#[test]
fn exec_renews_a_credential_about_to_expire_and_refuses_an_ended_request() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    let (id, kubeconfig) = request(&cluster, &["--role", "readonly", "--reason", "renew on exec", "--duration", "2h"]);
    let before = token_expires_at(&kubeconfig);
    // Say the credential expires in a minute (rather than waiting most of an hour).
    let soon = kubectl_supportaccess::output::rfc3339(chrono::Utc::now() + chrono::Duration::minutes(1));
    cluster.kubectl_ok(&[
        "annotate",
        "--overwrite",
        "clusterrolebinding",
        &format!("crusoe-support-{id}"),
        &format!("support-access.crusoe.ai/credential-expires-at={soon}"),
    ]);
    std::thread::sleep(Duration::from_millis(1100));
    let ran = cluster.supportaccess(NS, &["exec", &id, "--", "kubectl", "auth", "whoami", "-o", "name"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(token_expires_at(&kubeconfig) > before, "exec minted a fresh token first");
    assert!(events(&cluster).iter().any(|e| e["event"] == "renewed" && e["id"] == id.as_str()));

    cluster.supportaccess_ok(NS, &["revoke", &id]);
    let ran = cluster.supportaccess(NS, &["exec", &id, "--", "true"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    // It says how the request ended (issue 41), not only that there is none.
    assert!(ran.stderr.contains(&format!("request {id} was revoked by kubernetes-admin at")), "{ran:?}");
}
