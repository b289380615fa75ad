"""Property-based fuzzing of the webhook and the actions, over real HTTP.

Every example is independent: webhook examples use a session no earlier example
used, action examples ring a fresh call and end it afterwards. The number of
examples per property comes from HOIIO_FUZZ_EXAMPLES (`scripts/fuzz` raises it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
import itertools
import json
import logging
import os
from pathlib import Path
import re
from typing import Any
from urllib.parse import urlencode

import aiohttp
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.json import json_bytes
from hypothesis import (
    HealthCheck,
    currently_in_test_context,
    event,
    given,
    settings,
    strategies as st,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.hoiio.const import DOMAIN, NOTIFY_TOKEN_PARAM
from hoiio_simulator import HoiioSimulator

from .const import CALLER, HOIIO_NUMBER, MOBILE, WEBHOOK_ID

EXAMPLES = int(os.environ.get("HOIIO_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

EN_JSON = Path(__file__).parent.parent / "custom_components" / DOMAIN / "translations"
EXCEPTION_KEYS = frozenset(
    json.loads((EN_JSON / "en.json").read_text(encoding="utf-8"))["exceptions"]
)
EVENT_ENTITY = "event.demo_account_call"
MAX_BODY = 64 * 1024
GMT8 = timezone(timedelta(hours=8))
AMOUNT_RE = re.compile(r"\d{1,15}(\.\d{1,10})?")
DATE_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
)
TEXT_FIELDS = (
    "txn_ref",
    "tag",
    "from",
    "to",
    "dest",
    "currency",
    "transfer_status",
    "dial_status",
    "room",
    "digits",
    "record_url",
)
NUMBER_FIELDS = ("duration", "rate", "debit")
KNOWN_FIELDS = frozenset(
    {"session", "ivr_block", "call_state", "date", *NUMBER_FIELDS, *TEXT_FIELDS}
)
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f")
FORM_TYPES = (
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=UTF-8",
    "Application/X-WWW-Form-Urlencoded",
    "text/plain",
    "text/plain; charset=utf-8",
    "application/octet-stream",
)
REFUSED_TYPES = (
    "application/json",
    "multipart/form-data; boundary=xyz",
    "text/html",
    "application/xml",
)
# Webhook examples draw sessions never used before, so no example is a duplicate
# of an earlier one (see fresh()).
_UNIQUE = itertools.count(1)

type Pairs = list[tuple[str, str]]
type Poster = Callable[..., Awaitable[tuple[int, str]]]


# Strategies


TEXTS = st.text(max_size=40) | st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\t\n",
        "é",
        "😀",
        "請稍等",
        "%",
        "%zz",
        "&",
        "=",
        "+",
        "a&b=c",
        "<script>",
        "\u202e",
        "a" * 2048,
        "a" * 2049,
        "ha_ref",
    ]
)
GOOD_NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(str),
    st.decimals(
        min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False
    ).map(str),
    st.floats(min_value=0, max_value=1e9, allow_nan=False).map(repr),
)
BAD_NUMBERS = st.sampled_from(
    ["", "-1", "-0.01", "NaN", "nan", "inf", "-Infinity", "1e", "abc", "1,5", "0x1"]
)
GOOD_DATETIMES = st.datetimes(
    min_value=datetime(1000, 1, 1),  # noqa: DTZ001
    max_value=datetime(9999, 12, 31),  # noqa: DTZ001
)
BAD_DATES = st.sampled_from(
    [
        "",
        "25/11/2026",
        "2026-13-01 00:00:00",
        "2026-02-30 10:00:00",
        "2026-11-25T18:30:05",
        "2026-11-25 18:30:05+08:00",
        "2026-11-25",
        "2026-11-25 24:00:00",
        "2026-1-2 1:3:0",
        "\uff12\uff10\uff12\uff16-11-25 18:30:05",  # fullwidth digits
        "2026-11-25 18:30:05\n",
        "2026-11-25 18:30:05.1234567",
        " 2026-11-25 18:30:05",
        "now",
    ]
)
BLOCKS = st.sampled_from(
    [
        *("answer", "dial", "play", "gather", "record", "monitor", "unhold"),
        *("transfer", "hangup", "conference", "x", "a" * 32),
    ]
)
ODD_BLOCKS = st.sampled_from(["", "Answer", "a" * 33, "play!", "ans wer", "玩"])
ODD_SESSIONS = st.sampled_from(["bad session!", "a" * 129, "S/1", "S\x00", " ", "😀"])
STATES = st.sampled_from(["ringing", "ongoing", "ended"])
ODD_STATES = st.sampled_from(["", "dialing", "Ongoing", "ended ", "RINGING"])
OUTCOMES = st.sampled_from(["answered", "unanswered", "failed", "busy", "ongoing"])
UNKNOWN_KEYS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "config_entry_id", "device_id", "transfer_target", "x" * 300]),
).map(lambda key: f"x_{key}" if key in KNOWN_FIELDS | {NOTIFY_TOKEN_PARAM} else key)
# Mostly form content types, so that most examples reach the notification rules.
CONTENT_TYPES = st.sampled_from(FORM_TYPES * 4 + REFUSED_TYPES + (None,))


def _date_text(value: datetime, micro: bool) -> str:
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f" {value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    return f"{text}.{value.microsecond:06d}" if micro else text


GOOD_TEXTS = st.text(max_size=40) | st.sampled_from(
    ["", "é", "😀", "a&b=c", "a" * 2048]
)
MUTATIONS = (
    "drop_session",
    "empty_session",
    "odd_session",
    "drop_block",
    "odd_block",
    "odd_state",
    "odd_outcome",
    "bad_date",
    "bad_number",
    "any_text",
)


def fresh(session: str) -> str:
    """Return a session no other example uses, keeping the drawn shape in front."""
    return f"{session}.{next(_UNIQUE)}"


@st.composite
def notifications(draw: st.DrawFn) -> dict[str, str]:
    """Notification fields: well formed, then zero to three mutations, and extras."""
    session = draw(st.from_regex(r"[A-Za-z0-9_.:\-]{1,60}", fullmatch=True))
    # A suffix no other example uses keeps valid sessions fresh.
    fields = {"session": fresh(session), "ivr_block": draw(BLOCKS)}
    if draw(st.booleans()):
        fields["call_state"] = draw(STATES)
    for name in ("dial_status", "transfer_status"):
        if draw(st.integers(0, 3)) == 0:
            fields[name] = draw(OUTCOMES)
    if draw(st.booleans()):
        when, micro = draw(GOOD_DATETIMES), draw(st.booleans())
        fields["date"] = _date_text(when, micro)
    for name in NUMBER_FIELDS:
        if draw(st.booleans()):
            fields[name] = draw(GOOD_NUMBERS)
    for name in draw(st.lists(st.sampled_from(TEXT_FIELDS), unique=True)):
        fields[name] = draw(GOOD_TEXTS)
    for key, value in draw(st.dictionaries(UNKNOWN_KEYS, TEXTS, max_size=4)).items():
        fields.setdefault(key, value)
    count = draw(st.sampled_from((0, 0, 0, 1, 1, 2, 3)))
    for mutation in draw(
        st.lists(st.sampled_from(MUTATIONS), min_size=count, max_size=count)
    ):
        _mutate(draw, fields, mutation)
    return fields


def _mutate(draw: st.DrawFn, fields: dict[str, str], mutation: str) -> None:
    """Apply one mutation to notification fields."""
    if mutation.startswith("drop_"):
        fields.pop("session" if mutation == "drop_session" else "ivr_block", None)
    elif mutation == "empty_session":
        fields["session"] = ""
    elif mutation == "odd_session":
        fields["session"] = fresh(draw(ODD_SESSIONS | TEXTS))
    elif mutation == "odd_block":
        fields["ivr_block"] = draw(ODD_BLOCKS | TEXTS)
    elif mutation == "odd_state":
        fields["call_state"] = draw(ODD_STATES | TEXTS)
    elif mutation == "odd_outcome":
        name = draw(st.sampled_from(["dial_status", "transfer_status"]))
        fields[name] = draw(TEXTS)
    elif mutation == "bad_date":
        fields["date"] = draw(BAD_DATES | TEXTS)
    elif mutation == "bad_number":
        fields[draw(st.sampled_from(NUMBER_FIELDS))] = draw(BAD_NUMBERS | TEXTS)
    else:
        name = draw(st.sampled_from(sorted(KNOWN_FIELDS - {"session"})))
        fields[name] = draw(TEXTS)


@dataclass
class Post:
    """One request to the webhook and what it is made of."""

    query: Pairs = field(default_factory=list)
    body: Pairs = field(default_factory=list)
    content_type: str | None = "application/x-www-form-urlencoded"
    raw: bytes | None = None
    chunked: bool = False
    padding: int = 0

    def body_bytes(self) -> bytes:
        """Return the exact body to send."""
        if self.raw is not None:
            return self.raw
        return urlencode(self.pairs()).encode()

    def pairs(self) -> Pairs:
        """Return the pairs of the body, with the padding field if any."""
        return self.body + ([("padding", "p" * self.padding)] if self.padding else [])


def _query_safe(key: str, value: str) -> bool:
    """Tell whether a field passes Home Assistant's own filter of query strings.

    Home Assistant's http security filter answers 400 to query strings with
    control characters or exploit-like patterns before our webhook sees them;
    test_arbitrary_bytes_never_break_the_webhook covers those.
    """
    text = (key + value).lower()
    return text.isprintable() and not any(
        part in text
        for part in ("%", "<", ">", "..", "=/", "union", "concat", "proc/self", "/")
    )


@st.composite
def form_posts(draw: st.DrawFn) -> Post:
    """A notification spread over query and body, repeated keys and content types."""
    fields = list(draw(notifications()).items())
    in_query = draw(st.lists(st.booleans(), min_size=len(fields), max_size=len(fields)))
    post = Post(content_type=draw(CONTENT_TYPES), chunked=draw(st.booleans()))
    for (key, value), query in zip(fields, in_query, strict=True):
        in_query = query and _query_safe(key, value)
        (post.query if in_query else post.body).append((key, value))
    if post.body and draw(st.integers(0, 3)) == 0:
        # Repeat a key of the body, with its own value or another one.
        key, value = draw(st.sampled_from(post.body))
        post.body.append((key, _other_value(draw, key, value)))
    if fields and draw(st.integers(0, 3)) == 0:
        # The same key in the query with another value: the body must win.
        key, value = draw(st.sampled_from(fields))
        value = _other_value(draw, key, value)
        if _query_safe(key, value):
            post.query.append((key, value))
    if draw(st.integers(0, 9)) == 0:
        post.padding = draw(st.integers(MAX_BODY - 200, 70_000))
    if draw(st.integers(0, 9)) == 0:
        token = draw(TEXTS)
        in_query = draw(st.booleans()) and _query_safe(NOTIFY_TOKEN_PARAM, token)
        (post.query if in_query else post.body).append((NOTIFY_TOKEN_PARAM, token))
    draw(st.randoms()).shuffle(post.body)
    return post


def _other_value(draw: st.DrawFn, key: str, value: str) -> str:
    """Return the same value or another one; another session is a fresh one."""
    other = draw(st.just(value) | TEXTS)
    return fresh(other) if key == "session" and other != value else other


RAW_BODIES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [
            b"",
            b"&&&",
            b"=",
            b"session",
            b"session=S1&ivr_block=answer&from=\xff",
            b"session=%ff&ivr_block=answer",
            b"session=S1;ivr_block=answer",
            b'{"session": "S1", "ivr_block": "answer"}',
            b"\xef\xbb\xbfsession=S1&ivr_block=answer",
            b"session=S1&ivr_block=answer&date=2026-11-25%2018:30:05",
            b"session=S1&ivr_block=answer&" + b"x=1&" * 20000,
            b"\x00" * (MAX_BODY + 1),
        ]
    ),
)


@st.composite
def raw_posts(draw: st.DrawFn) -> Post:
    """Arbitrary bytes under arbitrary content types."""
    # Header values stay printable ASCII: aiohttp refuses others before routing.
    printable = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
    content_type = draw(st.one_of(CONTENT_TYPES, st.text(printable, max_size=30)))
    return Post(
        query=draw(
            st.lists(
                st.tuples(st.sampled_from(["session", "ivr_block", "x"]), TEXTS),
                max_size=2,
            )
        ),
        raw=draw(RAW_BODIES),
        content_type=content_type,
        chunked=draw(st.booleans()),
    )


# The oracle: what the webhook should answer, from its documented rules


def _number(value: str) -> int | float | None:
    """Return a plain decimal (at most 15 digits, 10 decimals) as a number, or None."""
    if not AMOUNT_RE.fullmatch(value):
        return None
    amount = Decimal(value)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _date(value: str) -> str | None:
    """Return a `YYYY-MM-DD HH:mm:SS[.ffffff]` time of GMT+8 in ISO 8601, or None."""
    if not DATE_RE.fullmatch(value):
        return None
    for date_format in DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, date_format)  # noqa: DTZ007
        except ValueError:
            continue
        return parsed.replace(tzinfo=GMT8).isoformat()
    return None


def expected_fields(fields: dict[str, str]) -> dict[str, Any] | None:
    """Return the event data a notification must produce, or None without a session.

    Dates and amounts in their documented form are parsed; every other value,
    and those that do not parse, is passed on exactly as sent.
    """
    if not fields.get("session"):
        return None
    expected: dict[str, Any] = dict(fields)
    if "date" in fields and (date := _date(fields["date"])) is not None:
        expected["date"] = date
    for name in NUMBER_FIELDS:
        if name in fields and (number := _number(fields[name])) is not None:
            expected[name] = number
    return expected


def expected_answer(post: Post) -> tuple[int, dict[str, Any] | None]:
    """Return the status the webhook must answer and, for 200, the event data."""
    body = post.body_bytes()
    if len(body) > MAX_BODY:
        return 413, None
    # A body of another declared type is refused; fields only in the query are not.
    media = (post.content_type or "").split(";")[0].strip().lower()
    if body and media not in (
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/octet-stream",
        "",
    ):
        return 415, None
    # A key given twice keeps its last value; the body comes after the query.
    fields: dict[str, str] = {}
    tokens: list[str] = []
    for key, value in (*post.query, *post.pairs()):
        if key == NOTIFY_TOKEN_PARAM:
            tokens.append(value)
        else:
            fields[key] = value
    expected = expected_fields(fields)
    if expected is None:
        return 400, None
    # No request of ours carries these tokens: the notification is forged.
    return (403, None) if tokens else (200, expected)


# Fixtures


@pytest.fixture
def notification_fields() -> str:
    """Fuzzing posts to the webhook itself: the simulator's form does not matter."""
    return "body"


