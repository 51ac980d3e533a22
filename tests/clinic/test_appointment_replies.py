"""The clinic sees each appointment's answer on the patient's page, and the dashboard lists the
"I need another time" requests to act on; marking one handled is audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from aftercare.appointment_replies import record_reply
from aftercare.models import Appointment, AuditEvent, utcnow
from tests.conftest import add_patient, book_appointment, csrf_from


def answered(db, patient, reply: str, days: float = 2, channel: str = "email") -> Appointment:  # noqa: ANN001
    appointment = book_appointment(db, patient, "follow_up", timedelta(days=days))
    db.session.flush()
    record_reply(appointment, reply, channel, utcnow())
    db.session.commit()
    return appointment


def fresh(db, appointment: Appointment) -> Appointment:  # noqa: ANN001
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id)


def requests_block(html: str) -> str:
    return html.split('id="new-time-heading"')[1].split("</section>")[0]


def test_the_dashboard_lists_requests_for_another_time_and_one_is_marked_handled(
    db, patient, second_patient, clinician, clinician_client
):
    wants = answered(db, patient, "needs_new_time")
    answered(db, second_patient, "confirmed")
    page = clinician_client.get("/clinic/").text
    block = requests_block(page)
    assert patient.display_name in block and second_patient.display_name not in block
    assert f"/clinic/appointments/{wants.id}/reply-handled" in block

    done = clinician_client.post(
        f"/clinic/appointments/{wants.id}/reply-handled", data={"csrf_token": csrf_from(page)}
    )

    assert done.status_code == 303
    assert fresh(db, wants).reply_handled_by_id == clinician.id
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "appointment.reply_handled")
    ).all()
    assert (event.actor, event.patient_id, event.detail) == (
        f"clinician:{clinician.id}",
        patient.id,
        {"appointment_id": wants.id},
    )
    page = clinician_client.get("/clinic/").text
    assert "No requests for another time." in requests_block(page)
    # Pressed again (a second tab): said, and nothing more is recorded.
    again = clinician_client.post(
        f"/clinic/appointments/{wants.id}/reply-handled",
        data={"csrf_token": csrf_from(page)},
        follow_redirects=True,
    )
    assert "had already been handled" in again.text
    assert (
        len(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "appointment.reply_handled")
            ).all()
        )
        == 1
    )


def test_a_new_request_after_one_was_handled_is_listed_again(db, patient, clinician_client):
    appointment = answered(db, patient, "needs_new_time")
    appointment.reply_handled_at = utcnow()
    db.session.commit()
    for reply in ("confirmed", "needs_new_time"):
        record_reply(fresh(db, appointment), reply, "app", utcnow())
        db.session.commit()
    assert patient.display_name in requests_block(clinician_client.get("/clinic/").text)


def test_the_patient_page_shows_each_appointments_answer(db, patient, clinician_client):
    answered(db, patient, "confirmed", days=2, channel="notification")
    answered(db, patient, "needs_new_time", days=3, channel="email")
    book_appointment(db, patient, "booster", timedelta(days=4))
    db.session.commit()

    page = clinician_client.get(f"/clinic/patients/{patient.id}").text

    table = page.split('id="appointments-heading"')[1].split("</table>")[0]
    assert "Patient&#39;s answer" in table or "Patient's answer" in table
    assert "Will be there" in table and "(notification," in table
    assert "Needs another time" in table and "(email," in table
    assert "No answer" in table


def test_another_clinics_requests_are_neither_listed_nor_handled(
    db, other_clinic, clinician_client
):
    stranger = add_patient(db, other_clinic, "Stranger")
    theirs = answered(db, stranger, "needs_new_time")
    page = clinician_client.get("/clinic/").text
    assert "Stranger" not in requests_block(page)

    refused = clinician_client.post(
        f"/clinic/appointments/{theirs.id}/reply-handled", data={"csrf_token": csrf_from(page)}
    )

    assert refused.status_code == 404
    assert fresh(db, theirs).reply_handled_at is None


def test_a_cancelled_appointment_leaves_the_list(db, patient, clinician_client):
    appointment = answered(db, patient, "needs_new_time")
    page = clinician_client.get(f"/clinic/patients/{patient.id}").text
    clinician_client.post(
        f"/clinic/appointments/{appointment.id}/cancel", data={"csrf_token": csrf_from(page)}
    )
    assert fresh(db, appointment).is_cancelled
    assert patient.display_name not in requests_block(clinician_client.get("/clinic/").text)


def test_moving_the_appointment_clears_the_answer_given_for_the_old_time(
    db, patient, clinician_client
):
    appointment = answered(db, patient, "needs_new_time")
    url = f"/clinic/appointments/{appointment.id}/edit"
    page = clinician_client.get(url).text
    later = (appointment.starts_at + timedelta(days=1)).astimezone(patient.clinic.tz)

    moved = clinician_client.post(
        url,
        data={
            "csrf_token": csrf_from(page),
            "kind": "follow_up",
            "day": later.date().isoformat(),
            "starts": later.strftime("%H:%M"),
            "duration_minutes": "60",
        },
    )

    assert moved.status_code == 303
    kept = fresh(db, appointment)
    assert (kept.reply, kept.replied_at, kept.reply_channel) == (None, None, None)
