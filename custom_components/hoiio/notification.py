"""Hoiio notifications: parsing what the service sends, liberally."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
import re
from typing import Any, Final

import voluptuous as vol

IVR_BLOCKS: Final = (
    "answer",
    "dial",
    "play",
    "gather",
    "record",
    "monitor",
    "unhold",
    "transfer",
    "hangup",
)
_KNOWN_BLOCKS: Final = frozenset(IVR_BLOCKS)
EVENT_TYPE_OTHER: Final = "other"
EVENT_TYPES: Final = (*IVR_BLOCKS, EVENT_TYPE_OTHER)
CALL_STATE_RINGING: Final = "ringing"
CALL_STATE_ONGOING: Final = "ongoing"
CALL_STATE_ENDED: Final = "ended"
CALL_STATES: Final = (CALL_STATE_RINGING, CALL_STATE_ONGOING, CALL_STATE_ENDED)
OUTCOMES: Final = ("answered", "unanswered", "failed", "busy", "ongoing")
# Dial outcomes that mean no call took place: they end it whatever its call_state.
DIAL_FAILURES: Final = frozenset({"unanswered", "failed", "busy"})
# Fields of an ended call's notification that tell what it cost.
COST_FIELDS: Final = ("date", "duration", "currency", "rate", "debit")
GMT8: Final = timezone(timedelta(hours=8))
# Keys the integration adds when it infers the block of a notification.
ATTR_IVR_BLOCK_INFERRED: Final = "ivr_block_inferred"
ATTR_IVR_BLOCK_SENT: Final = "ivr_block_sent"

_AMOUNT = re.compile(r"[0-9]{1,15}(\.[0-9]{1,10})?")
# Hours 00-23 only: Python 3.14's fromisoformat reads 24:00:00 as the next day.
_DATE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{1,6})?"
)


def _gmt8_date(value: str) -> str:
    """Parse a `YYYY-MM-DD HH:mm:SS[.f]` time in GMT+8 into ISO 8601 with its offset."""
    if not _DATE.fullmatch(value):
        raise ValueError(value)
    return datetime.fromisoformat(value).replace(tzinfo=GMT8).isoformat()


def _amount(value: str) -> int | float:
    """Parse a plain non-negative decimal number (a whole one as an int)."""
    if not _AMOUNT.fullmatch(value):
        raise ValueError(value)
    whole, _, fraction = value.partition(".")
    return float(value) if fraction.strip("0") else int(whole)


# Fields with a known form: parsed when they match it, otherwise passed on as
# sent. Tables rather than vol.Schema: the webhook's hot path stays cheap
# (see benchmarks/bench_parsing.py).
KNOWN_VALUES: Final[tuple[tuple[str, frozenset[str]], ...]] = (
    ("ivr_block", _KNOWN_BLOCKS),
    ("call_state", frozenset(CALL_STATES)),
    ("dial_status", frozenset(OUTCOMES)),
    ("transfer_status", frozenset(OUTCOMES)),
)
PARSERS: Final[tuple[tuple[str, Callable[[str], Any]], ...]] = (
    ("date", _gmt8_date),
    ("duration", _amount),
    ("rate", _amount),
    ("debit", _amount),
)


@dataclass(slots=True)
class Notification:
    """One notification from Hoiio, with the fields that did not parse."""

    session: str
    ivr_block: str | None
    call_state: str | None
    fields: Mapping[str, Any]
    unparsed: tuple[str, ...] = ()

    @property
    def event_type(self) -> str:
        """Return the event entity's type for this notification."""
        return self.ivr_block if self.ivr_block in _KNOWN_BLOCKS else EVENT_TYPE_OTHER

    @property
    def ended(self) -> bool:
        """Return whether the call has ended."""
        return self.call_state == CALL_STATE_ENDED

    @property
    def ends_call(self) -> bool:
        """Return whether the call is over: it ended, or its dial failed."""
        return self.ended or (
            self.ivr_block == "dial" and self.fields.get("dial_status") in DIAL_FAILURES
        )

    @property
    def cost(self) -> dict[str, Any]:
        """Return the cost fields present in the notification."""
        return {key: self.fields[key] for key in COST_FIELDS if key in self.fields}

    def get(self, key: str) -> str | None:
        """Return a text field, or None."""
        value = self.fields.get(key)
        return value if isinstance(value, str) else None

    def with_inferred_block(self, block: str) -> Notification:
        """Return this notification as one of `block`, saying what was sent."""
        fields = {
            **self.fields,
            "ivr_block": block,
            ATTR_IVR_BLOCK_INFERRED: True,
            ATTR_IVR_BLOCK_SENT: self.fields.get("ivr_block"),
        }
        return replace(self, ivr_block=block, fields=fields)

    def as_event_data(self) -> dict[str, Any]:
        """Return the fields (already JSON-friendly) as a new dict."""
        return dict(self.fields)


def parse_notification(data: Mapping[str, str]) -> Notification:
    """Parse notification fields; raise vol.Invalid only without a session."""
    session = data.get("session")
    if not session:
        raise vol.Invalid("required key not provided", path=["session"])
    fields: dict[str, Any] = dict(data)
    unparsed = [
        key for key, known in KNOWN_VALUES if key in data and data[key] not in known
    ]
    for key, parse in PARSERS:
        if key in data:
            try:
                fields[key] = parse(data[key])
            except ValueError:
                unparsed.append(key)
    return Notification(
        session=session,
        ivr_block=data.get("ivr_block"),
        call_state=data.get("call_state"),
        fields=fields,
        unparsed=tuple(unparsed),
    )
