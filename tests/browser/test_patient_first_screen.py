"""What a drowsy patient sees first on a 390x844 phone: the rule in force and the check-in on
Today's first screen, a crisis bar that takes little room on every page, open advice leading
Today, results that say the action once, and times in words that stay right offline."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import select

from aftercare.extensions import db
from aftercare.models import Alert, utcnow
from tests.browser.conftest import PHONE, Demo, LiveServer, linked_phone
from tests.browser.test_clinician import accessibility_violations, assert_no_violations
from tests.browser.test_patient_journey import go_offline, make_available_offline

pytestmark = pytest.mark.browser

VIEWPORT_HEIGHT = PHONE["viewport"]["height"]
CRISIS_BAR_AT_MOST = 120

ENGLISH = {
    "locale": "en-US",
    "link": "Link this phone",
    "bar": "Get help now",
    "pages": "Pages",
    "first": "Most important now",
    "check_in": re.compile(r"Check in$"),
    "send": "Send check-in",
    "self_harm": "Thoughts of hurting yourself or ending your life",
    "chest_pain": "Chest pain or pressure",
    "headache": "Headache",
    "a_little": "A little",
    "none_of_these": "None of these",
    "crisis_title": "Call or text 988 now",
    "emergency_title": "Call 911 now",
    "explanation": "not watched around the clock",
    "options": "press 2 for spanish",
    "more": "More help and phone numbers",
    "later_today": re.compile(r"until (today|tonight) at \d"),
}
SPANISH = {
    "locale": "es-US",
    "link": "Conectar este teléfono",
    "bar": "Obtenga ayuda ahora",
    "pages": "Páginas",
    "first": "Lo más importante ahora",
    "check_in": re.compile(r"(Reportar|reporte)$"),
    "send": "Enviar reporte",
    "self_harm": "Pensamientos de hacerse daño o de quitarse la vida",
    "chest_pain": "Dolor o presión en el pecho",
    "headache": "Dolor de cabeza",
    "a_little": "Un poco",
    "none_of_these": "Ninguno de estos",
    "crisis_title": "Llame o envíe un mensaje de texto al 988 ahora",
    "emergency_title": "Llame al 911 ahora",
    "explanation": "Nadie vigila esta aplicación las 24 horas",
    "options": "marque 2 para español",
    "more": "Más ayuda y teléfonos",
    "later_today": re.compile(r"hasta (hoy|esta noche) a las? \d"),
}
LANGUAGES = pytest.mark.parametrize("words", [ENGLISH, SPANISH], ids=["en", "es"])


def bottom(locator: Locator) -> float:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not laid out"
    return box["y"] + box["height"]


def in_first_viewport(page: Page, locator: Locator) -> None:
    """Seen without scrolling: the page is at its top and the element ends above the fold."""
    assert page.evaluate("() => window.scrollY") == 0
    expect(locator).to_be_visible()
    assert bottom(locator) <= VIEWPORT_HEIGHT, f"{locator} ends at {bottom(locator)} px"


def check_in_button(page: Page, words: dict) -> Locator:
    """Today's Check in button (not the tab)."""
    return page.locator("main").get_by_role("link", name=words["check_in"]).first


def send_check_in(page: Page, words: dict, label: str) -> None:
    page.goto("/check-in")
    page.get_by_label(label).check()
    page.get_by_role("button", name=words["send"]).tap()
    page.wait_for_url(re.compile(r"/check-ins/\d+$"))


def visible_text(page: Page) -> str:
    """What the page shows: innerText leaves out what a closed <details> hides."""
    return page.evaluate("() => document.body.innerText")


@LANGUAGES
def test_todays_first_rule_and_check_in_button_are_on_the_first_screen(
    phone: Callable[..., BrowserContext], demo: Demo, words: dict
) -> None:
    page = linked_phone(phone, demo, words["locale"], words["link"])

    in_first_viewport(page, page.locator('.timed__item[data-key="driving"]'))
    in_first_viewport(page, check_in_button(page, words))
    expect(page.get_by_role("heading", name=words["first"])).to_be_visible()
    expect(page.locator(".timed__item--first")).to_have_attribute("data-key", "driving")
    # Header, crisis bar and tabs together take well under half of the screen.
    assert bottom(page.get_by_role("navigation", name=words["pages"])) < VIEWPORT_HEIGHT * 0.3


@LANGUAGES
def test_the_tabs_are_four_separate_links_with_a_gap_between_them(
    phone: Callable[..., BrowserContext], demo: Demo, words: dict
) -> None:
    page = linked_phone(phone, demo, words["locale"], words["link"])
    tabs = page.get_by_role("navigation", name=words["pages"])
    expect(tabs.get_by_role("listitem")).to_have_count(4)
    boxes = [link.bounding_box() for link in tabs.get_by_role("link").all()]
    assert len(boxes) == 4 and all(boxes)
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert right["x"] - (left["x"] + left["width"]) >= 4, "tabs touch: they read as one"
    assert boxes[-1]["x"] + boxes[-1]["width"] <= PHONE["viewport"]["width"]


def patient_pages(page: Page, words: dict) -> list[str]:
    """Every kind of patient page: Today, check-in, a result, a questionnaire, progress, help,
    sharing with a companion."""
    send_check_in(page, words, words["self_harm"])
    result = page.url
    return ["/today", "/check-in", result, "/questionnaires/phq9", "/questionnaires", "/help",
            "/companion"]  # fmt: skip


