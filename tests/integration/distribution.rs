//! Distribution with the real tools: the packed archive and rendered manifest installed by real
//! krew, and completion of `kubectl supportaccess …` through real kubectl and a real bash.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{CLUSTER, Ran, TestCluster, namespace, own_cluster, plugin_path, run};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(namespace(name));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn output_line(ran: &Ran, what: &str) -> String {
    assert_eq!(ran.code, 0, "{what}: {ran:?}");
    ran.stdout.lines().last().unwrap_or_default().trim().to_string()
}

/// Serves one file over HTTP on 127.0.0.1, for krew's download step; nothing leaves the machine.
fn serve(file: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let body = std::fs::read(&file).unwrap_or_default();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
        }
    });
    url
}

/// PATH of only the given directories and the system's.
fn path_of(dirs: &[&Path]) -> String {
    let mut all: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    all.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
    std::env::join_paths(all).unwrap().into_string().unwrap()
}

#[test]
fn krew_installs_the_packed_archive_and_kubectl_runs_the_installed_plugin() {
    let krew_bin =
        PathBuf::from(output_line(&run(&mut Command::new(repo().join("tests/tools/build-krew"))), "build-krew"));
    let work = tempdir("krew");
    let packed = run(Command::new(repo().join("scripts/dist"))
        .env("BINARY", plugin_path())
        .env("DIST_DIR", work.join("dist"))
        .env("NO_MANIFEST", "1"));
    let archive = PathBuf::from(output_line(&packed, "scripts/dist"));
    let sha256 = packed.stdout.lines().next().unwrap().to_string();
    assert_eq!(sha256.len(), 64, "{packed:?}");
    let listing = run(Command::new("tar").arg("-tzf").arg(&archive));
    assert_eq!(listing.stdout, "kubectl-supportaccess\nLICENSE\n", "the archive holds the binary and LICENSE");

    let url = serve(archive.clone());
    let manifest_dir = work.join("manifest");
    std::fs::create_dir_all(&manifest_dir).unwrap();
    let manifest = manifest_dir.join("supportaccess.yaml");
    let version = format!("v{}", env!("CARGO_PKG_VERSION"));
    let rendered = run(Command::new("python3")
        .arg(repo().join("krew/render.py"))
        .args(["--version", &version, "--base-uri", &url, "--out"])
        .arg(&manifest)
        .arg(&archive));
    assert_eq!(rendered.code, 0, "{rendered:?}");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains(&format!("sha256: {sha256}")), "{text}");

    let krew_root = work.join("krew-root");
    let kubectl_dir = CLUSTER.bin.clone();
    let path = path_of(&[&krew_root.join("bin"), &krew_bin, &kubectl_dir]);
    let tool = |program: &Path| {
        let mut command = Command::new(program);
        command.env("PATH", &path).env("KREW_ROOT", &krew_root).env("KUBECONFIG", &CLUSTER.kubeconfig);
        command
    };
    // The validator installs every platform of the manifest with real krew (downloading over loopback).
    let validated = run(tool(&krew_bin.join("validate-krew-manifest")).arg("-manifest").arg(&manifest));
    assert_eq!(validated.code, 0, "{validated:?}");
    assert!(validated.stderr.contains("all 1 spec.platforms installed fine"), "{validated:?}");

    // krew wants a plugin index on first use; offline, a local git repository is its index.
    let index = krew_root.join("index/default");
    std::fs::create_dir_all(index.join("plugins")).unwrap();
    for args in [
        &["init", "-q"][..],
        &[
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@invalid",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "local index",
        ],
    ] {
        let git = run(Command::new("git").arg("-C").arg(&index).args(args));
        assert_eq!(git.code, 0, "{git:?}");
    }
    let kubectl = kubectl_dir.join("kubectl");
    let installed = run(tool(&kubectl)
        .args(["krew", "install"])
        .arg(format!("--manifest={}", manifest.display()))
        .arg(format!("--archive={}", archive.display())));
    assert_eq!(installed.code, 0, "{installed:?}");
    assert!(installed.stderr.contains("Installed plugin: supportaccess"), "{installed:?}");
    let plugins = run(tool(&kubectl).args(["plugin", "list"]));
    assert!(plugins.stdout.contains(&krew_root.join("bin/kubectl-supportaccess").display().to_string()), "{plugins:?}");
    let version_out = run(tool(&kubectl).args(["supportaccess", "version"]));
    assert_eq!(version_out.code, 0, "{version_out:?}");
    assert!(
        version_out.stdout.contains(&format!("Client Version: {version}"))
            && version_out.stdout.contains(&format!("Server Version: {}", crate::common::server_minor())),
        "{version_out:?}"
    );

    // The completion shim goes next to the plugin, in krew's bin directory, by default.
    let shim = run(tool(&kubectl).args(["supportaccess", "completion", "--install-kubectl-shim"]));
    assert_eq!(shim.code, 0, "{shim:?}");
    assert!(krew_root.join("bin/kubectl_complete-supportaccess").exists(), "{shim:?}");
    let completed = run(tool(&kubectl).args(["__complete", "supportaccess", "ver"]));
    assert!(completed.stdout.starts_with("version\t"), "{completed:?}");

    let removed = run(tool(&kubectl).args(["krew", "uninstall", "supportaccess"]));
    assert_eq!(removed.code, 0, "{removed:?}");
    assert!(!krew_root.join("bin/kubectl-supportaccess").exists());
    let _ = std::fs::remove_dir_all(work);
}

