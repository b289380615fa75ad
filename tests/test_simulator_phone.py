"""Calls placed from the phone page wait for the page: keys, stop, far end, answer."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from decimal import Decimal
from typing import Any

import aiohttp
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from hoiio_simulator import CallSession, HoiioSimulator, SimulatorConfig
from hoiio_simulator.sessions import CallWatcher, RunningBlock

from .helpers import CALLER, HOIIO_NUMBER, TRANSFER_DEST, NotifySink, api, incoming
from .phone_helpers import Live, call_from_phone, post

GATHER = "ivr/middle/gather"
RECORD = "ivr/middle/record"
TRANSFER = "ivr/end/transfer"
DIAL = "ivr/start/dial"
KEYS_ERROR = "keys must be 1 to 32 of 0-9, * and #"


@pytest.fixture
def phone(simulator: HoiioSimulator, notify_sink: NotifySink) -> HoiioSimulator:
    """The simulator, its number announced to the sink."""
    simulator.set_number_notify_url(HOIIO_NUMBER, notify_sink.url)
    return simulator


@pytest.fixture
async def quick(
    notify_sink: NotifySink, socket_enabled: None
) -> AsyncGenerator[HoiioSimulator]:
    """A simulator whose gathers, recordings and rings run out at once."""
    sim = HoiioSimulator(
        SimulatorConfig(
            block_delay=0,
            dial_delay=0,
            transfer_duration=0,
            gather_timeout=0.01,
            record_max_duration=0.01,
            ring_time=0.01,
            number_notify_urls={HOIIO_NUMBER: notify_sink.url},
        )
    )
    await sim.start()
    yield sim
    await sim.stop()


async def block(
    simulator: HoiioSimulator, path: str, session: str, sink: NotifySink, **params: str
) -> None:
    """Send a block for a call; fail unless it is accepted."""
    answer = await api(simulator, path, session=session, notify_url=sink.url, **params)
    assert answer["status"] == "success_ok", answer


async def test_gather_waits_for_the_keys_of_the_page(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await call_from_phone(phone)
    await block(phone, GATHER, session, notify_sink, max_digits="2", msg="Two keys")
    await phone.settle()  # returns: nobody waits for a person
    assert notify_sink.blocks() == ["answer"]
    assert phone.sessions[session].block == "gather"

    assert await post(phone, "keys", session=session, keys="1") == (200, {"ok": True})
    await phone.settle()
    assert notify_sink.blocks() == ["answer"]
    await post(phone, "keys", session=session, keys="23")
    await phone.settle()
    assert notify_sink.blocks() == ["answer", "gather"]
    assert notify_sink.posts[-1].form["digits"] == "12"
    assert notify_sink.posts[-1].form["call_state"] == "ongoing"


@pytest.mark.parametrize(
    ("presses", "digits"),
    [(["4#9"], "4"), (["4", "5", "#"], "45"), (["#"], ""), (["*0#"], "*0")],
)
async def test_gather_ends_on_hash(
    phone: HoiioSimulator, notify_sink: NotifySink, presses: list[str], digits: str
) -> None:
    session = await call_from_phone(phone)
    await block(phone, GATHER, session, notify_sink)
    for keys in presses:
        assert (await post(phone, "keys", session=session, keys=keys))[0] == 200
    await phone.settle()
    assert notify_sink.posts[-1].form["digits"] == digits


async def test_gather_without_keys_asks_again_then_notifies_empty_digits(
    quick: HoiioSimulator, notify_sink: NotifySink
) -> None:
    live = await Live.connect(quick)
    try:
        session = await call_from_phone(quick)
        await block(quick, GATHER, session, notify_sink, attempts="3", msg="Press 1")
        again = await live.entry(session, "gather_again", attempt=2)
        assert again["parts"][0]["text"] == "Press 1"
        await live.entry(session, "gather_again", attempt=3)
        await live.entry(session, "notified", block="gather")
    finally:
        await live.close()
    assert notify_sink.posts[-1].form["digits"] == ""
    assert live.kinds(session).count("gather_again") == 2


async def test_gather_timeout_keeps_the_keys_typed(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    live = await Live.connect(phone)
    try:
        session = await call_from_phone(phone)
        # The API's timeout is in whole seconds: one second, waited on the event.
        await block(phone, GATHER, session, notify_sink, timeout="1", attempts="2")
        await post(phone, "keys", session=session, keys="7")
        await live.entry(session, "gather_timeout")
        await live.entry(session, "notified", block="gather")
    finally:
        await live.close()
    assert notify_sink.posts[-1].form["digits"] == "7"
    assert "gather_again" not in live.kinds(session)


async def test_record_waits_for_stop(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await call_from_phone(phone)
    await block(phone, RECORD, session, notify_sink, msg="After the tone")
    await phone.settle()
    assert notify_sink.blocks() == ["answer"]
    assert await post(phone, "stop_recording", session=session) == (200, {"ok": True})
    await phone.settle()
    assert notify_sink.blocks() == ["answer", "record"]
    assert notify_sink.posts[-1].form["record_url"].endswith(".wav")


async def test_record_stops_at_max_duration(
    quick: HoiioSimulator, notify_sink: NotifySink
) -> None:
    live = await Live.connect(quick)
    try:
        session = await call_from_phone(quick)
        await block(quick, RECORD, session, notify_sink)
        await live.entry(session, "record_full")
        await live.entry(session, "notified", block="record")
    finally:
        await live.close()
    assert notify_sink.blocks() == ["answer", "record"]


async def test_transfer_answered_by_the_far_end_lasts_until_the_caller_hangs_up(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await call_from_phone(phone)
    await block(phone, TRANSFER, session, notify_sink, dest=TRANSFER_DEST)
    await phone.settle()
    assert notify_sink.blocks() == ["answer"]
    status, _ = await post(phone, "far_end", session=session, outcome="answered")
    assert status == 200
    await phone.settle()
    assert notify_sink.blocks() == ["answer"]
    assert await post(phone, "hangup", session=session) == (200, {"ok": True})
    await phone.settle()
    form = notify_sink.posts[-1].form
    assert (form["ivr_block"], form["transfer_status"], form["call_state"]) == (
        "transfer",
        "answered",
        "ended",
    )
    # Incoming rate plus the outgoing rate of the transferred leg.
    assert Decimal(form["rate"]) == Decimal("0.130")


async def test_far_end_hangs_up(phone: HoiioSimulator, notify_sink: NotifySink) -> None:
    session = await call_from_phone(phone)
    await block(phone, TRANSFER, session, notify_sink, dest=TRANSFER_DEST)
    await post(phone, "far_end", session=session, outcome="answered")
    assert await post(phone, "far_end", session=session, outcome="hangup") == (
        200,
        {"ok": True},
    )
    await phone.settle()
    form = notify_sink.posts[-1].form
    assert (form["transfer_status"], form["call_state"]) == ("answered", "ended")
    assert phone.sessions[session].state == "ended"


@pytest.mark.parametrize(
    ("outcome", "on_failure", "call_state"),
    [
        ("busy", "hangup", "ended"),
        ("unanswered", "continue", "ongoing"),
        ("failed", "continue", "ongoing"),
    ],
)
async def test_far_end_refuses(
    phone: HoiioSimulator,
    notify_sink: NotifySink,
    outcome: str,
    on_failure: str,
    call_state: str,
) -> None:
    session = await call_from_phone(phone)
    await block(
        phone, TRANSFER, session, notify_sink, dest=TRANSFER_DEST, on_failure=on_failure
    )
    assert (await post(phone, "far_end", session=session, outcome=outcome))[0] == 200
    await phone.settle()
    form = notify_sink.posts[-1].form
    assert (form["transfer_status"], form["call_state"]) == (outcome, call_state)
    assert phone.sessions[session].state == call_state


async def test_transfer_rings_until_ring_time(
    quick: HoiioSimulator, notify_sink: NotifySink
) -> None:
    live = await Live.connect(quick)
    try:
        session = await call_from_phone(quick)
        await block(quick, TRANSFER, session, notify_sink, dest=TRANSFER_DEST)
        line = await live.entry(session, "far_end", outcome="unanswered")
        await live.entry(session, "notified", block="transfer")
    finally:
        await live.close()
    assert line["dest"] == TRANSFER_DEST
    form = notify_sink.posts[-1].form
    assert (form["transfer_status"], form["call_state"]) == ("unanswered", "ended")


async def test_caller_hangs_up_while_the_transfer_rings(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await call_from_phone(phone)
    await block(phone, TRANSFER, session, notify_sink, dest=TRANSFER_DEST)
    await post(phone, "hangup", session=session)
    await phone.settle()
    form = notify_sink.posts[-1].form
    assert (form["transfer_status"], form["call_state"]) == ("unanswered", "ended")
    assert Decimal(form["rate"]) == Decimal("0.050")


async def test_room_transfer_stays_until_the_caller_hangs_up(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await call_from_phone(phone)
    await block(phone, TRANSFER, session, notify_sink, dest="room:")
    await phone.settle()
    assert notify_sink.blocks() == ["answer"]
    status, answer = await post(phone, "far_end", session=session, outcome="hangup")
    assert (status, answer["error"]) == (
        400,
        f"no transfer is connected in session {session}",
    )
    await post(phone, "hangup", session=session)
    await phone.settle()
    form = notify_sink.posts[-1].form
    assert (form["transfer_status"], form["room"], form["call_state"]) == (
        "answered",
        "R1001",
        "ended",
    )


async def test_caller_hangs_up_during_a_gather(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await call_from_phone(phone)
    await block(phone, GATHER, session, notify_sink)
    await post(phone, "keys", session=session, keys="12")
    await post(phone, "hangup", session=session)
    await phone.settle()
    form = notify_sink.posts[-1].form
    assert (form["ivr_block"], form["digits"], form["call_state"]) == (
        "gather",
        "",
        "ended",
    )
    status, answer = await post(phone, "keys", session=session, keys="3")
    assert (status, answer["error"]) == (
        400,
        f"no gather waits for keys in session {session}",
    )


async def test_complete_block_finishes_a_waiting_gather_with_its_keys(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await call_from_phone(phone)
    await block(phone, GATHER, session, notify_sink)
    await post(phone, "keys", session=session, keys="98")
    assert (await post(phone, "complete_block", session=session))[0] == 200
    await phone.settle()
    assert notify_sink.posts[-1].form["digits"] == "98"


async def test_forced_hangup_ends_a_waiting_gather(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await call_from_phone(phone)
    await block(phone, GATHER, session, notify_sink)
    await block(phone, "ivr/end/hangup", session, notify_sink, force="enabled")
    await phone.settle()
    assert notify_sink.blocks() == ["answer", "hangup"]
    assert (await post(phone, "keys", session=session, keys="1"))[0] == 400


async def test_play_completes_on_its_own(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await call_from_phone(phone)
    await block(phone, "ivr/middle/play", session, notify_sink, msg="Hello")
    await phone.settle()
    assert notify_sink.blocks() == ["answer", "play"]


async def test_calls_from_elsewhere_keep_the_simulators_settings(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(phone, notify_sink.url)
    await block(phone, GATHER, session, notify_sink)
    status, answer = await post(phone, "keys", session=session, keys="5")
    assert (status, answer["error"]) == (
        400,
        f"session {session} was not placed from the phone",
    )
    await phone.settle()
    assert notify_sink.posts[-1].form["digits"] == "1"
    await block(phone, TRANSFER, session, notify_sink, dest=TRANSFER_DEST)
    await phone.settle()
    assert notify_sink.posts[-1].form["transfer_status"] == "answered"


async def test_dial_rings_on_a_watching_page(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    live = await Live.connect(phone)
    try:
        answer = await api(
            phone, DIAL, dest=TRANSFER_DEST, msg="Door open", notify_url=notify_sink.url
        )
        session = answer["session"]
        call = await live.waiting(session, "answer")
        assert (call["direction"], call["dest"], call["interactive"]) == (
            "outgoing",
            TRANSFER_DEST,
            True,
        )
        await phone.settle()
        assert notify_sink.blocks() == []
        assert await post(phone, "answer_dial", session=session, answer="answer") == (
            200,
            {"ok": True},
        )
        await phone.settle()
        form = notify_sink.posts[-1].form
        assert (form["dial_status"], form["call_state"]) == ("answered", "ongoing")
        # The answered call is the page's: its gathers wait for the page.
        await block(phone, GATHER, session, notify_sink, max_digits="1")
        await post(phone, "keys", session=session, keys="3")
        await phone.settle()
        assert notify_sink.posts[-1].form["digits"] == "3"
    finally:
        await live.close()


async def test_dial_declined_is_busy(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    live = await Live.connect(phone)
    try:
        answer = await api(phone, DIAL, dest=TRANSFER_DEST, notify_url=notify_sink.url)
        await live.waiting(answer["session"], "answer")
        await post(phone, "answer_dial", session=answer["session"], answer="decline")
        await phone.settle()
    finally:
        await live.close()
    form = notify_sink.posts[-1].form
    assert (form["dial_status"], form["call_state"]) == ("busy", "ended")


async def test_dial_nobody_answers(
    quick: HoiioSimulator, notify_sink: NotifySink
) -> None:
    live = await Live.connect(quick)
    try:
        answer = await api(quick, DIAL, dest=TRANSFER_DEST, notify_url=notify_sink.url)
        await live.entry(answer["session"], "dial_answer", answer="unanswered")
        await live.entry(answer["session"], "notified", block="dial")
    finally:
        await live.close()
    form = notify_sink.posts[-1].form
    assert (form["dial_status"], form["call_state"]) == ("unanswered", "ended")


async def test_dial_without_a_page_takes_the_configured_outcome(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    phone.set_dial_outcome("busy")
    answer = await api(phone, DIAL, dest=TRANSFER_DEST, notify_url=notify_sink.url)
    await phone.settle()
    assert not phone.sessions[answer["session"]].interactive
    assert notify_sink.posts[-1].form["dial_status"] == "busy"


async def test_interactive_flag_is_checked(phone: HoiioSimulator) -> None:
    status, answer = await post(
        phone, "incoming_call", to=HOIIO_NUMBER, interactive="yes", **{"from": CALLER}
    )
    assert (status, answer) == (400, {"error": "interactive must be true or false"})
    assert phone.sessions == {}


@pytest.mark.parametrize(
    ("action", "fields", "error"),
    [
        ("keys", {"keys": "1"}, "missing field 'session'"),
        ("keys", {"session": "{session}"}, "missing field 'keys'"),
        ("keys", {"session": "{session}", "keys": "12a"}, KEYS_ERROR),
        ("keys", {"session": "{session}", "keys": "1 2"}, KEYS_ERROR),
        ("keys", {"session": "{session}", "keys": "1" * 33}, KEYS_ERROR),
        ("keys", {"session": "{session}", "keys": "\u0661"}, KEYS_ERROR),
        ("keys", {"session": "S9999", "keys": "1"}, "unknown session S9999"),
        (
            "keys",
            {"session": "S" * 65, "keys": "1"},
            "session must be at most 64 characters",
        ),
        ("far_end", {"session": "{session}"}, "missing field 'outcome'"),
        (
            "far_end",
            {"session": "{session}", "outcome": "maybe"},
            "outcome must be one of answered, busy, failed, hangup, unanswered",
        ),
        (
            "far_end",
            {"session": "{session}", "outcome": "answered"},
            "no transfer is ringing in session {session}",
        ),
        (
            "stop_recording",
            {"session": "{session}"},
            "no recording is running in session {session}",
        ),
        (
            "answer_dial",
            {"session": "{session}", "answer": "yes"},
            "answer must be answer or decline",
        ),
        (
            "answer_dial",
            {"session": "{session}", "answer": "answer"},
            "no dial is ringing in session {session}",
        ),
        ("hangup", {"session": "S" * 100_000}, "session must be at most 64 characters"),
    ],
)
async def test_phone_routes_refuse_bad_input(
    phone: HoiioSimulator,
    notify_sink: NotifySink,
    action: str,
    fields: dict[str, str],
    error: str,
) -> None:
    """Bad input answers 400 with the reason and changes nothing."""
    session = await call_from_phone(phone)
    await block(phone, GATHER, session, notify_sink, max_digits="3")
    await post(phone, "keys", session=session, keys="5")
    filled = {name: value.format(session=session) for name, value in fields.items()}
    status, answer = await post(phone, action, **filled)
    assert (status, answer) == (400, {"error": error.format(session=session)})
    await phone.settle()
    assert notify_sink.blocks() == ["answer"]
    assert phone.sessions[session].block == "gather"
    await post(phone, "keys", session=session, keys="#")
    await phone.settle()
    assert notify_sink.posts[-1].form["digits"] == "5"


async def raw_post(
    simulator: HoiioSimulator,
    action: str,
    body: bytes | aiohttp.FormData,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST a raw body to a control route; return the status and JSON."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{simulator.url}/_simulator/{action}", data=body, headers=headers
        ) as response,
    ):
        return response.status, await response.json()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_unreadable_forms_get_json_errors(phone: HoiioSimulator) -> None:
    session = await call_from_phone(phone)
    assert await raw_post(phone, "keys", b"session=S1001&keys=\xff\xfe", FORM) == (
        400,
        {"error": "the form is not readable UTF-8 text"},
    )
    huge = b"session=" + b"S" * (2 * 1024 * 1024)
    assert await raw_post(phone, "hangup", huge, FORM) == (
        413,
        {"error": "the request body is too large"},
    )
    upload = aiohttp.FormData()
    upload.add_field("session", b"S1001", filename="session.txt")
    assert await raw_post(phone, "hangup", upload) == (
        400,
        {"error": "field 'session' must be text, not a file"},
    )
    assert phone.sessions[session].state == "ringing"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "https://example.com"}, 403),
        ({"Origin": "null"}, 403),
        ({"Host": "evil.example", "Origin": "http://evil.example"}, 403),
        ({"Host": "[::1", "Origin": "http://[::1"}, 403),
        ({}, 200),
    ],
)
async def test_control_routes_refuse_pages_of_other_sites(
    phone: HoiioSimulator, headers: dict[str, str], status: int
) -> None:
    session = await call_from_phone(phone)
    answer = await raw_post(
        phone, "hangup", f"session={session}".encode(), FORM | headers
    )
    assert answer[0] == status
    if status == 403:
        assert answer[1] == {"error": "requests from pages of other sites are refused"}
    assert (phone.sessions[session].state == "ended") is (status == 200)


async def test_the_page_itself_may_post(phone: HoiioSimulator) -> None:
    session = await call_from_phone(phone)
    own = {"Origin": phone.url}
    assert await raw_post(
        phone, "hangup", f"session={session}".encode(), FORM | own
    ) == (
        200,
        {"ok": True},
    )


async def test_a_full_room_fails_at_once_on_the_phone_too(
    notify_sink: NotifySink, socket_enabled: None
) -> None:
    sim = HoiioSimulator(
        SimulatorConfig(
            block_delay=0,
            max_room_size=1,
            number_notify_urls={HOIIO_NUMBER: notify_sink.url},
        )
    )
    await sim.start()
    try:
        first, second = await call_from_phone(sim), await call_from_phone(sim)
        await block(sim, TRANSFER, first, notify_sink, dest="room:R1")
        await block(sim, TRANSFER, second, notify_sink, dest="room:R1")
        await sim.settle()
        form = notify_sink.posts[-1].form
        assert (form["session"], form["transfer_status"]) == (second, "failed")
        assert sim.sessions[first].state == "ongoing"
    finally:
        await sim.stop()


def test_the_engine_alone_runs_every_block_on_timers() -> None:
    """Without the phone, no block waits for a person and no dial rings."""
    watcher = CallWatcher()
    session = CallSession("S1", "demo_app", interactive=True)
    running = RunningBlock("gather", "AA-S-1", None, None, {}, ends_call=False)
    assert not watcher.takes_over(session, running)
    assert not watcher.answers_dials()


TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    action=st.sampled_from(["keys", "stop_recording", "far_end", "answer_dial"]),
    session=st.one_of(st.just("{session}"), TEXT),
    value=TEXT,
)
async def test_whatever_the_page_posts_gets_a_json_answer(
    phone: HoiioSimulator,
    notify_sink: NotifySink,
    action: str,
    session: str,
    value: str,
) -> None:
    """Any text in any field: 200 or 400 with JSON, and the simulator goes on."""
    call = await call_from_phone(phone)
    await block(phone, GATHER, call, notify_sink, max_digits="2")
    fields = {"keys": value, "outcome": value, "answer": value}
    status, answer = await post(
        phone, action, session=session.replace("{session}", call), **fields
    )
    assert (status, set(answer)) in ((200, {"ok"}), (400, {"error"}))
    assert (await post(phone, "hangup", session=call))[0] == 200
    await phone.settle()
