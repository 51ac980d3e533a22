"""Tests for the questionnaire definitions: the built-in three, and strict loading of any other."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from aftercare.care.content import DEFAULT_CONTENT
from aftercare.care.instruments import (
    Direction,
    Instrument,
    InstrumentError,
    ItemAlert,
    Wording,
    load_builtin,
    load_folder,
)
from aftercare.care.questionnaire_alerts import HELP
from aftercare.care.triage import Level
from tests.fixtures.published_spanish import published_spanish

BUILTIN = load_builtin()


def test_the_three_builtin_instruments_load() -> None:
    assert sorted(BUILTIN) == ["gad7", "pcl5", "phq9"]


def test_the_definitions_ship_inside_the_package() -> None:
    # hatch packages the aftercare folder, so JSON found here is in the wheel too.
    names = {entry.name for entry in files("aftercare.care.instruments").iterdir()}

    assert {"pcl5.json", "phq9.json", "gad7.json"} <= names


@pytest.mark.parametrize(
    ("instrument_id", "items", "labels", "total_max"),
    [
        (
            "pcl5",
            20,
            ("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"),
            80,
        ),
        (
            "phq9",
            9,
            ("Not at all", "Several days", "More than half the days", "Nearly every day"),
            27,
        ),
        (
            "gad7",
            7,
            ("Not at all", "Several days", "More than half the days", "Nearly every day"),
            21,
        ),
    ],
)
def test_each_instrument_has_its_published_items_and_answers(
    instrument_id: str, items: int, labels: tuple[str, ...], total_max: int
) -> None:
    instrument = BUILTIN[instrument_id]

    assert instrument.item_numbers == tuple(range(1, items + 1))
    assert tuple(option.label for option in instrument.options) == labels
    assert tuple(option.value for option in instrument.options) == tuple(range(len(labels)))
    assert (instrument.scoring.total_min, instrument.scoring.total_max) == (0, total_max)
    assert instrument.scoring.direction is Direction.HIGHER_IS_WORSE


@pytest.mark.parametrize(
    ("instrument_id", "licence", "attribution"),
    [
        (
            "pcl5",
            "Public domain",
            "PCL-5 (8/14/2013) Weathers, Litz, Keane, Palmieri, Marx, & Schnurr"
            " -- National Center for PTSD",
        ),
        (
            "phq9",
            "Copyright Pfizer Inc.",
            "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and"
            " colleagues, with an educational grant from Pfizer Inc. No permission required to"
            " reproduce, translate, display or distribute.",
        ),
        (
            "gad7",
            "Copyright Pfizer Inc.",
            "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and"
            " colleagues, with an educational grant from Pfizer Inc. No permission required to"
            " reproduce, translate, display or distribute.",
        ),
    ],
)
def test_each_instrument_carries_its_licence_and_attribution(
    instrument_id: str, licence: str, attribution: str
) -> None:
    instrument = BUILTIN[instrument_id]

    assert instrument.licence.startswith(licence)
    assert instrument.attribution == attribution
    assert instrument.citations


@pytest.mark.parametrize(
    ("instrument_id", "where", "text"),
    [
        # Where copies of these forms drift, the publisher's wording is the one kept.
        ("pcl5", "stem", "In the past week, how much were you bothered by:"),
        (
            "pcl5",
            10,
            "Blaming yourself or someone else for the stressful experience or what"
            " happened after it?",
        ),
        ("pcl5", 17, 'Being "superalert" or watchful or on guard?'),
        ("pcl5", 18, "Feeling jumpy or easily startled?"),
        (
            "phq9",
            "stem",
            "Over the last 2 weeks, how often have you been bothered by any of the"
            " following problems?",
        ),
        (
            "phq9",
            6,
            "Feeling bad about yourself \u2014 or that you are a failure or have let"
            " yourself or your family down",
        ),
        (
            "phq9",
            8,
            "Moving or speaking so slowly that other people could have noticed? Or the"
            " opposite \u2014 being so fidgety or restless that you have been moving around a lot"
            " more than usual",
        ),
        (
            "phq9",
            9,
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ),
        (
            "gad7",
            "stem",
            "Over the last 2 weeks, how often have you been bothered by the following problems?",
        ),
        ("gad7", 1, "Feeling nervous, anxious or on edge"),
        ("gad7", 5, "Being so restless that it is hard to sit still"),
        ("gad7", 7, "Feeling afraid as if something awful might happen"),
    ],
)
def test_it_keeps_the_publisher_wording_where_copies_differ(
    instrument_id: str, where: str | int, text: str
) -> None:
    instrument = BUILTIN[instrument_id]

    shown = instrument.stem if where == "stem" else instrument.items[int(where) - 1].text
    assert shown == text


def test_pcl5_uses_the_past_week_wording_for_a_screen() -> None:
    pcl5 = BUILTIN["pcl5"]

    assert pcl5.version.endswith("past-week")
    assert pcl5.instructions is not None
    assert "in the past week" in pcl5.instructions
    assert "select one of the options" in pcl5.instructions
    assert "month" not in pcl5.instructions + pcl5.stem


@pytest.mark.parametrize("instrument_id", sorted(BUILTIN))
def test_no_instrument_shows_paper_only_wording(instrument_id: str) -> None:
    instrument = BUILTIN[instrument_id]
    shown = " ".join(
        [instrument.stem, instrument.instructions or ""]
        + [item.text for item in instrument.items]
        + [question.text for question in instrument.extra_questions]
    )

    assert "circle" not in shown
    assert "\u2714" not in shown


@pytest.mark.parametrize("file", ["pcl5.json", "phq9.json", "gad7.json"])
def test_no_definition_uses_the_prime_md_trademark(file: str) -> None:
    text = files("aftercare.care.instruments").joinpath(file).read_text(encoding="utf-8")

    assert "PRIME-MD" not in text


# Validation studies used exactly this wording, so any edit must come as a new version.
# Update a fingerprint only together with the version beside it.
PUBLISHED_WORDING = {
    ("pcl5", "2018-04-11-past-week"): "625df21c2299",
    ("phq9", "phqscreeners-v1"): "6381d5bd01c0",
    ("gad7", "phqscreeners-v1"): "9278713015ed",
}


def _fingerprint(instrument: Instrument | Wording) -> str:
    wording = {
        "stem": instrument.stem,
        "instructions": instrument.instructions,
        "options": [[option.value, option.label] for option in instrument.options],
        "items": [[item.number, item.text] for item in instrument.items],
        "extra": [
            [question.key, question.text, [[o.value, o.label] for o in question.options]]
            for question in instrument.extra_questions
        ],
        "attribution": instrument.attribution,
    }
    encoded = json.dumps(wording, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:12]


@pytest.mark.parametrize("instrument_id", sorted(BUILTIN))
def test_published_wording_changes_only_with_a_new_version(instrument_id: str) -> None:
    instrument = BUILTIN[instrument_id]

    assert PUBLISHED_WORDING[(instrument.id, instrument.version)] == _fingerprint(instrument)


def test_the_phq9_difficulty_question_is_asked_but_is_not_an_item() -> None:
    phq9 = BUILTIN["phq9"]

    (difficulty,) = phq9.extra_questions
    assert difficulty.key == "difficulty"
    assert difficulty.text.startswith("If you checked off any problems, how difficult have these")
    assert [option.label for option in difficulty.options] == [
        "Not difficult at all",
        "Somewhat difficult",
        "Very difficult",
        "Extremely difficult",
    ]
    assert len(phq9.items) == 9


def test_pcl5_clusters_follow_dsm5() -> None:
    pcl5 = BUILTIN["pcl5"]

    assert {cluster.name: cluster.items for cluster in pcl5.scoring.clusters} == {
        "B": (1, 2, 3, 4, 5),
        "C": (6, 7),
        "D": (8, 9, 10, 11, 12, 13, 14),
        "E": (15, 16, 17, 18, 19, 20),
    }
    assert [item.cluster for item in pcl5.items] == list("BBBBBCCDDDDDDDEEEEEE")
    assert pcl5.scoring.diagnosis_rule is not None
    assert pcl5.scoring.diagnosis_rule.threshold == 2
    assert pcl5.scoring.diagnosis_rule.minimum_per_cluster == {"B": 1, "C": 1, "D": 2, "E": 2}


def test_only_phq9_item_9_alerts() -> None:
    assert BUILTIN["phq9"].scoring.alerts == (
        ItemAlert(9, 0, Level.CRISIS, "phq9_item9", shows="crisis"),
    )
    assert BUILTIN["pcl5"].scoring.alerts == ()
    assert BUILTIN["gad7"].scoring.alerts == ()


def test_load_builtin_gives_each_caller_its_own_dict() -> None:
    load_builtin().pop("pcl5")

    assert "pcl5" in load_builtin()


# A small, valid clinic instrument: every broken definition below changes one thing in it.
def clinic_definition() -> dict[str, Any]:
    return {
        "id": "mood3",
        "version": "2024-01",
        "title": "Mood check (3 items)",
        "short_title": "Mood-3",
        "licence": "Licensed to the clinic.",
        "attribution": "Example attribution.",
        "stem": "Over the last week:",
        "options": [
            {"value": 0, "label": "No"},
            {"value": 1, "label": "Some"},
            {"value": 2, "label": "A lot"},
        ],
        "items": [
            {"number": 1, "text": "Low mood"},
            {"number": 2, "text": "Worry"},
            {"number": 3, "text": "Poor sleep"},
        ],
        "scoring": {
            "total": {"min": 0, "max": 6},
            "direction": "higher_is_worse",
            "bands": [
                {"min": 0, "max": 1, "label": "Low"},
                {"min": 2, "max": 3, "label": "Middle"},
                {"min": 4, "max": 6, "label": "High"},
            ],
            "clusters": {
                "A": {"title": "Mood", "items": [1, 2]},
                "B": {"title": "Sleep", "items": [3]},
            },
            "diagnosis_rule": {"threshold": 2, "minimum_per_cluster": {"A": 1, "B": 1}},
            "alerts": [{"item": 1, "above": 1, "level": "call_clinic", "reason": "low_mood"}],
            "change": {"reliable": 2, "meaningful": 3, "source": "Example et al. (2024)."},
            "response": {"reduction_percent": 50, "source": "Example et al. (2024)."},
            "remission": {"below": 2, "name": "remission", "source": "Example et al. (2024)."},
            "returning": {"rise_from_lowest": 3, "source": "Example et al. (2024)."},
        },
    }


EXTRA_QUESTION = {
    "key": "difficulty",
    "text": "How hard has this made your days?",
    "options": [{"value": 0, "label": "Not hard"}, {"value": 1, "label": "Hard"}],
}


def write(folder: Path, definition: dict[str, Any], name: str = "mood3.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(definition), encoding="utf-8")
    return path


def test_a_clinic_folder_with_an_extra_instrument_loads(tmp_path: Path) -> None:
    write(tmp_path, clinic_definition())
    (tmp_path / "README.txt").write_text("Not a definition.", encoding="utf-8")

    loaded = load_folder(tmp_path)

    assert list(loaded) == ["mood3"]
    mood3 = loaded["mood3"]
    assert [item.cluster for item in mood3.items] == ["A", "A", "B"]
    # No "shows": the patient is shown the advice for the alert's own level.
    assert mood3.scoring.alerts == (
        ItemAlert(1, 1, Level.CALL_CLINIC, "low_mood", shows="call_clinic"),
    )
    assert mood3.instructions is None
    assert mood3.extra_questions == ()


def test_an_empty_clinic_folder_loads_nothing(tmp_path: Path) -> None:
    assert load_folder(tmp_path) == {}


def test_a_missing_clinic_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match="is not a folder"):
        load_folder(tmp_path / "nowhere")


def test_a_file_that_is_not_json_is_refused_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "mood3.json").write_text('{"id": "mood3",', encoding="utf-8")

    with pytest.raises(InstrumentError, match=r"mood3\.json: not valid JSON \(line 1"):
        load_folder(tmp_path)


def set_at(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change that sets one field, named like 'scoring.bands.1.min'."""

    def change(definition: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = definition
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[int(last) if isinstance(target, list) else last] = value

    return change


def delete(path: str) -> Callable[[dict[str, Any]], None]:
    """A change that removes one key."""

    def change(definition: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = definition
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        del target[last]

    return change


BROKEN = [
    # (id, change, field named in the error, words in the error)
    ("missing_field", delete("licence"), "licence", "is missing"),
    ("unknown_field", set_at("titel", "Mood"), "titel", "is not a known field"),
    ("misspelt_scoring_field", set_at("scoring.band", []), "scoring.band", "not a known field"),
    ("empty_text", set_at("attribution", ""), "attribution", "non-empty text"),
    ("text_with_stray_space", set_at("items.0.text", "Low mood "), "items[0].text", "spaces"),
    ("bad_id", set_at("id", "Mood 3"), "id", "lower-case"),
    ("id_not_the_file_name", set_at("id", "mood4"), "id", "must match the file name"),
    ("duplicate_item_number", set_at("items.1.number", 1), "items[1].number", "appears twice"),
    ("items_out_of_order", set_at("items.1.number", 3), "items[1].number", "in order"),
    ("item_number_as_text", set_at("items.0.number", "1"), "items[0].number", "whole number"),
    ("no_items", set_at("items", []), "items", "at least one item"),
    ("options_not_contiguous", set_at("options.2.value", 3), "options[2].value", "rise by 1"),
    ("option_value_true", set_at("options.1.value", True), "options[1].value", "whole number"),
    ("option_value_decimal", set_at("options.1.value", 1.0), "options[1].value", "whole number"),
    ("one_option", set_at("options", [{"value": 0, "label": "No"}]), "options", "two answers"),
    ("option_labels_repeat", set_at("options.2.label", "Some"), "options", "label"),
    ("total_range_wrong", set_at("scoring.total.max", 7), "scoring.total", "must be 0 to 6"),
    ("bad_direction", set_at("scoring.direction", "up"), "scoring.direction", "must be one of"),
    ("band_gap", set_at("scoring.bands.1.min", 3), "scoring.bands[1].min", "gap"),
    ("band_overlap", set_at("scoring.bands.1.min", 1), "scoring.bands[1].min", "overlaps"),
    ("band_not_from_lowest", set_at("scoring.bands.0.min", 1), "scoring.bands[0].min", "gap"),
    ("band_short_of_highest", set_at("scoring.bands.2.max", 5), "scoring.bands[2].max", "6"),
    ("band_upside_down", set_at("scoring.bands.1.max", 1), "scoring.bands[1].max", "below"),
    ("band_labels_repeat", set_at("scoring.bands.2.label", "Low"), "scoring.bands", "label"),
    (
        "cluster_item_missing",
        set_at("scoring.clusters.B.items", [3, 4]),
        "scoring.clusters.B.items[1]",
        "no item 4",
    ),
    (
        "item_in_two_clusters",
        set_at("scoring.clusters.B.items", [2, 3]),
        "scoring.clusters.B.items[0]",
        "already in cluster A",
    ),
    ("empty_cluster", set_at("scoring.clusters.B.items", []), "scoring.clusters.B.items", "one"),
    (
        "rule_names_unknown_cluster",
        set_at("scoring.diagnosis_rule.minimum_per_cluster.Z", 1),
        "scoring.diagnosis_rule.minimum_per_cluster.Z",
        "no cluster 'Z'",
    ),
    (
        "rule_asks_more_than_the_cluster_has",
        set_at("scoring.diagnosis_rule.minimum_per_cluster.B", 2),
        "scoring.diagnosis_rule.minimum_per_cluster.B",
        "must be 1 to 1",
    ),
    (
        "rule_threshold_at_lowest_answer",
        set_at("scoring.diagnosis_rule.threshold", 0),
        "scoring.diagnosis_rule.threshold",
        "must be 1 to 2",
    ),
    (
        "rule_without_clusters",
        delete("scoring.clusters"),
        "scoring.diagnosis_rule.minimum_per_cluster.A",
        "no cluster 'A'",
    ),
    ("alert_item_missing", set_at("scoring.alerts.0.item", 4), "scoring.alerts[0].item", "no item"),
    (
        "alert_that_can_never_fire",
        set_at("scoring.alerts.0.above", 2),
        "scoring.alerts[0].above",
        "must be 0 to 1",
    ),
    (
        "alert_level_unknown",
        set_at("scoring.alerts.0.level", "urgent"),
        "scoring.alerts[0].level",
        "must be one of",
    ),
    (
        "alert_shows_unknown_help",
        set_at("scoring.alerts.0.shows", "<b>Call us</b>"),
        "scoring.alerts[0].shows",
        "must be one of",
    ),
    (
        "alert_level_not_an_alert",
        set_at("scoring.alerts.0.level", "expected"),
        "scoring.alerts[0].level",
        "must be one of",
    ),
    (
        "meaningful_below_reliable",
        set_at("scoring.change.meaningful", 1),
        "scoring.change.meaningful",
        "must be 2",
    ),
    ("reliable_zero", set_at("scoring.change.reliable", 0), "scoring.change.reliable", "1 to 6"),
    (
        "alternative_below_reliable",
        set_at("scoring.change.meaningful_alternatives", [{"value": 1, "source": "Other (2020)."}]),
        "scoring.change.meaningful_alternatives[0].value",
        "must be 2",
    ),
    (
        "alternative_the_same_as_meaningful",
        set_at("scoring.change.meaningful_alternatives", [{"value": 3, "source": "Other (2020)."}]),
        "scoring.change.meaningful_alternatives[0].value",
        "already a choice",
    ),
    (
        "alternative_without_source",
        set_at("scoring.change.meaningful_alternatives", [{"value": 4}]),
        "scoring.change.meaningful_alternatives[0].source",
        "missing",
    ),
    (
        "threshold_without_source",
        delete("scoring.change.source"),
        "scoring.change.source",
        "missing",
    ),
    (
        "response_over_100",
        set_at("scoring.response.reduction_percent", 101),
        "scoring.response.reduction_percent",
        "1 to 100",
    ),
    (
        "remission_no_total_can_reach",
        set_at("scoring.remission.below", 0),
        "scoring.remission.below",
        "1 to 6",
    ),
    (
        "remission_unknown_name",
        set_at("scoring.remission.name", "cure"),
        "scoring.remission.name",
        "must be one of",
    ),
    (
        "returning_zero",
        set_at("scoring.returning.rise_from_lowest", 0),
        "scoring.returning.rise_from_lowest",
        "1 to 6",
    ),
    (
        "response_where_higher_is_better",
        set_at("scoring.direction", "higher_is_better"),
        "scoring.response",
        "only understood where higher is worse",
    ),
    ("scoring_not_an_object", set_at("scoring", []), "scoring", "must be an object"),
    ("item_not_an_object", set_at("items.0", "Low mood"), "items[0]", "must be an object"),
    ("text_of_spaces_only", set_at("stem", "   "), "stem", "non-empty text"),
    ("citations_not_a_list", set_at("citations", "Example 2024"), "citations", "must be a list"),
    (
        "bad_alert_reason",
        set_at("scoring.alerts.0.reason", "Low mood"),
        "scoring.alerts[0].reason",
        "lower-case",
    ),
    (
        "bad_cluster_name",
        set_at("scoring.clusters.B-1", {"title": "Sleep", "items": [3]}),
        "scoring.clusters.B-1",
        "letters, digits and _ only",
    ),
    ("empty_clusters", set_at("scoring.clusters", {}), "scoring.clusters", "leave it out"),
    (
        "rule_without_a_cluster",
        set_at("scoring.diagnosis_rule.minimum_per_cluster", {}),
        "scoring.diagnosis_rule.minimum_per_cluster",
        "at least one cluster",
    ),
    (
        "extra_question_keys_repeat",
        set_at("extra_questions", [EXTRA_QUESTION, EXTRA_QUESTION]),
        "extra_questions",
        "each key must be used once",
    ),
    (
        "extra_question_answers_skip_a_value",
        set_at(
            "extra_questions",
            [
                {
                    **EXTRA_QUESTION,
                    "options": [{"value": 0, "label": "No"}, {"value": 2, "label": "Yes"}],
                }
            ],
        ),
        "extra_questions[0].options[1].value",
        "rise by 1",
    ),
    (
        "extra_question_bad_key",
        set_at("extra_questions", [{**EXTRA_QUESTION, "key": "How hard"}]),
        "extra_questions[0].key",
        "lower-case",
    ),
]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_a_broken_definition_is_refused_naming_the_file_and_field(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], field: str, words: str
) -> None:
    definition = copy.deepcopy(clinic_definition())
    change(definition)
    path = write(tmp_path, definition)

    with pytest.raises(InstrumentError) as refused:
        load_folder(tmp_path)

    message = str(refused.value)
    assert message.startswith(f"{path}: {field}: "), message
    assert words in message


def test_a_definition_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mood3.json"
    path.write_text("[]", encoding="utf-8")

    with pytest.raises(InstrumentError, match="must be an object"):
        load_folder(tmp_path)


def shipped(name: str) -> Any:
    """A JSON file shipped in the instruments package, read as any JSON tool would."""
    return json.loads(files("aftercare.care.instruments").joinpath(name).read_text("utf-8"))


def test_the_json_schema_ships_beside_the_definitions() -> None:
    names = {entry.name for entry in files("aftercare.care.instruments").iterdir()}

    assert "instrument.schema.json" in names


@pytest.mark.parametrize("file", ["pcl5.json", "phq9.json", "gad7.json"])
def test_each_builtin_definition_follows_the_json_schema(file: str) -> None:
    # Any JSON Schema tool (an editor, a clinic's own check) reads the schema as the app does.
    schema = shipped("instrument.schema.json")

    Draft202012Validator.check_schema(schema)
    assert list(Draft202012Validator(schema).iter_errors(shipped(file))) == []


ALERT_FIELDS = shipped("instrument.schema.json")["$defs"]["alerts"]["items"]["properties"]


def test_the_schema_allows_exactly_the_alert_levels() -> None:
    levels = ALERT_FIELDS["level"]["enum"]
    assert set(levels) == {level.value for level in Level if level.is_alert}


def test_the_schema_allows_exactly_the_help_a_patient_can_be_shown() -> None:
    shows = ALERT_FIELDS["shows"]["enum"]
    # Each names advice the clinic's content has, in every language.
    assert set(shows) == set(HELP) <= set(DEFAULT_CONTENT["levels"])


def test_a_definition_may_name_its_schema_for_an_editor(tmp_path: Path) -> None:
    write(tmp_path, {"$schema": "./instrument.schema.json", **clinic_definition()})
    # A copy of the schema in the clinic's folder is not taken for a questionnaire.
    schema = files("aftercare.care.instruments").joinpath("instrument.schema.json")
    (tmp_path / "instrument.schema.json").write_text(schema.read_text(encoding="utf-8"))

    assert list(load_folder(tmp_path)) == ["mood3"]


# Translations: published wording in another language, checked to say everything the
# definition says, in the same order, with the same values.

SPANISH = {
    "version": "2024-01-es",
    "source": "The clinic's licensed Spanish form.",
    "title": "Control del ánimo (3 preguntas)",
    "stem": "Durante la última semana:",
    "options": [
        {"value": 0, "label": "No"},
        {"value": 1, "label": "Algo"},
        {"value": 2, "label": "Mucho"},
    ],
    "items": [
        {"number": 1, "text": "Ánimo bajo"},
        {"number": 2, "text": "Preocupación"},
        {"number": 3, "text": "Dormir mal"},
    ],
    "attribution": "Atribución de ejemplo.",
}


def translated_definition() -> dict[str, Any]:
    return {**clinic_definition(), "translations": {"es": copy.deepcopy(SPANISH)}}


def test_a_translation_is_loaded_and_shown_in_its_language_only(tmp_path: Path) -> None:
    write(tmp_path, translated_definition())

    mood3 = load_folder(tmp_path)["mood3"]

    spanish = mood3.wording_in("es")
    assert spanish.language == "es"
    assert [item.text for item in spanish.items] == ["Ánimo bajo", "Preocupación", "Dormir mal"]
    assert [(o.value, o.label) for o in spanish.options] == [(0, "No"), (1, "Algo"), (2, "Mucho")]
    # Another language, or none, gets the definition's own wording.
    assert mood3.wording_in("fr") == mood3.wording_in("en") == mood3.wording
    assert mood3.wording.language == "en" and mood3.wording.items == mood3.items


BROKEN_TRANSLATIONS = [
    # (id, change to translations.es, field named in the error, words in the error)
    ("missing_item", lambda es: es["items"].pop(), "items", "must translate every item: 3 items"),
    (
        "extra_item",
        lambda es: es["items"].append({"number": 4, "text": "Otra"}),
        "items",
        "3 items, as in items, not 4",
    ),
    ("items_out_of_order", set_at("items.1.number", 3), "items[1].number", "must be 2"),
    ("missing_answer", lambda es: es["options"].pop(), "options", "every answer in order"),
    ("answer_scores_differently", set_at("options.1.value", 2), "options", "values [0, 1, 2]"),
    ("answer_labels_repeat", set_at("options.2.label", "Algo"), "options", "label"),
    ("no_source", delete("source"), "source", "is missing"),
    ("no_version", delete("version"), "version", "is missing"),
    ("unknown_field", set_at("titel", "Ánimo"), "titel", "is not a known field"),
    ("empty_item", set_at("items.0.text", ""), "items[0].text", "non-empty text"),
    (
        "instructions_not_in_the_original",
        set_at("instructions", "Lea cada pregunta."),
        "instructions",
        "not in the original",
    ),
    (
        "extra_question_not_in_the_original",
        set_at("extra_questions", [EXTRA_QUESTION]),
        "extra_questions",
        "the same questions in order: none",
    ),
]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [case[1:] for case in BROKEN_TRANSLATIONS],
    ids=[case[0] for case in BROKEN_TRANSLATIONS],
)
def test_a_translation_that_does_not_cover_the_definition_is_refused(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], field: str, words: str
) -> None:
    definition = translated_definition()
    change(definition["translations"]["es"])
    path = write(tmp_path, definition)

    with pytest.raises(InstrumentError) as refused:
        load_folder(tmp_path)

    message = str(refused.value)
    assert message.startswith(f"{path}: translations.es.{field}: "), message
    assert words in message


