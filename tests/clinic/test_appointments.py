"""Clinicians book, change and cancel appointments; reminders follow."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from aftercare.models import Appointment, AuditEvent, Reminder
from tests.conftest import csrf_from

NEW_YORK = ZoneInfo("America/New_York")


def future_day(days: int = 3) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).astimezone(NEW_YORK).date().isoformat()


def book(client, patient, kind="infusion", day=None, time="09:30", minutes="60"):  # noqa: ANN001, ANN201
    token = csrf_from(client.get(f"/clinic/patients/{patient.id}").text)
    return client.post(
        f"/clinic/patients/{patient.id}/appointments",
        data={
            "csrf_token": token,
            "kind": kind,
            "day": day or future_day(),
            "starts": time,
            "duration_minutes": minutes,
        },
    )


def second_sunday_of_march(year: int) -> date:
    """When the US clocks go forward: 2:00-2:59 AM does not happen that day."""
    eighth = date(year, 3, 8)
    return eighth + timedelta(days=(6 - eighth.weekday()) % 7)


def reminders(db, state: str | None = None) -> list[Reminder]:  # noqa: ANN001
    query = select(Reminder).where(Reminder.appointment_id.is_not(None)).order_by(Reminder.due_at)
    if state:
        query = query.where(Reminder.state == state)
    return list(db.session.scalars(query))


def test_booking_an_infusion_plans_its_reminders(clinician_client, db, patient):
    response = book(clinician_client, patient)
    assert response.status_code == 303
    appointment = db.session.scalar(select(Appointment))
    local = appointment.starts_at.astimezone(NEW_YORK)
    assert (local.hour, local.minute) == (9, 30)
    kinds = [r.kind for r in reminders(db)]
    assert sorted(kinds) == ["arrange_driver", "before_24h", "before_2h"]
    assert all(r.expires_at == appointment.starts_at for r in reminders(db))
    page = clinician_client.get(f"/clinic/patients/{patient.id}").text
    assert "Appointment reminder" in page and "Waiting" in page
    assert "No device receives reminders" in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "appointment.create"))


def test_changing_the_time_replans_the_reminders(clinician_client, db, patient):
    book(clinician_client, patient, kind="follow_up")
    appointment = db.session.scalar(select(Appointment))
    page = clinician_client.get(f"/clinic/appointments/{appointment.id}/edit")
    assert page.status_code == 200
    response = clinician_client.post(
        f"/clinic/appointments/{appointment.id}/edit",
        data={
            "csrf_token": csrf_from(page.text),
            "kind": "follow_up",
            "day": future_day(5),
            "starts": "14:00",
            "duration_minutes": "30",
        },
    )
    assert response.status_code == 303
    db.session.refresh(appointment)
    pending = reminders(db, "pending")
    assert len(pending) == 2 and all(r.expires_at == appointment.starts_at for r in pending)
    assert len(reminders(db, "cancelled")) == 2


def test_cancelling_removes_pending_reminders(clinician_client, db, patient):
    book(clinician_client, patient)
    appointment = db.session.scalar(select(Appointment))
    token = csrf_from(clinician_client.get(f"/clinic/patients/{patient.id}").text)
    response = clinician_client.post(
        f"/clinic/appointments/{appointment.id}/cancel", data={"csrf_token": token}
    )
    assert response.status_code == 303
    db.session.refresh(appointment)
    assert appointment.cancelled_at is not None
    assert reminders(db, "pending") == []
    assert {r.state for r in reminders(db)} == {"cancelled"}


def test_an_appointment_in_the_past_or_a_skipped_hour_is_refused(clinician_client, db, patient):
    yesterday = (datetime.now(UTC) - timedelta(days=1)).astimezone(NEW_YORK).date().isoformat()
    assert "Choose a time in the future" in book(clinician_client, patient, day=yesterday).text
    spring_forward = second_sunday_of_march(datetime.now(UTC).year + 1)
    assert (
        "did not exist here"
        in book(clinician_client, patient, day=spring_forward.isoformat(), time="02:30").text
    )
    assert "Not a valid choice" in book(clinician_client, patient, kind="surgery").text
    assert "from 5 to 480 minutes" in book(clinician_client, patient, minutes="0").text
    assert db.session.query(Appointment).count() == 0


def test_another_clinics_appointment_is_404(clinician_client, other_clinician_client, db, patient):
    book(clinician_client, patient)
    appointment = db.session.scalar(select(Appointment))
    token = csrf_from(other_clinician_client.get("/clinic/patients/new").text)
    assert (
        other_clinician_client.get(f"/clinic/appointments/{appointment.id}/edit").status_code == 404
    )
    assert (
        other_clinician_client.post(
            f"/clinic/appointments/{appointment.id}/cancel", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert (
        other_clinician_client.post(
            f"/clinic/patients/{patient.id}/appointments", data={"csrf_token": token}
        ).status_code
        == 404
    )


def test_recording_an_infusion_plans_the_check_in_prompts(clinician_client, db, patient):
    ended = datetime.now(UTC).astimezone(NEW_YORK).replace(second=0, microsecond=0)
    ended -= timedelta(minutes=10)
    started = ended - timedelta(minutes=40)
    if started.date() != ended.date():  # the form takes one day: keep both on it
        ended -= timedelta(hours=1)
        started -= timedelta(hours=1)
    token = csrf_from(clinician_client.get(f"/clinic/patients/{patient.id}").text)
    response = clinician_client.post(
        f"/clinic/patients/{patient.id}/infusions",
        data={
            "csrf_token": token,
            "day": ended.date().isoformat(),
            "started": started.strftime("%H:%M"),
            "ended": ended.strftime("%H:%M"),
        },
    )
    assert response.status_code == 303, response.text
    prompts = db.session.scalars(select(Reminder).where(Reminder.infusion_id.is_not(None))).all()
    # The next morning's prompt is always ahead; the evening one only on an early infusion.
    assert "checkin_morning" in {p.kind for p in prompts}
    assert all(p.url.startswith("/check-in") and p.state == "pending" for p in prompts)
