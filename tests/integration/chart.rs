//! Chart 0.2.0 on real control planes: the operator namespaces, the default limits, missing roles.

use std::path::{Path, PathBuf};

use crate::common::{Ran, TestCluster, eventually, own_cluster, run};

const NS: &str = "crusoe-system";

fn request(cluster: &TestCluster, args: &[&str]) -> (String, PathBuf) {
    crate::common::request(cluster, NS, args)
}

/// `kubectl supportaccess -n NS exec ID -- COMMAND…` (the namespace flag before `--`, so that the
/// command gets no `-n` of its own).
fn exec(cluster: &TestCluster, id: &str, command: &[&str]) -> Ran {
    run(cluster.kubectl().args(["supportaccess", "-n", NS, "exec", id, "--"]).args(command))
}

fn as_support(cluster: &TestCluster, kubeconfig: &Path, args: &[&str]) -> Ran {
    run(cluster.kubectl().env("KUBECONFIG", kubeconfig).args(args))
}

/// `kubectl auth can-i VERB RESOURCE -n NS` with a support credential, retried a short while
/// (RBAC is read from the watch cache) until it says `want`.
fn can_i(cluster: &TestCluster, kubeconfig: &Path, verb: &str, resource: &str, ns: &str, want: &str) {
    let (object, subresource) = resource.split_once('/').unwrap_or((resource, ""));
    let subresource = format!("--subresource={subresource}");
    eventually(&format!("can-i {verb} {resource} -n {ns}: {want}"), || {
        as_support(cluster, kubeconfig, &["auth", "can-i", verb, object, &subresource, "-n", ns]).stdout.trim() == want
    });
}

#[test]
fn an_operator_request_gets_logs_and_debug_in_slurm_and_a_readonly_one_nothing_there() {
    let cluster = own_cluster();
    cluster.kubectl_ok(&["create", "namespace", "slurm"]);
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "operator"]);
    let policy = cluster.kubectl_ok(&["get", "configmap", "support-access", "-n", NS, "-o", "json"]);
    let policy: serde_json::Value = serde_json::from_str(&policy).unwrap();
    assert_eq!(policy["data"]["operatorNamespaces"], "slurm");

    let (operator, operator_config) =
        request(&cluster, &["--role", "operator", "--reason", "slurm jobs stuck", "--duration", "1h"]);
    let (reader, reader_config) = request(&cluster, &["--role", "readonly", "--reason", "look", "--duration", "1h"]);
    let in_slurm = cluster.kubectl_ok(&["get", "rolebindings", "-n", "slurm", "-o", "name"]);
    let mut names: Vec<&str> = in_slurm.lines().collect();
    names.sort();
    let expected = [
        format!("rolebinding.rbac.authorization.k8s.io/crusoe-support-{operator}-debug"),
        format!("rolebinding.rbac.authorization.k8s.io/crusoe-support-{operator}-logs"),
    ];
    assert_eq!(names, expected, "only the operator request has bindings in slurm (reader {reader})");

    can_i(&cluster, &operator_config, "get", "pods/log", "slurm", "yes");
    can_i(&cluster, &operator_config, "create", "pods/exec", "slurm", "yes");
    can_i(&cluster, &reader_config, "get", "pods/log", "slurm", "no");
    can_i(&cluster, &reader_config, "get", "pods/log", "kube-system", "yes");

    // The plugin trusts its own companions there: nothing is reported invalid or swept.
    let get = cluster.supportaccess(NS, &["get"]);
    assert_eq!(get.code, 0, "{get:?}");
    assert!(!get.stderr.contains("invalid") && !get.stderr.contains("slurm"), "{get:?}");
    cluster.supportaccess_ok(NS, &["sweep"]);
    assert_eq!(cluster.kubectl_ok(&["get", "rolebindings", "-n", "slurm", "-o", "name"]), in_slurm);

    // The admission guard refuses a readonly request's companion in slurm, even from the admin.
    let forged = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: crusoe-support-{reader}-logs\n  \
         namespace: slurm\n  labels:\n    app.kubernetes.io/managed-by: kubectl-supportaccess\n    \
         support-access.crusoe.ai/managed: \"true\"\n    support-access.crusoe.ai/request-id: {reader}\n    \
         support-access.crusoe.ai/role: readonly\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  \
         name: crusoe-support-logs\nsubjects:\n- kind: ServiceAccount\n  namespace: {NS}\n  \
         name: {account}\n",
        account = cluster.account_of(&reader),
    );
    let refused = cluster.apply_result(&forged);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(refused.stderr.contains("crusoe-support-requests"), "{refused:?}");
}

