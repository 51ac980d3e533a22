"""The charts on a clinician's patient page, built from the patient's records."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from markupsafe import Markup

from ..care.instruments import Instrument
from ..care.symptoms import GRADED
from ..charts import Marker, Point, Series, TableRow, chart_table, line_chart
from ..models import CheckIn, Infusion, QuestionnaireResponse

GRADED_CODES = tuple(symptom.code for symptom in GRADED)
LEVEL_WORDS = {
    "expected": "expected",
    "call_clinic": "call the clinic",
    "crisis": "crisis",
    "emergency": "emergency",
}


def side_effect_chart(
    check_ins: Sequence[CheckIn], infusions: Sequence[Infusion], tz: ZoneInfo
) -> tuple[Markup, list[TableRow]]:
    """The worst side effect at each check-in (0-3), with the infusions marked."""
    points = []
    for check_in in check_ins:
        worst = max((check_in.severities.get(code, 0) for code in GRADED_CODES), default=0)
        points.append(
            Point(check_in.received_at, worst, f"triage: {LEVEL_WORDS[check_in.triage_level]}")
        )
    series = [Series("Worst side effect (0 none to 3 very much)", points, "worst")]
    markers = [Marker(infusion.ended_at, "Infusion") for infusion in infusions]
    svg = line_chart(
        series,
        title="Side effects over time",
        description="The most severe side effect the patient reported at each check-in, "
        "from 0 (none) to 3 (very much), with infusions marked.",
        y_min=0,
        y_max=3,
        y_ticks=[0, 1, 2, 3],
        y_label="Severity",
        tz=tz,
        id_prefix="side-effects",
        markers=markers,
    )
    return svg, chart_table(series, tz, markers=markers)


def questionnaire_charts(
    responses: Sequence[QuestionnaireResponse],
    infusions: Sequence[Infusion],
    instruments: dict[str, Instrument],
    tz: ZoneInfo,
) -> list[tuple[str, Markup, list[TableRow]]]:
    """One chart per instrument answered (PCL-5, PHQ-9, ...), totals with infusions marked."""
    charts = []
    markers = [Marker(infusion.ended_at, "Infusion") for infusion in infusions]
    for instrument_id, instrument in instruments.items():
        answered = [r for r in responses if r.instrument_id == instrument_id]
        if not answered:
            continue
        points = [Point(r.received_at, r.total, r.band or "") for r in answered]
        series = [Series(f"{instrument.short_title} total", points, instrument_id)]
        scoring = instrument.scoring
        svg = line_chart(
            series,
            title=f"{instrument.short_title} totals",
            description=f"{instrument.short_title} totals from {scoring.total_min} to "
            f"{scoring.total_max}, with infusions marked.",
            y_min=scoring.total_min,
            y_max=scoring.total_max,
            y_label="Total",
            tz=tz,
            id_prefix=f"totals-{instrument_id}",
            markers=markers,
        )
        charts.append((instrument.short_title, svg, chart_table(series, tz, markers=markers)))
    return charts
