"""HoiioClient against the simulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import aiohttp
import pytest

from custom_components.hoiio.api import (
    STATUS_CONNECTION_ERROR,
    STATUS_CONNECTION_LOST,
    STATUS_INVALID_RESPONSE,
    STATUS_OK,
    STATUS_TIMEOUT,
    HoiioAccountError,
    HoiioAuthenticationError,
    HoiioClient,
    HoiioConnectionError,
    HoiioError,
    HoiioInvalidRequestError,
    HoiioRateLimitError,
    HoiioServiceError,
    HoiioSessionError,
    IvrPath,
)
from hoiio_simulator import Account, Fault, HoiioSimulator

from .helpers import CALLER, HOIIO_NUMBER, TRANSFER_DEST, NotifySink, incoming


@pytest.fixture
async def http(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """Give an HTTP session for clients."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(simulator: HoiioSimulator, http: aiohttp.ClientSession) -> HoiioClient:
    """Give a client of the demo account."""
    return HoiioClient(
        http, "demo_app", "demo_token", base_url=simulator.base_url, timeout=5
    )


@dataclass
class Ctx:
    """What an error scenario may use."""

    client: HoiioClient
    simulator: HoiioSimulator
    http: aiohttp.ClientSession
    session: str
    hook: str

    def other(self, app_id: str, token: str) -> HoiioClient:
        """Return a client with other credentials."""
        return HoiioClient(self.http, app_id, token, base_url=self.simulator.base_url)

    async def transfer(self, **params: str) -> object:
        """Transfer the call to a number, with these parameters changed."""
        form = {"session": self.session, "dest": TRANSFER_DEST, "notify_url": self.hook}
        return await self.client.block(IvrPath.TRANSFER, form | params)


@pytest.fixture
async def ctx(
    client: HoiioClient,
    simulator: HoiioSimulator,
    http: aiohttp.ClientSession,
    notify_sink: NotifySink,
) -> Ctx:
    """Give an ongoing incoming call and a notify URL."""
    hook = notify_sink.url + "/hook"
    return Ctx(client, simulator, http, await incoming(simulator, hook), hook)


async def test_get_info(client: HoiioClient) -> None:
    info = await client.get_info()
    assert info.uid == "U-demo_app"
    assert info.name == "Demo Account"
    assert info.caller_ids == (CALLER,)
    assert (info.country, info.prefix, info.currency) == ("SG", "65", "SGD")
    assert (info.time_zone, info.user_status) == ("GMT+0800SG", "active")
    assert info.email == "demo@example.com"
    assert info.mobile_number == CALLER


async def test_base_url_without_slash(
    simulator: HoiioSimulator, http: aiohttp.ClientSession
) -> None:
    client = HoiioClient(
        http, "demo_app", "demo_token", base_url=simulator.url + "/open"
    )
    assert client.base_url == simulator.base_url
    assert (await client.get_info()).name == "Demo Account"


async def test_get_balance(client: HoiioClient, simulator: HoiioSimulator) -> None:
    simulator.accounts["demo_app"].balance = Decimal("54.65")
    balance = await client.get_balance()
    assert balance.balance == Decimal("54.650")
    assert (balance.points, balance.bonus, balance.currency) == (
        Decimal(0),
        Decimal(0),
        "SGD",
    )