#[test]
fn the_reference_outputs_28h_request_fits_the_default_policy() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    let policy =
        cluster.kubectl_ok(&["get", "configmap", "support-access", "-n", NS, "-o", "jsonpath={.data.maxDuration}"]);
    assert_eq!(policy, "72h");
    let (id, _) = request(&cluster, &["--role", "readonly", "--reason", "This is a test!", "--duration", "28h"]);
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    let live = &json["activeRequests"][0];
    assert_eq!(live["id"], id.as_str());
    let at = |key: &str| chrono::DateTime::parse_from_rfc3339(live[key].as_str().unwrap()).unwrap();
    assert_eq!(at("expiresAt") - at("requestedAt"), chrono::TimeDelta::hours(28));
    let longer = cluster.supportaccess(NS, &["request", "--role", "readonly", "--reason", "r", "--duration", "73h"]);
    assert_eq!(longer.code, 3, "{longer:?}");
}

#[test]
fn a_missing_role_makes_get_warn_and_request_refuse_leaving_nothing_behind() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "operator"]);
    // What `helm uninstall` of the chart does to the roles while the policy stays enabled.
    cluster.kubectl_ok(&["delete", "clusterrole", "crusoe-support-readonly", "crusoe-support-debug"]);

    let get = cluster.supportaccess(NS, &["get"]);
    assert_eq!(get.code, 0, "{get:?}");
    assert!(get.stdout.starts_with("Support Access Status: Enabled\n"), "{get:?}");
    for role in ["crusoe-support-readonly", "crusoe-support-debug"] {
        assert!(get.stderr.contains(&format!("ClusterRole {role} is missing")), "{get:?}");
    }
    assert!(!get.stderr.contains("crusoe-support-logs"), "{get:?}");

    let accounts_before = super::support::accounts(&cluster);
    for role in ["readonly", "operator"] {
        let refused = cluster.supportaccess(NS, &["request", "--role", role, "--reason", "r", "--duration", "1h"]);
        assert_eq!(refused.code, 1, "{refused:?}");
        assert!(refused.stderr.contains("crusoe-support-"), "{refused:?}");
        assert!(refused.stderr.contains("enable") && refused.stderr.contains("chart"), "{refused:?}");
    }
    assert!(cluster.managed_bindings().is_empty(), "{:?}", cluster.managed_bindings());
    assert_eq!(super::support::accounts(&cluster), accounts_before);
    let credentials = cluster.dir.join("xdg/kubectl-supportaccess/local");
    let written = std::fs::read_dir(&credentials).map(|d| d.count()).unwrap_or(0);
    assert_eq!(written, 0, "no kubeconfig is written");

    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "operator"]);
    let get = cluster.supportaccess(NS, &["get"]);
    assert!(!get.stderr.contains("is missing"), "{get:?}");
    request(&cluster, &["--role", "operator", "--reason", "works again", "--duration", "1h"]);
}

