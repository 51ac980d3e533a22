"""The backup file: a tar holding `manifest.json` and the database, nothing else.

A plain tar, so that an operator can look inside with `tar -tvf` and take the database out with
standard tools (`tar -xOf backup.tar database.pgdump | pg_restore --list`). Members are read by
name into files of our own choosing, never extracted by the names they carry.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .files import private_file

FORMAT = "aftercare-backup"
VERSION = 1
MANIFEST = "manifest.json"
MEMBERS = {"sqlite": "database.sqlite3.gz", "postgresql": "database.pgdump"}
CHUNK = 1 << 20


class ArchiveError(ValueError):
    """The file is not an Aftercare backup, or not a whole one."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, written before the database so it can be read without it."""

    database: str  # "sqlite" or "postgresql"
    schema: str
    created_at: str  # ISO 8601, UTC: the moment of the snapshot
    rows: dict[str, int]
    # Fingerprints (not the keys) of the keys in use when it was made, to tell at restore
    # whether the keys then in place are the right ones.
    keys: dict[str, str | None]
    sha256: str  # of the database member
    aftercare_version: str
    tools: dict[str, str] = field(default_factory=dict)  # e.g. pg_dump's version
    format: str = FORMAT
    version: int = VERSION

    @property
    def member(self) -> str:
        return MEMBERS[self.database]

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data: dict[str, Any] = json.loads(raw)
        except ValueError:
            raise ArchiveError("its manifest is not JSON") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ArchiveError("it has no Aftercare backup manifest")
        if data.get("version") != VERSION:
            raise ArchiveError(
                f"it is in backup format {data.get('version')!r}; this version of Aftercare "
                f"reads format {VERSION}"
            )
        try:
            manifest = cls(**data)
        except TypeError as error:
            raise ArchiveError(f"its manifest is not complete ({error})") from None
        if manifest.database not in MEMBERS:
            raise ArchiveError(f"it holds an unknown kind of database: {manifest.database!r}")
        return manifest


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(time.time())
    return info


def write_archive(path: Path, manifest: Manifest, database: Path) -> int:
    """Write the backup to `path` (0600, whole or not at all); return its size in bytes."""
    with (
        private_file(path) as output,
        tarfile.open(fileobj=output, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        manifest_bytes = manifest.to_json()
        tar.addfile(_info(MANIFEST, len(manifest_bytes)), io.BytesIO(manifest_bytes))
        with database.open("rb") as data:
            tar.addfile(_info(manifest.member, database.stat().st_size), data)
    return path.stat().st_size


def _open(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r:")
    except FileNotFoundError:
        raise ArchiveError("there is no such file") from None
    except (tarfile.TarError, OSError) as error:
        raise ArchiveError(f"it is not a backup made by `aftercare backup` ({error})") from None


def _member(tar: tarfile.TarFile, name: str) -> BinaryIO:
    try:
        member = tar.getmember(name)
    except KeyError:
        raise ArchiveError(f"it has no {name}") from None
    data = tar.extractfile(member) if member.isfile() else None
    if data is None:
        raise ArchiveError(f"its {name} is not a file")
    return data  # type: ignore[return-value]


def read_manifest(path: Path) -> Manifest:
    """The backup's manifest; ArchiveError if `path` is not an Aftercare backup."""
    with _open(path) as tar:
        return Manifest.from_json(_member(tar, MANIFEST).read(1 << 20))


def extract_database(path: Path, manifest: Manifest, into: Path) -> None:
    """Copy the database member to `into`, checking it against the manifest's checksum."""
    digest = hashlib.sha256()
    try:
        with _open(path) as tar, into.open("wb") as output:
            data = _member(tar, manifest.member)
            while chunk := data.read(CHUNK):
                digest.update(chunk)
                output.write(chunk)
    except (tarfile.TarError, OSError) as error:  # a truncated file ends in the middle
        raise ArchiveError(f"its database cannot be read whole ({error})") from None
    if digest.hexdigest() != manifest.sha256:
        raise ArchiveError("its database does not match its checksum: the file is damaged")
