"""`aftercare keys check | create | rotate`: which keys, where, and changing one safely.

Never prints a key: only where it is, its fingerprint (as backups and key files record it), and
whether its file is private.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from cryptography.fernet import Fernet
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from .backups.files import write_private
from .backups.keys import KeyFileError, fingerprints, read_key_file
from .clinic import twofactor_keys
from .config import ConfigError
from .extensions import db
from .keys import (
    MAKERS,
    SECRET,
    TWO_FACTOR,
    KeyKind,
    KeyPlace,
    file_check,
    fingerprint,
    make_missing,
    places,
)


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined]


def _describe(place: KeyPlace) -> tuple[str, bool]:
    """One line about one key, and whether it is well."""
    kind = place.kind
    if place.value is None:
        if kind is TWO_FACTOR:
            return (
                f"{kind.label}: none yet (it would be {place.where}). Two-factor secrets are "
                f"encrypted with the secret key until one is made: `aftercare keys create`.",
                True,
            )
        return f"{kind.label}: MISSING ({place.where}). Make it: `aftercare keys create`.", False
    try:
        said = f"{kind.label}: {place.where}, fingerprint {fingerprint(kind, place.value)}"
    except ConfigError as error:
        return f"{kind.label}: {place.where} cannot be used: {error}", False
    well = True
    if place.path is not None and place.path.exists():
        check = file_check(place.path)
        said += f", file mode {check.mode:03o}, owner {check.owner}"
        if not check.private:
            said += f" - others can read it: chmod 600 {place.path}"
            well = False
    return said, well


def _key_file_lines(key_file: Path) -> tuple[list[str], bool]:
    try:
        written = fingerprints(read_key_file(key_file))
    except KeyFileError as error:
        return [f"Key file: {error}"], False
    lines, well = [f"Key file {key_file}:"], True
    for place in places(_app()):
        kind = place.kind
        theirs = written.get(kind.name)
        ours = fingerprint(kind, place.value) if place.value is not None else None
        if theirs is None and ours is None:
            continue
        if theirs == ours:
            lines.append(f"  {kind.label}: the same as the one in use")
        elif theirs is None:
            lines.append(f"  {kind.label}: not in it. Write the key file again.")
            well = False
        else:
            lines.append(f"  {kind.label}: NOT the one in use. Write the key file again.")
            well = False
    return lines, well


def _secrets_line() -> tuple[str, bool]:
    config = current_app.config
    try:
        counted = twofactor_keys.census(db.session, config["TWO_FACTOR_KEY"], config["SECRET_KEY"])
    except ConfigError as error:  # no database yet (a new install)
        return f"Two-factor secrets: not checked: {error}", True
    except SQLAlchemyError as error:
        db.session.rollback()
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return f"Two-factor secrets: not checked, the database cannot be read ({reason})", False
    said = (
        f"Two-factor secrets in the database: {counted.total}; {counted.two_factor_key} open "
        f"with the two-factor key, {counted.secret_key} with the secret key"
    )
    if counted.unreadable:
        return (
            f"{said}, and {counted.unreadable} with NEITHER: those clinicians cannot finish "
            f"signing in. Restore the keys from the key file, or have an admin reset their "
            f"two-factor sign-in.",
            False,
        )
    return f"{said}.", True


@click.group("keys")
def keys_group() -> None:
    """The keys: which are in use and where (check), making them (create), changing them."""


@keys_group.command("check")
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also compare with this key file (from `aftercare backup --keys`).",
)
@with_appcontext
def check_command(key_file: Path | None) -> None:
    """Say which keys are in use, where, and their fingerprints; exit 1 if one is wrong."""
    all_well = True
    click.echo(f"Data folder: {current_app.config['DATA_DIR']}")
    for place in places(_app()):
        line, well = _describe(place)
        click.echo(line)
        click.echo(f"  It {place.kind.protects}. Lost or changed: {place.kind.losing_it}.")
        all_well &= well
    if key_file is not None:
        lines, well = _key_file_lines(key_file)
        click.echo("\n".join(lines))
        all_well &= well
    line, well = _secrets_line()
    click.echo(line)
    all_well &= well
    sys.exit(0 if all_well else 1)


def _refuse_other_owner() -> None:
    """Keys made by root in the app's data folder could not be read by the app itself."""
    folder: Path = current_app.config["DATA_DIR"]
    if os.geteuid() == 0 and folder.exists() and folder.stat().st_uid != 0:
        raise click.UsageError(
            f"run this as the user that owns {folder} (the app's user), e.g. "
            f"sudo -u aftercare ...: keys made by root could not be read by the app"
        )


