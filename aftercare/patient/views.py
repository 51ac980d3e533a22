"""Patient pages: enrollment, Today, the check-in and its result, help."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from sqlalchemy import bindparam, func, select

from .. import audit, submissions
from ..care.instructions import MorningAnswers, ready_to_drive, timed_instructions
from ..care.reminder_rules import APPOINTMENT_KINDS
from ..care.symptoms import GRADED, NOTE_MAX_LENGTH, SYMPTOMS_BY_CODE, YES_NO
from ..care.triage import RULES_BY_CODE, Level, rules_for_browser
from ..courses import day_in_words, position_of
from ..enrollment import LinkProblem, check_link, redeem_link
from ..extensions import csrf, db
from ..i18n import (
    LANGUAGE_COOKIE,
    content_for,
    current_language,
    page_text,
    sentence,
    supported,
    translator,
)
from ..models import Appointment, CheckIn, Clinic, Infusion, Patient, utcnow
from ..patient_access import (
    current_device,
    current_patient,
    get_for_patient,
    patient_required,
    set_device_cookie,
)
from ..questionnaires.due import due_for
from ..questionnaires.service import instruments
from ..reminders.push_subscriptions import device_subscription, vapid_public_key
from ..templating import tel, worded
from .advice import advice_for, open_advice, reason_text
from .checkins import CheckInData, save_check_in
from .forms import URGENT_CODES, CheckInForm
from .install import device_kind, how_to_allow_notifications
from .language import note_language
from .learn import article_for_today

bp = Blueprint("patient", __name__)

RECENT_CHECK_INS = 5
UPCOMING_APPOINTMENTS = 5
# How long after an infusion Today says what to expect that night and the next day, and asks
# for a check-in first thing.
EXPECT_FOR = timedelta(hours=36)
CHECK_IN_FIRST_FOR = timedelta(hours=48)


@bp.get("/")
def home() -> ResponseReturnValue:
    if current_device() is not None:
        return redirect(url_for("patient.today"))
    return render_template("patient/landing.html")


def _link_problem_page(problem: LinkProblem) -> ResponseReturnValue:
    status = {LinkProblem.UNKNOWN: 404, LinkProblem.TOO_MANY_DEVICES: 409}.get(problem, 410)
    return render_template(
        "patient/enroll_problem.html",
        problem=problem.value,
        max_devices=current_app.config["MAX_DEVICES"],
    ), status


@bp.get("/enroll/<token>")
def enroll(token: str) -> ResponseReturnValue:
    """Ask before using the link: message previews and scanners also open links."""
    checked = check_link(token, max_devices=current_app.config["MAX_DEVICES"])
    if isinstance(checked, LinkProblem):
        return _link_problem_page(checked)
    return render_template(
        "patient/enroll.html", token=token, clinic_name=checked.patient.clinic.name
    )


@bp.post("/enroll/<token>")
def enroll_confirm(token: str) -> ResponseReturnValue:
    redeemed = redeem_link(
        token,
        label=request.user_agent.string[:120],
        max_devices=current_app.config["MAX_DEVICES"],
    )
    if isinstance(redeemed, LinkProblem):
        return _link_problem_page(redeemed)
    db.session.flush()
    patient = redeemed.device.patient
    # A language chosen on the enrollment page is this patient's choice from now on.
    chosen = supported(request.cookies.get(LANGUAGE_COOKIE))
    if chosen and patient.language is None:
        note_language(patient, chosen=chosen)
    audit.record(
        "device.enroll",
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        detail={"device_id": redeemed.device.id},
    )
    db.session.commit()
    # The token leaves the address bar here: the patient lands on a plain /today.
    response = redirect(url_for("patient.today"), code=303)
    set_device_cookie(response, redeemed.token)
    return response


def _instructions(clinic: Clinic, content: dict[str, Any]) -> dict[str, Any] | None:
    patient = current_patient()
    infusion = patient.latest_infusion
    if infusion is None:
        return None
    now = utcnow()
    language = current_language()
    items = timed_instructions(
        infusion.ended_at,
        now,
        clinic.tz,
        content["windows"],
        content["timed"],
        language,
        translator(language),
    )
    driving = next(item for item in items if item.key == "driving")
    # Only a check-in that says the patient slept can clear driving, and only once the
    # window is over: until then no check-in is read.
    slept = (
        db.session.scalars(
            select(CheckIn.severities).where(
                CheckIn.patient_id == patient.id,
                CheckIn.received_at >= infusion.ended_at,
                CheckIn.slept.is_(True),
            )
        )
        if driving.is_over
        else []
    )
    answers = [
        MorningAnswers(
            True,
            # A question left unanswered says nothing about a clear head.
            severities.get("dissociation"),
            severities.get("confusion_hallucinations"),
        )
        for severities in slept
    ]
    cleared = ready_to_drive(driving.is_over, answers)
    # The window is over but the morning check-in has not said "slept, clear-headed".
    driving_waits = driving.is_over and not cleared
    in_force = [item for item in items if not item.is_over]
    # The most important rule still in force leads the page (they come most important first).
    first = driving if driving_waits else (in_force[0] if in_force else None)
    since = now - infusion.ended_at
    return {
        "infusion": infusion,
        "ended": worded(
            infusion.ended_at,
            clinic.tz,
            lambda when: sentence(_("Your infusion ended %(when)s."), when=when),
        ),
        "first": first,
        "items": [item for item in items if item is not first],
        "driving_waits": driving_waits,
        "all_over": all(item.is_over for item in items) and cleared,
        "expect": since < EXPECT_FOR,
        "check_in_first": driving_waits or since < CHECK_IN_FIRST_FOR,
    }


@bp.get("/today")
@patient_required
def today() -> ResponseReturnValue:
    patient = current_patient()
    clinic = patient.clinic
    content = content_for(clinic)
    recent = db.session.scalars(
        select(CheckIn)
        .where(CheckIn.patient_id == patient.id)
        .order_by(CheckIn.received_at.desc())
        .limit(RECENT_CHECK_INS)
    ).all()
    upcoming = db.session.scalars(
        select(Appointment)
        .where(
            Appointment.patient_id == patient.id,
            Appointment.cancelled_at.is_(None),
            Appointment.starts_at > utcnow(),
        )
        .order_by(Appointment.starts_at)
        .limit(UPCOMING_APPOINTMENTS)
    ).all()
    open_check_in = open_advice(recent[0] if recent else None)
    # The install steps and notification help of the phone that asks (Today is no-store: no
    # cache hands one phone's page to another).
    device = device_kind(request.user_agent.string)
    return render_template(
        "patient/today.html",
        device=device,
        page_words=page_text("countdown", "outbox", "push") | how_to_allow_notifications(device),
        patient=patient,
        timed=_instructions(clinic, content),
        advice=advice_for(open_check_in, content) if open_check_in else None,
        recent=[(check_in, worded(check_in.received_at, clinic.tz)) for check_in in recent],
        upcoming=[
            (appointment, worded(appointment.starts_at, clinic.tz)) for appointment in upcoming
        ],
        due_questionnaires=[
            (occurrence, instruments().get(occurrence.instrument_id))
            for occurrence in due_for(patient)
            if occurrence.instrument_id in instruments()
        ],
        kinds={kind: _(name) for kind, name in APPOINTMENT_KINDS.items()},
        reminders_on=device_subscription(current_device()) is not None,
        vapid_key=vapid_public_key(current_app._get_current_object()),  # type: ignore[attr-defined]
        levels=content["levels"],
        tz=clinic.tz,
        course=_course(patient),
        learn_now=article_for_today(patient, content),
    )


def _course(patient: Patient) -> dict[str, Any] | None:
    """Where the patient is in their course, and the next infusion's day in words."""
    position = position_of(patient)
    if position is None:
        return None
    today = utcnow().astimezone(patient.clinic.tz).date()
    next_day = position.next_on and day_in_words(position.next_on, today, current_language())
    return {"position": position, "next_day": next_day}


