"""What the simulator posts to notify URLs, and how delivery fails."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from decimal import Decimal
import socket
from typing import TYPE_CHECKING

from aiohttp import web
import pytest

from hoiio_simulator import HoiioSimulator, SimulatorConfig
from hoiio_simulator.notifier import LoopbackResolver, is_local_host

from .helpers import CALLER, HOIIO_NUMBER, TRANSFER_DEST, api, incoming

if TYPE_CHECKING:
    from .helpers import NotifySink

GMT8 = timezone(timedelta(hours=8))
ENDED_FIELDS = {"date", "duration", "currency", "rate", "debit"}


async def test_answer_notification(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    """A new call rings: its answer notification has a txn_ref and an empty tag."""
    session = await incoming(simulator, notify_sink.url + "/calls?entry=7")
    post = notify_sink.posts[0]
    assert post.path == "/calls"
    assert post.query == {"entry": "7"}
    txn_ref = post.form.pop("txn_ref")
    assert txn_ref.startswith("AA-S-")
    assert post.form == {
        "ivr_block": "answer",
        "session": session,
        "from": CALLER,
        "to": HOIIO_NUMBER,
        "tag": "",
        "call_state": "ringing",
    }
    assert simulator.notifications[0].http_status == 200
    assert simulator.notifications[0].delivered
    assert simulator.sessions[session].state == "ringing"


async def test_first_block_answers_a_ringing_call(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    """The call rings until a block is accepted; a refused block changes nothing."""
    session = await incoming(simulator, notify_sink.url)
    refused = await api(simulator, "ivr/middle/unhold", session=session)
    assert refused["status"] == "error_session_not_on_hold"
    assert simulator.sessions[session].state == "ringing"
    await api(simulator, "ivr/middle/hold", session=session)
    assert simulator.sessions[session].state == "ongoing"


async def test_ringing_calls_count_against_the_limit(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    """Calls that only ring count among the account's concurrent calls."""
    for _ in range(simulator.config.max_concurrent_calls):
        await incoming(simulator, notify_sink.url)
    with pytest.raises(ValueError, match="error_concurrent_call_limit_reached"):
        await incoming(simulator, notify_sink.url)