/// The reference layout of `get`: these line prefixes, in this order, per request.
fn reference_layout(requests: usize, roles: &str) -> Vec<String> {
    let mut lines = vec![
        "Support Access Status: ".to_string(),
        format!("Enabled Roles:{roles}"),
        format!("Active Requests: {requests}"),
    ];
    for n in 1..=requests {
        lines.push(format!("Request {n}:"));
        for field in ["Request ID: ", "Role: ", "Requestor ID: ", "Reason: ", "Requested At: ", "Request Expires At: "]
        {
            lines.push(field.to_string());
        }
        lines.push("Credential Expires At: ".to_string());
    }
    lines
}

fn assert_reference_layout(stdout: &str, requests: usize, roles: &str) {
    let layout = reference_layout(requests, roles);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), layout.len(), "{stdout}");
    for (line, prefix) in lines.iter().zip(&layout) {
        assert!(line.starts_with(prefix.as_str()), "{line:?} is not {prefix:?}…\n{stdout}");
    }
}

#[test]
fn get_stdout_is_the_reference_layout_with_a_scope_a_helm_release_and_draining_requests() {
    let cluster = own_cluster();
    cluster.kubectl_ok(&["create", "namespace", "team-a"]);
    cluster.supportaccess_ok(NS, &["enable"]);
    // The chart's static binding, as Helm labels it.
    cluster.apply(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  \
         name: crusoe-support-readonly-binding\n  labels:\n    app.kubernetes.io/managed-by: Helm\n    \
         helm.sh/chart: crusoe-support-roles-0.2.0\n  annotations:\n    \
         meta.helm.sh/release-name: crusoe-support-roles\n    meta.helm.sh/release-namespace: crusoe-system\n\
         roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: crusoe-support-readonly\n\
         subjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: crusoe:support:readonly\n",
    );
    let (wide, _) = request(&cluster, &["--role", "readonly", "--reason", "cluster", "--duration", "2h"]);
    let (scoped, _) =
        request(&cluster, &["--role", "readonly", "--reason", "team", "--duration", "2h", "--scope", "team-a"]);

    let get = cluster.supportaccess(NS, &["get"]);
    assert_eq!(get.code, 0, "{get:?}");
    assert_reference_layout(&get.stdout, 2, " SUPPORT_ACCESS_ROLE_READONLY");
    assert!(get.stderr.contains(&format!("request {scoped} is scoped to namespace team-a")), "{get:?}");
    assert!(get.stderr.contains("Helm release crusoe-support-roles"), "{get:?}");
    assert!(!get.stderr.contains("draining"), "{get:?}");

    cluster.supportaccess_ok(NS, &["disable", "--yes"]);
    let get = cluster.supportaccess(NS, &["get"]);
    assert_eq!(get.code, 0, "{get:?}");
    assert!(get.stdout.starts_with("Support Access Status: Disabled\n"), "{get:?}");
    assert_reference_layout(&get.stdout, 2, "");
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    for id in [&wide, &scoped] {
        let request = json["activeRequests"].as_array().unwrap().iter().find(|r| r["id"] == id.as_str()).unwrap();
        assert_eq!(request["draining"], true, "{json}");
        let ends = request["expiresAt"].as_str().unwrap();
        assert!(get.stderr.contains(&format!("request {id} is draining")) && get.stderr.contains(ends), "{get:?}");
    }
    assert_eq!(json["helm"]["release"], "crusoe-support-roles", "{json}");
    let table = cluster.supportaccess_ok(NS, &["get", "-o", "table"]);
    assert!(table.contains("DRAINING") && table.contains("team-a") && table.contains("Helm release"), "{table}");
}

