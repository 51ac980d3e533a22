"""The patient's progress page: each questionnaire in words first (against the score before
the first infusion, calmly; a worsening says to talk with the clinic, never a verdict), then a
calm chart that says what it shows (the questionnaire's name in words, which way is better, its
bands, the infusions)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from markupsafe import Markup

from ..care.instruments import Instrument
from ..care.instruments.catalog import band_label, better_way, display_name
from ..care.measurement import IMPROVED, WORSENED, Classification, Kind
from ..charts import Marker, Point, Series, TableRow, chart_table, line_chart, score_bands
from ..models import Patient, QuestionnaireResponse
from .due import due_for
from .outcomes import outcome
from .service import history
from .thresholds import instruments_for_clinic

Gettext = Callable[..., str]


@dataclass(frozen=True)
class Progress:
    """One questionnaire on the progress page."""

    instrument: Instrument
    name: str  # "Depression (PHQ-9)"
    better: str  # "Lower is better."
    responses: list[QuestionnaireResponse]
    latest_band: str | None
    in_words: list[str]  # the latest score against the baseline, in plain sentences
    chart: Markup | None
    table: list[TableRow]
    due: bool


def progress(patient: Patient, language: str, _: Gettext) -> list[Progress]:
    """Every questionnaire the app offers, with the patient's own scores and whether it is due."""
    due = {occurrence.instrument_id for occurrence in due_for(patient)}
    infusions = [Marker(infusion.ended_at, _("Infusion")) for infusion in patient.infusions]
    found = []
    for instrument in instruments_for_clinic(patient.clinic_id).values():
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
                in_words=_in_words(instrument, outcome(patient, instrument, responses).latest, _),
                chart=chart,
                table=table,
                due=instrument.id in due,
            )
        )
    return found


def _in_words(instrument: Instrument, found: Classification | None, _: Gettext) -> list[str]:
    """The latest score against the baseline, for the patient: what changed, calmly."""
    if found is None or found.kind is Kind.MISSED:
        return []
    name = instrument.short_title
    if found.kind is Kind.BASELINE:
        return [_("This is your starting score. Later scores will be compared with it.")]
    if found.kind is Kind.NO_BASELINE or found.delta is None:
        return [
            _(
                "There is no %(name)s score from before your first infusion, so there is"
                " nothing to compare it with yet.",
                name=name,
            )
        ]
    points = abs(found.delta)
    words: list[str] = []
    if found.kind is Kind.MEANINGFUL_IMPROVEMENT:
        words.append(
            _(
                "Your %(name)s score is %(points)s points lower than before your first"
                " infusion — a meaningful change.",
                name=name,
                points=points,
            )
        )
    elif found.kind in IMPROVED:
        words.append(
            _(
                "Your %(name)s score is %(points)s points lower than before your first"
                " infusion — more than day-to-day ups and downs.",
                name=name,
                points=points,
            )
        )
    elif found.kind in WORSENED:
        words.append(
            _(
                "Your %(name)s score is %(points)s points higher than before your first infusion.",
                name=name,
                points=points,
            )
        )
        words.append(_("Please talk with your clinic about how you have been feeling."))
    elif found.kind is Kind.CHANGE_NOT_RATED and found.delta:
        words.append(
            _(
                "Your %(name)s score has changed by %(change)s since before your first infusion.",
                name=name,
                change=f"{found.delta:+d}",
            )
        )
    elif found.delta < 0:
        words.append(
            _("Your %(name)s score is a little lower than before your first infusion.", name=name)
        )
    elif found.delta > 0:
        words.append(
            _("Your %(name)s score is a little higher than before your first infusion.", name=name)
        )
    else:
        words.append(_("Your %(name)s score is the same as before your first infusion.", name=name))
    if found.response and found.kind not in WORSENED:
        words.append(_("That is half or less of your score before your first infusion."))
    if found.remission and instrument.scoring.remission:
        words.append(
            _(
                "A score below %(below)s is in the lowest range.",
                below=instrument.scoring.remission.below,
            )
        )
    return words


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
