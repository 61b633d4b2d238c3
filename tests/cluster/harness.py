#!/usr/bin/env python3
"""A real local Kubernetes control plane for tests, benchmarks and trying the plugin.

    harness.py up [--dir DIR]        build (once, cached), start etcd + kube-apiserver +
                                     kube-controller-manager on 127.0.0.1 with free ports, write an
                                     admin kubeconfig; the last line printed is KUBECONFIG=<path>
    harness.py down DIR              stop exactly what `up` started there (by PID), remove DIR
    harness.py user DIR NAME [GROUP...]
                                     write DIR/users/NAME.kubeconfig: a client certificate for
                                     NAME in GROUPs, signed by the cluster's CA; prints its path
    harness.py stop|start DIR COMPONENT
                                     stop or restart one component (etcd, kube-apiserver,
                                     kube-controller-manager) with the same flags, for fault tests

Only the Python standard library and openssl are used. Several clusters can run side by side.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager")


def fail(message):
    print(f"cluster: {message}", file=sys.stderr)
    sys.exit(1)


def free_ports(count):
    sockets = []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def openssl(*args, cwd):
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"openssl {' '.join(args[:2])} failed: {result.stderr.strip()}")


def new_key(pki, name):
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{name}.key", cwd=pki)
    os.chmod(os.path.join(pki, f"{name}.key"), 0o600)


def issue_cert(pki, name, subject, extensions):
    """Signs NAME.key's certificate with the CA; extensions are openssl x509v3 lines."""
    new_key(pki, name)
    openssl("req", "-new", "-key", f"{name}.key", "-subj", subject, "-out", f"{name}.csr", cwd=pki)
    with open(os.path.join(pki, f"{name}.ext"), "w") as f:
        f.write("\n".join(extensions) + "\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "365", "-extfile", f"{name}.ext", "-out", f"{name}.crt", cwd=pki)


def make_pki(pki):
    os.makedirs(pki, exist_ok=True)
    new_key(pki, "ca")
    openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=kubectl-supportaccess-test-ca", "-days", "365",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-out", "ca.crt", cwd=pki)
    client = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment",
              "extendedKeyUsage=clientAuth"]
    issue_cert(pki, "apiserver", "/CN=kube-apiserver", [
        "basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
        "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
        "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"])
    issue_cert(pki, "admin", "/O=system:masters/CN=kubernetes-admin", client)
    issue_cert(pki, "controller-manager", "/O=system:masters/CN=system:kube-controller-manager", client)
    new_key(pki, "service-account")
    openssl("pkey", "-in", "service-account.key", "-pubout", "-out", "service-account.pub", cwd=pki)


def kubeconfig(path, server, pki, cert, key, name="local"):
    def b64(file):
        import base64
        with open(os.path.join(pki, file), "rb") as f:
            return base64.b64encode(f.read()).decode()
    text = f"""apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: {server}
    certificate-authority-data: {b64('ca.crt')}
users:
- name: {name}-user
  user:
    client-certificate-data: {b64(cert)}
    client-key-data: {b64(key)}
contexts:
- name: {name}
  context:
    cluster: {name}
    user: {name}-user
current-context: {name}
"""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def command_lines(state, bin_dir):
    d, p, pki = state["dir"], state["ports"], os.path.join(state["dir"], "pki")
    return {
        "etcd": [
            os.path.join(bin_dir, "etcd"), "--name", "ksa", "--data-dir", os.path.join(d, "etcd-data"),
            "--listen-client-urls", f"http://127.0.0.1:{p['etcd']}",
            "--advertise-client-urls", f"http://127.0.0.1:{p['etcd']}",
            "--listen-peer-urls", f"http://127.0.0.1:{p['etcd_peer']}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{p['etcd_peer']}",
            "--initial-cluster", f"ksa=http://127.0.0.1:{p['etcd_peer']}",
            "--initial-cluster-state", "new", "--log-level", "warn",
        ],
        "kube-apiserver": [
            os.path.join(bin_dir, "kube-apiserver"),
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={p['apiserver']}",
            "--endpoint-reconciler-type=none", f"--etcd-servers=http://127.0.0.1:{p['etcd']}",
            f"--client-ca-file={pki}/ca.crt", f"--tls-cert-file={pki}/apiserver.crt",
            f"--tls-private-key-file={pki}/apiserver.key",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={pki}/service-account.pub",
            f"--service-account-signing-key-file={pki}/service-account.key",
            "--authorization-mode=Node,RBAC", "--service-cluster-ip-range=10.0.0.0/24",
            f"--audit-policy-file={HERE}/audit-policy.yaml", f"--audit-log-path={d}/audit.log",
            f"--cert-dir={d}/apiserver-certs",
        ],
        "kube-controller-manager": [
            os.path.join(bin_dir, "kube-controller-manager"),
            f"--kubeconfig={d}/controller-manager.kubeconfig",
            f"--authentication-kubeconfig={d}/controller-manager.kubeconfig",
            f"--authorization-kubeconfig={d}/controller-manager.kubeconfig",
            "--leader-elect=false", "--bind-address=127.0.0.1", f"--secure-port={p['controller_manager']}",
            f"--cert-dir={d}/controller-manager-certs", "--use-service-account-credentials=false",
            f"--cluster-signing-cert-file={pki}/ca.crt", f"--cluster-signing-key-file={pki}/ca.key",
            f"--root-ca-file={pki}/ca.crt", f"--service-account-private-key-file={pki}/service-account.key",
            "--controllers=csrsigning,csrapproving,csrcleaner,clusterrole-aggregation,namespace,"
            "garbagecollector,serviceaccount,serviceaccount-token,root-ca-cert-publisher",
        ],
    }


