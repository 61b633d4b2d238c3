//! The jitsudo half (issue 30): support requests an existing ClusterRole the owner allows
//! (`enable --clusterroles`), cluster-wide or in one namespace, as the requester `prov` bound only
//! through `enable --requesters`. The document's three examples, the credentials they give, and
//! what the plugin and the admission guards refuse, with plain kubectl as an attacker would try it.

use std::path::PathBuf;

use crate::common::{CLUSTER, Ran, TestCluster, account_of, eventually, minutes_from_now, record_manifest, run};
use crate::requester::{Parties, as_user, parties, plugin_as, plugin_ok, refused_by, shell_as};

const NS: &str = "crusoe-system";

/// Namespaces `staging` and `production`, with a Deployment `web` in production.
fn workloads(cluster: &TestCluster) {
    for ns in ["staging", "production"] {
        cluster.kubectl_ok(&["create", "namespace", ns]);
    }
    cluster.kubectl_ok(&["create", "deployment", "web", "--image=registry.k8s.io/pause:3.10", "-n", "production"]);
}

/// `request -o json` as prov with these flags (and environment); the JSON it printed.
fn prov_request(cluster: &TestCluster, parties: &Parties, env: &[(&str, &str)], args: &[&str]) -> serde_json::Value {
    let mut command = cluster.kubectl();
    command.env("KUBECONFIG", &parties.prov).envs(env.iter().copied());
    let ran = run(command.args(["supportaccess", "request", "-o", "json"]).args(args).args(["-n", NS]));
    assert_eq!(ran.code, 0, "request {args:?} {env:?}: {ran:?}");
    serde_json::from_str(&ran.stdout).unwrap()
}

fn id_and_kubeconfig(json: &serde_json::Value) -> (String, PathBuf) {
    (json["id"].as_str().unwrap().to_string(), PathBuf::from(json["kubeconfig"].as_str().unwrap()))
}

/// Refused by RBAC or by a guard: anything but success, and not a connection problem.
fn refused(ran: &Ran) -> bool {
    ran.code != 0 && (ran.stderr.contains("forbidden") || ran.stderr.contains("Forbidden"))
}

/// A record of ClusterRole `cluster_role` as `request` writes it, made by `user` (who must be the
/// one creating it), cluster-wide or in `scope`.
pub(crate) fn cluster_role_record(id: &str, cluster_role: &str, scope: Option<&str>, user: &str) -> String {
    let (at, end) = (minutes_from_now(0), minutes_from_now(30));
    let manifest = record_manifest(NS, id, "clusterrole", &at, &end, None)
        .replace(
            "requested-by: kubernetes-admin",
            &format!("requested-by: {user}\n    support-access.crusoe.ai/cluster-role: \"{cluster_role}\""),
        )
        .replace("name: crusoe-support-clusterrole", &format!("name: {cluster_role}"))
        .replace(&account_of(id, &end, "kubernetes-admin"), &account_of(id, &end, user));
    match scope {
        Some(ns) => manifest.replace(
            "kind: ClusterRoleBinding\nmetadata:\n",
            &format!("kind: RoleBinding\nmetadata:\n  namespace: {ns}\n"),
        ),
        None => manifest,
    }
}

