"""Object-level access: a clinician reaches only their own clinic's objects, others are 404.

Every clinic route that loads an object by id goes through `get_for_clinic`: the clinic's
condition is part of the query, so another clinic's object is never loaded, and it answers
404 exactly as an id that does not exist (a 403 would say that it does).
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import (
    Alert,
    Appointment,
    BoosterReview,
    Clinic,
    Clinician,
    Device,
    Infusion,
    Patient,
)

Model = TypeVar("Model", Patient, Clinician, Alert, Appointment, Device, Infusion)

# Kinds of object that name their clinic themselves.
OWN_CLINIC = (Patient, Clinician)
# Kinds that belong to a clinic through their patient: checked through the patient, whose
# clinic is the one that counts, in the same query (which loads the patient too).
THROUGH_PATIENT = (Alert, Appointment, BoosterReview, Device, Infusion)


def current_clinic() -> Clinic:
    return current_user.clinic


def get_for_clinic(model: type[Model], object_id: int, **columns: Any) -> Model:
    """The signed-in clinician's clinic's `model` with this id, or a 404.

    `columns` narrows it further, e.g. a device of the patient in the address:
    `get_for_clinic(Device, device_id, patient_id=patient_id)`.
    """
    query = select(model).where(
        model.id == object_id, *(getattr(model, name) == value for name, value in columns.items())
    )
    if model in THROUGH_PATIENT:
        query = (
            query.join(model.patient)
            .where(Patient.clinic_id == current_user.clinic_id)
            .options(contains_eager(model.patient))
        )
    elif model in OWN_CLINIC:
        query = query.where(model.clinic_id == current_user.clinic_id)
    else:
        # Refused rather than loaded unchecked: a new kind must say how it belongs to a clinic.
        raise TypeError(f"no rule for which clinic a {model.__name__} belongs to")
    return db.first_or_404(query)
