"""Learn articles in the clinic (admins): edit, hide or add, in English and Spanish, with a
preview; audited; and what patients then read."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from aftercare.care.learn import built_in
from aftercare.models import AuditEvent
from tests.clinic.test_settings_language import settings_form
from tests.conftest import csrf_from, enrollment_token
from tests.http_client import TIMEOUT_S, linked_phone, page_token
from tests.http_client import signed_in as signed_in_over_http

HOSTILE = "Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"


def article_form(client, path: str, **changes: str) -> dict[str, str]:  # noqa: ANN001
    """The article form as the page fills it in, with some boxes changed."""
    page = client.get(path).text
    form = {"csrf_token": csrf_from(page), "action": "save"}
    for name, value in re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', page):
        form.setdefault(name, value.replace("&#39;", "'").replace("&amp;", "&"))
    for name, value in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>\r?\n?(.*?)</textarea>', page, re.S
    ):
        form[name] = (
            value.replace("&#39;", "'")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#34;", '"')
            .replace("&quot;", '"')
        )
    form.pop("hidden", None)  # a checkbox: sent only when ticked
    form.update(changes)
    return form


def learn_of(db, clinic) -> dict:  # noqa: ANN001
    db.session.refresh(clinic)
    return (clinic.content or {}).get("learn", {})


def test_only_admins_reach_the_learn_pages(clinician_client, app):
    for path in ("/clinic/learn", "/clinic/learn/new", "/clinic/learn/insurance"):
        assert clinician_client.get(path).status_code == 403
        assert app.test_client().get(path).status_code in (302, 401)


def test_the_list_shows_every_article_with_where_it_comes_from(admin_client):
    page = admin_client.get("/clinic/learn").text
    for languages in built_in().values():
        assert languages["en"].title in page
    assert page.count("<td>Built in</td>") == len(built_in())


def test_an_unknown_article_is_404(admin_client):
    assert admin_client.get("/clinic/learn/no-such-article").status_code == 404
    token = csrf_from(admin_client.get("/clinic/learn/insurance").text)
    data = {"csrf_token": token, "action": "save"}
    assert admin_client.post("/clinic/learn/no-such-article", data=data).status_code == 404


def test_saving_a_built_in_article_unchanged_stores_nothing(admin_client, db, clinic):
    form = article_form(admin_client, "/clinic/learn/insurance")
    assert form["es_title"] == built_in()["insurance"]["es"].title
    assert form["en_body"] == built_in()["insurance"]["en"].body
    # As a browser sends a text area: every line ended by CR LF.
    form["en_body"] = form["en_body"].replace("\n", "\r\n")
    form["es_body"] = form["es_body"].replace("\n", "\r\n")
    assert admin_client.post("/clinic/learn/insurance", data=form).status_code == 303
    assert learn_of(db, clinic) == {}


def test_an_english_edit_drops_the_spanish_it_left_behind(admin_client, db, clinic, phone):
    form = article_form(admin_client, "/clinic/learn/insurance", en_title="Paying for care")
    response = admin_client.post("/clinic/learn/insurance", data=form, follow_redirects=True)
    assert "the Spanish was removed" in response.text
    assert "Spanish-speaking patients now see your English" in response.text
    learn = learn_of(db, clinic)
    assert set(learn["insurance"]) == {"en"}
    assert learn["insurance"]["en"]["title"] == "Paying for care"
    phone.patient.language = "es"
    db.session.commit()
    page = phone.client.get("/learn/insurance").text
    assert '<article class="learn-article" lang="en">' in page
    assert "Paying for care" in page


def test_english_and_spanish_edited_together_are_both_kept(admin_client, db, clinic, phone):
    form = article_form(
        admin_client,
        "/clinic/learn/insurance",
        en_title="Paying for care",
        es_title="Cómo pagar",
        es_body="Pregunte en la recepción.",
    )
    assert admin_client.post("/clinic/learn/insurance", data=form).status_code == 303
    assert learn_of(db, clinic)["insurance"]["es"]["title"] == "Cómo pagar"
    phone.patient.language = "es"
    db.session.commit()
    page = phone.client.get("/learn/insurance").text
    assert "<h1>Cómo pagar</h1>" in page and 'lang="en"' not in page.split("<main")[-1]


def test_spanish_must_have_both_a_title_and_an_article(admin_client, db, clinic):
    form = article_form(admin_client, "/clinic/learn/insurance", es_body="")
    response = admin_client.post("/clinic/learn/insurance", data=form)
    assert response.status_code == 422
    assert "Write both the Spanish title and the Spanish article" in response.text
    assert learn_of(db, clinic) == {}


def test_a_hidden_article_is_gone_for_patients_and_marked_for_the_clinic(
    admin_client, db, clinic, phone
):
    form = article_form(admin_client, "/clinic/learn/insurance", hidden="y")
    assert admin_client.post("/clinic/learn/insurance", data=form).status_code == 303
    assert learn_of(db, clinic) == {"insurance": {"hidden": True}}
    assert phone.client.get("/learn/insurance").status_code == 404
    assert "<td>Hidden</td>" in admin_client.get("/clinic/learn").text


def test_a_clinic_adds_an_article_patients_then_read(admin_client, db, clinic, phone):
    form = article_form(
        admin_client,
        "/clinic/learn/new",
        en_title="Where to park",
        en_body="Park **behind** the building.",
    )
    response = admin_client.post("/clinic/learn/new", data=form)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/clinic/learn/where-to-park")
    assert learn_of(db, clinic)["where-to-park"]["en"]["body"] == "Park **behind** the building."
    page = phone.client.get("/learn/where-to-park").text
    assert "Park <strong>behind</strong> the building." in page


def test_a_new_article_called_new_does_not_take_the_new_article_address(admin_client, db, clinic):
    form = article_form(admin_client, "/clinic/learn/new", en_title="New", en_body="Words.")
    response = admin_client.post("/clinic/learn/new", data=form)
    assert response.headers["Location"].endswith("/clinic/learn/new-2")


def test_preview_shows_the_article_rendered_safely_and_saves_nothing(admin_client, db, clinic):
    before = db.session.scalars(select(AuditEvent.id)).all()
    form = article_form(admin_client, "/clinic/learn/insurance", en_body=HOSTILE)
    form["action"] = "preview"
    response = admin_client.post("/clinic/learn/insurance", data=form)
    assert response.status_code == 200
    assert "Preview (not saved yet)" in response.text
    preview = response.text.split("Preview (not saved yet)")[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in preview
    assert "<script>alert" not in response.text and "<img" not in preview
    assert 'href="javascript' not in response.text
    assert '<article class="box learn-article" lang="es"' in preview
    assert learn_of(db, clinic) == {}
    assert db.session.scalars(select(AuditEvent.id)).all() == before


def test_saving_is_audited_with_the_article_named(admin_client, db, clinic, admin):
    form = article_form(admin_client, "/clinic/learn/addiction", hidden="y")
    assert admin_client.post("/clinic/learn/addiction", data=form).status_code == 303
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "clinic.learn"))
    assert event.actor == f"clinician:{admin.id}"
    assert event.detail == {"article": "addiction", "hidden": True}


def test_a_form_without_its_csrf_token_changes_nothing(admin_client, db, clinic):
    form = article_form(admin_client, "/clinic/learn/insurance", hidden="y")
    del form["csrf_token"]
    assert admin_client.post("/clinic/learn/insurance", data=form).status_code in (400, 422)
    assert learn_of(db, clinic) == {}


@pytest.mark.parametrize(
    "changes",
    [
        {"en_title": "T" * 121},
        {"en_body": ""},
        {"en_body": "x" * 20_001},
        {"hidden": "y", "en_title": ""},
    ],
)
def test_bad_input_is_a_clear_422_and_loses_nothing(admin_client, db, clinic, changes):
    form = article_form(admin_client, "/clinic/learn/insurance", **changes)
    response = admin_client.post("/clinic/learn/insurance", data=form)
    assert response.status_code == 422
    assert 'class="error"' in response.text
    assert learn_of(db, clinic) == {}


def test_saving_the_clinic_settings_keeps_its_learn_articles(admin_client, db, clinic):
    form = article_form(admin_client, "/clinic/learn/insurance", hidden="y")
    assert admin_client.post("/clinic/learn/insurance", data=form).status_code == 303
    settings = settings_form(admin_client, name="Riverside Clinic")
    assert admin_client.post("/clinic/settings", data=settings).status_code == 303
    assert learn_of(db, clinic) == {"insurance": {"hidden": True}}


def test_over_a_real_server_an_admin_adds_an_article_a_phone_then_reads(
    db, clinic, admin, patient, real_server
):
    browser = signed_in_over_http(real_server, admin.email, admin.test_totp_secret)
    url = f"{real_server.url}/clinic/learn/new"
    data = {
        "csrf_token": page_token(browser, url),
        "action": "save",
        "en_title": "Where to park",
        "en_summary": "",
        "en_body": HOSTILE,
        "es_title": "",
        "es_summary": "",
        "es_body": "",
    }
    saved = browser.post(url, data=data, allow_redirects=False, timeout=TIMEOUT_S)
    assert saved.status_code == 303, saved.text
    phone = linked_phone(real_server, enrollment_token(db, patient))
    page = phone.get(f"{real_server.url}/learn/where-to-park", timeout=TIMEOUT_S)
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text and "<img" not in page.text