async def test_dial_with_every_parameter(
    client: HoiioClient, simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    result = await client.block(
        IvrPath.DIAL,
        {
            "dest": TRANSFER_DEST,
            "msg": "Hello",
            "caller_id": CALLER,
            "max_duration": 60,
            "tag": "d1",
            "notify_url": notify_sink.url + "/dial",
        },
    )
    assert result.status == STATUS_OK
    assert result.session in simulator.sessions
    assert result.txn_ref is not None
    await simulator.settle()
    form = notify_sink.posts[0].form
    assert form["ivr_block"] == "dial"
    assert form["dest"] == TRANSFER_DEST
    assert form["dial_status"] == "answered"
    assert form["tag"] == "d1"
    assert form["txn_ref"] == result.txn_ref


async def test_middle_blocks_with_every_parameter(
    ctx: Ctx, notify_sink: NotifySink
) -> None:
    client, hook = ctx.client, ctx.hook
    call = {"session": ctx.session}
    await client.block(
        IvrPath.PLAY, call | {"msg": "Hi", "tag": "p", "notify_url": hook}
    )
    await ctx.simulator.settle()
    await client.block(
        IvrPath.GATHER,
        call
        | {
            "notify_url": hook,
            "msg": "Press",
            "max_digits": 1,
            "timeout": 5,
            "attempts": 2,
            "tag": "g",
        },
    )
    await ctx.simulator.settle()
    await client.block(
        IvrPath.RECORD,
        call | {"notify_url": hook, "msg": "Speak", "max_duration": 30, "tag": "r"},
    )
    await ctx.simulator.settle()
    await client.block(
        IvrPath.MONITOR,
        call
        | {
            "notify_url": hook,
            "msg": "Monitored",
            "tag": "m",
            "monitor_notify_url": hook,
        },
    )
    await ctx.simulator.settle()
    hold = await client.block(
        IvrPath.HOLD, call | {"msg": "<speech>Please wait</speech>"}
    )
    assert hold.status == STATUS_OK
    await client.block(IvrPath.UNHOLD, call | {"tag": "u", "notify_url": hook})
    await ctx.simulator.settle()
    result = await client.block(
        IvrPath.HANGUP, call | {"msg": "Bye", "tag": "h", "notify_url": hook}
    )
    assert result.room is None
    await ctx.simulator.settle()
    assert notify_sink.blocks() == [
        "answer", "play", "gather", "record", "monitor", "unhold", "hangup", "monitor"
    ]  # fmt: skip
    tags = [post.form.get("tag") for post in notify_sink.posts]
    assert tags == ["", "p", "g", "r", "m", "u", "h", "m"]


async def test_forced_hangup(ctx: Ctx, notify_sink: NotifySink) -> None:
    await ctx.client.block(IvrPath.HOLD, {"session": ctx.session})
    await ctx.client.block(
        IvrPath.HANGUP,
        {"session": ctx.session, "force": "enabled", "notify_url": ctx.hook},
    )
    await ctx.simulator.settle()
    assert notify_sink.posts[-1].form["call_state"] == "ended"
    assert ctx.simulator.sessions[ctx.session].state == "ended"


async def test_acceptance_transfer_with_every_vendor_parameter(
    ctx: Ctx, notify_sink: NotifySink
) -> None:
    """A transfer with every parameter of the vendor page succeeds and notifies."""
    result = await ctx.client.block(
        IvrPath.TRANSFER,
        {
            "session": ctx.session,
            "dest": TRANSFER_DEST,
            "msg": '<speech language="zh-HK" gender="female">請稍等</speech>',
            "caller_id": HOIIO_NUMBER,
            "on_failure": "continue",
            "ring_time": 30,
            "room_profile": "ringing",
            "tag": "order-42",
            "notify_url": ctx.hook + "?entry=abc",
        },
    )
    assert result.status == STATUS_OK
    assert result.session == ctx.session
    assert result.txn_ref is not None
    await ctx.simulator.settle()
    post = notify_sink.posts[-1]
    assert post.query == {"entry": "abc"}
    assert post.form["ivr_block"] == "transfer"
    assert post.form["transfer_status"] == "answered"
    assert post.form["tag"] == "order-42"
    assert post.form["txn_ref"] == result.txn_ref


async def test_room_transfer(ctx: Ctx) -> None:
    result = await ctx.client.block(
        IvrPath.TRANSFER,
        {"session": ctx.session, "dest": "room:", "notify_url": ctx.hook},
    )
    assert result.room is not None
    assert result.room.startswith("R")


def _wrong_token(ctx: Ctx) -> Awaitable[object]:
    return ctx.other("demo_app", "nope").get_info()


def _wrong_app(ctx: Ctx) -> Awaitable[object]:
    return ctx.other("nope", "demo_token").get_info()


async def _other_account(ctx: Ctx) -> object:
    ctx.simulator.add_account(
        Account("other_app", "other_token", numbers=["+6531580001"])
    )
    other = await ctx.simulator.incoming_call(CALLER, "+6531580001", ctx.hook)
    return await ctx.transfer(session=other)


async def _ended(ctx: Ctx) -> object:
    await ctx.client.block(IvrPath.HANGUP, {"session": ctx.session, "force": "enabled"})
    return await ctx.transfer()


async def _on_hold(ctx: Ctx) -> object:
    await ctx.client.block(IvrPath.HOLD, {"session": ctx.session})
    return await ctx.transfer()


async def _rate_limit(ctx: Ctx) -> object:
    for _ in range(60):
        await ctx.client.get_balance()
    return await ctx.client.get_balance()


async def _call_limit(ctx: Ctx) -> object:
    for _ in range(7):
        await incoming(ctx.simulator, ctx.hook)
    return await _dial(ctx)


async def _no_credit(ctx: Ctx) -> object:
    ctx.simulator.accounts["demo_app"].balance = Decimal(0)
    return await _dial(ctx)


async def _dial(ctx: Ctx) -> object:
    return await ctx.client.block(
        IvrPath.DIAL, {"dest": TRANSFER_DEST, "notify_url": ctx.hook}
    )


PROVOKED: list[tuple[str, type[HoiioError], Callable[[Ctx], Awaitable[object]]]] = [
    ("error_malformed_params", HoiioInvalidRequestError,
     lambda c: c.transfer(room_profile="disco")),
    ("error_dest_param_missing", HoiioInvalidRequestError,
     lambda c: c.transfer(dest="")),
    ("error_session_param_missing", HoiioInvalidRequestError,
     lambda c: c.client.block(IvrPath.UNHOLD, {"session": ""})),
    ("error_invalid_access_token", HoiioAuthenticationError, _wrong_token),
    ("error_invalid_app_id", HoiioAuthenticationError, _wrong_app),
    ("error_msg_invalid_length", HoiioInvalidRequestError,
     lambda c: c.transfer(msg="a" * 1001)),
    ("error_msg_invalid_file_format", HoiioInvalidRequestError,
     lambda c: c.transfer(msg="<url>https://example.com/a.ogg</url>")),
    ("error_msg_invalid_url", HoiioInvalidRequestError,
     lambda c: c.transfer(msg="<url>ftp://example.com/a.mp3</url>")),
    ("error_msg_invalid_language", HoiioInvalidRequestError,
     lambda c: c.transfer(msg='<speech language="fr">Bonjour</speech>')),
    ("error_msg_invalid_gender", HoiioInvalidRequestError,
     lambda c: c.transfer(msg='<speech gender="robot">Hi</speech>')),
    ("error_msg_invalid_xml", HoiioInvalidRequestError,
     lambda c: c.transfer(msg="<speech>Hi")),
    ("error_tag_invalid_length", HoiioInvalidRequestError,
     lambda c: c.transfer(tag="t" * 257)),
    ("error_invalid_notify_url", HoiioInvalidRequestError,
     lambda c: c.transfer(notify_url="ftp://127.0.0.1/hook")),
    ("error_invalid_session", HoiioSessionError,
     lambda c: c.transfer(session="S1")),
    ("error_session_access_denied", HoiioSessionError, _other_account),
    ("error_session_ended", HoiioSessionError, _ended),
    ("error_session_not_ready", HoiioSessionError, _on_hold),
    ("error_session_not_on_hold", HoiioSessionError,
     lambda c: c.client.block(
         IvrPath.UNHOLD, {"session": c.session, "notify_url": c.hook})),
    ("error_dest_invalid", HoiioInvalidRequestError,
     lambda c: c.transfer(dest="6598765432")),
    ("error_caller_id_invalid", HoiioInvalidRequestError,
     lambda c: c.transfer(caller_id="+6599999999")),
    ("error_on_failure_invalid", HoiioInvalidRequestError,
     lambda c: c.transfer(on_failure="retry")),
    ("error_insufficient_credit", HoiioAccountError, _no_credit),
    ("error_concurrent_call_limit_reached", HoiioAccountError, _call_limit),
    ("error_rate_limit_exceeded", HoiioRateLimitError, _rate_limit),
]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "family", "scenario"), PROVOKED, ids=[case[0] for case in PROVOKED]
)
async def test_provoked_error_statuses(
    ctx: Ctx,
    status: str,
    family: type[HoiioError],
    scenario: Callable[[Ctx], Awaitable[object]],
) -> None:
    with pytest.raises(family) as caught:
        await scenario(ctx)
    assert caught.value.status == status
    assert ctx.simulator.requests[-1].status == status


