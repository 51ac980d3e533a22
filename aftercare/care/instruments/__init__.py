"""Validated questionnaires as data: one versioned JSON definition per instrument.

The built-in definitions (PCL-5 past-week, PHQ-9, GAD-7) sit beside this file, with the JSON
Schema they follow (instrument.schema.json). A clinic adds another licensed instrument by
dropping a JSON file of the same shape in a folder, with no code. Item wording, answer labels
and notices are published text: copy them exactly, because the validation studies used that
wording. loader.py reads and checks them; model.py holds what a loaded one is.
"""

from aftercare.care.questionnaire_alerts import ItemAlert

from .loader import load_builtin, load_folder, parse_definition
from .model import (
    BASE_LANGUAGE,
    Alternative,
    Band,
    ChangeThresholds,
    Cluster,
    DiagnosisRule,
    Direction,
    ExtraQuestion,
    Instrument,
    InstrumentError,
    Item,
    Option,
    RemissionThreshold,
    ResponseThreshold,
    ReturningThreshold,
    Scoring,
    Wording,
)

__all__ = [
    "BASE_LANGUAGE",
    "Band",
    "Alternative",
    "ChangeThresholds",
    "Cluster",
    "DiagnosisRule",
    "Direction",
    "ExtraQuestion",
    "Instrument",
    "InstrumentError",
    "Item",
    "ItemAlert",
    "Option",
    "RemissionThreshold",
    "ResponseThreshold",
    "ReturningThreshold",
    "Scoring",
    "load_builtin",
    "load_folder",
    "parse_definition",
    "Wording",
]
