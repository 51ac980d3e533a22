"""A Spanish-speaking patient's phone: Today, the check-in and its red flags, offline too."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import Demo, LiveServer
from tests.browser.test_patient_journey import (
    OUTBOX_STATUSES,
    count_check_ins,
    go_offline,
    make_available_offline,
    run_js,
)

pytestmark = pytest.mark.browser

# "Tiempo que falta: 22 horas 59 minutos", counted down by app.js in the page's words.
COUNTDOWN = re.compile(r"^Tiempo que falta: \d+ horas?( \d+ minutos?)?$")


@pytest.fixture
def spanish_phone(phone: Callable[..., BrowserContext]) -> Callable[[], BrowserContext]:
    return lambda: phone(locale="es-US")


@pytest.fixture
def linked(spanish_phone: Callable[[], BrowserContext], demo: Demo) -> Page:
    page = spanish_phone().new_page()
    page.goto(demo.enrollment_url)
    expect(page.get_by_role("heading", name="Conectar este teléfono")).to_be_visible()
    page.get_by_role("button", name="Conectar este teléfono").tap()
    page.wait_for_url("**/today")
    return page


def test_today_is_in_spanish_with_the_988_spanish_option_and_a_live_countdown(linked: Page):
    page = linked
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Sus cuidados después de la infusión")).to_be_visible()
    bar = page.get_by_role("navigation", name="Obtenga ayuda ahora")
    expect(bar).to_contain_text("Llame o envíe un mensaje de texto al 988 (marque 2 para español)")
    expect(bar.locator('a[href="tel:988"]')).to_have_text("Llamar al 988")
    expect(bar.locator('a[href="tel:988"]')).to_be_in_viewport()
    driving = page.locator('.timed__item[data-key="driving"]')
    expect(driving.locator(".timed__text")).to_contain_text("No maneje")
    expect(driving.locator(".countdown")).to_have_text(COUNTDOWN)
    # The scripts speak Spanish too: the reminders box is set up by push.js.
    expect(page.locator("#reminders .push__status")).to_contain_text("Los recordatorios están")


def test_a_red_flag_shows_its_next_step_in_spanish_at_once_and_offline(
    linked: Page, live_server: LiveServer, demo: Demo
):
    page = linked
    make_available_offline(page)
    go_offline(page, live_server)
    page.goto("/check-in")
    expect(page.get_by_role("heading", name="¿Cómo se siente?")).to_be_visible()

    page.get_by_label("Pensamientos de hacerse daño o de quitarse la vida").check()

    live = page.locator("#triage-now")
    expect(live.get_by_role("heading")).to_have_text(
        "Llame o envíe un mensaje de texto al 988 ahora"
    )
    expect(live.locator('a[href="tel:988"]')).to_have_text("Llamar al 988")
    expect(live.locator('a[href="sms:988"]')).to_have_text("Mensaje al 988")
    expect(live).to_contain_text("Marque 2 para español")

    page.get_by_role("button", name="Enviar reporte").tap()
    queued = page.locator("#queued-result")
    expect(queued).to_contain_text("Guardado en este teléfono.")
    expect(queued.get_by_role("link", name="Volver a Hoy")).to_be_visible()
    assert run_js(page, OUTBOX_STATUSES) == ["waiting"]
    assert count_check_ins(live_server, demo.patient_id) == 0


def test_the_patient_switches_to_english_and_back(linked: Page):
    page = linked
    page.get_by_role("button", name="English").tap()
    expect(page.get_by_role("heading", name="Your aftercare")).to_be_visible()
    page.goto("/check-in")
    expect(page.get_by_role("heading", name="How are you feeling?")).to_be_visible()
    page.get_by_role("button", name="Español").tap()
    page.wait_for_url("**/check-in")
    expect(page.get_by_role("heading", name="¿Cómo se siente?")).to_be_visible()
