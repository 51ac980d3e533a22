"""Where the web assets and migrations are, in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def resource_dir(name: str) -> Path:
    """Return the folder `name` (templates, static, service_worker, migrations)."""
    # A wheel carries the folders inside the package; a checkout (or editable install) keeps
    # them at the top of the repository, where people look for them.
    installed = _PACKAGE / "_resources" / name
    return installed if installed.is_dir() else _CHECKOUT / name
