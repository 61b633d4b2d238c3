//! Hostile input, round 2: a remembered credential file another local user swapped, a binding
//! with a name no request could have, a history key that fills the ConfigMap, processes that
//! detach from `exec`, and exit codes as a shell gives them. Each was seen failing first.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{CLUSTER, Ran, TestCluster, finish, namespace, run};
use crate::hostile::{chmod, scratch};

/// A shell command run as user `nobody` (the tests run as root).
fn as_nobody(script: &str) -> Ran {
    run(Command::new("setpriv").args(["--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", script]))
}

fn request_json(cluster: &TestCluster, ns: &str, extra: &[&str]) -> Ran {
    let args =
        [&["request", "-o", "json", "--role", "readonly", "--reason", "round 2", "--duration", "1h"], extra].concat();
    cluster.supportaccess(ns, &args)
}

/// `exec ID -- CMD` in the system namespace `ns` (given before `--`, where the plugin reads it).
fn exec_in(ns: &str, id: &str, command: &[&str]) -> Ran {
    run(CLUSTER.kubectl().args(["supportaccess", "-n", ns, "exec", id, "--"]).args(command))
}

fn id_of(ran: &Ran) -> String {
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{e}: {ran:?}"));
    json["id"].as_str().unwrap().to_string()
}

/// A kubeconfig whose user runs `touch MARKER` as its credential plugin.
fn planted_kubeconfig(marker: &Path) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:1'}}}}]\n\
         users: [{{name: u, user: {{exec: {{apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, \
         args: ['-c', 'touch {}; exit 1'], interactiveMode: Never}}}}}}]\n\
         contexts: [{{name: x, context: {{cluster: c, user: u}}}}]\ncurrent-context: x\n",
        marker.display()
    )
}

