"""A clinic's own wording and windows, laid over the defaults and checked for shape."""

from __future__ import annotations

import pytest

from aftercare.care.content import (
    DEFAULT_CONTENT,
    ContentError,
    clinic_content,
    kept_in_base_language,
)


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


# Wording in another language: the clinic's own, else its own English edit, else the default
# translated.
def spanish(text: str) -> str:
    return f"ES[{text}]"


def test_a_language_gets_the_defaults_translated():
    content = clinic_content(None, "es", spanish)
    assert content["timed"]["alcohol"] == spanish(DEFAULT_CONTENT["timed"]["alcohol"])
    assert content["normal"] == [spanish(line) for line in DEFAULT_CONTENT["normal"]]
    assert content["levels"]["crisis"]["title"] == spanish("Call or text 988 now")
    # Numbers and settings are the same in every language.
    assert content["crisis"]["line"] == "988" and content["windows"] == DEFAULT_CONTENT["windows"]


def test_a_clinics_english_edit_is_shown_to_spanish_readers_rather_than_a_default():
    edited = "No alcohol, cannabis or kratom until {until}."
    overrides = {"timed": {"alcohol": edited}, "call_911": ["Chest pain."]}
    content = clinic_content(overrides, "es", spanish)
    assert content["timed"]["alcohol"] == edited
    assert content["call_911"] == ["Chest pain."]
    assert content["timed"]["driving"] == spanish(DEFAULT_CONTENT["timed"]["driving"])
    assert kept_in_base_language(overrides, "es") == {"timed.alcohol", "call_911"}


def test_a_clinics_spanish_wording_wins():
    overrides = {
        "timed": {"alcohol": "No alcohol, cannabis or kratom until {until}."},
        "translations": {
            "es": {"timed": {"alcohol": "Nada de alcohol ni kratom hasta el {until}."}}
        },
    }
    content = clinic_content(overrides, "es", spanish)
    assert content["timed"]["alcohol"] == "Nada de alcohol ni kratom hasta el {until}."
    assert kept_in_base_language(overrides, "es") == set()
    # English readers still get the English edit; the Spanish never leaks into it.
    assert clinic_content(overrides)["timed"]["alcohol"].startswith("No alcohol, cannabis")
    assert "translations" not in clinic_content(overrides)


def test_reason_wording_follows_the_same_order():
    overrides = {
        "reasons": {"chest_pain": "Ring 000.", "fainting": "Ring 000 now."},
        "translations": {"es": {"reasons": {"fainting": "Llame al 000."}}},
    }
    reasons = clinic_content(overrides, "es", spanish)["reasons"]
    assert reasons == {"chest_pain": "Ring 000.", "fainting": "Llame al 000."}


@pytest.mark.parametrize(
    ("translations", "message"),
    [
        ("es", "translations must be a set of named values"),
        ({"en": {}}, "translations.en is not another language"),
        ({"es": {"windows": {"driving": 2}}}, "translations.es.windows is not wording"),
        ({"es": {"crisis": {"line": "112"}}}, "translations.es.crisis.line is not wording"),
        ({"es": {"normal": "una"}}, "translations.es.normal must be a list of lines"),
        ({"es": {"timed": {"flying": "x"}}}, "translations.es.timed.flying is not a setting"),
    ],
)
def test_badly_shaped_translations_are_refused(translations, message):
    with pytest.raises(ContentError, match=message):
        clinic_content({"translations": translations}, "es")


def test_learn_articles_are_kept_beside_the_wording_and_checked():
    learn = {"insurance": {"hidden": True}}
    assert "learn" not in clinic_content({"learn": learn})
    assert clinic_content({"learn": learn}, "es")["timed"]
    with pytest.raises(ContentError, match="learn.insurance.hidden"):
        clinic_content({"learn": {"insurance": {"hidden": "yes"}}})
