#!/usr/bin/env python3
"""Rewrites the admission guards many times under concurrent guarded writes, and counts how often
kube-apiserver died (issue 29: upstream kubernetes/kubernetes#135757, "fatal error: concurrent map
read and map write" in k8s.io/apiserver/pkg/cel when a policy's spec.variables compile while
other policies with variables are evaluated; fixed in 1.36.0).

One thread runs `kubectl-supportaccess enable --max-duration <changing>` and `disable` in turn (each
rewrites the guards that read the values it changes); WRITERS threads send server-side dry-run
creates of support-looking ClusterRoleBindings, which the requests guard evaluates (and refuses:
the row counts those refusals, so a run whose guard was never evaluated shows it). The control
plane is the project's own (tests/cluster/up) at --version, with the default GOMAXPROCS. When
kube-apiserver dies, the tool starts it again (same etcd, same state) and goes on, so a run always
makes --commands commands (a command that fails while kube-apiserver stays up is named on stderr).
Prints one Markdown table row:

  version | guards | policy commands | guarded writes (refused by the guard) | seconds | crashes | writes per crash

SIGTERM or Ctrl-C ends a run early; the row then says how many commands were made.

Usage: tests/tools/guard-stress.py --version v1.30.14 [--commands 300] [--writers 6] [--plugin PATH]
       [--guards LABEL]
"""

import argparse
import http.client
import json
import os
import signal
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
    parser.add_argument("--guards", default="this tree's", help="what the row calls the plugin's guards")
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
        try:
            return subprocess.run([args.plugin, *argv], env=env, capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(argv, 1, "", "timed out after 300 s")

    first = plugin("enable", "--yes", "--enabled-roles", "readonly,operator")
    if first.returncode != 0:
        sys.exit(f"guard-stress: the first enable failed: {first.stderr}")

    stop = threading.Event()
    writes = [0] * args.writers
    refused = [0] * args.writers
    state_lock = threading.Lock()
    current = {"pid": apiserver}

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
                response = connection.getresponse()
                text = response.read()
                writes[n] += 1
                if response.status in (403, 422) and b"crusoe-support-requests" in text:
                    refused[n] += 1
            except (OSError, http.client.HTTPException):
                connection = None
                time.sleep(0.05)

    crashes = []  # (command index, guarded writes so far, the fatal line)
    failed = []  # (command index, first line of its error) for commands that failed with the API server up

    def restart_if_dead():
        with state_lock:
            if alive(current["pid"]):
                return
            log = open(os.path.join(directory, "kube-apiserver.log"), errors="replace").read()
            fatal = [line.strip() for line in log.splitlines() if line.startswith("fatal error")]
            crashes.append((done, sum(writes), fatal[-1] if fatal else "exited"))
            subprocess.run([sys.executable, os.path.join(REPO, "tests/cluster/harness.py"), "start", directory,
                            "kube-apiserver"], env=env, check=True, capture_output=True)
            current["pid"] = json.load(open(os.path.join(directory, "state.json")))["pids"]["kube-apiserver"]

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(args.writers)]
    started = time.time()
    for thread in threads:
        thread.start()
    done = 0
    # SIGTERM (or Ctrl-C) ends the run early: the row then says how many commands were made.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while done < args.commands and not stop.is_set():
        restart_if_dead()
        if done % 2 == 0:
            result = plugin("enable", "--max-duration", f"{10 + done % 50}h")
        else:
            result = plugin("disable", "--yes")
        if result.returncode != 0:
            time.sleep(2)  # a dying API server may still be exiting when the command fails
            if alive(current["pid"]):
                failed.append((done, result.stderr.strip().splitlines()[0] if result.stderr.strip() else "no output"))
        done += 1
    stopped_early = stop.is_set()
    time.sleep(1)
    restart_if_dead()
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    seconds = time.time() - started
    total = sum(writes)
    per_crash = f"{total // len(crashes):,}" if crashes else "–"
    fatal = f" ({crashes[0][2]}; first after {crashes[0][0] + 1} command(s))" if crashes else ""
    made = f"{done} of {args.commands} (stopped)" if stopped_early else f"{done}"
    print(f"| {args.version} | {args.guards} | {made} | {total:,} ({sum(refused):,}) | {seconds:.0f} | "
          f"{len(crashes)}{fatal} | {per_crash} |")
    for index, error in failed:
        print(f"guard-stress: command {index} failed with the API server up: {error}", file=sys.stderr)
    subprocess.run([os.path.join(REPO, "tests/cluster/down"), directory], env=env, capture_output=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