#[test]
fn a_remembered_credential_file_another_user_could_write_is_refused_and_nothing_runs() {
    let ns = namespace("remembered");
    CLUSTER.supportaccess_ok(&ns, &["enable"]);

    // A sticky world-writable directory (like /tmp): a tmp cleaner removed the file, another user
    // put their own kubeconfig in its place.
    let sticky = scratch("sticky");
    chmod(&sticky, 0o1777);
    let out = sticky.join("s.kubeconfig");
    let ran = request_json(&CLUSTER, &ns, &["--kubeconfig-out", out.to_str().unwrap()]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let id = id_of(&ran);
    std::fs::remove_file(&out).unwrap();
    let marker = sticky.join("ran-as-the-owner");
    let planted = sticky.join("planted");
    std::fs::write(&planted, planted_kubeconfig(&marker)).unwrap();
    chmod(&planted, 0o644);
    let ran = as_nobody(&format!("cp {} {} && chmod 600 {}", planted.display(), out.display(), out.display()));
    assert_eq!(ran.code, 0, "{ran:?}");
    let ran = exec_in(&ns, &id, &["kubectl", "get", "pods"]);
    assert_ne!(ran.code, 0, "{ran:?}");
    assert!(ran.stderr.contains("cannot be trusted") && ran.stderr.contains("belongs to user id 65534"), "{ran:?}");
    assert!(!marker.exists(), "the planted credential plugin ran as the owner");

    // A directory others may write (not sticky): refused before anything is made.
    let open = scratch("open");
    chmod(&open, 0o777);
    let before = CLUSTER.managed_bindings().len();
    let ran = request_json(&CLUSTER, &ns, &["--kubeconfig-out", open.join("s.kubeconfig").to_str().unwrap()]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("other users may write its directory"), "{ran:?}");
    assert_eq!(CLUSTER.managed_bindings().len(), before, "no request was made");

    // A private directory opened to others after the request: exec refuses the file in it.
    let private = scratch("private");
    chmod(&private, 0o700);
    let out = private.join("s.kubeconfig");
    let ran = request_json(&CLUSTER, &ns, &["--kubeconfig-out", out.to_str().unwrap()]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let id = id_of(&ran);
    assert_eq!(exec_in(&ns, &id, &["true"]).code, 0);
    chmod(&private, 0o777);
    let ran = exec_in(&ns, &id, &["true"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("other users may write its directory"), "{ran:?}");
}

#[test]
fn a_binding_named_with_a_space_is_swept_and_breaks_no_command() {
    let ns = namespace("oddname");
    let tenant = namespace("tenant");
    CLUSTER.supportaccess_ok(&ns, &["enable"]);
    CLUSTER.kubectl_ok(&["create", "namespace", &tenant]);
    // What a tenant's namespace admin may create: RBAC allows spaces in a binding's name.
    let binding = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {
            "name": "has space",
            "namespace": tenant,
            "labels": { "support-access.crusoe.ai/managed": "true" },
        },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view" },
        "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "tenant-user" }],
    });
    let file = std::env::temp_dir().join(format!("ksa-odd-{}.json", std::process::id()));
    std::fs::write(&file, binding.to_string()).unwrap();
    CLUSTER.kubectl_ok(&["create", "-f", file.to_str().unwrap()]);

    let ran = CLUSTER.supportaccess(&ns, &["get"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(!ran.stderr.contains("invalid uri"), "{ran:?}");
    let ran = request_json(&CLUSTER, &ns, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    for args in [&["history"][..], &["sweep"], &["revoke", "--all", "--yes"], &["get"]] {
        let ran = CLUSTER.supportaccess(&ns, args);
        assert_eq!(ran.code, 0, "{args:?}: {ran:?}");
    }
    let left = run(CLUSTER.kubectl().args(["get", "rolebinding", "has space", "-n", &tenant]));
    assert_ne!(left.code, 0, "the odd managed binding was swept: {left:?}");
}

#[test]
fn a_key_that_fills_a_chunk_never_costs_the_trail_a_line() {
    let ns = namespace("fullhistory");
    CLUSTER.supportaccess_ok(&ns, &["enable"]);
    // One extra key of 1,045,000 bytes beside the lines the enable just wrote.
    let chunk = CLUSTER.chunks(&ns).pop().unwrap();
    let patch = serde_json::json!({ "data": { "zzzz": "z".repeat(1_045_000) } }).to_string();
    let patch_file = std::env::temp_dir().join(format!("ksa-filler-patch-{}", std::process::id()));
    std::fs::write(&patch_file, patch).unwrap();
    CLUSTER.kubectl_ok(&[
        "patch",
        "configmap",
        &chunk,
        "-n",
        &ns,
        "--type=merge",
        "--patch-file",
        patch_file.to_str().unwrap(),
    ]);

    let ran = request_json(&CLUSTER, &ns, &[]);
    assert_eq!(ran.code, 0, "the request still works: {ran:?}");
    let id = id_of(&ran);
    assert!(!ran.stderr.contains("room"), "{ran:?}");
    let data = CLUSTER.kubectl_ok(&["get", "configmap", &chunk, "-n", &ns, "-o", "json"]);
    let data: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(data["data"]["zzzz"].as_str().unwrap().len(), 1_045_000, "the other key is left alone");
    assert!(data["data"]["lines"].as_str().unwrap().contains("\"enabled\""), "the chunk keeps its lines");
    assert_eq!(CLUSTER.chunks(&ns).len(), 2, "the request's line opened the next part");

    let history = CLUSTER.supportaccess(&ns, &["history"]);
    assert_eq!(history.code, 0, "{history:?}");
    assert!(history.stdout.contains("enabled") && history.stdout.contains(&id), "{history:?}");
    assert!(history.stderr.contains("\"zzzz\"") && history.stderr.contains("holds no lines"), "{history:?}");
    // The Kubernetes Event records the request too.
    let events = CLUSTER.kubectl_ok(&["get", "events", "-n", &ns, "-o", "json"]);
    assert!(events.contains(&id), "no Event names request {id}");
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| !stat.contains(") Z "))
}

fn pid_in(file: &Path) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(pid) = std::fs::read_to_string(file).ok().and_then(|t| t.trim().parse().ok()) {
            return pid;
        }
        assert!(Instant::now() < deadline, "{} was never written", file.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn gone_within(pid: u32, seconds: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while alive(pid) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// `exec ID -- sh -c SCRIPT` started in the background (through kubectl, as users run it).
fn exec_in_background(cluster: &TestCluster, ns: &str, id: &str, script: &str) -> std::process::Child {
    cluster
        .kubectl()
        .args(["supportaccess", "exec", id, "-n", ns, "--", "sh", "-c", script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn what_exec_starts_cannot_escape_revocation_or_the_plugins_death() {
    let ns = namespace("escape");
    CLUSTER.supportaccess_ok(&ns, &["enable"]);
    let dir = scratch("escape");

    // The review's escape: a setsid'd watch, then revoke.
    let id = id_of(&request_json(&CLUSTER, &ns, &[]));
    let pid_file = dir.join("watch.pid");
    // The inner shell exits at once: the watch is orphaned, out of the command's tree and group.
    let script = format!(
        "setsid sh -c 'kubectl get configmaps -A -w --request-timeout=0 > /dev/null 2>&1 & echo $! > {}'; sleep 1000",
        pid_file.display()
    );
    let child = exec_in_background(&CLUSTER, &ns, &id, &script);
    let watch = pid_in(&pid_file);
    CLUSTER.supportaccess_ok(&ns, &["revoke", &id]);
    let ran = finish(child);
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(gone_within(watch, 15), "the setsid'd watch outlived the revocation");

    // The plugin stopped by SIGTERM (as `timeout` does): 143, and the command and what it
    // detached end with it.
    let id = id_of(&request_json(&CLUSTER, &ns, &[]));
    let (shell_file, detached_file) = (dir.join("shell.pid"), dir.join("detached.pid"));
    let script = format!(
        "echo $$ > {}; setsid sh -c 'sleep 1000 & echo $! > {}'; sleep 1000",
        shell_file.display(),
        detached_file.display()
    );
    let plugin = CLUSTER
        .plugin()
        .args(["exec", &id, "-n", &ns, "--", "sh", "-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (shell, detached) = (pid_in(&shell_file), pid_in(&detached_file));
    unsafe { libc::kill(plugin.id() as libc::pid_t, libc::SIGTERM) };
    let ran = finish(plugin);
    assert_eq!(ran.code, 143, "{ran:?}");
    assert!(gone_within(shell, 15) && gone_within(detached, 15), "the command outlived the plugin");

    // Killed outright (SIGKILL, nothing to handle it): the command dies with it.
    let shell_file = dir.join("shell2.pid");
    let script = format!("echo $$ > {}; sleep 1000", shell_file.display());
    let mut plugin = CLUSTER
        .plugin()
        .args(["exec", &id, "-n", &ns, "--", "sh", "-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let shell = pid_in(&shell_file);
    plugin.kill().unwrap();
    plugin.wait().unwrap();
    assert!(gone_within(shell, 15), "the command outlived the killed plugin");
}

#[test]
fn exec_exits_as_a_shell_would() {
    let ns = namespace("exitcodes");
    CLUSTER.supportaccess_ok(&ns, &["enable"]);
    let id = id_of(&request_json(&CLUSTER, &ns, &[]));
    for (script, code) in [("kill -TERM $$", 143), ("kill -INT $$", 130), ("kill -KILL $$", 137), ("exit 7", 7)] {
        let ran = exec_in(&ns, &id, &["sh", "-c", script]);
        assert_eq!(ran.code, code, "{script}: {ran:?}");
    }
    let ran = exec_in(&ns, &id, &["/nonexistent/command"]);
    assert_eq!(ran.code, 127, "{ran:?}");
    assert!(ran.stderr.contains("command not found"), "{ran:?}");
    let not_executable = scratch("noexec").join("script");
    std::fs::write(&not_executable, "#!/bin/sh\n").unwrap();
    chmod(&not_executable, 0o644);
    let ran = exec_in(&ns, &id, &[not_executable.to_str().unwrap()]);
    assert_eq!(ran.code, 126, "{ran:?}");
    assert!(ran.stderr.contains("permission denied"), "{ran:?}");
}

/// The cluster's admin kubeconfig with one more context, `hang`, whose user's credential plugin
/// never answers.
fn kubeconfig_with_a_hanging_plugin(cluster: &TestCluster, dir: &Path) -> PathBuf {
    let path = dir.join("hang.kubeconfig");
    std::fs::copy(&cluster.kubeconfig, &path).unwrap();
    let config = |args: &[&str]| {
        let ran = run(cluster.kubectl().env("KUBECONFIG", &path).arg("config").args(args));
        assert_eq!(ran.code, 0, "{ran:?}");
    };
    config(&[
        "set-credentials",
        "hanger",
        "--exec-command=sleep",
        "--exec-arg=1000",
        "--exec-api-version=client.authentication.k8s.io/v1",
        "--exec-interactive-mode=Never",
    ]);
    let cluster_name =
        run(cluster.kubectl().env("KUBECONFIG", &path).args(["config", "view", "-o", "jsonpath={.clusters[0].name}"]));
    config(&["set-context", "hang", &format!("--cluster={}", cluster_name.stdout), "--user=hanger"]);
    path
}

/// The `sleep 1000` processes a plugin run left behind (credential plugins it gave up on).
fn sleepers() -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if cmdline == b"sleep\x001000\x00" && alive(pid) {
            found.push(pid);
        }
    }
    found
}

#[test]
fn a_hanging_credential_plugin_is_stopped_at_the_timeout_and_named() {
    let dir = scratch("hang");
    let kubeconfig = kubeconfig_with_a_hanging_plugin(&CLUSTER, &dir);
    let before = sleepers();
    let plugin = |args: &[&str]| {
        let started = Instant::now();
        let ran = run(CLUSTER.plugin().env("KUBECONFIG", &kubeconfig).args(args));
        (ran, started.elapsed())
    };

    let (ran, took) = plugin(&["get", "--context", "hang", "--request-timeout", "3s"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains("the credential plugin \"sleep\" of context \"hang\" did not finish within 3s"),
        "{ran:?}"
    );
    assert!(took < Duration::from_secs(15), "get took {took:?}");

    let (ran, took) = plugin(&["get", "--all-contexts", "--request-timeout", "3s", "-o", "json"]);
    assert_eq!(ran.code, 1, "the failed context makes the fleet fail: {ran:?}");
    let rows: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(
        rows.iter().any(|r| r["context"] == "hang" && r["error"].as_str().unwrap_or("").contains("credential plugin")),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|r| r["context"] != "hang" && r["error"].is_null()),
        "the live context is reported: {rows:?}"
    );
    assert!(took < Duration::from_secs(15), "get --all-contexts took {took:?}");

    let (ran, took) = plugin(&["__complete", "exec", "--context", "hang", ""]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(took < Duration::from_secs(3), "completion took {took:?}");

    std::thread::sleep(Duration::from_millis(300));
    let left: Vec<u32> = sleepers().into_iter().filter(|pid| !before.contains(pid)).collect();
    assert!(left.is_empty(), "credential plugins left running: {left:?}");
}

#[test]
fn ended_requests_leave_no_local_credential_and_bad_policy_values_are_untrusted() {
    let ns = namespace("leftovers");
    CLUSTER.supportaccess_ok(&ns, &["enable"]);
    for ending in [&["revoke"][..], &["end"]] {
        let id = id_of(&request_json(&CLUSTER, &ns, &[]));
        let file = CLUSTER.credential_path(&id);
        assert!(file.exists(), "{}", file.display());
        CLUSTER.supportaccess_ok(&ns, &[ending, &[id.as_str()]].concat());
        assert!(!file.exists(), "{ending:?} left {}", file.display());
    }
    // Expired, then swept: a record whose end has passed (moved earlier, as a drain does).
    let id = id_of(&request_json(&CLUSTER, &ns, &[]));
    // Its end moved back to its start, as far as the guard lets an end move.
    let past = CLUSTER.kubectl_ok(&[
        "get",
        "clusterrolebinding",
        &format!("crusoe-support-{id}"),
        "-o",
        "jsonpath={.metadata.annotations.support-access\\.crusoe\\.ai/requested-at}",
    ]);
    std::thread::sleep(Duration::from_millis(1100));
    for key in ["credential-expires-at", "expires-at"] {
        CLUSTER.kubectl_ok(&[
            "annotate",
            "--overwrite",
            "clusterrolebinding",
            &format!("crusoe-support-{id}"),
            &format!("support-access.crusoe.ai/{key}={past}"),
        ]);
    }
    CLUSTER.supportaccess_ok(&ns, &["sweep"]);
    assert!(!CLUSTER.credential_path(&id).exists(), "sweep left the expired request's credential");

    for (key, value, named) in [
        ("credentialTTL", "1s", "shorter than 10m"),
        ("systemNamespaces", "kube-system,../x", "not a namespace name"),
        ("operatorNamespaces", "slurm,\u{1b}[2Jx", "not a namespace name"),
    ] {
        let patch = serde_json::json!({ "data": { key: value } }).to_string();
        CLUSTER.kubectl_ok(&["patch", "configmap", "support-access", "-n", &ns, "--type=merge", "-p", &patch]);
        let ran = CLUSTER.supportaccess(&ns, &["get"]);
        assert!(ran.stdout.starts_with("Support Access Status: Disabled"), "{key}={value:?} is trusted: {ran:?}");
        assert!(ran.stderr.contains(&format!("key \"{key}\"")) && ran.stderr.contains(named), "{ran:?}");
        assert!(!ran.stderr.contains('\u{1b}'), "{ran:?}");
        CLUSTER.supportaccess_ok(&ns, &["enable"]);
        let patch = serde_json::json!({ "data": { key: null } }).to_string();
        CLUSTER.kubectl_ok(&["patch", "configmap", "support-access", "-n", &ns, "--type=merge", "-p", &patch]);
    }
}

#[test]
fn a_kubeconfig_that_is_not_a_file_is_refused_at_once() {
    let dir = scratch("notafile");
    let fifo = dir.join("fifo");
    let made = run(Command::new("mkfifo").arg(&fifo));
    assert_eq!(made.code, 0, "{made:?}");
    for path in [Path::new("/dev/zero"), fifo.as_path()] {
        // The cluster starts on first use: outside the time measured.
        let mut plugin = CLUSTER.plugin();
        let started = Instant::now();
        let ran = run(plugin.args(["get", "--kubeconfig", path.to_str().unwrap()]));
        assert_eq!(ran.code, 1, "{ran:?}");
        assert!(ran.stderr.contains("is not a regular file"), "{ran:?}");
        assert!(started.elapsed() < Duration::from_secs(5), "{} took {:?}", path.display(), started.elapsed());
    }
}

#[test]
fn a_kubeconfig_proxy_url_is_used_as_kubectl_uses_it() {
    let dir = scratch("proxy");
    let log = dir.join("connects.log");
    let mut proxy = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/connect-proxy.py"))
        .arg(&log)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    use std::io::BufRead;
    std::io::BufReader::new(proxy.stdout.take().unwrap()).read_line(&mut port).unwrap();
    let kubeconfig = dir.join("proxied.kubeconfig");
    std::fs::copy(&CLUSTER.kubeconfig, &kubeconfig).unwrap();
    let cluster_name = run(CLUSTER.kubectl().env("KUBECONFIG", &kubeconfig).args([
        "config",
        "view",
        "-o",
        "jsonpath={.clusters[0].name}",
    ]));
    let set = run(CLUSTER.kubectl().env("KUBECONFIG", &kubeconfig).args([
        "config",
        "set",
        &format!("clusters.{}.proxy-url", cluster_name.stdout),
        &format!("http://127.0.0.1:{}", port.trim()),
    ]));
    assert_eq!(set.code, 0, "{set:?}");

    let ns = namespace("proxied");
    let ran = run(CLUSTER.plugin().env("KUBECONFIG", &kubeconfig).args(["enable", "-n", &ns]));
    let _ = proxy.kill();
    let _ = proxy.wait();
    assert_eq!(ran.code, 0, "{ran:?}");
    let connects = std::fs::read_to_string(&log).unwrap_or_default();
    let server = CLUSTER.kubectl_ok(&["config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"]);
    let authority = server.trim_start_matches("https://");
    assert!(
        connects.contains(&format!("CONNECT {authority} ")),
        "the plugin did not go through the proxy: {connects:?}"
    );
}
