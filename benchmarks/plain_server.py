"""A webhook-shaped aiohttp server without Home Assistant, for the sender check.

Run as `python plain_server.py`: it listens on a free port of 127.0.0.1, prints
the port on one line, answers every POST to /api/webhook/{id} with 200 once it
has read and decoded the form, and stops when its standard input closes.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web
from form import decode_form

HOST = "127.0.0.1"


async def handle(request: web.Request) -> web.Response:
    """Read and decode the form, answer 200."""
    decode_form(await request.read())
    return web.Response(status=200)


async def serve() -> None:
    """Serve until standard input closes."""
    app = web.Application()
    app.router.add_post("/api/webhook/{webhook_id}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve())
