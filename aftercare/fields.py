"""Form fields shared by the patient and clinic forms."""

from __future__ import annotations

from typing import Any

from wtforms import IntegerField

MAX_DIGITS = 9


class SmallIntegerField(IntegerField):
    """An integer field that refuses absurdly long numbers as invalid, not with a crash.

    WTForms' NumberRange compares through float(), which overflows on a few hundred digits.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and len(str(valuelist[0]).strip().lstrip("+-")) > MAX_DIGITS:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)
