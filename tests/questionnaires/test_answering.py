"""Patients answer questionnaires: scored, stored once, crisis answers raised at once."""

from __future__ import annotations

import re

from sqlalchemy import select

from aftercare.models import Alert, QuestionnaireResponse
from tests.conftest import csrf_from


def answer(phone, instrument: str, values: dict[int, int], **extra):  # noqa: ANN001, ANN201
    page = phone.client.get(f"/questionnaires/{instrument}")
    assert page.status_code == 200
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)
    data = {"csrf_token": csrf_from(page.text), "idempotency_key": extra.pop("key", key)}
    data.update({f"item-{n}": str(v) for n, v in values.items()})
    data.update(extra)
    return phone.client.post(
        f"/questionnaires/{instrument}", data=data, headers=extra.pop("headers", {})
    )


def test_the_form_shows_the_published_wording(phone):
    page = phone.client.get("/questionnaires/phq9").text
    assert "Little interest or pleasure in doing things" in page
    assert "Nearly every day" in page
    assert page.count('type="radio" name="item-') == 9 * 4
    pcl5 = phone.client.get("/questionnaires/pcl5").text
    assert pcl5.count('type="radio" name="item-') == 20 * 5
    assert phone.client.get("/questionnaires/nonsense").status_code == 404


def test_a_completed_phq9_is_scored_and_stored(phone, db, patient):
    response = answer(phone, "phq9", {n: 1 for n in range(1, 9)} | {9: 0})
    assert response.status_code == 303
    stored = db.session.scalar(select(QuestionnaireResponse))
    assert (stored.instrument_id, stored.total, stored.band) == ("phq9", 8, "Mild")
    assert stored.patient_id == patient.id
    assert db.session.query(Alert).count() == 0
    result = phone.client.get(response.headers["Location"]).text
    assert "Thank you" in result and "Call or text 988 now" not in result


def test_phq9_item_9_shows_the_crisis_screen_and_alerts_the_clinic(phone, db, patient):
    response = answer(phone, "phq9", {n: 0 for n in range(1, 9)} | {9: 1})
    result = phone.client.get(response.headers["Location"]).text
    assert "Call or text 988 now" in result
    assert 'href="tel:988"' in result and 'href="sms:988"' in result
    alert = db.session.scalar(select(Alert))
    assert alert.level == "crisis" and alert.reasons == ["phq9_item9"]
    assert alert.questionnaire_response_id is not None


def test_missing_answers_are_refused_with_a_clear_message_and_nothing_is_stored(phone, db):
    response = answer(phone, "gad7", {1: 1, 2: 2, 4: 0, 5: 1, 6: 1})
    assert response.status_code == 422
    assert "Please answer questions 3 and 7." in response.text
    assert db.session.query(QuestionnaireResponse).count() == 0


def test_missing_answers_are_asked_for_in_the_patients_language(phone, db, patient):
    patient.language = "es"
    db.session.commit()
    response = answer(phone, "gad7", {1: 1, 2: 2, 4: 0, 5: 1, 6: 1})
    assert response.status_code == 422
    assert "Por favor, responda las preguntas 3 y 7." in response.text
    one_missing = answer(phone, "gad7", {n: 1 for n in range(1, 7)})
    assert "Por favor, responda la pregunta 7." in one_missing.text


def test_out_of_range_answers_are_refused(phone, db):
    response = answer(
        phone, "gad7", {n: 1 for n in range(1, 7)} | {7: 9}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 422 and response.json["error"] == "invalid"
    assert db.session.query(QuestionnaireResponse).count() == 0


def test_the_same_answers_sent_twice_are_stored_once(phone, db):
    values = {n: 2 for n in range(1, 21)}
    first = answer(
        phone, "pcl5", values, key="pcl5-retry-0001", headers={"Accept": "application/json"}
    )
    again = answer(
        phone, "pcl5", values, key="pcl5-retry-0001", headers={"Accept": "application/json"}
    )
    assert first.status_code == 201 and again.status_code == 200
    assert db.session.query(QuestionnaireResponse).count() == 1
    stored = db.session.scalar(select(QuestionnaireResponse))
    assert stored.total == 40 and stored.provisional_diagnosis is True
    assert stored.clusters == {"B": 10, "C": 4, "D": 14, "E": 12}


def test_a_post_without_a_token_is_refused(phone, db):
    response = phone.client.post("/questionnaires/gad7", data={"item-1": "1"})
    assert response.status_code == 400


def test_patients_see_their_scores_over_time_calmly(phone, db):
    answer(phone, "gad7", {n: 2 for n in range(1, 8)})
    answer(phone, "gad7", {n: 1 for n in range(1, 8)})
    page = phone.client.get("/questionnaires").text
    assert "Your progress" in page and "Ups and downs are normal" in page
    assert 'id="mine-gad7-title"' in page
    assert "chart--calm" in page
    # Calm: the bands in two quiet tints, none of the clinic chart's warning colours.
    assert 'class="chart__band"' in page
    assert not any(tint in page for tint in ("#fde8d4", "#fbeaea", "#fff3d1"))


def test_another_patients_result_is_404(phone, second_phone, db):
    response = answer(phone, "gad7", {n: 0 for n in range(1, 8)})
    assert second_phone.client.get(response.headers["Location"]).status_code == 404


def test_the_clinician_charts_pcl5_and_phq9_totals_across_infusions(
    phone, clinician_client, db, patient
):
    answer(phone, "pcl5", {n: 3 for n in range(1, 21)})
    answer(phone, "pcl5", {n: 2 for n in range(1, 21)})
    answer(phone, "phq9", {n: 1 for n in range(1, 10)})
    page = clinician_client.get(f"/clinic/patients/{patient.id}").text
    assert 'id="totals-pcl5-title"' in page and 'id="totals-phq9-title"' in page
    assert 'id="totals-gad7-title"' not in page  # not answered
    assert "Questionnaire PCL5: total 40" in page  # in the timeline
    # Each chart has a visible title that names the questionnaire in words, and a note.
    assert "<figcaption>Depression (PHQ-9): totals</figcaption>" in page
    assert "<figcaption>PTSD symptoms (PCL-5): totals</figcaption>" in page
    assert "Totals from 0 to 27. Lower is better. Shaded: None–minimal 0-4, Mild 5-9" in page
    assert "Depression (PHQ-9): totals as a table" in page


def test_the_clinicians_side_effect_chart_says_it_plots_the_worst_symptom(
    phone, clinician_client, db, patient
):
    phone.check_in(headache="2", nausea="1")
    page = clinician_client.get(f"/clinic/patients/{patient.id}").text
    assert "<figcaption>Worst side effect at each check-in</figcaption>" in page
    assert "Each dot is the worst of the 8 graded side effects at that check-in" in page
    assert "worst: Headache; triage: expected" in page  # the table names it


def test_the_patient_list_shows_the_trend_from_baseline(phone, clinician_client, db, patient):
    answer(phone, "pcl5", {n: 3 for n in range(1, 21)})  # 60
    answer(phone, "pcl5", {n: 2 for n in range(1, 21)})  # 40
    answer(phone, "phq9", {n: 1 for n in range(1, 10)})
    page = clinician_client.get("/clinic/").text
    assert "PCL-5 60 → 40 (-20, clinically meaningful, better)" in page
    assert "PHQ-9 9 → 9" in page