#[test]
fn the_jitsudo_examples_work_for_prov_with_the_clusterroles_the_owner_allows() {
    let cluster = &*CLUSTER;
    workloads(cluster);
    let parties = parties(cluster, &["--clusterroles", "view,edit,cluster-admin", "--yes"]);
    let admin = prov_request(
        cluster,
        &parties,
        &[],
        &[
            "--role",
            "cluster-admin",
            "--scope",
            "*",
            "--duration",
            "15m",
            "--reason",
            "Debug kube-system CrashLoopBackOff",
        ],
    );
    let edit = prov_request(
        cluster,
        &parties,
        &[],
        &[
            "--role",
            "edit",
            "--scope",
            "production",
            "--duration",
            "30m",
            "--reason",
            "Scale deployment for traffic spike",
        ],
    );
    let view = prov_request(
        cluster,
        &parties,
        &[],
        &[
            "--role",
            "view",
            "--scope",
            "staging",
            "--duration",
            "1h",
            "--reason",
            "Audit staging environment for compliance review",
        ],
    );
    assert_eq!((admin["role"].as_str(), admin["scope"].as_str()), (Some("cluster-admin"), None));
    assert_eq!((edit["role"].as_str(), edit["scope"].as_str()), (Some("edit"), Some("production")));
    let (admin_id, admin_config) = id_and_kubeconfig(&admin);
    let (edit_id, edit_config) = id_and_kubeconfig(&edit);
    let (_, view_config) = id_and_kubeconfig(&view);

    // What each credential does is what its ClusterRole, in its scope, gives.
    let as_view = |args: &[&str]| as_user(cluster, &view_config, args);
    assert_eq!(as_view(&["get", "pods", "-n", "staging"]).code, 0);
    assert!(refused(&as_view(&["get", "pods", "-n", "production"])));
    assert!(refused(&as_view(&["get", "secrets", "-n", "staging"])));
    let as_edit = |args: &[&str]| as_user(cluster, &edit_config, args);
    let scaled = as_edit(&["scale", "deployment", "web", "--replicas", "2", "-n", "production"]);
    assert_eq!(scaled.code, 0, "{scaled:?}");
    assert!(refused(&as_edit(&["get", "pods", "-n", "staging"])));
    // The guardrails bind every support identity, whatever its role: edit may scale, not swap images.
    let swapped = as_edit(&["set", "image", "deployment/web", "pause=registry.example/evil:1", "-n", "production"]);
    assert!(refused_by(&swapped, "crusoe-support-guardrails"), "{swapped:?}");
    let secrets = as_user(cluster, &admin_config, &["get", "secrets", "-A"]);
    assert_eq!(secrets.code, 0, "what the owner chose: {secrets:?}");

    // The record names its ClusterRole; no -logs/-debug companions.
    let record = cluster.kubectl_ok(&[
        "get",
        "rolebinding",
        &format!("crusoe-support-{edit_id}"),
        "-n",
        "production",
        "-o",
        "json",
    ]);
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(record["metadata"]["labels"]["support-access.crusoe.ai/role"], "clusterrole");
    assert_eq!(record["metadata"]["annotations"]["support-access.crusoe.ai/cluster-role"], "edit");
    assert_eq!(record["roleRef"]["name"], "edit");
    let companions = cluster.kubectl_ok(&[
        "get",
        "rolebindings",
        "-A",
        "-l",
        &format!("support-access.crusoe.ai/request-id={admin_id}"),
        "-o",
        "name",
    ]);
    assert_eq!(companions.trim(), "", "a ClusterRole's request has no companions");

    // exec and shell with the edit request.
    // `-n` before `exec`: everything after `--` is the command's.
    let exec = run(cluster.kubectl().env("KUBECONFIG", &parties.prov).args([
        "supportaccess",
        "-n",
        NS,
        "exec",
        &edit_id,
        "--",
        "kubectl",
        "get",
        "pods",
        "-n",
        "production",
    ]));
    assert_eq!(exec.code, 0, "{exec:?}");
    let input = "kubectl get deployment web -n production -o name && echo \"role=$SUPPORTACCESS_ROLE\"\n";
    let said = shell_as(cluster, &parties.prov, &edit_id, input);
    assert!(said.contains("deployment.apps/web") && said.contains("role=edit"), "{said}");

    // `get` names each by its ClusterRole, and marks the one the guards do not bind.
    let get = cluster.supportaccess(NS, &["get"]);
    assert_eq!(get.code, 0, "{get:?}");
    assert!(get.stdout.contains("Allowed ClusterRoles: cluster-admin,edit,view"), "{}", get.stdout);
    assert!(get.stdout.contains("Role: ClusterRole edit"), "{}", get.stdout);
    assert!(get.stderr.contains(&format!("request {admin_id} holds ClusterRole cluster-admin")), "{}", get.stderr);
    assert!(
        !get.stderr.contains(&format!("request {edit_id} holds")),
        "edit cannot write RBAC, escalate, impersonate users or delete the guards: {}",
        get.stderr
    );
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    let requests = json["activeRequests"].as_array().unwrap();
    let of = |id: &str| requests.iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!(of(&edit_id)["role"], "edit");
    let held = of(&admin_id)["capabilities"]["held"].to_string();
    assert!(held.contains("deletesAdmissionPolicies") && held.contains("writesRbac"), "{held}");
}

