"""The base form and the form fields shared by the patient and clinic forms."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_wtf import FlaskForm
from wtforms import IntegerField

from .i18n import current_language, wtforms_translations

MAX_DIGITS = 9


class Form(FlaskForm):
    """Every form of the app: a FlaskForm whose WTForms messages are in the page's language,
    read from a form body only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Flask-WTF reads a JSON body as the form when there is no form body. No page sends a
        # form as JSON, and a JSON body that is not an object (false, [1]) or holds numbers and
        # lists where text belongs broke the form or the view with a 500.
        if not args and "formdata" not in kwargs and has_request_context() and request.is_json:
            kwargs["formdata"] = request.form
        super().__init__(*args, **kwargs)

    class Meta:
        def get_translations(self, form: FlaskForm) -> Any:  # noqa: ANN401
            return wtforms_translations(current_language())


class SmallIntegerField(IntegerField):
    """An integer field that refuses absurdly long numbers as invalid, not with a crash.

    WTForms' NumberRange compares through float(), which overflows on a few hundred digits.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and len(str(valuelist[0]).strip().lstrip("+-")) > MAX_DIGITS:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)
