#!/usr/bin/env python3
"""Rewrites the admission guards many times under concurrent guarded writes, and reports whether
kube-apiserver survived (issue 29: upstream kubernetes/kubernetes#135757, "fatal error: concurrent
map read and map write" in k8s.io/apiserver/pkg/cel when a policy's spec.variables compile while
other policies with variables are evaluated; fixed in 1.36.0).

One thread runs `kubectl-supportaccess enable --max-duration <changing>` and `disable` in turn (each
rewrites the guards); WRITERS threads send server-side dry-run creates of support-looking
ClusterRoleBindings, which the requests guard evaluates. The control plane is the project's own
(tests/cluster/up) at --version, with the default GOMAXPROCS. Prints one Markdown table row:

  version | policy commands | guarded writes | seconds | API server

Usage: tests/tools/guard-stress.py --version v1.30.14 [--commands 300] [--writers 6] [--plugin PATH]
"""

import argparse
import http.client
import json
import os
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie is dead too.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True, help="Kubernetes version, e.g. v1.30.14")
    parser.add_argument("--commands", type=int, default=300, help="guard-changing commands to run")
    parser.add_argument("--writers", type=int, default=6, help="threads sending guarded writes")
    parser.add_argument("--plugin", default=os.path.join(REPO, "target/debug/kubectl-supportaccess"))
    args = parser.parse_args()
    if not os.access(args.plugin, os.X_OK):
        sys.exit(f"guard-stress: {args.plugin} is not built (cargo build)")

    env = {k: v for k, v in os.environ.items() if k != "GOMAXPROCS"}
    env["KSA_K8S_VERSION"] = args.version
    subprocess.run([os.path.join(REPO, "tests/cluster/build")], env=env, check=True, stdout=subprocess.DEVNULL)
    up = subprocess.run([os.path.join(REPO, "tests/cluster/up")], env=env, check=True, capture_output=True, text=True)
    kubeconfig = up.stdout.strip().splitlines()[-1].split("KUBECONFIG=", 1)[1]
    directory = os.path.dirname(kubeconfig)
    state = json.load(open(os.path.join(directory, "state.json")))
    apiserver = state["pids"]["kube-apiserver"]
    port = state["ports"]["apiserver"]
    pki = os.path.join(directory, "pki")
    env["KUBECONFIG"] = kubeconfig

    def plugin(*argv):
        return subprocess.run([args.plugin, *argv], env=env, capture_output=True, text=True, timeout=300)

    first = plugin("enable", "--yes", "--enabled-roles", "readonly,operator")
    if first.returncode != 0:
        sys.exit(f"guard-stress: the first enable failed: {first.stderr}")

    stop = threading.Event()
    writes = [0] * args.writers

    def writer(n):
        context = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        context.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        body = json.dumps({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": f"crusoe-support-stress{n}", "labels": {
                "support-access.crusoe.ai/managed": "true", "support-access.crusoe.ai/request-id": f"stress{n}",
                "support-access.crusoe.ai/role": "readonly"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "crusoe-support-readonly"},
            "subjects": [{"kind": "ServiceAccount", "namespace": "crusoe-system", "name": f"crusoe-support-stress{n}-1"}],
        })
        connection = None
        while not stop.is_set():
            try:
                if connection is None:
                    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
                connection.request("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?dryRun=All", body,
                                   {"Content-Type": "application/json"})
                connection.getresponse().read()
                writes[n] += 1
            except (OSError, http.client.HTTPException):
                connection = None
                if not alive(apiserver):
                    return
                time.sleep(0.05)

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(args.writers)]
    started = time.time()
    for thread in threads:
        thread.start()
    done = 0
    for i in range(args.commands):
        if not alive(apiserver):
            break
        if i % 2 == 0:
            plugin("enable", "--max-duration", f"{10 + i % 50}h")
        else:
            plugin("disable", "--yes")
        done += 1
    time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    seconds = time.time() - started
    survived = alive(apiserver)
    verdict = "survived"
    if not survived:
        log = open(os.path.join(directory, "kube-apiserver.log"), errors="replace").read()
        fatal = next((line.strip() for line in log.splitlines() if line.startswith("fatal error")), "exited")
        verdict = f"**died**: {fatal}"
        # The command that was running when it died counts too.
    print(f"| {args.version} | {done} of {args.commands} | {sum(writes):,} | {seconds:.0f} | {verdict} |")
    subprocess.run([os.path.join(REPO, "tests/cluster/down"), directory], env=env, capture_output=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
