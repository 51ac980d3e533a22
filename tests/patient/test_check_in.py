"""The side-effect check-in: validated, triaged at once, stored exactly once."""

from __future__ import annotations

import re
from datetime import timedelta

import itsdangerous.timed
import pytest
from sqlalchemy import select

from aftercare.models import Alert, AuditEvent, CheckIn, Infusion, utcnow
from tests.conftest import csrf_from, statements


def count(db, model) -> int:  # noqa: ANN001
    return db.session.query(model).count()


def test_a_post_without_a_csrf_token_is_refused(phone, db):
    response = phone.client.post(
        "/check-in", data={"idempotency_key": "abcdefgh1234", "headache": "1"}
    )
    assert response.status_code == 400
    assert count(db, CheckIn) == 0


def test_a_json_post_without_a_token_gets_a_csrf_error(phone, db):
    response = phone.client.post(
        "/check-in",
        data={"idempotency_key": "abcdefgh1234"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["error"] == "csrf"


def test_an_expected_check_in_shows_self_care(phone, db):
    response = phone.check_in(headache="1", dizziness="2")
    assert response.status_code == 303
    result = phone.client.get(response.headers["Location"])
    assert "Rest. This is expected." in result.text
    stored = db.session.scalar(select(CheckIn))
    assert stored.triage_level == "expected"
    assert stored.severities["headache"] == 1 and stored.severities["dizziness"] == 2
    assert 0.9 < stored.hours_since_infusion < 1.2
    assert count(db, Alert) == 0


def test_suicidal_thoughts_show_the_crisis_screen_and_alert_the_clinic(phone, db, patient):
    response = phone.check_in(suicidal_thoughts="y")
    result = phone.client.get(response.headers["Location"])
    assert "Call or text 988 now" in result.text
    assert 'href="tel:988"' in result.text and 'href="sms:988"' in result.text
    alert = db.session.scalar(select(Alert))
    assert alert.level == "crisis" and alert.patient_id == patient.id
    assert alert.reasons == ["suicidal_thoughts"]


def test_chest_pain_says_call_911(phone, db):
    result = phone.client.get(phone.check_in(chest_pain="y").headers["Location"])
    assert "Call 911 now" in result.text
    assert db.session.scalar(select(Alert)).level == "emergency"


def test_a_rash_says_call_the_clinic_with_its_number(phone, db):
    result = phone.client.get(phone.check_in(rash_itching="y").headers["Location"])
    assert "Call the clinic" in result.text
    assert 'href="tel:5550100"' in result.text
    assert db.session.scalar(select(Alert)).level == "call_clinic"


def test_the_same_check_in_sent_twice_is_stored_once(phone, db):
    first = phone.check_in(
        idempotency_key="retry-key-0001", headache="1", headers={"Accept": "application/json"}
    )
    again = phone.check_in(
        idempotency_key="retry-key-0001", headache="1", headers={"Accept": "application/json"}
    )
    assert first.status_code == 201 and first.json["created"] is True
    assert again.status_code == 200 and again.json["created"] is False
    assert first.json["id"] == again.json["id"]
    assert count(db, CheckIn) == 1


def test_a_check_in_is_answered_from_what_was_written_not_read_back(phone, db):
    form = {"csrf_token": csrf_from(phone.client.get("/check-in").text)}
    form |= {"idempotency_key": "cheap-key-0001", "chest_pain": "y"}
    with statements(db.engine) as seen:
        response = phone.client.post("/check-in", data=form, headers={"Accept": "application/json"})
    assert response.status_code == 201 and response.json["level"] == "emergency"
    # The device with its patient and clinic, and the infusion; then the writes, committed
    # once. Nothing is read back after the commit to answer the phone.
    assert seen.count("SELECT") == 2, seen
    assert seen.count("COMMIT") == 1 and seen[-1] == "COMMIT", seen
    stored = db.session.scalar(select(CheckIn))
    assert response.json["id"] == stored.id and response.json["reasons"] == ["chest_pain"]
    assert response.json["received_at"] == stored.received_at.isoformat()


def test_a_crisis_sent_twice_raises_one_alert(phone, db):
    for _ in range(2):
        phone.check_in(idempotency_key="crisis-key-001", suicidal_thoughts="y")
    assert count(db, Alert) == 1


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({"systolic": "400", "diastolic": "80"}, "systolic", "from 60 to 260"),
        ({"systolic": "120", "diastolic": "10"}, "diastolic", "from 30 to 160"),
        ({"systolic": "120"}, "diastolic", "both blood pressure numbers"),
        ({"systolic": "80", "diastolic": "120"}, "diastolic", "smaller than the top"),
        ({"heart_rate": "7"}, "heart_rate", "from 30 to 220"),
        ({"heart_rate": "fast"}, "heart_rate", "Not a valid integer"),
        ({"note": "x" * 501}, "note", "under 500 characters"),
        ({"headache": "7"}, "headache", "Not a valid choice"),
        ({"headache": "lots"}, "headache", "Invalid Choice"),
        ({"idempotency_key": "no"}, "idempotency_key", "not valid"),
        ({"filled_at": "yesterday-ish"}, "filled_at", "not valid"),
    ],
)
def test_bad_answers_get_a_clear_error_and_nothing_is_stored(phone, db, answers, field, message):
    response = phone.check_in(headers={"Accept": "application/json"}, **answers)
    assert response.status_code == 422
    assert any(message in error for error in response.json["errors"][field])
    page = phone.check_in(**answers)
    assert page.status_code == 422
    assert "Please check your answers" in page.text
    assert count(db, CheckIn) == 0