def test_a_translation_must_translate_the_instructions_and_extra_questions(
    tmp_path: Path,
) -> None:
    definition = translated_definition()
    definition["instructions"] = "Read each question."
    definition["extra_questions"] = [EXTRA_QUESTION]
    path = write(tmp_path, definition)
    with pytest.raises(
        InstrumentError, match=r"translations\.es\.instructions: must be translated"
    ):
        load_folder(tmp_path)

    definition["translations"]["es"]["instructions"] = "Lea cada pregunta."
    write(tmp_path, definition)
    with pytest.raises(InstrumentError) as refused:
        load_folder(tmp_path)
    assert str(refused.value) == (
        f"{path}: translations.es.extra_questions: must translate the same questions in order:"
        " difficulty"
    )

    question = {
        "key": "difficulty",
        "text": "¿Qué tan difícil?",
        "options": [{"value": 0, "label": "Nada"}, {"value": 2, "label": "Mucho"}],
    }
    definition["translations"]["es"]["extra_questions"] = [question]
    write(tmp_path, definition)
    with pytest.raises(InstrumentError, match=r"extra_questions\[0\]\.options: must translate"):
        load_folder(tmp_path)

    question["options"][1]["value"] = 1
    write(tmp_path, definition)
    (loaded,) = load_folder(tmp_path).values()
    assert loaded.wording_in("es").extra_questions[0].options[1].label == "Mucho"


