//! The admission guards on the real control plane: each promise tried as an attacker would — with
//! a support credential and plain kubectl, and as cluster-admin bypassing the plugin — and each
//! race the guards close, made wide enough to hit every time by a delaying proxy.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{CLUSTER, Ran, TestCluster, finish, minutes_from_now, record_manifest, run};

const NS: &str = "crusoe-system";

pub fn request(cluster: &TestCluster, role: &str) -> (String, PathBuf) {
    let out = cluster
        .supportaccess_ok(NS, &["request", "-o", "json", "--role", role, "--reason", "guards", "--duration", "2h"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    (json["id"].as_str().unwrap().to_string(), PathBuf::from(json["kubeconfig"].as_str().unwrap()))
}

pub fn as_support(cluster: &TestCluster, kubeconfig: &Path, args: &[&str]) -> Ran {
    run(cluster.kubectl().env("KUBECONFIG", kubeconfig).args(args))
}

pub fn refused_by(ran: &Ran, guard: &str) -> bool {
    ran.code != 0 && ran.stderr.contains(&format!("ValidatingAdmissionPolicy '{guard}'"))
}

/// For what no command waits on.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "{what} did not happen within 15s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A kube-system Deployment like coredns, a service account that is cluster-admin, a Node and a
/// minimal nvidia.com ClusterPolicy: what an operator credential would aim at.
pub fn targets(cluster: &TestCluster) {
    cluster.kubectl_ok(&["-n", "kube-system", "create", "deployment", "coredns", "--image=registry.invalid/coredns:1"]);
    cluster.kubectl_ok(&["-n", "kube-system", "create", "serviceaccount", "powerful"]);
    cluster.kubectl_ok(&[
        "create",
        "clusterrolebinding",
        "powerful",
        "--clusterrole=cluster-admin",
        "--serviceaccount=kube-system:powerful",
    ]);
    cluster.apply(
        r#"apiVersion: v1
kind: Node
metadata: {name: gpu-node-1, labels: {pool: gpu}}
---
apiVersion: v1
kind: Pod
metadata: {name: operator-agent, namespace: kube-system}
spec:
  serviceAccountName: powerful
  containers: [{name: agent, image: registry.invalid/agent:1}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: clusterpolicies.nvidia.com}
spec:
  group: nvidia.com
  scope: Cluster
  names: {kind: ClusterPolicy, plural: clusterpolicies, singular: clusterpolicy, listKind: ClusterPolicyList}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
"#,
    );
    eventually("the ClusterPolicy CRD is served", || {
        cluster
            .apply_result(
                "apiVersion: nvidia.com/v1\nkind: ClusterPolicy\nmetadata: {name: cluster-policy}\nspec:\n  driver: {enabled: true, repository: nvcr.io/nvidia, image: driver, version: \"550.90\"}\n  toolkit: {enabled: true}\n",
            )
            .code
            == 0
    });
}

pub fn template(cluster: &TestCluster) -> String {
    cluster.kubectl_ok(&["-n", "kube-system", "get", "deployment", "coredns", "-o", "jsonpath={.spec.template.spec}"])
}

#[test]
fn an_operator_credential_cannot_reach_cluster_admin_through_a_workload_a_node_or_an_operator_resource() {
    let cluster = &*CLUSTER;
    targets(cluster);
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "operator"]);
    let (_, operator) = request(cluster, "operator");
    let before = template(cluster);
    // `enable` returned once every guard answered its probe: the guardrails are in force.

    // The review's attack: coredns's pod template given a cluster-admin service account, the
    // node's root and a secret.
    let attack = r#"{"spec":{"template":{"spec":{"serviceAccountName":"powerful","volumes":[{"name":"root","hostPath":{"path":"/"}},{"name":"s","secret":{"secretName":"x"}}]}}}}"#;
    let ran = as_support(cluster, &operator, &["-n", "kube-system", "patch", "deployment", "coredns", "-p", attack]);
    assert!(refused_by(&ran, "crusoe-support-guardrails"), "{ran:?}");
    assert!(ran.stderr.contains("may restart or scale a workload but not change its pod template"), "{ran:?}");
    assert_eq!(template(cluster), before, "the stored Deployment is unchanged");
    // The template's metadata too: a label (a Service's selector could follow it) or an
    // annotation (an AppArmor profile set to unconfined).
    for patch in [
        r#"{"spec":{"template":{"metadata":{"labels":{"k8s-app":"elsewhere"}}}}}"#,
        r#"{"spec":{"template":{"metadata":{"annotations":{"container.apparmor.security.beta.kubernetes.io/coredns":"unconfined"}}}}}"#,
    ] {
        let ran = as_support(cluster, &operator, &["-n", "kube-system", "patch", "deployment", "coredns", "-p", patch]);
        assert!(refused_by(&ran, "crusoe-support-guardrails"), "{patch}: {ran:?}");
        assert!(ran.stderr.contains("pod template labels or annotations"), "{ran:?}");
    }

    // What operator is for still works.
    let ran = as_support(cluster, &operator, &["-n", "kube-system", "rollout", "restart", "deployment", "coredns"]);
    assert_eq!(ran.code, 0, "rollout restart: {ran:?}");
    let ran = as_support(cluster, &operator, &["-n", "kube-system", "scale", "deployment", "coredns", "--replicas=3"]);
    assert_eq!(ran.code, 0, "scale: {ran:?}");
    let ran = as_support(cluster, &operator, &["cordon", "gpu-node-1"]);
    assert_eq!(ran.code, 0, "cordon: {ran:?}");
    let ran = as_support(cluster, &operator, &["label", "node", "gpu-node-1", "pool=cpu", "--overwrite"]);
    assert!(refused_by(&ran, "crusoe-support-guardrails"), "node label: {ran:?}");

    // The GPU operator's ClusterPolicy chooses the images of privileged DaemonSets.
    for patch in [
        r#"{"spec":{"driver":{"image":"evil"}}}"#,
        r#"{"spec":{"driver":{"repository":"registry.invalid/evil"}}}"#,
        r#"{"spec":{"toolkit":{"version":"v0-evil"}}}"#,
    ] {
        let ran =
            as_support(cluster, &operator, &["patch", "clusterpolicy", "cluster-policy", "--type=merge", "-p", patch]);
        assert!(refused_by(&ran, "crusoe-support-guardrails"), "{patch}: {ran:?}");
    }
    let ran = as_support(
        cluster,
        &operator,
        &[
            "patch",
            "clusterpolicy",
            "cluster-policy",
            "--type=merge",
            "-p",
            r#"{"spec":{"toolkit":{"enabled":false}}}"#,
        ],
    );
    assert_eq!(ran.code, 0, "a setting that is not an image: {ran:?}");
    let image = cluster.kubectl_ok(&["get", "clusterpolicy", "cluster-policy", "-o", "jsonpath={.spec.driver.image}"]);
    assert_eq!(image, "driver");

    // roles --verify proves each guard with dry runs as a support identity, and names the path no
    // guard closes: exec into a pod whose service account is cluster-admin.
    let out = cluster.supportaccess_ok(NS, &["roles", "--verify", "-o", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let proofs = json["guards"].as_array().unwrap();
    for check in ["serviceAccountName", "a secret volume", "a hostPath volume", "a label", "the driver image"] {
        let row = proofs
            .iter()
            .find(|p| p["check"].as_str().unwrap().starts_with(check))
            .unwrap_or_else(|| panic!("{check}: {json}"));
        assert_eq!(row["observed"], "refused", "{row}");
    }
    for check in ["rollout restart", "scale", "cordon"] {
        let row = proofs.iter().find(|p| p["check"].as_str().unwrap().starts_with(check)).unwrap();
        assert_eq!(row["observed"], "allowed", "{row}");
    }
    let path = json["indirectPaths"].as_array().unwrap().iter().find(|p| p["serviceAccount"] == "powerful").unwrap();
    assert_eq!(path["readsSecrets"], true, "{path}");
    assert_eq!(path["bindsEscalatesOrImpersonates"], true, "{path}");
    assert_eq!(template(cluster), before, "roles --verify changed nothing");
}

#[test]
fn as_cluster_admin_plain_kubectl_cannot_bypass_the_policy() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--max-duration", "8h"]);
    let now = minutes_from_now(0);

    let too_long =
        cluster.apply_result(&record_manifest(NS, "toolong1", "readonly", &now, &minutes_from_now(9 * 60), None));
    assert!(refused_by(&too_long, "crusoe-support-requests"), "{too_long:?}");
    assert!(too_long.stderr.contains("at most the policy's maxDuration"), "{too_long:?}");
    let role = cluster.apply_result(&record_manifest(NS, "oper1", "operator", &now, &minutes_from_now(60), None));
    assert!(refused_by(&role, "crusoe-support-requests") && role.stderr.contains("not enabled"), "{role:?}");
    let bare = run(cluster.kubectl().args([
        "create",
        "clusterrolebinding",
        "crusoe-support-abc",
        "--clusterrole=cluster-admin",
        &format!("--serviceaccount={NS}:crusoe-support-abc-4102444800"),
    ]));
    assert!(refused_by(&bare, "crusoe-support-requests"), "{bare:?}");
    // A one-year expires-at on a live record is refused too: its end only moves earlier.
    cluster.apply(&record_manifest(NS, "fine1", "readonly", &now, &minutes_from_now(60), None));
    let later = run(cluster.kubectl().args([
        "annotate",
        "--overwrite",
        "clusterrolebinding",
        "crusoe-support-fine1",
        &format!("support-access.crusoe.ai/expires-at={}", minutes_from_now(365 * 24 * 60)),
    ]));
    assert!(refused_by(&later, "crusoe-support-requests"), "{later:?}");

    // While disabled: no support binding at all, and no support token, not even for the owner.
    cluster.supportaccess_ok(NS, &["disable", "--yes"]);
    let record = record_manifest(NS, "late1", "readonly", &minutes_from_now(0), &minutes_from_now(60), None);
    let ran = cluster.apply_result(&record);
    assert!(refused_by(&ran, "crusoe-support-requests") && ran.stderr.contains("disabled"), "{ran:?}");
    // `disable` returned once every guard enforced the disabled policy: no wait here.
    let account = format!("crusoe-support-late1-{}", (chrono::Utc::now() + chrono::TimeDelta::hours(1)).timestamp());
    cluster.kubectl_ok(&["create", "serviceaccount", &account, "-n", NS]);
    let ran = run(cluster.kubectl().args(["create", "token", &account, "-n", NS, "--duration", "10m"]));
    assert!(refused_by(&ran, "crusoe-support-credentials") && ran.stderr.contains("disabled"), "{ran:?}");

    // The plugin itself refuses first, with exit 3 (the races below show its exit 4, the guard's).
    let ran = cluster.supportaccess(NS, &["request", "--role", "readonly", "--reason", "x", "--duration", "1h"]);
    assert_eq!(ran.code, 3, "{ran:?}");
}

#[test]
fn a_deleted_guard_is_named_by_roles_verify_and_get_and_enable_restores_it() {
    // Changes the cluster-wide guards: a control plane of its own.
    let cluster = &crate::common::own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    assert!(cluster.supportaccess_ok(NS, &["roles", "--verify"]).contains("All 23 checks match"));
    let get = cluster.supportaccess(NS, &["get"]);
    assert!(!get.stderr.contains("admission guard"), "{get:?}");

    cluster.kubectl_ok(&["delete", "validatingadmissionpolicy", "crusoe-support-guardrails"]);
    let ran = cluster.supportaccess(NS, &["roles", "--verify"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("crusoe-support-guardrails (missing)"), "{ran:?}");
    let get = cluster.supportaccess(NS, &["get"]);
    assert!(get.stderr.contains("admission guard crusoe-support-guardrails is missing"), "{get:?}");

    // A weakened guard counts as changed.
    cluster.kubectl_ok(&[
        "patch",
        "validatingadmissionpolicybinding",
        "crusoe-support-requests",
        "--type=merge",
        "-p",
        r#"{"spec":{"validationActions":["Audit"]}}"#,
    ]);
    let get = cluster.supportaccess(NS, &["get"]);
    assert!(get.stderr.contains("admission guard crusoe-support-requests differs"), "{get:?}");

    let ran = cluster.supportaccess(NS, &["enable"]);
    // enable waits until the API server runs the repaired guards, and says so when it did not.
    assert!(ran.code == 0 && !ran.stderr.contains("did not enforce"), "{ran:?}");
    assert!(ran.stdout.contains("ValidatingAdmissionPolicy crusoe-support-guardrails: created"), "{ran:?}");
    assert!(ran.stdout.contains("ValidatingAdmissionPolicyBinding crusoe-support-requests: repaired"), "{ran:?}");
    cluster.supportaccess_ok(NS, &["roles", "--verify"]);
    let get = cluster.supportaccess(NS, &["get"]);
    assert!(!get.stderr.contains("admission guard"), "{get:?}");
}

#[test]
fn guardrails_off_lets_the_coredns_patch_through_and_get_says_so_and_uninstall_removes_every_guard() {
    // Changes the cluster-wide guards: a control plane of its own.
    let cluster = &crate::common::own_cluster();
    targets(cluster);
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "operator", "--guardrails", "off"]);
    let (_, operator) = request(cluster, "operator");
    let patch = r#"{"spec":{"template":{"spec":{"serviceAccountName":"powerful"}}}}"#;
    let ran = as_support(cluster, &operator, &["-n", "kube-system", "patch", "deployment", "coredns", "-p", patch]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    assert_eq!(json["policy"]["guardrails"], false, "{json}");
    assert_eq!(json["guards"]["guardrails"], false, "{json}");
    assert_eq!(
        json["guards"]["inForce"],
        serde_json::json!([
            "crusoe-support-requests",
            "crusoe-support-credentials",
            "crusoe-support-requesters",
            "crusoe-support-identities"
        ])
    );
    let vaps = cluster.kubectl_ok(&["get", "validatingadmissionpolicies", "-o", "name"]);
    assert!(!vaps.contains("crusoe-support-guardrails"), "{vaps}");

    // Turned back on, it is in force when `enable` returns.
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "operator", "--guardrails", "on"]);
    let back = r#"{"spec":{"template":{"spec":{"serviceAccountName":"default"}}}}"#;
    let args = ["-n", "kube-system", "patch", "deployment", "coredns", "--dry-run=server", "-p", back];
    let ran = as_support(cluster, &operator, &args);
    assert!(refused_by(&ran, "crusoe-support-guardrails"), "{ran:?}");

    // uninstall removes every guard: afterwards plain bindings are not refused.
    cluster.supportaccess_ok(NS, &["uninstall", "--yes"]);
    let vaps =
        cluster.kubectl_ok(&["get", "validatingadmissionpolicies,validatingadmissionpolicybindings", "-o", "name"]);
    assert!(!vaps.contains("crusoe-support"), "{vaps}");
    cluster.kubectl_ok(&[
        "create",
        "clusterrolebinding",
        "after-uninstall",
        "--clusterrole=view",
        "--group=crusoe-support:x",
    ]);
}

