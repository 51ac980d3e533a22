"""The clinician minimum: patients, infusions, enrollment QR codes, check-ins, settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from aftercare.models import Alert, AuditEvent, Infusion, Patient
from tests.clinic.test_settings_language import section_url, settings_form
from tests.conftest import csrf_from


def test_a_clinician_creates_a_patient_with_just_a_name_or_code(clinician_client, db, clinic):
    token = csrf_from(clinician_client.get("/clinic/patients/new").text)
    response = clinician_client.post(
        "/clinic/patients/new", data={"csrf_token": token, "display_name": "  RK-0042 "}
    )
    assert response.status_code == 303
    patient = db.session.scalar(select(Patient))
    assert patient.display_name == "RK-0042" and patient.clinic_id == clinic.id
    assert clinician_client.get(response.headers["Location"]).status_code == 200


def test_a_patient_needs_a_name(clinician_client, db):
    token = csrf_from(clinician_client.get("/clinic/patients/new").text)
    response = clinician_client.post(
        "/clinic/patients/new", data={"csrf_token": token, "display_name": ""}
    )
    assert response.status_code == 422
    assert "This field is required" in response.text
    assert db.session.query(Patient).count() == 0


def record_infusion(client, patient, day: str, started: str, ended: str):  # noqa: ANN001, ANN201
    token = csrf_from(client.get(f"/clinic/patients/{patient.id}").text)
    return client.post(
        f"/clinic/patients/{patient.id}/infusions",
        data={"csrf_token": token, "day": day, "started": started, "ended": ended},
    )


def test_an_infusion_is_recorded_in_the_clinics_time_zone(clinician_client, db, patient):
    response = record_infusion(clinician_client, patient, "2026-07-01", "09:00", "09:50")
    assert response.status_code == 303
    infusion = db.session.scalars(select(Infusion).order_by(Infusion.id.desc())).first()
    # 9:50 AM in New York in July (EDT, UTC-4) is 13:50 UTC.
    assert infusion.ended_at == datetime(2026, 7, 1, 13, 50, tzinfo=UTC)
    assert infusion.started_at == datetime(2026, 7, 1, 13, 0, tzinfo=UTC)


def test_an_infusion_time_the_clocks_skipped_is_refused(clinician_client, db, patient):
    # 2:30 AM on 8 March 2026 did not happen in New York.
    response = record_infusion(clinician_client, patient, "2026-03-08", "02:30", "03:30")
    assert response.status_code == 422
    assert "did not exist here" in response.text


def test_an_infusion_must_end_after_it_starts_and_not_in_the_future(clinician_client, db, patient):
    assert (
        "end must be after the start"
        in record_infusion(clinician_client, patient, "2026-07-01", "10:00", "09:00").text
    )
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert (
        "once it has ended"
        in record_infusion(clinician_client, patient, tomorrow, "09:00", "09:50").text
    )
    assert (
        "not a valid date"
        in record_infusion(clinician_client, patient, "yesterday", "09:00", "09:50").text.lower()
    )
    assert db.session.query(Infusion).count() == 1  # the fixture's own


def test_the_enrollment_link_is_shown_once_as_an_svg_qr_code(clinician_client, patient, db):
    token = csrf_from(clinician_client.get(f"/clinic/patients/{patient.id}").text)
    response = clinician_client.post(
        f"/clinic/patients/{patient.id}/enrollment-link", data={"csrf_token": token}
    )
    assert response.status_code == 200
    assert "<svg" in response.text and "Enrollment QR code" in response.text
    assert "http://localhost/enroll/" in response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "enrollment_link.create")
    )


def test_the_patient_page_lists_check_ins_with_their_triage_level(phone, clinician_client, patient):
    phone.check_in(headache="2", note="Mild headache")
    phone.check_in(rash_itching="y")
    page = clinician_client.get(f"/clinic/patients/{patient.id}").text
    assert "Mild headache" in page
    assert "Headache (2/3)" in page
    assert "badge--expected" in page and "badge--call_clinic" in page


def test_viewing_a_patient_is_audited(clinician_client, clinician, patient, db):
    clinician_client.get(f"/clinic/patients/{patient.id}")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.view"))
    assert event.actor == f"clinician:{clinician.id}" and event.patient_id == patient.id
    assert event.ip == "127.0.0.1"


def test_each_alert_shown_on_the_dashboard_is_audited(
    phone, second_phone, clinician_client, clinician, clinic, patient, second_patient, db
):
    phone.check_in(chest_pain="y")
    second_phone.check_in(suicidal_thoughts="y")
    second_phone.check_in(rash_itching="y")
    page = clinician_client.get("/clinic/").text
    assert page.count('name="csrf_token"') == 3 + 1  # an acknowledge form each, and sign-out
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "alert.view")).all()
    shown = db.session.execute(select(Alert.patient_id, Alert.id)).all()
    assert len(shown) == 3
    # Which alert was shown, not only whose: a patient with two alerts has two distinct rows.
    assert sorted((e.patient_id, e.detail["alert_id"]) for e in events) == sorted(shown)
    assert sorted(event.patient_id for event in events) == sorted(
        [patient.id, second_patient.id, second_patient.id]
    )
    assert {(e.actor, e.clinic_id, e.ip) for e in events} == {
        (f"clinician:{clinician.id}", clinic.id, "127.0.0.1")
    }


def test_urgent_alerts_come_first_and_can_be_acknowledged(phone, clinician_client, db):
    phone.check_in(rash_itching="y")
    phone.check_in(suicidal_thoughts="y")
    phone.check_in(chest_pain="y")
    page = clinician_client.get("/clinic/").text
    order = [page.index(f"alert--{level}") for level in ("emergency", "crisis", "call_clinic")]
    assert order == sorted(order)
    alert = db.session.scalar(select(Alert).where(Alert.level == "crisis"))
    token = csrf_from(page)
    clinician_client.post(
        f"/clinic/alerts/{alert.id}/acknowledge",
        data={"csrf_token": token, "note": "Called, safe with partner"},
    )
    db.session.refresh(alert)
    assert alert.acknowledged_at is not None
    assert alert.acknowledgement_note == "Called, safe with partner"
    assert "alert--crisis" not in clinician_client.get("/clinic/").text


def test_settings_change_what_patients_read(admin_client, phone, db, clinic):
    sections = {
        "clinic": {"name": "Riverside", "timezone": "America/Chicago", "phone": "555-0111"},
        "rules": {"driving_hours": "12", "driving_text": "Please do not drive until {until}."},
        "lists": {"normal": "Feeling floaty.\n\nDizziness.", "self_care": "Rest."},
        "crisis": {"crisis_line_name": "988 Lifeline", "crisis_options": ""}
        | {"not_monitored": "Nobody watches this app at night."},
        "reminders": {"appointment_hours": "48, 2", "evening_hour": "20"},
        "questionnaires": {"phq9_days": "28", "gad7_days": "0"},
    }
    for section, changes in sections.items():
        form = settings_form(admin_client, section, **changes)
        assert admin_client.post(section_url(section), data=form).status_code == 303, section
    db.session.refresh(clinic)
    assert clinic.timezone == "America/Chicago"
    # Only the changes are stored, so improved defaults still reach the clinic.
    assert clinic.content["windows"] == {"driving": 12}
    assert clinic.content["normal"] == ["Feeling floaty.", "Dizziness."]
    assert clinic.content["reminders"] == {"appointment_hours": [48, 2], "evening_hour": 20}
    assert clinic.content["questionnaires"] == {"phq9_days": 28, "gad7_days": 0}
    assert "decisions" not in clinic.content.get("timed", {})
    today = phone.client.get("/today").text
    assert "Please do not drive until" in today
    assert "Nobody watches this app at night." in today
    assert 'href="tel:5550111"' in today


@pytest.mark.parametrize(
    ("section", "changes", "messages"),
    [
        (
            "clinic",
            {"timezone": "Mars/Olympus", "phone": "call me"},
            ["Not a time zone name", "Use digits"],
        ),
        (
            "rules",
            {"driving_hours": "999", "driving_text": "Do not drive."},
            ["from 0 to 168 hours", "Keep {until} where the time goes"],
        ),
        (
            "reminders",
            {"appointment_hours": "soon", "evening_hour": "25"},
            ["Use whole hours separated by commas", "Enter an hour from 0 to 23"],
        ),
    ],
)
def test_bad_settings_are_refused_with_clear_errors(
    admin_client, db, clinic, section, changes, messages
):
    form = settings_form(admin_client, section, **changes)
    response = admin_client.post(section_url(section), data=form)
    assert response.status_code == 422
    for message in messages:
        assert message in response.text
    db.session.refresh(clinic)
    assert clinic.timezone == "America/New_York"
    assert clinic.content in ({}, None)


def test_an_urgent_alert_left_unacknowledged_stands_out(phone, clinician_client, db, app):
    from aftercare.models import Alert, utcnow

    phone.check_in(suicidal_thoughts="y")
    phone.check_in(rash_itching="y")
    assert "alert--overdue" not in clinician_client.get("/clinic/").text
    for alert in db.session.scalars(select(Alert)):
        alert.created_at = utcnow() - timedelta(minutes=20)
    db.session.commit()
    page = clinician_client.get("/clinic/").text
    assert page.count("alert--overdue") == 1  # the crisis, not the call-the-clinic one
    assert "Not acknowledged for 20 minutes" in page


def test_the_patient_list_sorts_searches_and_pages(app, clinician_client, db, clinic):
    from aftercare.clinic import patient_list
    from tests.conftest import add_patient

    for n in range(30):
        add_patient(db, clinic, f"Patient {n:02d}", hours_ago=n + 1)
    first = clinician_client.get("/clinic/?sort=infusion").text
    assert "31 patients" not in first and "30 patients" in first
    assert "Page 1 of 2" in first
    assert first.index("Patient 00") < first.index("Patient 01")  # latest infusion first
    assert "Patient 29" not in first
    second = clinician_client.get("/clinic/?sort=infusion&page=2").text
    assert "Patient 29" in second and "Patient 00" not in second
    found = clinician_client.get("/clinic/?q=ient 1").text
    assert "10 patients" in found  # Patient 10 ... Patient 19
    assert "No patient matches" in clinician_client.get("/clinic/?q=zzz").text
    # Nonsense in the address is not an error.
    assert clinician_client.get("/clinic/?sort=bogus&page=-4&q=%25_").status_code == 200
    assert patient_list.PER_PAGE == 25


def test_the_patient_list_shows_what_a_clinician_needs(phone, clinician_client, db, patient):
    from aftercare.models import Appointment, Reminder, utcnow

    phone.check_in(rash_itching="y")
    db.session.add(
        Appointment(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            kind="booster",
            starts_at=utcnow() + timedelta(days=3),
        )
    )
    # A check-in prompt whose window closed with no check-in in it is a missed check-in.
    past = utcnow() - timedelta(days=2)
    db.session.add(
        Reminder(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            kind="checkin_morning",
            title="t",
            body="b",
            due_at=past,
            expires_at=past + timedelta(hours=5),
            next_attempt_at=past,
            state="delivered",
        )
    )
    db.session.commit()
    page = clinician_client.get("/clinic/").text
    row = page[page.index(f'<th scope="row"><a href="/clinic/patients/{patient.id}">Alex') :]
    row = row[: row.index("</tr>")]
    assert "badge--call_clinic" in row
    assert "<strong>1</strong>" in row  # missed
    assert "None booked" not in row
    assert "Not reachable" in row


def test_the_patient_page_has_one_timeline_of_the_course(phone, clinician_client, db, patient):
    from aftercare.models import Appointment, utcnow

    phone.check_in(suicidal_thoughts="y")
    db.session.add(
        Appointment(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            kind="follow_up",
            starts_at=utcnow() + timedelta(days=1),
        )
    )
    db.session.commit()
    page = clinician_client.get(f"/clinic/patients/{patient.id}").text
    section = page[page.index('id="timeline-heading"') : page.index('id="appointments-heading"')]
    kinds = [
        k
        for k in ("appointment", "alert", "check-in", "infusion")
        if f"timeline__entry--{k}" in section
    ]
    assert kinds == ["appointment", "alert", "check-in", "infusion"]
    # Newest first: the planned appointment, then today's check-in, then the infusion.
    assert (
        section.index("Follow-up visit")
        < section.index("Check-in: crisis")
        < section.index("Infusion ended")
    )
    assert "(planned)" in section


def test_most_urgent_first_pages_through_open_alerts_then_latest_check_in(
    clinician_client, db, clinic
):
    from aftercare.clinic.patient_list import PER_PAGE, list_patients
    from aftercare.models import utcnow

    levels = ["crisis", "call_clinic", "emergency", "unknown"]
    rank = {"emergency": 0, "crisis": 1, "call_clinic": 2}
    now = utcnow()
    for n in range(40):
        checked_in = n % 5 != 4
        patient = Patient(
            clinic_id=clinic.id,
            display_name=f"P{n:02d}",
            last_triage_level="crisis" if checked_in else None,
            last_check_in_at=(now - timedelta(minutes=n * 7 % 11)) if checked_in else None,
        )
        db.session.add(patient)
        db.session.flush()
        if n % 3 == 0:  # open alerts; every other patient's crisis was acknowledged long ago
            for hours in (n % 4, n % 4 + 1):
                db.session.add(
                    Alert(
                        clinic_id=clinic.id,
                        patient_id=patient.id,
                        level=levels[(n + hours) % len(levels)],
                        created_at=now - timedelta(hours=hours),
                    )
                )
        elif checked_in:
            db.session.add(
                Alert(
                    clinic_id=clinic.id,
                    patient_id=patient.id,
                    level="crisis",
                    created_at=now - timedelta(days=15),
                    acknowledged_at=now - timedelta(days=15),
                )
            )
    db.session.commit()
    first = list_patients(clinic.id, now, sort="triage", page=1)
    second = list_patients(clinic.id, now, sort="triage", page=2)
    assert first.total == 40 and len(first.rows) == PER_PAGE and len(second.rows) == 40 - PER_PAGE
    seen = [row.patient for row in first.rows + second.rows]
    assert len({p.id for p in seen}) == 40  # every patient exactly once across the pages
    urgency: dict[int, tuple[int, datetime]] = {}
    for alert in db.session.scalars(select(Alert).where(Alert.acknowledged_at.is_(None))):
        key = (rank.get(alert.level, 3), alert.created_at)
        urgency[alert.patient_id] = min(urgency.get(alert.patient_id, key), key)
    with_alerts = sorted(urgency, key=lambda patient_id: (urgency[patient_id], patient_id))
    assert [p.id for p in seen[: len(with_alerts)]] == with_alerts
    others = seen[len(with_alerts) :]
    latest_first = sorted(
        others,
        key=lambda p: (p.last_check_in_at is None, -(p.last_check_in_at or now).timestamp(), p.id),
    )
    assert [p.id for p in others] == [p.id for p in latest_first]
