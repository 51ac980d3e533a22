"""A clinic's Spanish wording: written in Settings, shown to Spanish readers, never stale."""

from __future__ import annotations

import html
import re

from tests.conftest import csrf_from


def section_url(section: str) -> str:
    return f"/clinic/settings/{section}"


def settings_form(admin_client, section: str, **changes: str) -> dict[str, str]:  # noqa: ANN001
    """A settings section's form as its page fills it in, with some boxes changed."""
    page = admin_client.get(section_url(section)).text
    form = {"csrf_token": csrf_from(page)}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page):
        form.setdefault(name, html.unescape(value))
    for name, value in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>\s*(.*?)</textarea>', page, re.S
    ):
        form[name] = html.unescape(value)
    form.update(changes)
    return form


def spanish_today(phone) -> str:  # noqa: ANN001
    phone.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    return phone.client.get("/today").text


def test_spanish_wording_written_in_settings_reaches_spanish_readers(
    admin_client, phone, db, clinic
):
    form = settings_form(
        admin_client, "rules", es_alcohol_text="Nada de alcohol ni kratom hasta el {until}."
    )
    assert admin_client.post(section_url("rules"), data=form).status_code == 303
    db.session.refresh(clinic)
    assert clinic.content["translations"] == {
        "es": {"timed": {"alcohol": "Nada de alcohol ni kratom hasta el {until}."}}
    }
    assert "Nada de alcohol ni kratom hasta el" in spanish_today(phone)


def test_an_english_edit_without_spanish_shows_the_english_and_says_so(
    admin_client, phone, db, clinic
):
    edited = "No alcohol, cannabis or kratom until {until}."
    form = settings_form(admin_client, "rules", alcohol_text=edited)
    admin_client.post(section_url("rules"), data=form)
    today = spanish_today(phone)
    assert 'lang="en">No alcohol, cannabis or kratom until' in today
    assert "No tome alcohol ni use cannabis" not in today
    assert "now see your English here" in admin_client.get(section_url("rules")).text


def test_changing_the_english_drops_a_spanish_translation_left_as_it_was(
    admin_client, phone, db, clinic
):
    admin_client.post(
        section_url("rules"),
        data=settings_form(
            admin_client, "rules", es_alcohol_text="Nada de alcohol hasta el {until}."
        ),
    )
    form = settings_form(
        admin_client, "rules", alcohol_text="No alcohol or kratom for 48 hours, until {until}."
    )
    response = admin_client.post(section_url("rules"), data=form, follow_redirects=True)
    assert "translations were removed: Alcohol and cannabis (Spanish)." in response.text
    db.session.refresh(clinic)
    assert "translations" not in clinic.content
    assert "No alcohol or kratom for 48 hours" in spanish_today(phone)


def test_spanish_timed_wording_keeps_its_until(admin_client, db, clinic):
    form = settings_form(admin_client, "rules", es_driving_text="No maneje.")
    response = admin_client.post(section_url("rules"), data=form)
    assert response.status_code == 422
    assert "Keep {until} where the time goes." in response.text
