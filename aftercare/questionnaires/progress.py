"""The patient's progress page: each questionnaire's scores as a calm chart that says what it
shows (the questionnaire's name in words, which way is better, its bands, the infusions)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from markupsafe import Markup

from ..care.instruments import Instrument
from ..care.instruments.catalog import band_label, better_way, display_name
from ..charts import Marker, Point, Series, TableRow, chart_table, line_chart, score_bands
from ..models import Patient, QuestionnaireResponse
from .due import due_for
from .service import history, instruments

Gettext = Callable[..., str]


@dataclass(frozen=True)
class Progress:
    """One questionnaire on the progress page."""

    instrument: Instrument
    name: str  # "Depression (PHQ-9)"
    better: str  # "Lower is better."
    responses: list[QuestionnaireResponse]
    latest_band: str | None
    chart: Markup | None
    table: list[TableRow]
    due: bool


def progress(patient: Patient, language: str, _: Gettext) -> list[Progress]:
    """Every questionnaire the app offers, with the patient's own scores and whether it is due."""
    due = {occurrence.instrument_id for occurrence in due_for(patient)}
    infusions = [Marker(infusion.ended_at, _("Infusion")) for infusion in patient.infusions]
    found = []
    for instrument in instruments().values():
        responses = history(patient, instrument.id)
        name = display_name(instrument, language, _)
        better = better_way(instrument, _)
        chart, table = None, []
        if responses:
            chart, table = _chart(
                instrument, name, better, responses, infusions, patient, language, _
            )
        found.append(
            Progress(
                instrument=instrument,
                name=name,
                better=better,
                responses=responses,
                latest_band=_band(responses[-1], _) if responses else None,
                chart=chart,
                table=table,
                due=instrument.id in due,
            )
        )
    return found


def _band(response: QuestionnaireResponse, _: Gettext) -> str | None:
    return band_label(response.band, _) if response.band else None


def _chart(
    instrument: Instrument,
    name: str,
    better: str,
    responses: Iterable[QuestionnaireResponse],
    infusions: list[Marker],
    patient: Patient,
    language: str,
    _: Gettext,
) -> tuple[Markup, list[TableRow]]:
    tz = patient.clinic.tz
    points = [Point(r.received_at, r.total, _band(r, _) or "") for r in responses]
    series = [Series(name, points, "mine")]
    bands = score_bands(instrument.scoring, _)
    scoring = instrument.scoring
    description = [
        _(
            "Your score each time you answered, from %(low)s to %(high)s.",
            low=scoring.total_min,
            high=scoring.total_max,
        ),
        better,
    ]
    if bands:
        description.append(_("Shaded bands show the levels of the score."))
    if infusions:
        description.append(_("Dashed lines mark your infusions."))
    chart = line_chart(
        series,
        title=_("%(name)s: your scores", name=name),
        description=" ".join(description),
        y_min=scoring.total_min,
        y_max=scoring.total_max,
        y_label=_("Score"),
        tz=tz,
        locale=language,
        translate=_,
        id_prefix=f"mine-{instrument.id}",
        markers=infusions,
        bands=bands,
        calm=True,
        width=400,
        height=260,
    )
    return chart, chart_table(series, tz, markers=infusions, locale=language)