INJECTED: list[tuple[str, type[HoiioError]]] = [
    ("error_invalid_http_method", HoiioInvalidRequestError),
    ("error_msg_cannot_convert_text", HoiioInvalidRequestError),
    ("error_msg_download_failed", HoiioInvalidRequestError),
    ("error_msg_invalid_file_size", HoiioInvalidRequestError),
    ("error_unable_to_resolve_notify_url", HoiioInvalidRequestError),
    ("error_unable_to_complete_ssl_handshake_notify_url", HoiioInvalidRequestError),
    ("error_dest_not_supported", HoiioInvalidRequestError),
    ("error_insufficient_credit", HoiioAccountError),
    ("error_concurrent_call_limit_reached", HoiioAccountError),
    ("error_number_not_supported", HoiioInvalidRequestError),
    ("error_rate_limit_exceeded", HoiioRateLimitError),
    ("error_internal_server_error", HoiioServiceError),
    ("error_not_allowed_for_trial", HoiioAccountError),
]


@pytest.mark.parametrize(("status", "family"), INJECTED)
async def test_injected_error_statuses(
    ctx: Ctx, status: str, family: type[HoiioError]
) -> None:
    ctx.simulator.add_fault(
        Fault("status", path="ivr/end/transfer", value=status, count=1)
    )
    with pytest.raises(family) as caught:
        await ctx.transfer()
    assert caught.value.status == status
    assert not caught.value.outcome_unknown
    assert (await ctx.transfer()) is not None


