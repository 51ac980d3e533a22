"""Reminder rows have one writer: planning adds and cancels them, the sender settles them."""

from __future__ import annotations

import ast
from pathlib import Path

import aftercare

PACKAGE = Path(aftercare.__file__).parent
# Planning makes and cancels reminders; the sender claims, expires and settles what it sends.
WRITERS = {"reminders/rows.py", "reminders/sender.py"}
STATEMENTS = {"insert", "update", "delete"}


def writes_to_reminders(tree: ast.AST) -> list[int]:
    """Lines that make a Reminder, or insert, update or delete reminder rows."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        first = node.args[0] if node.args else None
        on_reminders = isinstance(first, ast.Name) and first.id == "Reminder"
        if name == "Reminder" or (name in STATEMENTS and on_reminders):
            lines.append(node.lineno)
    return lines


def test_only_planning_and_the_sender_write_reminder_rows():
    found = {}
    for path in PACKAGE.rglob("*.py"):
        lines = writes_to_reminders(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            found[path.relative_to(PACKAGE).as_posix()] = lines
    assert set(found) == WRITERS, found


def test_the_check_finds_a_writer():
    source = "db.session.add(Reminder(kind='x'))\ndb.session.execute(update(Reminder))\n"
    assert writes_to_reminders(ast.parse(source)) == [1, 2]
