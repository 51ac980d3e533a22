"""Where published thresholds disagree, the clinic chooses (Settings, Thresholds), over real
HTTP: the choice is stored for that clinic only, classifies its patients' questionnaires, is
audited, and a value no source gives is refused with nothing stored."""

from __future__ import annotations

from datetime import timedelta

import requests
from sqlalchemy import select

from aftercare.care.instruments import load_builtin
from aftercare.models import AuditEvent, Clinic, QuestionnaireResponse, ThresholdChoice, utcnow
from tests.conftest import add_clinician, add_patient
from tests.http_client import page_token, signed_in
from tests.questionnaires.test_booster_review import answers_for

TIMEOUT_S = 10
PCL5 = load_builtin()["pcl5"]


def answered(db, patient, total: int, days_ago: float, key: str) -> None:  # noqa: ANN001
    db.session.add(
        QuestionnaireResponse(
            patient_id=patient.id,
            instrument_id="pcl5",
            instrument_version=PCL5.version,
            idempotency_key=key,
            answers={str(k): v for k, v in answers_for(PCL5, total).items()},
            total=total,
            received_at=utcnow() - timedelta(days=days_ago),
        )
    )
    db.session.commit()


def choose(browser: requests.Session, url: str, value: str) -> requests.Response:
    page = f"{url}/clinic/settings/thresholds"
    return browser.post(
        page,
        data={"csrf_token": page_token(browser, page), "pcl5": value},
        allow_redirects=False,
        timeout=TIMEOUT_S,
    )


def test_the_clinic_chooses_the_pcl5_meaningful_change_and_its_patients_are_classified_by_it(
    real_server, db, clinic, admin
):
    patient = add_patient(db, clinic, "Dana", hours_ago=24)  # the first infusion, yesterday
    answered(db, patient, 40, days_ago=3, key="baseline")
    answered(db, patient, 30, days_ago=0.01, key="now")  # exactly 10 points lower
    other = Clinic(name="Hillside", timezone="America/New_York")
    db.session.add(other)
    db.session.commit()
    browser = signed_in(real_server, admin.email, admin.test_totp_secret)
    patient_page = f"{real_server.url}/clinic/patients/{patient.id}"

    settings = browser.get(f"{real_server.url}/clinic/settings", timeout=TIMEOUT_S).text
    assert "/clinic/settings/thresholds" in settings
    page = browser.get(f"{real_server.url}/clinic/settings/thresholds", timeout=TIMEOUT_S)
    assert page.status_code == 200
    assert "National Center for PTSD" in page.text and "10.1002/jts.22975" in page.text
    before = browser.get(patient_page, timeout=TIMEOUT_S).text
    assert "-10 from baseline 40: clinically meaningful improvement" in before

    response = choose(browser, real_server.url, "12")

    assert response.status_code == 303, response.text[:500]
    after = browser.get(patient_page, timeout=TIMEOUT_S).text
    assert "-10 from baseline 40: reliable improvement" in after
    db.session.rollback()
    rows = db.session.execute(select(ThresholdChoice.clinic_id, ThresholdChoice.meaningful))
    assert rows.all() == [(clinic.id, 12)]  # this clinic only
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "clinic.thresholds"))
    assert event.clinic_id == clinic.id and event.actor == f"clinician:{admin.id}"
    assert event.detail == {"pcl5": {"meaningful_before": 10, "meaningful_after": 12}}

    # Back to the definition's own 10: classified as before, and audited again.
    assert choose(browser, real_server.url, "10").status_code == 303
    again = browser.get(patient_page, timeout=TIMEOUT_S).text
    assert "-10 from baseline 40: clinically meaningful improvement" in again
    db.session.rollback()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "clinic.thresholds").order_by(AuditEvent.id)
    ).all()
    assert events[-1].detail == {"pcl5": {"meaningful_before": 12, "meaningful_after": 10}}


def test_a_value_no_source_gives_is_refused_and_nothing_is_stored(real_server, db, clinic, admin):
    browser = signed_in(real_server, admin.email, admin.test_totp_secret)

    for value in ("11", "0", "ten", ""):
        response = choose(browser, real_server.url, value)
        assert response.status_code == 422, (value, response.status_code)
        assert '<p class="error">' in response.text  # said next to the choice

    db.session.rollback()
    assert db.session.scalars(select(ThresholdChoice)).all() == []
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "clinic.thresholds"))
        is None
    )


def test_only_an_admin_may_choose(real_server, db, clinic):
    nurse = add_clinician(db, clinic, "nurse@riverside.test")
    browser = signed_in(real_server, nurse.email)

    page = browser.get(
        f"{real_server.url}/clinic/settings/thresholds", allow_redirects=False, timeout=TIMEOUT_S
    )

    assert page.status_code == 403