#[test]
fn a_scoped_request_works_in_its_namespace_and_star_or_empty_scope_is_cluster_wide() {
    let cluster = own_cluster();
    for ns in ["team-a", "team-b"] {
        cluster.kubectl_ok(&["create", "namespace", ns]);
        cluster.kubectl_ok(&[
            "run",
            &format!("{ns}-pod"),
            "--image=registry.invalid/none",
            "--restart=Never",
            "-n",
            ns,
        ]);
    }
    cluster.supportaccess_ok(NS, &["enable"]);
    let (scoped, config) =
        request(&cluster, &["--role", "readonly", "--reason", "team a", "--duration", "1h", "--scope", "team-a"]);
    let kubeconfig: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert_eq!(kubeconfig["contexts"][0]["context"]["namespace"].as_str(), Some("team-a"), "{kubeconfig:?}");

    // `kubectl get pods` with no -n goes to the scope, and is refused elsewhere.
    eventually("the scoped request lists pods", || {
        exec(&cluster, &scoped, &["kubectl", "get", "pods", "-o", "name"]).code == 0
    });
    let listed = exec(&cluster, &scoped, &["kubectl", "get", "pods", "-o", "name"]);
    assert_eq!(listed.stdout.trim(), "pod/team-a-pod");
    let elsewhere = exec(&cluster, &scoped, &["kubectl", "get", "pods", "-n", "team-b"]);
    assert_ne!(elsewhere.code, 0, "{elsewhere:?}");
    assert!(elsewhere.stderr.contains("forbidden"), "{elsewhere:?}");

    // exec and shell say which request, role and namespace they run under.
    let env = "echo \"$SUPPORTACCESS_REQUEST|$SUPPORTACCESS_ROLE|$SUPPORTACCESS_NAMESPACE\"";
    let ran = exec(&cluster, &scoped, &["sh", "-c", env]);
    assert_eq!(ran.stdout.trim(), format!("{scoped}|readonly|team-a"), "{ran:?}");

    for scope in ["*", ""] {
        let (wide, config) =
            request(&cluster, &["--role", "readonly", "--reason", "wide", "--duration", "1h", "--scope", scope]);
        let binding =
            cluster.kubectl_ok(&["get", "clusterrolebinding", &format!("crusoe-support-{wide}"), "-o", "name"]);
        assert!(!binding.is_empty(), "--scope {scope:?} is cluster-wide");
        let ran = exec(&cluster, &wide, &["sh", "-c", env]);
        assert_eq!(ran.stdout.trim(), format!("{wide}|readonly|"), "{ran:?}");
        let pods = as_support(&cluster, &config, &["get", "pods", "-A", "-o", "name"]);
        assert!(pods.stdout.contains("team-b-pod"), "{pods:?}");
    }
}

#[test]
fn renew_and_exec_after_kubeconfig_out_rewrite_that_file() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    let handed_over = cluster.dir.join("handed-over.kubeconfig");
    let out = handed_over.to_str().unwrap();
    let (id, written) = request(
        &cluster,
        &["--role", "readonly", "--reason", "hand over", "--duration", "2h", "--kubeconfig-out", out],
    );
    assert_eq!(written, handed_over);
    let first = std::fs::read_to_string(&handed_over).unwrap();

    std::thread::sleep(std::time::Duration::from_millis(1100));
    let renewed = cluster.supportaccess_ok(NS, &["renew", &id, "-o", "json"]);
    let renewed: serde_json::Value = serde_json::from_str(&renewed).unwrap();
    assert_eq!(renewed["kubeconfig"].as_str(), Some(out), "{renewed}");
    let second = std::fs::read_to_string(&handed_over).unwrap();
    assert_ne!(first, second, "renew rewrote the handed-over file");
    assert!(!cluster.credential_path(&id).exists(), "nothing was written to the default path");

    let ran = exec(&cluster, &id, &["sh", "-c", "echo $KUBECONFIG"]);
    assert_eq!(ran.stdout.trim(), out, "{ran:?}");

    // What remembers the path is read back as hostile input: a planted relative path is refused.
    let pointer = cluster.credential_path(&id).with_extension("path");
    assert!(pointer.exists(), "{pointer:?}");
    std::fs::write(&pointer, "../../etc/passwd\n").unwrap();
    let refused = cluster.supportaccess(NS, &["renew", &id]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("cannot be trusted"), "{refused:?}");
}

