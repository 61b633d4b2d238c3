//! The trail and the state are the owner's (issue 40): with plain kubectl, as a requester (`alice`,
//! `bob`), an approver (`owner`, `owner2`), a person on both lists, and a request's own credential
//! of an allowed ClusterRole, nobody but the owner can destroy, freeze, flood or forge what the
//! system namespace holds, answer in another's name, or make a companion before the quorum.

use std::path::{Path, PathBuf};

use crate::common::{CLUSTER, Ran, TestCluster, eventually, fed};
use crate::requester::{as_user, plugin_as, plugin_ok, refused_by};

const NS: &str = "crusoe-system";
const HISTORY: &str = "support-access-history";

/// `enable` as the harness admin with requesters alice and bob, approvers owner and owner2, and
/// these extra flags; each party's kubeconfig.
struct Parties {
    alice: PathBuf,
    bob: PathBuf,
    owner: PathBuf,
    owner2: PathBuf,
}

fn parties(cluster: &TestCluster, flags: &[&str]) -> Parties {
    let p = Parties {
        alice: cluster.user("alice", &[]),
        bob: cluster.user("bob", &[]),
        owner: cluster.user("owner", &[]),
        owner2: cluster.user("owner2", &[]),
    };
    let enable = [
        &[
            "enable",
            "--enabled-roles",
            "readonly,operator",
            "--requesters",
            "user:alice,user:bob",
            "--approvers",
            "user:owner,user:owner2",
        ],
        flags,
    ]
    .concat();
    cluster.supportaccess_ok(NS, &enable);
    eventually("the parties' bindings are in force", || {
        as_user(cluster, &p.bob, &["auth", "can-i", "create", "serviceaccounts/token", "-n", NS]).stdout.trim() == "yes"
            && as_user(cluster, &p.owner2, &["auth", "can-i", "delete", "clusterrolebindings"]).stdout.trim() == "yes"
    });
    p
}

/// `request -o json` as `who`: the id and the kubeconfig.
fn request(cluster: &TestCluster, who: &Path, args: &[&str]) -> (String, PathBuf) {
    let asked = [&["request", "-o", "json", "--reason", "node n1 flaps", "--duration", "1h"][..], args].concat();
    let json: serde_json::Value = serde_json::from_str(&plugin_ok(cluster, who, &asked)).unwrap();
    (json["id"].as_str().unwrap().to_string(), PathBuf::from(json["kubeconfig"].as_str().unwrap()))
}

