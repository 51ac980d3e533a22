"""PostgreSQL: `pg_dump` in custom format from one exported snapshot, and `pg_restore`.

The row counts in the manifest are read in the same snapshot that pg_dump dumps, so they are
exactly what the backup holds. The password never goes on a command line (where `ps` shows
it): the tools get it from a private password file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import make_conninfo
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from .files import write_private
from .inventory import count_rows, schema_revision

DEBIAN_ROOT = Path("/usr/lib/postgresql")
TOOL_TIMEOUT_S = 6 * 3600  # a large clinic network's dump still ends; a hung one does not hang cron


class PostgresError(RuntimeError):
    """The PostgreSQL database cannot be backed up or restored; the message says why."""


@dataclass(frozen=True)
class Tool:
    path: Path
    major: int
    version: str


def _version_of(program: Path) -> Tool | None:
    try:
        result = subprocess.run(  # noqa: S603 (a PostgreSQL tool found by path, no shell)
            [str(program), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)(\.\d+)*", result.stdout)
    if result.returncode != 0 or not match:
        return None
    return Tool(program, int(match.group(1)), match.group(0).split()[-1])


def _candidates(name: str, roots: Iterable[Path], search_path: str | None) -> Iterator[Path]:
    for root in roots:
        if root.is_dir():
            yield from sorted(root.glob(f"*/bin/{name}"))
    on_path = shutil.which(name, path=search_path)
    if on_path:
        yield Path(on_path)


def find_tool(
    name: str,
    server_major: int,
    bin_dir: Path | None = None,
    roots: Iterable[Path] = (DEBIAN_ROOT,),
    search_path: str | None = None,
) -> Tool:
    """The `pg_dump` or `pg_restore` for a server of this major version.

    The same major version if installed (Debian keeps each in /usr/lib/postgresql/<N>/bin),
    else the oldest newer one: an older pg_dump refuses a newer server.
    """
    if bin_dir is not None:
        found = [tool for tool in [_version_of(bin_dir / name)] if tool]
    else:
        found = [tool for p in _candidates(name, roots, search_path) if (tool := _version_of(p))]
    fitting = sorted((t for t in found if t.major >= server_major), key=lambda t: t.major)
    if fitting:
        return fitting[0]
    seen = ", ".join(f"{t.major} ({t.path})" for t in found) or "none"
    where = str(bin_dir) if bin_dir else f"{DEBIAN_ROOT}/*/bin and PATH"
    raise PostgresError(
        f"This PostgreSQL server is version {server_major}: {name} must be version "
        f"{server_major} or newer, and there is none in {where} (found: {seen}). Install "
        f"PostgreSQL {server_major}'s client tools (Debian or Ubuntu: apt-get install "
        f"postgresql-client-{server_major}), or name their folder with --pg-bin."
    )


def server_major(engine: Engine) -> int:
    with engine.connect() as connection:
        version = connection.execute(text("SHOW server_version_num")).scalar_one()
    return int(version) // 10000


def _conninfo(url: URL) -> str:
    """libpq connection settings, without the password."""
    settings: dict[str, object] = url.translate_connect_args(username="user", database="dbname")
    settings.pop("password", None)
    for key, value in url.query.items():
        settings[key] = ",".join(value) if isinstance(value, tuple) else value
    return make_conninfo(**settings)  # type: ignore[arg-type]


def _tool_environment(url: URL, folder: Path) -> dict[str, str]:
    """The environment for pg_dump and pg_restore: a private password file, if any."""
    environment = dict(os.environ)
    if url.password:
        passfile = folder / "pgpass"
        escaped = str(url.password).replace("\\", "\\\\").replace(":", "\\:")
        write_private(passfile, f"*:*:*:*:{escaped}\n".encode())
        environment["PGPASSFILE"] = str(passfile)
    return environment


def _run(command: list[str], environment: Mapping[str, str], url: URL) -> None:
    try:
        result = subprocess.run(  # noqa: S603 (PostgreSQL's own tools, arguments as a list)
            command,
            env=dict(environment),
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PostgresError(f"{Path(command[0]).name} did not finish in time") from None
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip()
        if url.password:  # the tools do not print it; make sure of that
            message = message.replace(str(url.password), "***")
        raise PostgresError(f"{Path(command[0]).name} failed: {message}")


def snapshot(
    engine: Engine, folder: Path, bin_dir: Path | None
) -> tuple[Path, str | None, dict[str, int], dict[str, str]]:
    """Dump the database as it is at one moment, while the app goes on writing.

    Returns the dump, its schema revision, its row counts and the versions of the tools.
    """
    major = server_major(engine)
    pg_dump = find_tool("pg_dump", major, bin_dir)
    dump = folder / "database.pgdump"
    environment = _tool_environment(engine.url, folder)
    with (
        engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection,
        connection.begin(),
    ):
        server = connection.execute(text("SHOW server_version")).scalar_one()
        # pg_dump takes this transaction's snapshot, so the counts below are of its dump.
        exported = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        revision = schema_revision(connection)
        rows = count_rows(connection)
        _run(
            [
                str(pg_dump.path),
                "--format=custom",
                f"--snapshot={exported}",
                f"--file={dump}",
                f"--dbname={_conninfo(engine.url)}",
            ],
            environment,
            engine.url,
        )
    return dump, revision, rows, {"postgresql": server, "pg_dump": pg_dump.version}


def other_sessions(connection: Connection) -> int:
    """Other connections to this database: a running app would write into a restore."""
    return connection.execute(
        text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    ).scalar_one()


def drop_tables(connection: Connection, names: Iterable[str]) -> None:
    """Drop the app's tables (their sequences go with them) before a restore."""
    preparer = connection.dialect.identifier_preparer
    for name in names:
        connection.execute(text(f"DROP TABLE IF EXISTS {preparer.quote(name)} CASCADE"))


def check_dump(engine: Engine, dump: Path, bin_dir: Path | None) -> Tool:
    """The pg_restore to use, once it has read the dump's table of contents."""
    pg_restore = find_tool("pg_restore", server_major(engine), bin_dir)
    environment = _tool_environment(engine.url, dump.parent)
    _run([str(pg_restore.path), "--list", str(dump)], environment, engine.url)
    return pg_restore


def load(engine: Engine, dump: Path, pg_restore: Tool) -> None:
    """Restore the dump into the (empty) database in one transaction.

    Without owners and privileges: the database may belong to another role than the one the
    backup was made from.
    """
    _run(
        [
            str(pg_restore.path),
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={_conninfo(engine.url)}",
            str(dump),
        ],
        _tool_environment(engine.url, dump.parent),
        engine.url,
    )
