"""SQLite: a snapshot with the online backup API, and a restore with the same API."""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from .inventory import count_rows, schema_revision

BUSY_TIMEOUT_MS = 15000


class SQLiteError(RuntimeError):
    """The SQLite database cannot be backed up or restored; the message says why."""


def database_path(engine: Engine) -> Path:
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise SQLiteError(f"DATABASE_URL must name a SQLite file, not {engine.url!s}")
    return Path(name).resolve()


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return connection


def _check(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        result = connection.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise SQLiteError(f"the copy fails SQLite's integrity check: {result}")


def inventory(path: Path) -> tuple[str | None, dict[str, int]]:
    """The schema revision and row counts of a database file."""
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return schema_revision(connection), count_rows(connection)
    finally:
        engine.dispose()


def snapshot(source: Path, folder: Path) -> tuple[Path, str | None, dict[str, int]]:
    """Copy the live database into `folder` as one consistent snapshot, gzipped.

    One backup step of all pages (pages=-1) reads the whole file inside one read transaction:
    in WAL mode the app's writers go on meanwhile, and the copy is the database as it was when
    the step began. Returns the gzipped copy, its schema revision and its row counts.
    """
    if not source.exists():
        raise SQLiteError(f"there is no database at {source}")
    copy = folder / "database.sqlite3"
    with closing(_connect(source)) as live, closing(sqlite3.connect(copy)) as target:
        live.backup(target, pages=-1)
        # A file that stands alone: no write-ahead log beside it.
        target.execute("PRAGMA journal_mode=DELETE")
    _check(copy)
    revision, rows = inventory(copy)
    with closing(sqlite3.connect(copy)) as connection:  # the counting opened it in WAL mode
        connection.execute("PRAGMA journal_mode=DELETE")
    packed = folder / "database.sqlite3.gz"
    with copy.open("rb") as plain, gzip.open(packed, "wb", compresslevel=6) as output:
        shutil.copyfileobj(plain, output, 1 << 20)
    copy.unlink()
    return packed, revision, rows


def unpack(packed: Path, folder: Path) -> Path:
    """The database file inside a snapshot, checked by SQLite."""
    plain = folder / "restored.sqlite3"
    try:
        with gzip.open(packed, "rb") as data, plain.open("wb") as output:
            shutil.copyfileobj(data, output, 1 << 20)
    except (OSError, EOFError) as error:
        raise SQLiteError(f"the database in the backup cannot be unpacked ({error})") from None
    try:
        _check(plain)
    except sqlite3.DatabaseError as error:
        raise SQLiteError(f"the database in the backup is not readable ({error})") from None
    return plain


def load(plain: Path, target: Path) -> None:
    """Replace the target database's contents with the backup's, in one transaction.

    The backup API writes through SQLite's own pager, so a write-ahead log beside the target
    is dealt with correctly, and a failure part-way leaves the target as it was.
    """
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not target.exists():
        # Patients' data: readable only by the app's user from the first byte.
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with closing(sqlite3.connect(plain)) as source, closing(_connect(target)) as destination:
        source.backup(destination, pages=-1)
