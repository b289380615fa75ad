"""Which browser pages may drive the simulator: its own, served from a local host."""

from __future__ import annotations

from typing import Final

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from yarl import URL

from .notifier import is_local_host

CONTROL_PREFIX: Final = "/_simulator/"


def is_same_origin(request: web.Request) -> bool:
    """Tell whether a request comes from no page, or from a page of this server.

    Any web site open in the same browser could otherwise post to the control
    routes; a local Host also keeps out pages that rebind their name to 127.0.0.1.
    """
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is None:
        return True
    try:
        host = URL(f"http://{request.host}").host
    except ValueError:
        return False
    own = f"{request.scheme}://{request.host}".lower()
    return is_local_host(host) and origin.lower() == own


@web.middleware
async def refuse_other_sites(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Refuse control requests that change something from pages of other sites."""
    if (
        request.path.startswith(CONTROL_PREFIX)
        and request.method not in (hdrs.METH_GET, hdrs.METH_HEAD)
        and not is_same_origin(request)
    ):
        return web.json_response(
            {"error": "requests from pages of other sites are refused"}, status=403
        )
    return await handler(request)
