"""Check-ins and appointments as a spreadsheet (CSV) or as FHIR R4 JSON, from rows given to it.

Nothing here queries the database or reads the request: the view picks the rows (one patient
or the whole clinic, a date range) and checks access; these functions only shape the export.
They take the rows as iterables and give text a row at a time, so that a streamed download
holds no more than the page of rows it is sending.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..care.reminder_rules import APPOINTMENT_KINDS
from ..care.symptoms import (
    GRADED,
    NOTE_MAX_LENGTH,
    SEVERITY_LABELS,
    SYMPTOMS,
    SYMPTOMS_BY_CODE,
    Severity,
)

if TYPE_CHECKING:
    from ..models import Appointment, CheckIn, Patient

# --- CSV -----------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection"),
# some in their full-width forms too.
FORMULA_STARTS = "=+-@\uff1d\uff0b\uff0d\uff20"
# OWASP's list adds tab and carriage return: a spreadsheet may drop them and then see the
# formula. Line feed is guarded too: a cell that starts with one hides what follows from view.
LEADING_TRIGGERS = (*FORMULA_STARTS, "\t", "\r", "\n")

# Where a spreadsheet may start a new cell inside our text: a list separator of any locale
# (comma, semicolon, tab), a line break, or a stray double quote that a lenient reader takes
# for the end of a quoted cell. Excel set to ";" reads a comma-separated file a line at a time
# and splits it at every ";", quoted or not, so quoting alone does not keep a cell whole.
CELL_BOUNDARIES = ',;\t\r\n"'

# A formula where a cell could start: at the start of the text or after a boundary, after any
# blanks (LibreOffice can be set to trim them on import).
_FORMULA_AT_A_CELL_START = re.compile(
    f"((?:^|[{re.escape(CELL_BOUNDARIES)}])[ \t\r\n]*)(?=[{re.escape(FORMULA_STARTS)}])"
)

# Excel opens a CSV as the machine's legacy code page unless the file starts with a byte order
# mark; with it, names and notes in any language read correctly. Other programs skip it.
UTF8_BOM = "\ufeff"

CSV_HEADER = (
    "Patient",
    "Patient ID",
    # E.164; the spreadsheet guard puts an apostrophe before its "+", so it stays text.
    "Patient phone",
    "Received",
    "Filled in",
    "Hours since infusion",
    "Triage level",
    "Triage reasons",
    *(symptom.label for symptom in SYMPTOMS),
    "Systolic (mmHg)",
    "Diastolic (mmHg)",
    "Heart rate (beats a minute)",
    "Got home safely",
    "Note",
)


def spreadsheet_safe(text: str) -> str:
    """Text that a spreadsheet shows as written, whatever its list separator.

    An apostrophe goes before each formula that could start a cell, and before text that
    starts with a trigger: a spreadsheet reads a cell that starts with one as text and does
    not show it. So `fine;=cmd|' /C calc'!A0` becomes `fine;'=cmd|' /C calc'!A0`.
    """
    text = _FORMULA_AT_A_CELL_START.sub(r"\1'", text)
    return "'" + text if text.startswith(LEADING_TRIGGERS) else text


def cell(value: object) -> str:
    """One CSV cell. Only text can carry a formula, so only text goes through the guard.

    Numbers are formatted here from int or float, so "-1" is the number minus one, never a
    formula, and stays a number in the spreadsheet. The app stores no negative readings (the
    form refuses them, and hours since infusion are clamped at 0), but one would read as
    written.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.1f}"
    return spreadsheet_safe(str(value))


def _local(moment: datetime | None, tz: ZoneInfo) -> str | None:
    """An instant as ISO 8601 in the clinic's zone, with its offset, to the second."""
    return None if moment is None else moment.astimezone(tz).isoformat(timespec="seconds")


def _symptom_answer(check_in: CheckIn, code: str) -> int | bool | None:
    value = (check_in.severities or {}).get(code)
    if value is None:
        return None
    return int(value) if SYMPTOMS_BY_CODE[code].graded else bool(value)


