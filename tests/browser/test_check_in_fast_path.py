"""The check-in as a drowsy patient meets it on a 390x844 phone: red flags first, nothing
answered for them, "I feel fine" in one tap, and a form much shorter than the 4,230 px it was."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import select

from aftercare.extensions import db
from aftercare.models import CheckIn
from tests.browser.conftest import PHONE, Demo, LiveServer, linked_phone
from tests.browser.test_clinician import accessibility_violations, assert_no_violations

pytestmark = pytest.mark.browser

VIEWPORT_HEIGHT = PHONE["viewport"]["height"]
# The whole form on the first check-in after an infusion, red flags to Send. It was 4,230 px
# (23 questions, every graded one pre-set to "No", the vitals and the driver question open).
FORM_AT_MOST = 3_200

ENGLISH = {
    "locale": "en-US",
    "link": "Link this phone",
    "check_in": re.compile(r"^Check in$"),
    "fine": "I feel fine",
    "send": "Send check-in",
    "chest_pain": "Chest pain or pressure",
    "headache": "Headache",
    "a_little": "A little",
    "none_of_these": "None of these",
    "pulse": "Pulse",
    "top": "Top number",
    "bottom": "Bottom number",
    "vitals": "Blood pressure and pulse (optional)",
    "driver": "Did a driver take you home safely?",
    "expected": "Rest. This is expected.",
    "not_answered": "Some of these have no answer",
}
SPANISH = {
    "locale": "es-US",
    "link": "Conectar este teléfono",
    "check_in": re.compile(r"^Reportar$"),
    "fine": "Me siento bien",
    "send": "Enviar reporte",
    "chest_pain": "Dolor o presión en el pecho",
    "headache": "Dolor de cabeza",
    "a_little": "Un poco",
    "none_of_these": "Ninguno de estos",
    "pulse": "Pulso",
    "top": "Número de arriba",
    "bottom": "Número de abajo",
    "vitals": "Presión arterial y pulso (opcional)",
    "driver": "¿Alguien le llevó a casa de forma segura?",
    "expected": "Descanse. Esto es de esperar.",
    "not_answered": "Algunas preguntas no tienen respuesta",
}
LANGUAGES = pytest.mark.parametrize("words", [ENGLISH, SPANISH], ids=["en", "es"])


class Thumb:
    """Taps on the screen, counted."""

    def __init__(self) -> None:
        self.taps = 0

    def tap(self, locator: Locator) -> None:
        locator.tap()
        self.taps += 1


def form_height(page: Page) -> float:
    box = page.locator("#check-in-form").bounding_box()
    assert box is not None
    return box["height"]


def stored_check_ins(live_server: LiveServer, demo: Demo) -> list[CheckIn]:
    with live_server.app.app_context():
        found = db.session.scalars(
            select(CheckIn).where(CheckIn.patient_id == demo.patient_id).order_by(CheckIn.id)
        ).all()
        db.session.expunge_all()
        return list(found)


@LANGUAGES
def test_i_feel_fine_is_two_taps_from_today_and_on_the_first_screen(
    phone: Callable[..., BrowserContext], demo: Demo, live_server: LiveServer, words: dict
) -> None:
    page = linked_phone(phone, demo, words["locale"], words["link"])
    thumb = Thumb()

    thumb.tap(page.locator("main").get_by_role("link", name=words["check_in"]))
    page.wait_for_url("**/check-in")
    fine = page.get_by_role("button", name=words["fine"])
    # The red flags come first, and "I feel fine" right after them, without scrolling.
    assert page.evaluate("() => window.scrollY") == 0
    box = fine.bounding_box()
    assert box is not None and box["y"] + box["height"] <= VIEWPORT_HEIGHT, box
    flags = page.locator("fieldset.group--urgent").bounding_box()
    assert flags is not None and flags["y"] < box["y"]
    assert_no_violations(accessibility_violations(page))

    thumb.tap(fine)
    page.wait_for_url(re.compile(r"/check-ins/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(words["expected"])
    assert thumb.taps == 2

    [stored] = stored_check_ins(live_server, demo)
    # "I feel fine" is a clear "No" to every question, said by the patient.
    assert set(stored.severities.values()) == {0}
    assert len(stored.severities) == 17


@LANGUAGES
def test_no_answer_is_chosen_for_the_patient_and_the_form_is_shorter(
    phone: Callable[..., BrowserContext], demo: Demo, words: dict
) -> None:
    page = linked_phone(phone, demo, words["locale"], words["link"])
    page.goto("/check-in")
    expect(page.locator("#check-in-form input:checked")).to_have_count(0)
    # Vitals are optional, folded away, and named as on the monitor's screen.
    vitals = page.locator("details.vitals")
    expect(vitals).not_to_have_attribute("open", "")
    vitals.locator("summary").filter(has_text=words["vitals"]).tap()
    for label in (words["top"], words["bottom"], words["pulse"]):
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    assert "systolic" not in page.locator("#check-in-form").inner_text().lower()
    vitals.locator("summary").tap()

    first = form_height(page)
    expect(page.get_by_role("group", name=words["driver"])).to_be_visible()
    assert first <= FORM_AT_MOST, f"the form is {first} px high"

    page.get_by_role("button", name=words["fine"]).tap()
    page.wait_for_url(re.compile(r"/check-ins/\d+$"))
    # The next check-in after the same infusion no longer asks about the ride home.
    page.goto("/check-in")
    expect(page.get_by_role("group", name=words["driver"])).to_have_count(0)
    assert form_height(page) < first


def test_a_red_flag_hides_i_feel_fine_and_is_sent_at_once(
    phone: Callable[..., BrowserContext], demo: Demo, live_server: LiveServer
) -> None:
    page = linked_phone(phone, demo)
    page.goto("/check-in")
    fine = page.get_by_role("button", name=ENGLISH["fine"])
    page.get_by_label(ENGLISH["chest_pain"]).check()
    expect(fine).to_be_hidden()
    expect(page.locator("#triage-now")).to_be_visible()
    # Nothing else answered: a red flag is never held back to ask again.
    page.get_by_role("button", name=ENGLISH["send"]).tap()
    page.wait_for_url(re.compile(r"/check-ins/\d+$"))
    [stored] = stored_check_ins(live_server, demo)
    assert stored.triage_level == "emergency"
    assert "headache" not in stored.severities  # not answered, not "No"

    page.goto("/check-in")
    page.get_by_label(ENGLISH["chest_pain"]).check()
    page.get_by_label(ENGLISH["chest_pain"]).uncheck()
    expect(fine).to_be_visible()


@LANGUAGES
def test_unanswered_questions_are_asked_again_once_then_none_of_these_counts_them_as_no(
    phone: Callable[..., BrowserContext], demo: Demo, live_server: LiveServer, words: dict
) -> None:
    page = linked_phone(phone, demo, words["locale"], words["link"])
    page.goto("/check-in")
    page.get_by_role("group", name=words["headache"]).get_by_label(words["a_little"]).check()
    page.get_by_role("button", name=words["send"]).tap()

    prompt = page.locator("#not-answered")
    expect(prompt).to_contain_text(words["not_answered"])
    expect(prompt).to_be_focused()
    assert page.url.endswith("/check-in")

    page.get_by_label(words["none_of_these"]).check()
    # The questions still open now show "No": what will be stored is what the patient sees.
    expect(page.locator("#check-in-form input[type=radio]:checked")).to_have_count(8)
    page.get_by_role("button", name=words["send"]).tap()
    page.wait_for_url(re.compile(r"/check-ins/\d+$"))
    [stored] = stored_check_ins(live_server, demo)
    assert stored.severities["headache"] == 1 and stored.severities["nausea"] == 0


def test_enter_in_the_pulse_box_never_sends_i_feel_fine(
    phone: Callable[..., BrowserContext], demo: Demo, live_server: LiveServer
) -> None:
    page = linked_phone(phone, demo)
    page.goto("/check-in")
    page.locator("details.vitals summary").tap()
    pulse = page.get_by_label(ENGLISH["pulse"], exact=True)
    pulse.fill("72")
    pulse.press("Enter")
    # Asked again about the questions left open, then sent as it is: they stay unanswered.
    expect(page.locator("#not-answered")).to_be_visible()
    pulse.press("Enter")
    page.wait_for_url(re.compile(r"/check-ins/\d+$"))
    [stored] = stored_check_ins(live_server, demo)
    assert stored.heart_rate == 72
    assert not any(code in stored.severities for code in ("headache", "nausea", "dizziness"))


def test_an_empty_check_in_is_not_sent_and_says_what_to_do(
    phone: Callable[..., BrowserContext], demo: Demo, live_server: LiveServer
) -> None:
    page = linked_phone(phone, demo)
    page.goto("/check-in")
    page.get_by_role("button", name=ENGLISH["send"]).tap()
    expect(page.locator("#fast-path .error")).to_contain_text("Tap “I feel fine”")
    expect(page.get_by_role("button", name=ENGLISH["fine"])).to_be_focused()
    assert stored_check_ins(live_server, demo) == []
