"""A change to a patient's course is one step: every reminder replanned, audited, committed.

Recording an infusion, and booking, changing or cancelling an appointment, each replan the
thing's own reminders and the patient's questionnaire reminders, write one audit row, and
commit, all at once or not at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from aftercare.clinic import service
from aftercare.models import Appointment, AuditEvent, Infusion, Reminder, utcnow
from aftercare.questionnaires.due import course_of
from aftercare.reminders.rows import plan_questionnaires
from tests.clinic.http_browser import HttpBrowser
from tests.clinic.test_appointments import book, future_day
from tests.conftest import add_patient, book_appointment, csrf_from

NEW_YORK = ZoneInfo("America/New_York")


def questionnaire_reminders(db, patient, state: str) -> list[Reminder]:  # noqa: ANN001
    return list(
        db.session.scalars(
            select(Reminder).where(
                Reminder.patient_id == patient.id,
                Reminder.kind.startswith("questionnaire_"),
                Reminder.state == state,
            )
        )
    )


def plan_questionnaires_now(db, patient) -> set[int]:  # noqa: ANN001
    """The patient's questionnaire reminders as planned before the change: their ids."""
    plan_questionnaires(patient, course_of(patient))
    db.session.commit()
    planned = {r.id for r in questionnaire_reminders(db, patient, "pending")}
    assert planned
    return planned


def assert_questionnaires_replanned(db, patient, before: set[int]) -> None:  # noqa: ANN001
    """The ones planned before were cancelled, and a new plan waits in their place."""
    db.session.rollback()  # read what is committed now
    cancelled = {r.id for r in questionnaire_reminders(db, patient, "cancelled")}
    pending = questionnaire_reminders(db, patient, "pending")
    assert before <= cancelled
    assert pending and not before & {r.id for r in pending}


def audit_events(db, action: str) -> list[AuditEvent]:  # noqa: ANN001
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def infusion_form_data(page: str) -> dict[str, str]:
    """An infusion that ended ten minutes ago, both times on the same day in the clinic."""
    ended = datetime.now(UTC).astimezone(NEW_YORK).replace(second=0, microsecond=0)
    ended -= timedelta(minutes=10)
    started = ended - timedelta(minutes=40)
    if started.date() != ended.date():
        ended -= timedelta(hours=1)
        started -= timedelta(hours=1)
    return {
        "csrf_token": csrf_from(page),
        "day": ended.date().isoformat(),
        "started": started.strftime("%H:%M"),
        "ended": ended.strftime("%H:%M"),
    }


# --- Through the views ------------------------------------------------------------------------


def test_recording_the_first_infusion_plans_its_prompts_and_starts_the_questionnaires(
    clinician_client, db, clinic, clinician
):
    patient = add_patient(db, clinic, "Dana", hours_ago=None)
    assert questionnaire_reminders(db, patient, "pending") == []
    page = clinician_client.get(f"/clinic/patients/{patient.id}").text
    response = clinician_client.post(
        f"/clinic/patients/{patient.id}/infusions", data=infusion_form_data(page)
    )
    assert response.status_code == 303, response.text

    db.session.rollback()
    infusion = db.session.scalar(select(Infusion).where(Infusion.patient_id == patient.id))
    assert infusion.recorded_by_id == clinician.id
    prompts = db.session.scalars(select(Reminder).where(Reminder.infusion_id == infusion.id)).all()
    assert "checkin_morning" in {p.kind for p in prompts}
    # The first infusion starts the course: its questionnaires now have reminders.
    assert {r.kind for r in questionnaire_reminders(db, patient, "pending")} == {
        "questionnaire_pcl5",
        "questionnaire_phq9",
        "questionnaire_gad7",
    }
    [event] = audit_events(db, "infusion.create")
    assert (event.patient_id, event.detail, event.actor) == (
        patient.id,
        {"infusion_id": infusion.id},
        f"clinician:{clinician.id}",
    )


def test_recording_another_infusion_replans_the_questionnaires(clinician_client, db, patient):
    before = plan_questionnaires_now(db, patient)
    page = clinician_client.get(f"/clinic/patients/{patient.id}").text
    response = clinician_client.post(
        f"/clinic/patients/{patient.id}/infusions", data=infusion_form_data(page)
    )
    assert response.status_code == 303, response.text
    assert_questionnaires_replanned(db, patient, before)
    assert len(audit_events(db, "infusion.create")) == 1


def test_booking_plans_its_reminders_replans_the_questionnaires_and_audits(
    clinician_client, db, patient, clinician
):
    before = plan_questionnaires_now(db, patient)
    response = book(clinician_client, patient, kind="booster")
    assert response.status_code == 303

    db.session.rollback()
    appointment = db.session.scalar(select(Appointment))
    assert appointment.created_by_id == clinician.id
    own = db.session.scalars(select(Reminder).where(Reminder.appointment_id == appointment.id))
    assert sorted(r.kind for r in own) == ["arrange_driver", "before_24h", "before_2h"]
    assert_questionnaires_replanned(db, patient, before)
    [event] = audit_events(db, "appointment.create")
    assert (event.patient_id, event.detail, event.actor) == (
        patient.id,
        {"appointment_id": appointment.id},
        f"clinician:{clinician.id}",
    )


