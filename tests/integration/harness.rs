//! The control-plane harness itself: `up` twice gives two independent clusters, and `down`
//! leaves no process and no port behind.

use std::path::Path;
use std::process::Command;

use crate::common::{CLUSTER, TestCluster, start_cluster};

fn pids_and_ports(cluster: &TestCluster) -> (Vec<i32>, Vec<u16>) {
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cluster.dir.join("state.json")).unwrap()).unwrap();
    let pids = state["pids"].as_object().unwrap().values().map(|p| p.as_i64().unwrap() as i32).collect();
    let ports = state["ports"].as_object().unwrap().values().map(|p| p.as_u64().unwrap() as u16).collect();
    (pids, ports)
}

fn process_exists(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z ")
}

fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

#[test]
fn up_twice_gives_two_independent_clusters_and_down_leaves_nothing() {
    let second = start_cluster();
    let (first_pids, first_ports) = pids_and_ports(&CLUSTER);
    let (pids, ports) = pids_and_ports(&second);
    assert!(ports.iter().all(|p| !first_ports.contains(p)), "separate ports");
    assert_ne!(second.dir, CLUSTER.dir, "separate state directories");

    // An object created in one is not in the other.
    let kubectl = |cluster: &TestCluster, args: &[&str]| {
        Command::new(cluster.bin.join("kubectl")).env("KUBECONFIG", &cluster.kubeconfig).args(args).output().unwrap()
    };
    let name = format!("only-in-second-{}", std::process::id());
    assert!(kubectl(&second, &["create", "namespace", &name]).status.success());
    assert!(kubectl(&second, &["get", "namespace", &name]).status.success());
    assert!(!kubectl(&CLUSTER, &["get", "namespace", &name]).status.success());

    let down = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cluster/down"))
        .arg(&second.dir)
        .output()
        .unwrap();
    assert!(down.status.success(), "{}", String::from_utf8_lossy(&down.stderr));
    for pid in pids {
        assert!(!process_exists(pid), "process {pid} is still running after down");
    }
    for port in ports {
        assert!(port_is_free(port), "port {port} is still taken after down");
    }
    assert!(!second.dir.exists(), "down removes the state directory");
    assert!(first_pids.iter().all(|pid| process_exists(*pid)), "the first cluster is untouched");
}
