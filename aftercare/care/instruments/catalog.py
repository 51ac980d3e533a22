"""The app's own words in a questionnaire definition, for the translation catalog.

A definition holds two kinds of text. Its published wording (items, answers, credit line) is
never translated by us: its translations are published ones, kept in the definition itself.
Its plain name for patients (display_name) and its severity band labels are the app's words,
shown on the progress charts: `pybabel extract` collects them through this extractor (see
babel.cfg) and the pages translate them like any other message.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from ..translation import N_, Translate, in_context
from .model import Direction, Instrument

# Band labels are short words ("Mild") that may mean something else elsewhere in the app.
BAND_CONTEXT = "questionnaire band"
BETTER = {
    Direction.HIGHER_IS_WORSE: N_("Lower is better."),
    Direction.HIGHER_IS_BETTER: N_("Higher is better."),
}


def better_way(instrument: Instrument, translate: Translate) -> str:
    """Which way the scores move when the patient is doing better, in words."""
    return translate(BETTER[instrument.scoring.direction])


def band_label(label: str, translate: Translate) -> str:
    """A severity band's label in the reader's language."""
    return in_context(translate, f"{BAND_CONTEXT}\x04{label}")


def display_name(instrument: Instrument, language: str, translate: Translate) -> str:
    """What the questionnaire measures, in plain words, with its short title: "Depression
    (PHQ-9)". Falls back to the published title when the definition has no plain name."""
    translation = instrument.translations.get(language)
    if translation is not None and translation.display_name:
        name = translation.display_name
    elif instrument.display_name:
        name = translate(instrument.display_name)
    else:
        return instrument.wording_in(language).title
    return f"{name} ({instrument.short_title})"


def extract(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, str | tuple[str, str], list[str]]]:
    """Babel extraction method: the display name and band labels of one definition."""
    definition = json.load(fileobj)
    if not isinstance(definition, Mapping) or "scoring" not in definition:
        return  # the schema beside the definitions, or something else that is not one
    if "display_name" in definition:
        yield 1, "gettext", definition["display_name"], []
    for band in definition["scoring"].get("bands", []):
        yield 1, "pgettext", (BAND_CONTEXT, band["label"]), []