async def test_fields_in_the_query_string(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    """With notify_in_query the fields follow the notify URL's own query."""
    simulator.config.notify_in_query = True
    session = await incoming(simulator, notify_sink.url + "/calls?entry=7&x=a+b")
    await api(
        simulator,
        "ivr/middle/play",
        session=session,
        notify_url=notify_sink.url + "/calls?",
    )
    await simulator.settle()
    answer, play = notify_sink.posts
    assert answer.form == {}
    assert answer.query.pop("entry") == "7"
    assert answer.query.pop("x") == "a b"
    assert answer.query == simulator.notifications[0].data
    assert answer.query["from"] == CALLER
    assert answer.query["tag"] == ""
    assert play.form == {}
    assert play.query == simulator.notifications[1].data
    assert play.query["call_state"] == "ongoing"


async def test_ongoing_block_fields(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(simulator, notify_sink.url)
    answer = await api(
        simulator, "ivr/middle/play", session=session, notify_url=notify_sink.url
    )
    await simulator.settle()
    assert notify_sink.posts[-1].form == {
        "ivr_block": "play",
        "session": session,
        "txn_ref": answer["txn_ref"],
        "from": CALLER,
        "to": HOIIO_NUMBER,
        "tag": "",
        "call_state": "ongoing",
    }


async def test_ended_call_fields_and_billing(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(simulator, notify_sink.url)
    await api(
        simulator,
        "ivr/end/hangup",
        session=session,
        tag="bye",
        notify_url=notify_sink.url + "?a=1&b=2",
    )
    await simulator.settle()
    post = notify_sink.posts[-1]
    form = post.form
    assert post.query == {"a": "1", "b": "2"}
    assert form.keys() >= ENDED_FIELDS
    assert form["tag"] == "bye"
    assert form["call_state"] == "ended"
    assert (form["duration"], form["currency"]) == ("1", "SGD")
    assert (form["rate"], form["debit"]) == ("0.050", "0.050")
    dated = datetime.strptime(form["date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=GMT8)
    assert abs(datetime.now(GMT8) - dated) < timedelta(minutes=1)
    assert simulator.accounts["demo_app"].balance == Decimal("99.950")


async def test_transfer_to_number_adds_outgoing_rate(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(simulator, notify_sink.url)
    await api(
        simulator,
        "ivr/end/transfer",
        session=session,
        dest=TRANSFER_DEST,
        notify_url=notify_sink.url,
    )
    await simulator.settle()
    form = notify_sink.posts[-1].form
    assert "dest" not in form
    assert (form["transfer_status"], form["call_state"]) == ("answered", "ended")
    assert (form["rate"], form["debit"]) == ("0.130", "0.130")
    assert "room" not in form


async def test_dialled_call_fields(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    answer = await api(
        simulator, "ivr/start/dial", dest=TRANSFER_DEST, notify_url=notify_sink.url
    )
    await simulator.settle()
    session = answer["session"]
    await api(simulator, "ivr/end/hangup", session=session, notify_url=notify_sink.url)
    await simulator.settle()
    dial, hangup = (post.form for post in notify_sink.posts)
    assert dial == {
        "ivr_block": "dial",
        "session": session,
        "txn_ref": answer["txn_ref"],
        "dest": TRANSFER_DEST,
        "dial_status": "answered",
        "tag": "",
        "call_state": "ongoing",
    }
    assert "from" not in hangup
    assert hangup["dest"] == TRANSFER_DEST
    assert hangup["rate"] == "0.080"


async def test_record_and_monitor_urls(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    hook = notify_sink.url
    session = await incoming(simulator, hook)
    await api(simulator, "ivr/middle/record", session=session, notify_url=hook)
    await simulator.settle()
    record_url = notify_sink.posts[-1].form["record_url"]
    assert record_url.startswith(simulator.url + "/_simulator/recordings/")
    assert record_url.endswith(".wav")
    answer = await api(
        simulator,
        "ivr/middle/monitor",
        session=session,
        tag="mon",
        notify_url=hook + "/block",
        monitor_notify_url=hook + "/monitor",
    )
    await simulator.settle()
    block = notify_sink.posts[-1]
    assert block.path == "/block"
    assert block.form["call_state"] == "ongoing"
    await simulator.hangup_caller(session)
    await simulator.settle()
    final = notify_sink.posts[-1]
    assert final.path == "/monitor"
    assert final.form["record_url"] == block.form["record_url"] != record_url
    assert final.form["txn_ref"] == answer["txn_ref"]
    assert final.form["tag"] == "mon"
    assert final.form["call_state"] == "ended"
    assert final.form.keys() >= ENDED_FIELDS


async def test_monitor_without_monitor_url_posts_once(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(simulator, notify_sink.url)
    await api(
        simulator, "ivr/middle/monitor", session=session, notify_url=notify_sink.url
    )
    await simulator.settle()
    await simulator.hangup_caller(session)
    await simulator.settle()
    assert notify_sink.blocks() == ["answer", "monitor"]


async def test_room_transfer_notification(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(simulator, notify_sink.url)
    answer = await api(
        simulator,
        "ivr/end/transfer",
        session=session,
        dest="room:Team",
        notify_url=notify_sink.url,
    )
    assert answer["room"] == "Team"
    await simulator.settle()
    form = notify_sink.posts[-1].form
    assert (form["room"], form["rate"]) == ("Team", "0.050")


async def test_names_are_never_resolved(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    await simulator.incoming_call(CALLER, HOIIO_NUMBER, "http://example.com/hook")
    notification = simulator.notifications[-1]
    assert not notification.delivered
    assert notification.error is not None
    assert "localhost" in notification.error
    assert notify_sink.posts == []


async def test_localhost_is_delivered(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    url = notify_sink.url.replace("127.0.0.1", "localhost")
    await simulator.incoming_call(CALLER, HOIIO_NUMBER, url)
    assert simulator.notifications[-1].http_status == 200
    assert len(notify_sink.posts) == 1


async def test_loopback_resolver() -> None:
    resolver = LoopbackResolver()
    [result] = await resolver.resolve("LOCALHOST", 80)
    assert (result["host"], result["port"]) == ("127.0.0.1", 80)
    with pytest.raises(OSError, match="not resolved"):
        await resolver.resolve("example.com")
    await resolver.close()
    assert is_local_host("::1")
    assert not is_local_host(None)
    assert not is_local_host("example.com")


async def test_http_error_is_recorded(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    notify_sink.status = 500
    await incoming(simulator, notify_sink.url)
    assert simulator.notifications[-1].http_status == 500


async def test_connection_error_is_recorded(simulator: HoiioSimulator) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    await simulator.incoming_call(CALLER, HOIIO_NUMBER, f"http://127.0.0.1:{port}/")
    notification = simulator.notifications[-1]
    assert notification.http_status is None
    assert notification.error is not None
    assert notification.error.startswith("ClientConnectorError")


async def test_slow_notify_url_times_out(socket_enabled: None) -> None:
    release = asyncio.Event()

    async def stall(_request: web.Request) -> web.Response:
        await release.wait()
        return web.Response()

    app = web.Application()
    app.router.add_post("/", stall)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    sim = HoiioSimulator(SimulatorConfig(notify_timeout=0.05))
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
        await sim.incoming_call(CALLER, HOIIO_NUMBER, url)
        assert sim.notifications[-1].error == "timed out"
    finally:
        release.set()
        await sim.stop()
        await runner.cleanup()
