"""Validated questionnaires as data: one versioned JSON definition per instrument.

The built-in definitions (PCL-5 past-week, PHQ-9, GAD-7) sit beside this file. A clinic adds
another licensed instrument by dropping a JSON file of the same shape in a folder, with no code.
Item wording, answer labels and notices are published text: copy them exactly, because the
validation studies used that wording. Every definition is checked strictly on load, so a typo
stops start-up with the file and field named instead of scoring a patient wrongly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files
from itertools import pairwise
from pathlib import Path
from typing import Any, NoReturn

from aftercare.care.triage import Level

__all__ = [
    "Band",
    "ChangeThresholds",
    "Cluster",
    "DiagnosisRule",
    "Direction",
    "ExtraQuestion",
    "Instrument",
    "InstrumentError",
    "Item",
    "ItemAlert",
    "Option",
    "Scoring",
    "load_builtin",
    "load_folder",
    "parse_definition",
]

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_CLUSTER_NAME = re.compile(r"[A-Za-z0-9_]+")
ALERT_LEVELS = frozenset(level for level in Level if level.is_alert)


class InstrumentError(ValueError):
    """A questionnaire definition that cannot be used; the message names the file and field."""


class Direction(StrEnum):
    """Which way a total moves when the patient is doing worse."""

    HIGHER_IS_WORSE = "higher_is_worse"
    HIGHER_IS_BETTER = "higher_is_better"


@dataclass(frozen=True)
class Option:
    """One answer a patient can choose, with the value it scores."""

    value: int
    label: str


@dataclass(frozen=True)
class Item:
    """One scored question, numbered as on the published form."""

    number: int
    text: str
    cluster: str | None = None


@dataclass(frozen=True)
class ExtraQuestion:
    """A question asked with the instrument but never scored (e.g. the PHQ-9 difficulty one)."""

    key: str
    text: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Band:
    """A severity label for totals from min to max, both included."""

    min: int
    max: int
    label: str


@dataclass(frozen=True)
class Cluster:
    """A named group of items whose answers add up to a cluster score."""

    name: str
    title: str
    items: tuple[int, ...]


@dataclass(frozen=True)
class DiagnosisRule:
    """Provisional diagnosis: enough items rated at least `threshold` in every named cluster."""

    threshold: int
    minimum_per_cluster: Mapping[str, int]


@dataclass(frozen=True)
class ItemAlert:
    """An answer to one item above `above` alerts the care team, whatever the total."""

    item: int
    above: int
    level: Level
    reason: str


@dataclass(frozen=True)
class ChangeThresholds:
    """How many points of change from baseline are reliable, and clinically meaningful."""

    reliable: int
    meaningful: int


@dataclass(frozen=True)
class Scoring:
    """How answers become a total, bands, cluster scores and alerts."""

    total_min: int
    total_max: int
    direction: Direction
    bands: tuple[Band, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    diagnosis_rule: DiagnosisRule | None = None
    alerts: tuple[ItemAlert, ...] = ()
    change: ChangeThresholds | None = None


@dataclass(frozen=True)
class Instrument:
    """One version of one questionnaire: its published wording and how to score it."""

    id: str
    version: str
    title: str
    short_title: str
    licence: str
    attribution: str
    stem: str
    options: tuple[Option, ...]
    items: tuple[Item, ...]
    scoring: Scoring
    instructions: str | None = None
    citations: tuple[str, ...] = ()
    source: str | None = None
    extra_questions: tuple[ExtraQuestion, ...] = ()

    @property
    def min_answer(self) -> int:
        """The lowest value an item can score."""
        return self.options[0].value

    @property
    def max_answer(self) -> int:
        """The highest value an item can score."""
        return self.options[-1].value

    @property
    def item_numbers(self) -> tuple[int, ...]:
        """Every scored item's number, in order."""
        return tuple(item.number for item in self.items)


def load_builtin() -> dict[str, Instrument]:
    """The instruments shipped with the app, by id."""
    return dict(_builtin())


@cache
def _builtin() -> tuple[tuple[str, Instrument], ...]:
    folder = files(__package__)
    definitions = sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )
    return tuple(_load_all(definitions).items())


