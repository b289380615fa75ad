"""The simulator's phone page in a real browser, calling a real Home Assistant.

The Home Assistant of these checks runs tests/browser/automations.yaml: calls
from +6580001313 hear a greeting, are asked for one key and, on 1, are
transferred to +6598765432; calls from +6580002222 are asked for two keys and
hear them back.
"""

from __future__ import annotations

from collections.abc import Callable
import os
from pathlib import Path
import shutil
from typing import Any

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from .harness import HOIIO_NUMBER, ROOT, HomeAssistantInstance, PhonePage

MENU_CALLER = "+6580001313"
ECHO_CALLER = "+6580002222"
FAR_END = "+6598765432"
# HOIIO_UPDATE_SCREENSHOTS=1 copies the screenshot of a call in progress here.
README_SCREENSHOT = ROOT / "docs" / "phone-call.png"
NARROW = (390, 1400)


def end_other_calls(instance: HomeAssistantInstance) -> None:
    """Hang up the calls other checks left ringing, so the count starts at 0."""
    for session in instance.sessions():
        if session["state"] != "ended":
            instance.simulator("hangup", {"session": session["session"]})
    wait_for_ongoing_calls(instance, "0")


def wait_for_ongoing_calls(instance: HomeAssistantInstance, count: str) -> None:
    """Wait until Home Assistant's Ongoing calls sensor shows a count."""
    entity_id = instance.entity_ids["ongoing_calls"]
    WebDriverWait(None, 60, poll_frequency=0.2).until(
        lambda _: instance.state(entity_id)["state"] == count,
        message=f"{entity_id} did not become {count}",
    )


def last_call_event(instance: HomeAssistantInstance) -> dict[str, Any]:
    """Return the attributes of the Call event entity: the last notification."""
    attributes: dict[str, Any] = instance.state(instance.entity_ids["call"])[
        "attributes"
    ]
    return attributes


def keep_for_readme(path: Path) -> None:
    """Copy a screenshot to the README's when HOIIO_UPDATE_SCREENSHOTS=1."""
    if os.environ.get("HOIIO_UPDATE_SCREENSHOTS") == "1":
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, README_SCREENSHOT)


def place_call(phone: PhonePage, caller: str) -> str:
    """Type the caller, pick the Hoiio number, select Call; return the session."""
    field = phone.driver.find_element(By.ID, "caller")
    field.clear()
    field.send_keys(caller)
    Select(phone.driver.find_element(By.ID, "number")).select_by_value(HOIIO_NUMBER)
    phone.click(".call-button")
    return str(phone.wait_for(CARD_OF_CALLER_JS, 30, caller))


CARD_OF_CALLER_JS = """
const title = [...document.querySelectorAll('.call')].find((card) =>
  card.querySelector('.call-title').textContent.includes(`From ${arguments[0]} `)
  && card.dataset.state !== 'ended');
return title?.dataset.session;
"""
# What the menu call shows, line by line, and what the page asks to say.
MENU_TRANSCRIPT = [
    "ringing",
    "notified",
    "answered",
    "play",
    "notified",
    "gather",
    "keys",
    "result",
    "notified",
    "transfer",
    "far_end",
    "caller_hangup",
    "result",
    "ended",
    "notified",
]
MENU_SPEECH = [
    {"text": "Welcome to the Hoiio phone check.", "lang": "en"},
    {"text": "歡迎致電", "lang": "zh-HK"},
    {"text": "Press 1 to talk to someone.", "lang": "en"},
    {"text": "Connecting you now.", "lang": "en"},
]
TRANSCRIPT_CLASSES_JS = """
return [...document.querySelectorAll(`.call[data-session="${arguments[0]}"] li`)]
  .map((item) => item.className);
"""


def test_a_call_from_the_phone_through_home_assistant(
    phone_page: PhonePage,
    hoiio_instance: HomeAssistantInstance,
    screenshot: Callable[..., Path],
    tmp_path: Path,
) -> None:
    """Greeting, a key, a transfer answered by the far end, the caller hangs up."""
    end_other_calls(hoiio_instance)
    screenshot(tmp_path, "phone-dialer", phone_page)

    session = place_call(phone_page, MENU_CALLER)
    card = f'.call[data-session="{session}"]'
    phone_page.wait_for_text(f"{card} .transcript", "Welcome to the Hoiio phone check.")
    phone_page.wait_for_text(f"{card} .call-state", "Waiting for your keys")
    phone_page.wait_for_announcement("Home Assistant asks for keys")
    wait_for_ongoing_calls(hoiio_instance, "1")
    screenshot(tmp_path, "phone-gather", phone_page)

    phone_page.click(f'{card} [data-key="1"]')
    phone_page.wait_for_text(f"{card} .far-end-text", f"{FAR_END} is ringing")
    phone_page.wait_for_text(f"{card} .transcript", "Connecting you now.")
    phone_page.run("document.activeElement.blur();")
    keep_for_readme(screenshot(tmp_path, "phone-transfer-ringing", phone_page))

    phone_page.click(f'{card} .far-end-area [data-outcome="answered"]')
    phone_page.wait_for_text(f"{card} .connected-text", f"Connected to {FAR_END}")
    phone_page.wait_for_announcement(f"Connected to {FAR_END}")
    wait_for_ongoing_calls(hoiio_instance, "1")

    phone_page.click(f"{card} [data-hangup]")
    phone_page.wait_for_text(f"{card} .call-state", "Ended")
    phone_page.wait_for_text(f"{card} .transcript", "cost SGD 0.130")
    wait_for_ongoing_calls(hoiio_instance, "0")
    screenshot(tmp_path, "phone-ended", phone_page)

    call = last_call_event(hoiio_instance)
    assert (call["event_type"], call["transfer_status"], call["call_state"]) == (
        "transfer",
        "answered",
        "ended",
    )
    assert phone_page.run(TRANSCRIPT_CLASSES_JS, session) == MENU_TRANSCRIPT
    # The page says one message after the other: the last one comes last.
    phone_page.wait_for(
        "return window.__spoken.some((said) => said.text === arguments[0]);",
        60,
        MENU_SPEECH[-1]["text"],
    )
    assert [said for said in phone_page.spoken() if said in MENU_SPEECH] == MENU_SPEECH


