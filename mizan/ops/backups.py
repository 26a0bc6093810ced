"""Backups of the database and the uploaded files, and their restore.

One backup is a directory named by its UTC time, holding:

- `database.dump` (PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore`)
  or `database.sqlite3` (SQLite: the online backup API, consistent while Mizan runs);
- `media.tar.gz`: the uploaded files (file-system storage; with S3-compatible storage,
  use the bucket's versioning and replication instead, docs/operations.md);
- `manifest.json`: what was saved, when, from which migration state, with the SHA-256
  of each file, so that a restore refuses a damaged or incomplete backup.

A restore replaces the database's content and the uploaded files, then checks the
audit log's hash chain: a backup that restores to a broken chain is reported at once.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


class BackupError(Exception):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_environment() -> tuple[list[str], dict]:
    """libpq connection options of the default database, password in the environment."""
    database = settings.DATABASES["default"]
    options = ["--dbname", database["NAME"]]
    if database.get("HOST"):
        options += ["--host", str(database["HOST"])]
    if database.get("PORT"):
        options += ["--port", str(database["PORT"])]
    if database.get("USER"):
        options += ["--username", str(database["USER"])]
    environment = {"PGPASSWORD": str(database.get("PASSWORD") or "")}
    return options, environment


def _run(command: list[str], environment: dict) -> None:
    import os

    result = subprocess.run(
        command, env={**os.environ, **environment}, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:500]}")


def backup_create(*, to: Path) -> Path:
    """Write one backup under `to`; returns its directory."""
    now = timezone.now()
    target = Path(to) / now.strftime("%Y%m%dT%H%M%SZ")
    target.mkdir(parents=True, exist_ok=False)
    vendor = connection.vendor
    if vendor == "postgresql":
        database_file = target / "database.dump"
        options, environment = _pg_environment()
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(database_file), *options],
            environment,
        )
    elif vendor == "sqlite":
        database_file = target / "database.sqlite3"
        connection.ensure_connection()
        destination = sqlite3.connect(database_file)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
    else:  # pragma: no cover - the settings allow only these two
        raise BackupError(f"no backup for the {vendor} database")
    media_file = target / "media.tar.gz"
    media_root = Path(settings.MEDIA_ROOT)
    with tarfile.open(media_file, "w:gz") as archive:
        if media_root.is_dir():
            archive.add(media_root, arcname=".")
    applied = MigrationRecorder(connection).applied_migrations()
    manifest = {
        "format_version": FORMAT_VERSION,
        "created_at": now.isoformat(timespec="seconds"),
        "database": vendor,
        "migrations": len(applied),
        "files": {
            path.name: {"sha256": _sha256(path), "size": path.stat().st_size}
            for path in (database_file, media_file)
        },
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return target


def backup_check(source: Path) -> dict:
    """The backup's manifest, once every file it lists is there and intact."""
    source = Path(source)
    manifest_path = source / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{source} is not a backup (no {MANIFEST})")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for name, expected in manifest["files"].items():
        path = source / name
        if not path.exists():
            raise BackupError(f"{name} is missing from the backup")
        if _sha256(path) != expected["sha256"]:
            raise BackupError(f"{name} is damaged (its SHA-256 differs from the manifest)")
    return manifest


def backup_restore(*, source: Path) -> dict:
    """Replace the database's content and the uploaded files with the backup's."""
    source = Path(source)
    manifest = backup_check(source)
    vendor = connection.vendor
    if manifest["database"] != vendor:
        raise BackupError(
            f"the backup is of a {manifest['database']} database, this one is {vendor}"
        )
    if vendor == "postgresql":
        connections.close_all()
        options, environment = _pg_environment()
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *options,
                str(source / "database.dump"),
            ],
            environment,
        )
    else:
        connection.ensure_connection()
        backup = sqlite3.connect(source / "database.sqlite3")
        try:
            backup.backup(connection.connection)
        finally:
            backup.close()
        connections.close_all()
    media_root = Path(settings.MEDIA_ROOT)
    staging = media_root.with_name(media_root.name + ".restoring")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tarfile.open(source / "media.tar.gz", "r:gz") as archive:
        archive.extractall(staging, filter="data")
    if media_root.exists():
        shutil.rmtree(media_root)
    staging.rename(media_root)
    return manifest