def load_folder(path: str | Path) -> dict[str, Instrument]:
    """A clinic's extra licensed instruments: every *.json file in one folder, by id."""
    folder = Path(path)
    if not folder.is_dir():
        raise InstrumentError(f"{folder}: is not a folder of instrument definitions")
    definitions = [
        (str(file), file.read_text(encoding="utf-8")) for file in sorted(folder.glob("*.json"))
    ]
    return _load_all(definitions)


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
            _fail(where, "id", f"{instrument.id!r} must match the file name {Path(where).name!r}")
        instruments[instrument.id] = instrument
    return instruments


def parse_definition(data: Any, where: str) -> Instrument:
    """Check one definition strictly and build it; `where` names it in error messages."""
    top = _Fields(
        data,
        where,
        "",
        required={"id", "version", "title", "short_title", "licence", "attribution", "stem"}
        | {"options", "items", "scoring"},
        optional={"instructions", "citations", "source", "extra_questions"},
    )
    instrument_id = top.text("id")
    if not _NAME.fullmatch(instrument_id):
        _fail(where, "id", "use lower-case letters, digits and _ only, starting with a letter")
    options = _options(top, "options")
    items = _items(top)
    extra_questions = tuple(
        _extra_question(top.nested(entry, f"extra_questions[{index}]"))
        for index, entry in enumerate(top.array("extra_questions", optional=True))
    )
    keys = [question.key for question in extra_questions]
    if len(set(keys)) != len(keys):
        _fail(where, "extra_questions", "each key must be used once")
    scoring, item_clusters = _scoring(top.nested(top.get("scoring"), "scoring"), options, items)
    return Instrument(
        id=instrument_id,
        version=top.text("version"),
        title=top.text("title"),
        short_title=top.text("short_title"),
        licence=top.text("licence"),
        attribution=top.text("attribution"),
        stem=top.text("stem"),
        options=options,
        items=tuple(
            Item(number, text, item_clusters.get(number)) for number, text in items.items()
        ),
        scoring=scoring,
        instructions=top.optional_text("instructions"),
        citations=tuple(
            top.item_text(entry, f"citations[{index}]")
            for index, entry in enumerate(top.array("citations", optional=True))
        ),
        source=top.optional_text("source"),
        extra_questions=extra_questions,
    )


def _options(fields: _Fields, key: str) -> tuple[Option, ...]:
    entries = fields.array(key)
    if len(entries) < 2:
        fields.fail(key, "needs at least two answers")
    options = []
    for index, entry in enumerate(entries):
        option = fields.nested(entry, f"{fields.name(key)}[{index}]", required={"value", "label"})
        options.append(Option(option.integer("value"), option.text("label")))
    # Scoring relies on every value from the lowest to the highest being a real answer.
    for index, (before, after) in enumerate(pairwise(options), start=1):
        if after.value != before.value + 1:
            fields.fail(
                f"{key}[{index}].value",
                f"values must rise by 1 from answer to answer ({before.value} then {after.value})",
            )
    if len({option.label for option in options}) != len(options):
        fields.fail(key, "each label must be used once")
    return tuple(options)


def _items(top: _Fields) -> dict[int, str]:
    entries = top.array("items")
    if not entries:
        top.fail("items", "needs at least one item")
    items: dict[int, str] = {}
    for index, entry in enumerate(entries):
        item = top.nested(entry, f"items[{index}]", required={"number", "text"})
        number = item.integer("number")
        if number in items:
            item.fail("number", f"item {number} appears twice")
        # Missing-answer messages name items by number, so numbers must be the form's own.
        if number != index + 1:
            item.fail("number", f"items must be numbered 1, 2, 3... in order; expected {index + 1}")
        items[number] = item.text("text")
    return items


def _extra_question(fields: _Fields) -> ExtraQuestion:
    fields.check_keys(required={"key", "text", "options"})
    key = fields.text("key")
    if not _NAME.fullmatch(key):
        fields.fail("key", "use lower-case letters, digits and _ only, starting with a letter")
    return ExtraQuestion(key, fields.text("text"), _options(fields, "options"))