def test_changing_replans_its_reminders_and_the_questionnaires_and_audits(
    clinician_client, db, patient
):
    appointment = book_appointment(db, patient, "booster", timedelta(days=3))
    db.session.commit()
    first_plan = {
        r.id
        for r in db.session.scalars(
            select(Reminder).where(Reminder.appointment_id == appointment.id)
        )
    }
    before = plan_questionnaires_now(db, patient)
    page = clinician_client.get(f"/clinic/appointments/{appointment.id}/edit").text
    response = clinician_client.post(
        f"/clinic/appointments/{appointment.id}/edit",
        data={
            "csrf_token": csrf_from(page),
            "kind": "booster",
            "day": future_day(6),
            "starts": "11:00",
            "duration_minutes": "90",
        },
    )
    assert response.status_code == 303

    db.session.rollback()
    own = db.session.scalars(
        select(Reminder).where(Reminder.appointment_id == appointment.id)
    ).all()
    assert {r.id for r in own if r.state == "cancelled"} == first_plan
    waiting = [r for r in own if r.state == "pending"]
    assert len(waiting) == 3 and all(r.expires_at == appointment.starts_at for r in waiting)
    assert appointment.duration_minutes == 90 and appointment.updated_at is not None
    assert_questionnaires_replanned(db, patient, before)
    [event] = audit_events(db, "appointment.update")
    assert event.detail == {"appointment_id": appointment.id}


def test_cancelling_cancels_its_reminders_replans_the_questionnaires_and_audits_once(
    clinician_client, db, patient
):
    appointment = book_appointment(db, patient, "booster", timedelta(days=3))
    db.session.commit()
    before = plan_questionnaires_now(db, patient)
    token = csrf_from(clinician_client.get(f"/clinic/patients/{patient.id}").text)
    for _ in range(2):  # cancelling again changes nothing
        response = clinician_client.post(
            f"/clinic/appointments/{appointment.id}/cancel", data={"csrf_token": token}
        )
        assert response.status_code == 303

    db.session.rollback()
    assert appointment.cancelled_at is not None
    own = db.session.scalars(select(Reminder).where(Reminder.appointment_id == appointment.id))
    assert {r.state for r in own} == {"cancelled"}
    assert_questionnaires_replanned(db, patient, before)
    [event] = audit_events(db, "appointment.cancel")
    assert event.detail == {"appointment_id": appointment.id}


# --- Through real HTTP ------------------------------------------------------------------------


def test_a_signed_in_clinician_books_over_real_http(waitress, db, patient, clinician):
    before = plan_questionnaires_now(db, patient)
    browser = HttpBrowser(waitress.url)
    assert browser.sign_in(clinician.email).status_code == 302

    response = browser.submit(
        f"/clinic/patients/{patient.id}",
        {"kind": "follow_up", "day": future_day(4), "starts": "15:00", "duration_minutes": "30"},
        action=f"/clinic/patients/{patient.id}/appointments",
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/clinic/patients/{patient.id}")

    db.session.rollback()  # what the server committed
    appointment = db.session.scalar(select(Appointment))
    assert appointment.starts_at.astimezone(NEW_YORK).hour == 15
    own = db.session.scalars(select(Reminder).where(Reminder.appointment_id == appointment.id))
    assert sorted(r.kind for r in own) == ["before_24h", "before_2h"]
    assert_questionnaires_replanned(db, patient, before)
    [event] = audit_events(db, "appointment.create")
    assert (event.actor, event.ip, event.detail) == (
        f"clinician:{clinician.id}",
        "127.0.0.1",
        {"appointment_id": appointment.id},
    )
    page = browser.get(f"/clinic/patients/{patient.id}")
    assert page.status_code == 200
    assert "Appointment booked. The patient will get reminders before it." in page.text
    assert "Follow-up visit" in page.text and "Waiting" in page.text


# --- The service functions themselves ---------------------------------------------------------


def test_each_change_is_committed_by_the_service_itself(db, patient):
    """Called without a view, each has committed: a rollback afterwards undoes nothing."""
    appointment = service.book_appointment(
        patient,
        kind="infusion",
        starts_at=utcnow() + timedelta(days=2),
        duration_minutes=60,
        created_by_id=None,
    )
    db.session.rollback()
    assert db.session.get(Appointment, appointment.id) is not None
    service.change_appointment(
        appointment, kind="booster", starts_at=utcnow() + timedelta(days=4), duration_minutes=45
    )
    db.session.rollback()
    assert db.session.get(Appointment, appointment.id).kind == "booster"
    assert service.cancel_appointment(appointment) is True
    db.session.rollback()
    assert db.session.get(Appointment, appointment.id).is_cancelled
    assert service.cancel_appointment(appointment) is False
    ended = utcnow() - timedelta(minutes=5)
    infusion = service.record_infusion(patient, ended - timedelta(hours=1), ended, None)
    db.session.rollback()
    assert db.session.get(Infusion, infusion.id) is not None
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == [
        "appointment.create",
        "appointment.update",
        "appointment.cancel",
        "infusion.create",
    ]
    assert {e.actor for e in db.session.scalars(select(AuditEvent))} == {"system"}


@pytest.mark.parametrize("step", ["plan_appointment", "plan_questionnaires"])
def test_a_booking_whose_replanning_fails_leaves_nothing_behind(db, patient, monkeypatch, step):
    def broken(*args: object) -> None:
        raise RuntimeError("planning failed")

    monkeypatch.setattr(service, step, broken)
    with pytest.raises(RuntimeError):
        service.book_appointment(
            patient,
            kind="booster",
            starts_at=utcnow() + timedelta(days=3),
            duration_minutes=60,
            created_by_id=None,
        )
    db.session.rollback()
    assert db.session.scalars(select(Appointment)).all() == []
    assert db.session.scalars(select(Reminder)).all() == []
    assert db.session.scalars(select(AuditEvent)).all() == []
