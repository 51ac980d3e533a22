"""The "review for a booster" list: recording a clinician's decision on one review."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..care.course import Decision
from ..extensions import db
from ..models import BoosterReview
from ..questionnaires.service import instruments
from .access import current_clinic, get_for_clinic
from .blueprint import bp
from .course_forms import BoosterDecisionForm
from .forms import local_to_utc
from .service import decide_booster_review

# The dashboard shows this many open reviews, oldest first.
REVIEWS_SHOWN = 50


def open_reviews(clinic_id: int) -> list[BoosterReview]:
    """The clinic's reviews waiting for a decision, oldest first."""
    return list(
        db.session.scalars(
            select(BoosterReview)
            .where(BoosterReview.clinic_id == clinic_id, BoosterReview.decided_at.is_(None))
            .options(joinedload(BoosterReview.patient))
            .order_by(BoosterReview.created_at)
            .limit(REVIEWS_SHOWN)
        )
    )


def instrument_names() -> dict[str, str]:
    """Each questionnaire's short title by id, as the list names them: "PCL-5"."""
    return {key: instrument.short_title for key, instrument in instruments().items()}


@bp.post("/booster-reviews/<int:review_id>/decision")
@login_required
def booster_review_decide(review_id: int) -> ResponseReturnValue:
    review = get_for_clinic(BoosterReview, review_id)
    form = BoosterDecisionForm()
    valid = form.validate_on_submit()
    booster_at = None
    if valid and form.booster_needed():
        booster_at = None
        if form.booster_day.data and form.booster_time.data:
            booster_at = local_to_utc(
                form.booster_day.data, form.booster_time.data, current_clinic().tz
            )
            if booster_at is None:
                form.booster_time.errors = ["That time did not exist here: the clocks changed."]
        valid = booster_at is not None
    if not valid:
        page = render_template(
            "clinic/booster_review.html", review=review, form=form, names=instrument_names()
        )
        return page, 422
    if not decide_booster_review(
        review,
        Decision(form.decision.data),
        (form.note.data or "").strip(),
        current_user.id,
        booster_at,
    ):
        flash("A decision was already recorded for this review.")
    else:
        flash(f"Decision recorded for {review.patient.display_name}.")
    return redirect(url_for("clinic.dashboard") + "#reviews-heading", code=303)
