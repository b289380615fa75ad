"""The simulator: its aiohttp application, state and Python controls."""

from __future__ import annotations

import asyncio
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .config import SimulatorConfig, check_outcome
from .control import control_routes
from .errors import ApiError
from .faults import FaultBook
from .live import live_route
from .notifier import Notifier
from .openapi import OpenApi
from .origin import refuse_other_sites
from .page import page_routes
from .phone import Phone
from .ratelimit import RateLimiter
from .sessions import CallEngine, CallSession
from .timers import TaskTracker
from .validation import is_e164, is_notify_url

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .accounts import Account
    from .faults import Fault
    from .notifier import Notification
    from .openapi import RecordedRequest

RECORDINGS_PATH = "/_simulator/recordings/"


class HoiioSimulator:
    """A local, faithful stand-in for the Hoiio Open API."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        """Build the application; nothing listens until start()."""
        self.config = config or SimulatorConfig()
        self.accounts: dict[str, Account] = {
            account.app_id: account for account in self.config.accounts
        }
        self._number_urls = dict(self.config.number_notify_urls)
        self._faults = FaultBook()
        self._tasks = TaskTracker()
        self._closing = asyncio.Event()
        self._notifier = Notifier(self._faults, self.config)
        self._engine = CallEngine(
            self.config,
            self.accounts,
            self._notifier,
            self._tasks,
            lambda name: self.url + RECORDINGS_PATH + name,
        )
        self._api = OpenApi(
            self.accounts,
            faults=self._faults,
            limiter=RateLimiter(self.config.rate_limits),
            engine=self._engine,
            languages=self.config.supported_languages,
            closing=self._closing,
        )
        self._phone = Phone(self._engine, self.config, self.phone_numbers)
        self._engine.watcher = self._phone
        self._notifier.on_record = self._phone.delivered
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self.app = web.Application(middlewares=[refuse_other_sites])
        self.app.add_routes(
            [
                *self._api.routes(),
                *control_routes(self),
                live_route(self._phone.hub),
                *page_routes(),
            ]
        )

    @property
    def url(self) -> str:
        """Return the root URL the simulator listens on."""
        if self._url is None:
            raise RuntimeError("the simulator is not started")
        return self._url

    @property
    def phone_url(self) -> str:
        """Return the URL of the phone page."""
        return self.url + "/"

    @property
    def phone_watchers(self) -> int:
        """Return how many phone pages watch the calls live."""
        return self._phone.hub.watching

    @property
    def base_url(self) -> str:
        """Return the API base URL, to give HoiioClient."""
        return self.url + "/open/"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Return every API request received so far."""
        return self._api.requests

    @property
    def notifications(self) -> list[Notification]:
        """Return every notification posted (or not delivered) so far."""
        return self._notifier.notifications

    @property
    def sessions(self) -> Mapping[str, CallSession]:
        """Return the call sessions by id (read-only)."""
        return MappingProxyType(self._engine.sessions)

    @property
    def faults(self) -> list[Fault]:
        """Return the faults in force."""
        return self._faults.faults

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0: any free port)."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already started")
        self._closing.clear()
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_port = runner.addresses[0][1]
        shown = f"[{host}]" if ":" in host else host
        self._url = f"http://{shown}:{bound_port}"

    async def stop(self) -> None:
        """Cancel every timer and delivery and close the server; idempotent."""
        self._closing.set()
        await self._phone.close()
        await self._tasks.cancel_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._tasks.cancel_all()
        await self._notifier.close()

    def add_account(self, account: Account) -> None:
        """Accept requests from one more application."""
        self.accounts[account.app_id] = account

    def set_number_notify_url(self, number: str, url: str) -> None:
        """Set where incoming calls to a Hoiio number are announced."""
        if not is_e164(number):
            raise ValueError(f"{number!r} is not an E.164 number")
        if not is_notify_url(url):
            raise ValueError(f"{url!r} is not an http(s) URL")
        self._number_urls[number] = url
        self._phone.numbers_changed()

    def phone_numbers(self) -> list[dict[str, Any]]:
        """Return the Hoiio numbers, each with whether incoming calls can reach it."""
        numbers = {
            number for account in self.accounts.values() for number in account.numbers
        }
        return [
            {"number": number, "ready": number in self._number_urls}
            for number in sorted(numbers | set(self._number_urls))
        ]

    async def incoming_call(
        self,
        from_number: str,
        to_number: str,
        notify_url: str | None = None,
        *,
        interactive: bool = False,
    ) -> str:
        """Ring a Hoiio number: open a session and post its answer notification.

        An interactive call (placed from the phone page) waits for the page's
        keys, stop button and far end instead of the simulator's settings.
        """
        for number in (from_number, to_number):
            if not is_e164(number):
                raise ValueError(f"{number!r} is not an E.164 number")
        url = notify_url or self._number_urls.get(to_number)
        if url is None:
            raise ValueError(f"no notify URL is set for {to_number}")
        if not is_notify_url(url):
            raise ValueError(f"{url!r} is not an http(s) URL")
        account = next(
            (item for item in self.accounts.values() if to_number in item.numbers),
            None,
        ) or next(iter(self.accounts.values()))
        try:
            answer = self._engine.ring(
                CallSession(
                    "",
                    account.app_id,
                    from_number=from_number,
                    to_number=to_number,
                    interactive=interactive,
                )
            )
        except ApiError as err:
            raise ValueError(f"{account.app_id}: {err.status}") from None
        await self._notifier.post(url, answer)
        return answer["session"]

    def set_notify_in_query(self, enabled: bool) -> None:
        """Send later notification fields in the query string (or in the body)."""
        self.config.notify_in_query = enabled

    def set_transfer_outcome(self, outcome: str, *, session: str | None = None) -> None:
        """Set how later transfers end, for one session or for all."""
        self._engine.set_transfer_outcome(outcome, session)

    def set_dial_outcome(self, outcome: str) -> None:
        """Set how later dials end."""
        self._engine.dial_outcome = check_outcome(outcome)

    def set_gather_digits(self, digits: str, *, session: str | None = None) -> None:
        """Set the digits later gathers collect, for one session or for all."""
        self._engine.set_gather_digits(digits, session)

    async def complete_block(self, session: str) -> None:
        """Finish a session's running block now and deliver its notification."""
        await self._engine.complete(self._engine.lookup(session))

    async def hangup_caller(self, session: str) -> None:
        """Hang up from the caller's side."""
        await self._engine.caller_hangs_up(self._engine.lookup(session))

    def press_keys(self, session: str, keys: str) -> None:
        """The caller of a call from the phone presses keys during a gather."""
        self._phone.input.press(session, keys)

    def stop_recording(self, session: str) -> None:
        """The caller of a call from the phone stops a recording."""
        self._phone.input.stop_recording(session)

    def far_end(self, session: str, outcome: str) -> None:
        """The far end of a transfer from the phone answers, is busy, hangs up..."""
        self._phone.input.far_end(session, outcome)

    def answer_dial(self, session: str, answer: str) -> None:
        """The phone answers or declines a dial that rings on it."""
        self._phone.input.answer_dial(session, answer)

    def add_fault(self, fault: Fault) -> None:
        """Inject a fault."""
        self._faults.add(fault)

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    async def settle(self) -> None:
        """Wait until no timer or delivery is pending."""
        await self._tasks.settle()