@keys_group.command("create")
@with_appcontext
def create_command() -> None:
    """Make each key that is missing (a new install, or a key new in this version).

    A key already in place is never replaced.
    """
    _refuse_other_owner()
    made = make_missing(_app())
    for place in places(_app()):
        state = "made" if any(m.kind is place.kind for m in made) else "already there"
        click.echo(f"{place.kind.label}: {state}, {place.where}")
    if made:
        click.echo(
            "Keep a copy apart from the backups, and write it again whenever a key is made or "
            "changed: aftercare backup PATH --keys KEYFILE (see README, Keys)."
        )


ROTATABLE = {"secret-key": SECRET, "two-factor-key": TWO_FACTOR}


@keys_group.command("rotate")
@click.argument("key", type=click.Choice(sorted(ROTATABLE)))
@with_appcontext
def rotate_command(key: str) -> None:
    """Replace the secret key or the two-factor key; two-factor secrets stay readable.

    Stop the web app and the scheduler first, and start them again afterwards. The Web Push key
    is not rotated here: a new one would cut off every phone's reminders.
    """
    _refuse_other_owner()
    app = _app()
    kind = ROTATABLE[key]
    place = _place(app, kind)
    if place.path is None:
        raise click.UsageError(
            f"the {kind.label} is set in {kind.variable} itself, which this command cannot "
            f"change. Keep it in a file instead ({kind.variable}_FILE, or the data folder)."
        )
    if kind is SECRET:
        _rotate_secret_key(app, place)
    else:
        _rotate_two_factor_key(app, place)
    click.echo(
        "Start the web app and the scheduler again (systemctl start aftercare-web "
        "aftercare-scheduler), then write the key file again: aftercare backup PATH --keys "
        "KEYFILE. The old key file holds the old key."
    )


def _move_secrets(readers: list[Fernet], writer: Fernet) -> int:
    try:
        moved = twofactor_keys.move_secrets(db.session, readers, writer)
        db.session.commit()
    except twofactor_keys.SecretsUnreadable as error:
        db.session.rollback()
        raise click.ClickException(
            f"{error}: nothing was changed. `aftercare keys check` says more; restore the keys "
            f"from the key file first, or have an admin reset those clinicians' two-factor "
            f"sign-in."
        ) from None
    return moved


def _rotate_secret_key(app: Flask, place: KeyPlace) -> None:
    """Move every two-factor secret to the two-factor key, then replace the secret key."""
    if app.config["TWO_FACTOR_KEY"] is None:
        make_missing(app)  # only the missing two-factor key: the others are there
        click.echo(f"Made the two-factor key: {_place(app, TWO_FACTOR).where}")
    config = app.config
    readers = [
        twofactor_keys.from_two_factor_key(config["TWO_FACTOR_KEY"]),
        twofactor_keys.from_secret_key(config["SECRET_KEY"]),
    ]
    moved = _move_secrets(readers, readers[0])
    click.echo(f"Two-factor secrets now encrypted with the two-factor key: {moved}.")
    assert place.path is not None
    write_private(place.path, MAKERS[SECRET.name]().encode())
    new = _place(app, SECRET)
    click.echo(f"New secret key: {new.where}, fingerprint {fingerprint(SECRET, new.value or '')}.")
    click.echo("Every clinician signs in again; patients' phones stay linked.")


def _rotate_two_factor_key(app: Flask, place: KeyPlace) -> None:
    """Encrypt every two-factor secret with a new key; the old one is replaced only after."""
    config = app.config
    readers = [twofactor_keys.from_secret_key(config["SECRET_KEY"])]
    if config["TWO_FACTOR_KEY"]:
        readers.insert(0, twofactor_keys.from_two_factor_key(config["TWO_FACTOR_KEY"]))
    new_key = MAKERS[TWO_FACTOR.name]()
    assert place.path is not None
    # Written beside the old one first: should anything stop between the database and the
    # file, the new key is on disk, under a name `aftercare keys check` does not read.
    pending = place.path.with_name(f"{place.path.name}.new")
    place.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private(pending, new_key.encode())
    moved = _move_secrets(readers, twofactor_keys.from_two_factor_key(new_key))
    pending.replace(place.path)
    app.config["TWO_FACTOR_KEY"] = new_key
    click.echo(f"Two-factor secrets encrypted with the new two-factor key: {moved}.")
    said = fingerprint(TWO_FACTOR, new_key)
    click.echo(f"New two-factor key: {place.where}, fingerprint {said}.")


def _place(app: Flask, kind: KeyKind) -> KeyPlace:
    return next(place for place in places(app) if place.kind is kind)