@pytest.fixture
async def post(
    ha_url: str, setup_integration: MockConfigEntry
) -> AsyncIterator[Poster]:
    """Send a Post to the webhook over HTTP; return (status, text)."""
    url = f"{ha_url}/api/webhook/{WEBHOOK_ID}"
    async with aiohttp.ClientSession() as http:

        async def send(request: Post) -> tuple[int, str]:
            body = request.body_bytes()
            headers = {}
            skip = []
            if request.content_type is None:
                skip.append("Content-Type")
            else:
                headers["Content-Type"] = request.content_type
            data: Any = body
            if request.chunked:

                async def chunks() -> AsyncIterator[bytes]:
                    for start in range(0, len(body), 16_384):
                        yield body[start : start + 16_384]

                data = chunks()
            query = urlencode(request.query)
            async with http.post(
                URL(f"{url}?{query}" if query else url, encoded=True),
                data=data,
                headers=headers,
                skip_auto_headers=skip,
            ) as response:
                return response.status, await response.text()

        yield send


@dataclass
class Watch:
    """What an example may change: events, calls, log records."""

    hass: HomeAssistant
    entry: MockConfigEntry
    events: list[Event]
    caplog: pytest.LogCaptureFixture
    start_events: int = 0
    start_records: int = 0
    start_calls: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        """Keep Hypothesis' report of a failing example short."""
        return "Watch()"

    def begin(self) -> None:
        """Remember the state before an example."""
        self.start_events = len(self.events)
        self.start_records = len(self.caplog.records)
        self.start_calls = self.entry.runtime_data.tracker.as_dict()

    def new_events(self) -> list[Event]:
        """Return the events fired since begin()."""
        return self.events[self.start_events :]

    def check_logs(self) -> None:
        """No error, no traceback, no webhook processing error since begin()."""
        for record in self.caplog.records[self.start_records :]:
            assert record.levelno < logging.ERROR, record.getMessage()
            assert record.exc_info is None, record.getMessage()
            assert "Error processing webhook" not in record.getMessage()

    def check_unchanged(self) -> None:
        """Nothing happened: no event, the tracker as it was."""
        assert self.new_events() == []
        assert self.entry.runtime_data.tracker.as_dict() == self.start_calls


