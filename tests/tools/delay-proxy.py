#!/usr/bin/env python3
"""A TCP proxy that delays every chunk from the client to the server by DELAY_MS (a delay line:
latency, not a throughput limit).

    delay-proxy.py TARGET_HOST TARGET_PORT DELAY_MS

Listens on 127.0.0.1 on a free port, prints the port on its first line, and runs until killed.
Used by the race tests: between the plugin and the API server it widens the window between one
API call and the next, so that another command can be run inside it every time. TLS passes
through untouched (the API server's certificate names 127.0.0.1).
"""

import asyncio
import sys


async def pipe(reader, writer, delay):
    """Forwards chunks in order, each `delay` seconds after it arrived: a delay line, so that
    latency is added but throughput is not (chunks in flight overlap; a keep-alive ping waits
    `delay`, not behind every earlier chunk's delay)."""
    line = asyncio.Queue()

    async def deliver():
        loop = asyncio.get_running_loop()
        while True:
            due, chunk = await line.get()
            if chunk is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            await writer.drain()

    delivering = asyncio.ensure_future(deliver())
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            await line.put((asyncio.get_running_loop().time() + delay, chunk))
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        await line.put((0, None))
        try:
            await delivering
        except ConnectionError:
            pass
        writer.close()


async def main():
    host, port, delay_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            pipe(client_reader, server_writer, delay_ms / 1000),
            pipe(server_reader, client_writer, 0),
        )

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
