"""What the phone page shows of a call: the lines of its transcript and its state."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
import time
from typing import TYPE_CHECKING, Any, Final

from .markup import message_parts

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .interactive import Waiting
    from .notifier import Notification
    from .sessions import CallSession, RunningBlock

MAX_CALLS: Final = 50
MAX_ENTRIES: Final = 200
# The fields of a block that the page tells, beside its message.
_BLOCK_FIELDS: Final = {
    "gather": ("max_digits", "timeout", "attempts"),
    "record": ("max_duration",),
    "transfer": ("dest", "ring_time", "on_failure"),
    "hangup": ("force",),
    "dial": ("dest",),
}
_BLOCKS_WITH_RESULTS: Final = frozenset({"gather", "record", "transfer", "dial"})
_RESULT_FIELDS: Final = (
    "digits",
    "record_url",
    "transfer_status",
    "dial_status",
    "room",
)


def transcript_entry(kind: str, **fields: Any) -> dict[str, Any]:
    """Return one line of a transcript, stamped with the time (ms since 1970)."""
    if "msg" in fields:
        fields["parts"] = message_parts(fields.pop("msg"))
    return {"kind": kind, "at": int(time.time() * 1000), **fields}


def block_entry(path: str, params: Mapping[str, str]) -> dict[str, Any]:
    """Return the line of a block the IVR runs: its message and its settings."""
    name = path.rsplit("/", 1)[1]
    fields = {key: params[key] for key in _BLOCK_FIELDS.get(name, ()) if key in params}
    return transcript_entry(
        "dialing" if name == "dial" else name, msg=params.get("msg", ""), **fields
    )


def result_entry(
    running: RunningBlock, data: Mapping[str, str]
) -> dict[str, Any] | None:
    """Return the line of a block's outcome, for blocks that have one."""
    if running.name not in _BLOCKS_WITH_RESULTS:
        return None
    outcome = {key: data[key] for key in _RESULT_FIELDS if key in data}
    return transcript_entry("result", block=running.name, **outcome)


def notified_entry(notification: Notification) -> dict[str, Any]:
    """Return the line of a notification posted to Home Assistant (or not)."""
    return transcript_entry(
        "notified",
        block=notification.data.get("ivr_block", ""),
        call_state=notification.data.get("call_state", ""),
        status=notification.http_status,
        error=notification.error,
    )


def call_view(
    session: CallSession, waiting: Waiting | None, cost: Mapping[str, str] | None
) -> dict[str, Any]:
    """Return the state of a call as the page shows it."""
    return {
        "session": session.id,
        "direction": "incoming" if session.dest is None else "outgoing",
        "from": session.from_number,
        "to": session.to_number,
        "dest": session.dest,
        "state": session.state,
        "on_hold": session.on_hold,
        "block": session.block,
        "interactive": session.interactive,
        "waiting": None if waiting is None else waiting.as_dict(),
        "transfer_dest": session.transfer_dest,
        "room": session.room,
        "cost": None if cost is None else dict(cost),
    }


@dataclass
class CallRecord:
    """The transcript of one call, and what the page keeps of it."""

    entries: deque[dict[str, Any]] = field(
        default_factory=lambda: deque(maxlen=MAX_ENTRIES)
    )
    answered: bool = False
    cost: dict[str, str] | None = None


class Transcripts:
    """The transcripts of the most recent calls (older ones are forgotten)."""

    def __init__(self, max_calls: int = MAX_CALLS) -> None:
        """Keep up to max_calls calls."""
        self._records: OrderedDict[str, CallRecord] = OrderedDict()
        self._max_calls = max_calls

    def record(self, session_id: str) -> CallRecord:
        """Return a call's record, starting one if needed."""
        record = self._records.get(session_id)
        if record is None:
            record = self._records[session_id] = CallRecord()
            while len(self._records) > self._max_calls:
                self._records.popitem(last=False)
        return record

    def __contains__(self, session_id: object) -> bool:
        """Tell whether a call's transcript is kept."""
        return session_id in self._records

    def sessions(self) -> list[str]:
        """Return the kept calls, oldest first."""
        return list(self._records)
