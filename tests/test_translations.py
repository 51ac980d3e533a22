"""The Spanish catalog is complete, and patient templates leave no word out of it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "aftercare" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
# As in the README's extract command: lazy_gettext as _l, and P_(context, text).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "P_": ((1, "c"), 2)}
# Where the messages are, as `pybabel extract -F babel.cfg` reads it.
with (ROOT / "babel.cfg").open(encoding="utf-8") as mapping:
    METHODS, OPTIONS = parse_mapping_cfg(mapping)

# Every template a patient or their companion can see.
PATIENT_TEMPLATES = sorted(
    [
        *(ROOT / "templates" / "patient").glob("*.html"),
        *(ROOT / "templates" / "companion").glob("*.html"),
        *(ROOT / "templates").glob("*.html"),
    ]
)
# Words shown as they are in every language.
NOT_WORDS = {"Aftercare", "·", "Error"}


def catalog():  # noqa: ANN201
    with CATALOG.open("rb") as handle:
        return read_po(handle)


def messages():  # noqa: ANN201
    return [message for message in catalog() if message.id]


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}|<[^>]+>", text))


def test_no_spanish_message_is_missing_or_fuzzy():
    problems = [
        message.id
        for message in messages()
        if message.fuzzy
        or not message.string
        or (isinstance(message.string, tuple) and not all(message.string))
    ]
    assert problems == []


def test_spanish_messages_keep_every_placeholder_and_tag():
    for message in messages():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        # A plural's first form goes with the singular, the others with the plural.
        for index, string in enumerate(strings):
            source = ids[min(index, len(ids) - 1)]
            assert placeholders(string) == placeholders(source), (message.id, string)


def test_every_message_in_the_code_is_in_the_spanish_catalog():
    known = {(message.context, message.id) for message in messages()}
    found = set()
    for _, _, message, _, context in extract_from_dir(
        str(ROOT), METHODS, OPTIONS, keywords=KEYWORDS, comment_tags=()
    ):
        found.add((context, message))
    missing = sorted(str(m) for m in found - known)
    assert missing == [], "run the README's pybabel commands and translate: " + ", ".join(missing)


def test_the_catalog_has_no_messages_the_code_no_longer_uses():
    found = {
        (context, message)
        for _, _, message, _, context in extract_from_dir(
            str(ROOT), METHODS, OPTIONS, keywords=KEYWORDS, comment_tags=()
        )
    }
    stale = sorted(str(m.id) for m in messages() if (m.context, m.id) not in found)
    assert stale == []


class _VisibleText(HTMLParser):
    """Text nodes and the attributes people read or hear, outside scripts."""

    SPOKEN = {"aria-label", "title", "alt", "placeholder"}

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        described = tag == "meta" and ("name", "description") in attrs
        for name, value in attrs:
            if value and (name in self.SPOKEN or (described and name == "content")):
                self.found.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if not self._in_script:
            self.found.append(data)


def unwrapped_text(source: str) -> list[str]:
    """Words in a template that no gettext call or trans block covers."""
    source = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    # A class name, not text.
    source = re.sub(r"\{% block body_class %\}.*?\{% endblock %\}", " ", source, flags=re.S)
    source = re.sub(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", " ", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}", " ", source, flags=re.S)
    source = re.sub(r"\{%.*?%\}", " ", source, flags=re.S)
    parser = _VisibleText()
    parser.feed(source)
    words = []
    for text in parser.found:
        for word in re.findall(r"[^\W\d_][\w'’-]*", text):
            if word not in NOT_WORDS:
                words.append(word)
    return words


@pytest.mark.parametrize("template", PATIENT_TEMPLATES, ids=lambda p: p.name)
def test_patient_templates_wrap_every_visible_word_for_translation(template):
    if template.name in {"base.html"} and template.parent.name == "clinic":
        pytest.skip("clinician pages may stay English")
    assert unwrapped_text(template.read_text()) == []


def test_the_template_check_finds_an_unwrapped_word():
    # A check that cannot fail is no check.
    assert unwrapped_text("<h1>{{ _('Hello') }}</h1><p>Call us</p>") == ["Call", "us"]
    assert unwrapped_text('<nav aria-label="Pages">{% trans %}Fine{% endtrans %}</nav>') == [
        "Pages"
    ]
    assert unwrapped_text("<script>var x = 'Not text';</script>") == []
