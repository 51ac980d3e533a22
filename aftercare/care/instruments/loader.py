"""Loading questionnaire definitions: read, check against the schema and the rules, build.

Every definition is checked strictly on load, so a typo stops start-up with the file and field
named instead of scoring a patient wrongly. instrument.schema.json, beside the definitions,
says what each field must be; checks.py adds what a schema cannot say.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import extend

from aftercare.care.questionnaire_alerts import ItemAlert
from aftercare.care.triage import Level

from .checks import check_definition
from .model import (
    Alternative,
    Band,
    ChangeThresholds,
    Cluster,
    DiagnosisRule,
    Direction,
    ExtraQuestion,
    Instrument,
    InstrumentError,
    Item,
    Option,
    RemissionThreshold,
    ResponseThreshold,
    ReturningThreshold,
    Scoring,
    Wording,
)

SCHEMA_FILE = "instrument.schema.json"


def load_builtin() -> dict[str, Instrument]:
    """The instruments shipped with the app, by id."""
    return dict(_builtin())


@cache
def _builtin() -> tuple[tuple[str, Instrument], ...]:
    definitions = sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in files(__package__).iterdir()
        if _is_definition(entry.name)
    )
    return tuple(_load_all(definitions).items())


def load_folder(path: str | Path) -> dict[str, Instrument]:
    """A clinic's extra licensed instruments: every *.json file in one folder, by id."""
    folder = Path(path)
    if not folder.is_dir():
        raise InstrumentError(f"{folder}: is not a folder of instrument definitions")
    definitions = [
        (str(file), file.read_text(encoding="utf-8"))
        for file in sorted(folder.glob("*.json"))
        if _is_definition(file.name)
    ]
    return _load_all(definitions)


def _is_definition(name: str) -> bool:
    # A copy of the schema beside the definitions (for an editor) is not a questionnaire.
    return name.endswith(".json") and not name.endswith(".schema.json")


def _load_all(definitions: Iterable[tuple[str, str]]) -> dict[str, Instrument]:
    instruments: dict[str, Instrument] = {}
    for where, text in definitions:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InstrumentError(
                f"{where}: not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}"
            ) from None
        instrument = parse_definition(data, where)
        # The file name is the id, so a clinic can find the file behind any stored answer.
        if instrument.id != Path(where).stem:
            raise InstrumentError.at(
                where, "id", f"{instrument.id!r} must match the file name {Path(where).name!r}"
            )
        instruments[instrument.id] = instrument
    return instruments


def parse_definition(data: Any, where: str) -> Instrument:
    """Check one definition strictly and build it; `where` names it in error messages."""
    error = best_match(_validator().iter_errors(data))
    if error is not None:
        field, problem = _explain(error)
        raise InstrumentError.at(where, field, problem)
    check_definition(data, where)
    return _build(data)


# JSON Schema counts 2.0 as an integer; a whole number here is an int, and never true/false.
_TYPES = Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
)
_StrictValidator = extend(Draft202012Validator, type_checker=_TYPES)


@cache
def _validator() -> Draft202012Validator:
    schema = json.loads(files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))
    _StrictValidator.check_schema(schema)
    return _StrictValidator(schema)


_TYPE_PROBLEMS = {
    "object": "must be an object",
    "array": "must be a list",
    "string": "must be text",
}


def _explain(error: ValidationError) -> tuple[str, str]:
    """The field a schema error is about, as "scoring.bands[1].min", and the problem in words."""
    path = list(error.absolute_path)
    instance, schema, keyword = error.instance, error.schema, str(error.validator)
    if keyword == "required":
        path.append(sorted(set(error.validator_value) - set(instance))[0])
        return _field(path), "is missing"
    if keyword == "additionalProperties":
        path.append(sorted(set(instance) - set(schema.get("properties", {})))[0])
        return _field(path), "is not a known field"
    if "propertyNames" in error.relative_schema_path:
        # A key of an object that is not a good name: the key is the field.
        path.append(instance)
    message = schema.get("errorMessage", {}).get(keyword) if isinstance(schema, dict) else None
    if message:
        return _field(path), message
    if keyword == "type" and error.validator_value == "integer":
        return _field(path), f"must be a whole number, not {json.dumps(instance)}"
    if keyword == "type":
        return _field(path), _TYPE_PROBLEMS.get(str(error.validator_value), error.message)
    if keyword == "enum":
        return _field(path), f"must be one of {', '.join(map(str, error.validator_value))}"
    return _field(path), error.message


