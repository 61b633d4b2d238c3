//! Connecting as kubectl does: plugin discovery, context selection, KUBECONFIG merging, and
//! errors for people when the server is unreachable, the user is denied or the flags are wrong.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use crate::common::{CLUSTER, Ran, namespace, run};

/// The admin kubeconfig's server, CA and client credentials, under new names.
fn admin_entries(context: &str, cluster: &str, server: Option<&str>) -> (String, String, String) {
    let admin: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&CLUSTER.kubeconfig).unwrap()).unwrap();
    let real = &admin["clusters"][0]["cluster"];
    let user = &admin["users"][0]["user"];
    let server = server.unwrap_or(real["server"].as_str().unwrap());
    let cluster_entry = format!(
        "- name: {cluster}\n  cluster:\n    server: {server}\n    certificate-authority-data: {}\n",
        real["certificate-authority-data"].as_str().unwrap()
    );
    let user_entry = format!(
        "- name: {context}-user\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n",
        user["client-certificate-data"].as_str().unwrap(),
        user["client-key-data"].as_str().unwrap()
    );
    let context_entry = format!("- name: {context}\n  context:\n    cluster: {cluster}\n    user: {context}-user\n");
    (cluster_entry, user_entry, context_entry)
}

/// Writes a kubeconfig with the given contexts: (context, cluster, server or None for the real one).
fn write_kubeconfig(dir: &Path, file: &str, current: &str, contexts: &[(&str, &str, Option<&str>)]) -> PathBuf {
    let (mut clusters, mut users, mut ctxs) = (String::new(), String::new(), String::new());
    for (context, cluster, server) in contexts {
        let (c, u, x) = admin_entries(context, cluster, *server);
        clusters += &c;
        users += &u;
        ctxs += &x;
    }
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {current}\nclusters:\n{clusters}users:\n{users}contexts:\n{ctxs}"
    );
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(namespace("kubeconfigs"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn disabled(ran: &Ran) -> bool {
    ran.code == 0 && ran.stdout.starts_with("Support Access Status: Disabled\n")
}

#[test]
fn kubectl_finds_the_plugin_and_version_shows_both_versions() {
    let ran = run(CLUSTER.kubectl().args(["supportaccess", "version"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains(&format!("Client Version: v{}", env!("CARGO_PKG_VERSION"))), "{ran:?}");
    assert!(ran.stdout.contains(&format!("Server Version: {}", crate::common::server_minor())), "{ran:?}");

    let ran = run(CLUSTER.kubectl().args(["supportaccess", "version", "-o", "json"]));
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(json["clientVersion"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(json["serverVersion"]["gitVersion"].as_str().unwrap().starts_with(&crate::common::server_minor()));
}

#[test]
fn get_through_kubectl_on_a_new_cluster_says_disabled() {
    let ns = namespace("fresh");
    let ran = run(CLUSTER.kubectl().args(["supportaccess", "get", "-n", &ns]));
    assert_eq!(ran.stdout, "Support Access Status: Disabled\nEnabled Roles:\nActive Requests: 0\n", "{ran:?}");
    assert_eq!(ran.code, 0);
}

#[test]
fn cluster_argument_selects_a_context_by_context_name_or_cluster_name() {
    let dir = tempdir();
    let unreachable = format!("https://127.0.0.1:{}", closed_port());
    let config = write_kubeconfig(
        &dir,
        "two.yaml",
        "broken",
        &[("broken", "broken-cluster", Some(&unreachable)), ("good", "good-cluster", None)],
    );
    let ns = namespace("select");
    let get = |extra: &[&str]| run(CLUSTER.plugin().env("KUBECONFIG", &config).args(["get", "-n", &ns]).args(extra));
    assert!(disabled(&get(&["good"])), "{:?}", get(&["good"]));
    assert!(disabled(&get(&["good-cluster"])), "{:?}", get(&["good-cluster"]));
    assert!(disabled(&get(&["--context", "good"])));
    let current = get(&[]);
    assert_eq!(current.code, 1, "the current context is the unreachable one: {current:?}");
    assert!(current.stderr.contains(&unreachable), "{current:?}");
}

#[test]
fn an_unknown_context_is_a_clear_error_listing_the_contexts() {
    let dir = tempdir();
    let config = write_kubeconfig(&dir, "one.yaml", "good", &[("good", "good-cluster", None)]);
    for args in [vec!["get", "staging"], vec!["get", "--context", "staging"]] {
        let ran = run(CLUSTER.plugin().env("KUBECONFIG", &config).args(&args));
        assert_eq!(ran.code, 1, "{ran:?}");
        assert!(ran.stderr.contains("\"staging\""), "{ran:?}");
        assert!(ran.stderr.contains("available contexts: good"), "{ran:?}");
    }
}

#[test]
fn kubeconfig_list_is_merged_first_file_wins_and_missing_files_are_skipped() {
    let dir = tempdir();
    let unreachable = format!("https://127.0.0.1:{}", closed_port());
    let first = write_kubeconfig(&dir, "a.yaml", "a", &[("a", "a-cluster", Some(&unreachable))]);
    let second = write_kubeconfig(&dir, "b.yaml", "b", &[("b", "b-cluster", None)]);
    let list = std::env::join_paths([first.clone(), dir.join("missing.yaml"), second.clone()]).unwrap();
    let ns = namespace("merge");
    let by_name = run(CLUSTER.plugin().env("KUBECONFIG", &list).args(["get", "b", "-n", &ns]));
    assert!(disabled(&by_name), "a context of the second file is found: {by_name:?}");
    let current = run(CLUSTER.plugin().env("KUBECONFIG", &list).args(["get", "-n", &ns]));
    assert!(current.stderr.contains(&unreachable), "current-context comes from the first file: {current:?}");
    let reversed = std::env::join_paths([second, first]).unwrap();
    assert!(disabled(&run(CLUSTER.plugin().env("KUBECONFIG", &reversed).args(["get", "-n", &ns]))));
}

#[test]
fn an_unreachable_server_is_named_and_the_timeout_is_kept() {
    let dir = tempdir();
    let refused = format!("https://127.0.0.1:{}", closed_port());
    let config = write_kubeconfig(&dir, "refused.yaml", "x", &[("x", "x", Some(&refused))]);
    let ran = run(CLUSTER.plugin().env("KUBECONFIG", &config).args(["get"]));
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains(&format!("cannot reach the Kubernetes API server at {refused}")), "{ran:?}");

    // A server that accepts connections and never answers: the timeout must end the wait.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let config = write_kubeconfig(&dir, "silent.yaml", "y", &[("y", "y", Some(&url))]);
    let mut child = CLUSTER
        .plugin()
        .env("KUBECONFIG", &config)
        .args(["get", "--request-timeout", "1s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A generous bound, only to tell "ended by its timeout" from "hangs"; this is not a speed test.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "get hung past --request-timeout 1s");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let ran = run_output(child.wait_with_output().unwrap());
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains(&url) && ran.stderr.contains("did not answer within 1s"), "{ran:?}");
    drop(silent);
}

fn run_output(output: std::process::Output) -> Ran {
    Ran {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn a_user_without_rights_gets_exit_4_naming_the_denied_permission() {
    let nobody = CLUSTER.user("nobody", &[]);
    let ns = namespace("denied");
    let ran = run(CLUSTER.plugin().env("KUBECONFIG", &nobody).args(["get", "-n", &ns]));
    assert_eq!(ran.code, 4, "{ran:?}");
    // `get` makes its reads at once: whichever is refused first is named, verb, resource and scope.
    let cluster_wide = [
        "clusterrolebindings.rbac.authorization.k8s.io",
        "rolebindings.rbac.authorization.k8s.io",
        "clusterroles.rbac.authorization.k8s.io",
        "validatingadmissionpolicies.admissionregistration.k8s.io",
        "validatingadmissionpolicybindings.admissionregistration.k8s.io",
    ];
    let names_it = ran.stderr.contains(&format!("forbidden: nobody may not get configmaps in namespace {ns}"))
        || cluster_wide
            .iter()
            .any(|resource| ran.stderr.contains(&format!("forbidden: nobody may not list {resource} cluster-wide")));
    assert!(names_it, "{ran:?}");
}

#[test]
fn rejected_credentials_say_so() {
    let dir = tempdir();
    let admin: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&CLUSTER.kubeconfig).unwrap()).unwrap();
    let cluster = &admin["clusters"][0]["cluster"];
    let config = dir.join("token.yaml");
    std::fs::write(
        &config,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster:\n    server: {}\n    certificate-authority-data: {}\nusers:\n- name: t\n  user:\n    token: expired-or-bogus\ncontexts:\n- name: t\n  context: {{cluster: t, user: t}}\n",
            cluster["server"].as_str().unwrap(),
            cluster["certificate-authority-data"].as_str().unwrap()
        ),
    )
    .unwrap();
    let ran = run(CLUSTER.plugin().env("KUBECONFIG", &config).args(["get"]));
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("401 Unauthorized") && ran.stderr.contains("expired"), "{ran:?}");
}

#[test]
fn an_exec_credential_plugin_is_used() {
    let dir = tempdir();
    let admin: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&CLUSTER.kubeconfig).unwrap()).unwrap();
    let cluster = &admin["clusters"][0]["cluster"];
    let user = &admin["users"][0]["user"];
    let decode = |key: &str| {
        let out = std::process::Command::new("base64")
            .arg("-d")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        out.stdin.as_ref().unwrap().write_all(user[key].as_str().unwrap().as_bytes()).unwrap();
        String::from_utf8(out.wait_with_output().unwrap().stdout).unwrap()
    };
    let credential = serde_json::json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"clientCertificateData": decode("client-certificate-data"), "clientKeyData": decode("client-key-data")}
    });
    let script = dir.join("credential-plugin");
    std::fs::write(&script, format!("#!/bin/sh\ncat <<'JSON'\n{credential}\nJSON\n")).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let config = dir.join("exec.yaml");
    std::fs::write(
        &config,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: e\nclusters:\n- name: e\n  cluster:\n    server: {}\n    certificate-authority-data: {}\nusers:\n- name: e\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\ncontexts:\n- name: e\n  context: {{cluster: e, user: e}}\n",
            cluster["server"].as_str().unwrap(),
            cluster["certificate-authority-data"].as_str().unwrap(),
            script.display()
        ),
    )
    .unwrap();
    let ns = namespace("exec");
    let ran = run(CLUSTER.plugin().env("KUBECONFIG", &config).args(["get", "-n", &ns]));
    assert!(disabled(&ran), "{ran:?}");
}

