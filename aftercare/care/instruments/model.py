"""What a questionnaire definition holds, once loaded and checked (see loader.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from aftercare.care.questionnaire_alerts import ItemAlert

# The language of a definition's own wording; its translations are into other languages.
BASE_LANGUAGE = "en"


class InstrumentError(ValueError):
    """A questionnaire definition that cannot be used; the message names the file and field."""

    @classmethod
    def at(cls, where: str, field: str, problem: str) -> InstrumentError:
        """The error for one field of one file, e.g. "phq9.json: items[2].text: ..."."""
        return cls(f"{where}: {field or '(top level)'}: {problem}")


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
class Alternative:
    """Another published value for a threshold, where the sources disagree, with its source."""

    value: int
    source: str


@dataclass(frozen=True)
class ChangeThresholds:
    """How many points of change from baseline are reliable, and clinically meaningful (None
    where the source gives no such threshold)."""

    reliable: int
    meaningful: int | None = None
    source: str = ""
    # Other published values for `meaningful` a clinic may choose instead of it.
    meaningful_alternatives: tuple[Alternative, ...] = ()


@dataclass(frozen=True)
class ResponseThreshold:
    """Response to treatment: a fall from baseline of at least `reduction_percent` per cent."""

    reduction_percent: int
    source: str = ""


@dataclass(frozen=True)
class RemissionThreshold:
    """A total below `below` is remission (or recovery, as `name` says its source calls it)."""

    below: int
    name: str = "remission"
    source: str = ""


@dataclass(frozen=True)
class ReturningThreshold:
    """Symptoms returning: a total this many points above the lowest since the series ended."""

    rise_from_lowest: int
    source: str = ""


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
    response: ResponseThreshold | None = None
    remission: RemissionThreshold | None = None
    returning: ReturningThreshold | None = None


@dataclass(frozen=True)
class Wording:
    """What a patient reads in one language: the published text, never scoring.

    Items, answers and extra questions match the definition's own in number, value and order
    (checks.py), so answers given in any language score the same.
    """

    language: str
    title: str
    stem: str
    options: tuple[Option, ...]
    items: tuple[Item, ...]
    attribution: str
    instructions: str | None = None
    extra_questions: tuple[ExtraQuestion, ...] = ()
    display_name: str | None = None
    source: str | None = None
    version: str | None = None


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
    display_name: str | None = None
    translations: Mapping[str, Wording] = field(default_factory=dict)

    @property
    def wording(self) -> Wording:
        """The definition's own wording, in the base language."""
        return Wording(
            language=BASE_LANGUAGE,
            title=self.title,
            stem=self.stem,
            options=self.options,
            items=self.items,
            attribution=self.attribution,
            instructions=self.instructions,
            extra_questions=self.extra_questions,
            display_name=self.display_name,
            source=self.source,
            version=self.version,
        )

    def wording_in(self, language: str) -> Wording:
        """The published wording in `language`, or in the base language when it has none."""
        return self.translations.get(language) or self.wording

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
