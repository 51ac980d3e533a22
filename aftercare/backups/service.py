"""Back up the app's database while it serves, and restore it into an empty one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from ..config import ConfigError
from ..extensions import db
from ..models import Clinician, PushSubscription, utcnow
from . import postgres, sqlite
from .archive import (
    ArchiveError,
    Manifest,
    extract_database,
    file_sha256,
    read_manifest,
    write_archive,
)
from .files import private_folder
from .inventory import count_rows, schema_revision, summary, tables_with_rows
from .keys import (
    KeyFileError,
    Keys,
    differences,
    fingerprints,
    install_keys,
    keys_after_restore,
    keys_in_use,
    read_key_file,
    write_key_file,
)


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message tells the operator what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    manifest: Manifest
    keys_path: Path | None


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    replaced: dict[str, int]  # what the target held before (only with force)
    schema_now: str
    key_notes: list[str]
    keys_differ: list[str]  # keys not the backup's, only with without_keys
    two_factor_clinicians: int
    push_subscriptions: int


def _aftercare_version() -> str:
    try:
        return package_version("aftercare")
    except PackageNotFoundError:
        return "unknown"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _destination(path: Path, stem: str, suffix: str, moment: datetime) -> Path:
    """`path` itself, or a dated file in it when it is a folder (cron needs no date command)."""
    path = path.expanduser()
    if path.is_dir():
        return path / f"{stem}-{_stamp(moment)}{suffix}"
    if not path.parent.is_dir():
        raise BackupError(f"the folder {path.parent} does not exist")
    return path


def _display() -> str:
    """The database's URL without its password."""
    return db.engine.url.render_as_string(hide_password=True)


def _scrubbed(error: Exception) -> str:
    """A database error's message, with the password blanked should a driver ever show it."""
    message = str(getattr(error, "orig", None) or error).strip()
    password = db.engine.url.password
    return message.replace(str(password), "***") if password else message


def backup(
    app: Flask,
    destination: Path,
    keys_destination: Path | None = None,
    pg_bin: Path | None = None,
) -> BackupResult:
    """Write a consistent backup of the database (and, if asked, the key file)."""
    engine = db.engine
    kind = engine.dialect.name
    if kind not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {kind} database")
    moment = utcnow()
    path = _destination(destination, "aftercare", ".tar", moment)
    keys_path = (
        _destination(keys_destination, "aftercare-keys", ".json", moment)
        if keys_destination
        else None
    )
    if keys_path is not None and keys_path.resolve() == path.resolve():
        raise BackupError("the key file and the backup must be two different files")
    try:
        keys = keys_in_use(app)
    except ConfigError as error:
        raise BackupError(str(error)) from None
    tools: dict[str, str] = {}
    try:
        with private_folder(path.parent) as folder:
            if kind == "sqlite":
                dump, revision, rows = sqlite.snapshot(sqlite.database_path(engine), folder)
            else:
                dump, revision, rows, tools = postgres.snapshot(engine, folder, pg_bin)
            if revision is None:
                raise BackupError(
                    f"{_display()} is not an Aftercare database (it has no schema version)"
                )
            manifest = Manifest(
                database=kind,
                schema=revision,
                created_at=moment.isoformat(),
                rows=rows,
                keys=fingerprints(keys),
                sha256=file_sha256(dump),
                aftercare_version=_aftercare_version(),
                tools=tools,
            )
            size = write_archive(path, manifest, dump)
    except (sqlite.SQLiteError, postgres.PostgresError) as error:
        raise BackupError(str(error)) from None
    except SQLAlchemyError as error:
        raise BackupError(f"the database cannot be read: {_scrubbed(error)}") from None
    if keys_path is not None:
        write_key_file(keys_path, keys)
    return BackupResult(path, size, manifest, keys_path)


def _scripts(app: Flask) -> tuple[object, ScriptDirectory]:
    """Alembic's configuration and the app's migrations."""
    config = app.extensions["migrate"].migrate.get_config()
    return config, ScriptDirectory.from_config(config)


def _check_backup(
    app: Flask, source: Path, keys_path: Path | None, without_keys: bool
) -> tuple[Manifest, Keys | None]:
    """Read and check everything the restore needs, before anything in the target changes."""
    try:
        manifest = read_manifest(source)
    except ArchiveError as error:
        raise BackupError(f"{source} cannot be restored: {error}") from None
    kind = db.engine.dialect.name
    if manifest.database != kind:
        raise BackupError(
            f"{source} is a {manifest.database} backup, and DATABASE_URL names a {kind} "
            f"database: restore it into a {manifest.database} database"
        )
    _, scripts = _scripts(app)
    if manifest.schema not in {script.revision for script in scripts.walk_revisions()}:
        raise BackupError(
            f"{source} was made by a newer version of Aftercare (schema {manifest.schema}, "
            f"Aftercare {manifest.aftercare_version}): restore it with that version or a newer one"
        )
    keys = None
    if keys_path is not None:
        try:
            keys = read_key_file(keys_path.expanduser())
        except KeyFileError as error:
            raise BackupError(str(error)) from None
        wrong = differences(manifest.keys, keys)
        if wrong:
            raise BackupError(
                f"the {' and the '.join(wrong)} in {keys_path} are not the ones {source} was "
                f"made with: give the key file of the server the backup came from"
            )
    try:
        wrong = differences(manifest.keys, keys_after_restore(app, keys))
    except ConfigError as error:
        raise BackupError(str(error)) from None
    if wrong and not without_keys:
        raise BackupError(_keys_missing(source, wrong, bool(manifest.keys.get("two_factor_key"))))
    return manifest, keys