def start(state, component, bin_dir):
    log = open(os.path.join(state["dir"], f"{component}.log"), "ab")
    process = subprocess.Popen(command_lines(state, bin_dir)[component], stdout=log, stderr=log,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    state["pids"][component] = process.pid


def get_ok(url, context, deadline, component, state, port_clash_ok=False):
    """Waits until `url` answers 200. When the component exits because another process took its
    port between `free_ports` and its start (two clusters starting at once), returns False if
    `port_clash_ok`, so that the caller starts it again on another port."""
    while time.time() < deadline:
        pid = state["pids"][component]
        if not alive(pid):
            tail = open(os.path.join(state["dir"], f"{component}.log"), errors="replace").read()[-2000:]
            if port_clash_ok and "address already in use" in tail:
                return False
            fail(f"{component} exited while starting; the end of its log:\n{tail}")
        try:
            with urllib.request.urlopen(url, context=context, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    fail(f"{component} did not become ready at {url} in time; see {state['dir']}/{component}.log")


def alive(pid):
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ")[-1][0] != "Z"


def wait_ready(state, component, port_clash_ok=False):
    """True once the component is ready; False only for a port clash when `port_clash_ok` (the
    caller picks another port and starts the component again)."""
    p, pki, deadline = state["ports"], os.path.join(state["dir"], "pki"), time.time() + 60
    if component == "etcd":
        return get_ok(f"http://127.0.0.1:{p['etcd']}/health", None, deadline, component, state, port_clash_ok)
    elif component == "kube-apiserver":
        context = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        context.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        return get_ok(f"https://127.0.0.1:{p['apiserver']}/readyz", context, deadline, component, state, port_clash_ok)
    else:
        context = ssl._create_unverified_context()  # the controller-manager's serving cert is self-signed
        url = f"https://127.0.0.1:{p['controller_manager']}/healthz"
        return get_ok(url, context, deadline, component, state, port_clash_ok)


def save(state):
    with open(os.path.join(state["dir"], "state.json"), "w") as f:
        json.dump(state, f, indent=2)


def load(directory):
    try:
        with open(os.path.join(directory, "state.json")) as f:
            return json.load(f)
    except FileNotFoundError:
        fail(f"{directory} is not a cluster started by `up` (no state.json)")


def build():
    result = subprocess.run([os.path.join(HERE, "build")], stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        fail("building the control plane failed (see above)")
    return result.stdout.strip().splitlines()[-1]


def up(args):
    bin_dir = build()
    if not shutil.which("openssl"):
        fail("openssl is not installed; install it (Debian: apt-get install openssl)")
    directory = os.path.abspath(args.dir) if args.dir else tempfile.mkdtemp(prefix="ksa-cluster-")
    os.makedirs(directory, exist_ok=True)
    etcd, etcd_peer, apiserver, controller_manager = free_ports(4)
    state = {"dir": directory, "bin": bin_dir, "pids": {},
             "ports": {"etcd": etcd, "etcd_peer": etcd_peer, "apiserver": apiserver,
                       "controller_manager": controller_manager}}
    started = time.time()
    try:
        pki = os.path.join(directory, "pki")
        make_pki(pki)

        def kubeconfigs():
            server = f"https://127.0.0.1:{state['ports']['apiserver']}"
            kubeconfig(os.path.join(directory, "admin.kubeconfig"), server, pki, "admin.crt", "admin.key")
            kubeconfig(os.path.join(directory, "controller-manager.kubeconfig"), server, pki,
                       "controller-manager.crt", "controller-manager.key")

        kubeconfigs()
        # Another process may take a port between `free_ports` and the component's start (clusters
        # of parallel tests start at once): that component starts again on new ports.
        clashing = {"etcd": ["etcd", "etcd_peer"], "kube-apiserver": ["apiserver"],
                    "kube-controller-manager": ["controller_manager"]}
        for component in COMPONENTS:
            for attempt in range(5):
                start(state, component, bin_dir)
                save(state)
                if wait_ready(state, component, attempt < 4):
                    break
                for key, port in zip(clashing[component], free_ports(len(clashing[component]))):
                    state["ports"][key] = port
                if component == "kube-apiserver":
                    kubeconfigs()
    except SystemExit:
        stop_all(state)
        raise
    if args.owner_pid:
        # Tear the cluster down when its owner (a test run) exits, however it exits.
        subprocess.Popen([sys.executable, os.path.abspath(__file__), "reap", directory, str(args.owner_pid)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    print(f"cluster: ready in {time.time() - started:.1f}s at https://127.0.0.1:{state['ports']['apiserver']} "
          f"(state in {directory}; stop with tests/cluster/down {directory})", file=sys.stderr)
    print(f"KUBECONFIG={directory}/admin.kubeconfig")


def stop_pid(pid):
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + 10
    while time.time() < deadline and alive(pid):
        time.sleep(0.05)
    if alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stop_all(state):
    for component in reversed(COMPONENTS):
        pid = state["pids"].get(component)
        if pid:
            stop_pid(pid)


def down(args):
    state = load(args.dir)
    stop_all(state)
    shutil.rmtree(state["dir"], ignore_errors=True)
    print(f"cluster: stopped and removed {state['dir']}", file=sys.stderr)


def reap(args):
    while True:
        try:
            os.kill(args.owner_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    if os.path.exists(os.path.join(args.dir, "state.json")):
        down(args)


def user(args):
    state = load(args.dir)
    pki = os.path.join(state["dir"], "pki")
    users = os.path.join(state["dir"], "users")
    os.makedirs(users, exist_ok=True)
    subject = "".join(f"/O={group}" for group in args.groups) + f"/CN={args.name}"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in args.name)
    issue_cert(pki, f"user-{safe}", subject, ["basicConstraints=CA:FALSE",
               "keyUsage=critical,digitalSignature,keyEncipherment", "extendedKeyUsage=clientAuth"])
    path = os.path.join(users, f"{safe}.kubeconfig")
    kubeconfig(path, f"https://127.0.0.1:{state['ports']['apiserver']}", pki, f"user-{safe}.crt",
               f"user-{safe}.key", name=safe)
    print(path)


def stop_component(args):
    state = load(args.dir)
    stop_pid(state["pids"][args.component])


def start_component(args):
    state = load(args.dir)
    if alive(state["pids"][args.component]):
        fail(f"{args.component} is already running")
    start(state, args.component, state["bin"])
    save(state)
    wait_ready(state, args.component)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("up")
    p.add_argument("--dir", help="where to keep the cluster's state (default: a new temporary directory)")
    p.add_argument("--owner-pid", type=int, help="stop the cluster when this process exits")
    p.set_defaults(run=up)
    p = sub.add_parser("reap")
    p.add_argument("dir")
    p.add_argument("owner_pid", type=int)
    p.set_defaults(run=reap)
    p = sub.add_parser("down")
    p.add_argument("dir")
    p.set_defaults(run=down)
    p = sub.add_parser("user")
    p.add_argument("dir")
    p.add_argument("name")
    p.add_argument("groups", nargs="*")
    p.set_defaults(run=user)
    for name, run in (("stop", stop_component), ("start", start_component)):
        p = sub.add_parser(name)
        p.add_argument("dir")
        p.add_argument("component", choices=COMPONENTS)
        p.set_defaults(run=run)
    args = parser.parse_args()
    if getattr(args, "dir", None) and os.path.isfile(args.dir):
        args.dir = os.path.dirname(args.dir)  # the kubeconfig path `up` printed works too
    args.run(args)


if __name__ == "__main__":
    main()
