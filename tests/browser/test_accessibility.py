"""axe-core on every page a person can reach, beyond the ones the journeys already check.

`test_clinician.py` checks the dashboard, the patient list and the patient page, and the
patient's Today, check-in, result, help and questionnaire pages. These tests go through the
rest: signing in, two-factor, every admin page, forms with their errors showing, an
invitation, and on the phone the enrollment page, sharing with a companion, the companion's
page, a questionnaire's result, the offline page and the pages in Spanish.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import BrowserContext, expect

from aftercare.extensions import db
from aftercare.models import Appointment, utcnow
from tests.browser.conftest import Demo, LiveServer, enroll
from tests.browser.test_clinician import (
    accessibility_violations,
    add_admin_with_two_factor,
    assert_no_violations,
    clinic_of,
    sign_in,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def add_appointment(live_server: LiveServer, patient_id: int) -> int:
    with live_server.app.app_context():
        appointment = Appointment(
            clinic_id=clinic_of(patient_id).id,
            patient_id=patient_id,
            kind="follow_up",
            starts_at=utcnow() + timedelta(days=2),
        )
        db.session.add(appointment)
        db.session.commit()
        return appointment.id


def test_every_clinician_page_has_no_accessibility_violations(
    desktop: BrowserContext,
    phone: Callable[[], BrowserContext],
    live_server: LiveServer,
    demo: Demo,
) -> None:
    _, email, secret = add_admin_with_two_factor(live_server, demo.patient_id)
    appointment_id = add_appointment(live_server, demo.patient_id)
    page = desktop.new_page()
    violations: list[str] = []

    page.goto("/clinic/login")
    violations += accessibility_violations(page)
    sign_in(page, email, "not the password")
    expect(page.locator(".error, [role=alert]").first).to_be_visible()
    violations += accessibility_violations(page)

    sign_in(page, email, PASSWORD)
    page.wait_for_url("**/clinic/login/verify")
    violations += accessibility_violations(page)
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/clinic/")

    for path in (
        "/clinic/security/two-factor",
        "/clinic/patients/new",
        "/clinic/settings",
        "/clinic/admin/audit",
        f"/clinic/appointments/{appointment_id}/edit",
    ):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        violations += accessibility_violations(page)

    # A form sent back with its errors showing.
    page.goto("/clinic/patients/new")
    form = page.locator("main form").first
    form.evaluate("form => { form.noValidate = true; }")  # let the server answer instead
    form.locator("button[type=submit]").click()
    expect(page.locator("main .error").first).to_be_visible()
    violations += accessibility_violations(page)

    page.goto("/clinic/admin/clinicians")
    violations += accessibility_violations(page)
    page.get_by_label("Name").fill("Robin")
    page.get_by_label("Email").fill("robin@demo.test")
    page.get_by_role("button", name="Make an invitation link").click()
    invitation = page.locator("code", has_text="/clinic/invite/")
    expect(invitation).to_be_visible()
    violations += accessibility_violations(page)

    newcomer = phone().new_page()  # the new clinician, in a browser of their own
    newcomer.goto(invitation.inner_text())
    expect(newcomer.locator("h1")).to_be_visible()
    violations += accessibility_violations(newcomer)

    assert_no_violations(violations)


def test_every_other_patient_page_has_no_accessibility_violations(
    phone: Callable[[], BrowserContext], demo: Demo
) -> None:
    page = phone().new_page()
    violations: list[str] = []

    page.goto(demo.enrollment_url)
    expect(page.get_by_role("button", name="Link this phone")).to_be_visible()
    violations += accessibility_violations(page)
    enroll(page, demo.enrollment_url)

    page.goto("/companion")
    violations += accessibility_violations(page)
    page.get_by_role("button", name="Make a link to share").tap()
    shared = page.locator("a", has_text="/c/")
    expect(shared).to_be_visible()
    violations += accessibility_violations(page)

    companion = phone().new_page()
    companion.goto(shared.get_attribute("href") or "")
    expect(companion.locator("h1")).to_be_visible()
    violations += accessibility_violations(companion)

    page.goto("/questionnaires/gad7")
    items = page.locator("fieldset.choice--column")
    for number in range(7):
        items.nth(number).get_by_label("Several days").check()
    page.get_by_role("button", name="Send answers").tap()
    page.wait_for_url(re.compile(r"/questionnaires/responses/\d+$"))
    violations += accessibility_violations(page)

    page.goto("/offline")
    violations += accessibility_violations(page)

    # The same pages in Spanish, chosen with the switch.
    page.goto("/today")
    page.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    for path in ("/today", "/check-in", "/questionnaires", "/help"):
        page.goto(path)
        violations += accessibility_violations(page)

    assert_no_violations(violations)
