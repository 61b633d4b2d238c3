#!/usr/bin/env python3
"""An HTTP proxy that answers CONNECT only, as a corporate forward proxy does for HTTPS.

    connect-proxy.py LOG

Listens on 127.0.0.1 on a free port, prints the port on its first line, and runs until killed.
Each CONNECT request line it tunnels is appended to LOG, so a test can tell that the plugin went
through it. TLS passes through untouched.
"""

import asyncio
import sys


async def pipe(reader, writer):
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def handle(reader, writer, log):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        writer.close()
        return
    request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    method, target, _ = (request_line.split(" ") + ["", ""])[:3]
    if method != "CONNECT" or ":" not in target:
        writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()
        return
    host, port = target.rsplit(":", 1)
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
    except OSError:
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()
        return
    with open(log, "a") as out:
        out.write(request_line + "\n")
    writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
    await writer.drain()
    await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


async def main():
    log = sys.argv[1]
    server = await asyncio.start_server(lambda r, w: handle(r, w, log), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
