"""A check-in's result page, as the patient reads it."""

from __future__ import annotations

import re

import pytest

from tests.patient.test_language import choose


def main_text(html: str) -> str:
    """The visible words of the page's main part (the crisis bar and tabs are apart)."""
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<details.*?</details>", " ", main, flags=re.S)  # closed: not on screen
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def result_of(phone, **answers: object) -> str:  # noqa: ANN001
    return phone.client.get(phone.check_in(**answers).headers["Location"]).text


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
