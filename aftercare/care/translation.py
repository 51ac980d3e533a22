"""Marking words for translation in modules that know nothing of Flask.

N_() only marks a text, so that `pybabel extract` puts it in the catalog; the web layer and the
reminder planner translate it into the patient's language when it is shown or sent.
"""

from __future__ import annotations

from collections.abc import Callable

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


def fill(template: str, name: str, value: str) -> str:
    """Put `value` in place of {name} in a clinic's or a catalog's sentence.

    A value that ends in a full stop, as a Spanish time does ("3:40 p. m."), also ends the
    sentence: no second full stop follows it.
    """
    placeholder = "{" + name + "}"
    if value.endswith("."):
        template = template.replace(placeholder + ".", placeholder)
    return template.replace(placeholder, value)


def untranslated(text: str) -> str:
    """A Translate that keeps the English."""
    return text
