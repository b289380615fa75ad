"""The phone page's side of the simulator: it follows every call, live."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final

from .interactive import PhoneInput
from .live import LiveHub
from .sessions import CallWatcher
from .transcript import (
    Transcripts,
    block_entry,
    call_view,
    notified_entry,
    result_entry,
    transcript_entry,
)
from .validation import DIAL

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .config import SimulatorConfig
    from .notifier import Notification
    from .sessions import CallEngine, CallSession, RunningBlock

# The caller number the dialer starts with.
DEFAULT_CALLER: Final = "+6591234567"


class Phone(CallWatcher):
    """Tell watching pages about every call; run the page's own calls on its input."""

    def __init__(
        self,
        engine: CallEngine,
        config: SimulatorConfig,
        numbers: Callable[[], list[dict[str, Any]]],
    ) -> None:
        """Follow the engine's calls; `numbers()` lists the Hoiio numbers to call."""
        self.hub = LiveHub(self._hello)
        self.input = PhoneInput(engine, config, self)
        self._engine = engine
        self._numbers = numbers
        self._transcripts = Transcripts()
        self._changed: dict[str, CallSession] = {}
        self._flush: asyncio.Handle | None = None

    def opened(self, session: CallSession) -> None:
        """Show an incoming call ringing."""
        if session.dest is None:
            fields = {"from": session.from_number, "to": session.to_number}
            self.entry(session, "ringing", **fields)
        self.changed(session)

    def accepted(
        self, session: CallSession, path: str, params: Mapping[str, str]
    ) -> None:
        """Show the block the IVR runs (the first one answers an incoming call)."""
        record = self._transcripts.record(session.id)
        if path != DIAL and session.dest is None and not record.answered:
            record.answered = True
            self.entry(session, "answered")
        self._publish_entry(session.id, block_entry(path, params))
        self.changed(session)

    def takes_over(self, session: CallSession, running: RunningBlock) -> bool:
        """Let the page finish the blocks of its own calls that wait for a person."""
        return self.input.takes_over(session, running)

    def finished(
        self, session: CallSession, running: RunningBlock, data: Mapping[str, str]
    ) -> None:
        """Show a block's outcome."""
        self.input.forget(session)
        if (entry := result_entry(running, data)) is not None:
            self._publish_entry(session.id, entry)
        self.changed(session)

    def caller_hung_up(self, session: CallSession) -> None:
        """Show that the caller hung up, and whether a notification will tell."""
        self.entry(session, "caller_hangup", notified=session.running is not None)
        self.changed(session)

    def ended(self, session: CallSession, cost: Mapping[str, str]) -> None:
        """Show the end of a call and its cost."""
        self._transcripts.record(session.id).cost = dict(cost)
        self.entry(session, "ended", **cost)
        self.changed(session)

    def answers_dials(self) -> bool:
        """Ring dialled calls on the pages while at least one watches."""
        return self.hub.watching > 0

    def entry(self, session: CallSession, kind: str, **fields: Any) -> None:
        """Add a line to a call's transcript and send it to the pages."""
        self._publish_entry(session.id, transcript_entry(kind, **fields))

    def changed(self, session: CallSession) -> None:
        """Send the call's state to the pages once the current step is done."""
        self._changed[session.id] = session
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_soon(self._send_changes)

    def delivered(self, notification: Notification) -> None:
        """Show a notification the simulator posted for a call."""
        session_id = notification.data.get("session")
        if session_id in self._transcripts:
            self._publish_entry(str(session_id), notified_entry(notification))

    def numbers_changed(self) -> None:
        """Send the Hoiio numbers again (a notify URL was set)."""
        self.hub.publish({"type": "numbers", "numbers": self._numbers()})

    async def close(self) -> None:
        """Let the pages go and cancel every wait."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        self.hub.close()
        await self.input.close()

    def _publish_entry(self, session_id: str, entry: dict[str, Any]) -> None:
        self._transcripts.record(session_id).entries.append(entry)
        self.hub.publish({"type": "entry", "session": session_id, "entry": entry})

    def _send_changes(self) -> None:
        self._flush = None
        changed, self._changed = self._changed, {}
        for session in changed.values():
            self.hub.publish({"type": "call", "call": self._view(session)})

    def _view(self, session: CallSession) -> dict[str, Any]:
        return call_view(
            session,
            self.input.waiting.get(session.id),
            self._transcripts.record(session.id).cost,
        )

    def _hello(self) -> dict[str, Any]:
        calls = []
        for session_id in self._transcripts.sessions():
            session = self._engine.sessions.get(session_id)
            if session is not None:
                entries = list(self._transcripts.record(session_id).entries)
                calls.append({"call": self._view(session), "entries": entries})
        return {"numbers": self._numbers(), "caller": DEFAULT_CALLER, "calls": calls}