#[test]
fn bad_flags_and_values_are_usage_errors() {
    for args in [
        vec!["get", "--no-such-flag"],
        vec!["get", "-o", "xml"],
        vec!["get", "--request-timeout", "soon"],
        vec!["no-such-command"],
        vec!["revoke"],
    ] {
        let ran = run(CLUSTER.plugin().args(&args));
        assert_eq!(ran.code, 2, "{args:?}: {ran:?}");
    }
    let ran = run(CLUSTER.kubectl().args(["supportaccess", "get", "-o", "xml"]));
    assert_eq!(ran.code, 2, "through kubectl too: {ran:?}");
}

#[test]
fn a_bad_kubeconfig_is_named_with_what_is_wrong() {
    let dir = tempdir();
    let broken = dir.join("broken.yaml");
    std::fs::write(&broken, "apiVersion: v1\nkind: Config\nclusters: [this is: not valid\n").unwrap();
    let ran = run(CLUSTER.plugin().env("KUBECONFIG", &broken).args(["get"]));
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains(&format!("the kubeconfig {} is not valid", broken.display())), "{ran:?}");
    let missing = dir.join("missing.yaml");
    let ran = run(CLUSTER.plugin().arg("--kubeconfig").arg(&missing).arg("get"));
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains(&format!("the kubeconfig {} does not exist", missing.display())), "{ran:?}");
}

