"""The patient's reminders: turning push on and off for this phone, and calendar files."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import db
from ..models import Appointment
from ..patient_access import current_device, current_patient, get_for_patient, patient_required
from ..reminders.calendar import appointment_calendar
from ..reminders.endpoints import EndpointUnresolved
from ..reminders.push_subscriptions import (
    SubscriptionError,
    check_reachable,
    device_subscription,
    note_installed,
    parse_installed,
    parse_subscription,
    remove_subscription,
    save_subscription,
)

bp = Blueprint("patient_reminders", __name__)


@bp.post("/push/subscription")
@patient_required
def subscribe() -> ResponseReturnValue:
    """Store this phone's push subscription (the page sends it after the patient says yes)."""
    try:
        data = request.get_json(silent=True)
        info = parse_subscription(data)
        installed = parse_installed(data)
        check_reachable(info)
    except SubscriptionError as error:
        return _refused(error), 422
    except EndpointUnresolved:
        message = _(
            "Aftercare could not check this browser's notification service just now. "
            "Please try again in a few minutes."
        )
        response = jsonify(error="push_service_unreachable", message=message)
        response.headers["Retry-After"] = "300"
        return response, 503
    device = current_device()
    for attempt in range(2):
        save_subscription(device, info, installed)
        audit.record(
            "push.subscribe", clinic_id=device.patient.clinic_id, patient_id=device.patient_id
        )
        try:
            db.session.commit()
            break
        except IntegrityError:
            # The same phone sent it twice at once, and the other request saved first.
            db.session.rollback()
            if attempt:
                raise
    return jsonify(reminders="on"), 201


@bp.patch("/push/subscription")
@patient_required
def update_subscription() -> ResponseReturnValue:
    """Note whether this subscribed phone runs Aftercare from its Home Screen (the page sends
    it when that changed)."""
    try:
        installed = parse_installed(request.get_json(silent=True), required=True)
    except SubscriptionError as error:
        return _refused(error), 422
    subscription = device_subscription(current_device())
    if subscription is None:
        return jsonify(error="no_subscription", message="reminders are off on this phone"), 404
    note_installed(subscription, installed)
    db.session.commit()
    return jsonify(installed=installed)


def _refused(error: SubscriptionError) -> ResponseReturnValue:
    """The 422 answer: what the page tells the patient, and the rule, for whoever debugs it."""
    if error.code == "malformed":
        message = _(
            "This browser sent something Aftercare cannot use. Please try again, "
            "or use another browser."
        )
    else:
        message = _(
            "Aftercare cannot send reminders through this browser's notification service. "
            "Please use Chrome, Safari, Firefox or Edge."
        )
    return jsonify(
        error="invalid_subscription", reason=error.code, detail=error.detail, message=message
    )


@bp.delete("/push/subscription")
@patient_required
def unsubscribe() -> ResponseReturnValue:
    data = request.get_json(silent=True)
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return jsonify(error="invalid_subscription", message="send the endpoint to remove"), 422
    device = current_device()
    removed = remove_subscription(device, endpoint)
    if removed:
        audit.record(
            "push.unsubscribe", clinic_id=device.patient.clinic_id, patient_id=device.patient_id
        )
    db.session.commit()
    return jsonify(reminders="off", removed=removed)


@bp.get("/appointments/<int:appointment_id>.ics")
@patient_required
def calendar_file(appointment_id: int) -> ResponseReturnValue:
    patient = current_patient()
    # A cancelled appointment has no calendar file: it is gone, as far as the phone can tell.
    appointment = get_for_patient(Appointment, appointment_id, cancelled_at=None)
    response = Response(
        appointment_calendar(appointment, patient.clinic.name), mimetype="text/calendar"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="appointment-{appointment.id}.ics"'
    )
    return response
