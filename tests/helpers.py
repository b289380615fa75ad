"""Helpers for talking to the simulator without the integration's client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from hoiio_simulator import HoiioSimulator

CALLER = "+6591234567"
HOIIO_NUMBER = "+6531580000"
TRANSFER_DEST = "+6598765432"
DEMO_APP = "demo_app"
DEMO_TOKEN = "demo_token"


@dataclass
class SinkPost:
    """One request a notify sink received."""

    path: str
    query: dict[str, str]
    form: dict[str, str]


@dataclass
class NotifySink:
    """A local notify URL that records the form posts it receives."""

    url: str
    posts: list[SinkPost] = field(default_factory=list)
    status: int = 200

    def blocks(self) -> list[str]:
        """Return the ivr_block of every post, in arrival order."""
        return [post.form.get("ivr_block", "") for post in self.posts]


async def api(
    simulator: HoiioSimulator,
    path: str,
    *,
    method: str = "POST",
    app_id: str = DEMO_APP,
    access_token: str = DEMO_TOKEN,
    **params: str,
) -> dict[str, Any]:
    """Send one API request (form body for POST, query otherwise); return its JSON."""
    fields = {"app_id": app_id, "access_token": access_token, **params}
    url = simulator.base_url + path
    async with aiohttp.ClientSession() as http:
        if method == "POST":
            response = await http.post(url, data=fields)
        else:
            response = await http.request(method, url, params=fields)
        async with response:
            answer: dict[str, Any] = await response.json()
    return answer


async def incoming(simulator: HoiioSimulator, notify_url: str) -> str:
    """Ring the demo Hoiio number and return the new session."""
    return await simulator.incoming_call(CALLER, HOIIO_NUMBER, notify_url=notify_url)