@pytest.mark.parametrize(("language", "words"), [("en", "is not a translation"), ("ES", "two")])
def test_a_translation_needs_another_language_code(
    tmp_path: Path, language: str, words: str
) -> None:
    definition = clinic_definition()
    definition["translations"] = {language: copy.deepcopy(SPANISH)}
    path = write(tmp_path, definition)

    with pytest.raises(InstrumentError) as refused:
        load_folder(tmp_path)

    assert str(refused.value).startswith(f"{path}: translations.{language}: ")
    assert words in str(refused.value)


def test_answers_score_the_same_whatever_the_language() -> None:
    for instrument in BUILTIN.values():
        for wording in instrument.translations.values():
            assert [o.value for o in wording.options] == [o.value for o in instrument.options]
            assert [i.number for i in wording.items] == list(instrument.item_numbers)


@pytest.mark.parametrize(("instrument_id", "record"), [("phq9", "PHQ-9"), ("gad7", "GAD-7")])
def test_phq9_and_gad7_are_in_spanish_word_for_word_as_published(
    instrument_id: str, record: str
) -> None:
    published = published_spanish(record)
    spanish = BUILTIN[instrument_id].wording_in("es")

    assert spanish.language == "es"
    assert spanish.stem == published.stem
    assert tuple(option.label for option in spanish.options) == published.options
    assert tuple(item.text for item in spanish.items) == published.items
    # The GAD-7's own Spanish title line and footer were not seen: its English title, and the
    # credit line the same publisher prints on its Spanish PHQ-9.
    assert spanish.title == (published.title or "GAD-7")
    assert spanish.attribution == published_spanish("PHQ-9").credit_line
    assert spanish.source and spanish.version


