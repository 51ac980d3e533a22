"""Deleting a patient removes all their data; the audit trail keeps that it happened."""

from __future__ import annotations

from sqlalchemy import func, select

from aftercare.extensions import db as _db
from aftercare.models import AuditEvent, BoosterReview, Patient, TreatmentCourse
from tests.conftest import csrf_from
from tests.questionnaires.test_answering import answer


def rows_about(db, patient_id: int) -> dict[str, int]:  # noqa: ANN001
    """Every table with a patient_id column, and how many rows name this patient."""
    counts = {}
    for table in _db.metadata.sorted_tables:
        if "patient_id" in table.c and table.name != "audit_event":
            counts[table.name] = db.session.scalar(
                select(func.count()).select_from(table).where(table.c.patient_id == patient_id)
            )
    return counts


def test_an_admin_deletes_a_patient_and_everything_about_them(
    phone, admin_client, db, patient, second_patient
):
    from datetime import timedelta

    from aftercare.models import Appointment, utcnow
    from aftercare.questionnaires.due import course_of
    from aftercare.reminders.rows import plan_questionnaires

    patient_id, other_id = patient.id, second_patient.id
    phone.check_in(suicidal_thoughts="y", note="private")
    answer(phone, "phq9", {n: 1 for n in range(1, 10)})
    db.session.add(
        Appointment(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            kind="booster",
            starts_at=utcnow() + timedelta(days=3),
        )
    )
    db.session.add(
        TreatmentCourse(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            series_count=1,
            target_dates=["2026-03-02"],
        )
    )
    db.session.add(
        BoosterReview(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            instrument_id="pcl5",
            total=40,
            lowest=20,
        )
    )
    plan_questionnaires(patient, course_of(patient))
    db.session.commit()
    assert all(
        rows_about(db, patient.id)[t] > 0
        for t in (
            "check_in",
            "alert",
            "device",
            "reminder",
            "questionnaire_response",
            "appointment",
            "treatment_course",
            "booster_review",
        )
    )
    page = admin_client.get(f"/clinic/patients/{patient.id}")
    token = csrf_from(page.text)
    refused = admin_client.post(
        f"/clinic/admin/patients/{patient.id}/delete",
        data={"csrf_token": token, "confirm": "someone else"},
    )
    assert refused.status_code == 303 and db.session.get(Patient, patient.id) is not None

    done = admin_client.post(
        f"/clinic/admin/patients/{patient.id}/delete", data={"csrf_token": token, "confirm": "Alex"}
    )
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Patient, patient_id) is None
    assert set(rows_about(db, patient_id).values()) == {0}
    assert phone.client.get("/today").status_code == 401  # the phone is unlinked with it
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.delete"))
    assert event.patient_id == patient_id
    assert db.session.get(Patient, other_id) is not None  # nobody else is touched