def _scoring(
    fields: _Fields, options: tuple[Option, ...], items: Mapping[int, str]
) -> tuple[Scoring, dict[int, str]]:
    fields.check_keys(
        required={"total", "direction"},
        optional={"bands", "clusters", "diagnosis_rule", "alerts", "change"},
    )
    total = fields.nested(fields.get("total"), "scoring.total", required={"min", "max"})
    total_min, total_max = total.integer("min"), total.integer("max")
    expected = (len(items) * options[0].value, len(items) * options[-1].value)
    if (total_min, total_max) != expected:
        total.fail(
            "",
            f"must be {expected[0]} to {expected[1]}: {len(items)} items, each scoring"
            f" {options[0].value} to {options[-1].value}",
        )
    direction = fields.text("direction")
    if direction not in set(Direction):
        fields.fail("direction", f"must be one of {', '.join(Direction)}")
    bands = _bands(fields, total_min, total_max)
    clusters, item_clusters = _clusters(fields, items)
    scoring = Scoring(
        total_min=total_min,
        total_max=total_max,
        direction=Direction(direction),
        bands=bands,
        clusters=clusters,
        diagnosis_rule=_diagnosis_rule(fields, options, clusters),
        alerts=_alerts(fields, options, items),
        change=_change(fields, total_max - total_min),
    )
    return scoring, item_clusters


def _bands(fields: _Fields, total_min: int, total_max: int) -> tuple[Band, ...]:
    bands = []
    for index, entry in enumerate(fields.array("bands", optional=True)):
        band = fields.nested(entry, f"scoring.bands[{index}]", required={"min", "max", "label"})
        low, high = band.integer("min"), band.integer("max")
        if low > high:
            band.fail("max", f"{high} is below min {low}")
        # Every possible total gets exactly one band: no gaps, no overlaps, nothing outside.
        start = bands[-1].max + 1 if bands else total_min
        if low != start:
            problem = "overlaps the band before" if low < start else "leaves a gap before it"
            band.fail("min", f"{low} {problem}; it must be {start}")
        bands.append(Band(low, high, band.text("label")))
    if bands and bands[-1].max != total_max:
        fields.fail(
            f"bands[{len(bands) - 1}].max",
            f"the last band must end at the highest total, {total_max}",
        )
    if len({band.label for band in bands}) != len(bands):
        fields.fail("bands", "each label must be used once")
    return tuple(bands)


def _clusters(
    fields: _Fields, items: Mapping[int, str]
) -> tuple[tuple[Cluster, ...], dict[int, str]]:
    if "clusters" not in fields.data:
        return (), {}
    entries = fields.nested(fields.get("clusters"), "scoring.clusters")
    clusters: list[Cluster] = []
    item_clusters: dict[int, str] = {}
    for name, entry in entries.data.items():
        if not _CLUSTER_NAME.fullmatch(name):
            entries.fail(name, "use letters, digits and _ only")
        cluster = entries.nested(entry, f"scoring.clusters.{name}", required={"title", "items"})
        numbers = cluster.array("items")
        if not numbers:
            cluster.fail("items", "needs at least one item")
        for index, number in enumerate(numbers):
            field = f"items[{index}]"
            number = cluster.item_integer(number, field)
            if number not in items:
                cluster.fail(field, f"there is no item {number}")
            # Each item belongs to one cluster at most, as in the DSM-5 criteria.
            if number in item_clusters:
                cluster.fail(field, f"item {number} is already in cluster {item_clusters[number]}")
            item_clusters[number] = name
        clusters.append(Cluster(name, cluster.text("title"), tuple(numbers)))
    if not clusters:
        fields.fail("clusters", "leave it out rather than empty")
    return tuple(clusters), item_clusters


def _diagnosis_rule(
    fields: _Fields, options: tuple[Option, ...], clusters: tuple[Cluster, ...]
) -> DiagnosisRule | None:
    if "diagnosis_rule" not in fields.data:
        return None
    rule = fields.nested(
        fields.get("diagnosis_rule"),
        "scoring.diagnosis_rule",
        required={"threshold", "minimum_per_cluster"},
    )
    threshold = rule.integer("threshold")
    # A threshold at the lowest answer would count every answered item as a symptom.
    if not options[0].value < threshold <= options[-1].value:
        rule.fail("threshold", f"must be {options[0].value + 1} to {options[-1].value}")
    sizes = {cluster.name: len(cluster.items) for cluster in clusters}
    minimums = rule.nested(
        rule.get("minimum_per_cluster"), "scoring.diagnosis_rule.minimum_per_cluster"
    )
    if not minimums.data:
        rule.fail("minimum_per_cluster", "needs at least one cluster")
    for name in minimums.data:
        if name not in sizes:
            minimums.fail(name, f"there is no cluster {name!r} in scoring.clusters")
        minimum = minimums.integer(name)
        if not 1 <= minimum <= sizes[name]:
            minimums.fail(name, f"must be 1 to {sizes[name]}, the items in the cluster")
    return DiagnosisRule(threshold, dict(minimums.data))