/// Real kubectl's supportaccess, as `user`, through a proxy that delays each of its calls.
pub struct Proxied {
    proxy: Child,
    kubeconfig: PathBuf,
}

impl Drop for Proxied {
    fn drop(&mut self) {
        let _ = self.proxy.kill();
        let _ = self.proxy.wait();
    }
}

/// A user with cluster-admin (the support engineer's administrative credentials, as in Crusoe's
/// setup) whose API calls each arrive `delay_ms` late.
pub fn proxied_user(cluster: &TestCluster, user: &str, delay_ms: u64) -> Proxied {
    let direct = cluster.user(user, &[]);
    // Made once per user; a second proxy for the same user reuses it.
    run(cluster.kubectl().args([
        "create",
        "clusterrolebinding",
        &format!("{user}-admin"),
        "--clusterrole=cluster-admin",
        &format!("--user={user}"),
    ]));
    let text = std::fs::read_to_string(&direct).unwrap();
    let server = text.lines().find_map(|l| l.trim().strip_prefix("server: ")).unwrap().to_string();
    let port = server.rsplit(':').next().unwrap().to_string();
    let mut proxy = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/delay-proxy.py"))
        .args(["127.0.0.1", &port, &delay_ms.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the delaying proxy");
    let mut line = String::new();
    BufReader::new(proxy.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    let kubeconfig = cluster.dir.join(format!("{user}-proxied.kubeconfig"));
    std::fs::write(&kubeconfig, text.replace(&server, &format!("https://127.0.0.1:{}", line.trim()))).unwrap();
    Proxied { proxy, kubeconfig }
}

impl Proxied {
    /// Freezes (`STOP`) or thaws (`CONT`) the proxy: nothing it holds reaches the API server
    /// meanwhile, however long another command takes.
    pub fn signal(&self, signal: &str) {
        let sent = run(Command::new("kill").args([&format!("-{signal}"), &self.proxy.id().to_string()]));
        assert_eq!(sent.code, 0, "kill -{signal}: {sent:?}");
    }

    pub fn spawn(&self, cluster: &TestCluster, args: &[&str]) -> Child {
        cluster
            .kubectl()
            .env("KUBECONFIG", &self.kubeconfig)
            .arg("supportaccess")
            .args(args)
            .args(["-n", NS, "--request-timeout", "60s"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }
}

/// Where the API server's audit log ends now: calls after this point are the ones to wait for.
fn audit_mark(cluster: &TestCluster) -> usize {
    std::fs::read_to_string(cluster.dir.join("audit.log")).map(|log| log.len()).unwrap_or(0)
}

/// Waits until the API server's audit log shows, after `mark`, `user` making a call that `matches`.
/// A command that exits before making the call fails the test with its output.
fn wait_for_call(
    cluster: &TestCluster,
    child: &mut Child,
    mark: usize,
    user: &str,
    what: &str,
    matches: impl Fn(&serde_json::Value) -> bool,
) {
    // Every chunk the command sends waits in the delaying proxy: on a loaded machine this takes
    // a while, so the limit is generous.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let log = std::fs::read_to_string(cluster.dir.join("audit.log")).unwrap_or_default();
        let seen = log
            .get(mark..)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .any(|e| e["user"]["username"] == user && e["stage"] == "ResponseComplete" && matches(&e));
        if seen {
            return;
        }
        if let Ok(Some(_)) = child.try_wait() {
            let mut output = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                let _ = stderr.read_to_string(&mut output);
            }
            panic!("{user} exited before it made {what}:\n{output}");
        }
        assert!(Instant::now() < deadline, "{user} never made {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_request_whose_policy_read_precedes_disable_now_ends_with_no_grant_and_says_why() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "operator"]);
    let requester = proxied_user(cluster, "requester", 800);
    let mark = audit_mark(cluster);
    let mut child =
        requester.spawn(cluster, &["request", "--role", "operator", "--reason", "race", "--duration", "1h"]);
    // Right after its own policy check, `request` asks who it is.
    wait_for_call(cluster, &mut child, mark, "requester", "its policy read", |e| {
        e["verb"] == "create" && e["objectRef"]["resource"] == "selfsubjectreviews"
    });
    // The request has read an enabled policy; everything it does from here on is too late (its
    // calls wait in the frozen proxy until disable has returned).
    requester.signal("STOP");
    cluster.supportaccess_ok(NS, &["disable", "--now", "--yes"]);
    requester.signal("CONT");
    let ran = finish(child);
    assert_eq!(ran.code, 4, "refused by the API server's guard: {ran:?}");
    assert!(ran.stderr.contains("support access is disabled"), "it says why: {ran:?}");
    assert_eq!(cluster.managed_bindings(), Vec::<String>::new(), "no grant is left");
    let history = cluster.supportaccess_ok(NS, &["history", "-o", "json"]);
    assert!(!history.contains("\"requested\""), "nothing was granted: {history}");
}

#[test]
fn a_renew_racing_disable_mints_nothing_that_outlives_the_drained_end() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--credential-ttl", "20m"]);
    let requester = proxied_user(cluster, "renewer", 0);
    let made = finish(
        requester.spawn(cluster, &["request", "-o", "json", "--role", "readonly", "--reason", "r", "--duration", "2h"]),
    );
    assert_eq!(made.code, 0, "{made:?}");
    let json: serde_json::Value = serde_json::from_str(&made.stdout).unwrap();
    let (id, kubeconfig) =
        (json["id"].as_str().unwrap().to_string(), PathBuf::from(json["kubeconfig"].as_str().unwrap()));
    drop(requester);

    let slow = proxied_user(cluster, "renewer", 2000);
    let mark = audit_mark(cluster);
    let mut child = slow.spawn(cluster, &["renew", &id]);
    wait_for_call(cluster, &mut child, mark, "renewer", "the minting of its new token", |e| {
        e["verb"] == "create" && e["objectRef"]["subresource"] == "token"
    });
    // The new token is minted; the renew has not recorded it yet: its next call waits in the
    // proxy (2 s behind), which is frozen until disable has returned, however long that takes.
    slow.signal("STOP");
    cluster.supportaccess_ok(NS, &["disable", "--yes"]);
    slow.signal("CONT");
    let ran = finish(child);
    let end: chrono::DateTime<chrono::Utc> = cluster
        .kubectl_ok(&[
            "get",
            "clusterrolebinding",
            &format!("crusoe-support-{id}"),
            "-o",
            "jsonpath={.metadata.annotations.support-access\\.crusoe\\.ai/expires-at}",
        ])
        .parse()
        .unwrap();
    let not_after = super::support::token_expires_at(&kubeconfig);
    assert!(not_after <= end, "the credential on disk ({not_after}) outlives the drained end ({end}): {ran:?}");
    assert_ne!(ran.code, 0, "the racing renew is refused: {ran:?}");
    assert!(ran.stderr.contains("dropped unwritten"), "{ran:?}");
}

/// A pending record as `request` writes it with approval required: no subject yet.
fn pending_record(id: &str, role: &str, hours: i64) -> String {
    let record = record_manifest(NS, id, role, &minutes_from_now(0), &minutes_from_now(hours * 60), None);
    let (head, _) = record.split_once("subjects:").unwrap();
    head.replace(
        "    support-access.crusoe.ai/requested-by: kubernetes-admin\n",
        "    support-access.crusoe.ai/requested-by: kubernetes-admin\n    support-access.crusoe.ai/state: pending\n",
    )
}

#[test]
fn an_approval_whose_record_was_swapped_after_it_was_read_writes_nothing() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "operator", "--approval", "required"]);
    cluster.apply(&pending_record("swap1", "readonly", 1));
    let owner = proxied_user(cluster, "owner", 800);
    let mark = audit_mark(cluster);
    let mut child = owner.spawn(cluster, &["approve", "swap1"]);
    // Right after its read of the record, `approve` asks who it is.
    wait_for_call(cluster, &mut child, mark, "owner", "its read of the record", |e| {
        e["verb"] == "create" && e["objectRef"]["resource"] == "selfsubjectreviews"
    });
    // The review's swap: the same id, now operator for 72 h (approve's calls wait in the frozen
    // proxy meanwhile).
    owner.signal("STOP");
    cluster.kubectl_ok(&["delete", "clusterrolebinding", "crusoe-support-swap1"]);
    cluster.apply(&pending_record("swap1", "operator", 72));
    owner.signal("CONT");
    let ran = finish(child);
    assert_ne!(ran.code, 0, "{ran:?}");
    assert!(ran.stderr.contains("changed while it was being answered; nothing was written"), "{ran:?}");
    let swapped =
        cluster.kubectl_ok(&["get", "clusterrolebinding", "crusoe-support-swap1", "-o", "jsonpath={.subjects}"]);
    assert_eq!(swapped, "", "the swapped record was granted");
    let history = cluster.supportaccess_ok(NS, &["history", "-o", "json"]);
    assert!(!history.contains("\"approved\""), "{history}");
}
