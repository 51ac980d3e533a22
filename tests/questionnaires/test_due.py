"""The schedule in the app: due on Today, one reminder each, missed for the clinician."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from aftercare.models import Reminder, utcnow
from aftercare.questionnaires.due import course_of
from aftercare.reminders.rows import plan_questionnaires
from tests.questionnaires.test_answering import answer


def plan_questionnaire_reminders(patient, now=None):  # noqa: ANN001, ANN201
    """Plan the patient's questionnaire reminders from their course, as the clinic's changes do."""
    return plan_questionnaires(patient, course_of(patient), now)


def questionnaire_reminders(db, state="pending"):  # noqa: ANN001, ANN201
    return db.session.scalars(
        select(Reminder).where(Reminder.kind.startswith("questionnaire_"), Reminder.state == state)
    ).all()


def test_each_due_questionnaire_gets_exactly_one_reminder(db, patient):
    plan_questionnaire_reminders(patient)
    plan_questionnaire_reminders(patient)  # planning again replaces, never adds
    db.session.commit()
    pending = questionnaire_reminders(db)
    keys = [(r.kind, r.due_at) for r in pending]
    assert len(keys) == len(set(keys)) > 0
    first_pcl5 = min((r for r in pending if r.kind == "questionnaire_pcl5"), key=lambda r: r.due_at)
    assert first_pcl5.url == "/questionnaires/pcl5"
    assert "PTSD" not in first_pcl5.title + first_pcl5.body  # a lock screen is public


def test_recording_an_infusion_plans_them(clinician_client, db, patient):
    from tests.clinic.test_appointments import book

    book(clinician_client, patient, kind="booster")
    boosters = [
        r for r in questionnaire_reminders(db) if r.expires_at > utcnow() + timedelta(days=2)
    ]
    assert any(r.kind == "questionnaire_phq9" for r in boosters)


def test_a_due_questionnaire_is_on_today_until_answered(phone, db, patient):
    infusion = patient.latest_infusion
    infusion.ended_at -= timedelta(days=2)
    infusion.started_at -= timedelta(days=2)
    db.session.commit()
    today = phone.client.get("/today").text
    assert "Answer the PCL-5" in today
    answer(phone, "pcl5", {n: 1 for n in range(1, 21)})
    assert "Answer the PCL-5" not in phone.client.get("/today").text


def test_answering_cancels_that_questionnaires_pending_reminder(phone, db, patient):
    infusion = patient.latest_infusion
    infusion.ended_at -= timedelta(days=1)
    infusion.started_at -= timedelta(days=1)
    db.session.commit()
    plan_questionnaire_reminders(patient, now=utcnow() - timedelta(days=1))
    db.session.commit()
    open_now = [
        r
        for r in questionnaire_reminders(db)
        if r.kind == "questionnaire_gad7"
        and r.due_at <= utcnow() + timedelta(hours=12) < r.expires_at
    ]
    assert open_now
    answer(phone, "gad7", {n: 0 for n in range(1, 8)})
    db.session.refresh(open_now[0])
    assert open_now[0].state == "cancelled"


def test_missed_questionnaires_show_for_the_clinician(clinician_client, db, patient):
    infusion = patient.latest_infusion
    infusion.ended_at -= timedelta(days=20)
    infusion.started_at -= timedelta(days=20)
    db.session.commit()
    page = clinician_client.get(f"/clinic/patients/{patient.id}").text
    assert "Missed questionnaires:" in page
    assert "PCL5 due" in page


def test_a_clinic_sets_its_own_schedule(phone, db, patient, clinic):
    clinic.content = {"questionnaires": {"pcl5_days": 0, "gad7_days": 0}}
    db.session.commit()
    infusion = patient.latest_infusion
    infusion.ended_at -= timedelta(days=2)
    infusion.started_at -= timedelta(days=2)
    db.session.commit()
    today = phone.client.get("/today").text
    assert "Answer the PHQ-9" in today
    assert "Answer the PCL-5" not in today and "Answer the GAD-7" not in today
    plan_questionnaire_reminders(patient)
    db.session.commit()
    assert {r.kind for r in questionnaire_reminders(db)} == {"questionnaire_phq9"}