@bp.get("/help")
@patient_required
def help_page() -> ResponseReturnValue:
    return render_template("patient/help.html")


def _offline_triage_data(
    content: dict[str, Any], infusion_ended: datetime | None
) -> dict[str, Any]:
    """What the phone needs to tell the patient what to do when it cannot reach us."""
    patient = current_patient()
    return {
        "rules": rules_for_browser(),
        "levels": content["levels"],
        "reasons": {code: reason_text(content, code) for code in RULES_BY_CODE},
        "options": content["crisis"]["options"],
        "infusion_ended_at": infusion_ended.isoformat() if infusion_ended else None,
        "phones": {
            "crisis": tel(content["crisis"]["line"]),
            "emergency": tel(content["crisis"]["emergency"]),
            "clinic": tel(patient.clinic.phone),
        },
    }


# When the patient's latest infusion ended, without loading their infusions.
_LATEST_INFUSION_END = select(func.max(Infusion.ended_at)).where(
    Infusion.patient_id == bindparam("patient_id")
)


def _asks_about_sleep(infusion_ended: datetime | None) -> bool:
    """The morning after (or from the morning reminder): ask whether the patient slept."""
    if request.args.get("morning") or request.form.get("slept"):
        return True
    return infusion_ended is not None and utcnow() - infusion_ended >= timedelta(hours=8)