@LANGUAGES
def test_the_crisis_bar_is_small_on_every_page_with_988_and_911_one_tap_each(
    phone: Callable[..., BrowserContext], demo: Demo, words: dict
) -> None:
    page = linked_phone(phone, demo, words["locale"], words["link"])
    for path in patient_pages(page, words):
        page.goto(path)
        bar = page.get_by_role("navigation", name=words["bar"])
        box = bar.bounding_box()
        assert box is not None and box["height"] <= CRISIS_BAR_AT_MOST, (path, box)
        for href in ("tel:988", "sms:988", "tel:911"):
            link = bar.locator(f'a[href="{href}"]')
            in_first_viewport(page, link)
            assert link.bounding_box()["height"] >= 44, (path, href)  # a thumb's tap
        # The rest, once, a tap away.
        explanation = bar.get_by_text(words["explanation"])
        expect(explanation).to_be_hidden()
        if path != "/help":  # the help page says it again in its own words
            assert words["explanation"].lower() not in visible_text(page).lower(), path
        bar.get_by_text(words["more"]).tap()
        expect(explanation).to_be_visible()
        expect(bar.locator('a[href="tel:5550100"]')).to_be_visible()


@LANGUAGES
def test_after_a_crisis_check_in_today_leads_with_988_until_a_clear_check_in(
    phone: Callable[..., BrowserContext], demo: Demo, words: dict
) -> None:
    page = linked_phone(phone, demo, words["locale"], words["link"])
    send_check_in(page, words, words["self_harm"])

    page.goto("/today")
    advice = page.locator("main section.action--crisis")
    in_first_viewport(page, advice.get_by_role("heading", name=words["crisis_title"]))
    in_first_viewport(page, advice.locator('a[href="tel:988"]'))
    assert_no_violations(accessibility_violations(page))

    page.goto("/check-in")
    page.get_by_role("group", name=words["headache"]).get_by_label(words["a_little"]).check()
    page.get_by_label(words["none_of_these"]).check()
    page.get_by_role("button", name=words["send"]).tap()
    page.wait_for_url(re.compile(r"/check-ins/\d+$"))
    page.goto("/today")
    expect(page.locator("main section.action")).to_have_count(0)
    in_first_viewport(page, page.locator(".timed__item--first"))


def test_an_emergency_check_in_leads_today_until_the_clinic_acknowledges_it(
    phone: Callable[..., BrowserContext], demo: Demo, live_server: LiveServer
) -> None:
    page = linked_phone(phone, demo)
    send_check_in(page, ENGLISH, ENGLISH["chest_pain"])

    page.goto("/today")
    advice = page.locator("main section.action--emergency")
    in_first_viewport(page, advice.get_by_role("heading", name=ENGLISH["emergency_title"]))
    in_first_viewport(page, advice.locator('a[href="tel:911"]'))

    with live_server.app.app_context():
        alert = db.session.scalar(select(Alert).where(Alert.patient_id == demo.patient_id))
        alert.acknowledged_at = utcnow()
        db.session.commit()
    page.reload()
    expect(page.locator("main section.action")).to_have_count(0)


@LANGUAGES
def test_a_result_says_its_action_once(
    phone: Callable[..., BrowserContext], demo: Demo, words: dict
) -> None:
    page = linked_phone(phone, demo, words["locale"], words["link"])

    send_check_in(page, words, words["chest_pain"])
    text = visible_text(page)
    assert text.count(words["emergency_title"]) == 1, text
    expect(page.locator("main a.btn--huge[href='tel:911']")).to_be_visible()

    send_check_in(page, words, words["self_harm"])
    text = visible_text(page)
    assert text.count(words["crisis_title"]) == 1, text
    assert text.lower().count(words["options"]) == 1, text
    # A sentence that ends with a time ends with one full stop (Spanish "p. m." has its own).
    assert not re.search(r"m\.\s*\.", text), text


@LANGUAGES
def test_times_in_words_move_on_at_midnight_on_the_phones_copy_of_today(
    phone: Callable[..., BrowserContext], demo: Demo, live_server: LiveServer, words: dict
) -> None:
    page = linked_phone(phone, demo, words["locale"], words["link"])
    make_available_offline(page)
    page.goto("/today")
    driving = page.locator('.timed__item[data-key="driving"] .timed__text')
    later = json.loads(driving.get_attribute("data-later") or "[]")
    assert later, "the rule carries no later wording"
    first_midnight = datetime.fromisoformat(later[0][0])
    # The rule ends 23 hours from now: after the next midnight, except in the hour after one.
    item = page.locator('.timed__item[data-key="driving"]')
    until = datetime.fromisoformat(item.get_attribute("data-until") or "")
    if until <= first_midnight:
        pytest.skip("the rule ends before the next midnight (run within an hour after one)")

    go_offline(page, live_server)
    # The phone's clock runs on to just after the clinic's next midnight, with no server.
    page.clock.install(time=first_midnight + timedelta(minutes=1))
    page.reload()
    expect(driving).to_have_text(words["later_today"])
    expect(driving).to_have_text(later[0][1])
    assert not re.search(r"m\.\s*\.", driving.inner_text())
