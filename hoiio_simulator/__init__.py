"""A local simulator of the Hoiio Open API."""

from .accounts import Account
from .config import SimulatorConfig
from .faults import Fault
from .notifier import Notification
from .openapi import RecordedRequest
from .server import HoiioSimulator
from .sessions import CallSession

__all__ = [
    "Account",
    "CallSession",
    "Fault",
    "HoiioSimulator",
    "Notification",
    "RecordedRequest",
    "SimulatorConfig",
]
