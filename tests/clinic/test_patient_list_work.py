"""The patient list's "most urgent" page reads the open alerts, not the clinic's whole history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftercare.clinic.patient_list import PER_PAGE, list_patients
from aftercare.models import Alert, Patient, utcnow


def _sqlite_steps(db, action) -> int:  # noqa: ANN001 (the fixture; a callable)
    """How many SQLite virtual-machine steps `action` takes: its work, whatever the clock says."""
    connection = db.session.connection().connection.driver_connection
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    connection.set_progress_handler(count, 1)
    try:
        action()
    finally:
        connection.set_progress_handler(None, 1)
    return steps


def _acknowledged_alerts(db, patients: list[Patient], each: int) -> None:  # noqa: ANN001
    long_ago = utcnow() - timedelta(days=30)
    for patient in patients:
        for n in range(each):
            db.session.add(
                Alert(
                    clinic_id=patient.clinic_id,
                    patient_id=patient.id,
                    level=("crisis", "call_clinic")[n % 2],
                    created_at=long_ago + timedelta(minutes=n),
                    acknowledged_at=long_ago + timedelta(minutes=n + 5),
                )
            )
    db.session.commit()


def test_the_most_urgent_page_costs_the_same_however_many_alerts_were_acknowledged(db, clinic):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("counts SQLite's own steps; the order itself is tested on every database")
    now = utcnow()
    patients = [Patient(clinic_id=clinic.id, display_name=f"P{n:02d}") for n in range(PER_PAGE + 5)]
    db.session.add_all(patients)
    db.session.flush()
    for n, patient in enumerate(patients):  # every patient waits on one alert: a full page
        level = ("emergency", "crisis", "call_clinic")[n % 3]
        db.session.add(
            Alert(
                clinic_id=clinic.id,
                patient_id=patient.id,
                level=level,
                created_at=now - timedelta(minutes=n),
            )
        )
    _acknowledged_alerts(db, patients, 2)
    first_page = [row.patient.id for row in list_patients(clinic.id, now).rows]
    before = _sqlite_steps(db, lambda: list_patients(clinic.id, now))

    _acknowledged_alerts(db, patients, 40)  # months of alerts, each one dealt with
    assert [row.patient.id for row in list_patients(clinic.id, now).rows] == first_page
    after = _sqlite_steps(db, lambda: list_patients(clinic.id, now))
    # Reading each patient's alerts to find the open ones took three times the steps here.
    assert after <= before * 1.1, (before, after)


def test_a_search_in_the_most_urgent_order_keeps_only_the_matching_patients(db, clinic):
    now = utcnow()
    names = ["Ana Ruiz", "Ben Ruiz", "Cleo Park", "Dev Ruiz"]
    patients = [Patient(clinic_id=clinic.id, display_name=name) for name in names]
    db.session.add_all(patients)
    db.session.flush()
    for patient, level, hours in zip(
        patients[:3], ("call_clinic", "crisis", "emergency"), (5, 1, 2), strict=True
    ):
        db.session.add(
            Alert(
                clinic_id=clinic.id,
                patient_id=patient.id,
                level=level,
                created_at=now - timedelta(hours=hours),
            )
        )
    db.session.commit()
    listing = list_patients(clinic.id, now, query="ruiz")
    # Cleo's emergency is the most urgent, but she does not match; Dev has no open alert.
    assert [row.patient.display_name for row in listing.rows] == [
        "Ben Ruiz",
        "Ana Ruiz",
        "Dev Ruiz",
    ]
    assert listing.total == 3
