"""What the companion's page says: the aftercare content, written to the person looking after
the patient ("they", "their") rather than to the patient ("you", "your").

Each line says what the patient's own default line says, in the companion's voice. A clinic
that changed a list for its patients has its own words shown to the companion instead, under a
line that says they are the clinic's words to the patient: its edit (a longer window, an extra
warning) must reach the companion too, and is never replaced by a default it chose not to use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .translation import N_, Translate

COMPANION_WORDS: dict[str, Any] = {
    # {until} becomes a weekday and time, as in the patient's instructions.
    "timed": {
        "driving": N_(
            "They should not drive, ride a bike or use machinery until {until}, "
            "and only after a night's sleep."
        ),
        "decisions": N_(
            "They should make no big decisions about money, the law or work until {until}."
        ),
        "alcohol": N_("They should have no alcohol or cannabis until {until}."),
        "sedatives": N_(
            "They should take no opioid pain pills, sleeping pills or anxiety pills "
            "(benzodiazepines) until {until}, unless the clinic told them otherwise."
        ),
        "companion": N_("Someone should stay with them until {until}."),
    },
    "normal": [
        N_("Feeling detached, floaty or unreal."),
        N_("Dizziness. They should sit or lie down, and stand up slowly."),
        N_("Feeling sick to their stomach."),
        N_("Feeling sleepy or tired for the rest of the day."),
        N_("A headache."),
        N_("Blurred or double vision for an hour or two."),
        N_("Feeling anxious."),
        N_("These usually pass within a few hours."),
    ],
    "call_clinic": [
        N_("A new rash or itching."),
        N_("Vomiting so much they cannot keep fluids down."),
        N_("The next day, they still feel detached or confused, or see things that are not there."),
        N_("Their mood is lower than before the infusion."),
        N_("Pain or blood when they pee."),
        N_("Blood pressure much higher than their usual."),
    ],
    "call_911": [
        N_("Trouble breathing."),
        N_("Their throat feels like it is closing, or it is hard to swallow."),
        N_("Swelling of their face or lips."),
        N_("Chest pain."),
        N_("Fainting, or they are very hard to wake."),
    ],
}


@dataclass(frozen=True)
class CompanionWording:
    """The companion page's lists, and which of them are the clinic's own words to the patient."""

    timed: Mapping[str, str]
    normal: list[str]
    call_clinic: list[str]
    call_911: list[str]
    clinics_own: frozenset[str]


def companion_wording(
    content: Mapping[str, Any], defaults: Mapping[str, Any], translate: Translate
) -> CompanionWording:
    """The lists for the companion, from the clinic's content and the defaults, both already in
    the reader's language: the companion's own words where the clinic kept the default."""
    lists: dict[str, Any] = {}
    own = set()
    for section, words in COMPANION_WORDS.items():
        if content[section] != defaults[section]:
            lists[section] = content[section]
            own.add(section)
        elif isinstance(words, dict):
            lists[section] = {key: translate(text) for key, text in words.items()}
        else:
            lists[section] = [translate(line) for line in words]
    return CompanionWording(**lists, clinics_own=frozenset(own))
