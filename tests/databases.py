"""The databases the suite runs on: SQLite files, or databases on a PostgreSQL server.

`scripts/test` runs the whole suite twice: once on SQLite, once with
AFTERCARE_TEST_DATABASE_URL naming a PostgreSQL server it started. Either way every test gets
a database of its own, already brought to the newest schema by the real migrations: a copy of
one migrated SQLite file, or a PostgreSQL database made from a migrated template.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

SERVER_VARIABLE = "AFTERCARE_TEST_DATABASE_URL"


class SQLiteDatabases:
    name = "sqlite"

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._template: Path | None = None

    def set_template(self, migrate: Callable[[str], None]) -> None:
        path = self._folder / "template.sqlite3"
        migrate(f"sqlite:///{path}")
        self._template = path

    def empty(self, folder: Path) -> str:
        return f"sqlite:///{folder / 'empty.sqlite3'}"

    def migrated(self, folder: Path) -> str:
        assert self._template is not None
        path = folder / "aftercare.sqlite3"
        shutil.copy(self._template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        """Files go with the test's temporary folder."""

    def close(self) -> None:
        pass


class PostgresDatabases:
    """Databases on one server, named for this pytest process so that runs never collide."""

    name = "postgresql"

    def __init__(self, server_url: str) -> None:
        self._server: URL = make_url(server_url).set(drivername="postgresql+psycopg")
        self._prefix = f"aftercare_test_{os.getpid()}"
        self._numbers = itertools.count(1)
        self._admin = psycopg.connect(self._conninfo("postgres"), autocommit=True)
        self._template: str | None = None

    def _conninfo(self, database: str) -> str:
        url = self._server.set(drivername="postgresql", database=database)
        return url.render_as_string(hide_password=False)

    def _url(self, database: str) -> str:
        return self._server.set(database=database).render_as_string(hide_password=False)

    def _create(self, template: str | None = None) -> str:
        name = f"{self._prefix}_{next(self._numbers)}"
        # FILE_COPY copies the template's few files; it is much faster than the default for
        # small databases like these.
        source = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
        self._admin.execute(f'CREATE DATABASE "{name}"{source}')
        return name

    def set_template(self, migrate: Callable[[str], None]) -> None:
        name = self._create()
        migrate(self._url(name))
        self._template = name

    def empty(self, folder: Path) -> str:
        return self._url(self._create())

    def migrated(self, folder: Path) -> str:
        assert self._template is not None
        return self._url(self._create(self._template))

    def drop(self, url: str) -> None:
        name = make_url(url).database
        self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        if self._template:
            self._admin.execute(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
        self._admin.close()


def databases_for_this_run(folder: Path) -> SQLiteDatabases | PostgresDatabases:
    server = os.environ.get(SERVER_VARIABLE)
    return PostgresDatabases(server) if server else SQLiteDatabases(folder)
