"""The journal page: served to a linked phone, with nothing on it that could send an entry."""

from __future__ import annotations

import re

import pytest


def test_the_journal_says_plainly_that_entries_stay_on_this_phone(phone):
    page = phone.client.get("/journal")
    assert page.status_code == 200
    assert "It is not sent to your care team or to anyone else." in page.text
    assert (
        "If you clear this browser’s data or lose this phone, your entries are gone." in page.text
    )
    assert "What stood out during the session?" in page.text
    assert 'href="tel:988"' in page.text  # the crisis bar


def test_the_journal_has_no_form_that_could_post_an_entry(phone):
    page = phone.client.get("/journal").text
    main = page.split("<main", 1)[1]
    # The language switch in the bar is the page's only form, outside the journal.
    assert "<form" not in main
    names = set(re.findall(r'\sname="([^"]+)"', main))
    assert names == {"journal-mood"}  # grouping the radio buttons, posted nowhere
    assert 'type="submit"' not in main


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_the_server_takes_no_journal_entry(phone, method):
    response = phone.client.open("/journal", method=method, data={"text": "private"})
    assert response.status_code in (400, 405)


def test_a_phone_that_is_not_linked_cannot_open_the_journal(app):
    assert app.test_client().get("/journal").status_code == 401


def test_today_links_the_journal(phone):
    assert 'href="/journal"' in phone.client.get("/today").text


def test_the_journal_is_in_spanish_for_spanish_readers(db, patient, phone):
    patient.language = "es"
    db.session.commit()
    page = phone.client.get("/journal").text
    assert "<h1>Su diario</h1>" in page
    assert "¿Qué le llamó la atención durante la sesión?" in page
