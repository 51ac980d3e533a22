"""The clinic's journal questions page: admins only, CSRF-checked, audited; patients see the
questions in their language, in the page kept for offline use."""

from __future__ import annotations

from sqlalchemy import select

from aftercare.models import AuditEvent
from tests.conftest import csrf_from


def save(admin_client, english: str, spanish: str = ""):  # noqa: ANN001, ANN201
    page = admin_client.get("/clinic/journal-prompts")
    assert page.status_code == 200
    return admin_client.post(
        "/clinic/journal-prompts",
        data={"csrf_token": csrf_from(page.text), "english": english, "spanish": spanish},
    )


def test_settings_links_the_journal_questions(admin_client):
    assert 'href="/clinic/journal-prompts"' in admin_client.get("/clinic/settings").text


def test_the_page_starts_with_the_default_questions(admin_client):
    page = admin_client.get("/clinic/journal-prompts").text
    assert "What stood out during the session?\nWhat would you like to bring to therapy?" in page


def test_an_admin_sets_the_questions_and_patients_see_them_in_their_language(
    admin_client, db, clinic, patient, phone
):
    response = save(admin_client, "How did you sleep?\nWhat helped today?", "¿Cómo durmió?")
    assert response.status_code == 303
    db.session.refresh(clinic)
    assert clinic.journal_prompts == {
        "en": ["How did you sleep?", "What helped today?"],
        "es": ["¿Cómo durmió?"],
    }
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "clinic.journal_prompts")
    ).all()
    assert event.clinic_id == clinic.id

    english = phone.client.get("/journal").text
    assert 'data-prompt="How did you sleep?"' in english
    assert 'data-prompt="What helped today?"' in english
    assert "What stood out during the session?" not in english
    patient.language = "es"
    db.session.commit()
    spanish = phone.client.get("/journal").text
    assert 'data-prompt="¿Cómo durmió?"' in spanish
    assert "How did you sleep?" not in spanish


def test_too_many_questions_are_refused_and_nothing_is_saved(admin_client, db, clinic):
    response = save(admin_client, "\n".join(f"Question {n}?" for n in range(5)))
    assert response.status_code == 422
    assert "Write at most 4 questions." in response.text
    db.session.refresh(clinic)
    assert clinic.journal_prompts is None


def test_saving_without_the_forms_token_is_refused(admin_client, db, clinic):
    response = admin_client.post("/clinic/journal-prompts", data={"english": "Sneaky?"})
    assert response.status_code in (400, 422)
    db.session.refresh(clinic)
    assert clinic.journal_prompts is None


def test_clearing_the_questions_brings_back_the_defaults(admin_client, db, clinic):
    assert save(admin_client, "Only mine?").status_code == 303
    assert save(admin_client, "").status_code == 303
    db.session.refresh(clinic)
    assert clinic.journal_prompts is None