#[test]
fn a_clusterrole_not_allowed_or_allowed_in_namespaces_only_is_refused_by_the_plugin_and_the_guard() {
    let cluster = &*CLUSTER;
    workloads(cluster);
    let parties = parties(cluster, &["--clusterroles", "view,edit/namespaced"]);
    let before = cluster.managed_bindings();
    let ask = |args: &[&str]| {
        plugin_as(cluster, &parties.prov, &[&["request", "--duration", "30m", "--reason", "x"], args].concat())
    };
    let admin = ask(&["--role", "admin", "--scope", "staging"]);
    assert_eq!(admin.code, 3, "{admin:?}");
    assert!(admin.stderr.contains("ClusterRole admin is not one support may request"), "{}", admin.stderr);
    let wide = ask(&["--role", "edit"]);
    assert_eq!(wide.code, 3, "{wide:?}");
    assert!(wide.stderr.contains("allowed in one namespace only"), "{}", wide.stderr);
    let own = ask(&["--role", "crusoe-support-operator"]);
    assert_eq!(own.code, 2, "{own:?}");
    assert_eq!(cluster.managed_bindings(), before, "nothing was made");

    // The same records with plain kubectl: the admission guard refuses them, for the cluster-admin
    // too (prov lacks `bind` on admin: RBAC refuses that one first).
    let guard = "crusoe-support-requests";
    let ran = cluster.apply_result(&cluster_role_record("ab12", "admin", Some("staging"), "kubernetes-admin"));
    assert!(refused_by(&ran, guard) && ran.stderr.contains("clusterRoles"), "{ran:?}");
    let ran = cluster.apply_result(&cluster_role_record("ab13", "edit", None, "kubernetes-admin"));
    assert!(refused_by(&ran, guard), "{ran:?}");
    let ran = cluster.create_as(&parties.prov, &cluster_role_record("ab14", "edit", None, "prov"));
    assert!(refused_by(&ran, guard), "{ran:?}");
    let ran = cluster.create_as(&parties.prov, &cluster_role_record("ab15", "admin", Some("staging"), "prov"));
    assert!(refused(&ran), "{ran:?}");
    // A Crusoe role's label with another roleRef, and an allowed name under another label.
    let relabelled =
        cluster_role_record("ab16", "view", None, "kubernetes-admin").replace("role: clusterrole", "role: readonly");
    assert!(refused_by(&cluster.apply_result(&relabelled), guard));
    let renamed = cluster_role_record("ab17", "view", None, "kubernetes-admin").replace("name: view", "name: admin");
    assert!(refused_by(&cluster.apply_result(&renamed), guard));
    // What the owner allows passes the guard.
    let ran = cluster.create_as(&parties.prov, &cluster_role_record("ab18", "edit", Some("production"), "prov"));
    assert_eq!(ran.code, 0, "{ran:?}");
}

#[test]
fn withdrawing_a_clusterrole_revokes_its_requests_at_once() {
    let cluster = &*CLUSTER;
    workloads(cluster);
    let parties = parties(cluster, &["--clusterroles", "view,edit,cluster-admin", "--yes"]);
    let request = |role: &str, scope: &str| {
        let json = prov_request(
            cluster,
            &parties,
            &[],
            &["--role", role, "--scope", scope, "--duration", "30m", "--reason", "incident 7"],
        );
        id_and_kubeconfig(&json)
    };
    let (view_id, view_config) = request("view", "staging");
    let (edit_id, edit_config) = request("edit", "production");
    let (admin_id, admin_config) = request("cluster-admin", "*");
    let enabled = cluster.supportaccess_ok(NS, &["enable", "--clusterroles", "view", "--yes"]);
    assert!(enabled.contains("Revoked 2 request(s)"), "{enabled}");
    for (id, config, what) in [(&edit_id, &edit_config, "pods -n production"), (&admin_id, &admin_config, "pods -A")] {
        let args: Vec<&str> = std::iter::once("get").chain(what.split(' ')).collect();
        eventually(&format!("{id} refused"), || as_user(cluster, config, &args).code != 0);
    }
    assert_eq!(as_user(cluster, &view_config, &["get", "pods", "-n", "staging"]).code, 0, "view stays");
    let history = plugin_ok(cluster, &parties.owner, &["history"]);
    assert!(history.contains(&edit_id) && history.contains("no longer enabled"), "{history}");
    let again = plugin_as(cluster, &parties.prov, &["renew", &edit_id]);
    assert_ne!(again.code, 0, "{again:?}");
    assert!(cluster.supportaccess_ok(NS, &["get"]).contains(&view_id));
}

