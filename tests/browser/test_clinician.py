"""The clinic's side in a browser: two-factor sign-in, a crisis first, and pages axe finds clean."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import select

from aftercare.clinic import twofactor
from aftercare.extensions import db
from aftercare.models import Alert, Clinic, Delivery, Patient, Reminder, utcnow
from aftercare.patient.checkins import CheckInData, save_check_in
from aftercare.questionnaires.service import Submission, instruments, save_response
from tests.browser.conftest import Demo, LiveServer
from tests.conftest import PASSWORD, add_clinician, add_patient, book_appointment

pytestmark = pytest.mark.browser

# The WCAG 2.0 and 2.1 success criteria at levels A and AA.
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
# Playwright evaluates scripts through the DevTools protocol, which the page's CSP does not
# govern, so axe runs on the pages exactly as served: no bypass_csp needed.
AXE = Axe()


# A repeated id that a label, an ARIA attribute or a link points at names or reveals the wrong
# element; axe only asks a person to review it, here it fails. (Repeated ids nothing points at,
# such as every form's hidden csrf_token, do not change what assistive technology says.)
REFERENCED_DUPLICATE_IDS = """() => {
    const pointers = ["aria-labelledby", "aria-describedby", "aria-controls", "aria-owns",
                      "aria-activedescendant", "aria-errormessage", "aria-details"];
    const referenced = new Set();
    for (const label of document.querySelectorAll("label[for]")) referenced.add(label.htmlFor);
    for (const link of document.querySelectorAll('a[href^="#"]')) {
        referenced.add(link.hash.slice(1));
    }
    for (const name of pointers) {
        for (const element of document.querySelectorAll(`[${name}]`)) {
            element.getAttribute(name).split(/\\s+/).forEach((id) => referenced.add(id));
        }
    }
    const ids = [...document.querySelectorAll("[id]")].map((element) => element.id);
    const repeated = ids.filter((id, index) => ids.indexOf(id) !== index);
    return [...new Set(repeated)].filter((id) => referenced.has(id));
}"""


def accessibility_violations(page: Page) -> list[str]:
    """What axe-core finds on the page against WCAG 2.1 AA, one readable line per element."""
    found = AXE.run(page, options=WCAG_AA).response["violations"]
    lines = [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at {', '.join(map(str, where))}"
        for v in found
        for where in (node["target"] for node in v["nodes"])
    ]
    duplicates = page.evaluate(REFERENCED_DUPLICATE_IDS)
    return lines + [
        f"{page.url}: duplicate-id: more than one element has id={d!r}" for d in duplicates
    ]


def assert_no_violations(violations: list[str]) -> None:
    assert not violations, "axe-core found:\n" + "\n".join(violations)


def clinic_of(patient_id: int) -> Clinic:
    clinic = db.session.scalar(select(Clinic).join(Patient).where(Patient.id == patient_id))
    assert clinic is not None
    return clinic


def add_admin_with_two_factor(live_server: LiveServer, patient_id: int) -> tuple[int, str, str]:
    """An admin of the patient's clinic whose authenticator app holds the returned secret."""
    with live_server.app.app_context():
        admin = add_clinician(db, clinic_of(patient_id), "admin@demo.test", role="admin")
        secret = twofactor.new_secret()
        # Set up with the previous step's code, so that the current one is still unused.
        code = pyotp.TOTP(secret).at(utcnow() - timedelta(seconds=30))
        assert twofactor.enable(admin, secret, code) is not None
        db.session.commit()
        return admin.id, admin.email, secret


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/clinic/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Sign in").click()


def open_alerts(page: Page) -> Locator:
    return page.get_by_role("region", name="Open alerts").get_by_role("listitem")


def test_a_clinician_signs_in_with_two_factor_sees_a_crisis_first_and_acknowledges_it(
    enrolled: Page, desktop: BrowserContext, live_server: LiveServer, demo: Demo
) -> None:
    admin_id, email, secret = add_admin_with_two_factor(live_server, demo.patient_id)
    phone = enrolled
    phone.goto("/check-in")
    phone.get_by_label("Thoughts of hurting yourself or ending your life").check()
    phone.get_by_role("button", name="Send check-in").tap()
    phone.wait_for_url(re.compile(r"/check-ins/\d+$"))
    # A newer, less urgent alert from another patient: the crisis must still come first.
    with live_server.app.app_context():
        other = add_patient(db, clinic_of(demo.patient_id), "Blair")
        save_check_in(other, None, CheckInData("rash-later", {"rash_itching": 1}))

    page = desktop.new_page()
    sign_in(page, email, PASSWORD)
    page.wait_for_url("**/clinic/login/verify")
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/clinic/")

    alerts = open_alerts(page)
    expect(alerts).to_have_count(2)
    crisis = alerts.first
    expect(crisis.locator(".badge")).to_have_text("Crisis")
    expect(crisis).to_contain_text(demo.patient_name)
    expect(alerts.nth(1)).to_contain_text("Blair")

    note = "Called the patient; safety plan reviewed, staying with family tonight."
    crisis.get_by_label("Note").fill(note)
    crisis.get_by_role("button", name="Acknowledge").click()

    expect(alerts).to_have_count(1)
    expect(alerts.first).to_contain_text("Blair")
    expect(page.get_by_role("region", name="Open alerts")).not_to_contain_text(demo.patient_name)
    with live_server.app.app_context():
        [alert] = db.session.scalars(select(Alert).where(Alert.patient_id == demo.patient_id)).all()
        assert alert.level == "crisis"
        assert alert.acknowledged_at is not None
        assert alert.acknowledged_by_id == admin_id
        assert alert.acknowledgement_note == note

    page.goto(f"/clinic/patients/{demo.patient_id}")
    history = page.get_by_role("region", name="Alerts").get_by_role("listitem")
    expect(history).to_have_count(1)
    expect(history).to_contain_text(re.compile(r"Acknowledged .+: " + re.escape(note)))


