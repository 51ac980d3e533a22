"""Checks the benchmarks share: each reminder delivered exactly once, seen from both ends."""

from __future__ import annotations

from typing import Any


def reminders_delivered_once(stats: dict[str, Any], reminders: int) -> list[str]:
    """What is wrong, if anything: on the push receiver (its /_stats) and in the database."""
    from sqlalchemy import func, select

    from aftercare.extensions import db
    from aftercare.models import Delivery, Reminder

    problems = []
    if stats["received"] != reminders or stats["attempts"] != reminders or stats["failures"]:
        problems.append(f"the receiver saw {stats}; expected {reminders} received, none refused")
    db.session.rollback()  # read what the senders wrote, not an older snapshot
    states = dict(
        db.session.execute(select(Reminder.state, func.count()).group_by(Reminder.state)).all()
    )
    if states != {"delivered": reminders}:
        problems.append(f"reminder states {states}; expected all {reminders} delivered")
    deliveries = db.session.execute(
        select(
            func.count(Delivery.id),
            func.count(func.distinct(Delivery.reminder_id)),
            func.count().filter(Delivery.outcome == "delivered"),
        )
    ).one()
    if tuple(deliveries) != (reminders, reminders, reminders):
        problems.append(f"deliveries (rows, reminders, delivered) = {tuple(deliveries)}")
    claims = db.session.scalar(select(func.max(Reminder.claims)))
    if claims != 1:
        problems.append(f"a reminder was claimed {claims} times")
    return problems
