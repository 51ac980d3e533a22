"""Filling a sentence with a value: a value that ends in a full stop ends the sentence."""

from __future__ import annotations

import pytest

from aftercare.care.translation import fill, one_full_stop


@pytest.mark.parametrize(
    ("template", "value", "expected"),
    [
        ("hasta {until}.", "mañana a las 3:40 p. m.", "hasta mañana a las 3:40 p. m."),
        ("hasta {until}.", "mañana al mediodía", "hasta mañana al mediodía."),
        ("until {until}.", "tomorrow at 3:40 PM", "until tomorrow at 3:40 PM."),
        ("hasta {until}, y solo", "mañana a las 3 p. m.", "hasta mañana a las 3 p. m., y solo"),
    ],
)
def test_fill_never_puts_a_second_full_stop_after_a_time(template, value, expected):
    assert fill(template, "until", value) == expected


def test_the_rule_reaches_through_closing_tags_and_percent_placeholders():
    template = "Terminó <strong>%(ended)s</strong>. Recibido %(when)s."
    values = {"%(ended)s": "hoy a las 3 p. m.", "%(when)s": "ayer al mediodía"}
    expected = "Terminó <strong>%(ended)s</strong> Recibido %(when)s."
    assert one_full_stop(template, values) == expected
