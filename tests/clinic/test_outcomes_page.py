"""The clinic's outcomes page over real HTTP: counts its own patients only, says what the
numbers are not, and is audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from aftercare.care.course import CoursePlan, spread_dates
from aftercare.clinic import service
from aftercare.models import AuditEvent, BoosterReview, utcnow
from tests.clinic.http_browser import HttpBrowser
from tests.conftest import add_patient
from tests.questionnaires.test_booster_review import answered


def completed_course(db, clinic, name: str, baseline: int, latest: int):  # noqa: ANN001, ANN201
    patient = add_patient(db, clinic, name, hours_ago=None)
    first = utcnow().astimezone(clinic.tz).date() - timedelta(days=40)
    dates = spread_dates(first, 6)
    service.plan_course(patient, CoursePlan(tuple(dates)), None)
    answered(db, patient, "phq9", baseline, days_ago=42)
    for day in dates:
        start = utcnow().replace(year=day.year, month=day.month, day=day.day, hour=15)
        service.record_infusion(patient, start, start + timedelta(minutes=50), None)
    answered(db, patient, "phq9", latest, days_ago=2)
    return patient


def test_the_outcomes_page_counts_the_clinics_own_completed_courses(
    waitress, db, clinic, other_clinic, clinician
):
    responder = completed_course(db, clinic, "Dana", baseline=20, latest=4)
    completed_course(db, clinic, "Eli", baseline=20, latest=10)
    completed_course(db, other_clinic, "Fay", baseline=20, latest=2)  # not this clinic's
    series_end = max(i.ended_at for i in responder.infusions)
    db.session.add(
        BoosterReview(
            clinic_id=clinic.id,
            patient_id=responder.id,
            instrument_id="phq9",
            total=12,
            lowest=4,
            created_at=series_end + timedelta(days=21),
        )
    )
    db.session.commit()
    browser = HttpBrowser(waitress.url)
    assert browser.sign_in(clinician.email).status_code == 302

    page = browser.get("/clinic/outcomes")

    assert page.status_code == 200
    text = page.text
    assert "These are not trial results." in text
    assert "<dt>Completed the initial series</dt><dd>2</dd>" in text
    assert "21 days" in text
    phq9_row = text.split('<th scope="row">PHQ-9</th>')[1].split("</tr>")[0]
    # No meaningful-change threshold for the PHQ-9; response: 4 and 10 from 20 are both half
    # or less; remission: only 4 is below 5.
    assert [cell.split("</td>")[0] for cell in phq9_row.split("<td>")[1:]] == [
        "No published threshold",
        "2 of 2 (100%)",
        "1 of 2 (50%)",
    ]
    db.session.rollback()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "outcomes.view"))
    assert (event.clinic_id, event.patient_id) == (clinic.id, None)