def _alerts(
    fields: _Fields, options: tuple[Option, ...], items: Mapping[int, str]
) -> tuple[ItemAlert, ...]:
    alerts = []
    for index, entry in enumerate(fields.array("alerts", optional=True)):
        alert = fields.nested(
            entry, f"scoring.alerts[{index}]", required={"item", "above", "level", "reason"}
        )
        item = alert.integer("item")
        if item not in items:
            alert.fail("item", f"there is no item {item}")
        above = alert.integer("above")
        # At the highest answer the alert could never fire, and that must not go unnoticed.
        if not options[0].value <= above < options[-1].value:
            alert.fail("above", f"must be {options[0].value} to {options[-1].value - 1}")
        level = alert.text("level")
        if level not in ALERT_LEVELS:
            alert.fail("level", f"must be one of {', '.join(sorted(ALERT_LEVELS))}")
        reason = alert.text("reason")
        if not _NAME.fullmatch(reason):
            alert.fail("reason", "use lower-case letters, digits and _ only")
        alerts.append(ItemAlert(item, above, Level(level), reason))
    return tuple(alerts)


def _change(fields: _Fields, span: int) -> ChangeThresholds | None:
    if "change" not in fields.data:
        return None
    change = fields.nested(
        fields.get("change"), "scoring.change", required={"reliable", "meaningful"}
    )
    reliable, meaningful = change.integer("reliable"), change.integer("meaningful")
    if not 1 <= reliable <= span:
        change.fail("reliable", f"must be 1 to {span}")
    if not reliable <= meaningful <= span:
        change.fail("meaningful", f"must be {reliable} (reliable) to {span}")
    return ChangeThresholds(reliable, meaningful)


def _fail(where: str, field: str, problem: str) -> NoReturn:
    raise InstrumentError(f"{where}: {field or '(top level)'}: {problem}")


class _Fields:
    """One JSON object of a definition, read strictly: wrong types and unknown keys are errors."""

    def __init__(
        self,
        data: Any,
        where: str,
        path: str,
        required: set[str] | None = None,
        optional: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        self.where, self.path = where, path
        if not isinstance(data, dict):
            _fail(where, path, "must be an object")
        self.data: dict[str, Any] = data
        if required is not None:
            self.check_keys(required, optional)

    def check_keys(
        self, required: set[str], optional: set[str] | frozenset[str] = frozenset()
    ) -> None:
        """Refuse missing keys, and unknown ones: a misspelt optional key would be ignored."""
        for key in sorted(required - set(self.data)):
            self.fail(key, "is missing")
        for key in sorted(set(self.data) - required - set(optional)):
            self.fail(key, "is not a known field")

    def name(self, key: str) -> str:
        """The full field name of one key, as shown in errors."""
        return f"{self.path}.{key}" if self.path and key else self.path or key

    def fail(self, key: str, problem: str) -> NoReturn:
        """Stop loading, naming the file and this field."""
        _fail(self.where, self.name(key), problem)

    def get(self, key: str) -> Any:
        """The raw value of a key that must be present."""
        if key not in self.data:
            self.fail(key, "is missing")
        return self.data[key]

    def nested(
        self,
        data: Any,
        path: str,
        required: set[str] | None = None,
        optional: set[str] | frozenset[str] = frozenset(),
    ) -> _Fields:
        """An object inside this one, named by its full path."""
        return _Fields(data, self.where, path, required, optional)

    def text(self, key: str) -> str:
        """A required, non-empty string."""
        return self.item_text(self.get(key), key)

    def optional_text(self, key: str) -> str | None:
        """A string that may be left out."""
        return self.text(key) if key in self.data else None

    def item_text(self, value: Any, key: str) -> str:
        """A non-empty string with no stray spaces at either end (a sign of a bad copy)."""
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "must be non-empty text")
        if value != value.strip():
            self.fail(key, "has spaces at its start or end")
        return value

    def integer(self, key: str) -> int:
        """A required whole number."""
        return self.item_integer(self.get(key), key)

    def item_integer(self, value: Any, key: str) -> int:
        """A whole number; true/false and 2.0 are refused, though Python would take them."""
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(key, f"must be a whole number, not {json.dumps(value)}")
        return value

    def array(self, key: str, *, optional: bool = False) -> list[Any]:
        """A list, or an empty one when an optional key is left out."""
        if optional and key not in self.data:
            return []
        value = self.get(key)
        if not isinstance(value, list):
            self.fail(key, "must be a list")
        return value
