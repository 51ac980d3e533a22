"""Learn: the clinic's short articles about the treatment, readable offline like Today."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue

from ..care.learn import Article, article_for_moment, clinic_articles, render_markdown
from ..i18n import current_language
from ..models import Patient, utcnow
from ..patient_access import current_patient, patient_required

bp = Blueprint("learn", __name__)


def _articles(patient: Patient) -> list[Article]:
    """The articles the patient's clinic shows, in the page's language."""
    return clinic_articles((patient.clinic.content or {}).get("learn"), current_language())


def article_for_today(patient: Patient, content: dict[str, Any]) -> Article | None:
    """The one article that fits the patient's moment, if the clinic shows it."""
    infusion = patient.latest_infusion
    slug = article_for_moment(
        utcnow(),
        infusion.ended_at if infusion is not None else None,
        patient.clinic.tz,
        content["reminders"]["morning_hour"],
    )
    return next((article for article in _articles(patient) if article.slug == slug), None)


@bp.get("/learn")
@patient_required
def index() -> ResponseReturnValue:
    return render_template("patient/learn.html", articles=_articles(current_patient()))


@bp.get("/learn/<slug>")
@patient_required
def article(slug: str) -> ResponseReturnValue:
    found = next((a for a in _articles(current_patient()) if a.slug == slug), None)
    if found is None:
        abort(404)
    return render_template(
        "patient/learn_article.html", article=found, body=render_markdown(found.text.body)
    )
