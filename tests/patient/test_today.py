"""The Today page: instructions timed from the end of the patient's own infusion."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from aftercare.care.human_time import human_time
from aftercare.models import Alert, Clinic, Infusion, utcnow
from tests.conftest import add_patient, enroll, enrollment_token


def visible_text(html: str) -> str:
    main = html.split('<main id="main"', 1)[-1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_it_counts_from_the_latest_infusion_in_the_clinics_time_zone(
    app, db, clinic, patient, phone
):
    # A second infusion, later than the fixture's: the instructions count from this one.
    ended = utcnow() - timedelta(minutes=30)
    db.session.add(
        Infusion(patient_id=patient.id, started_at=ended - timedelta(hours=1), ended_at=ended)
    )
    db.session.commit()
    expected = human_time(ended + timedelta(hours=24), utcnow(), clinic.tz)
    assert expected.startswith(("tomorrow at", "tonight at", "today at"))
    page = phone.client.get("/today").text
    assert f"Do not drive, ride a bike or use machinery until {expected}" in page
    assert "23 hours 30 minutes left" in page or "23 hours 29 minutes left" in page


def test_every_instruction_is_there(phone):
    page = phone.client.get("/today").text
    for words in (
        "Do not drive",
        "No big decisions",
        "No alcohol or cannabis",
        "Someone should stay with you until",
        "What to expect tonight and tomorrow",
        "Feeling detached, floaty or unreal.",
        "After a night",
        "Most people feel like themselves again",
        "Call the clinic if you have",
        "Call 911 if you have",
    ):
        assert words in page


def test_the_crisis_bar_is_on_every_patient_page(phone):
    for path in ("/today", "/check-in", "/help"):
        page = phone.client.get(path).text
        assert 'href="tel:988"' in page and 'href="sms:988"' in page, path
        assert 'href="tel:911"' in page, path
        assert 'href="tel:555-0100"' not in page  # digits only in the link
        assert 'href="tel:5550100"' in page and 'href="tel:5550199"' in page, path
        # Once, in the bar, a tap away; the help page says it again in its own words.
        bar = page.split('<nav class="crisis"', 1)[1].split("</nav>", 1)[0]
        assert "<details" in bar and "not watched around the clock" in bar, path


def test_the_clinics_own_wording_and_windows_are_used(db, clinic, phone):
    clinic.content = {
        "windows": {"driving": 12},
        "timed": {"driving": "Please do not drive before {until}."},
    }
    db.session.commit()
    page = phone.client.get("/today").text
    assert "Please do not drive before" in page
    assert re.search(r"1[01] hours \d+ minutes left|11 hours left", page)


def test_a_patient_without_an_infusion_is_told_so(app, db, clinic):
    patient = add_patient(db, clinic, "Dana", hours_ago=None)
    client = app.test_client()
    enroll(client, enrollment_token(db, patient))
    page = client.get("/today").text
    assert "has not recorded an infusion yet" in page


def test_instructions_show_as_done_after_their_window(db, patient, phone):
    infusion = patient.infusions[-1]
    infusion.ended_at = utcnow() - timedelta(hours=30)
    infusion.started_at = infusion.ended_at - timedelta(hours=1)
    db.session.commit()
    page = phone.client.get("/today").text
    # The clock is done for all five, but driving still waits for the morning check-in (see
    # below): it leads the page, not marked done.
    assert page.count("is-over") == 4
    assert 'class="timed__item timed__item--first" data-until' in page
    assert "All the waiting times are over" not in page


def test_a_phone_that_is_not_enrolled_sees_no_patient_data(client):
    response = client.get("/today")
    assert response.status_code == 401
    assert "This phone is not linked" in response.text


def test_the_other_clinic_settings_do_not_leak(db, other_clinic: Clinic, phone):
    other_clinic.content = {"not_monitored": "Hillside wording"}
    db.session.commit()
    assert "Hillside wording" not in phone.client.get("/today").text


def test_driving_is_shown_as_met_only_after_the_morning_check_in(db, patient, phone):
    infusion = patient.infusions[-1]
    infusion.ended_at = utcnow() - timedelta(hours=30)
    infusion.started_at = infusion.ended_at - timedelta(hours=1)
    db.session.commit()
    waiting = phone.client.get("/today").text
    assert "Answer the morning check-in" in waiting
    assert "All the waiting times are over" not in waiting
    form = phone.client.get("/check-in?morning=1").text
    assert "Did you sleep last night?" in form
    phone.check_in(slept="yes")
    cleared = phone.client.get("/today").text
    assert "Answer the morning check-in" not in cleared
    assert "All the waiting times are over" in cleared


def test_driving_waits_while_the_morning_check_in_says_no_sleep_or_a_foggy_head(db, patient, phone):
    infusion = patient.infusions[-1]
    infusion.ended_at = utcnow() - timedelta(hours=30)
    infusion.started_at = infusion.ended_at - timedelta(hours=1)
    db.session.commit()
    for answers in ({"slept": "no"}, {"slept": "yes", "dissociation": "1"}):
        assert phone.check_in(**answers).status_code == 303
    assert phone.check_in(slept="yes", confusion_hallucinations="2").status_code == 303
    # Confusion the next day is a call-the-clinic check-in: its advice leads, driving still waits.
    waiting = phone.client.get("/today").text
    assert "action--call_clinic" in waiting
    assert "Time is up, but drive only after a night" in waiting
    assert phone.check_in(slept="yes", dissociation="0").status_code == 303
    assert "All the waiting times are over" in phone.client.get("/today").text


def test_a_morning_check_in_that_leaves_the_head_unanswered_does_not_clear_driving(
    db, patient, phone
):
    infusion = patient.infusions[-1]
    infusion.ended_at = utcnow() - timedelta(hours=30)
    infusion.started_at = infusion.ended_at - timedelta(hours=1)
    db.session.commit()
    # Slept, but "feeling detached" left unanswered: that is not a clear head.
    assert phone.check_in(slept="yes", none_of_these="").status_code == 303
    assert "Answer the morning check-in" in phone.client.get("/today").text
    # "I feel fine" says it.
    assert phone.check_in(slept="yes", feel_fine="y", none_of_these="").status_code == 303
    assert "All the waiting times are over" in phone.client.get("/today").text


def test_today_opens_with_the_rule_most_in_force_then_the_check_in_button(phone):
    page = visible_text(phone.client.get("/today").text)
    order = [
        page.index("Most important now"),
        page.index("Do not drive"),
        page.index("How are you feeling? Check in"),
        page.index("Your infusion ended"),
        page.index("No big decisions"),
        page.index("What to expect tonight and tomorrow"),
    ]
    assert order == sorted(order)
    # The first rule is not listed a second time.
    assert page.count("Do not drive") == 1


def test_the_first_rule_is_the_next_one_still_in_force(db, patient, phone):
    infusion = patient.infusions[-1]
    # Driving, decisions and alcohol are over after 24 hours but the sedatives (4) and the
    # companion (12) are too: after 30 hours nothing is in force but the morning check-in.
    infusion.ended_at = utcnow() - timedelta(hours=5)
    db.session.commit()
    page = visible_text(phone.client.get("/today").text)
    first = page.split("Most important now", 1)[1]
    assert first.lstrip().startswith("Do not drive")
    # Sedatives (4 hours) are over: shown as done, below.
    assert page.index("No opioid pain pills") > page.index("Until the medicine wears off")


def test_a_day_and_a_half_after_the_infusion_today_no_longer_says_tonight(db, patient, phone):
    infusion = patient.infusions[-1]
    infusion.ended_at = utcnow() - timedelta(hours=40)
    infusion.started_at = infusion.ended_at - timedelta(hours=1)
    db.session.commit()
    page = visible_text(phone.client.get("/today").text)
    assert "What to expect tonight and tomorrow" not in page
    assert "Normal, and will pass" in page
    assert "Answer the morning check-in" in page  # the morning check-in is still owed


def test_times_on_today_are_in_words_and_carry_how_they_read_later(phone):
    html = phone.client.get("/today").text
    assert re.search(r"Your infusion ended (today|tonight|last night|yesterday) at", html)
    # Each timed rule carries its later wordings, for the copy kept on the phone.
    driving = re.search(r'<p class="timed__text"[^>]*data-later=\'([^\']+)\'', html)
    assert driving and "Do not drive" in driving.group(1)


def open_alerts(db, patient) -> list[Alert]:  # noqa: ANN001
    return list(db.session.scalars(select(Alert).where(Alert.patient_id == patient.id)))


def test_after_a_crisis_check_in_today_leads_with_its_advice_until_a_clear_check_in(phone):
    phone.check_in(suicidal_thoughts="y")
    page = visible_text(phone.client.get("/today").text)
    assert page.index("Call or text 988 now") < page.index("Do not drive")
    assert "Because you said: thoughts of hurting yourself or ending your life." in page
    assert "This stays here until your care team has seen it" in page

    phone.check_in(headache="1")
    html = phone.client.get("/today").text
    assert "action--crisis" not in html
    page = visible_text(html)
    assert page.index("Do not drive") < page.index("How are you feeling? Check in")


def test_an_emergency_check_in_leads_today_until_the_clinic_acknowledges_it(db, patient, phone):
    phone.check_in(chest_pain="y")
    html = phone.client.get("/today").text
    page = visible_text(html)
    assert page.index("Call 911 now") < page.index("Do not drive")
    assert "Because you said: chest pain or pressure." in page
    assert 'class="action action--emergency"' in html

    [alert] = open_alerts(db, patient)
    alert.acknowledged_at = utcnow()
    db.session.commit()
    assert "action--emergency" not in phone.client.get("/today").text


def test_a_call_the_clinic_check_in_leads_today_with_the_clinics_number(phone):
    phone.check_in(rash_itching="y")
    html = phone.client.get("/today").text
    page = visible_text(html)
    assert page.index("Call the clinic") < page.index("Do not drive")
    assert "Because you said: a new rash or itching." in page
    assert html.index('href="tel:5550100"') < html.index("Do not drive")


def test_an_expected_check_in_does_not_lead_today(phone):
    phone.check_in(headache="2")
    assert "action--" not in phone.client.get("/today").text
