"""The CSV and FHIR exports, built from model objects in memory (no database needed)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import fhir.resources
import pytest
from fhir.resources import construct_fhir_element
from fhir.resources.bundle import Bundle
from fhir.resources.questionnaire import Questionnaire

from aftercare.care.symptoms import GRADED, SEVERITY_LABELS, SYMPTOMS, YES_NO
from aftercare.clinic.export_formats import (
    CHECK_IN_QUESTIONNAIRE_URL,
    CHECK_IN_QUESTIONNAIRE_VERSION,
    check_in_questionnaire,
    check_ins_csv,
    fhir_bundle,
    iter_check_ins_csv,
    iter_fhir_bundle,
)
from aftercare.models import Appointment, CheckIn, Patient

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2025, 1, 20, 12, 0, tzinfo=UTC)


def make_patient(patient_id: int = 7, name: str = "Alexandra") -> Patient:
    return Patient(id=patient_id, clinic_id=1, display_name=name)


def make_check_in(patient: Patient, check_in_id: int = 30, **fields: Any) -> CheckIn:
    values: dict[str, Any] = {
        "received_at": datetime(2025, 1, 15, 19, 30, tzinfo=UTC),
        "filled_at": datetime(2025, 1, 15, 19, 10, tzinfo=UTC),
        "severities": {symptom.code: 0 for symptom in SYMPTOMS}
        | {"headache": 2, "nausea": 1, "chest_pain": 1},
        "systolic": 150,
        "diastolic": 95,
        "heart_rate": 88,
        "got_home_safely": True,
        "note": "Head hurts, otherwise fine.",
        "hours_since_infusion": 2.5,
        "triage_level": "emergency",
        "triage_reasons": ["chest_pain", "bp_high"],
    }
    values.update(fields)
    return CheckIn(id=check_in_id, patient_id=patient.id, idempotency_key="k" * 8, **values)


def make_appointment(patient: Patient, appointment_id: int, **fields: Any) -> Appointment:
    values: dict[str, Any] = {
        "kind": "follow_up",
        "starts_at": NOW + timedelta(days=2),
        "duration_minutes": 60,
        "created_at": NOW - timedelta(days=5),
        "cancelled_at": None,
    }
    values.update(fields)
    return Appointment(id=appointment_id, clinic_id=1, patient_id=patient.id, **values)


def parse_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """Read the export as a spreadsheet would: bytes, BOM skipped, then CSV."""
    data = text.encode("utf-8").decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(data, newline="")))
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def only_row(text: str) -> dict[str, str]:
    _, rows = parse_csv(text)
    assert len(rows) == 1
    return rows[0]


# --- CSV -----------------------------------------------------------------------------------


def test_the_file_starts_with_a_byte_order_mark_so_excel_reads_utf8() -> None:
    patient = make_patient(name="Zoë")
    text = check_ins_csv([(patient, make_check_in(patient))], NEW_YORK)

    assert text.startswith('\ufeff"Patient",')
    assert only_row(text)["Patient"] == "Zoë"


def test_the_header_has_one_column_per_symptom_in_form_order() -> None:
    header, rows = parse_csv(check_ins_csv([], NEW_YORK))

    assert rows == []
    assert header == [
        "Patient",
        "Patient ID",
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
    ]


def test_a_row_holds_the_patients_phone_number_when_the_clinic_has_it() -> None:
    with_phone = make_patient()
    with_phone.phone = "+12025550143"
    without = make_patient(patient_id=8, name="Blair")
    text = check_ins_csv(
        [(p, make_check_in(p, check_in_id=p.id)) for p in (with_phone, without)], NEW_YORK
    )
    _, rows = parse_csv(text)
    assert [row["Patient phone"] for row in rows] == ["'+12025550143", ""]


def test_a_row_holds_everything_the_patient_sent_and_its_triage() -> None:
    patient = make_patient()
    row = only_row(check_ins_csv([(patient, make_check_in(patient))], NEW_YORK))

    assert row["Patient"] == "Alexandra"
    assert row["Patient ID"] == "7"
    assert row["Hours since infusion"] == "2.5"
    assert row["Triage level"] == "emergency"
    assert row["Triage reasons"] == "chest_pain; bp_high"
    assert row["Headache"] == "2"
    assert row["Nausea or vomiting"] == "1"
    assert row["Dizziness or the room spinning"] == "0"
    assert row["Chest pain or pressure"] == "yes"
    assert row["Trouble breathing"] == "no"
    assert (row["Systolic (mmHg)"], row["Diastolic (mmHg)"]) == ("150", "95")
    assert row["Heart rate (beats a minute)"] == "88"
    assert row["Got home safely"] == "yes"
    assert row["Note"] == "Head hurts, otherwise fine."


def test_what_the_patient_left_out_is_an_empty_cell() -> None:
    patient = make_patient()
    check_in = make_check_in(
        patient,
        filled_at=None,
        severities={"headache": 1},
        systolic=None,
        diastolic=None,
        heart_rate=None,
        got_home_safely=None,
        note="",
        hours_since_infusion=None,
        triage_reasons=[],
    )
    row = only_row(check_ins_csv([(patient, check_in)], NEW_YORK))

    assert row["Headache"] == "1"
    for column in (
        "Filled in",
        "Hours since infusion",
        "Triage reasons",
        "Nausea or vomiting",
        "Chest pain or pressure",
        "Systolic (mmHg)",
        "Heart rate (beats a minute)",
        "Got home safely",
        "Note",
    ):
        assert row[column] == "", column


@pytest.mark.parametrize(
    ("received_at", "tz", "expected"),
    [
        (datetime(2025, 1, 15, 19, 30, tzinfo=UTC), NEW_YORK, "2025-01-15T14:30:00-05:00"),
        (datetime(2025, 7, 15, 19, 30, tzinfo=UTC), NEW_YORK, "2025-07-15T15:30:00-04:00"),
        (
            datetime(2025, 1, 16, 3, 5, tzinfo=UTC),
            ZoneInfo("America/Los_Angeles"),
            "2025-01-15T19:05:00-08:00",
        ),
    ],
)
def test_times_are_in_the_clinics_zone_with_their_offset(
    received_at: datetime, tz: ZoneInfo, expected: str
) -> None:
    patient = make_patient()
    check_in = make_check_in(patient, received_at=received_at, filled_at=received_at)
    row = only_row(check_ins_csv([(patient, check_in)], tz))

    assert row["Received"] == expected
    assert row["Filled in"] == expected


@pytest.mark.parametrize(
    ("note", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\uff1dSUM(A1)", "'\uff1dSUM(A1)"),
        # Tab and line breaks are also where a cell can start, so the formula after them
        # gets its own apostrophe.
        ("\t=1+1", "'\t'=1+1"),
        ("\r=1+1", "'\r'=1+1"),
        ("\n=1+1", "'\n'=1+1"),
        ("\nfine", "'\nfine"),
        (" =1+1", " '=1+1"),
    ],
)
def test_a_note_that_would_run_as_a_formula_gets_an_apostrophe(note: str, shown: str) -> None:
    patient = make_patient()
    row = only_row(check_ins_csv([(patient, make_check_in(patient, note=note))], NEW_YORK))

    assert row["Note"] == shown


@pytest.mark.parametrize(
    ("note", "shown"),
    [
        # Excel set to ";" as list separator splits the line here, quotes or not.
        ("fine;=cmd|' /C calc'!A0", "fine;'=cmd|' /C calc'!A0"),
        ("fine,=1+1", "fine,'=1+1"),
        ("fine;  @SUM(A1)", "fine;  '@SUM(A1)"),
        ("fine\t-1+1", "fine\t'-1+1"),
        ("line one\n+1+1", "line one\n'+1+1"),
        ("line one\r\n=1+1", "line one\r\n'=1+1"),
        ('he said "=1+1"', 'he said "\'=1+1"'),
        ("a;=1;+2", "a;'=1;'+2"),
    ],
)
def test_a_formula_after_a_list_separator_or_line_break_gets_an_apostrophe(
    note: str, shown: str
) -> None:
    patient = make_patient()
    row = only_row(check_ins_csv([(patient, make_check_in(patient, note=note))], NEW_YORK))

    assert row["Note"] == shown


def spreadsheet_cells(line: str) -> list[str]:
    """A line cut as a spreadsheet with any list separator may cut it, quotes or not, and
    each piece as it may trim it."""
    pieces = [line]
    for separator in (",", ";", "\t", "\r", "\n", '"'):
        pieces = [part for piece in pieces for part in piece.split(separator)]
    return [piece.strip(" ") for piece in pieces]


@pytest.mark.parametrize(
    "note",
    [
        "fine;=cmd|' /C calc'!A0",
        "ok,\t\n =1",
        '";=1+1;"',
        "x\n-\n=b",
        "=1;@2,+3\t-4\r=5\n@6",
        "\uff20SUM(A1);\uff0b1",
    ],
)
def test_no_piece_of_a_line_starts_with_a_formula_whatever_the_separator(note: str) -> None:
    patient = make_patient(name="=Alex;@Blair")
    text = check_ins_csv([(patient, make_check_in(patient, note=note))], NEW_YORK)

    for cell in spreadsheet_cells(text.removeprefix("\ufeff")):
        assert not cell.startswith(("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20"))


def test_every_cell_is_quoted_empty_ones_too() -> None:
    patient = make_patient()
    check_in = make_check_in(patient, note='Felt "floaty"', systolic=None, filled_at=None)
    header, line = check_ins_csv([(patient, check_in)], NEW_YORK).split("\r\n")[:2]
    cells = next(csv.reader([line]))

    assert line == ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)
    assert '""' in line.split(",")  # the empty cells
    assert header.startswith('\ufeff"Patient","Patient ID",')


def test_numbers_stay_numbers_negative_ones_too() -> None:
    # The app stores no negative readings; one would still be the number, not text.
    patient = make_patient()
    check_in = make_check_in(patient, systolic=-5, hours_since_infusion=-1.25, heart_rate=0)
    row = only_row(check_ins_csv([(patient, check_in)], NEW_YORK))

    assert row["Systolic (mmHg)"] == "-5"
    assert row["Hours since infusion"] == "-1.2"
    assert row["Heart rate (beats a minute)"] == "0"


def test_a_display_name_that_would_run_as_a_formula_gets_an_apostrophe() -> None:
    patient = make_patient(name="=cmd|' /C calc'!A0")
    row = only_row(check_ins_csv([(patient, make_check_in(patient))], NEW_YORK))

    assert row["Patient"] == "'=cmd|' /C calc'!A0"


def test_text_that_only_contains_formula_characters_is_left_alone() -> None:
    patient = make_patient()
    note = "Dizzy - better after 1+1 hours; email me @ home = fine"
    row = only_row(check_ins_csv([(patient, make_check_in(patient, note=note))], NEW_YORK))

    assert row["Note"] == note


def test_commas_quotes_and_newlines_in_a_note_survive_a_round_trip() -> None:
    patient = make_patient()
    note = 'Felt "floaty", then sick,\nthen fine.\r\nSlept 9 hours, ok'
    row = only_row(check_ins_csv([(patient, make_check_in(patient, note=note))], NEW_YORK))

    assert row["Note"] == note


def test_a_whole_clinic_export_has_one_row_per_check_in_in_the_order_given() -> None:
    alex, blair = make_patient(1, "Alex"), make_patient(2, "Blair")
    rows = [
        (alex, make_check_in(alex, 10)),
        (blair, make_check_in(blair, 11, triage_level="expected", triage_reasons=[])),
        (alex, make_check_in(alex, 12, note="second")),
    ]
    _, parsed = parse_csv(check_ins_csv(rows, NEW_YORK))

    assert [(row["Patient"], row["Patient ID"]) for row in parsed] == [
        ("Alex", "1"),
        ("Blair", "2"),
        ("Alex", "1"),
    ]
    assert parsed[1]["Triage level"] == "expected"
    assert parsed[2]["Note"] == "second"


def test_the_stream_gives_the_header_first_then_one_line_per_check_in() -> None:
    patient = make_patient()
    rows = [(patient, make_check_in(patient, 1)), (patient, make_check_in(patient, 2))]
    lines = list(iter_check_ins_csv(rows, NEW_YORK))

    assert len(lines) == 3
    assert lines[0].startswith('\ufeff"Patient",')
    assert all(line.startswith('"Alexandra","7",') for line in lines[1:])
    assert "".join(lines) == check_ins_csv(rows, NEW_YORK)


# --- FHIR ----------------------------------------------------------------------------------


def test_the_validating_models_are_fhir_r4() -> None:
    # fhir.resources 6.5+ defaults to R4B and 7+ to R5: an upgrade must not go unnoticed.
    assert fhir.resources.__fhir_version__ == "4.0.1"


def test_the_questionnaire_is_a_valid_r4_questionnaire_of_the_check_in_form() -> None:
    resource = check_in_questionnaire()
    Questionnaire.parse_obj(resource)

    assert resource["url"] == CHECK_IN_QUESTIONNAIRE_URL
    assert resource["version"] == CHECK_IN_QUESTIONNAIRE_VERSION
    assert resource["status"] == "active"
    items = {item["linkId"]: item for item in resource["item"]}
    assert list(items) == [
        *(symptom.code for symptom in SYMPTOMS),
        "systolic",
        "diastolic",
        "heart_rate",
        "got_home_safely",
        "note",
    ]
    for symptom in GRADED:
        assert items[symptom.code]["type"] == "choice"
        assert items[symptom.code]["text"] == symptom.label
        options = [option["valueCoding"] for option in items[symptom.code]["answerOption"]]
        assert [(o["code"], o["display"]) for o in options] == [
            (str(int(level)), label) for level, label in SEVERITY_LABELS.items()
        ]
    for symptom in YES_NO:
        assert items[symptom.code]["type"] == "boolean"
    assert [items[code]["type"] for code in ("systolic", "diastolic", "heart_rate")] == [
        "integer"
    ] * 3
    assert items["got_home_safely"]["type"] == "boolean"
    assert items["note"]["type"] == "text"


def export(**overrides: Any) -> dict[str, Any]:
    patient = overrides.pop("patient", None) or make_patient()
    check_ins = overrides.pop("check_ins", None) or [make_check_in(patient)]
    appointments = overrides.pop("appointments", [])
    return fhir_bundle(patient, check_ins, appointments, NEW_YORK, now=NOW, **overrides)


def resources_of(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == resource_type
    ]


def full_url_of(bundle: dict[str, Any], resource_type: str) -> str:
    (url,) = [
        entry["fullUrl"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == resource_type
    ]
    return url


def test_the_bundle_and_every_resource_in_it_validate_as_fhir_r4() -> None:
    patient = make_patient()
    bundle = export(
        patient=patient,
        check_ins=[make_check_in(patient, 1), make_check_in(patient, 2, note="")],
        appointments=[make_appointment(patient, 5), make_appointment(patient, 6, kind="booster")],
    )
    # What a view would send must be plain JSON.
    bundle = json.loads(json.dumps(bundle))

    Bundle.parse_obj(bundle)
    for entry in bundle["entry"]:
        construct_fhir_element(entry["resource"]["resourceType"], entry["resource"])
    assert bundle["type"] == "collection"
    assert [entry["resource"]["resourceType"] for entry in bundle["entry"]] == [
        "Patient",
        "Questionnaire",
        "QuestionnaireResponse",
        "QuestionnaireResponse",
        "Appointment",
        "Appointment",
    ]
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(set(urls)) == len(urls)
    assert all(url.startswith("urn:uuid:") for url in urls)


def test_the_streamed_bundle_is_the_same_bundle_a_resource_at_a_time() -> None:
    patient = make_patient()
    check_ins = [make_check_in(patient, n, note=f"note {n}") for n in (1, 2, 3)]
    appointments = [make_appointment(patient, 5), make_appointment(patient, 6, kind="booster")]

    pieces = list(iter_fhir_bundle(patient.id, check_ins, appointments, NEW_YORK, now=NOW))

    whole = fhir_bundle(patient, check_ins, appointments, NEW_YORK, now=NOW)
    assert json.loads("".join(pieces)) == whole
    Bundle.parse_obj(json.loads("".join(pieces)))
    # The envelope, one piece per entry, the end: never the whole Bundle in one string.
    assert len(pieces) == 1 + len(whole["entry"]) + 1


def test_a_streamed_bundle_with_no_check_ins_is_still_valid() -> None:
    patient = make_patient()
    text = "".join(iter_fhir_bundle(patient.id, [], [], NEW_YORK, now=NOW))

    bundle = json.loads(text)
    Bundle.parse_obj(bundle)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient", "Questionnaire"]


def test_full_urls_are_the_same_in_every_export() -> None:
    assert [e["fullUrl"] for e in export()["entry"]] == [e["fullUrl"] for e in export()["entry"]]


def test_a_restful_base_gives_type_and_id_urls() -> None:
    bundle = export(base="http://localhost/fhir/")

    assert full_url_of(bundle, "Patient") == "http://localhost/fhir/Patient/7"
    assert full_url_of(bundle, "QuestionnaireResponse") == (
        "http://localhost/fhir/QuestionnaireResponse/30"
    )
    (response,) = resources_of(bundle, "QuestionnaireResponse")
    assert response["subject"]["reference"] == "http://localhost/fhir/Patient/7"


def test_the_patient_is_pseudonymous() -> None:
    patient = make_patient(name="Alexandra")
    bundle = export(patient=patient, appointments=[make_appointment(patient, 5)])

    (resource,) = resources_of(bundle, "Patient")
    assert "name" not in resource
    assert resource["identifier"] == [{"system": "urn:aftercare:patient-id", "value": "7"}]
    assert "Alexandra" not in json.dumps(bundle)


def answers_by_link_id(response: dict[str, Any]) -> dict[str, Any]:
    answers = {}
    for item in response["item"]:
        (answer,) = item["answer"]
        ((_, value),) = answer.items()
        answers[item["linkId"]] = value
    return answers


def test_a_check_in_becomes_a_completed_response_to_the_published_form() -> None:
    bundle = export()
    (response,) = resources_of(bundle, "QuestionnaireResponse")

    assert response["status"] == "completed"
    assert response["questionnaire"] == "urn:aftercare:questionnaire:side-effect-check-in|1"
    assert response["subject"] == {"reference": full_url_of(bundle, "Patient")}
    assert response["authored"] == "2025-01-15T14:30:00-05:00"
    answers = answers_by_link_id(response)
    assert answers["headache"]["code"] == "2"
    assert answers["headache"]["display"] == "Quite a bit"
    assert answers["dizziness"]["code"] == "0"
    assert answers["chest_pain"] is True
    assert answers["fainting"] is False
    assert (answers["systolic"], answers["diastolic"], answers["heart_rate"]) == (150, 95, 88)
    assert answers["got_home_safely"] is True
    assert answers["note"] == "Head hurts, otherwise fine."


def test_every_answer_fits_its_question_in_the_questionnaire() -> None:
    bundle = export()
    (questionnaire,) = resources_of(bundle, "Questionnaire")
    questions = {item["linkId"]: item for item in questionnaire["item"]}
    answer_key = {
        "choice": "valueCoding",
        "boolean": "valueBoolean",
        "integer": "valueInteger",
        "text": "valueString",
    }
    (response,) = resources_of(bundle, "QuestionnaireResponse")

    assert {item["linkId"] for item in response["item"]} == set(questions)
    for item in response["item"]:
        question = questions[item["linkId"]]
        (answer,) = item["answer"]
        assert list(answer) == [answer_key[question["type"]]], item["linkId"]
        if question["type"] == "choice":
            options = [option["valueCoding"] for option in question["answerOption"]]
            assert answer["valueCoding"] in options


def test_questions_the_patient_left_out_have_no_answer() -> None:
    patient = make_patient()
    check_in = make_check_in(
        patient,
        severities={"headache": 1},
        systolic=None,
        diastolic=None,
        heart_rate=None,
        got_home_safely=None,
        note="",
    )
    (response,) = resources_of(
        export(patient=patient, check_ins=[check_in]), "QuestionnaireResponse"
    )

    assert list(answers_by_link_id(response)) == ["headache"]


def test_a_severity_off_the_scale_is_refused_rather_than_exported() -> None:
    patient = make_patient()
    with pytest.raises(ValueError):
        export(patient=patient, check_ins=[make_check_in(patient, severities={"headache": 7})])


def test_a_check_in_of_another_patient_is_refused() -> None:
    patient, other = make_patient(1), make_patient(2)
    with pytest.raises(ValueError, match="another patient"):
        export(patient=patient, check_ins=[make_check_in(other)])


def test_appointments_are_booked_cancelled_or_fulfilled() -> None:
    patient = make_patient()
    coming = make_appointment(patient, 1, starts_at=NOW + timedelta(days=1))
    cancelled = make_appointment(patient, 2, cancelled_at=NOW - timedelta(days=1))
    held = make_appointment(patient, 3, starts_at=NOW - timedelta(days=3))
    cancelled_in_the_past = make_appointment(
        patient, 4, starts_at=NOW - timedelta(days=3), cancelled_at=NOW - timedelta(days=4)
    )
    # Still going on: not over yet, so not fulfilled.
    under_way = make_appointment(patient, 5, starts_at=NOW - timedelta(minutes=30))
    bundle = export(
        patient=patient, appointments=[coming, cancelled, held, cancelled_in_the_past, under_way]
    )

    statuses = [resource["status"] for resource in resources_of(bundle, "Appointment")]
    assert statuses == ["booked", "cancelled", "fulfilled", "cancelled", "booked"]


def test_an_appointment_has_its_times_kind_and_patient() -> None:
    patient = make_patient()
    appointment = make_appointment(
        patient,
        9,
        kind="integration",
        starts_at=datetime(2025, 7, 1, 14, 0, tzinfo=UTC),
        duration_minutes=90,
    )
    bundle = export(patient=patient, appointments=[appointment])
    (resource,) = resources_of(bundle, "Appointment")

    assert resource["start"] == "2025-07-01T10:00:00-04:00"
    assert resource["end"] == "2025-07-01T11:30:00-04:00"
    assert resource["minutesDuration"] == 90
    assert resource["serviceType"][0]["text"] == "Integration therapy session"
    assert resource["serviceType"][0]["coding"][0]["code"] == "integration"
    assert resource["participant"] == [
        {"actor": {"reference": full_url_of(bundle, "Patient")}, "status": "accepted"}
    ]
