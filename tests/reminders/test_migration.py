"""Migration 0012: one push subscription per device, none for unlinked devices."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from aftercare.extensions import db
from aftercare.models import PushSubscription
from tests.conftest import make_app

DAY = datetime(2026, 1, 1, 9)


def insert_subscription(
    connection, id_: int, device_id: int | None, day: int, disabled: bool = False
) -> None:  # noqa: ANN001
    connection.execute(
        text(
            "INSERT INTO push_subscription (id, patient_id, device_id, endpoint, p256dh, auth, "
            "created_at, disabled_at, disabled_reason) VALUES (:id, 1, :device, :endpoint, 'k', "
            "'a', :created, :disabled, '')"
        ),
        {
            "id": id_,
            "device": device_id,
            "endpoint": f"https://fcm.googleapis.com/fcm/send/{id_}",
            "created": datetime(2026, 1, day, 9),
            "disabled": datetime(2026, 1, 20) if disabled else None,
        },
    )


def test_the_migration_keeps_one_working_subscription_per_linked_device(
    tmp_path, empty_database_url
):
    app = make_app(tmp_path, empty_database_url)
    with app.app_context():
        upgrade(revision="0011")
        with db.engine.begin() as old:
            old.execute(
                text(
                    "INSERT INTO clinic (id, name, timezone, phone, after_hours_phone, content, "
                    "created_at) VALUES (1, 'C', 'UTC', '', '', '{}', :day)"
                ),
                {"day": DAY},
            )
            old.execute(
                text(
                    "INSERT INTO patient (id, clinic_id, display_name, created_at) "
                    "VALUES (1, 1, 'P', :day)"
                ),
                {"day": DAY},
            )
            for device_id, revoked in ((1, None), (2, DAY), (3, None)):
                old.execute(
                    text(
                        "INSERT INTO device (id, patient_id, token_hash, label, created_at, "
                        "revoked_at) VALUES (:id, 1, :hash, 'Phone', :day, :revoked)"
                    ),
                    {"id": device_id, "hash": f"{device_id:064x}", "day": DAY, "revoked": revoked},
                )
            # Device 1 subscribed three times; its newest was switched off by the push service.
            insert_subscription(old, 1, 1, day=2)
            insert_subscription(old, 2, 1, day=3)
            insert_subscription(old, 3, 1, day=4, disabled=True)
            insert_subscription(old, 4, 2, day=2)  # an unlinked phone
            insert_subscription(old, 5, None, day=2)  # no phone at all
            insert_subscription(old, 6, 3, day=5)
            insert_subscription(old, 7, 3, day=6)

        upgrade()
        kept = dict(
            db.session.execute(select(PushSubscription.device_id, PushSubscription.id)).all()
        )
        assert kept == {1: 2, 3: 7}

        db.session.add(
            PushSubscription(
                patient_id=1, device_id=1, endpoint="https://x.test/again", p256dh="k", auth="a"
            )
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()

        downgrade(revision="0011")
        upgrade()
        db.session.remove()
        db.engine.dispose()