async def test_unhold_statuses_when_held(ctx: Ctx) -> None:
    await ctx.client.block(IvrPath.HOLD, {"session": ctx.session})
    ctx.simulator.add_fault(
        Fault("status", path="ivr/middle/unhold", value="error_internal_server_error")
    )
    unhold = {"session": ctx.session, "notify_url": ctx.hook}
    with pytest.raises(HoiioServiceError):
        await ctx.client.block(IvrPath.UNHOLD, unhold)
    ctx.simulator.clear_faults()
    result = await ctx.client.block(IvrPath.UNHOLD, unhold)
    assert result.status == STATUS_OK


async def test_unknown_error_status_keeps_status(
    client: HoiioClient, simulator: HoiioSimulator
) -> None:
    simulator.add_fault(Fault("status", value="error_brand_new"))
    with pytest.raises(HoiioError) as caught:
        await client.get_info()
    assert type(caught.value) is HoiioError
    assert caught.value.status == "error_brand_new"


async def test_timeout(simulator: HoiioSimulator, http: aiohttp.ClientSession) -> None:
    simulator.add_fault(Fault("latency", value=5.0))
    client = HoiioClient(
        http, "demo_app", "demo_token", base_url=simulator.base_url, timeout=0.1
    )
    with pytest.raises(HoiioConnectionError) as caught:
        await client.get_info()
    assert caught.value.status == STATUS_TIMEOUT
    assert caught.value.outcome_unknown


async def test_latency_then_answer(
    client: HoiioClient, simulator: HoiioSimulator
) -> None:
    simulator.add_fault(Fault("latency", value=0.01, count=1))
    assert (await client.get_info()).name == "Demo Account"
    assert simulator.faults == []


async def test_connection_refused(
    client: HoiioClient, simulator: HoiioSimulator
) -> None:
    await simulator.stop()
    with pytest.raises(HoiioConnectionError) as caught:
        await client.get_info()
    assert caught.value.status == STATUS_CONNECTION_ERROR
    assert not caught.value.outcome_unknown


async def test_connection_reset(client: HoiioClient, simulator: HoiioSimulator) -> None:
    simulator.add_fault(Fault("reset", count=1))
    with pytest.raises(HoiioConnectionError) as caught:
        await client.get_info()
    assert caught.value.status == STATUS_CONNECTION_LOST
    assert caught.value.outcome_unknown
    assert simulator.requests[-1].fault == "reset"


