"""The charts on a clinician's patient page, built from the patient's records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from markupsafe import Markup

from ..care.instruments import Instrument
from ..care.instruments.catalog import better_way, display_name
from ..care.symptoms import GRADED
from ..charts import Marker, Point, Series, TableRow, chart_table, line_chart, score_bands
from ..models import CheckIn, Infusion, QuestionnaireResponse
from .labels import LEVEL_WORDS

GRADED_CODES = tuple(symptom.code for symptom in GRADED)
SIDE_EFFECTS_NOTE = (
    f"Each dot is the worst of the {len(GRADED)} graded side effects at that check-in, from 0"
    " (none) to 3 (very much): one symptom rated 3 shows as 3, however the others were rated."
    " Red flags answered yes or no are not plotted; the table names the worst side effect."
)


@dataclass(frozen=True)
class Chart:
    """A chart with its visible title and note, and its text alternative."""

    title: str
    note: str
    svg: Markup
    rows: list[TableRow]


def _worst(check_in: CheckIn) -> tuple[int, list[str]]:
    """The highest severity among the graded side effects, and which of them had it."""
    severities = {code: check_in.severities.get(code, 0) for code in GRADED_CODES}
    worst = max(severities.values(), default=0)
    names = [s.label for s in GRADED if worst > 0 and severities[s.code] == worst]
    return worst, names


def side_effect_chart(
    check_ins: Sequence[CheckIn], infusions: Sequence[Infusion], tz: ZoneInfo
) -> Chart:
    """The worst side effect at each check-in (0-3), with the infusions marked."""
    points = []
    for check_in in check_ins:
        worst, names = _worst(check_in)
        label = f"triage: {LEVEL_WORDS[check_in.triage_level]}"
        if names:
            label = f"worst: {', '.join(names)}; {label}"
        points.append(Point(check_in.received_at, worst, label))
    series = [Series("Worst side effect (0 none to 3 very much)", points, "worst")]
    markers = [Marker(infusion.ended_at, "Infusion") for infusion in infusions]
    title = "Worst side effect at each check-in"
    svg = line_chart(
        series,
        title=title,
        description=f"{SIDE_EFFECTS_NOTE} Infusions are marked.",
        y_min=0,
        y_max=3,
        y_ticks=[0, 1, 2, 3],
        y_label="Worst severity",
        tz=tz,
        id_prefix="side-effects",
        markers=markers,
    )
    return Chart(title, SIDE_EFFECTS_NOTE, svg, chart_table(series, tz, markers=markers))


def questionnaire_charts(
    responses: Sequence[QuestionnaireResponse],
    infusions: Sequence[Infusion],
    instruments: dict[str, Instrument],
    tz: ZoneInfo,
) -> list[Chart]:
    """One chart per instrument answered: totals over its bands, with infusions marked."""
    charts = []
    markers = [Marker(infusion.ended_at, "Infusion") for infusion in infusions]
    for instrument_id, instrument in instruments.items():
        answered = [r for r in responses if r.instrument_id == instrument_id]
        if not answered:
            continue
        name = display_name(instrument, "en", str)
        better = better_way(instrument, str)
        points = [Point(r.received_at, r.total, r.band or "") for r in answered]
        series = [Series(f"{instrument.short_title} total", points, instrument_id)]
        scoring = instrument.scoring
        bands = score_bands(scoring)
        note = f"Totals from {scoring.total_min} to {scoring.total_max}. {better}"
        if bands:
            note += " Shaded: " + ", ".join(f"{b.label} {b.min}-{b.max}" for b in scoring.bands)
            note += "."
        title = f"{name}: totals"
        svg = line_chart(
            series,
            title=title,
            description=f"{note} Infusions are marked.",
            y_min=scoring.total_min,
            y_max=scoring.total_max,
            y_label="Total",
            tz=tz,
            id_prefix=f"totals-{instrument_id}",
            markers=markers,
            bands=bands,
        )
        charts.append(Chart(title, note, svg, chart_table(series, tz, markers=markers)))
    return charts
