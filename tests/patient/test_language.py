"""Spanish and English: chosen by the patient or by their browser, on every patient page."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from aftercare.enrollment import create_link
from aftercare.models import Appointment, Patient, QuestionnaireResponse, Reminder, utcnow
from tests.conftest import PatientPhone, book_appointment, csrf_from, enroll, enrollment_token

SPANISH_BROWSER = "es-US,es;q=0.9,en;q=0.5"

# A Spanish heading (or line) that each patient page must show, and its English twin that must
# not be there.
PATIENT_PAGES = {
    "/today": ("Sus cuidados después de la infusión", "Your aftercare"),
    "/check-in": ("¿Cómo se siente?", "How are you feeling?"),
    "/help": ("Si está pensando en hacerse daño", "If you are thinking about hurting yourself"),
    "/questionnaires": ("Su progreso", "Your progress"),
    # The page's own words are Spanish; the validated items keep their English.
    "/questionnaires/phq9": ("Enviar respuestas", "Send answers"),
    "/companion": ("Compartir con la persona que le cuida", "Share with the person looking"),
    "/learn": ("Aprenda sobre su tratamiento", "Learn about your treatment"),
    "/learn/how-often": ("Los refuerzos", "Boosters"),
}


def spanish_browser(phone: PatientPhone) -> PatientPhone:
    phone.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH_BROWSER
    return phone


def choose(phone: PatientPhone, language: str, page: str = "/today"):  # noqa: ANN201
    html = phone.client.get(page).text
    return phone.client.post(
        "/language", data={"csrf_token": csrf_from(html), "language": language, "next": page}
    )


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("path", sorted(PATIENT_PAGES))
def test_a_spanish_browser_gets_every_patient_page_in_spanish(phone, path):
    spanish_browser(phone)
    page = phone.client.get(path)
    assert page.status_code == 200
    spanish, english = PATIENT_PAGES[path]
    assert spanish in page.text
    assert english not in page.text
    assert '<html lang="es">' in page.text


@pytest.mark.parametrize("path", sorted(PATIENT_PAGES))
def test_an_english_browser_gets_english(phone, path):
    phone.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    page = phone.client.get(path)
    english = PATIENT_PAGES[path][1]
    assert english in page.text
    assert '<html lang="en">' in page.text


def test_the_patients_choice_beats_the_browser_and_is_kept_on_the_patient(phone, db, patient):
    spanish_browser(phone)
    response = choose(phone, "en", "/help")
    assert response.status_code == 303 and response.headers["Location"] == "/help"
    assert "If you are thinking about hurting yourself" in phone.client.get("/help").text
    db.session.refresh(patient)
    assert patient.language == "en"

    choose(phone, "es")
    db.session.refresh(patient)
    assert patient.language == "es"
    # Without an Accept-Language at all (as an app opened from the home screen may send).
    del phone.client.environ_base["HTTP_ACCEPT_LANGUAGE"]
    assert "Sus cuidados después de la infusión" in phone.client.get("/today").text


def test_the_choice_follows_the_patient_to_their_other_phone(app, db, patient):
    first = PatientPhone(app.test_client(), patient)
    assert enroll(first.client, enrollment_token(db, patient)).status_code == 303
    choose(first, "es")
    second = app.test_client()
    assert enroll(second, enrollment_token(db, patient)).status_code == 303
    assert "Sus cuidados después de la infusión" in second.get("/today").text


def test_a_choice_made_before_linking_the_phone_is_kept(app, db, patient):
    client = app.test_client()
    token = enrollment_token(db, patient)
    html = client.get(f"/enroll/{token}").text
    assert "Link this phone" in html
    client.post(
        "/language",
        data={"csrf_token": csrf_from(html), "language": "es", "next": f"/enroll/{token}"},
    )
    assert "Conectar este teléfono" in client.get(f"/enroll/{token}").text
    assert enroll(client, token).status_code == 303
    db.session.refresh(patient)
    assert patient.language == "es"


def test_the_switch_refuses_other_sites_and_unknown_languages(phone, db, patient):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        html = phone.client.get("/today").text
        response = phone.client.post(
            "/language", data={"csrf_token": csrf_from(html), "language": "es", "next": target}
        )
        assert response.headers["Location"] == "/"
    html = phone.client.get("/today").text
    phone.client.post("/language", data={"csrf_token": csrf_from(html), "language": "fr"})
    db.session.refresh(patient)
    assert patient.language == "es"


def test_the_switch_needs_its_csrf_token(phone, db, patient):
    response = phone.client.post("/language", data={"language": "es", "next": "/today"})
    assert response.status_code == 400
    db.session.refresh(patient)
    assert patient.language is None


def test_the_switch_on_every_patient_page_offers_the_other_language(phone):
    english = phone.client.get("/today").text
    assert 'lang="es">Español</button>' in english
    choose(phone, "es")
    spanish = phone.client.get("/today").text
    assert 'lang="en">English</button>' in spanish
    assert "Español</button>" not in spanish


def test_the_crisis_bar_names_988s_spanish_option_in_both_languages(phone):
    english = visible_text(phone.client.get("/today").text)
    assert "Call or text 988 (press 2 for Spanish)" in english
    assert "Press 2 for Spanish." in english
    choose(phone, "es")
    for path in PATIENT_PAGES:
        spanish = visible_text(phone.client.get(path).text)
        assert "Llame o envíe un mensaje de texto al 988 (marque 2 para español)" in spanish, path
        assert "Nadie vigila esta aplicación las 24 horas." in spanish, path
        assert "Llamar al 988" in spanish and "Mensaje al 988" in spanish, path


def test_pages_before_linking_follow_the_browser(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH_BROWSER
    assert "No necesita contraseña" in client.get("/").text
    assert "Este teléfono no está conectado" in client.get("/today").text
    assert "Sin conexión" in client.get("/offline").text
    assert "Aquí no hay nada." in client.get("/no-such-page").text
    assert "Este enlace no es válido" in client.get("/enroll/not-a-token").text


def test_clinician_pages_stay_english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH_BROWSER
    page = client.get("/clinic/login")
    assert '<html lang="en">' in page.text


def test_the_companion_page_is_in_the_companions_language(app, db, phone, patient):
    html = phone.client.get("/companion").text
    made = phone.client.post("/companion", data={"csrf_token": csrf_from(html)})
    url = re.search(r'href="http://localhost(/c/[^"]+)"', made.text).group(1)
    companion = app.test_client()
    companion.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH_BROWSER
    page = visible_text(companion.get(url).text)
    assert "Cómo cuidar a alguien después de su infusión" in page
    # Written to the companion about the patient, the time in words (the infusion ended an hour
    # ago: its rule ends tomorrow, or tonight when that hour was just before midnight).
    assert re.search(
        "La persona no debe manejar, andar en bicicleta ni usar máquinas hasta"
        " (mañana a las|esta noche a las)",
        page,
    )


def test_todays_times_and_countdowns_are_in_spanish(phone):
    spanish_browser(phone)
    page = visible_text(phone.client.get("/today").text)
    # The patient's infusion ended an hour ago: today, or last night just after midnight.
    assert re.search(r"Su infusión terminó (hoy|esta noche|ayer|anoche) a las? \d", page)
    assert re.search(r"hasta (mañana|hoy|esta noche) a las? \d", page)
    assert "Tiempo que falta:" in page
    assert "horas" in page


def test_the_pages_scripts_get_their_words_from_the_page(phone):
    choose(phone, "es")
    html = phone.client.get("/check-in").text
    data = re.search(r'<script type="application/json" id="page-text">(.*?)</script>', html, re.S)
    assert data, "no page text for the scripts"
    words = json.loads(data.group(1))
    assert words["call"] == "Llamar al {number}"
    assert words["check_in_queued"].startswith("Guardado en este teléfono.")
    today = phone.client.get("/today").text
    data = re.search(r'<script type="application/json" id="page-text">(.*?)</script>', today, re.S)
    assert json.loads(data.group(1))["hours"] == ["{n} hora", "{n} horas"]


def test_the_check_ins_offline_triage_data_is_in_spanish(phone):
    choose(phone, "es")
    html = phone.client.get("/check-in").text
    data = re.search(r'<script type="application/json" id="triage-data">(.*?)</script>', html, re.S)
    triage = json.loads(data.group(1))
    assert triage["levels"]["emergency"]["title"] == "Llame al 911 ahora"
    assert triage["reasons"]["chest_pain"].startswith("El dolor o la presión en el pecho")
    assert "Marque 2 para español" in triage["options"]


@pytest.mark.parametrize(
    ("answers", "title", "steps"),
    [
        ({"chest_pain": "y"}, "Llame al 911 ahora", ["Llamar al 911", "El dolor o la presión"]),
        (
            {"suicidal_thoughts": "y"},
            "Llame o envíe un mensaje de texto al 988 ahora",
            ["Llamar al 988", "Mensaje al 988", "Marque 2 para español"],
        ),
        ({"rash_itching": "y"}, "Llame a la clínica", ["Llamar a la clínica: 555-0100"]),
        ({"nausea": "1"}, "Descanse. Esto es de esperar.", ["Descanse el resto del día."]),
    ],
)
def test_triage_results_are_in_spanish_with_their_next_steps(phone, answers, title, steps):
    choose(phone, "es")
    response = phone.check_in(**answers)
    page = visible_text(phone.client.get(response.headers["Location"]).text)
    assert title in page
    for step in steps:
        assert step in page
    assert "Call" not in page.replace("Call or text", "")  # no English step left behind


def test_form_errors_are_in_spanish(phone):
    choose(phone, "es")
    response = phone.check_in(systolic="500", diastolic="80")
    assert response.status_code == 422
    assert "Escriba un número de 60 a 260 mmHg." in response.text


def test_the_calendar_file_is_in_the_patients_language(phone, db, patient):
    appointment = Appointment(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind="booster",
        starts_at=utcnow() + timedelta(days=3),
    )
    db.session.add(appointment)
    db.session.commit()
    choose(phone, "es")
    ics = phone.client.get(f"/appointments/{appointment.id}.ics").data.decode()
    assert "Infusión de refuerzo" in ics
    assert "Pida a alguien que le lleve a casa" in ics


def test_a_patient_who_has_not_chosen_gets_reminders_in_their_browsers_language(phone, db, patient):
    spanish_browser(phone)
    phone.client.get("/today")
    db.session.refresh(patient)
    assert (patient.language, patient.browser_language) == (None, "es")
    assert patient.notification_language == "es"


def test_unsent_reminders_are_reworded_when_the_patient_changes_language(
    app, phone, db, patient, clinician_client
):
    book_appointment(db, patient, "infusion", timedelta(days=3))
    db.session.commit()
    before = {r.kind: (r.title, r.body) for r in pending(db, patient)}
    assert before["arrange_driver"][0] == "Plan your ride home"

    choose(phone, "es")

    after = {r.kind: (r.title, r.body) for r in pending(db, patient)}
    assert after.keys() == before.keys()
    assert after["arrange_driver"][0] == "Planee cómo volverá a casa"
    assert after["before_24h"] == ("Recordatorio de cita", after["before_24h"][1])
    assert re.match(r"Tiene una cita (mañana|el \w+) a las? \d", after["before_24h"][1])


def pending(db, patient: Patient) -> list[Reminder]:  # noqa: ANN001
    return list(
        db.session.scalars(
            select(Reminder).where(Reminder.patient_id == patient.id, Reminder.state == "pending")
        )
    )


def test_questionnaire_reminders_are_planned_in_the_patients_language(db, patient):
    from aftercare.questionnaires.due import course_of
    from aftercare.reminders.rows import plan_questionnaires

    patient.language = "es"
    plan_questionnaires(patient, course_of(patient))
    db.session.commit()
    reminders = pending(db, patient)
    assert reminders
    assert {r.title for r in reminders} == {"Unas preguntas para su equipo de atención médica"}


def test_a_spanish_patient_sees_a_note_that_the_questionnaire_keeps_its_english(phone):
    choose(phone, "es")
    page = phone.client.get("/questionnaires/pcl5").text
    assert "Este cuestionario está en inglés" in page
    assert re.search(r'lang="en">\s*<legend>1\. Repeated, disturbing, and unwanted memories', page)
    assert "In the past week, how much were you bothered by:" in page  # the validated stem


def test_a_spanish_patient_gets_the_phq9_in_its_published_spanish(phone):
    choose(phone, "es")
    page = phone.client.get("/questionnaires/phq9").text
    assert "Este cuestionario está en inglés" not in page
    assert re.search(
        r'<fieldset class="choice choice--column">\s*<legend>9\. Pensamientos de que estaría'
        r" mejor muerto\(a\) o de lastimarse de alguna manera</legend>",
        page,
    )
    assert "Over the last 2 weeks" not in page


def test_a_spanish_questionnaire_error_names_the_missing_questions(phone, db, patient):
    choose(phone, "es")
    html = phone.client.get("/questionnaires/gad7").text
    response = phone.client.post(
        "/questionnaires/gad7",
        data={
            "csrf_token": csrf_from(html),
            "idempotency_key": "k" * 16,
            "item-1": "0",
            "item-2": "1",
        },
    )
    assert response.status_code == 422
    assert "Por favor, responda las preguntas 3, 4, 5, 6 y 7." in response.text
    assert db.session.query(QuestionnaireResponse).count() == 0


def test_unlinked_phones_are_told_so_in_spanish_as_json_too(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH_BROWSER
    response = client.get("/check-in", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json["message"] == "Este teléfono no está conectado."


def test_an_enrollment_link_made_for_a_patient_is_not_needed_to_choose(app, db, patient):
    # The switch works for anyone, linked or not; only a linked phone changes the Patient.
    create_link(patient, None, days=7)
    client = app.test_client()
    html = client.get("/").text
    response = client.post(
        "/language", data={"csrf_token": csrf_from(html), "language": "es", "next": "/"}
    )
    assert response.status_code == 303
    assert "aftercare_language=es" in response.headers["Set-Cookie"]
    db.session.refresh(patient)
    assert patient.language is None


def test_the_forms_own_messages_follow_each_phones_language(app, db, phone, second_phone):
    # WTForms' messages are loaded once per language, not once per request: one phone's Spanish
    # must not leak to the next phone's page.
    choose(phone, "es")
    spanish = phone.check_in(heart_rate="fast")
    english = second_phone.check_in(heart_rate="fast")
    assert spanish.status_code == english.status_code == 422
    assert "No es un valor entero válido." in spanish.text
    assert "Not a valid integer value." in english.text
    assert "No es un valor entero válido." not in english.text