/// An object's header as the chart's release labels it.
fn helm_object(kind: &str) -> String {
    format!(
        "apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: {kind}
metadata:
  name: crusoe-support
  labels:
    app.kubernetes.io/managed-by: Helm
    app.kubernetes.io/instance: crusoe-support-roles
    helm.sh/chart: crusoe-support-roles-0.2.0
  annotations:
    meta.helm.sh/release-name: crusoe-support-roles
    meta.helm.sh/release-namespace: crusoe-system
"
    )
}

/// The chart's flow control (spec of each), under [`helm_object`] headers.
const CHART_PRIORITY_LEVEL: &str = "spec:
  type: Limited
  limited:
    nominalConcurrencyShares: 10
    limitResponse:
      type: Queue
      queuing: {queues: 64, handSize: 8, queueLengthLimit: 50}
";
const CHART_FLOW_SCHEMA: &str = "spec:
  priorityLevelConfiguration: {name: crusoe-support}
  distinguisherMethod: {type: ByUser}
  rules:
  - subjects:
    - {kind: Group, group: {name: 'crusoe:support:readonly'}}
    - {kind: Group, group: {name: 'crusoe:support:operator'}}
    resourceRules:
    - {apiGroups: ['*'], resources: ['*'], verbs: ['*'], clusterScope: true, namespaces: ['*']}
    nonResourceRules:
    - {nonResourceURLs: ['*'], verbs: ['*']}
";

#[test]
fn with_the_charts_flow_control_a_plugin_credential_is_classified_by_crusoe_support_per_request() {
    let cluster = own_cluster();
    cluster.apply(&format!(
        "{}{CHART_PRIORITY_LEVEL}---\n{}{CHART_FLOW_SCHEMA}",
        helm_object("PriorityLevelConfiguration"),
        helm_object("FlowSchema")
    ));
    let helm_objects = || {
        cluster.kubectl_ok(&[
            "get",
            "flowschema/crusoe-support",
            "prioritylevelconfiguration/crusoe-support",
            "-o",
            "json",
        ])
    };
    let before = helm_objects();
    cluster.supportaccess_ok(NS, &["enable"]);
    let uid = |kind: &str, name: &str| cluster.kubectl_ok(&["get", kind, name, "-o", "jsonpath={.metadata.uid}"]);
    let level = cluster.kubectl_ok(&[
        "get",
        "flowschema",
        "crusoe-support-per-request",
        "-o",
        "jsonpath={.spec.priorityLevelConfiguration.name}",
    ]);
    assert_eq!(level, "crusoe-support");
    let (_, config) = request(&cluster, &["--role", "readonly", "--reason", "flow", "--duration", "1h"]);

    // The API server names the FlowSchema and PriorityLevel that classified each request.
    let ran = as_support(&cluster, &config, &["get", "--raw", "/api", "-v=8"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let header = |name: &str| {
        ran.stderr
            .lines()
            .find_map(|line| {
                let lower = line.to_lowercase();
                let at = lower.find(&format!("{}: ", name.to_lowercase()))?;
                Some(line[at + name.len() + 2..].trim().to_string())
            })
            .unwrap_or_else(|| panic!("no {name} header in {ran:?}"))
    };
    assert_eq!(header("X-Kubernetes-PF-FlowSchema-UID"), uid("flowschema", "crusoe-support-per-request"));
    assert_eq!(header("X-Kubernetes-PF-PriorityLevel-UID"), uid("prioritylevelconfiguration", "crusoe-support"));
    assert_eq!(helm_objects(), before, "Helm's objects are byte-identical");

    cluster.supportaccess_ok(NS, &["uninstall", "--yes"]);
    assert_ne!(run(cluster.kubectl().args(["get", "flowschema", "crusoe-support-per-request"])).code, 0);
    assert_eq!(helm_objects(), before, "uninstall leaves Helm's objects alone");
}
