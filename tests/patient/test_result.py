"""A check-in's result: the action said once, big, with the reason in one line."""

from __future__ import annotations

import re

import pytest

from tests.patient.test_language import choose


def main_text(html: str) -> str:
    """The visible words of the page's main part (the crisis bar and tabs are apart)."""
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<details.*?</details>", " ", main, flags=re.S)  # closed: not on screen
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def words_outside_buttons(html: str) -> str:
    """The main text without the call buttons' own labels ("Call 911" on the button itself)."""
    return main_text(re.sub(r'<a class="btn[^"]*"[^>]*>.*?</a>', " ", html, flags=re.S))


def result_of(phone, **answers: object) -> str:  # noqa: ANN001
    return phone.client.get(phone.check_in(**answers).headers["Location"]).text


def test_chest_pain_says_call_911_once_with_the_reason(phone):
    html = result_of(phone, chest_pain="y")
    said = words_outside_buttons(html)
    assert said.count("911") == 1, said  # the title, and nowhere else
    assert "Call 911 now" in said
    assert "Because you said: chest pain or pressure." in said
    assert 'class="btn btn--emergency btn--huge" href="tel:911"' in html
    # Said once on the page: the crisis bar's note is a tap away, not repeated in the footer.
    assert "not watched around the clock" not in main_text(html)


def test_thoughts_of_self_harm_say_988_once_and_press_1_press_2_once(phone):
    html = result_of(phone, suicidal_thoughts="y")
    said = words_outside_buttons(html)
    assert said.count("988") == 1, said
    assert main_text(html).count("Press 1 for veterans. Press 2 for Spanish.") == 1
    assert "Because you said: thoughts of hurting yourself or ending your life." in said
    assert 'href="tel:988"' in html and 'href="sms:988"' in html


def test_call_the_clinic_gives_the_reason_not_the_advice_again(phone):
    html = result_of(phone, rash_itching="y")
    said = words_outside_buttons(html)
    assert said.count("Call the clinic") == 1, said
    assert "Because you said: a new rash or itching." in said
    # What the rule adds: when it becomes an emergency.
    assert "If your face, lips or throat swell or you have trouble breathing, call 911." in said


def test_a_reading_is_the_reason_when_a_reading_triggered_it(phone):
    html = result_of(phone, systolic="190", diastolic="100")
    assert "Because you said: blood pressure 190/100." in main_text(html)
    assert "Sit quietly for 5 minutes, then measure again." in main_text(html)


def test_a_less_urgent_reason_is_said_after_the_action_under_its_own_title(phone):
    html = result_of(phone, chest_pain="y", rash_itching="y")
    said = words_outside_buttons(html)
    assert said.index("Call 911 now") < said.index("Also: Call the clinic")
    assert "Because you said: chest pain or pressure." in said
    assert "Because you said: a new rash or itching." in said


@pytest.mark.parametrize(
    "answers", [{"chest_pain": "y"}, {"suicidal_thoughts": "y"}, {"headache": "1"}]
)
def test_a_spanish_sentence_that_ends_with_a_time_has_one_full_stop(phone, answers):
    choose(phone, "es")
    text = main_text(result_of(phone, **answers))
    assert "Reporte recibido " in text
    assert not re.search(r"m\.\s*\.", text), text
    today = main_text(phone.client.get("/today").text)
    assert "Su infusión terminó " in today
    assert not re.search(r"m\.\s*\.", today), today