@pytest.fixture
def watch(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    hoiio_events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> Watch:
    """Watch what each example changes."""
    return Watch(hass, setup_integration, hoiio_events, caplog)


async def _check_post(
    hass: HomeAssistant, post: Poster, watch: Watch, req: Post, *, fresh: bool = True
) -> int:
    """Post one request and check every invariant of the webhook.

    A fresh request (a session no earlier request used) accepted with 200 fires
    exactly one event; otherwise a 200 may also be a duplicate that changes nothing.
    """
    watch.begin()
    status, _ = await post(req)
    await hass.async_block_till_done()
    if currently_in_test_context():
        event(f"HTTP {status}")
    assert status < 500, status
    watch.check_logs()
    events = watch.new_events()
    if status != 200 or (not fresh and not events):
        watch.check_unchanged()
        return status
    assert len(events) == 1
    data = dict(events[0].data)
    assert data.pop("config_entry_id") == watch.entry.entry_id
    assert data.pop("device_id") == watch.entry.runtime_data.device_id
    json_bytes(events[0].data)
    json_bytes(watch.entry.runtime_data.tracker.as_dict())
    state = hass.states.get(EVENT_ENTITY)
    assert state is not None
    assert state.attributes["session"] == data["session"]
    assert state.as_dict_json
    return status


# Properties of the webhook


@FUZZ
@given(req=form_posts())
async def test_form_notifications_match_the_rules(
    hass: HomeAssistant, post: Poster, watch: Watch, req: Post
) -> None:
    """Answers follow the documented rules; accepted fields are reflected exactly."""
    status, expected = expected_answer(req)
    assert await _check_post(hass, post, watch, req) == status
    if expected is not None:
        data = dict(watch.new_events()[0].data)
        # The integration sets these two itself, whatever the sender put there.
        for key in ("config_entry_id", "device_id"):
            del data[key]
            expected.pop(key, None)
        assert data == expected


@FUZZ
@given(req=raw_posts())
async def test_arbitrary_bytes_never_break_the_webhook(
    hass: HomeAssistant, post: Poster, watch: Watch, req: Post
) -> None:
    """Any body under any content type: never a 5xx, 4xx changes nothing."""
    status = await _check_post(hass, post, watch, req, fresh=False)
    if status == 200 and watch.new_events():
        session = watch.new_events()[0].data["session"]
        assert isinstance(session, str)
        assert session


async def test_accepted_fields_match_the_oracle_examples(
    hass: HomeAssistant, post: Poster, watch: Watch
) -> None:
    """The oracle itself agrees with hand-written cases (guards the guard)."""
    fields = {
        "session": "ORACLE1",
        "ivr_block": "play",
        "call_state": "ended",
        "date": "2026-11-25 18:30:05.250000",
        "duration": "2",
        "rate": "0.050",
        "debit": "100",
        "from": "😀",
        "": "blank key",
    }
    req = Post(body=list(fields.items()))
    assert expected_answer(req)[0] == 200
    assert await _check_post(hass, post, watch, req) == 200
    data = watch.new_events()[0].data
    assert data["date"] == "2026-11-25T18:30:05.250000+08:00"
    assert (data["duration"], data["rate"], data["debit"]) == (2, 0.05, 100)
    assert data["from"] == "😀"
    assert data[""] == "blank key"
    for accepted, check in (
        (Post(body=[*fields.items(), ("session", "OTHER")]), ("session", "OTHER")),
        (
            Post(body=[("session", "ORACLE2"), ("rate", "-1"), ("rate", "0.5")]),
            ("rate", 0.5),
        ),
        (
            Post(body=[("session", "ORACLE3"), ("debit", "1e2"), ("call_state", "x")]),
            ("debit", "1e2"),
        ),
        (
            Post(query=[("session", "ORACLE4")], body=[("date", "2026-02-30 1:00")]),
            ("date", "2026-02-30 1:00"),
        ),
    ):
        assert expected_answer(accepted)[0] == 200
        assert await _check_post(hass, post, watch, accepted) == 200
        key, value = check
        assert watch.new_events()[0].data[key] == value
    for refused, status in (
        (Post(body=list(fields.items()), content_type="application/json"), 415),
        (Post(body=[("ivr_block", "play")]), 400),
        (Post(body=[("session", "")], query=[("session", "ORACLE5")]), 400),
        (Post(body=[("session", "ORACLE6")], query=[(NOTIFY_TOKEN_PARAM, "x")]), 403),
    ):
        assert expected_answer(refused)[0] == status
        assert await _check_post(hass, post, watch, refused) == status


# Inputs fuzzing once broke the webhook with


@pytest.mark.parametrize(
    ("field", "sent"), [("debit", "1e20"), ("duration", "1e999999999999999999")]
)
async def test_huge_numbers_are_passed_on_as_sent(
    hass: HomeAssistant, post: Poster, watch: Watch, field: str, sent: str
) -> None:
    """Exponents are not amounts: kept as text, encodable, nothing crashes."""
    req = Post(
        body=[
            ("session", f"HUGE.{field}"),
            ("ivr_block", "hangup"),
            ("call_state", "ended"),
            (field, sent),
        ]
    )
    assert await _check_post(hass, post, watch, req) == 200
    assert watch.new_events()[0].data[field] == sent
    state = hass.states.get(EVENT_ENTITY)
    assert state is not None
    assert state.attributes[field] == sent


# Properties of the actions


ACTION_NAMES = ("transfer", "play", "gather")
MESSAGES = st.one_of(
    TEXTS,
    st.sampled_from(
        [
            "Hello",
            '<speech language="zh-HK" gender="male">請稍等</speech>',
            '<speech language="xx">Hi</speech>',
            '<speech gender="robot">Hi</speech>',
            "<speech>unclosed",
            "<url>https://a.b/x.mp3</url>",
            "<url>https://a.b/x.ogg</url>",
            "<url>ftp://a.b/x.mp3</url>",
            "a & b",
            "&amp;",
            "<!DOCTYPE x>",
            "</msg><msg>",
            "a" * 1000,
            "a" * 1001,
        ]
    ),
)
NUMBERISH = st.one_of(
    st.integers(min_value=-(10**300), max_value=10**300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    TEXTS,
    st.sampled_from(["1", "10", "0", "2.5", "1e3", "255", "256", "86400", "86401"]),
)
DESTS = st.one_of(
    st.sampled_from([MOBILE, "room:", "room:R1", "room:bad room", "6511111111"]),
    st.from_regex(r"\+[0-9]{1,16}", fullmatch=True),
    TEXTS,
)
URLS = st.one_of(
    st.sampled_from(
        ["https://example.com/hook", "ftp://x", "http://", "not a url", "a" * 4001]
    ),
    TEXTS,
)
ANY_VALUE = st.one_of(
    TEXTS, NUMBERISH, st.none(), st.lists(st.integers(), max_size=2), st.just({})
)
LIVE = "<live session>"


def _mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> Any:
    """Draw a plausible value three times out of four, else an adversarial one."""
    return st.sampled_from((True, True, True, False)).flatmap(
        lambda plausible: good if plausible else bad
    )


GOOD_INTS = st.integers(1, 20) | st.sampled_from(["3", 4.0])


@st.composite
def action_calls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """An action and its data: mostly plausible, with wrong types and extras."""
    action = draw(st.sampled_from(ACTION_NAMES))
    optional: dict[str, st.SearchStrategy[Any]] = {
        "session": _mostly(st.just(LIVE), TEXTS | NUMBERISH),
        "msg": _mostly(st.sampled_from(["Hello", "a & b", "請稍等"]), MESSAGES),
        "tag": _mostly(st.text(max_size=20), TEXTS | st.just("t" * 257)),
        "notify_url": URLS,
        "wait": _mostly(st.booleans(), TEXTS),
        "wait_timeout": _mostly(st.sampled_from([1, 5, "2"]), NUMBERISH),
    }
    if action == "transfer":
        optional |= {
            "caller_id": _mostly(st.just("private"), DESTS),
            "on_failure": _mostly(st.sampled_from(["hangup", "continue"]), TEXTS),
            "ring_time": _mostly(GOOD_INTS, NUMBERISH),
            "room_profile": _mostly(st.sampled_from(["music", "ringing"]), TEXTS),
        }
    if action == "gather":
        optional |= {
            "max_digits": _mostly(st.integers(0, 255), NUMBERISH),
            "timeout": _mostly(GOOD_INTS, NUMBERISH),
            "attempts": _mostly(GOOD_INTS, NUMBERISH),
        }
    data: dict[str, Any] = {}
    if action == "transfer" and draw(st.integers(0, 9)):
        data["dest"] = draw(
            _mostly(st.sampled_from([MOBILE, "room:", "room:R1"]), DESTS)
        )
    for name in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        if name != "notify_url" or draw(st.integers(0, 3)) == 0:
            data[name] = draw(optional[name])
    if draw(st.integers(0, 9)) == 0:
        data[draw(st.text(min_size=1, max_size=10))] = draw(ANY_VALUE)
    return action, data


@FUZZ
@given(call=action_calls(), foreign_entry=st.integers(0, 19))
async def test_actions_fail_translated_or_reach_the_simulator(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    call: tuple[str, dict[str, Any]],
    foreign_entry: int,
) -> None:
    """Random action data: a translated error or a request; nothing else."""
    action, data = call
    live = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await hass.async_block_till_done()
    if data.get("session") == LIVE:
        data["session"] = live
    entry_id = "not-an-entry" if foreign_entry == 0 else setup_integration.entry_id
    sent = len(simulator.requests)
    records = len(caplog.records)
    response: Any = None
    error: HomeAssistantError | None = None
    try:
        response = await hass.services.async_call(
            DOMAIN,
            action,
            {"config_entry_id": entry_id, **data},
            blocking=True,
            return_response=True,
        )
    except HomeAssistantError as err:
        error = err
    finally:
        await _end_call(hass, simulator, live)
    reached = len(simulator.requests) > sent
    if error is None:
        event(f"sent {action}, wait={data.get('wait')}")
        assert isinstance(response, dict)
        assert reached
        assert response["status"] == "success_ok"
    else:
        event(f"{type(error).__name__} {error.translation_key}")
        # Only these two types; the translation exists.
        assert type(error) in (ServiceValidationError, HomeAssistantError)
        assert error.translation_domain == DOMAIN
        assert error.translation_key in EXCEPTION_KEYS, error.translation_key
        # Failures of the service itself and the API's answers need a request.
        if type(error) is HomeAssistantError or error.translation_key.startswith(
            "api_"
        ):
            assert reached
    for record in caplog.records[records:]:
        assert record.levelno < logging.ERROR, record.getMessage()


async def _end_call(
    hass: HomeAssistant, simulator: HoiioSimulator, session: str
) -> None:
    """Hang up a call of the simulator if still ongoing and let everything settle."""
    await simulator.settle()
    await hass.async_block_till_done()
    if simulator.sessions[session].state != "ended":
        await simulator.hangup_caller(session)
        await simulator.settle()
        await hass.async_block_till_done()


# Inputs fuzzing once broke the actions with


@pytest.mark.parametrize("field_name", ["max_digits", "timeout", "wait_timeout"])
async def test_huge_integer_is_a_translated_error(
    hass: HomeAssistant, setup_integration: MockConfigEntry, field_name: str
) -> None:
    """max_digits=10**400 is invalid input, not a crash."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "gather",
            {
                "config_entry_id": setup_integration.entry_id,
                "session": "S1",
                field_name: 10**400,
            },
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "invalid_field"


async def test_unencodable_tag_is_a_translated_error(
    hass: HomeAssistant, simulator: HoiioSimulator, setup_integration: MockConfigEntry
) -> None:
    """A tag that cannot be encoded as UTF-8 is invalid input."""
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await hass.async_block_till_done()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "play",
            {
                "config_entry_id": setup_integration.entry_id,
                "session": session,
                "tag": "\ud800",
            },
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key in EXCEPTION_KEYS
