//! One real control plane per test run, shared by every test, and helpers to run the plugin
//! directly and through real kubectl. Each test gets its own system namespace (`-n`).

use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
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

/// The control plane of the running test: started on first use, stopped when the test's thread
/// ends. The admission guards are cluster-wide and bound to one installation's policy, so tests
/// that enable support access cannot share a cluster.
pub static CLUSTER: ThisTest = ThisTest;

pub struct ThisTest;

/// Stops a test's cluster when its thread ends.
struct Reaper(PathBuf);

impl Drop for Reaper {
    fn drop(&mut self) {
        if self.0.exists() {
            let _ = Command::new(repo().join("tests/cluster/down")).arg(&self.0).output();
        }
    }
}

thread_local! {
    static THIS_TEST: OnceCell<(&'static TestCluster, Reaper)> = const { OnceCell::new() };
}

impl std::ops::Deref for ThisTest {
    type Target = TestCluster;

    fn deref(&self) -> &TestCluster {
        THIS_TEST.with(|cell| {
            cell.get_or_init(|| {
                // Leaked so that it outlives the borrow; the Reaper beside it stops the cluster.
                let cluster: &'static TestCluster = Box::leak(Box::new(start_cluster()));
                (cluster, Reaper(cluster.dir.clone()))
            })
            .0
        })
    }
}

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
    pub fn environment(&self, command: &mut Command) {
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

    /// The trail's chunks in `ns`, oldest first, by name.
    pub fn chunks(&self, ns: &str) -> Vec<String> {
        let out = self.kubectl_ok(&[
            "get",
            "configmaps",
            "-n",
            ns,
            "-l",
            "support-access.crusoe.ai/trail=chunk",
            "-o",
            "name",
        ]);
        let mut names: Vec<String> = out.lines().map(|l| l.trim_start_matches("configmap/").to_string()).collect();
        names.sort();
        names
    }

    /// The trail's newest chunk in `ns`, as JSON.
    pub fn newest_chunk(&self, ns: &str) -> serde_json::Value {
        let name = self.chunks(ns).pop().expect("the trail has a chunk");
        serde_json::from_str(&self.kubectl_ok(&["get", "configmap", &name, "-n", ns, "-o", "json"])).unwrap()
    }

    /// Every line of the trail's chunks in `ns`, in order.
    pub fn trail_lines(&self, ns: &str) -> Vec<String> {
        let mut lines = Vec::new();
        for name in self.chunks(ns) {
            let text = self.kubectl_ok(&["get", "configmap", &name, "-n", ns, "-o", "jsonpath={.data.lines}"]);
            lines.extend(text.lines().map(str::to_string));
        }
        lines
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

/// Runs a command with `input` on its stdin and says how it ended.
pub fn fed(command: &mut Command, input: &str) -> Ran {
    use std::io::Write;
    let piped = std::process::Stdio::piped;
    let mut child = command.stdin(piped()).stdout(piped()).stderr(piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    finish(child)
}

/// Waits for a spawned command (stdout and stderr piped) and says how it ended.
pub fn finish(child: std::process::Child) -> Ran {
    let Output { status, stdout, stderr } = child.wait_with_output().unwrap();
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

/// A time `minutes` from now, as the state format spells times (RFC3339 UTC, seconds, `Z`).
pub fn minutes_from_now(minutes: i64) -> String {
    let at = chrono::Utc::now() + chrono::TimeDelta::minutes(minutes);
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A request record as `request` writes it, made by the test's admin (`kubernetes-admin`), so
/// that owner-side behaviour can be tested on its own; the admission guard accepts it while the
/// role is enabled and it lasts at most `maxDuration`.
pub fn record_manifest(
    ns: &str,
    id: &str,
    role: &str,
    requested_at: &str,
    expires_at: &str,
    credential: Option<&str>,
) -> String {
    let account = account_name(id, expires_at);
    let credential = credential
        .map(|at| format!("    support-access.crusoe.ai/credential-expires-at: \"{at}\"\n"))
        .unwrap_or_default();
    format!(
        r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crusoe-support-{id}
  labels:
    app.kubernetes.io/managed-by: kubectl-supportaccess
    support-access.crusoe.ai/managed: "true"
    support-access.crusoe.ai/request-id: {id}
    support-access.crusoe.ai/role: {role}
  annotations:
    support-access.crusoe.ai/requestor: 00uix9g0n77KrcdMq5d7
    support-access.crusoe.ai/reason: "This is a test!"
    support-access.crusoe.ai/requested-at: "{requested_at}"
    support-access.crusoe.ai/expires-at: "{expires_at}"
{credential}    support-access.crusoe.ai/requested-by: kubernetes-admin
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: crusoe-support-{role}
subjects:
- kind: ServiceAccount
  namespace: {ns}
  name: {account}
---
"#
    )
}

/// The request ServiceAccount of the harness's admin whose tokens may last until `end` (RFC3339).
pub fn account_name(id: &str, end: &str) -> String {
    account_of(id, end, "kubernetes-admin")
}

/// The request ServiceAccount of `user`'s request whose tokens may last until `end` (RFC3339):
/// `crusoe-support-<id>-<end>.u<user>`, upper-case letters and `-.@:_` escaped as the state format
/// says (README, "State format").
pub fn account_of(id: &str, end: &str, user: &str) -> String {
    let mut carried = String::from("u");
    for c in user.chars() {
        match c {
            'A'..='Z' => carried.push_str(&format!("-{}", c.to_ascii_lowercase())),
            '-' => carried.push_str("-0"),
            '.' => carried.push_str("-1"),
            '@' => carried.push_str("-2"),
            ':' => carried.push_str("-3"),
            '_' => carried.push_str("-4"),
            _ => carried.push(c),
        }
    }
    format!("crusoe-support-{id}-{}.{carried}", chrono::DateTime::parse_from_rfc3339(end).unwrap().timestamp())
}

impl TestCluster {
    /// An owner's admission policy that refuses every ServiceAccount token, in force when this
    /// returns: a request then fails after its bindings were made. `allow_tokens` removes it.
    pub fn refuse_tokens(&self) {
        self.apply(
            r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-tokens}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: ["*"], operations: ["CREATE"], resources: ["serviceaccounts/token"]}]
  validations: [{expression: "false", message: "no tokens today"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-tokens}
spec: {policyName: no-tokens, validationActions: [Deny]}
"#,
        );
        eventually("the owner's token policy in force", || {
            run(self.kubectl().args(["create", "token", "default", "-n", "default"])).stderr.contains("no tokens today")
        });
    }

    pub fn allow_tokens(&self) {
        self.kubectl_ok(&["delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", "no-tokens"]);
        eventually("tokens again", || {
            run(self.kubectl().args(["create", "token", "default", "-n", "default"])).code == 0
        });
    }

    /// The ServiceAccount a request's record binds.
    pub fn account_of(&self, id: &str) -> String {
        let name = self.kubectl_ok(&[
            "get",
            "clusterrolebinding",
            &format!("crusoe-support-{id}"),
            "-o",
            "jsonpath={.subjects[0].name}",
        ]);
        assert!(name.starts_with(&format!("crusoe-support-{id}-")), "{name:?}");
        name.trim().to_string()
    }

    /// `kubectl apply -f -` of a manifest, as admin; it must succeed.
    pub fn apply(&self, manifest: &str) {
        let ran = self.apply_result(manifest);
        assert_eq!(ran.code, 0, "kubectl apply failed for:\n{manifest}\n{ran:?}");
    }

    /// `kubectl create -f -` of a manifest as the holder of `kubeconfig`, whatever it comes to.
    pub fn create_as(&self, kubeconfig: &Path, manifest: &str) -> Ran {
        fed(self.kubectl().env("KUBECONFIG", kubeconfig).args(["create", "-f", "-"]), manifest)
    }

    /// `kubectl apply -f -` of a manifest, as admin, whatever it comes to.
    pub fn apply_result(&self, manifest: &str) -> Ran {
        fed(self.kubectl().args(["apply", "-f", "-"]), manifest)
    }
}

/// Runs `request -o json ARGS -n NS` through kubectl; returns the id and the kubeconfig path.
pub fn request(cluster: &TestCluster, ns: &str, args: &[&str]) -> (String, PathBuf) {
    let out = cluster.supportaccess_ok(ns, &[&["request", "-o", "json"], args].concat());
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    (json["id"].as_str().unwrap().to_string(), PathBuf::from(json["kubeconfig"].as_str().unwrap()))
}

/// RBAC is read from the API server's watch cache: retry a short while before concluding.
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !check() {
        assert!(std::time::Instant::now() < deadline, "{what} did not happen within 10s");
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
}

/// The control plane's `v1.MINOR`, as tests/cluster/build picks it (KSA_K8S_VERSION, or
/// K8S_VERSION in tests/cluster/versions.env).
pub fn server_minor() -> String {
    let version = std::env::var("KSA_K8S_VERSION").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
        let env = std::fs::read_to_string(repo().join("tests/cluster/versions.env")).unwrap();
        env.lines().find_map(|l| l.strip_prefix("K8S_VERSION=")).expect("versions.env names K8S_VERSION").to_string()
    });
    version.rsplit_once('.').map(|(minor, _)| minor).unwrap_or(&version).to_string()
}
