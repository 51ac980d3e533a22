"""What a database holds: its schema revision and the rows of each table."""

from __future__ import annotations

from sqlalchemy import Connection, func, inspect, select, table, text

SCHEMA_TABLE = "alembic_version"

# The tables a person asks about first, in the order they are told.
HEADLINE = {
    "clinic": ("clinic", "clinics"),
    "clinician": ("clinician", "clinicians"),
    "patient": ("patient", "patients"),
    "check_in": ("check-in", "check-ins"),
    "alert": ("alert", "alerts"),
    "reminder": ("reminder", "reminders"),
    "audit_event": ("audit event", "audit events"),
}


def schema_revision(connection: Connection) -> str | None:
    """The migration the database is at, or None if it has never been migrated."""
    if SCHEMA_TABLE not in inspect(connection).get_table_names():
        return None
    return connection.execute(text(f"SELECT version_num FROM {SCHEMA_TABLE}")).scalar()  # noqa: S608


def count_rows(connection: Connection) -> dict[str, int]:
    """Rows in each of the app's tables (the schema's own bookkeeping left out)."""
    names = sorted(set(inspect(connection).get_table_names()) - {SCHEMA_TABLE})
    return {
        name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
        for name in names
    }


def tables_with_rows(connection: Connection) -> list[str]:
    """The app's tables that hold at least one row."""
    names = sorted(set(inspect(connection).get_table_names()) - {SCHEMA_TABLE})
    return [
        name
        for name in names
        if connection.execute(select(text("1")).select_from(table(name)).limit(1)).first()
    ]


def summary(rows: dict[str, int]) -> str:
    """The headline counts (2 clinics, 140 patients, ...) and how many rows the rest hold."""
    told = [_count(rows.get(name, 0), *labels) for name, labels in HEADLINE.items()]
    rest = sum(count for name, count in rows.items() if name not in HEADLINE)
    return ", ".join(told) + f"; {_count(rest, 'other row', 'other rows')}"


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"
