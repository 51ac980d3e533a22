"""Backups that restore: `aftercare backup` and `aftercare restore`.

A backup is one tar file: `manifest.json` (what it holds, row counts, schema, key fingerprints)
and the database, taken as one consistent snapshot while the app serves (SQLite's online backup
API, or `pg_dump` in custom format). The keys are never in it; `--keys` writes them to a
separate file. See the README's "Backups" section.
"""

from .service import BackupError, BackupResult, RestoreResult, backup, restore

__all__ = ["BackupError", "BackupResult", "RestoreResult", "backup", "restore"]