def test_the_phq9_difficulty_question_is_in_spanish_as_published() -> None:
    published = published_spanish("PHQ-9")
    (difficulty,) = BUILTIN["phq9"].wording_in("es").extra_questions

    assert difficulty.key == "difficulty"
    assert difficulty.text == published.final_question
    assert tuple(option.label for option in difficulty.options) == published.final_options


def test_the_gad7_says_its_spanish_was_taken_from_copies() -> None:
    source = BUILTIN["gad7"].wording_in("es").source or ""

    assert "copies" in source and "was not seen" in source


def test_the_pcl5_has_no_spanish() -> None:
    assert BUILTIN["pcl5"].translations == {}
    assert BUILTIN["pcl5"].wording_in("es").language == "en"


PUBLISHED_SPANISH = {
    ("phq9", "phqscreeners-spanish-usa-2010"): "047ed0d7efb1",
    ("gad7", "phqscreeners-spanish-usa-copies"): "fa8728e21f45",
}


@pytest.mark.parametrize("instrument_id", ["phq9", "gad7"])
def test_published_spanish_changes_only_with_a_new_version(instrument_id: str) -> None:
    spanish = BUILTIN[instrument_id].wording_in("es")

    assert PUBLISHED_SPANISH[(instrument_id, spanish.version)] == _fingerprint(spanish)