def test_home_vitals_and_note_are_kept(phone, db):
    phone.check_in(
        systolic="150", diastolic="95", heart_rate="88", got_home_safely="yes", note="Bit woozy"
    )
    stored = db.session.scalar(select(CheckIn))
    assert (stored.systolic, stored.diastolic, stored.heart_rate) == (150, 95, 88)
    assert stored.got_home_safely is True and stored.note == "Bit woozy"


def test_a_queued_check_in_is_accepted_hours_after_its_form_was_loaded(phone, db, monkeypatch):
    page = phone.client.get("/check-in")
    token = csrf_from(page.text)
    real_time = itsdangerous.timed.time.time
    # Three hours later: far past a clinician form's one hour, within a check-in's 72.
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 3 * 3600)
    response = phone.client.post(
        "/check-in",
        data={"csrf_token": token, "idempotency_key": "offline-key-0001", "headache": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201, response.json
    assert count(db, CheckIn) == 1


def test_a_token_older_than_the_check_in_limit_is_refused_but_a_fresh_one_is_offered(
    phone, db, monkeypatch
):
    token = csrf_from(phone.client.get("/check-in").text)
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 80 * 3600)
    stale = phone.client.post(
        "/check-in",
        data={"csrf_token": token, "idempotency_key": "late-key-0001"},
        headers={"Accept": "application/json"},
    )
    assert stale.status_code == 400 and stale.json["error"] == "csrf"
    fresh = phone.client.get("/form-token").json["csrf_token"]
    retried = phone.client.post(
        "/check-in",
        data={"csrf_token": fresh, "idempotency_key": "late-key-0001", "feel_fine": "y"},
        headers={"Accept": "application/json"},
    )
    assert retried.status_code == 201
    assert count(db, CheckIn) == 1


def test_triage_uses_the_time_the_form_was_filled_in(phone, db, patient):
    # Dissociation the next day is for the clinic; the same answer an hour after is expected.
    ended = patient.infusions[-1].ended_at
    filled = (ended.replace(microsecond=0)).isoformat()
    phone.check_in(dissociation="1", filled_at=filled)
    assert db.session.scalar(select(CheckIn)).triage_level == "expected"


def test_a_patient_cannot_read_another_patients_check_in(phone, second_phone, db):
    response = phone.check_in(headache="1")
    own = response.headers["Location"]
    assert phone.client.get(own).status_code == 200
    assert second_phone.client.get(own).status_code == 404


def test_every_check_in_is_in_the_audit_trail(phone, db, patient):
    phone.check_in(headache="1")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "check_in.create"))
    assert event.patient_id == patient.id
    assert event.actor.startswith("device:")


