"""A whole treatment course, scripted, through the real server: a course planned, a baseline,
six infusions, questionnaires improving, then symptoms returning put the patient on the review
list; a decision is recorded, the booster is booked and its reminders are planned.

A real server answers at the real time, so the answers given weeks ago are stored as the phone
sent them then; the infusions (recorded for past days), the answer that shows symptoms
returning, the review and the decision all go through HTTP.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import requests
from sqlalchemy import select

from aftercare.models import (
    Appointment,
    AuditEvent,
    BoosterReview,
    QuestionnaireResponse,
    Reminder,
    utcnow,
)
from tests.clinic.http_browser import HttpBrowser
from tests.clinic.test_course import enrolled_phone, plan, record_infusion
from tests.conftest import add_patient, csrf_from
from tests.questionnaires.test_booster_review import answered, answers_for

TIMEOUT_S = 10


def answer_over_http(base: str, phone: requests.Session, instrument, total: int):  # noqa: ANN001, ANN201
    page = phone.get(f"{base}/questionnaires/{instrument.id}", timeout=TIMEOUT_S)
    assert page.status_code == 200
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)
    data = {"csrf_token": csrf_from(page.text), "idempotency_key": key}
    data.update({f"item-{n}": str(v) for n, v in answers_for(instrument, total).items()})
    return phone.post(
        f"{base}/questionnaires/{instrument.id}",
        data=data,
        allow_redirects=False,
        timeout=TIMEOUT_S,
    )


def test_a_course_from_baseline_to_a_booked_booster(waitress, db, clinic, clinician):
    from aftercare.care.instruments import load_builtin

    pcl5 = load_builtin()["pcl5"]
    patient = add_patient(db, clinic, "Dana", hours_ago=None)
    today = utcnow().astimezone(clinic.tz).date()
    first: date = today - timedelta(days=38)
    browser = HttpBrowser(waitress.url)
    assert browser.sign_in(clinician.email).status_code == 302

    # The course: six infusions over 17 days, boosters as needed.
    assert plan(browser, patient.id, first_day=first.isoformat()).status_code == 303
    # The baseline, answered on the phone two days before the first infusion.
    answered(db, patient, "pcl5", 48, days_ago=40)
    for offset in (0, 3, 7, 10, 14, 17):
        record_infusion(browser, patient.id, first + timedelta(days=offset))
    # Improving through the series and after it; the lowest, 20, a fortnight ago.
    for total, days_ago in ((40, 30), (30, 24), (24, 20), (20, 13)):
        answered(db, patient, "pcl5", total, days_ago=days_ago)
    listing = browser.get("/clinic/").text
    assert "Series done" in listing
    assert "No patient to review." in listing

    # Symptoms returning: 31 is 11 above the lowest since the series ended.
    phone = enrolled_phone(waitress.url, db, patient)
    sent = answer_over_http(waitress.url, phone, pcl5, 31)
    assert sent.status_code == 303, sent.text[:300]
    progress = phone.get(f"{waitress.url}/questionnaires", timeout=TIMEOUT_S).text
    assert (
        "Your PCL-5 score is 17 points lower than before your first infusion"
        " — a meaningful change." in progress
    )
    dashboard = browser.get("/clinic/").text
    reviews = dashboard.split('id="reviews-heading"')[1].split("</section>")[0]
    assert "Dana" in reviews
    assert "PCL-5 31, 11 points above the lowest since the series (20)" in reviews
    db.session.rollback()
    review = db.session.scalar(select(BoosterReview))
    assert review.decided_at is None

    # "Booster booked" needs its date and time: refused, nothing recorded.
    refused = browser.submit(
        "/clinic/",
        {"decision": "booster_booked", "note": "Booster next week"},
        action=f"/clinic/booster-reviews/{review.id}/decision",
    )
    assert refused.status_code == 422
    assert "Enter the booster&#39;s date." in refused.text
    db.session.rollback()
    assert db.session.get(BoosterReview, review.id).decided_at is None

    booster_day = today + timedelta(days=5)
    decided = browser.submit(
        "/clinic/",
        {
            "decision": "booster_booked",
            "note": "Symptoms back after five weeks; booster agreed.",
            "booster_day": booster_day.isoformat(),
            "booster_time": "10:00",
        },
        action=f"/clinic/booster-reviews/{review.id}/decision",
    )
    assert decided.status_code == 303, decided.text[:300]

    db.session.rollback()
    review = db.session.get(BoosterReview, review.id)
    assert (review.decision, review.decided_by_id) == ("booster_booked", clinician.id)
    booster = db.session.get(Appointment, review.appointment_id)
    assert booster.kind == "booster"
    assert booster.starts_at.astimezone(clinic.tz).date() == booster_day
    own = db.session.scalars(select(Reminder.kind).where(Reminder.appointment_id == booster.id))
    assert sorted(own) == ["arrange_driver", "before_24h", "before_2h"]
    # The PHQ-9 and GAD-7 come two days before the booster.
    before = db.session.scalars(
        select(Reminder).where(
            Reminder.patient_id == patient.id,
            Reminder.kind.in_(("questionnaire_phq9", "questionnaire_gad7")),
            Reminder.state == "pending",
            Reminder.expires_at == booster.starts_at,
        )
    ).all()
    assert {r.kind for r in before} == {"questionnaire_phq9", "questionnaire_gad7"}
    decision = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "booster_review.decide")
    )
    assert decision.detail == {
        "review_id": review.id,
        "decision": "booster_booked",
        "appointment_id": booster.id,
    }
    assert decision.actor == f"clinician:{clinician.id}"

    # Off the list; the patient sees the booster; a second decision changes nothing.
    assert "No patient to review." in browser.get("/clinic/").text
    today_page = phone.get(f"{waitress.url}/today", timeout=TIMEOUT_S).text
    assert "You have had all 6 infusions of your first series." in today_page
    assert f"Your next booster is on {booster_day.strftime('%A')}." in today_page
    again = browser.submit(
        "/clinic/",
        {"decision": "no_action"},
        action=f"/clinic/booster-reviews/{review.id}/decision",
    )
    assert again.status_code == 303
    db.session.rollback()
    assert db.session.get(BoosterReview, review.id).decision == "booster_booked"
    assert (
        db.session.scalar(
            select(QuestionnaireResponse.total).order_by(QuestionnaireResponse.id.desc()).limit(1)
        )
        == 31
    )
