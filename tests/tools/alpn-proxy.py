#!/usr/bin/env python3
"""A TLS-terminating proxy in front of the API server that agrees only to the given protocols.

    alpn-proxy.py CLUSTER_DIR PROTOCOLS LOG

PROTOCOLS is a comma-separated ALPN list, e.g. "http/1.1" (as some load balancers and proxies in
front of API servers offer) or "h2,http/1.1" (as the API server itself). Listens on 127.0.0.1 on
a free port, prints the port on its first line, and runs until killed. Clients reach it with the
API server's own serving certificate; upstream it connects as the cluster's admin, agreeing to the
same protocol (the client's own certificate ends at the proxy). It appends one line to LOG per
client connection: the protocol the handshake agreed ("None": no ALPN).
"""

import asyncio
import os
import ssl
import sys


async def pipe(reader, writer):
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def main():
    cluster, protocols, log_path = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
    pki = os.path.join(cluster, "pki")
    with open(os.path.join(cluster, "admin.kubeconfig")) as f:
        server = next(line.split("server:", 1)[1].strip() for line in f if "server:" in line)
    host, port = server.removeprefix("https://").rsplit(":", 1)

    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(os.path.join(pki, "apiserver.crt"), os.path.join(pki, "apiserver.key"))
    serving.set_alpn_protocols(protocols)
    log = open(log_path, "a", buffering=1)

    async def handle(client_reader, client_writer):
        agreed = client_writer.get_extra_info("ssl_object").selected_alpn_protocol()
        log.write(f"{agreed}\n")
        upstream = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        upstream.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        upstream.set_alpn_protocols([agreed or "http/1.1"])
        try:
            server_reader, server_writer = await asyncio.open_connection(host, int(port), ssl=upstream)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    proxy = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=serving)
    print(proxy.sockets[0].getsockname()[1], flush=True)
    async with proxy:
        await proxy.serve_forever()


asyncio.run(main())
