"""Backups of the database and the uploaded files, and their restore.

One backup is a directory named by its UTC time, holding:

- `database.dump` (PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore`)
  or `database.sqlite3` (SQLite: the online backup API, consistent while Mizan runs);
- `media.tar.gz`: the uploaded files, when they are on the file system (MEDIA_ROOT).
  With S3-compatible storage (MIZAN_STORAGE_URL) the bucket is not copied: its
  backup is the provider's versioning and replication, or `aws s3 sync`
  (docs/operations.md); the manifest says so, and a restore leaves the bucket alone;
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
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from config.storage import uses_file_system

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


class BackupError(Exception):
    pass


# What a backup or a restore says about the uploads when they are in a bucket.
EXTERNAL_MEDIA_NOTE = (
    "Uploaded files are on S3-compatible storage (MIZAN_STORAGE_URL): this backup holds "
    "the database only. Back up the bucket with the provider's versioning and replication, "
    "or `aws s3 sync` (docs/operations.md)."
)


def media_on_file_system() -> bool:
    """Whether the uploads are under MEDIA_ROOT, hence in (and restored from) a backup."""
    return uses_file_system(default_storage)


def media_storage_label() -> str:
    """Where the uploads are, for the manifest: "file-system" or "s3://bucket/prefix"."""
    if media_on_file_system():
        return "file-system"
    bucket = getattr(default_storage, "bucket_name", "") or "?"
    location = getattr(default_storage, "location", "") or ""
    return f"s3://{bucket}/{location}".rstrip("/")


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
    saved = [database_file]
    if media_on_file_system():
        media_file = target / "media.tar.gz"
        media_root = Path(settings.MEDIA_ROOT)
        with tarfile.open(media_file, "w:gz") as archive:
            if media_root.is_dir():
                archive.add(media_root, arcname=".")
        saved.append(media_file)
    applied = MigrationRecorder(connection).applied_migrations()
    manifest = {
        "format_version": FORMAT_VERSION,
        "created_at": now.isoformat(timespec="seconds"),
        "database": vendor,
        "migrations": len(applied),
        # "file-system": media.tar.gz holds the uploads; "s3://…": they are not here.
        "media_storage": media_storage_label(),
        "files": {
            path.name: {"sha256": _sha256(path), "size": path.stat().st_size} for path in saved
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
    """Replace the database's content and the uploaded files with the backup's.

    Uploads in a bucket are left as they are (they are not in the backup); a backup of
    file-system uploads is refused while the uploads are in a bucket, rather than
    restoring a database whose documents would then be missing."""
    source = Path(source)
    manifest = backup_check(source)
    vendor = connection.vendor
    if manifest["database"] != vendor:
        raise BackupError(
            f"the backup is of a {manifest['database']} database, this one is {vendor}"
        )
    has_media = "media.tar.gz" in manifest["files"]
    if has_media and not media_on_file_system():
        raise BackupError(
            "this backup holds uploaded files from the file system, but uploads are now "
            f"on S3-compatible storage ({media_storage_label()}): copy its media.tar.gz "
            "into the bucket first (docs/operations.md), or restore with MIZAN_STORAGE_URL "
            "unset. Nothing was replaced."
        )
    if not has_media and media_on_file_system():
        raise BackupError(
            "this backup has no uploaded files (they were on S3-compatible storage, "
            f"{manifest.get('media_storage', '?')}), but uploads are now on the file "
            "system: set MIZAN_STORAGE_URL to that bucket to restore it. Nothing was replaced."
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
    if not has_media:
        return manifest
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
