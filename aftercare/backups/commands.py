"""`aftercare backup` and `aftercare restore`: what they did, in words an operator can act on."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .archive import Manifest
from .inventory import summary
from .service import BackupError, backup, restore

CONTENTS = (
    "everything in the database: clinics and their settings, clinicians (password hashes, "
    "encrypted two-factor secrets), patients, linked phones, infusions, check-ins, "
    "questionnaires, alerts, appointments, reminders and their deliveries, push subscriptions "
    "and the audit trail"
)
KEYS = (
    "the keys, that is the secret key, the two-factor key and the Web Push key (secret_key, "
    "two_factor_key and vapid_private.pem in the data folder, or the ones set in the environment)"
)

WIDTH = 96

PG_BIN = click.option(
    "--pg-bin",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="PostgreSQL only: the folder of pg_dump and pg_restore, if not the one that fits "
    "the server (found in /usr/lib/postgresql/<version>/bin or on PATH).",
)


def _size(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _moment(manifest: Manifest) -> str:
    return datetime.fromisoformat(manifest.created_at).strftime("%Y-%m-%d %H:%M:%S UTC")


def _database(manifest: Manifest) -> str:
    if manifest.database == "postgresql":
        version = manifest.tools.get("postgresql", "").split(" ", 1)[0]  # "15.4 (Debian ...)"
        return f"PostgreSQL {version}".strip()
    return "SQLite"


def _say(text: str, indent: int = 0) -> None:
    """One paragraph, wrapped for a terminal or a cron mail."""
    click.echo(
        textwrap.fill(
            text,
            width=WIDTH,
            initial_indent=" " * indent,
            subsequent_indent=" " * (indent + 2),
            break_long_words=False,
            break_on_hyphens=False,
        )
    )


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--keys",
    "keys_path",
    type=click.Path(path_type=Path),
    help="Also write the keys to this file (readable only by you). Keep it apart from the "
    "backups: a restore needs it, and with a backup it unlocks two-factor secrets.",
)
@PG_BIN
@with_appcontext
def backup_command(path: Path, keys_path: Path | None, pg_bin: Path | None) -> None:
    """Back up the database while the app serves, to PATH (a file, or a folder for a dated one)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        result = backup(app, path, keys_path, pg_bin)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    manifest = result.manifest
    # Paths on lines of their own, whole, for scripts and for copying.
    click.echo(f"Backup written to {result.path} ({_size(result.size)}, readable only by you).")
    _say(
        f"The database as it was at {_moment(manifest)} ({_database(manifest)}, schema "
        f"{manifest.schema}): {summary(manifest.rows)}.",
        2,
    )
    _say(f"In it: {CONTENTS}.", 2)
    _say(f"Not in it: {KEYS}.", 2)
    if result.keys_path is not None:
        click.echo(f"Keys written to {result.keys_path} (readable only by you).")
        _say(
            "Keep that file apart from the backups (a password manager, a safe): with a "
            "backup, it unlocks clinicians' two-factor secrets and can send notifications to "
            "patients' phones.",
            2,
        )
    else:
        _say(
            "A restore needs the keys: without them, clinicians who use two-factor sign-in "
            "cannot sign in, and reminders stop reaching phones. Keep one copy apart from the "
            "backups, written once with: aftercare backup PATH --keys KEYFILE",
            2,
        )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--keys",
    "keys_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The key file `aftercare backup --keys` wrote; its keys go into the data folder.",
)
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@click.option(
    "--without-keys",
    is_flag=True,
    help="Restore even though the keys in place are not the backup's (only if they are lost).",
)
@PG_BIN
@with_appcontext
def restore_command(
    path: Path, keys_path: Path | None, force: bool, without_keys: bool, pg_bin: Path | None
) -> None:
    """Restore a backup into an empty database (stop the app first), then migrate it."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    app.config["MAKE_MISSING"] = True  # a new SQLite database is what a restore is for
    try:
        result = restore(app, path, keys_path, force, without_keys, pg_bin)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    manifest = result.manifest
    target = app.extensions["sqlalchemy"].engine.url.render_as_string(hide_password=True)
    click.echo(f"Restored {path} into {target}.")
    _say(f"The database as it was at {_moment(manifest)}: {summary(manifest.rows)}.", 2)
    if result.replaced:
        _say(f"It replaced what was there: {summary(result.replaced)}.", 2)
    if result.schema_now == manifest.schema:
        _say(f"Schema {manifest.schema}, the newest.", 2)
    else:
        _say(f"Schema {manifest.schema}, migrated to {result.schema_now}.", 2)
    for note in result.key_notes:
        _say(f"Keys: {note}.", 2)
    if not result.keys_differ:
        _say("The app will start with the keys the backup was made with.", 2)
    if "two-factor key" in result.keys_differ:
        _say(
            f"Warning: the two-factor key is not the backup's. The {result.two_factor_clinicians} "
            "clinician(s) with two-factor sign-in cannot sign in until an admin resets theirs. "
            "Admins all use it: make a new admin first (aftercare create-clinician --admin), "
            "who sets it up at their first sign-in."
        )
    if "secret key" in result.keys_differ and manifest.keys.get("two_factor_key"):
        _say("Warning: the secret key is not the backup's. Every clinician signs in again.")
    elif "secret key" in result.keys_differ:
        _say(
            f"Warning: the secret key is not the backup's. The {result.two_factor_clinicians} "
            "clinician(s) with two-factor sign-in cannot sign in until an admin resets theirs. "
            "Admins all use it: make a new admin first (aftercare create-clinician --admin), "
            "who sets it up at their first sign-in."
        )
    if "Web Push key" in result.keys_differ:
        _say(
            f"Warning: the Web Push key is not the backup's. The {result.push_subscriptions} "
            "phone(s) that had reminders on get none until reminders are turned on again on each."
        )
    _say(
        "Start the app, sign in, and check that the clinics and patients you expect are there. "
        "A copy for a drill: start it with --no-scheduler, or it sends due reminders to "
        "patients' real phones."
    )