def _field(path: list[Any]) -> str:
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return name


def _options(entries: list[dict[str, Any]]) -> tuple[Option, ...]:
    return tuple(Option(entry["value"], entry["label"]) for entry in entries)


def _items(entries: list[dict[str, Any]], cluster_of: Mapping[int, str]) -> tuple[Item, ...]:
    return tuple(
        Item(item["number"], item["text"], cluster_of.get(item["number"])) for item in entries
    )


def _extra_questions(entries: list[dict[str, Any]]) -> tuple[ExtraQuestion, ...]:
    return tuple(
        ExtraQuestion(question["key"], question["text"], _options(question["options"]))
        for question in entries
    )


def _translation(language: str, data: Mapping[str, Any], cluster_of: Mapping[int, str]) -> Wording:
    return Wording(
        language=language,
        title=data["title"],
        stem=data["stem"],
        options=_options(data["options"]),
        items=_items(data["items"], cluster_of),
        attribution=data["attribution"],
        instructions=data.get("instructions"),
        extra_questions=_extra_questions(data.get("extra_questions", [])),
        display_name=data.get("display_name"),
        source=data["source"],
        version=data["version"],
    )


def _build(data: Mapping[str, Any]) -> Instrument:
    scoring = data["scoring"]
    clusters = tuple(
        Cluster(name, cluster["title"], tuple(cluster["items"]))
        for name, cluster in scoring.get("clusters", {}).items()
    )
    cluster_of = {number: cluster.name for cluster in clusters for number in cluster.items}
    rule = scoring.get("diagnosis_rule")
    change, response = scoring.get("change"), scoring.get("response")
    remission, returning = scoring.get("remission"), scoring.get("returning")
    return Instrument(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        short_title=data["short_title"],
        licence=data["licence"],
        attribution=data["attribution"],
        stem=data["stem"],
        options=_options(data["options"]),
        items=_items(data["items"], cluster_of),
        scoring=Scoring(
            total_min=scoring["total"]["min"],
            total_max=scoring["total"]["max"],
            direction=Direction(scoring["direction"]),
            bands=tuple(
                Band(band["min"], band["max"], band["label"]) for band in scoring.get("bands", [])
            ),
            clusters=clusters,
            diagnosis_rule=(
                DiagnosisRule(rule["threshold"], dict(rule["minimum_per_cluster"]))
                if rule
                else None
            ),
            alerts=tuple(
                ItemAlert(
                    item=alert["item"],
                    above=alert["above"],
                    level=Level(alert["level"]),
                    reason=alert["reason"],
                    # Left out, the patient sees the advice for the alert's own level.
                    shows=alert.get("shows", alert["level"]),
                )
                for alert in scoring.get("alerts", [])
            ),
            change=(
                ChangeThresholds(
                    change["reliable"],
                    change.get("meaningful"),
                    change["source"],
                    tuple(
                        Alternative(other["value"], other["source"])
                        for other in change.get("meaningful_alternatives", [])
                    ),
                )
                if change
                else None
            ),
            response=(
                ResponseThreshold(response["reduction_percent"], response["source"])
                if response
                else None
            ),
            remission=(
                RemissionThreshold(remission["below"], remission["name"], remission["source"])
                if remission
                else None
            ),
            returning=(
                ReturningThreshold(returning["rise_from_lowest"], returning["source"])
                if returning
                else None
            ),
        ),
        instructions=data.get("instructions"),
        citations=tuple(data.get("citations", [])),
        source=data.get("source"),
        extra_questions=_extra_questions(data.get("extra_questions", [])),
        display_name=data.get("display_name"),
        translations={
            language: _translation(language, wording, cluster_of)
            for language, wording in data.get("translations", {}).items()
        },
    )
