//! A chart that renders what Crusoe's chart 0.2.0 installs (`tests/fixtures/crusoe-support-roles-0.2.0`,
//! written by this project from the facts of its templates) with real Helm, built from its Go
//! module by tests/tools/build-helm: the plugin's roles equal the chart's, and both migrations
//! between them work as the README tells.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::common::{Ran, TestCluster, eventually, own_cluster, run};

const NS: &str = "crusoe-system";
const RELEASE: &str = "crusoe-support-roles";
const ROLES: [&str; 4] =
    ["crusoe-support-readonly", "crusoe-support-operator", "crusoe-support-logs", "crusoe-support-debug"];

fn chart() -> PathBuf {
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crusoe-support-roles-0.2.0");
    assert!(chart.join("Chart.yaml").is_file(), "the chart fixture {} is missing", chart.display());
    chart
}

/// Real helm (built once), run as the cluster's admin, with its own state under the cluster's dir.
fn helm(cluster: &TestCluster, args: &[&str]) -> Ran {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    let bin = BIN.get_or_init(|| {
        let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/build-helm");
        let built = run(&mut Command::new(tool));
        assert_eq!(built.code, 0, "tests/tools/build-helm failed (go is needed): {built:?}");
        PathBuf::from(built.stdout.lines().last().unwrap())
    });
    let mut command = Command::new(bin.join("helm"));
    for (key, dir) in [("HELM_CONFIG_HOME", "config"), ("HELM_CACHE_HOME", "cache"), ("HELM_DATA_HOME", "data")] {
        command.env(key, cluster.dir.join("helm").join(dir));
    }
    run(command.env("KUBECONFIG", &cluster.kubeconfig).args(args))
}

fn helm_ok(cluster: &TestCluster, args: &[&str]) -> String {
    let ran = helm(cluster, args);
    assert_eq!(ran.code, 0, "helm {args:?}: {ran:?}");
    ran.stdout
}

/// A ClusterRole's rules as `group/resource verb` triples.
fn triples(rules: &serde_json::Value) -> BTreeSet<String> {
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default()
    };
    let mut all = BTreeSet::new();
    for rule in rules.as_array().unwrap() {
        for group in strings(&rule["apiGroups"]) {
            for resource in strings(&rule["resources"]) {
                for verb in strings(&rule["verbs"]) {
                    all.insert(format!("{group}/{resource} {verb}"));
                }
            }
        }
    }
    all
}

fn installed_rules(cluster: &TestCluster, role: &str) -> BTreeSet<String> {
    let json: serde_json::Value =
        serde_json::from_str(&cluster.kubectl_ok(&["get", "clusterrole", role, "-o", "json"])).unwrap();
    triples(&json["rules"])
}

/// A support credential can list pods cluster-wide, retried while RBAC reaches the watch cache.
fn works(cluster: &TestCluster) {
    let (_, config) = crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    eventually("the support credential lists pods", || {
        run(cluster.kubectl().env("KUBECONFIG", &config).args(["get", "pods", "-A"])).code == 0
    });
}

#[test]
fn the_plugins_four_roles_equal_helm_template_of_the_chart() {
    let cluster = own_cluster();
    let rendered = helm_ok(&cluster, &["template", RELEASE, chart().to_str().unwrap(), "-n", NS]);
    let mut chart_roles = std::collections::BTreeMap::new();
    for document in serde_yaml::Deserializer::from_str(&rendered) {
        let object = serde_json::to_value(serde_yaml::Value::deserialize(document).unwrap()).unwrap();
        if object["kind"] == "ClusterRole" {
            chart_roles.insert(object["metadata"]["name"].as_str().unwrap().to_string(), triples(&object["rules"]));
        }
    }
    assert_eq!(
        chart_roles.keys().collect::<Vec<_>>(),
        {
            let mut r = ROLES.to_vec();
            r.sort();
            r
        }
        .iter()
        .collect::<Vec<_>>()
    );
    cluster.supportaccess_ok(NS, &["enable"]);
    for role in ROLES {
        assert_eq!(installed_rules(&cluster, role), chart_roles[role], "{role} differs from the chart");
    }
}

#[test]
fn from_the_plugins_roles_to_the_chart_uninstall_then_helm_install() {
    let cluster = own_cluster();
    cluster.supportaccess_ok(NS, &["enable"]);
    let chart = chart();
    let install = ["install", RELEASE, chart.to_str().unwrap(), "-n", NS];
    let refused = helm(&cluster, &install);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(refused.stderr.contains("invalid ownership metadata"), "{refused:?}");

    cluster.supportaccess_ok(NS, &["uninstall", "--yes"]);
    helm_ok(&cluster, &install);
    let out = cluster.supportaccess_ok(NS, &["enable"]);
    assert!(out.contains("ClusterRole crusoe-support-readonly: managed by Helm, used as it is"), "{out}");
    works(&cluster);
    let listed = helm_ok(&cluster, &["list", "-n", NS, "-o", "json"]);
    assert!(listed.contains("\"status\":\"deployed\""), "{listed}");
}

#[test]
fn from_the_chart_to_the_plugins_roles_helm_uninstall_then_enable() {
    let cluster = own_cluster();
    let chart = chart();
    helm_ok(&cluster, &["install", RELEASE, chart.to_str().unwrap(), "-n", NS, "--create-namespace"]);
    cluster.supportaccess_ok(NS, &["enable"]);
    works(&cluster);

    helm_ok(&cluster, &["uninstall", RELEASE, "-n", NS]);
    let get = cluster.supportaccess(NS, &["get"]);
    assert!(get.stderr.contains("ClusterRole crusoe-support-readonly is missing"), "{get:?}");
    let out = cluster.supportaccess_ok(NS, &["enable"]);
    assert!(out.contains("ClusterRole crusoe-support-readonly: created"), "{out}");
    for role in ROLES {
        assert!(!installed_rules(&cluster, role).is_empty(), "{role}");
    }
    works(&cluster);
}
