"""The progress page on a phone: each chart says what it shows, and nothing asks to be answered
unless it is due."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from aftercare.extensions import db
from aftercare.models import Infusion, Patient, utcnow
from tests.browser.conftest import Demo, LiveServer
from tests.browser.test_clinician import accessibility_violations, assert_no_violations

pytestmark = pytest.mark.browser


def answer_phq9(page: Page, label: str) -> None:
    page.goto("/questionnaires/phq9")
    items = page.locator("fieldset.choice--column")
    for number in range(9):
        items.nth(number).locator("label").filter(has_text=label).first.check()
    page.locator("#questionnaire-form button[type=submit]").tap()
    page.wait_for_url(re.compile(r"/questionnaires/responses/\d+$"))


def add_infusion(live_server: LiveServer, patient_id: int, hours_ago: float) -> None:
    with live_server.app.app_context():
        ended = utcnow() - timedelta(hours=hours_ago)
        db.session.add(
            Infusion(
                patient_id=patient_id, started_at=ended - timedelta(minutes=50), ended_at=ended
            )
        )
        db.session.commit()


def test_each_chart_names_its_questionnaire_says_lower_is_better_and_shows_bands_and_infusions(
    enrolled: Page, live_server: LiveServer, demo: Demo
) -> None:
    page = enrolled
    answer_phq9(page, "Several days")  # 9: mild
    add_infusion(live_server, demo.patient_id, hours_ago=0.2)  # a second infusion since
    answer_phq9(page, "Not at all")  # 0

    page.goto("/questionnaires")

    phq9 = page.locator("section", has=page.get_by_role("heading", name="Depression (PHQ-9)"))
    expect(phq9).to_be_visible()
    expect(phq9.locator(".progress__better")).to_have_text("Lower is better.")
    chart = phq9.get_by_role("img", name=re.compile(r"^Depression \(PHQ-9\): your scores"))
    expect(chart).to_be_visible()
    labels = chart.locator(".chart__band-label")
    expect(labels).to_have_text(["None–minimal", "Mild", "Moderate", "Moderately severe", "Severe"])
    for label in labels.all():
        expect(label).to_be_visible()
    markers = chart.locator(".chart__marker line")
    expect(markers).to_have_count(2)  # both infusions
    expect(chart.locator(".chart__markers text").first).to_have_text("Infusion")
    # Drawn inside the chart, on the phone's screen width.
    box = chart.bounding_box()
    assert box is not None and box["width"] <= 390

    # The text alternative says the same.
    phq9.get_by_text("Your scores as a table").tap()
    table = phq9.get_by_role("table")
    expect(table.locator("caption")).to_have_text("Depression (PHQ-9). Lower is better.")
    expect(table.get_by_role("row").filter(has_text="Mild")).to_have_count(1)
    expect(table.get_by_role("row").filter(has_text="Infusion")).to_have_count(2)

    for name in ("Anxiety (GAD-7)", "PTSD symptoms (PCL-5)"):
        expect(page.get_by_role("heading", name=name)).to_be_visible()
    assert_no_violations(accessibility_violations(page))


def test_nothing_asks_to_be_answered_when_nothing_is_due(
    enrolled: Page, live_server: LiveServer, demo: Demo
) -> None:
    # The demo infusion ended an hour ago. The first questionnaires fall due the next day and
    # open 12 hours early: at 20:00 they open at 08:00 that day, later than now at any hour.
    with live_server.app.app_context():
        clinic = db.session.get(Patient, demo.patient_id).clinic
        clinic.content = {**(clinic.content or {}), "questionnaires": {"hour": 20}}
        db.session.commit()
    page = enrolled
    page.goto("/questionnaires")

    expect(page.get_by_role("heading", name="Your progress")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Answer"))).to_have_count(0)


def test_a_due_questionnaire_can_be_answered_from_its_chart(
    enrolled: Page, live_server: LiveServer, demo: Demo
) -> None:
    with live_server.app.app_context():
        infusion = db.session.scalar(
            db.select(Infusion).where(Infusion.patient_id == demo.patient_id)
        )
        infusion.ended_at -= timedelta(days=2)
        infusion.started_at -= timedelta(days=2)
        db.session.commit()
    page = enrolled
    page.goto("/questionnaires")

    answer = page.get_by_role("link", name="Answer the PHQ-9")
    expect(answer).to_be_visible()
    answer.tap()
    page.wait_for_url("**/questionnaires/phq9")


def test_the_progress_page_in_spanish(phone: Callable[..., BrowserContext], demo: Demo) -> None:
    page = phone(locale="es-US").new_page()
    page.goto(demo.enrollment_url)
    page.get_by_role("button", name="Conectar este teléfono").tap()
    page.wait_for_url("**/today")
    answer_phq9(page, "Varios días")

    page.goto("/questionnaires")

    phq9 = page.locator("section", has=page.get_by_role("heading", name="Depresión (PHQ-9)"))
    expect(phq9.locator(".progress__better")).to_have_text("Más bajo es mejor.")
    expect(phq9.locator(".chart__band-label")).to_have_text(
        ["Ninguna o mínima", "Leve", "Moderada", "Moderadamente grave", "Grave"]
    )
    expect(phq9.locator(".chart__markers text").first).to_have_text("Infusión")
    assert_no_violations(accessibility_violations(page))