def test_a_failed_save_says_so_and_the_phone_keeps_the_check_in(phone, db, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from aftercare.patient import views

    def database_down(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(views, "save_check_in", database_down)
    response = phone.check_in(headache="1", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.json["error"] == "unavailable"
    assert "could not be saved" in response.json["message"]
    page = phone.check_in(headache="1")
    assert page.status_code == 503 and "could not be saved" in page.text


def test_a_twin_is_caught_by_the_unique_key_and_returned_not_stored_again(phone, db, patient):
    from aftercare.patient import checkins

    first, created = checkins.save_check_in(
        patient, None, checkins.CheckInData("race-key-0001", {"headache": 1})
    )
    assert created
    # No query looks for the twin first: the insert meets the unique key, as it would when
    # the page and the service worker send the same queued check-in at the same moment.
    with statements(db.engine) as seen:
        again, created = checkins.save_check_in(
            patient, None, checkins.CheckInData("race-key-0001", {"chest_pain": 1})
        )
    assert not created and again == first
    assert seen.count("INSERT") == 1 and "COMMIT" not in seen, seen
    assert count(db, CheckIn) == 1 and count(db, Alert) == 0
    assert db.session.scalar(select(CheckIn)).severities == {"headache": 1}


def test_the_form_asks_about_sleep_from_eight_hours_after_the_latest_infusion(db, patient, phone):
    asked = 'name="slept"'
    assert asked not in phone.client.get("/check-in").text  # the infusion ended an hour ago
    assert asked in phone.client.get("/check-in?morning=1").text  # from the morning reminder
    patient.infusions[0].ended_at = utcnow() - timedelta(hours=9)
    db.session.commit()
    assert asked in phone.client.get("/check-in").text
    ended = utcnow() - timedelta(hours=2)  # another infusion since: it is the one that counts
    db.session.add(
        Infusion(patient_id=patient.id, started_at=ended - timedelta(hours=1), ended_at=ended)
    )
    db.session.commit()
    assert asked not in phone.client.get("/check-in").text


# A shorter check-in: nothing answered for the patient, "I feel fine" in one tap.


def latest_check_in(db) -> CheckIn:  # noqa: ANN001
    return db.session.scalars(select(CheckIn).order_by(CheckIn.id.desc())).first()


def test_no_answer_is_chosen_before_the_patient_chooses_one(phone):
    html = phone.client.get("/check-in").text
    assert 'data-symptom="headache" id="headache-0"' in html
    assert "<input checked" not in html


def test_a_graded_question_left_unanswered_is_stored_as_not_answered_not_as_no(phone, db):
    assert phone.check_in(headache="1", none_of_these="").status_code == 303
    stored = latest_check_in(db)
    assert stored.severities["headache"] == 1
    assert "nausea" not in stored.severities  # not answered: not "No"
    assert stored.severities["chest_pain"] == 0  # a box not ticked is a no


def test_none_of_these_makes_the_questions_left_open_a_clear_no(phone, db):
    assert phone.check_in(headache="2", none_of_these="y").status_code == 303
    severities = latest_check_in(db).severities
    assert severities["headache"] == 2
    assert severities["nausea"] == 0 and severities["low_mood"] == 0


def test_i_feel_fine_alone_is_a_whole_check_in(phone, db):
    response = phone.check_in(feel_fine="y", none_of_these="")
    assert response.status_code == 303
    stored = latest_check_in(db)
    assert stored.triage_level == "expected"
    assert len(stored.severities) == 17 and set(stored.severities.values()) == {0}


def test_i_feel_fine_never_hides_a_ticked_red_flag(phone, db):
    assert phone.check_in(feel_fine="y", chest_pain="y", none_of_these="").status_code == 303
    assert latest_check_in(db).triage_level == "emergency"
    assert count(db, Alert) == 1


def test_a_red_flag_alone_is_stored_at_once_with_the_rest_unanswered(phone, db):
    assert phone.check_in(suicidal_thoughts="y", none_of_these="").status_code == 303
    stored = latest_check_in(db)
    assert stored.triage_level == "crisis"
    assert "low_mood" not in stored.severities


@pytest.mark.parametrize("as_json", [False, True])
def test_an_empty_check_in_is_refused_and_says_what_to_do(phone, db, as_json):
    headers = {"Accept": "application/json"} if as_json else {}
    response = phone.check_in(none_of_these="", headers=headers)
    assert response.status_code == 422
    if as_json:
        assert "feel_fine" in response.json["errors"]
    else:
        assert "Tap “I feel fine”, or answer at least one question." in response.text
        assert 'id="check-in-form"' in response.text
    assert count(db, CheckIn) == 0


def test_a_refused_check_in_shows_the_form_again_with_the_answers_given(phone, db):
    response = phone.check_in(headache="2", systolic="150", none_of_these="")
    assert response.status_code == 422  # the bottom number is missing
    assert '<input checked data-symptom="headache" id="headache-2"' in response.text
    assert 'name="systolic" type="number" value="150"' in response.text
    assert '<details class="group vitals" open>' in response.text
    assert "<input checked" not in response.text.replace(
        '<input checked data-symptom="headache" id="headache-2"', ""
    )
    assert count(db, CheckIn) == 0


def test_the_ride_home_is_asked_only_on_the_first_check_in_after_an_infusion(db, patient, phone):
    asked = "Did a driver take you home safely?"
    assert asked in phone.client.get("/check-in").text
    assert phone.check_in(got_home_safely="yes").status_code == 303
    first = latest_check_in(db)
    assert first.got_home_safely is True
    assert asked not in phone.client.get("/check-in").text
    # A day later, the next infusion: asked again.
    first.received_at = utcnow() - timedelta(hours=24)
    ended = utcnow() - timedelta(minutes=30)
    db.session.add(
        Infusion(patient_id=patient.id, started_at=ended - timedelta(hours=1), ended_at=ended)
    )
    db.session.commit()
    assert asked in phone.client.get("/check-in").text


def test_vitals_are_optional_and_named_as_on_the_monitor(phone, db):
    html = phone.client.get("/check-in").text
    for label in ("Top number", "Bottom number", "Pulse", "Blood pressure and pulse (optional)"):
        assert f">{label}<" in html
    words = re.sub(r"<[^>]+>", " ", html.split('id="check-in-form"', 1)[1].split("</form>")[0])
    assert "systolic" not in words.lower() and "diastolic" not in words.lower()
    assert '<details class="group vitals">' in html  # folded away until wanted


def test_the_red_flags_come_first_then_i_feel_fine_then_the_rest(phone):
    html = phone.client.get("/check-in?morning=1").text
    order = [
        html.index("Do you have any of these right now?"),
        html.index('name="slept"'),
        html.index('name="feel_fine"'),
        html.index('id="graded-heading"'),
        html.index('name="systolic"'),
    ]
    assert order == sorted(order)
