//! One real control plane per test run, shared by every test, and helpers to run the plugin
//! directly and through real kubectl. Each test gets its own system namespace (`-n`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU32, Ordering};

pub struct TestCluster {
    /// Stopped when dropped (a cluster of one test's own); the shared one is reaped at exit.
    pub owned: bool,
    /// The admin kubeconfig `up` wrote.
    pub kubeconfig: PathBuf,
    /// The cluster's state directory.
    pub dir: PathBuf,
    /// Where the control plane's binaries (kubectl among them) are.
    pub bin: PathBuf,
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Starts a control plane (or fails loudly: a missing tool is a failure, never a skip).
pub fn start_cluster() -> TestCluster {
    let output = Command::new(repo().join("tests/cluster/up"))
        .arg("--owner-pid")
        .arg(std::process::id().to_string())
        .output()
        .expect("tests/cluster/up could not be run (python3 is needed)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "tests/cluster/up failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let kubeconfig = stdout
        .lines()
        .last()
        .and_then(|line| line.strip_prefix("KUBECONFIG="))
        .map(PathBuf::from)
        .expect("tests/cluster/up did not print KUBECONFIG=<path> last");
    let dir = kubeconfig.parent().unwrap().to_path_buf();
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("state.json")).unwrap()).unwrap();
    let bin = PathBuf::from(state["bin"].as_str().unwrap());
    TestCluster { owned: false, kubeconfig, dir, bin }
}

/// A control plane of the test's own, for tests that change cluster-wide state (ClusterRoles,
/// ClusterRoleBindings) or count it; stopped when dropped.
pub fn own_cluster() -> TestCluster {
    let mut cluster = start_cluster();
    cluster.owned = true;
    cluster
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        if self.owned && self.dir.exists() {
            let _ = Command::new(repo().join("tests/cluster/down")).arg(&self.dir).output();
        }
    }
}

/// The control plane of this test run.
pub static CLUSTER: LazyLock<TestCluster> = LazyLock::new(start_cluster);

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A system namespace of the test's own, so tests never see each other's state.
pub fn namespace(test: &str) -> String {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("ksa-{test}-{}-{n}", std::process::id())
}

pub fn plugin_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kubectl-supportaccess"))
}

impl TestCluster {
    /// PATH with the plugin's directory and the cluster's kubectl first.
    pub fn path_env(&self) -> String {
        let plugin_dir = plugin_path().parent().unwrap().to_path_buf();
        let mut dirs = vec![plugin_dir, self.bin.clone()];
        dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        std::env::join_paths(dirs).unwrap().into_string().unwrap()
    }

    /// Admin's kubeconfig, the plugin and kubectl on PATH, credentials kept under the cluster's dir.
    fn environment(&self, command: &mut Command) {
        command
            .env("KUBECONFIG", &self.kubeconfig)
            .env("PATH", self.path_env())
            .env("NO_COLOR", "1")
            .env("XDG_CONFIG_HOME", self.dir.join("xdg"));
    }

    /// Where the plugin keeps request kubeconfigs for this cluster's admin context.
    pub fn credential_path(&self, id: &str) -> PathBuf {
        self.dir.join("xdg/kubectl-supportaccess/local").join(format!("{id}.kubeconfig"))
    }

    /// The plugin binary, run directly, against this cluster as admin.
    pub fn plugin(&self) -> Command {
        let mut command = Command::new(plugin_path());
        self.environment(&mut command);
        command
    }

    /// Real kubectl (the cluster's version), finding the plugin on PATH.
    pub fn kubectl(&self) -> Command {
        let mut command = Command::new(self.bin.join("kubectl"));
        self.environment(&mut command);
        command
    }

    /// Runs kubectl as admin; panics with its stderr on failure, returns stdout.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let ran = run(self.kubectl().args(args));
        assert_eq!(ran.code, 0, "kubectl {args:?}: {ran:?}");
        ran.stdout
    }

    /// Every binding the plugin manages, cluster-wide, as `kind/name`.
    pub fn managed_bindings(&self) -> Vec<String> {
        let selector = "support-access.crusoe.ai/managed=true";
        let out = self.kubectl_ok(&["get", "clusterrolebindings,rolebindings", "-A", "-l", selector, "-o", "name"]);
        out.lines().map(str::to_string).collect()
    }

    /// `kubectl supportaccess ARGS -n NS`, through kubectl's plugin discovery.
    pub fn supportaccess(&self, ns: &str, args: &[&str]) -> Ran {
        run(self.kubectl().arg("supportaccess").args(args).args(["-n", ns]))
    }

    /// Same, and it must succeed.
    pub fn supportaccess_ok(&self, ns: &str, args: &[&str]) -> String {
        let ran = self.supportaccess(ns, args);
        assert_eq!(ran.code, 0, "kubectl supportaccess {args:?}: {ran:?}");
        ran.stdout
    }

    /// A kubeconfig for a user of the cluster with the given groups (no rights unless bound).
    pub fn user(&self, name: &str, groups: &[&str]) -> PathBuf {
        let output = Command::new("python3")
            .arg(repo().join("tests/cluster/harness.py"))
            .arg("user")
            .arg(&self.dir)
            .arg(name)
            .args(groups)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
    }
}

/// What a command printed and how it ended.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(command: &mut Command) -> Ran {
    let Output { status, stdout, stderr } = command.output().expect("command could not be started");
    Ran {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}
