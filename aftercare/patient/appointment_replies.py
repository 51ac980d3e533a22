"""The patient answers an appointment's reminders: "I'll be there" or "I need another time".

From the phone (a notification's action button, or the buttons on Today), the answer goes
through the outbox like a check-in: it may wait on the phone, and is kept once however often it
is sent. From an email, the link opens a page with one button (opening it changes nothing, as a
mail scanner may open it) and needs no linked phone: the signed link is what allows it.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms import HiddenField
from wtforms.validators import AnyOf, InputRequired, Optional, Regexp, ValidationError

from .. import submissions
from ..appointment_replies import (
    CONFIRMED,
    REPLIES,
    ReplyLinkRefused,
    read_reply_link,
    record_reply,
)
from ..care.reminder_rules import APPOINTMENT_KINDS
from ..extensions import csrf, db, limiter
from ..fields import Form
from ..i18n import set_patient_language
from ..models import Appointment, utcnow
from ..patient_access import get_for_patient, patient_required
from ..templating import worded

bp = Blueprint("patient_replies", __name__)

# How the phone's answers come: a notification's button, or Today's.
PHONE_CHANNELS = ("notification", "app")


class ReplyForm(submissions.LongLivedTokenForm):
    """One answer to one appointment, as the outbox sends it."""

    reply = HiddenField(validators=[InputRequired(), AnyOf(REPLIES)])
    channel = HiddenField(validators=[InputRequired(), AnyOf(PHONE_CHANNELS)])
    # The outbox sends one; a plain post (no JavaScript) has none. Either way an answer sent
    # twice is kept once: it is the appointment's state, not a new row.
    idempotency_key = HiddenField(validators=[Optional(), Regexp(submissions.IDEMPOTENCY_KEY)])
    filled_at = HiddenField(validators=[Optional()])

    def validate_filled_at(self, field: HiddenField) -> None:
        if field.data and submissions.believable_time(field.data) is None:
            raise ValidationError("The time the answer was given is not valid.")


class ButtonForm(Form):
    """The email link's page: one button, with nothing but its CSRF token."""


def _today(reply: str) -> str:
    # A query of its own, so that the page is loaded afresh even from Today itself.
    return url_for("patient.today", answered=reply) + "#next-heading"


# The form checks its own CSRF token, with the longer life of a LongLivedTokenForm.
@csrf.exempt
@bp.post("/appointments/<int:appointment_id>/reply")
@patient_required
def reply_from_phone(appointment_id: int) -> ResponseReturnValue:
    """Keep the answer the phone sent (once, whatever the retries)."""
    # Another patient's appointment does not exist for this phone (404), whatever was sent.
    appointment = get_for_patient(Appointment, appointment_id)
    form = ReplyForm(formdata=request.form)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            return submissions.expired()
        return submissions.invalid(lambda: _problem_page(), errors=form.errors)
    now = utcnow()
    at = submissions.believable_time(form.filled_at.data, now) or now
    changed = False
    # After it started, or once cancelled, the answer can no longer help: it is not kept.
    if not appointment.is_cancelled and appointment.starts_at > now:
        changed = record_reply(appointment, form.reply.data, form.channel.data, at)
        db.session.commit()
    return submissions.stored(_today(form.reply.data), changed, reply=appointment.reply)


def _problem_page() -> str:
    message = _("Your answer could not be sent. Please go back to Today and try again.")
    return render_template("error.html", code=422, message=message)


def _page(status: int = 200, **context: object) -> ResponseReturnValue:
    return render_template("patient/appointment_reply.html", **context), status


@bp.route("/appointments/reply/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def reply_from_email(token: str) -> ResponseReturnValue:
    """The page an email's link opens: one button that records the answer."""
    try:
        link = read_reply_link(token)
    except ReplyLinkRefused as refused:
        appointment = refused.appointment
        if appointment is not None:
            set_patient_language(appointment.patient.language)
        clinic = appointment.patient.clinic if appointment is not None else None
        # 400: not a link we made; 410: it was, but its time has passed or changed.
        status = 400 if refused.reason == "invalid" else 410
        return _page(status, problem=refused.reason, clinic=clinic)
    appointment = link.appointment
    patient = appointment.patient
    set_patient_language(patient.language)
    when = worded(appointment.starts_at, patient.clinic.tz)
    context = {
        "appointment": appointment,
        "when": when.text,
        "kind": _(APPOINTMENT_KINDS[appointment.kind]),
        "clinic": patient.clinic,
        "asked": link.reply,
        "confirmed": CONFIRMED,
    }
    form = ButtonForm()
    if form.validate_on_submit():
        record_reply(appointment, link.reply, "email", utcnow())
        db.session.commit()
        return _page(recorded=True, **context)
    if request.method == "POST":
        # The page's token ran out (it was left open for long): the button is shown again.
        return _page(400, form=form, expired_form=True, **context)
    # Opened again after answering: it says what the clinic has, and changes nothing.
    return _page(form=form, recorded=appointment.reply == link.reply, **context)
