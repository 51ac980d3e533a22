"""The settings file that the systemd units read, read by `aftercare` commands too.

`aftercare --env-file /etc/aftercare/env ...` (or AFTERCARE_ENV_FILE=/etc/aftercare/env) loads it
before the app is built, so an operator's command works on the same database and keys as the
services. It is read as systemd reads an EnvironmentFile: KEY=value lines, # comments, quotes
around a value, and no `$` expansion, so a password with a `$` in it means the same to both.
Variables already set in the environment win, as they do for Flask's own --env-file.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from dotenv import dotenv_values

VARIABLE = "AFTERCARE_ENV_FILE"


def load_env_file(path: Path) -> list[str]:
    """Set each variable the file names that the environment does not set; the names set."""
    try:
        values = dotenv_values(path, interpolate=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise click.BadParameter(f"{path} cannot be read: {error}") from None
    loaded = []
    for name, value in values.items():
        if value is None or name in os.environ:
            continue
        os.environ[name] = value
        loaded.append(name)
    return loaded


def _load(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value:
        load_env_file(Path(value))
    return value


env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False, readable=True),
    envvar=VARIABLE,
    is_eager=True,
    expose_value=False,
    callback=_load,
    help=f"Read settings from this file, as the systemd units do (or set {VARIABLE}). "
    "Variables set in the environment win.",
)


def use_env_file_option(group: click.Group) -> None:
    """Put this option in place of Flask's own -e/--env-file, which expands `$` in values."""
    group.params = [
        env_file_option if "--env-file" in getattr(param, "opts", ()) else param
        for param in group.params
    ]
