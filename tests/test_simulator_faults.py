"""Injected faults: on API answers and on notifications."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
import pytest

from hoiio_simulator import Fault, RecordedRequest
from hoiio_simulator.faults import FaultBook

from .helpers import api, incoming

if TYPE_CHECKING:
    from hoiio_simulator import HoiioSimulator

    from .helpers import NotifySink

PLAY = "ivr/middle/play"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "flood"}, "kind must be one of"),
        ({"kind": "http_500", "count": 0}, "at least 1"),
        ({"kind": "latency"}, "seconds"),
        ({"kind": "latency", "value": -1.0}, "seconds"),
        ({"kind": "latency", "value": "1"}, "seconds"),
        ({"kind": "slow_answer"}, "slow_answer fault needs a value of seconds"),
        ({"kind": "slow_answer", "value": -0.5}, "seconds"),
        ({"kind": "status", "value": "success_ok"}, "error_"),
        ({"kind": "body"}, "body text"),
    ],
)
def test_fault_checks(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fault(**kwargs)  # type: ignore[arg-type]


def test_fault_book_uses_up_counted_faults() -> None:
    book = FaultBook()
    book.add(Fault("latency", path="a", value=0.5, count=1))
    book.add(Fault("latency", value=0.25))
    book.add(Fault("http_500", path="a", count=2))
    book.add(Fault("non_json"))
    assert book.take_api("a") == (0.75, book.faults[1])
    latency, fault = book.take_api("a")
    assert latency == 0.25
    assert fault is not None
    assert fault.kind == "http_500"
    latency, fault = book.take_api("a")
    assert fault is not None
    assert fault.kind == "non_json"
    assert [f.kind for f in book.faults] == ["latency", "non_json"]
    assert book.take_notification("play") is None
    book.clear()
    assert book.take_api("a") == (0.0, None)


async def test_status_fault_on_one_path(simulator: HoiioSimulator) -> None:
    simulator.add_fault(
        Fault("status", path="user/get_info", value="error_not_allowed_for_trial")
    )
    assert (await api(simulator, "user/get_balance"))["status"] == "success_ok"
    for _ in range(2):
        answer = await api(simulator, "user/get_info")
        assert answer == {"status": "error_not_allowed_for_trial"}
    assert simulator.requests[-1].fault == "status"
    simulator.clear_faults()
    assert (await api(simulator, "user/get_info"))["status"] == "success_ok"


@pytest.mark.parametrize(
    ("fault", "http_status", "body"),
    [
        (Fault("http_500"), 500, "500 Internal Server Error"),
        (Fault("non_json"), 200, "<html>Service Unavailable</html>"),
        (Fault("body", value='{"txn_ref": "AA-S-1"}'), 200, '{"txn_ref": "AA-S-1"}'),
    ],
)
async def test_answer_faults(
    simulator: HoiioSimulator, fault: Fault, http_status: int, body: str
) -> None:
    simulator.add_fault(fault)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            simulator.base_url + "user/get_info",
            data={"app_id": "demo_app", "access_token": "demo_token"},
        ) as response,
    ):
        assert response.status == http_status
        assert await response.text() == body
    assert simulator.requests[-1].status is None
    assert simulator.requests[-1].fault == fault.kind


async def test_reset_closes_the_connection(simulator: HoiioSimulator) -> None:
    simulator.add_fault(Fault("reset", count=1))
    with pytest.raises(aiohttp.ClientError):
        await api(simulator, "user/get_info")
    assert (await api(simulator, "user/get_info"))["status"] == "success_ok"


async def test_lose_answer_runs_the_block_then_drops_the_connection(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(simulator, notify_sink.url)
    simulator.add_fault(Fault("lose_answer", path=PLAY, count=1))
    with pytest.raises(aiohttp.ClientError):
        await api(simulator, PLAY, session=session, notify_url=notify_sink.url)
    record = simulator.requests[-1]
    assert (record.path, record.status, record.fault) == (
        PLAY,
        "success_ok",
        "lose_answer",
    )
    await simulator.settle()
    assert notify_sink.blocks() == ["answer", "play"]
    answer = await api(simulator, PLAY, session=session, notify_url=notify_sink.url)
    assert answer["status"] == "success_ok"
    assert simulator.faults == []


async def test_lose_answer_loses_error_answers_too(
    simulator: HoiioSimulator,
) -> None:
    simulator.add_fault(Fault("lose_answer", path=PLAY, count=1))
    with pytest.raises(aiohttp.ClientError):
        await api(simulator, PLAY, session="S404")
    assert simulator.requests[-1].status == "error_invalid_session"


async def test_slow_answer_comes_after_the_notification(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    arrivals = _Arrivals()
    session = await incoming(simulator, notify_sink.url)
    simulator._api.requests = arrivals
    simulator.add_fault(Fault("slow_answer", path=PLAY, value=3600.0, count=1))
    slow = asyncio.create_task(
        api(simulator, PLAY, session=session, notify_url=notify_sink.url)
    )
    await arrivals.arrived.wait()
    await simulator.settle()
    assert notify_sink.blocks() == ["answer", "play"]
    assert not slow.done()
    await simulator.stop()
    assert (await slow)["status"] == "success_ok"
    assert simulator.requests[-1].fault == "slow_answer"


class _Arrivals(list[RecordedRequest]):
    """A request log that signals each arrival."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()

    def append(self, item: RecordedRequest) -> None:
        super().append(item)
        self.arrived.set()


async def test_stop_cuts_latency_short(simulator: HoiioSimulator) -> None:
    arrivals = _Arrivals()
    simulator._api.requests = arrivals
    simulator.add_fault(Fault("latency", value=3600.0))
    slow = asyncio.create_task(api(simulator, "user/get_info"))
    await arrivals.arrived.wait()
    await simulator.stop()
    assert (await slow)["status"] == "success_ok"


async def test_drop_notification(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(simulator, notify_sink.url)
    simulator.add_fault(Fault("drop_notification", block="play", count=1))
    for _ in range(2):
        await api(simulator, PLAY, session=session, notify_url=notify_sink.url)
        await simulator.settle()
    assert notify_sink.blocks() == ["answer", "play"]
    dropped = simulator.notifications[1]
    assert dropped.error == "dropped by fault"
    assert dropped.data["ivr_block"] == "play"
    assert simulator.faults == []


async def test_duplicate_notification(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    simulator.add_fault(Fault("duplicate_notification"))
    await incoming(simulator, notify_sink.url)
    assert notify_sink.blocks() == ["answer", "answer"]
    assert len(simulator.notifications) == 2
