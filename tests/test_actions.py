"""The declarations of the actions: one per IVR block, each named after it."""

from __future__ import annotations

from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.hoiio.actions import ACTIONS
from custom_components.hoiio.api import IvrPath


def test_one_action_per_block_named_after_it() -> None:
    """Every block Hoiio accepts has one action, whose name is the block's."""
    assert sorted(action.path for action in ACTIONS) == sorted(IvrPath)
    for action in ACTIONS:
        assert action.path.endswith(f"/{action.name}")


def test_only_hold_and_dial_differ_from_the_common_shape() -> None:
    """Hold sends no notification; dial starts a call and so takes no session."""
    assert [a.name for a in ACTIONS if not a.notifies] == ["hold"]
    assert [a.name for a in ACTIONS if not a.takes_session] == ["dial"]


def test_parameters_leave_out_the_integrations_own_fields() -> None:
    """Only the block's own fields are sent as given; force is sent as enabled."""
    hangup = next(action for action in ACTIONS if action.name == "hangup")
    data = {
        "config_entry_id": "x",
        "session": "S1",
        "notify_url": "https://example.com/",
        "wait": True,
        "wait_timeout": 5,
        "tag": "t",
        "force": True,
    }
    assert hangup.parameters(data) == {"tag": "t", "force": "enabled"}
    assert hangup.parameters(data | {"force": False}) == {"tag": "t", "force": None}


def test_data_that_is_not_a_mapping_is_a_translated_error() -> None:
    """A schema given something else than a mapping refuses it as invalid data."""
    play = next(action for action in ACTIONS if action.name == "play")
    with pytest.raises(ServiceValidationError) as err:
        play.schema()(["not", "a", "mapping"])
    assert err.value.translation_key == "invalid_field"
    assert err.value.translation_placeholders["field"] == "data"