/// A directory with the plugin and the completion shim, as `completion --install-kubectl-shim` makes it.
fn plugin_with_shim() -> PathBuf {
    let dir = tempdir("shim");
    std::os::unix::fs::symlink(plugin_path(), dir.join("kubectl-supportaccess")).unwrap();
    let ran = run(Command::new(plugin_path()).args(["completion", "--install-kubectl-shim"]).arg(&dir));
    assert_eq!(ran.code, 0, "{ran:?}");
    dir
}

fn complete(cluster: &TestCluster, shim: &Path, words: &[&str]) -> (Vec<String>, String) {
    let ran = run(cluster
        .kubectl()
        .env("PATH", path_of(&[shim, &cluster.bin]))
        .args(["__complete", "supportaccess"])
        .args(words));
    assert_eq!(ran.code, 0, "{ran:?}");
    let mut lines: Vec<String> = ran.stdout.lines().map(|l| l.split('\t').next().unwrap().to_string()).collect();
    let directive = lines.pop().unwrap_or_default();
    (lines, directive)
}

#[test]
fn kubectl_completes_subcommands_live_request_ids_and_contexts_and_never_hangs() {
    let cluster = own_cluster();
    let shim = plugin_with_shim();
    let (subcommands, directive) = complete(&cluster, &shim, &[""]);
    for name in [
        "enable",
        "disable",
        "get",
        "request",
        "renew",
        "revoke",
        "exec",
        "shell",
        "sweep",
        "history",
        "roles",
        "uninstall",
        "completion",
        "version",
    ] {
        assert!(subcommands.contains(&name.to_string()), "{name}: {subcommands:?}");
    }
    assert_eq!(directive, ":4");
    let (roles, _) = complete(&cluster, &shim, &["request", "--role", ""]);
    assert_eq!(roles, ["readonly", "operator"]);

    // The ClusterRoles the owner allows come from the cluster's policy.
    cluster.supportaccess_ok("crusoe-system", &["enable", "--clusterroles", "view,edit/namespaced"]);
    let (roles, _) = complete(&cluster, &shim, &["request", "--role", ""]);
    assert_eq!(roles, ["readonly", "operator", "edit", "view"]);
    let out = cluster.supportaccess_ok(
        "crusoe-system",
        &["request", "--role", "readonly", "--reason", "tab", "--duration", "1h", "-o", "json"],
    );
    let id = serde_json::from_str::<serde_json::Value>(&out).unwrap()["id"].as_str().unwrap().to_string();
    let (ids, _) = complete(&cluster, &shim, &["revoke", ""]);
    assert_eq!(ids, std::slice::from_ref(&id));
    let (ids, _) = complete(&cluster, &shim, &["exec", &id[..2]]);
    assert_eq!(ids, std::slice::from_ref(&id));
    let (contexts, _) = complete(&cluster, &shim, &["get", "--context", ""]);
    assert_eq!(contexts, ["local"]);

    let harness = repo().join("tests/cluster/harness.py");
    let stopped = run(Command::new("python3").arg(&harness).arg("stop").arg(&cluster.dir).arg("kube-apiserver"));
    assert_eq!(stopped.code, 0, "{stopped:?}");
    let started = Instant::now();
    let (ids, directive) = complete(&cluster, &shim, &["revoke", ""]);
    let took = started.elapsed();
    println!("completion with the API server stopped took {took:?}");
    assert!(ids.is_empty() && directive == ":4", "{ids:?}");
    assert!(took < Duration::from_secs(1), "completion must not make the shell wait: {took:?}");
    let (subcommands, _) = complete(&cluster, &shim, &["re"]);
    assert_eq!(subcommands, ["request", "renew", "revoke"], "static candidates still come");
    let _ = std::fs::remove_dir_all(shim);
}

#[test]
fn bash_completes_kubectl_supportaccess_re_tab_in_a_real_terminal() {
    let shim = plugin_with_shim();
    let ran = run(Command::new(repo().join("tests/completion-bash.sh")).arg(&shim).arg(&CLUSTER.bin));
    assert_eq!(ran.code, 0, "{ran:?}");
    for candidate in ["renew", "request", "revoke"] {
        assert!(ran.stdout.contains(candidate), "{candidate} missing from the screen:\n{}", ran.stdout);
    }
    assert!(!ran.stdout.contains("command not found"), "{}", ran.stdout);
    // README shows this very screen (issue 41): its lines with the candidates, as typed here.
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for line in ran.stdout.lines().filter(|l| l.starts_with("renew") || l.starts_with("request")) {
        assert!(readme.contains(line.trim_end()), "README's completion screen lacks {line:?}");
    }
    let _ = std::fs::remove_dir_all(shim);
}

#[test]
fn completion_scripts_are_printed_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef"),
        ("fish", "complete -c"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let ran = run(Command::new(plugin_path()).args(["completion", shell]));
        assert_eq!(ran.code, 0, "{ran:?}");
        assert!(
            ran.stdout.contains(marker) && ran.stdout.contains("kubectl-supportaccess"),
            "{shell}: {}",
            &ran.stdout[..200.min(ran.stdout.len())]
        );
    }
    assert_eq!(run(Command::new(plugin_path()).args(["completion", "tcsh"])).code, 2);
}
