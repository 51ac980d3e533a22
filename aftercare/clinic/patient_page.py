"""The clinician's page for one patient, rendered from the patient's record.

Shared by the views that show it again with a form's errors (an infusion or an appointment
that could not be saved).
"""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from .. import audit
from ..care.reminder_rules import APPOINTMENT_KINDS
from ..care.symptoms import SYMPTOMS_BY_CODE
from ..extensions import db
from ..models import Patient, utcnow
from ..patient_email import email_is_on, email_of
from ..questionnaires.service import instruments
from ..reminders.states import ReminderState
from .access import current_clinic
from .alert_details import alert_details
from .charts import questionnaire_charts, side_effect_chart
from .course_forms import CourseForm
from .course_panel import course_panel
from .forms import AppointmentForm, ClinicEmailForm, InfusionForm, RevokeForm
from .journal_entries import record_viewed, shared_entries
from .labels import REMINDER_WORDS
from .queries import patient_record
from .reach import reach_of
from .timeline import timeline


def render_patient(
    patient: Patient,
    infusion_form: InfusionForm | None = None,
    appointment_form: AppointmentForm | None = None,
    status: int = 200,
    course_form: CourseForm | None = None,
) -> ResponseReturnValue:
    """The patient page; forms with errors are passed back in to show them."""
    clinic = current_clinic()
    record = patient_record(patient)
    today = utcnow().astimezone(clinic.tz).date()
    if infusion_form is None:
        infusion_form = InfusionForm()
        infusion_form.day.data = today
    if appointment_form is None:
        appointment_form = AppointmentForm()
        appointment_form.day.data = today
    side_effects = side_effect_chart(record.check_ins, patient.infusions, clinic.tz)
    score_charts = questionnaire_charts(
        record.responses, patient.infusions, instruments(), clinic.tz
    )
    timeline_entries = timeline(
        patient.infusions,
        record.check_ins,
        record.alerts,
        record.appointments,
        record.reminders,
        record.responses,
    )
    journal_entries = shared_entries(patient)
    page = render_template(
        "clinic/patient.html",
        journal_entries=journal_entries,
        side_effects=side_effects,
        timeline_entries=timeline_entries,
        score_charts=score_charts,
        missed_questionnaires=record.missed_questionnaires,
        patient=patient,
        check_ins=record.check_ins,
        alerts=record.alerts,
        details=alert_details(record.alerts, instruments()),
        appointments=record.appointments,
        reminders=record.reminders,
        subscriptions=record.subscriptions,
        kinds=APPOINTMENT_KINDS,
        now=utcnow(),
        infusion_form=infusion_form,
        appointment_form=appointment_form,
        button_form=RevokeForm(),
        symptoms=SYMPTOMS_BY_CODE,
        states=ReminderState,
        reminder_words=REMINDER_WORDS,
        course=course_panel(patient, record.responses, course_form),
        email=email_of(patient),
        email_on=email_is_on(),
        reach=reach_of([patient.id], email_is_on())[patient.id],
        email_form=ClinicEmailForm(),
    )
    # Recorded once the page is made, and committed before it is shown: committing first would
    # expire every record on the page, to be read again one by one while rendering.
    audit.record("patient.view", clinic_id=clinic.id, patient_id=patient.id)
    record_viewed(patient, journal_entries)
    db.session.commit()
    return page, status