def fill_the_clinic(live_server: LiveServer, demo: Demo) -> None:
    """Alerts of every urgent level, over a page of patients, and a patient with a full history."""
    now = utcnow()
    with live_server.app.app_context():
        clinic = clinic_of(demo.patient_id)
        patient = db.session.get(Patient, demo.patient_id)
        save_check_in(patient, None, CheckInData("evening", {"headache": 2, "nausea": 1}))
        crisis, _ = save_check_in(patient, None, CheckInData("night", {"suicidal_thoughts": 1}))
        # Waiting long enough to be flagged as not acknowledged in time.
        waiting = db.session.scalar(select(Alert).where(Alert.check_in_id == crisis.id))
        waiting.created_at = now - timedelta(hours=1)
        gad7 = instruments()["gad7"]
        save_response(
            patient, None, Submission(gad7, "gad7", dict.fromkeys(range(1, 8), 1), {}, None)
        )
        for number, name in enumerate(["Blair", "Casey", "Dana", "Avery", "Frankie", "Harper"]):
            for letter in "abcde":  # 30 more, all with an "a": more than a page
                add_patient(db, clinic, f"{name} {letter.upper()}.", hours_ago=number + 2)
        blair = db.session.scalar(select(Patient).where(Patient.display_name == "Blair A."))
        casey = db.session.scalar(select(Patient).where(Patient.display_name == "Casey A."))
        save_check_in(blair, None, CheckInData("rash", {"rash_itching": 1}))
        save_check_in(casey, None, CheckInData("chest", {"chest_pain": 1}))
        book_appointment(db, patient, "follow_up", timedelta(days=2))
        # Reminders in the states a clinician most needs to read: sent, and given up on.
        delivered, failed = db.session.scalars(
            select(Reminder).where(Reminder.patient_id == patient.id).order_by(Reminder.id)
        ).all()[:2]
        delivered.state, delivered.attempts, delivered.delivered_at = "delivered", 1, now
        failed.state, failed.attempts, failed.last_error = "failed", 3, "push service said 410"
        db.session.add(
            Delivery(reminder_id=delivered.id, sent_at=now, status_code=201, outcome="delivered")
        )
        db.session.commit()


def test_the_dashboard_patient_list_and_patient_page_have_no_accessibility_violations(
    desktop: BrowserContext, live_server: LiveServer, demo: Demo
) -> None:
    fill_the_clinic(live_server, demo)
    page = desktop.new_page()
    sign_in(page, demo.clinician_email, demo.clinician_password)
    page.wait_for_url("**/clinic/")
    violations: list[str] = []

    expect(open_alerts(page)).to_have_count(3)
    expect(page.locator(".overdue")).to_be_visible()
    violations += accessibility_violations(page)

    page.goto("/clinic/?q=a&sort=name")
    expect(page.get_by_role("link", name="Next page")).to_be_visible()
    violations += accessibility_violations(page)

    page.goto(f"/clinic/patients/{demo.patient_id}")
    for section in ("Needs action", "Check-ins", "Appointments"):
        expect(
            page.get_by_role("region", name=section).locator("li, tbody tr").first
        ).to_be_visible()
    # Reminders are summed up, the full log one tap away.
    reminders = page.get_by_role("region", name="Reminders", exact=True)
    expect(reminders).to_contain_text("Not delivered: 1")
    expect(reminders.locator("tbody tr").first).to_be_hidden()
    expect(page.get_by_role("region", name="Questionnaires across the course")).to_contain_text(
        "GAD-7"
    )
    for table in page.locator("details summary").all():
        table.click()  # a closed table's contents are hidden, and axe checks only what shows
    expect(reminders.locator("tbody tr").first).to_be_visible()
    violations += accessibility_violations(page)

    assert_no_violations(violations)


def test_the_patient_pages_on_a_phone_have_no_accessibility_violations(enrolled: Page) -> None:
    page = enrolled  # on /today
    violations = accessibility_violations(page)

    page.goto("/check-in")
    page.get_by_label("Chest pain or pressure").check()  # shows what to do at once
    expect(page.locator("#triage-now")).to_be_visible()
    violations += accessibility_violations(page)

    page.get_by_role("button", name="Send check-in").tap()
    page.wait_for_url(re.compile(r"/check-ins/\d+$"))
    violations += accessibility_violations(page)

    for path in ("/help", "/questionnaires", "/questionnaires/phq9"):
        page.goto(path)
        violations += accessibility_violations(page)

    assert_no_violations(violations)
