"""Nothing made where nothing exists, unless asked: no new SQLite database from a typo.

An `aftercare` command run without the server's settings used to open (and so create) a new
SQLite file in ./instance, and report success on it. Opening a SQLite database that does not
exist is refused here, unless the app may make what is missing (config MAKE_MISSING: a local
trial, `aftercare --init`, AFTERCARE_INIT=1; see aftercare.cli). PostgreSQL databases are never
made by Aftercare: `createdb` makes them, and a wrong name fails on its own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import Engine, event

from .config import ConfigError


class MissingDatabase(ConfigError):
    """The SQLite database named by the settings does not exist, and may not be made."""


def missing_database_message(path: Path) -> str:
    where = ""
    if not (os.environ.get("DATABASE_URL") or os.environ.get("AFTERCARE_DATA_DIR")):
        where = " (neither DATABASE_URL nor AFTERCARE_DATA_DIR is set, so it looked in ./instance)"
    return (
        f"There is no database at {path}{where}. If these are the server's settings, give them "
        f"with `aftercare --env-file /etc/aftercare/env ...` (or AFTERCARE_ENV_FILE). To make a "
        f"new database here, run `aftercare --init db upgrade`."
    )


def refuse_new_sqlite_files() -> None:
    """Listen to every engine's connections (once per process)."""
    if not event.contains(Engine, "do_connect", _refuse_a_new_sqlite_file):
        event.listen(Engine, "do_connect", _refuse_a_new_sqlite_file)


def _refuse_a_new_sqlite_file(
    dialect: Any, connection_record: Any, cargs: list[Any], cparams: dict[str, Any]
) -> None:
    if dialect.name != "sqlite" or not has_app_context():
        return
    name = str(cargs[0]) if cargs else str(cparams.get("database") or "")
    if not name or name == ":memory:" or name.startswith("file:") or Path(name).exists():
        return
    if not current_app.config.get("MAKE_MISSING", True):
        raise MissingDatabase(missing_database_message(Path(name)))
    # Asked to make it: make its folder too (private: it will hold the keys as well).
    Path(name).parent.mkdir(parents=True, exist_ok=True, mode=0o700)


def allow_local_trial(app: Flask) -> None:
    """`aftercare run` and `aftercare demo` set up a local trial by themselves: without
    production settings they may make a new database and keys (and say so)."""
    if not app.config["PRODUCTION"]:
        app.config["MAKE_MISSING"] = True
