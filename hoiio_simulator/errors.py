"""The exception that turns into an `error_...` API answer."""

from __future__ import annotations


class ApiError(Exception):
    """A request is refused with the given Hoiio status."""

    def __init__(self, status: str) -> None:
        """Keep the status to answer."""
        super().__init__(status)
        self.status = status
