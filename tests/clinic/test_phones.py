"""Patients' phone numbers: checked, stored in E.164, shown as the clinic dials them."""

from __future__ import annotations

import pytest

from aftercare.clinic.phones import PhoneNumberError, phone_display, to_e164


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("(202) 555-0143", "+12025550143", "(202) 555-0143"),
        ("202.555.0143", "+12025550143", "(202) 555-0143"),
        (" 1 202 555 0143 ", "+12025550143", "(202) 555-0143"),
        ("+1 (212) 555-0100", "+12125550100", "(212) 555-0100"),
        ("+44 20 7946 0958", "+442079460958", "+44 20 7946 0958"),
        ("+52 55 1234 5678", "+525512345678", "+52 55 1234 5678"),
    ],
)
def test_a_number_is_stored_in_e164_and_shown_for_dialling(typed, stored, shown):
    assert to_e164(typed) == stored
    assert phone_display(stored) == shown


@pytest.mark.parametrize("typed", ["", "   "])
def test_an_empty_number_is_none(typed):
    assert to_e164(typed) is None
    assert phone_display(None) == ""


@pytest.mark.parametrize(
    "typed", ["12", "555-0143", "(555) 201-0123", "+999 123", "call me", "2025550143999999"]
)
def test_a_number_that_cannot_be_dialled_is_refused_with_a_reason(typed):
    with pytest.raises(PhoneNumberError, match="phone number"):
        to_e164(typed)
