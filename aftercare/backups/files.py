"""Files only their owner can read, in place under their final name only once written whole."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

PRIVATE = 0o600


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` survive a power cut."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def private_file(path: Path) -> Iterator[BinaryIO]:
    """Write a new file readable only by its owner (0600), replacing `path` only when whole.

    Created 0600 from the start, never widened and narrowed afterwards, so there is no moment
    at which another user could open it; a failure part-way leaves `path` as it was.
    """
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    try:
        os.fchmod(descriptor, PRIVATE)  # whatever the umask
        with os.fdopen(descriptor, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` as a private file (see private_file)."""
    with private_file(path) as file:
        file.write(data)


@contextmanager
def private_folder(near: Path) -> Iterator[Path]:
    """A scratch folder (0700) beside `near`, removed afterwards.

    Beside the backup or the data folder rather than in /tmp: a database copy may be larger
    than a memory-backed /tmp, and it holds patients' data.
    """
    near.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(dir=near, prefix=".aftercare-") as folder:
        yield Path(folder)