/// `request --role ROLE` as alice, left waiting for its answer.
fn alice_asks(cluster: &TestCluster, p: &Parties, role: &str) -> std::process::Child {
    cluster
        .kubectl()
        .env("KUBECONFIG", &p.alice)
        .args(["supportaccess", "-n", NS, "request", "-o", "json", "--role", role, "--reason", "r"])
        .args(["--duration", "1h"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// The id of the one request record there is, once `request` made it.
pub(crate) fn waiting_id(cluster: &TestCluster) -> String {
    let mut id = String::new();
    eventually("the request's record exists", || {
        let ids = cluster.kubectl_ok(&[
            "get",
            "clusterrolebindings",
            "-l",
            "support-access.crusoe.ai/request-id",
            "-o",
            "jsonpath={.items[*].metadata.labels.support-access\\.crusoe\\.ai/request-id}",
        ]);
        id = ids.trim().to_string();
        !id.is_empty()
    });
    id
}

fn history(cluster: &TestCluster) -> serde_json::Value {
    cluster.newest_chunk(NS)
}

/// The trail's newest chunk as admin reads it, changed by `change`, written back with `kubectl
/// replace` as `who`.
fn replace_history(cluster: &TestCluster, who: &Path, change: impl FnOnce(&mut serde_json::Value)) -> Ran {
    let mut map = history(cluster);
    change(&mut map);
    fed(cluster.kubectl().env("KUBECONFIG", who).args(["replace", "-f", "-"]), &map.to_string())
}

/// The policy ConfigMap with `approval` set to `none`, written back with `kubectl replace` as `who`.
fn replace_policy(cluster: &TestCluster, who: &Path) -> Ran {
    let mut map: serde_json::Value =
        serde_json::from_str(&cluster.kubectl_ok(&["-n", NS, "get", "configmap", "support-access", "-o", "json"]))
            .unwrap();
    map["data"]["approval"] = serde_json::json!("none");
    fed(cluster.kubectl().env("KUBECONFIG", who).args(["replace", "-f", "-"]), &map.to_string())
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Appends `line` to the newest chunk of the trail as `who`.
fn append(cluster: &TestCluster, who: &Path, line: &str) -> Ran {
    replace_history(cluster, who, |map| {
        let old = map["data"]["lines"].as_str().unwrap_or("").to_string();
        map["data"]["lines"] = serde_json::Value::String(format!("{old}{line}\n"));
    })
}

fn lines(cluster: &TestCluster) -> usize {
    cluster.trail_lines(NS).len()
}

#[test]
fn no_party_can_hand_the_trail_to_the_garbage_collector_freeze_it_or_flood_it_and_the_owner_still_records() {
    let cluster = &*CLUSTER;
    let p = parties(cluster, &[]);
    let (alices, _) = request(cluster, &p.alice, &["--role", "readonly"]);
    let before = lines(cluster);
    assert!(before >= 2, "enabled and requested are recorded");

    // An owner that does not exist: the garbage collector would delete the whole trail.
    let orphan = |map: &mut serde_json::Value| {
        map["metadata"]["ownerReferences"] = serde_json::json!([{
            "apiVersion": "v1", "kind": "ConfigMap", "name": "gone", "uid": "0b4f2a9e-5a2d-4f0e-9d1b-000000000000"
        }]);
    };
    for who in [&p.alice, &p.owner] {
        let ran = replace_history(cluster, who, orphan);
        assert!(refused_by(&ran, "crusoe-support-requesters") && ran.stderr.contains("garbage collector"), "{ran:?}");
    }
    let frozen = replace_history(cluster, &p.alice, |map| map["immutable"] = serde_json::json!(true));
    assert!(refused_by(&frozen, "crusoe-support-requesters") && frozen.stderr.contains("immutable"), "{frozen:?}");
    let finalized = replace_history(cluster, &p.owner, |map| {
        map["metadata"]["finalizers"] = serde_json::json!(["example.com/keep"]);
    });
    assert!(refused_by(&finalized, "crusoe-support-requesters"), "{finalized:?}");
    let relabelled = replace_history(cluster, &p.bob, |map| {
        map["metadata"]["labels"]["support-access.crusoe.ai/managed"] = serde_json::json!("false");
    });
    assert!(refused_by(&relabelled, "crusoe-support-requesters"), "{relabelled:?}");
    let binary = replace_history(cluster, &p.alice, |map| {
        map["binaryData"] = serde_json::json!({ "blob": "AAAA".repeat(1000) });
    });
    assert!(refused_by(&binary, "crusoe-support-requesters"), "{binary:?}");
    // A flood under a key that is not `lines`, and one under it.
    let big = format!(r#"{{"by":"alice","at":"{}","event":"renewed","detail":"{}"}}"#, now(), "x".repeat(950_000));
    let flooded = replace_history(cluster, &p.alice, |map| map["data"]["notes"] = serde_json::json!(big));
    assert!(refused_by(&flooded, "crusoe-support-requesters"), "{flooded:?}");
    let long = format!(
        r#"{{"by":"alice","at":"{}","event":"renewed","id":"{alices}","requestedBy":"alice","detail":"{}"}}"#,
        now(),
        "x".repeat(20_000)
    );
    let ran = append(cluster, &p.alice, &long);
    assert!(refused_by(&ran, "crusoe-support-requesters") && ran.stderr.contains("key `lines`"), "{ran:?}");
    // The parties may not delete ConfigMaps at all (RBAC); someone who is neither party but may
    // (a tenant with edit in the system namespace) is held to the parties' rules on the record.
    let newest = cluster.chunks(NS).pop().unwrap();
    for who in [&p.alice, &p.owner] {
        let deleted = as_user(cluster, who, &["-n", NS, "delete", "configmap", &newest, "--dry-run=server"]);
        assert_ne!(deleted.code, 0, "{deleted:?}");
    }
    let tenant = cluster.user("tenant", &[]);
    cluster.kubectl_ok(&["-n", NS, "create", "rolebinding", "tenant-edit", "--clusterrole=edit", "--user=tenant"]);
    eventually("tenant may write ConfigMaps", || {
        as_user(cluster, &tenant, &["auth", "can-i", "delete", "configmaps", "-n", NS]).stdout.trim() == "yes"
    });
    let deleted = as_user(cluster, &tenant, &["-n", NS, "delete", "configmap", &newest, "--dry-run=server"]);
    assert!(refused_by(&deleted, "crusoe-support-requesters"), "{deleted:?}");
    assert!(refused_by(&replace_history(cluster, &tenant, orphan), "crusoe-support-requesters"));
    // The approver's role may update the history only (RBAC); the tenant may write any ConfigMap.
    let policy = replace_policy(cluster, &p.owner);
    assert_ne!(policy.code, 0, "only the owner writes the policy: {policy:?}");
    let policy = replace_policy(cluster, &tenant);
    assert!(refused_by(&policy, "crusoe-support-requesters"), "only the owner writes the policy: {policy:?}");
    let policy = as_user(cluster, &tenant, &["-n", NS, "label", "configmap", "support-access", "x=y"]);
    assert!(refused_by(&policy, "crusoe-support-requesters"), "only the owner writes the policy: {policy:?}");
    let forged = plugin_event("revoked", "SupportAccessRevoked", &alices, "owner", "alice");
    assert!(refused_by(&cluster.create_as(&tenant, &forged), "crusoe-support-requesters"));
    let other = cluster.create_as(
        &tenant,
        &forged
            .replace("support-access-history", "other")
            .replace("SupportAccess", "")
            .replace("kubectl-supportaccess", "x")
            .replace("support-access.crusoe.ai", "example.com"),
    );
    assert_eq!(other.code, 0, "an Event without the plugin's mark is not the guard's: {other:?}");

    // The trail is whole, nobody collects it, and the owner's revoke writes its line.
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(lines(cluster), before, "every line kept");
    let map = history(cluster);
    assert!(map["metadata"].get("ownerReferences").is_none() && map.get("immutable").is_none(), "{map}");
    assert!(map.get("binaryData").is_none() && map["data"].get("notes").is_none(), "{map}");
    let verified = cluster.supportaccess(NS, &["history", "--verify"]);
    assert_eq!(verified.code, 0, "the chain holds: {verified:?}");
    let revoked = cluster.supportaccess(NS, &["revoke", &alices]);
    assert_eq!(revoked.code, 0, "{revoked:?}");
    let trail = cluster.supportaccess_ok(NS, &["history", "-o", "json"]);
    assert!(trail.contains("\"revoked\"") && trail.contains(&alices), "{trail}");
    assert_eq!(lines(cluster), before + 1);
}

/// A Kubernetes Event as the plugin writes it, with this event, `by` in the message and the
/// annotation, and `requested_by`.
fn plugin_event(event: &str, reason: &str, id: &str, by: &str, requested_by: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Event
metadata:
  generateName: support-access-
  namespace: {NS}
  labels:
    app.kubernetes.io/managed-by: kubectl-supportaccess
    support-access.crusoe.ai/managed: "true"
    support-access.crusoe.ai/event: {event}
    support-access.crusoe.ai/request-id: {id}
    support-access.crusoe.ai/state: {event}
  annotations:
    support-access.crusoe.ai/by: {by}
    support-access.crusoe.ai/requested-by: {requested_by}
involvedObject: {{apiVersion: v1, kind: ConfigMap, name: {HISTORY}, namespace: {NS}}}
reason: {reason}
action: {event}
message: "{event} by {by} (request {id}, readonly, requestor bob, state {event})"
type: Normal
reportingComponent: kubectl-supportaccess
reportingInstance: kubectl-supportaccess
source: {{component: kubectl-supportaccess}}
"#
    )
}

#[test]
fn events_history_lines_and_answers_are_only_ever_in_ones_own_name_and_part() {
    let cluster = &*CLUSTER;
    let p = parties(cluster, &[]);
    let (bobs, _) = request(cluster, &p.bob, &["--role", "readonly"]);

    // alice, a requester, forges what the owner guide tells exporters to route.
    let forged = plugin_event("revoked", "SupportAccessRevoked", &bobs, "owner", "bob");
    let ran = cluster.create_as(&p.alice, &forged);
    assert!(refused_by(&ran, "crusoe-support-requesters") && ran.stderr.contains("own name"), "{ran:?}");
    let about_bob = plugin_event("revoked", "SupportAccessRevoked", &bobs, "alice", "bob");
    assert!(refused_by(&cluster.create_as(&p.alice, &about_bob), "crusoe-support-requesters"));
    let approved = plugin_event("approved", "SupportAccessApproved", &bobs, "alice", "alice");
    assert!(refused_by(&cluster.create_as(&p.alice, &approved), "crusoe-support-requesters"));
    let unmarked = plugin_event("revoked", "Revoked", &bobs, "owner", "bob").replace("SupportAccess", "");
    assert!(refused_by(&cluster.create_as(&p.alice, &unmarked), "crusoe-support-requesters"), "any Event of hers");
    // An approver does not write the owner's events either.
    let disabled = plugin_event("disabled", "SupportAccessDisabled", &bobs, "owner", "bob");
    assert!(refused_by(&cluster.create_as(&p.owner, &disabled), "crusoe-support-requesters"));
    // The plugin's own Event of bob's request was made as bob.
    let events = cluster.kubectl_ok(&[
        "-n",
        NS,
        "get",
        "events",
        "-l",
        "support-access.crusoe.ai/event=requested",
        "-o",
        "json",
    ]);
    assert!(events.contains(&bobs) && events.contains("requested by bob"), "{events}");

    // History lines: a requester's events only, about its own requests.
    for (event, requested_by) in [("approved", "alice"), ("enabled", "alice"), ("revoked", "bob")] {
        let line = format!(
            r#"{{"by":"alice","at":"{}","event":"{event}","id":"{bobs}","role":"readonly","requestor":"bob","requestedBy":"{requested_by}","reason":"r","detail":"x"}}"#,
            now()
        );
        let ran = append(cluster, &p.alice, &line);
        assert!(refused_by(&ran, "crusoe-support-requesters") && ran.stderr.contains("party"), "{event}: {ran:?}");
    }
    let enabled = format!(r#"{{"by":"owner","at":"{}","event":"enabled","detail":"x"}}"#, now());
    assert!(refused_by(&append(cluster, &p.owner, &enabled), "crusoe-support-requesters"), "the owner's event");
}

#[test]
fn a_pending_record_carries_no_answer_but_an_approvers_own_and_approved_by_is_never_rewritten() {
    let cluster = &*CLUSTER;
    let p = parties(cluster, &["--approval", "required"]);
    let asking = alice_asks(cluster, &p, "readonly");
    let id = waiting_id(cluster);
    let record = format!("crusoe-support-{id}");
    let annotate = |who: &Path, pairs: &[String]| {
        let args = [
            &["annotate", "--overwrite", "clusterrolebinding", record.as_str()][..],
            &pairs.iter().map(String::as_str).collect::<Vec<_>>(),
        ]
        .concat();
        as_user(cluster, who, &args)
    };
    let denied_by = |by: &str| {
        vec![format!("support-access.crusoe.ai/denied-by={by}"), "support-access.crusoe.ai/denied-reason=no".into()]
    };
    // alice answers her own request in owner2's name: her waiting request would say "denied by owner2".
    let ran = annotate(&p.alice, &denied_by("owner2"));
    assert!(refused_by(&ran, "crusoe-support-requests") && ran.stderr.contains("denial"), "{ran:?}");
    let ran = annotate(&p.owner, &denied_by("owner2"));
    assert!(refused_by(&ran, "crusoe-support-requests"), "an approver denies only in its own name: {ran:?}");

    plugin_ok(cluster, &p.owner, &["approve", &id]);
    let out = asking.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for pairs in [
        vec!["support-access.crusoe.ai/approved-by=owner2".to_string()],
        vec!["support-access.crusoe.ai/approved-at=2026-01-01T00:00:00Z".to_string()],
    ] {
        let ran = annotate(&p.owner2, &pairs);
        assert!(refused_by(&ran, "crusoe-support-requests") && ran.stderr.contains("never rewritten"), "{ran:?}");
    }
    let approved_by = cluster.kubectl_ok(&[
        "get",
        "clusterrolebinding",
        &record,
        "-o",
        "jsonpath={.metadata.annotations.support-access\\.crusoe\\.ai/approved-by}",
    ]);
    assert_eq!(approved_by, "owner");
}

/// A `-debug` companion of request `id` in kube-system, owned by its record (uid), bound to
/// `account`, made by `requested_by`'s request and approved by `approved_by`.
fn companion(
    id: &str,
    uid: &str,
    account: &str,
    role: &str,
    suffix: &str,
    requested_by: &str,
    approved_by: &str,
) -> String {
    let cluster_role = if suffix == "debug" { "crusoe-support-debug" } else { "crusoe-support-logs" };
    format!(
        r#"apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: crusoe-support-{id}-{suffix}
  namespace: kube-system
  labels:
    app.kubernetes.io/managed-by: kubectl-supportaccess
    support-access.crusoe.ai/managed: "true"
    support-access.crusoe.ai/request-id: {id}
    support-access.crusoe.ai/role: {role}
  annotations:
    support-access.crusoe.ai/requested-by: {requested_by}
    support-access.crusoe.ai/approved-by: {approved_by}
  ownerReferences:
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRoleBinding
    name: crusoe-support-{id}
    uid: {uid}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {cluster_role}}}
subjects:
- {{kind: ServiceAccount, namespace: {NS}, name: {account}}}
"#
    )
}

fn uid_of(cluster: &TestCluster, id: &str) -> String {
    cluster.kubectl_ok(&[
        "get",
        "clusterrolebinding",
        &format!("crusoe-support-{id}"),
        "-o",
        "jsonpath={.metadata.uid}",
    ])
}

#[test]
fn a_companion_comes_only_after_the_quorum_and_only_for_its_records_own_account() {
    let cluster = &*CLUSTER;
    let p = parties(cluster, &["--approval", "required", "--approvals", "2"]);
    let asking = alice_asks(cluster, &p, "operator");
    let id = waiting_id(cluster);
    let out = plugin_ok(cluster, &p.owner, &["approve", &id]);
    assert!(out.contains("1 of 2") || out.contains("waiting"), "{out}");
    // owner alone makes the -debug companion for the ServiceAccount the grant will bind, and the
    // ServiceAccount itself: exec in kube-system while the record still waits.
    let expires = cluster.kubectl_ok(&[
        "get",
        "clusterrolebinding",
        &format!("crusoe-support-{id}"),
        "-o",
        "jsonpath={.metadata.annotations.support-access\\.crusoe\\.ai/expires-at}",
    ]);
    let account = crate::common::account_of(&id, expires.trim(), "alice");
    let early = companion(&id, &uid_of(cluster, &id), &account, "operator", "debug", "alice", "owner");
    let ran = cluster.create_as(&p.owner, &early);
    assert!(refused_by(&ran, "crusoe-support-requests") && ran.stderr.contains("already grants"), "{ran:?}");

    // The second approval grants it, and the plugin's own companions follow the grant.
    plugin_ok(cluster, &p.owner2, &["approve", &id]);
    let out = asking.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    eventually("the companions follow the grant", || {
        crate::common::run(cluster.kubectl().args([
            "-n",
            "kube-system",
            "get",
            "rolebinding",
            &format!("crusoe-support-{id}-debug"),
        ]))
        .code
            == 0
    });
}

#[test]
fn a_look_alike_account_never_rides_another_requesters_record() {
    let cluster = &*CLUSTER;
    let p = parties(cluster, &[]);
    let (bobs, _) = request(cluster, &p.bob, &["--role", "operator"]);
    let expires = cluster.kubectl_ok(&[
        "get",
        "clusterrolebinding",
        &format!("crusoe-support-{bobs}"),
        "-o",
        "jsonpath={.metadata.annotations.support-access\\.crusoe\\.ai/expires-at}",
    ]);
    // alice's ServiceAccount named for bob's request but carrying herself (the guards let a
    // requester make request ServiceAccounts in its own name), then a companion owned by bob's
    // record that binds it.
    let look_alike = crate::common::account_of(&bobs, expires.trim(), "alice");
    let sa = format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {look_alike}\n  namespace: {NS}\n  labels:\n    app.kubernetes.io/managed-by: kubectl-supportaccess\n    support-access.crusoe.ai/managed: \"true\"\n    support-access.crusoe.ai/request-id: {bobs}\nautomountServiceAccountToken: false\n"
    );
    let made = cluster.create_as(&p.alice, &sa);
    let uid = uid_of(cluster, &bobs);
    for suffix in ["logs", "debug"] {
        let riding = companion(&bobs, &uid, &look_alike, "operator", suffix, "alice", "alice");
        let name = format!("crusoe-support-{bobs}-{suffix}");
        cluster.kubectl_ok(&["-n", "kube-system", "delete", "rolebinding", &name, "--ignore-not-found"]);
        let ran = cluster.create_as(&p.alice, &riding);
        assert!(
            refused_by(&ran, "crusoe-support-requests") && ran.stderr.contains("already grants"),
            "{made:?} {ran:?}"
        );
    }
}

#[test]
fn a_person_on_both_lists_mints_no_token_but_its_own_requests() {
    let cluster = &*CLUSTER;
    let dual = cluster.user("dual", &[]);
    cluster.supportaccess_ok(NS, &["enable", "--requesters", "user:dual", "--approvers", "user:dual"]);
    eventually("dual's bindings are in force", || {
        as_user(cluster, &dual, &["auth", "can-i", "create", "serviceaccounts/token", "-n", NS]).stdout.trim() == "yes"
    });
    // A component's account in the system namespace, bound to view.
    cluster.kubectl_ok(&["-n", NS, "create", "serviceaccount", "component"]);
    cluster.kubectl_ok(&[
        "create",
        "clusterrolebinding",
        "component-view",
        "--clusterrole=view",
        &format!("--serviceaccount={NS}:component"),
    ]);
    for account in ["default", "component"] {
        let ran = as_user(cluster, &dual, &["-n", NS, "create", "token", account, "--duration", "10m"]);
        assert!(refused_by(&ran, "crusoe-support-credentials"), "{account}: {ran:?}");
    }
    // Its own request works.
    let (id, kubeconfig) = request(cluster, &dual, &["--role", "readonly"]);
    assert_eq!(as_user(cluster, &kubeconfig, &["get", "pods", "-A"]).code, 0, "{id}");
}

#[test]
fn a_support_credential_of_an_allowed_clusterrole_never_reaches_the_support_state_or_outlives_its_request() {
    let cluster = &*CLUSTER;
    cluster.kubectl_ok(&["create", "namespace", "staging"]);
    let p = parties(cluster, &["--clusterroles", "edit,admin/namespaced", "--yes"]);
    // Scoped to the system namespace: refused by the plugin and by the API server.
    let ran = plugin_as(
        cluster,
        &p.alice,
        &["request", "--role", "edit", "--scope", NS, "--reason", "r", "--duration", "1h"],
    );
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(ran.stderr.contains("support state"), "{ran:?}");
    let scoped = crate::clusterroles::cluster_role_record("inside", "edit", Some(NS), "alice");
    let ran = cluster.create_as(&p.alice, &scoped);
    assert!(refused_by(&ran, "crusoe-support-requests") && ran.stderr.contains("never scoped"), "{ran:?}");
    let (bobs, _) = request(cluster, &p.bob, &["--role", "operator"]);
    let bobs_account = cluster.account_of(&bobs);
    cluster.kubectl_ok(&["-n", "default", "create", "deployment", "web", "--image=registry.example/web:1"]);
    let (_, edit) = request(cluster, &p.alice, &["--role", "edit", "--scope", "*"]);
    let refused_as_support = |ran: &Ran| refused_by(ran, "crusoe-support-identities");

    // Cluster-wide edit: the trail, the policy, another's request, a backdoor account and token.
    let newest = cluster.chunks(NS).pop().unwrap();
    for args in [
        &["-n", NS, "delete", "configmap", &newest, "--dry-run=server"][..],
        &["-n", NS, "label", "configmap", "support-access", "x=y", "--dry-run=server"],
        &["-n", NS, "delete", "serviceaccount", &bobs_account, "--dry-run=server"],
        &["-n", NS, "create", "serviceaccount", "backdoor", "--dry-run=server"],
        &["-n", "default", "create", "token", "default", "--duration", "48h"],
    ] {
        let ran = as_user(cluster, &edit, args);
        assert!(refused_as_support(&ran), "{args:?}: {ran:?}");
    }
    // Acting as bob's request through impersonation (edit may impersonate ServiceAccounts).
    let as_bob = format!("--as=system:serviceaccount:{NS}:{bobs_account}");
    let ran = as_user(
        cluster,
        &edit,
        &[
            &as_bob,
            "-n",
            "default",
            "patch",
            "deployment",
            "web",
            "-p",
            r#"{"spec":{"replicas":2}}"#,
            "--dry-run=server",
        ],
    );
    assert!(refused_as_support(&ran) && ran.stderr.contains("impersonation"), "{ran:?}");

    // admin in a namespace writes RBAC there: refused, so nothing it binds outlives it.
    let (_, admin) = request(cluster, &p.alice, &["--role", "admin", "--scope", "staging"]);
    let ran = as_user(
        cluster,
        &admin,
        &["-n", "staging", "create", "rolebinding", "stay", "--clusterrole=admin", "--user=mallory"],
    );
    assert!(refused_as_support(&ran), "{ran:?}");
    // What it may do in its scope still works.
    let ran = as_user(cluster, &admin, &["-n", "staging", "create", "configmap", "work"]);
    assert_eq!(ran.code, 0, "{ran:?}");
}

#[test]
fn a_full_chunk_opens_the_next_part_for_a_requester_and_no_line_is_lost() {
    use kubectl_supportaccess::state::history::{EventKind, HistoryEvent};
    use kubectl_supportaccess::state::trail::{Head, chain};
    let cluster = &*CLUSTER;
    let p = parties(cluster, &[]);
    // The owner's side filled the newest chunk to within a line of its 64 KiB, chained.
    let map = history(cluster);
    let old = map["data"]["lines"].as_str().unwrap().to_string();
    let head = Head::after(&Head::genesis(), old.lines());
    let filler = |detail: usize| HistoryEvent::policy(EventKind::Expired, "kubernetes-admin", "x".repeat(detail));
    let size = |events: &[HistoryEvent]| old.len() + chain(&head, events).0.len();
    // A value of at most 64 KiB less its key's 5 bytes; 100 bytes left, less than any line.
    let target = 64 * 1024 - 5 - 100;
    let mut events = Vec::new();
    while size(&events) + 1200 < target {
        events.push(filler(300));
    }
    let probe = size(&[events.clone(), vec![filler(0)]].concat()) - size(&events);
    events.push(filler(target - size(&events) - probe));
    let (text, _) = chain(&head, &events);
    let full = format!("{old}{text}");
    assert_eq!(full.len(), target);
    let ran = replace_history(cluster, &cluster.kubeconfig, |map| map["data"]["lines"] = serde_json::json!(full));
    assert_eq!(ran.code, 0, "{ran:?}");
    let before = lines(cluster);
    let parts = cluster.chunks(NS).len();

    let asked = plugin_as(
        cluster,
        &p.alice,
        &["request", "-o", "json", "--role", "readonly", "--reason", "r", "--duration", "1h"],
    );
    assert_eq!(asked.code, 0, "{asked:?}");
    assert!(!asked.stderr.contains("room"), "{asked:?}");
    assert_eq!(lines(cluster), before + 1, "her line is in the trail");
    assert_eq!(cluster.chunks(NS).len(), parts + 1, "in the next part");
    let id = serde_json::from_str::<serde_json::Value>(&asked.stdout).unwrap()["id"].as_str().unwrap().to_string();
    // A party's write past a chunk's size is refused: her line appended to the full part.
    let line = format!(
        r#"{{"by":"alice","at":"{}","event":"renewed","id":"{id}","requestedBy":"alice","detail":"{}"}}"#,
        now(),
        "y".repeat(1500)
    );
    let name = cluster.chunks(NS)[parts - 1].clone();
    let mut full_map: serde_json::Value =
        serde_json::from_str(&cluster.kubectl_ok(&["-n", NS, "get", "configmap", &name, "-o", "json"])).unwrap();
    let kept = full_map["data"]["lines"].as_str().unwrap().to_string();
    full_map["data"]["lines"] = serde_json::json!(format!("{kept}{line}\n"));
    let ran = fed(cluster.kubectl().env("KUBECONFIG", &p.alice).args(["replace", "-f", "-"]), &full_map.to_string());
    assert!(refused_by(&ran, "crusoe-support-requesters") && ran.stderr.contains("past its size"), "{ran:?}");

    cluster.supportaccess_ok(NS, &["revoke", &id]);
    assert_eq!(lines(cluster), before + 2);
    let verified = cluster.supportaccess(NS, &["history", "--verify"]);
    assert_eq!(verified.code, 0, "the chain runs across the parts: {verified:?}");
}

#[test]
fn a_requesters_own_account_carries_nothing_that_ends_or_keeps_it_but_its_request() {
    let cluster = &*CLUSTER;
    let p = parties(cluster, &[]);
    let end = crate::common::minutes_from_now(60);
    let own = crate::common::account_of("mine1", &end, "alice");
    let account = |extra: &str| {
        format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {own}\n  namespace: {NS}\n  labels:\n    app.kubernetes.io/managed-by: kubectl-supportaccess\n    support-access.crusoe.ai/managed: \"true\"\n    support-access.crusoe.ai/request-id: mine1\n{extra}automountServiceAccountToken: false\n"
        )
    };
    for extra in [
        "  finalizers: [example.com/keep]\n",
        "  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: gone, uid: 0b4f2a9e-5a2d-4f0e-9d1b-000000000001}]\n",
        "  annotations: {note: x}\n",
    ] {
        let ran = cluster.create_as(&p.alice, &account(extra));
        assert!(
            refused_by(&ran, "crusoe-support-requesters") && ran.stderr.contains("nothing may end or keep it"),
            "{extra}: {ran:?}"
        );
    }
    let ran = cluster.create_as(&p.alice, &account(""));
    assert_eq!(ran.code, 0, "the bare one, as `request` makes it: {ran:?}");
}