#[test]
fn role_and_scope_come_from_the_environment_and_the_owners_default_scope_and_only_existing_roles_are_used() {
    let cluster = &*CLUSTER;
    workloads(cluster);
    let parties = parties(cluster, &["--clusterroles", "view", "--default-scope", "staging"]);
    let reason = ["--duration", "30m", "--reason", "compliance review"];
    let defaulted = prov_request(cluster, &parties, &[("KUBECTL_SUPPORTACCESS_ROLE", "view")], &reason);
    assert_eq!((defaulted["role"].as_str(), defaulted["scope"].as_str()), (Some("view"), Some("staging")));
    let env = [("KUBECTL_SUPPORTACCESS_ROLE", "view"), ("KUBECTL_SUPPORTACCESS_SCOPE", "production")];
    let from_env = prov_request(cluster, &parties, &env, &reason);
    assert_eq!(from_env["scope"].as_str(), Some("production"));
    // A flag wins over the environment; '*' is cluster-wide whatever the default.
    let wide = prov_request(cluster, &parties, &env, &[&["--scope", "*", "--role", "readonly"], &reason[..]].concat());
    assert_eq!((wide["role"].as_str(), wide["scope"].as_str()), (Some("readonly"), None));
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    assert_eq!(json["policy"]["defaultScope"], "staging");
    // A default scope that does not exist, and a ClusterRole that does not, are refused by enable.
    for flags in [["--default-scope", "nowhere"], ["--clusterroles", "no-such-role"]] {
        let ran = cluster.supportaccess(NS, &[&["enable"], &flags[..]].concat());
        assert_eq!(ran.code, 2, "{ran:?}");
        assert!(ran.stderr.contains("does not exist") && ran.stderr.lines().count() <= 2, "{}", ran.stderr);
    }
    // One that disappears after it was allowed: `get` warns, `request` refuses and makes nothing.
    cluster.kubectl_ok(&["create", "clusterrole", "support-extra", "--verb=get", "--resource=pods"]);
    cluster.supportaccess_ok(NS, &["enable", "--clusterroles", "view,support-extra"]);
    cluster.kubectl_ok(&["delete", "clusterrole", "support-extra"]);
    eventually("get warns", || {
        cluster
            .supportaccess(NS, &["get"])
            .stderr
            .contains("ClusterRole support-extra, which support may request, is missing")
    });
    let before = cluster.managed_bindings();
    let ran = plugin_as(
        cluster,
        &parties.prov,
        &["request", "--role", "support-extra", "--scope", "staging", "--duration", "30m", "--reason", "x"],
    );
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("ClusterRole support-extra does not exist"), "{}", ran.stderr);
    assert_eq!(cluster.managed_bindings(), before);
}