async def test_lost_answer_of_a_block_that_ran(
    ctx: Ctx, notify_sink: NotifySink
) -> None:
    """The block runs and notifies, but its answer never comes: outcome unknown."""
    ctx.simulator.add_fault(Fault("lose_answer", path="ivr/middle/play", count=1))
    with pytest.raises(HoiioConnectionError) as caught:
        await ctx.client.block(
            IvrPath.PLAY, {"session": ctx.session, "msg": "Hi", "notify_url": ctx.hook}
        )
    assert caught.value.status == STATUS_CONNECTION_LOST
    assert caught.value.outcome_unknown
    record = ctx.simulator.requests[-1]
    assert (record.fault, record.status) == ("lose_answer", STATUS_OK)
    await ctx.simulator.settle()
    assert notify_sink.blocks() == ["answer", "play"]


async def test_answer_later_than_the_timeout(
    simulator: HoiioSimulator, http: aiohttp.ClientSession, notify_sink: NotifySink
) -> None:
    """A block answered after the client gave up: outcome unknown, yet it ran."""
    session = await incoming(simulator, notify_sink.url)
    simulator.add_fault(Fault("slow_answer", path="ivr/middle/play", value=5.0))
    client = HoiioClient(
        http, "demo_app", "demo_token", base_url=simulator.base_url, timeout=0.1
    )
    with pytest.raises(HoiioConnectionError) as caught:
        await client.block(
            IvrPath.PLAY,
            {"session": session, "msg": "Hi", "notify_url": notify_sink.url},
        )
    assert caught.value.status == STATUS_TIMEOUT
    assert caught.value.outcome_unknown
    await simulator.settle()
    assert notify_sink.blocks() == ["answer", "play"]


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (Fault("http_500"), "http_500"),
        (Fault("http_500", value='{"error": "boom"}'), "http_500"),
        (Fault("non_json"), STATUS_INVALID_RESPONSE),
        (Fault("body", value="[1, 2]"), STATUS_INVALID_RESPONSE),
        (Fault("body", value='{"status": "maybe"}'), STATUS_INVALID_RESPONSE),
    ],
    ids=["http_500", "http_500_json", "non_json", "json_list", "odd_status"],
)
async def test_service_failures(
    client: HoiioClient, simulator: HoiioSimulator, fault: Fault, status: str
) -> None:
    simulator.add_fault(fault)
    with pytest.raises(HoiioServiceError) as caught:
        await client.get_info()
    assert caught.value.status == status
    assert caught.value.outcome_unknown


async def test_answer_without_status_but_txn_ref_is_success(
    client: HoiioClient, simulator: HoiioSimulator
) -> None:
    simulator.add_fault(
        Fault(
            "body",
            path="ivr/end/transfer",
            value='{"txn_ref":"AA-S-141147","session":"S4643"}',
        )
    )
    result = await client.block(
        IvrPath.TRANSFER, {"session": "S4643", "dest": TRANSFER_DEST}
    )
    assert (result.status, result.txn_ref, result.session) == (
        STATUS_OK,
        "AA-S-141147",
        "S4643",
    )


async def test_caller_ids_as_text(
    client: HoiioClient, simulator: HoiioSimulator
) -> None:
    simulator.add_fault(
        Fault("body", value='{"status":"success_ok","caller_ids":"+651, +652,"}')
    )
    assert (await client.get_info()).caller_ids == ("+651", "+652")


async def test_sparse_info_answer(
    client: HoiioClient, simulator: HoiioSimulator
) -> None:
    simulator.add_fault(Fault("body", value='{"status":"success_ok"}'))
    info = await client.get_info()
    assert (info.caller_ids, info.name) == ((), "")


@pytest.mark.parametrize("balance", ['"abc"', '"NaN"'])
async def test_balance_not_a_number(
    client: HoiioClient, simulator: HoiioSimulator, balance: str
) -> None:
    simulator.add_fault(
        Fault("body", value=f'{{"status":"success_ok","balance":{balance}}}')
    )
    with pytest.raises(HoiioServiceError) as caught:
        await client.get_balance()
    assert caught.value.status == STATUS_INVALID_RESPONSE
