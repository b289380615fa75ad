"""Injected failures: slow, broken or refused answers and lost notifications."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

# Faults applied after the request was carried out: its answer is lost or late.
ANSWER_FAULTS: Final = frozenset({"lose_answer", "slow_answer"})
API_FAULTS: Final = (
    frozenset({"latency", "http_500", "non_json", "status", "reset", "body"})
    | ANSWER_FAULTS
)
NOTIFICATION_FAULTS: Final = frozenset({"drop_notification", "duplicate_notification"})
FAULT_KINDS: Final = API_FAULTS | NOTIFICATION_FAULTS
TIMED_FAULTS: Final = frozenset({"latency", "slow_answer"})


@dataclass
class Fault:
    """One failure to inject, `count` times (None: until cleared).

    `path` selects API requests (None: every path) and `block` selects
    notifications by `ivr_block` (None: every block). `value` is the delay in
    seconds for "latency" (before the request is handled) and "slow_answer"
    (after it was carried out), the `error_...` status for "status", the raw
    body for "body" and optionally the JSON body of an "http_500".
    "lose_answer" carries the request out, then drops the connection.
    """

    kind: str
    path: str | None = None
    block: str | None = None
    count: int | None = None
    value: float | str | None = None

    def __post_init__(self) -> None:
        """Refuse faults that cannot be applied."""
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {sorted(FAULT_KINDS)}")
        if self.count is not None and self.count < 1:
            raise ValueError("fault count must be at least 1")
        if self.kind in TIMED_FAULTS and (
            not isinstance(self.value, int | float) or self.value < 0
        ):
            raise ValueError(f"a {self.kind} fault needs a value of seconds >= 0")
        if self.kind == "status" and not (
            isinstance(self.value, str) and self.value.startswith("error_")
        ):
            raise ValueError("a status fault needs an error_... value")
        if self.kind == "body" and not isinstance(self.value, str):
            raise ValueError("a body fault needs the body text as value")


class FaultBook:
    """The faults in force, used up as they apply."""

    def __init__(self) -> None:
        """Start with no fault."""
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Put a copy of a fault in force (its count goes down as it is used)."""
        self.faults.append(replace(fault))

    def clear(self) -> None:
        """Remove every fault."""
        self.faults.clear()

    def take_api(self, path: str) -> tuple[float, Fault | None]:
        """Use the faults for a request: total latency and the answer fault."""
        latency = 0.0
        answer: Fault | None = None
        for fault in list(self.faults):
            if fault.kind not in API_FAULTS or fault.path not in (None, path):
                continue
            if fault.kind == "latency":
                latency += float(fault.value or 0)
            elif answer is None:
                answer = fault
            else:
                continue
            self._use(fault)
        return latency, answer

    def take_notification(self, block: str | None) -> Fault | None:
        """Use the first fault for a notification of this block, if any."""
        for fault in self.faults:
            if fault.kind in NOTIFICATION_FAULTS and fault.block in (None, block):
                self._use(fault)
                return fault
        return None

    def _use(self, fault: Fault) -> None:
        if fault.count is None:
            return
        fault.count -= 1
        if fault.count == 0:
            self.faults.remove(fault)