#[test]
fn roles_verify_says_what_each_allowed_clusterrole_can_do_and_enable_asks_before_cluster_admin() {
    let cluster = &*CLUSTER;
    let enabled = cluster.supportaccess_ok(NS, &["enable", "--clusterroles", "view,edit/namespaced"]);
    assert!(enabled.contains("ClusterRole view: reads secrets: no"), "{enabled}");
    assert!(enabled.contains("ClusterRole edit (in a namespace only): reads secrets: yes"), "{enabled}");
    let before =
        cluster.kubectl_ok(&["get", "configmap", "support-access", "-n", NS, "-o", "jsonpath={.data.clusterRoles}"]);
    // No terminal, no --yes: refused, naming why, and nothing changes.
    let ran = cluster.supportaccess(NS, &["enable", "--clusterroles", "view,cluster-admin"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("cluster-admin") && ran.stderr.contains("rests on trust"), "{}", ran.stderr);
    let after =
        cluster.kubectl_ok(&["get", "configmap", "support-access", "-n", NS, "-o", "jsonpath={.data.clusterRoles}"]);
    assert_eq!(before, after);
    let verified = cluster.supportaccess(NS, &["roles", "--verify"]);
    assert_eq!(verified.code, 0, "{verified:?}");
    assert!(
        verified.stdout.contains("Support may also request ClusterRole view: reads secrets: no"),
        "{}",
        verified.stdout
    );
    assert!(verified.stdout.contains("ClusterRole edit (in a namespace only)"), "{}", verified.stdout);
    let json: serde_json::Value =
        serde_json::from_str(&cluster.supportaccess_ok(NS, &["roles", "--verify", "-o", "json"])).unwrap();
    let rows = json["clusterRoles"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{json}");
    let edit = rows.iter().find(|r| r["name"] == "edit").unwrap();
    assert_eq!(edit["namespacedOnly"], true);
    let held = edit["capabilities"]["held"].to_string();
    assert!(
        held.contains("readsSecrets") && held.contains("execs") && !held.contains("deletesAdmissionPolicies"),
        "{held}"
    );
    // No temporary binding is left behind.
    let left = cluster.kubectl_ok(&[
        "get",
        "clusterrolebindings,rolebindings",
        "-A",
        "-l",
        "support-access.crusoe.ai/verify",
        "-o",
        "name",
    ]);
    assert_eq!(left.trim(), "");
    let allowed = cluster.supportaccess_ok(NS, &["enable", "--clusterroles", "view,cluster-admin", "--yes"]);
    assert!(allowed.contains("ClusterRole cluster-admin: reads secrets: yes, writes RBAC: yes"), "{allowed}");
    assert!(allowed.contains("the guards do not bind it"), "{allowed}");
}

#[test]
fn a_clusterrole_request_waits_for_approval_and_is_extended_like_any_other() {
    let cluster = &*CLUSTER;
    workloads(cluster);
    let parties = parties(cluster, &["--clusterroles", "view", "--approval", "required"]);
    let spawn = |args: &[&str]| {
        cluster
            .kubectl()
            .env("KUBECONFIG", &parties.prov)
            .args(["supportaccess", "-n", NS])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let asked = ["-o", "json", "--role", "view", "--scope", "staging", "--duration", "20m", "--reason", "audit"];
    let waiting = spawn(&[&["request"], &asked[..]].concat());
    let pending = |field: &str| {
        let mut found = None;
        eventually("a request waits for the owner", || {
            let json: serde_json::Value =
                serde_json::from_str(&plugin_ok(cluster, &parties.owner, &["get", "-o", "json"])).unwrap();
            found = json["pendingRequests"][0][field].as_str().map(str::to_string).or_else(|| {
                json["activeRequests"]
                    .as_array()
                    .and_then(|all| all.iter().find(|r| !r["extensionRequested"].is_null()))
                    .and_then(|r| r[field].as_str().map(str::to_string))
            });
            found.is_some()
        });
        found.unwrap()
    };
    let id = pending("id");
    assert_eq!(pending("role"), "view");
    // Pending, it grants nothing; the owner approves; the waiting request mints its credential.
    let approved = plugin_ok(cluster, &parties.owner, &["approve", &id]);
    assert!(approved.contains("Approved view access"), "{approved}");
    let made = crate::common::finish(waiting);
    assert_eq!(made.code, 0, "{made:?}");
    let json: serde_json::Value = serde_json::from_str(&made.stdout).unwrap();
    let config = PathBuf::from(json["kubeconfig"].as_str().unwrap());
    assert_eq!(as_user(cluster, &config, &["get", "pods", "-n", "staging"]).code, 0);
    let record =
        || cluster.kubectl_ok(&["get", "rolebinding", &format!("crusoe-support-{id}"), "-n", "staging", "-o", "json"]);
    let before: serde_json::Value = serde_json::from_str(&record()).unwrap();
    assert_eq!(before["metadata"]["annotations"]["support-access.crusoe.ai/approved-by"], "owner");
    // An extension waits for the owner too, and moves the request to a new ServiceAccount.
    let extending = spawn(&["extend", &id, "--by", "10m"]);
    eventually("the extension waits", || {
        serde_json::from_str::<serde_json::Value>(&record()).unwrap()["metadata"]["annotations"]
            ["support-access.crusoe.ai/extension-requested"]
            .is_string()
    });
    plugin_ok(cluster, &parties.owner, &["approve", &id]);
    let extended = crate::common::finish(extending);
    assert_eq!(extended.code, 0, "{extended:?}");
    let after: serde_json::Value = serde_json::from_str(&record()).unwrap();
    assert_ne!(after["subjects"][0]["name"], before["subjects"][0]["name"]);
    assert_ne!(
        after["metadata"]["annotations"]["support-access.crusoe.ai/expires-at"],
        before["metadata"]["annotations"]["support-access.crusoe.ai/expires-at"]
    );
    assert_eq!(as_user(cluster, &config, &["get", "pods", "-n", "staging"]).code, 0, "the new credential works");
    let history = plugin_ok(cluster, &parties.owner, &["history"]);
    assert!(history.contains("approved") && history.contains("extended"), "{history}");
}