def check_in_row(patient: Patient, check_in: CheckIn, tz: ZoneInfo) -> list[object]:
    """One check-in's values, in the order of CSV_HEADER (`cell` writes each)."""
    values: list[object] = [
        patient.display_name,
        patient.id,
        patient.phone or "",
        _local(check_in.received_at, tz),
        _local(check_in.filled_at, tz),
        check_in.hours_since_infusion,
        check_in.triage_level,
        "; ".join(check_in.triage_reasons or []),
        *(_symptom_answer(check_in, symptom.code) for symptom in SYMPTOMS),
        check_in.systolic,
        check_in.diastolic,
        check_in.heart_rate,
        check_in.got_home_safely,
        check_in.note or "",
    ]
    return values


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """A CSV file line by line, for a streamed response: a byte order mark (for Excel) and the
    header, then each row. Every export's CSV is written here.

    Every cell is quoted, so that a reader never has to guess where one ends; commas, quotes
    and line breaks in notes survive; and each goes through `cell`, the formula guard.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)

    def line(cells: Iterable[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([cell(value) for value in cells])
        return buffer.getvalue()

    yield UTF8_BOM + line(header)
    for row in rows:
        yield line(row)


def iter_check_ins_csv(rows: Iterable[tuple[Patient, CheckIn]], tz: ZoneInfo) -> Iterator[str]:
    """The check-in export line by line: the header, then each check-in."""
    return csv_lines(CSV_HEADER, (check_in_row(p, c, tz) for p, c in rows))


def check_ins_csv(rows: Iterable[tuple[Patient, CheckIn]], tz: ZoneInfo) -> str:
    """The whole CSV export as one string."""
    return "".join(iter_check_ins_csv(rows, tz))


# --- FHIR R4 -------------------------------------------------------------------------------

# Canonical identifiers are URNs: the project names no outside host, and a URN says plainly that
# it identifies the form rather than locating it.
CHECK_IN_QUESTIONNAIRE_URL = "urn:aftercare:questionnaire:side-effect-check-in"
# Bump when the questions change, so that older responses still point at the form they answered.
CHECK_IN_QUESTIONNAIRE_VERSION = "1"
QUESTIONNAIRE_ID = "side-effect-check-in"
SEVERITY_SYSTEM = "urn:aftercare:codesystem:severity"
APPOINTMENT_KIND_SYSTEM = "urn:aftercare:codesystem:appointment-kind"
PATIENT_ID_SYSTEM = "urn:aftercare:patient-id"
CHECK_IN_ID_SYSTEM = "urn:aftercare:check-in-id"
APPOINTMENT_ID_SYSTEM = "urn:aftercare:appointment-id"

# Fixed, so that the same record gets the same urn:uuid in every export.
_UUID_NAMESPACE = uuid.UUID("6f1c3f0e-4a55-4d8e-9b0c-2f7a3c1d9e42")

VITAL_ITEMS = (
    ("systolic", "Blood pressure, top number (systolic), mmHg"),
    ("diastolic", "Blood pressure, bottom number (diastolic), mmHg"),
    ("heart_rate", "Heart rate (pulse), beats a minute"),
)
GOT_HOME_TEXT = "Did a driver take you home safely?"
NOTE_TEXT = "Anything else you want your care team to know?"


def _severity_coding(severity: Severity) -> dict[str, str]:
    return {
        "system": SEVERITY_SYSTEM,
        "code": str(int(severity)),
        "display": SEVERITY_LABELS[severity],
    }


def check_in_questionnaire() -> dict[str, Any]:
    """The check-in form as a published FHIR R4 Questionnaire."""
    items: list[dict[str, Any]] = [
        {
            "linkId": symptom.code,
            "text": symptom.label,
            "type": "choice",
            "answerOption": [{"valueCoding": _severity_coding(level)} for level in Severity],
        }
        if symptom.graded
        else {"linkId": symptom.code, "text": symptom.label, "type": "boolean"}
        for symptom in SYMPTOMS
    ]
    items += [{"linkId": code, "text": text, "type": "integer"} for code, text in VITAL_ITEMS]
    items.append({"linkId": "got_home_safely", "text": GOT_HOME_TEXT, "type": "boolean"})
    items.append(
        {"linkId": "note", "text": NOTE_TEXT, "type": "text", "maxLength": NOTE_MAX_LENGTH}
    )
    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": CHECK_IN_QUESTIONNAIRE_URL,
        "version": CHECK_IN_QUESTIONNAIRE_VERSION,
        "name": "SideEffectCheckIn",
        "title": "Side-effect check-in after a ketamine infusion",
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "Aftercare",
        "description": (
            f"How much each expected side effect bothers the patient ({len(GRADED)} graded"
            " questions), red-flag symptoms asked yes or no, home vital signs, getting home,"
            " and a free-text note."
        ),
        "item": items,
    }


def _response_items(check_in: CheckIn) -> list[dict[str, Any]]:
    """The answers of one check-in, one item per question answered."""

    def item(link_id: str, text: str, answer: dict[str, Any]) -> dict[str, Any]:
        return {"linkId": link_id, "text": text, "answer": [answer]}

    items = []
    severities = check_in.severities or {}
    for symptom in SYMPTOMS:
        # A code the form no longer asks has no question to answer; it is left out.
        if (value := severities.get(symptom.code)) is None:
            continue
        if symptom.graded:
            # Severity() refuses a value outside 0-3 rather than export a made-up answer.
            answer = {"valueCoding": _severity_coding(Severity(int(value)))}
        else:
            answer = {"valueBoolean": bool(value)}
        items.append(item(symptom.code, symptom.label, answer))
    for code, text in VITAL_ITEMS:
        if (reading := getattr(check_in, code)) is not None:
            items.append(item(code, text, {"valueInteger": int(reading)}))
    if check_in.got_home_safely is not None:
        items.append(
            item("got_home_safely", GOT_HOME_TEXT, {"valueBoolean": check_in.got_home_safely})
        )
    if check_in.note:
        items.append(item("note", NOTE_TEXT, {"valueString": check_in.note}))
    return items


def _appointment_status(appointment: Appointment, now: datetime) -> str:
    if appointment.cancelled_at is not None:
        return "cancelled"
    ends_at = appointment.starts_at + timedelta(minutes=appointment.duration_minutes)
    # The app does not record attendance: an appointment whose time has passed counts as held.
    return "fulfilled" if ends_at <= now else "booked"


def _full_url(base: str, resource: dict[str, Any]) -> str:
    """Where a resource sits in the Bundle: urn:uuid:<uuid> by default, or <base>/<Type>/<id>.

    The uuid is derived from the type and id, so the same record gets the same fullUrl in
    every export.
    """
    path = f"{resource['resourceType']}/{resource['id']}"
    if base == "urn:uuid:":
        return f"urn:uuid:{uuid.uuid5(_UUID_NAMESPACE, path)}"
    return f"{base.rstrip('/')}/{path}"


def _bundle_resources(
    patient_id: int,
    check_ins: Iterable[CheckIn],
    appointments: Iterable[Appointment],
    tz: ZoneInfo,
    base: str,
    now: datetime,
) -> Iterator[dict[str, Any]]:
    """The Bundle's resources in order: the Patient, the form, each check-in, each appointment.

    The Patient is pseudonymous: an identifier and nothing else, not even the display name.
    """
    patient_resource = {
        "resourceType": "Patient",
        "id": str(patient_id),
        "identifier": [{"system": PATIENT_ID_SYSTEM, "value": str(patient_id)}],
    }
    patient_ref = {"reference": _full_url(base, patient_resource)}
    canonical = f"{CHECK_IN_QUESTIONNAIRE_URL}|{CHECK_IN_QUESTIONNAIRE_VERSION}"
    yield patient_resource
    yield check_in_questionnaire()

    for check_in in check_ins:
        if check_in.patient_id is not None and check_in.patient_id != patient_id:
            raise ValueError(f"check-in {check_in.id} belongs to another patient")
        yield {
            "resourceType": "QuestionnaireResponse",
            "id": str(check_in.id),
            "identifier": {"system": CHECK_IN_ID_SYSTEM, "value": str(check_in.id)},
            "questionnaire": canonical,
            "status": "completed",
            "subject": patient_ref,
            "authored": _local(check_in.received_at, tz),
            "item": _response_items(check_in),
        }

    for appointment in appointments:
        if appointment.patient_id is not None and appointment.patient_id != patient_id:
            raise ValueError(f"appointment {appointment.id} belongs to another patient")
        label = APPOINTMENT_KINDS.get(appointment.kind, appointment.kind)
        ends_at = appointment.starts_at + timedelta(minutes=appointment.duration_minutes)
        resource: dict[str, Any] = {
            "resourceType": "Appointment",
            "id": str(appointment.id),
            "identifier": [{"system": APPOINTMENT_ID_SYSTEM, "value": str(appointment.id)}],
            "status": _appointment_status(appointment, now),
            "serviceType": [
                {
                    "coding": [
                        {
                            "system": APPOINTMENT_KIND_SYSTEM,
                            "code": appointment.kind,
                            "display": label,
                        }
                    ],
                    "text": label,
                }
            ],
            "description": label,
            "start": _local(appointment.starts_at, tz),
            "end": _local(ends_at, tz),
            "minutesDuration": appointment.duration_minutes,
            "participant": [{"actor": patient_ref, "status": "accepted"}],
        }
        if appointment.created_at is not None:
            resource["created"] = _local(appointment.created_at, tz)
        yield resource


def _bundle_envelope(tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "timestamp": _local(now, tz)}


def fhir_bundle(
    patient: Patient,
    check_ins: Iterable[CheckIn],
    appointments: Iterable[Appointment],
    tz: ZoneInfo,
    base: str = "urn:uuid:",
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """One patient's check-ins and appointments as a FHIR R4 collection Bundle.

    A collection, not a searchset: the export is a set of resources gathered for hand-over,
    not the answer to a search, and carries no search semantics. `now` (default: the current
    time) decides which appointments are already past.
    """
    now = now or datetime.now(UTC)
    resources = _bundle_resources(patient.id, check_ins, appointments, tz, base, now)
    return {
        **_bundle_envelope(tz, now),
        "entry": [{"fullUrl": _full_url(base, r), "resource": r} for r in resources],
    }


def iter_fhir_bundle(
    patient_id: int,
    check_ins: Iterable[CheckIn],
    appointments: Iterable[Appointment],
    tz: ZoneInfo,
    base: str = "urn:uuid:",
    *,
    now: datetime | None = None,
) -> Iterator[str]:
    """The same Bundle as fhir_bundle(), as JSON text a resource at a time, for a streamed
    response: one entry per line, so the whole Bundle is never held in memory."""
    now = now or datetime.now(UTC)
    envelope = json.dumps(_bundle_envelope(tz, now))
    yield envelope[:-1] + ', "entry": [\n'
    separator = ""
    for resource in _bundle_resources(patient_id, check_ins, appointments, tz, base, now):
        entry = {"fullUrl": _full_url(base, resource), "resource": resource}
        yield separator + json.dumps(entry)
        separator = ",\n"
    yield "\n]}\n"