def _asks_about_the_ride_home(patient_id: int, infusion_ended: datetime | None) -> bool:
    """Only the first check-in after an infusion asks whether a driver took the patient home."""
    if request.form.get("got_home_safely"):
        return True
    if infusion_ended is None:
        return False
    since = select(CheckIn.id).where(
        CheckIn.patient_id == patient_id, CheckIn.received_at >= infusion_ended
    )
    return db.session.scalar(since.limit(1)) is None


def _render_form(form: CheckInForm) -> str:
    patient = current_patient()
    content = content_for(patient.clinic)
    infusion_ended = db.session.scalar(_LATEST_INFUSION_END, {"patient_id": patient.id})
    urgent = [SYMPTOMS_BY_CODE[code] for code in URGENT_CODES]
    others = [s for s in YES_NO if s.code not in URGENT_CODES]
    return render_template(
        "patient/check_in.html",
        form=form,
        urgent=urgent,
        graded=GRADED,
        others=others,
        note_max=NOTE_MAX_LENGTH,
        ask_sleep=_asks_about_sleep(infusion_ended),
        ask_driver=_asks_about_the_ride_home(patient.id, infusion_ended),
        triage_data=_offline_triage_data(content, infusion_ended),
    )


@bp.get("/check-in")
@patient_required
def check_in_form() -> ResponseReturnValue:
    form = CheckInForm()
    # Without JavaScript the key comes from here, so a double submit is still stored once;
    # with it, the page makes a fresh key for each submission.
    form.idempotency_key.data = uuid.uuid4().hex
    return _render_form(form)


# The check-in form checks its own CSRF token, with the longer life of a LongLivedTokenForm.
@csrf.exempt
@bp.post("/check-in")
@patient_required
def check_in_submit() -> ResponseReturnValue:
    # Form bodies only (the page and the outbox send those); a JSON body is not read as a form.
    form = CheckInForm(formdata=request.form)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            return submissions.expired()
        return submissions.invalid(lambda: _render_form(form), errors=form.errors)

    data = CheckInData(
        idempotency_key=form.idempotency_key.data,
        severities=form.severities(),
        systolic=form.systolic.data,
        diastolic=form.diastolic.data,
        heart_rate=form.heart_rate.data,
        got_home_safely=form.got_home(),
        slept=form.slept_last_night(),
        note=(form.note.data or "").strip(),
        filled_at=form.filled_at_time(),
    )
    # A database that cannot be reached answers 503 (aftercare.errors): the phone keeps it.
    check_in, created = save_check_in(current_patient(), current_device(), data)
    return submissions.stored(
        url_for("patient.check_in_result", check_in_id=check_in.id),
        created,
        id=check_in.id,
        level=check_in.triage_level,
        reasons=check_in.triage_reasons,
        received_at=check_in.received_at.isoformat(),
    )


@bp.get("/form-token")
@patient_required
def form_token() -> ResponseReturnValue:
    """A fresh CSRF token for a form that waited on the phone longer than its token lives."""
    response = make_response(jsonify(csrf_token=generate_csrf()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/check-ins/<int:check_in_id>")
@patient_required
def check_in_result(check_in_id: int) -> ResponseReturnValue:
    patient = current_patient()
    check_in = get_for_patient(CheckIn, check_in_id)
    content = content_for(patient.clinic)
    reported = [
        _(SYMPTOMS_BY_CODE[code].label)
        for code, value in check_in.severities.items()
        if value and code in SYMPTOMS_BY_CODE
    ]
    return render_template(
        "patient/result.html",
        advice=advice_for(check_in, content),
        level=Level(check_in.triage_level),
        reported=reported,
        received=worded(
            check_in.received_at,
            patient.clinic.tz,
            lambda when: sentence(_("Check-in received %(when)s."), when=when),
        ),
    )
