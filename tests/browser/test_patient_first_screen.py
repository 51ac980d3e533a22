"""What a drowsy patient sees first on a 390x844 phone: the rule in force and the check-in on
Today's first screen, a crisis bar that takes little room on every page, open advice leading
Today, results that say the action once, and times in words that stay right offline."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import Demo, LiveServer
from tests.browser.test_patient_journey import go_offline, make_available_offline

pytestmark = pytest.mark.browser

ENGLISH = {
    "locale": "en-US",
    "link": "Link this phone",
    "later_today": re.compile(r"until (today|tonight) at \d"),
}
SPANISH = {
    "locale": "es-US",
    "link": "Conectar este teléfono",
    "later_today": re.compile(r"hasta (hoy|esta noche) a las? \d"),
}
LANGUAGES = pytest.mark.parametrize("words", [ENGLISH, SPANISH], ids=["en", "es"])


def linked_phone(phone: Callable[..., BrowserContext], demo: Demo, words: dict) -> Page:
    page = phone(locale=words["locale"]).new_page()
    page.goto(demo.enrollment_url)
    page.get_by_role("button", name=words["link"]).tap()
    page.wait_for_url("**/today")
    return page


@LANGUAGES
def test_times_in_words_move_on_at_midnight_on_the_phones_copy_of_today(
    phone: Callable[..., BrowserContext], demo: Demo, live_server: LiveServer, words: dict
) -> None:
    page = linked_phone(phone, demo, words)
    make_available_offline(page)
    page.goto("/today")
    driving = page.locator('.timed__item[data-key="driving"] .timed__text')
    later = json.loads(driving.get_attribute("data-later") or "[]")
    assert later, "the rule carries no later wording"
    first_midnight = datetime.fromisoformat(later[0][0])

    go_offline(page, live_server)
    # The phone's clock runs on to just after the clinic's next midnight, with no server.
    page.clock.install(time=first_midnight + timedelta(minutes=1))
    page.reload()
    expect(driving).to_have_text(words["later_today"])
    expect(driving).to_have_text(later[0][1])
    assert not re.search(r"m\.\s*\.", driving.inner_text())
