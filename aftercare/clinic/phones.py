"""Patients' phone numbers: checked with libphonenumber (the phonenumbers package), stored in
E.164 ("+15551234567") and shown the way the clinic dials them."""

from __future__ import annotations

import phonenumbers

# A number typed without a country code is read as a number in this region.
DEFAULT_REGION = "US"


class PhoneNumberError(ValueError):
    """A phone number that cannot be dialled, with a message the clinician can act on."""


def to_e164(text: str, region: str = DEFAULT_REGION) -> str | None:
    """The number in E.164, or None for an empty entry; PhoneNumberError if it is not valid."""
    text = text.strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise PhoneNumberError(
            "Enter a phone number with its area code, such as (555) 201-0123, "
            "or with a + and the country code."
        ) from error
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberError(
            "That is not a valid phone number. Check the digits and the area code, "
            "or add a + and the country code for a number outside the US."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str | None, region: str = DEFAULT_REGION) -> str:
    """A stored number as the clinic reads it: national for the default region ("(555)
    201-0123"), international for others ("+44 20 7946 0958"); '' for none."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164  # stored before it was checked: show it as it is
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
