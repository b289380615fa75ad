"""Sliding-window request limits per application and path."""

from __future__ import annotations

from collections import deque
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping


class RateLimiter:
    """Count requests per (app_id, path) over each path's window."""

    def __init__(self, limits: Mapping[str, tuple[int, float]]) -> None:
        """Use limits of path -> (requests, window seconds)."""
        self._limits = dict(limits)
        self._hits: dict[tuple[str, str], deque[float]] = {}

    def allow(self, app_id: str, path: str) -> bool:
        """Record a request and tell whether it is within the limit."""
        limit = self._limits.get(path)
        if limit is None:
            return True
        count, window = limit
        now = time.monotonic()
        hits = self._hits.setdefault((app_id, path), deque())
        while hits and now - hits[0] >= window:
            hits.popleft()
        if len(hits) >= count:
            return False
        hits.append(now)
        return True
