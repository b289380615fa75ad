"""The phone page: its files, served at `/` on the simulator's port."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aiohttp import web

STATIC_DIR: Final = Path(__file__).parent / "static"
STATIC_PREFIX: Final = "/phone"
# Everything comes from the simulator itself; only a <url> recording of a
# message may come from elsewhere, as Hoiio would fetch it.
_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; media-src 'self' http: https:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
}


async def _index(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers=_HEADERS)


def page_routes() -> list[web.AbstractRouteDef]:
    """Return the routes of the page and of its scripts and styles."""
    return [web.get("/", _index), web.static(STATIC_PREFIX, STATIC_DIR)]
