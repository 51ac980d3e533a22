"""A clinic's own wording and windows, laid over the defaults and checked for shape."""

from __future__ import annotations

import pytest

from aftercare.care.content import DEFAULT_CONTENT, ContentError, clinic_content


def test_no_overrides_gives_the_defaults():
    assert clinic_content(None) == DEFAULT_CONTENT
    assert clinic_content({}) is not DEFAULT_CONTENT


def test_overrides_replace_only_what_they_name():
    content = clinic_content({"windows": {"driving": 12}, "crisis": {"line": "13 11 14"}})
    assert content["windows"]["driving"] == 12
    assert content["windows"]["alcohol"] == 24
    assert content["crisis"]["line"] == "13 11 14"
    assert content["crisis"]["emergency"] == "911"


def test_overrides_never_change_the_defaults():
    clinic_content({"normal": ["Only this."]})
    assert len(DEFAULT_CONTENT["normal"]) > 1


def test_reason_wording_takes_any_rule_code():
    assert (
        clinic_content({"reasons": {"chest_pain": "Ring 000."}})["reasons"]["chest_pain"]
        == "Ring 000."
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"windows": {"driving": "soon"}}, "windows.driving must be a whole number"),
        ({"windows": {"driving": 500}}, "from 0 to 168"),
        ({"windows": {"driving": True}}, "whole number"),
        ({"windows": {"flying": 3}}, "windows.flying is not a setting"),
        ({"normal": "one line"}, "normal must be a list of lines"),
        ({"normal": [1, 2]}, "normal must be a list of lines"),
        ({"crisis": "988"}, "crisis must be a set of named values"),
        ({"not_monitored": 5}, "not_monitored must be text"),
        ({"reasons": {"chest_pain": 3}}, "reasons.chest_pain must be text"),
        ({"colour": "blue"}, "colour is not a setting"),
    ],
)
def test_badly_shaped_overrides_are_refused_with_the_setting_named(overrides, message):
    with pytest.raises(ContentError, match=message):
        clinic_content(overrides)
