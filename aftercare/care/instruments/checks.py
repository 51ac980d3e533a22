"""The rules for a questionnaire definition that its JSON Schema cannot express.

The schema (instrument.schema.json) has already checked every field's presence and type; what
is left is how fields agree with each other: items numbered as on the published form, bands
that give every possible total exactly one label, alerts on items that exist and answers that
can be given, and translations that cover every item and answer in the same order. The first
broken rule stops loading, naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from .model import BASE_LANGUAGE, InstrumentError

Definition = Mapping[str, Any]


def check_definition(definition: Definition, where: str) -> None:
    """Refuse a schema-valid definition whose fields do not agree with each other."""
    options = definition["options"]
    _check_answers(options, where, "options")
    _check_numbering(definition["items"], where)
    extra_questions = definition.get("extra_questions", [])
    for index, question in enumerate(extra_questions):
        _check_answers(question["options"], where, f"extra_questions[{index}].options")
    keys = [question["key"] for question in extra_questions]
    if len(set(keys)) != len(keys):
        raise InstrumentError.at(where, "extra_questions", "each key must be used once")

    scoring = definition["scoring"]
    numbers = {item["number"] for item in definition["items"]}
    lowest, highest = options[0]["value"], options[-1]["value"]
    total_min, total_max = len(numbers) * lowest, len(numbers) * highest
    total = scoring["total"]
    if (total["min"], total["max"]) != (total_min, total_max):
        raise InstrumentError.at(
            where,
            "scoring.total",
            f"must be {total_min} to {total_max}: {len(numbers)} items, each scoring"
            f" {lowest} to {highest}",
        )
    _check_bands(scoring.get("bands", []), total_min, total_max, where)
    cluster_sizes = _check_clusters(scoring.get("clusters", {}), numbers, where)
    if "diagnosis_rule" in scoring:
        _check_diagnosis_rule(scoring["diagnosis_rule"], cluster_sizes, lowest, highest, where)
    _check_alerts(scoring.get("alerts", []), numbers, lowest, highest, where)
    _check_thresholds(scoring, total_min, total_max, where)
    for language, translation in definition.get("translations", {}).items():
        _check_translation(definition, language, translation, where)


def _check_answers(options: Sequence[Definition], where: str, field: str) -> None:
    # Scoring relies on every value from the lowest to the highest being a real answer.
    for index, (before, after) in enumerate(pairwise(options), start=1):
        if after["value"] != before["value"] + 1:
            raise InstrumentError.at(
                where,
                f"{field}[{index}].value",
                "values must rise by 1 from answer to answer"
                f" ({before['value']} then {after['value']})",
            )
    if len({option["label"] for option in options}) != len(options):
        raise InstrumentError.at(where, field, "each label must be used once")


def _check_numbering(items: Sequence[Definition], where: str) -> None:
    # Missing-answer messages name items by number, so numbers must be the form's own.
    seen: set[int] = set()
    for index, item in enumerate(items):
        number, field = item["number"], f"items[{index}].number"
        if number in seen:
            raise InstrumentError.at(where, field, f"item {number} appears twice")
        if number != index + 1:
            raise InstrumentError.at(
                where, field, f"items must be numbered 1, 2, 3... in order; expected {index + 1}"
            )
        seen.add(number)


def _check_bands(bands: Sequence[Definition], total_min: int, total_max: int, where: str) -> None:
    # Every possible total gets exactly one band: no gaps, no overlaps, nothing outside.
    start = total_min
    for index, band in enumerate(bands):
        low, high = band["min"], band["max"]
        if low > high:
            raise InstrumentError.at(
                where, f"scoring.bands[{index}].max", f"{high} is below min {low}"
            )
        if low != start:
            problem = "overlaps the band before" if low < start else "leaves a gap before it"
            raise InstrumentError.at(
                where, f"scoring.bands[{index}].min", f"{low} {problem}; it must be {start}"
            )
        start = high + 1
    if bands and bands[-1]["max"] != total_max:
        raise InstrumentError.at(
            where,
            f"scoring.bands[{len(bands) - 1}].max",
            f"the last band must end at the highest total, {total_max}",
        )
    if len({band["label"] for band in bands}) != len(bands):
        raise InstrumentError.at(where, "scoring.bands", "each label must be used once")


def _check_clusters(
    clusters: Mapping[str, Definition], numbers: set[int], where: str
) -> dict[str, int]:
    """Check the clusters; the number of items in each, by name."""
    cluster_of: dict[int, str] = {}
    for name, cluster in clusters.items():
        for index, number in enumerate(cluster["items"]):
            field = f"scoring.clusters.{name}.items[{index}]"
            if number not in numbers:
                raise InstrumentError.at(where, field, f"there is no item {number}")
            # Each item belongs to one cluster at most, as in the DSM-5 criteria.
            if number in cluster_of:
                raise InstrumentError.at(
                    where, field, f"item {number} is already in cluster {cluster_of[number]}"
                )
            cluster_of[number] = name
    return {name: len(cluster["items"]) for name, cluster in clusters.items()}


def _check_diagnosis_rule(
    rule: Definition, cluster_sizes: Mapping[str, int], lowest: int, highest: int, where: str
) -> None:
    # A threshold at the lowest answer would count every answered item as a symptom.
    if not lowest < rule["threshold"] <= highest:
        raise InstrumentError.at(
            where, "scoring.diagnosis_rule.threshold", f"must be {lowest + 1} to {highest}"
        )
    for name, minimum in rule["minimum_per_cluster"].items():
        field = f"scoring.diagnosis_rule.minimum_per_cluster.{name}"
        if name not in cluster_sizes:
            raise InstrumentError.at(
                where, field, f"there is no cluster {name!r} in scoring.clusters"
            )
        if not 1 <= minimum <= cluster_sizes[name]:
            raise InstrumentError.at(
                where, field, f"must be 1 to {cluster_sizes[name]}, the items in the cluster"
            )


def _check_alerts(
    alerts: Sequence[Definition], numbers: set[int], lowest: int, highest: int, where: str
) -> None:
    for index, alert in enumerate(alerts):
        field = f"scoring.alerts[{index}]"
        if alert["item"] not in numbers:
            raise InstrumentError.at(where, f"{field}.item", f"there is no item {alert['item']}")
        # At the highest answer the alert could never fire, and that must not go unnoticed.
        if not lowest <= alert["above"] < highest:
            raise InstrumentError.at(where, f"{field}.above", f"must be {lowest} to {highest - 1}")


def _check_thresholds(scoring: Definition, total_min: int, total_max: int, where: str) -> None:
    """Thresholds that can be reached and that agree: a threshold no total can cross would
    quietly classify every patient the same."""
    span = total_max - total_min
    if "change" in scoring:
        reliable = scoring["change"]["reliable"]
        meaningful = scoring["change"].get("meaningful")
        if not 1 <= reliable <= span:
            raise InstrumentError.at(where, "scoring.change.reliable", f"must be 1 to {span}")
        if meaningful is not None and not reliable <= meaningful <= span:
            raise InstrumentError.at(
                where, "scoring.change.meaningful", f"must be {reliable} (reliable) to {span}"
            )
        alternatives = scoring["change"].get("meaningful_alternatives", [])
        if alternatives and meaningful is None:
            raise InstrumentError.at(
                where, "scoring.change.meaningful_alternatives", "needs a meaningful change"
            )
        seen = {meaningful}
        for index, other in enumerate(alternatives):
            field = f"scoring.change.meaningful_alternatives[{index}].value"
            if not reliable <= other["value"] <= span:
                raise InstrumentError.at(where, field, f"must be {reliable} (reliable) to {span}")
            if other["value"] in seen:
                raise InstrumentError.at(where, field, "is already a choice")
            seen.add(other["value"])
    if "response" in scoring and not 1 <= scoring["response"]["reduction_percent"] <= 100:
        raise InstrumentError.at(where, "scoring.response.reduction_percent", "must be 1 to 100")
    if "remission" in scoring and not total_min < scoring["remission"]["below"] <= total_max:
        raise InstrumentError.at(
            where, "scoring.remission.below", f"must be {total_min + 1} to {total_max}"
        )
    if "returning" in scoring and not 1 <= scoring["returning"]["rise_from_lowest"] <= span:
        raise InstrumentError.at(
            where, "scoring.returning.rise_from_lowest", f"must be 1 to {span}"
        )
    # Response, remission and returning all compare with a direction; only "lower is better"
    # instruments have published thresholds of these kinds here.
    kinds = [kind for kind in ("response", "remission", "returning") if kind in scoring]
    if kinds and scoring["direction"] != "higher_is_worse":
        raise InstrumentError.at(
            where, f"scoring.{kinds[0]}", "is only understood where higher is worse"
        )


def _check_translation(
    definition: Definition, language: str, translation: Definition, where: str
) -> None:
    """A translation says everything the definition says, in the same order, with the same
    values: a patient's answers then score the same in every language."""
    field = f"translations.{language}"
    if language == BASE_LANGUAGE:
        raise InstrumentError.at(
            where,
            field,
            f"the definition's own wording is in {BASE_LANGUAGE}; it is not a translation",
        )
    _check_same_values(definition["options"], translation["options"], where, f"{field}.options")
    _check_answers(translation["options"], where, f"{field}.options")
    own = [item["number"] for item in definition["items"]]
    translated = [item["number"] for item in translation["items"]]
    if len(translated) != len(own):
        raise InstrumentError.at(
            where,
            f"{field}.items",
            f"must translate every item: {len(own)} items, as in items, not {len(translated)}",
        )
    for index, (number, expected) in enumerate(zip(translated, own, strict=True)):
        if number != expected:
            raise InstrumentError.at(
                where, f"{field}.items[{index}].number", f"must be {expected}, as in items"
            )
    if ("instructions" in definition) != ("instructions" in translation):
        needed = "must be translated" if "instructions" in definition else "are not in the original"
        raise InstrumentError.at(where, f"{field}.instructions", needed)
    own_questions = definition.get("extra_questions", [])
    questions = translation.get("extra_questions", [])
    own_keys = [question["key"] for question in own_questions]
    if [question["key"] for question in questions] != own_keys:
        expected = ", ".join(own_keys) or "none"
        raise InstrumentError.at(
            where,
            f"{field}.extra_questions",
            f"must translate the same questions in order: {expected}",
        )
    for index, (question, own_question) in enumerate(zip(questions, own_questions, strict=True)):
        options = f"{field}.extra_questions[{index}].options"
        _check_same_values(own_question["options"], question["options"], where, options)
        _check_answers(question["options"], where, options)


def _check_same_values(
    own: Sequence[Definition], translated: Sequence[Definition], where: str, field: str
) -> None:
    # A translated answer must score what the original scores: same answers, same order.
    own_values = [option["value"] for option in own]
    values = [option["value"] for option in translated]
    if values != own_values:
        raise InstrumentError.at(
            where,
            field,
            f"must translate every answer in order, with the values {own_values}, not {values}",
        )
