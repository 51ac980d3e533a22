"""The dashboard: the clinic's open alerts, most urgent first, and its list of patients."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from .. import audit
from ..extensions import db
from ..models import utcnow
from ..patient_email import email_is_on
from ..questionnaires.service import instruments
from .access import current_clinic
from .alert_details import alert_details
from .blueprint import bp
from .booster_reviews import instrument_names, open_reviews
from .course_forms import BoosterDecisionForm
from .patient_list import list_patients
from .queries import open_alerts
from .reach import unreachable_soon

# The patient list's orders (patient_list.SORTS), as the dashboard names them.
SORT_LABELS = {
    "triage": "Most urgent",
    "recent": "Latest check-in",
    "infusion": "Latest infusion",
    "name": "Name",
}


@bp.get("/")
@login_required
def dashboard() -> ResponseReturnValue:
    clinic = current_clinic()
    queue = open_alerts(
        clinic.id,
        utcnow(),
        overdue_after=timedelta(minutes=current_app.config["ALERT_OVERDUE_MINUTES"]),
    )
    alerts = queue.alerts
    email_on = email_is_on()
    cannot_reach = unreachable_soon(clinic.id, utcnow(), email_on)
    # ?reach=unreachable: only the patients that count (any other value: everyone).
    reach_filter = "unreachable" if request.args.get("reach") == "unreachable" else ""
    listing = list_patients(
        clinic.id,
        utcnow(),
        query=request.args.get("q", ""),
        sort=request.args.get("sort", "triage"),
        page=request.args.get("page", 1, type=int) or 1,
        only=cannot_reach if reach_filter else None,
        email_on=email_on,
    )
    reviews = open_reviews(clinic.id)
    page = render_template(
        "clinic/dashboard.html",
        reviews=reviews,
        review_names=instrument_names(),
        decision_form=BoosterDecisionForm(),
        alerts=alerts,
        details=alert_details(alerts, instruments()),
        waiting=queue.waiting,
        overdue=queue.overdue,
        listing=listing,
        sorts=SORT_LABELS,
        unreachable_soon=cannot_reach,
        reach_filter=reach_filter,
    )
    # Recorded once the page is made, and committed before it is shown: committing first would
    # expire every alert and patient on the page, to be read again one by one while rendering.
    audit.record_each(
        "alert.view",
        clinic_id=clinic.id,
        events=[(alert.patient_id, {"alert_id": alert.id}) for alert in alerts],
    )
    audit.record_each(
        "booster_review.view",
        clinic_id=clinic.id,
        events=[(review.patient_id, {"review_id": review.id}) for review in reviews],
    )
    db.session.commit()
    return page
