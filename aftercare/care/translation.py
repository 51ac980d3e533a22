"""Marking words for translation in modules that know nothing of Flask.

N_() only marks a text, so that `pybabel extract` puts it in the catalog; the web layer and the
reminder planner translate it into the patient's language when it is shown or sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

Translate = Callable[[str], str]


def N_(text: str) -> str:  # noqa: N802 (the name gettext tools look for)
    """Mark `text` for translation; it is returned unchanged."""
    return text


def P_(context: str, text: str) -> str:  # noqa: N802
    """Mark `text` with a context that tells it apart from the same English elsewhere.

    Returned keyed as a catalog keys it ("context\x04text"); translate it with in_context().
    """
    return f"{context}\x04{text}"


def in_context(translate: Translate, keyed: str) -> str:
    """Translate a message keyed with its context; untranslated, the message without it."""
    return translate(keyed).split("\x04", 1)[-1]


# A placeholder, any closing tags right after it, then a full stop: "{until}." or
# "%(ended)s</strong>.".
_FULL_STOP_AFTER = r"((?:</[a-z]+>)*)\."


def one_full_stop(template: str, values: Mapping[str, object]) -> str:
    """The template without the full stop after each placeholder whose value ends in one.

    A value that ends in a full stop, as a Spanish time does ("3:40 p. m."), also ends the
    sentence: "hasta mañana a las 3:40 p. m." takes no second full stop. `values` maps each
    placeholder as written in the template ("{until}", "%(when)s") to its value.
    """
    for placeholder, value in values.items():
        if str(value).endswith("."):
            found = re.escape(placeholder) + _FULL_STOP_AFTER
            template = re.sub(found, lambda match: match[0][:-1], template)
    return template


def fill(template: str, name: str, value: str) -> str:
    """Put `value` in place of {name} in a clinic's or a catalog's sentence (one_full_stop)."""
    placeholder = "{" + name + "}"
    return one_full_stop(template, {placeholder: value}).replace(placeholder, value)


def untranslated(text: str) -> str:
    """A Translate that keeps the English."""
    return text
