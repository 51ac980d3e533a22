"""The treatment course in a browser: on a phone, where the patient is in their course and their
progress in words before the chart; at the clinic, the review-for-a-booster list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from aftercare.care.course import CoursePlan, spread_dates
from aftercare.care.instruments import load_builtin
from aftercare.clinic import service
from aftercare.extensions import db
from aftercare.models import (
    Appointment,
    BoosterReview,
    Infusion,
    Patient,
    QuestionnaireResponse,
    utcnow,
)
from tests.browser.conftest import WAIT_MS, Demo, LiveServer, enroll
from tests.browser.test_clinician import accessibility_violations, assert_no_violations, sign_in
from tests.questionnaires.test_booster_review import answers_for

pytestmark = pytest.mark.browser

CLINIC_SCREEN = {"viewport": {"width": 1366, "height": 900}}


def three_infusions_in(live_server: LiveServer, patient_id: int) -> str:
    """A course of six for the demo patient, three infused, the fourth booked in two days, and
    a PCL-5 of 48 before the first and 34 now. The fourth's weekday, as Today says it."""
    with live_server.app.app_context():
        patient = db.session.get(Patient, patient_id)
        tz = patient.clinic.tz
        today = utcnow().astimezone(tz).date()
        service.plan_course(
            patient, CoursePlan(tuple(spread_dates(today - timedelta(days=6), 6))), None
        )
        for days_ago in (6, 3):
            ended = utcnow() - timedelta(days=days_ago)
            db.session.add(
                Infusion(
                    patient_id=patient.id, started_at=ended - timedelta(hours=1), ended_at=ended
                )
            )
        booked = utcnow() + timedelta(days=2)
        db.session.add(
            Appointment(
                clinic_id=patient.clinic_id,
                patient_id=patient.id,
                kind="infusion",
                starts_at=booked,
            )
        )
        instrument = load_builtin()["pcl5"]
        for key, total, days_ago in (("baseline", 48, 8), ("now", 34, 0.01)):
            db.session.add(
                QuestionnaireResponse(
                    patient_id=patient.id,
                    instrument_id="pcl5",
                    instrument_version=instrument.version,
                    idempotency_key=key,
                    answers={str(k): v for k, v in answers_for(instrument, total).items()},
                    total=total,
                    received_at=utcnow() - timedelta(days=days_ago),
                )
            )
        db.session.commit()
        return booked.astimezone(tz).strftime("%A")


def test_the_patient_sees_their_place_in_the_course_and_their_progress_in_words(
    phone: Callable[..., BrowserContext], live_server: LiveServer, demo: Demo
) -> None:
    weekday = three_infusions_in(live_server, demo.patient_id)
    page = phone().new_page()
    enroll(page, demo.enrollment_url)

    course = page.locator("#course")
    expect(course).to_contain_text(f"Infusion 3 of 6 — next on {weekday}")
    # Centred, not "if needed": Today now leads with what to do now, and the course box can
    # start on the first screen with its end just below it, which counts as already in view.
    course.evaluate("element => element.scrollIntoView({block: 'center'})")
    box = course.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844  # on screen once scrolled to
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    assert_no_violations(accessibility_violations(page))

    page.goto("/questionnaires")
    section = page.locator("section", has=page.get_by_role("heading", name="PTSD symptoms (PCL-5)"))
    words = section.locator(".progress__words").first
    expect(words).to_have_text(
        "Your PCL-5 score is 14 points lower than before your first infusion — a meaningful change."
    )
    words.scroll_into_view_if_needed()
    said, chart = words.bounding_box(), section.locator("figure").bounding_box()
    assert said is not None and chart is not None
    assert said["y"] + said["height"] <= chart["y"]  # the words come before the chart
    assert said["x"] + said["width"] <= 390
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    assert_no_violations(accessibility_violations(page))


def test_the_clinician_reviews_a_patient_for_a_booster_and_records_a_decision(
    browser: Browser, live_server: LiveServer, demo: Demo
) -> None:
    with live_server.app.app_context():
        patient = db.session.get(Patient, demo.patient_id)
        db.session.add(
            BoosterReview(
                clinic_id=patient.clinic_id,
                patient_id=patient.id,
                instrument_id="pcl5",
                total=34,
                lowest=22,
            )
        )
        db.session.commit()
    context = browser.new_context(base_url=live_server.url, **CLINIC_SCREEN)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    sign_in(page, demo.clinician_email, demo.clinician_password)
    page.wait_for_url("**/clinic/")

    reviews = page.get_by_role("region", name="Review for a booster")
    item = reviews.get_by_role("listitem").filter(has_text=demo.patient_name)
    expect(item).to_contain_text("PCL-5 34, 12 points above the lowest since the series (22)")
    box = reviews.get_by_role("heading", name="Review for a booster").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 900  # on the first screen
    reviews.get_by_text("What puts a patient on this list").click()
    expect(reviews).to_contain_text("median of 27.5 days")
    assert_no_violations(accessibility_violations(page))

    item.get_by_label("Watch").check()
    item.get_by_label("Note (optional)").fill("Recheck at the next PCL-5.")
    item.get_by_role("button", name="Record decision").click()

    expect(page.get_by_text(f"Decision recorded for {demo.patient_name}.")).to_be_visible()
    expect(reviews).to_contain_text("No patient to review.")
    with live_server.app.app_context():
        review = db.session.query(BoosterReview).one()
        assert (review.decision, review.decision_note) == ("watch", "Recheck at the next PCL-5.")
    context.close()
