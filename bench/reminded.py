"""The patients a benchmark reminds: one for each subscription on the local push receiver."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any


def add_reminded_patients(
    clinic_id: int, subscriptions: list[dict[str, Any]], due_at: datetime, name: str
) -> list[int]:
    """One patient per subscription, each with it and one appointment reminder due at `due_at`.

    Bulk inserts, so that thousands take a second. Returns the new patients' ids, in the order
    of `subscriptions`. The caller commits.
    """
    from sqlalchemy import insert, select

    from aftercare.extensions import db
    from aftercare.models import Device, Patient, PushSubscription, Reminder

    last = db.session.scalar(select(Patient.id).order_by(Patient.id.desc()).limit(1)) or 0
    db.session.execute(
        insert(Patient),
        [
            {"clinic_id": clinic_id, "display_name": f"{name} {n:04d}"}
            for n in range(len(subscriptions))
        ],
    )
    patient_ids = list(
        db.session.scalars(select(Patient.id).where(Patient.id > last).order_by(Patient.id))
    )
    # Each patient's phone, linked as enrollment links it: reminders go only to linked phones.
    db.session.execute(
        insert(Device),
        [
            {"patient_id": patient_id, "token_hash": secrets.token_hex(32), "label": "Phone"}
            for patient_id in patient_ids
        ],
    )
    device_of = dict(
        db.session.execute(
            select(Device.patient_id, Device.id).where(Device.patient_id > last)
        ).all()
    )
    db.session.execute(
        insert(PushSubscription),
        [
            {
                "patient_id": patient_id,
                "device_id": device_of[patient_id],
                "endpoint": info["endpoint"],
                "p256dh": info["keys"]["p256dh"],
                "auth": info["keys"]["auth"],
            }
            for patient_id, info in zip(patient_ids, subscriptions, strict=True)
        ],
    )
    db.session.execute(
        insert(Reminder),
        [
            {
                "clinic_id": clinic_id,
                "patient_id": patient_id,
                "kind": "before_2h",
                "title": "Appointment reminder",
                "body": "You have an appointment today at 3:00 PM.",
                "url": "/today",
                "due_at": due_at,
                "expires_at": due_at + timedelta(hours=2),
                "next_attempt_at": due_at,
                "state": "pending",
            }
            for patient_id in patient_ids
        ],
    )
    return patient_ids