def _keys_missing(source: Path, wrong: list[str], two_factor_key_then: bool) -> str:
    locked_out = (
        "clinicians who use two-factor sign-in could not sign in at all, recovery codes included"
    )
    harm = {
        # Before the two-factor key existed, the secret key also unlocked two-factor secrets.
        "secret key": "every clinician would have to sign in again"
        if two_factor_key_then
        else locked_out,
        "two-factor key": locked_out,
        "Web Push key": "reminders would stop reaching the phones that had turned them on, "
        "until reminders are turned on again on each phone",
    }
    told = "; ".join(f"the {label}: {harm[label]}" for label in wrong)
    return (
        f"The keys in place are not the ones {source} was made with ({told}). Give the key "
        f"file that `aftercare backup --keys` wrote: --keys FILE. Only if the keys are lost, "
        f"add --without-keys to restore with the keys in place."
    )


def _refuse_if_in_use(force: bool) -> dict[str, int]:
    """Stop unless the target is empty (or force); return what it holds."""
    engine = db.engine
    if engine.dialect.name == "sqlite" and not sqlite.database_path(engine).exists():
        return {}
    with engine.connect() as connection:
        filled = tables_with_rows(connection)
        held = count_rows(connection) if filled else {}
        if filled and not force:
            raise BackupError(
                f"{_display()} already holds data ({summary(held)}). A restore replaces all "
                f"of it. If that is what you want: stop the app, back up what is there "
                f"(aftercare backup PATH), then restore again with --force."
            )
        others = postgres.other_sessions(connection) if engine.dialect.name == "postgresql" else 0
    if others:
        raise BackupError(
            f"{others} other connection(s) to {_display()} are open. Stop the app and its "
            f"schedulers, then restore."
        )
    return held


def _load(app: Flask, source: Path, manifest: Manifest, pg_bin: Path | None) -> None:
    """Replace the target database's contents with the backup's."""
    engine = db.engine
    with private_folder(app.config["DATA_DIR"]) as folder:
        member = folder / manifest.member
        try:
            extract_database(source, manifest, member)
        except ArchiveError as error:
            raise BackupError(f"{source} cannot be restored: {error}") from None
        if engine.dialect.name == "sqlite":
            plain = sqlite.unpack(member, folder)
            if sqlite.inventory(plain) != (manifest.schema, manifest.rows):
                raise BackupError(f"{source} cannot be restored: it does not match its manifest")
            db.session.remove()
            engine.dispose()
            sqlite.load(plain, sqlite.database_path(engine))
        else:
            # Everything that can be checked is checked before the old tables go.
            pg_restore = postgres.check_dump(engine, member, pg_bin)
            with engine.begin() as connection:
                names = set(inspect(connection).get_table_names())
                postgres.drop_tables(connection, sorted(names))
            db.session.remove()
            engine.dispose()
            try:
                postgres.load(engine, member, pg_restore)
            except postgres.PostgresError as error:
                raise BackupError(
                    f"{error}. The database is left without tables (pg_restore loads all or "
                    f"nothing): once the cause is fixed, restore again."
                ) from None


def _verify(source: Path, manifest: Manifest) -> None:
    """The restored database holds, table by table, the rows the manifest counted."""
    with db.engine.connect() as connection:
        revision, rows = schema_revision(connection), count_rows(connection)
    if (revision, rows) != (manifest.schema, manifest.rows):
        differ = sorted(
            name
            for name in set(rows) | set(manifest.rows)
            if rows.get(name) != manifest.rows.get(name)
        )
        raise BackupError(
            f"the restored database does not hold what {source} says it holds (schema "
            f"{revision} for {manifest.schema}; tables that differ: {', '.join(differ) or 'none'})"
        )


def _migrate(app: Flask) -> str:
    """Bring the restored database to the newest schema; return that revision."""
    config, scripts = _scripts(app)
    command.upgrade(config, "head")  # type: ignore[arg-type]
    return str(scripts.get_current_head())


def restore(
    app: Flask,
    source: Path,
    keys_path: Path | None = None,
    force: bool = False,
    without_keys: bool = False,
    pg_bin: Path | None = None,
) -> RestoreResult:
    """Restore a backup into the app's database (empty unless `force`), then migrate it."""
    source = source.expanduser()
    manifest, keys = _check_backup(app, source, keys_path, without_keys)
    try:
        held = _refuse_if_in_use(force)
        _load(app, source, manifest, pg_bin)
        _verify(source, manifest)
        schema_now = _migrate(app)
    except (sqlite.SQLiteError, postgres.PostgresError) as error:
        raise BackupError(str(error)) from None
    except SQLAlchemyError as error:
        raise BackupError(f"the database cannot be used: {_scrubbed(error)}") from None
    notes = install_keys(app, keys) if keys is not None else []
    result = RestoreResult(
        manifest=manifest,
        replaced=held,
        schema_now=schema_now,
        key_notes=notes,
        keys_differ=differences(manifest.keys, keys_after_restore(app, None)),
        two_factor_clinicians=db.session.scalar(
            select(func.count(Clinician.id)).where(Clinician.totp_enabled_at.is_not(None))
        )
        or 0,
        push_subscriptions=db.session.scalar(
            select(func.count(PushSubscription.id)).where(PushSubscription.disabled_at.is_(None))
        )
        or 0,
    )
    db.session.remove()
    return result