/// A proxy process, stopped when the test ends however it ends.
struct Proxy(std::process::Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The API server behind a TLS proxy that agrees only to `protocols` (ALPN); returns the proxy,
/// a kubeconfig for it and the file where it logs each connection's agreed protocol.
fn behind_alpn_proxy(protocols: &str) -> (Proxy, PathBuf, PathBuf) {
    use std::io::{BufRead, BufReader};
    let dir = tempdir();
    let log = dir.join(format!("alpn-{}.log", protocols.replace('/', "")));
    let mut proxy = std::process::Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/alpn-proxy.py"))
        .args([CLUSTER.dir.as_os_str(), protocols.as_ref(), log.as_os_str()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs the ALPN proxy");
    let mut port = String::new();
    BufReader::new(proxy.stdout.as_mut().unwrap()).read_line(&mut port).unwrap();
    let server = format!("https://127.0.0.1:{}", port.trim());
    let kubeconfig = write_kubeconfig(&dir, &format!("alpn-{}", port.trim()), "p", &[("p", "p", Some(&server))]);
    (Proxy(proxy), kubeconfig, log)
}

fn agreed_protocols(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log).unwrap_or_default().lines().map(str::to_string).collect()
}

#[test]
fn the_plugin_speaks_http2_on_one_connection_for_concurrent_calls() {
    let (_proxy, kubeconfig, log) = behind_alpn_proxy("h2,http/1.1");
    let ns = namespace("http2");
    let kubeconfig_env = kubeconfig.to_str().unwrap();
    let ran = run(CLUSTER.plugin().env("KUBECONFIG", kubeconfig_env).args(["enable", "--yes", "-n", &ns]));
    assert_eq!(ran.code, 0, "{ran:?}");
    std::fs::write(&log, "").unwrap();
    // `get` reads everything at once: over HTTP/2 the calls share one connection.
    let ran = run(CLUSTER.plugin().env("KUBECONFIG", kubeconfig_env).args(["get", "-n", &ns]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.starts_with("Support Access Status: Enabled\n"), "{ran:?}");
    assert_eq!(agreed_protocols(&log), ["h2"]);
}

#[test]
fn behind_a_proxy_without_http2_every_call_uses_http1() {
    let (_proxy, kubeconfig, log) = behind_alpn_proxy("http/1.1");
    let ns = namespace("http1");
    let kubeconfig_env = kubeconfig.to_str().unwrap();
    for args in [
        &["enable", "--yes"][..],
        &["get"],
        &["request", "--role", "readonly", "--reason", "INC-1 HTTP/1.1", "--duration", "1h"],
    ] {
        let ran = run(CLUSTER.plugin().env("KUBECONFIG", kubeconfig_env).args(args).args(["-n", &ns]));
        assert_eq!(ran.code, 0, "{args:?}: {ran:?}");
    }
    // The first connection offered both and was given HTTP/1.1; the fallback offers nothing
    // ("None": without ALPN, TLS carries HTTP/1.1 only).
    let agreed = agreed_protocols(&log);
    assert_eq!(agreed.first().map(String::as_str), Some("http/1.1"), "{agreed:?}");
    assert!(agreed.iter().all(|p| p == "http/1.1" || p == "None"), "{agreed:?}");
    let ran = run(CLUSTER.plugin().env("KUBECONFIG", kubeconfig_env).args(["get", "-o", "json", "-n", &ns]));
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(json["activeRequests"].as_array().map(Vec::len), Some(1), "{ran:?}");
}
