"""The clinic's settings in short sections: each saved alone, previewed in both languages."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from aftercare.clinic.settings_sections import SECTIONS, Section
from aftercare.models import AuditEvent
from tests.clinic.http_browser import HttpBrowser
from tests.clinic.test_settings_language import section_url, settings_form

FORM_SECTIONS = [s.slug for s in SECTIONS if isinstance(s, Section)]


def field_names(page: str) -> set[str]:
    # "show" only picks which language's boxes a phone shows.
    return set(re.findall(r'<(?:input|textarea)[^>]*name="([^"]+)"', page)) - {"csrf_token", "show"}


def test_the_settings_page_lists_every_section_and_each_opens(admin_client):
    index = admin_client.get("/clinic/settings").text
    for section in SECTIONS:
        assert section.title in index
    for slug in FORM_SECTIONS:
        assert admin_client.get(section_url(slug)).status_code == 200


def test_each_section_is_a_short_form_of_its_own_fields(admin_client):
    seen: dict[str, str] = {}
    for slug in FORM_SECTIONS:
        names = field_names(admin_client.get(section_url(slug)).text)
        assert names, slug
        assert len([n for n in names if not n.startswith("es_")]) <= 10, slug
        for name in names:
            assert name not in seen, f"{name} is in both {seen.get(name)} and {slug}"
            seen[name] = slug
    # Every setting the old single form had is still somewhere.
    assert {"name", "timezone", "quiet_start", "questionnaire_hour", "es_not_monitored"} <= set(
        seen
    )


def test_an_unknown_section_is_404(admin_client):
    assert admin_client.get("/clinic/settings/nothing-here").status_code == 404


def test_saving_one_section_never_clears_another(admin_client, db, clinic):
    rules = settings_form(
        admin_client, "rules", driving_hours="30", es_alcohol_text="Nada de alcohol hasta {until}."
    )
    assert admin_client.post(section_url("rules"), data=rules).status_code == 303
    for slug in FORM_SECTIONS:
        form = settings_form(admin_client, slug)
        assert admin_client.post(section_url(slug), data=form).status_code == 303, slug
    reminders = settings_form(admin_client, "reminders", evening_hour="20")
    assert admin_client.post(section_url("reminders"), data=reminders).status_code == 303

    db.session.refresh(clinic)
    assert clinic.content == {
        "windows": {"driving": 30},
        "reminders": {"evening_hour": 20},
        "translations": {"es": {"timed": {"alcohol": "Nada de alcohol hasta {until}."}}},
    }


def test_a_refused_section_keeps_what_was_typed_and_saves_nothing(admin_client, db, clinic):
    form = settings_form(
        admin_client, "crisis", crisis_line="call us", not_monitored="Nobody reads this at night."
    )
    response = admin_client.post(section_url("crisis"), data=form)

    assert response.status_code == 422
    error = re.search(
        r'name="crisis_line"[^>]*>\s*<p class="error">([^<]+)</p>', response.text
    ) or re.search(r'<p class="error">([^<]+)</p>', response.text)
    assert error and "Use digits" in error[1]
    assert 'aria-invalid="true"' in response.text
    assert "Nobody reads this at night." in response.text
    db.session.refresh(clinic)
    assert not clinic.content


def test_the_preview_shows_unsaved_wording_in_english_and_spanish_and_saves_nothing(
    admin_client, db, clinic
):
    form = settings_form(
        admin_client,
        "crisis",
        not_monitored="Nobody reads this at night.",
        es_not_monitored="Nadie lee esto de noche.",
        action="preview",
    )
    response = admin_client.post(section_url("crisis"), data=form)

    assert response.status_code == 200
    preview = response.text.split('id="preview"', 1)[1]
    assert "not saved yet" in preview
    english, spanish = preview.split('<div class="patient-preview" lang="es">', 1)
    assert "Nobody reads this at night." in english
    assert "Nadie lee esto de noche." in spanish
    # The Spanish preview is the patient's crisis bar in Spanish.
    assert "Llamar al 988" in spanish or "Llame al 988" in spanish
    db.session.refresh(clinic)
    assert not clinic.content
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "clinic.settings")
    ).all()


def test_the_rules_preview_words_each_rule_as_today_does(admin_client):
    page = admin_client.get(section_url("rules")).text
    preview = page.split('id="preview"', 1)[1]
    english, spanish = preview.split('lang="es"', 1)
    # The example infusion ended 30 minutes ago: its rule ends tomorrow, or tonight just after
    # midnight.
    rule = "Do not drive, ride a bike or use machinery until (tomorrow|tonight) at"
    assert re.search(rule, english)
    assert "No tome alcohol ni use cannabis (marihuana) hasta" in spanish


def test_empty_spanish_boxes_show_the_built_in_spanish_and_say_so(admin_client):
    page = admin_client.get(section_url("rules")).text
    box = re.search(r'<textarea[^>]*name="es_alcohol_text"[^>]*>', page)[0]
    assert 'placeholder="No tome alcohol ni use cannabis (marihuana) hasta {until}."' in box
    assert "empty to use the built-in text" in page


def test_the_reminders_preview_lists_the_notifications_of_an_infusion(admin_client):
    form = settings_form(admin_client, "reminders", driver_hour="11", action="preview")
    preview = admin_client.post(section_url("reminders"), data=form).text.split('id="preview"')[1]
    english, spanish = preview.split('lang="es"', 1)
    assert "Plan your ride home" in english
    assert "at 11 AM" in english
    assert "Planee" in spanish or "Organice" in spanish or "viaje" in spanish


def test_a_questionnaire_hour_inside_the_saved_quiet_hours_is_refused(admin_client, db, clinic):
    form = settings_form(admin_client, "questionnaires", questionnaire_hour="22")
    response = admin_client.post(section_url("questionnaires"), data=form)
    assert response.status_code == 422
    assert "22:00 is inside the quiet hours (21:00 to 08:00)" in response.text
    # And quiet hours that would cover the questionnaires' hour are refused in their section.
    form = settings_form(admin_client, "reminders", quiet_start="9", quiet_end="11")
    form.update(driver_hour="12")
    response = admin_client.post(section_url("reminders"), data=form)
    assert response.status_code == 422
    assert "Questionnaires fall due at 10:00, inside these quiet hours" in response.text
    db.session.refresh(clinic)
    assert not clinic.content


def test_each_save_is_audited_with_its_section(admin_client, db, clinic):
    form = settings_form(admin_client, "lists", self_care="Rest.")
    assert admin_client.post(section_url("lists"), data=form).status_code == 303
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "clinic.settings")
    ).one()
    assert event.detail == {"section": "lists"}


@pytest.mark.parametrize("slug", FORM_SECTIONS)
def test_over_a_real_server_each_section_saves_and_refuses_bad_input(
    waitress, db, clinic, admin, slug
):
    name = clinic.name
    browser = HttpBrowser(waitress.url)
    assert browser.sign_in_with_code(admin, admin.test_totp_secret).status_code == 302
    page = browser.get(section_url(slug))
    assert page.status_code == 200
    good, bad, column, expected = REAL_SERVER_CASES[slug]
    values = form_of(page.text)

    refused = browser.submit(section_url(slug), {**values, **bad})
    assert refused.status_code == 422
    assert '<p class="error">' in refused.text
    db.session.refresh(clinic)
    assert not clinic.content and clinic.name == name

    saved = browser.submit(section_url(slug), {**values, **good})
    assert saved.status_code == 303
    assert browser.get(saved.headers["Location"].removeprefix(waitress.url)).status_code == 200
    db.session.refresh(clinic)
    assert getattr(clinic, column) == expected


def form_of(page: str) -> dict[str, str]:
    """A page's form boxes with the values it shows."""
    found = re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
    values = {name: html.unescape(value) for name, value in found}
    for name, value in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>\s*(.*?)</textarea>', page, re.S
    ):
        values[name] = html.unescape(value)
    values.pop("csrf_token", None)
    return values


# Per section: a good change, a bad one, and the clinic's column that then holds what.
REAL_SERVER_CASES = {
    "clinic": (
        {"name": "Riverside Clinic"},
        {"timezone": "Nowhere/Else"},
        "name",
        "Riverside Clinic",
    ),
    "crisis": (
        {"crisis_options": "Press 1 for veterans."},
        {"emergency_number": ""},
        "content",
        {"crisis": {"options": "Press 1 for veterans."}},
    ),
    "rules": (
        {"companion_hours": "24"},
        {"companion_hours": "-1"},
        "content",
        {"windows": {"companion": 24}},
    ),
    "lists": (
        {"es_self_care": "Descanse."},
        {"call_911": ""},
        "content",
        {"translations": {"es": {"self_care": ["Descanse."]}}},
    ),
    "reminders": (
        {"quiet_start": "22"},
        {"quiet_end": "21", "quiet_start": "21"},
        "content",
        {"reminders": {"quiet_start": 22}},
    ),
    "questionnaires": (
        {"pcl5_days": "14"},
        {"pcl5_days": "1000"},
        "content",
        {"questionnaires": {"pcl5_days": 14}},
    ),
}
