"""Messages logged once at their level, then only at debug level."""

from __future__ import annotations

from typing import Any

from .const import LOGGER


class OnceLogger:
    """Logs each kind of message at its level the first time only."""

    def __init__(self) -> None:
        """Start with nothing logged."""
        self._logged: set[str] = set()

    def _first(self, kind: str) -> bool:
        """Return whether a kind of message is logged for the first time."""
        if kind in self._logged:
            return False
        self._logged.add(kind)
        return True

    def warning(self, kind: str, message: str, *args: Any) -> None:
        """Log a warning the first time, at debug level afterwards."""
        if self._first(kind):
            LOGGER.warning(message, *args)
        else:
            LOGGER.debug(message, *args)

    def debug(self, kind: str, message: str, *args: Any) -> None:
        """Log at debug level the first time, then not at all."""
        if self._first(kind):
            LOGGER.debug(message, *args)
