"""Learn on the patient's phone: the clinic's articles, in the patient's language, and the one
article Today points to."""

from __future__ import annotations

import re

import pytest

from aftercare.care.learn import built_in
from tests.conftest import add_patient, enroll, enrollment_token
from tests.http_client import TIMEOUT_S, linked_phone

HOSTILE_BODY = (
    "Hello <script>document.title='owned'</script> and "
    '<img src=x onerror="alert(1)"> and [tap](javascript:alert(1)).'
)


def article_links(html: str) -> list[str]:
    return re.findall(r'href="/learn/([a-z0-9-]+)"', html)


def test_learn_lists_every_built_in_article_in_order(phone):
    page = phone.client.get("/learn")
    assert page.status_code == 200
    assert article_links(page.text) == list(built_in())
    assert "What happens during a session" in page.text


def test_an_article_is_its_markdown_rendered_under_its_title(phone):
    page = phone.client.get("/learn/how-often")
    assert page.status_code == 200
    assert "<h1>How often you need infusions, and boosters</h1>" in page.text
    assert "<h2>Boosters</h2>" in page.text
    assert "<li>Some people need a booster every few weeks.</li>" in page.text
    # The crisis bar is on the page, as on every patient page.
    assert 'href="tel:988"' in page.text


def test_an_unknown_article_is_404(phone):
    assert phone.client.get("/learn/no-such-article").status_code == 404
    assert phone.client.get("/learn/../today").status_code == 404


def test_a_phone_that_is_not_linked_cannot_read_learn(app):
    response = app.test_client().get("/learn")
    assert response.status_code == 401


def test_a_spanish_reader_gets_the_spanish_article(db, patient, phone):
    patient.language = "es"
    db.session.commit()
    page = phone.client.get("/learn/how-often").text
    assert "<h1>Cada cuánto se ponen las infusiones, y los refuerzos</h1>" in page
    assert '<article class="learn-article">' in page


def test_a_hidden_article_is_neither_listed_nor_opened(db, clinic, phone):
    clinic.content = {"learn": {"insurance": {"hidden": True}}}
    db.session.commit()
    assert "insurance" not in article_links(phone.client.get("/learn").text)
    assert phone.client.get("/learn/insurance").status_code == 404


def test_a_clinics_english_only_edit_is_marked_english_for_spanish_readers(
    db, clinic, patient, phone
):
    body = "Ask the front desk about payment plans."
    clinic.content = {
        "learn": {"insurance": {"en": {"title": "Paying", "summary": "", "body": body}}}
    }
    patient.language = "es"
    db.session.commit()
    page = phone.client.get("/learn/insurance").text
    assert '<article class="learn-article" lang="en">' in page
    assert body in page
    assert "Todos los artículos" in page


def test_a_clinics_own_article_is_listed_last(db, clinic, phone):
    words = {"title": "Where to park", "summary": "", "body": "Behind the building."}
    clinic.content = {"learn": {"parking": {"en": words}}}
    db.session.commit()
    assert article_links(phone.client.get("/learn").text)[-1] == "parking"
    assert "Behind the building." in phone.client.get("/learn/parking").text


def test_a_hostile_article_reaches_a_real_browser_as_text(db, clinic, patient, real_server):
    words = {"title": "<b>Bold</b> title", "summary": "<i>x</i>", "body": HOSTILE_BODY}
    clinic.content = {"learn": {"tricks": {"en": words}}}
    db.session.commit()
    browser = linked_phone(real_server, enrollment_token(db, patient))
    listing = browser.get(f"{real_server.url}/learn", timeout=TIMEOUT_S)
    page = browser.get(f"{real_server.url}/learn/tricks", timeout=TIMEOUT_S)
    assert (listing.status_code, page.status_code) == (200, 200)
    for html in (listing.text, page.text):
        assert "<script>document" not in html
        assert "<img" not in html
        assert "<b>Bold" not in html and "<i>x" not in html
        assert 'href="javascript' not in html
    assert "&lt;script&gt;document.title=" in page.text
    assert "&lt;b&gt;Bold&lt;/b&gt; title" in page.text


@pytest.mark.parametrize("path", ["/learn", "/learn/integration"])
def test_learn_pages_are_not_kept_by_shared_caches(phone, path):
    cache = phone.client.get(path).headers.get("Cache-Control", "")
    assert "private" in cache or "no-store" in cache


# Today: the one article that fits the moment.
def test_after_an_infusion_today_points_to_what_to_expect_tomorrow(phone):
    page = phone.client.get("/today").text
    assert 'href="/learn/after-a-session"' in page
    assert "What to expect after a session and the next day" in page
    assert 'href="/learn"' in page


def test_before_the_first_infusion_today_points_to_what_happens_in_a_session(app, db, clinic):
    newcomer = add_patient(db, clinic, "Dana", hours_ago=None)
    client = app.test_client()
    assert enroll(client, enrollment_token(db, newcomer)).status_code == 303
    page = client.get("/today").text
    assert 'href="/learn/during-a-session"' in page
    assert 'href="/learn/after-a-session"' not in page


def test_today_points_to_no_article_the_clinic_hid(db, clinic, phone):
    clinic.content = {"learn": {"after-a-session": {"hidden": True}}}
    db.session.commit()
    page = phone.client.get("/today").text
    assert "/learn/after-a-session" not in page
    assert 'href="/learn"' in page