def test_the_phone_on_a_narrow_screen_with_the_keyboard(
    phone_page: PhonePage,
    hoiio_instance: HomeAssistantInstance,
    screenshot: Callable[..., Path],
    tmp_path: Path,
) -> None:
    """Tab to Call, Enter, type the keys on the keyboard; nothing scrolls sideways."""
    end_other_calls(hoiio_instance)
    driver = phone_page.driver
    size = driver.get_window_size()
    driver.set_window_size(*NARROW)
    try:
        phone_page.open()
        field = driver.find_element(By.ID, "caller")
        field.clear()
        field.send_keys(ECHO_CALLER)
        ActionChains(driver).send_keys(Keys.TAB, Keys.TAB).perform()
        assert phone_page.run("return document.activeElement.className") == (
            "call-button"
        )
        ActionChains(driver).send_keys(Keys.ENTER).perform()
        session = str(phone_page.wait_for(CARD_OF_CALLER_JS, 30, ECHO_CALLER))
        card = f'.call[data-session="{session}"]'
        phone_page.wait_for_text(f"{card} .call-state", "Waiting for your keys")
        ActionChains(driver).send_keys("4", "2").perform()
        phone_page.wait_for_text(f"{card} .transcript", "You typed 42. Goodbye.")
        phone_page.wait_for_text(f"{card} .call-state", "Ended")
        overflow = phone_page.run(
            "return document.documentElement.scrollWidth"
            " - document.documentElement.clientWidth;"
        )
        screenshot(tmp_path, "phone-narrow", phone_page)
    finally:
        driver.set_window_size(size["width"], size["height"])
    assert overflow <= 0
    transcript = phone_page.text_of(f"{card} .transcript")
    assert "You pressed 4" in transcript
    assert "You pressed 2" in transcript
    assert "Keys gathered: 42" in transcript
    wait_for_ongoing_calls(hoiio_instance, "0")


def test_hoiio_dial_rings_on_the_phone(
    phone_page: PhonePage,
    hoiio_instance: HomeAssistantInstance,
    screenshot: Callable[..., Path],
    tmp_path: Path,
) -> None:
    """An outgoing call rings on the page; answered, it is the page's call."""
    end_other_calls(hoiio_instance)
    answer = hoiio_instance.act(
        "dial", {"dest": FAR_END, "msg": "The front door was opened."}
    )
    card = f'.call[data-session="{answer["session"]}"]'
    phone_page.wait_for_text(
        f"{card} .ring-text", f"Your Hoiio number is calling {FAR_END}"
    )
    phone_page.wait_for_announcement(f"Your Hoiio number is calling {FAR_END}")
    screenshot(tmp_path, "phone-dial-ringing", phone_page)
    phone_page.click(f'{card} [data-answer="answer"]')
    phone_page.wait_for_text(f"{card} .transcript", "The call was answered")
    wait_for_ongoing_calls(hoiio_instance, "1")
    call = last_call_event(hoiio_instance)
    assert (call["event_type"], call["dial_status"]) == ("dial", "answered")
    phone_page.wait_for(
        "return window.__spoken.some((said) => said.text === arguments[0]);",
        60,
        "The front door was opened.",
    )
    # The answered call is the page's: a gather waits for its keys.
    hoiio_instance.act(
        "gather", {"session": answer["session"], "msg": "Press 5.", "max_digits": 1}
    )
    phone_page.click(f'{card} [data-key="5"]')
    phone_page.wait_for_text(f"{card} .transcript", "Keys gathered: 5")
    hoiio_instance.act("hangup", {"session": answer["session"], "msg": "Goodbye."})
    phone_page.wait_for_text(f"{card} .call-state", "Ended")
    wait_for_ongoing_calls(hoiio_instance, "0")
    call = last_call_event(hoiio_instance)
    assert (call["event_type"], call["call_state"]) == ("hangup", "ended")
