"""Backup and restore, as an operator runs them: `manage.py backup DIR`, then
`manage.py restore DIR/<time> --yes` on a database that moved on; the data and the
uploads come back as they were and the audit chain verifies. Real processes, a database
of their own (a SQLite file; PostgreSQL too when the suite runs on it)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

WRITE = """
from django.core.files.uploadedfile import SimpleUploadedFile
from mizan.core.audit import audit_record
from mizan.documents.services import attachment_store
for i in range({count}):
    audit_record(action="test.backup", object_type="test", object_id=f"{label}-{{i}}")
stored = attachment_store(uploaded_file=SimpleUploadedFile(
    "{label}.pdf", b"%PDF-1.4\\n{label}\\n%%EOF\\n"))
print(stored.file.name)
"""
COUNT = """
from mizan.core.models import AuditEntry
print(AuditEntry.objects.filter(action="test.backup").count())
"""


def _env(tmp_path: Path, database_url: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MIZAN_")}
    return {
        **clean,
        "DATABASE_URL": database_url,
        "MIZAN_SECRET_KEY": "backup-test-secret-key-" + "x" * 40,
        "MIZAN_ALLOWED_HOSTS": "127.0.0.1",
        "MIZAN_MEDIA_ROOT": str(tmp_path / "media"),
        "MIZAN_COLLECTED_STATIC": "false",
    }


def _manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args, *(["--no-imports"] if args[0] == "shell" else [])],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=check,
    )


def _postgres_url():
    if connection.vendor != "postgresql":
        return None
    database = settings.DATABASES["default"]
    user = database.get("USER") or "postgres"
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'backup.sqlite3'}"
        return
    server = _postgres_url()
    if server is None:
        pytest.skip("PostgreSQL: run the suite with DATABASE_URL set to it")
    import psycopg

    name = f"mizan_backup_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_restore_brings_back_the_data_and_the_uploads_with_the_audit_chain(
    tmp_path, database_url
):
    env = _env(tmp_path, database_url)
    _manage(env, "migrate", "--no-input", "-v0")
    kept = _manage(env, "shell", "-c", WRITE.format(count=3, label="kept")).stdout.strip()
    backups = tmp_path / "backups"
    written = _manage(env, "backup", str(backups)).stdout
    [backup] = list(backups.iterdir())
    assert str(backup) in written
    assert {p.name for p in backup.iterdir()} >= {"manifest.json", "media.tar.gz"}

    # The platform moves on, then something goes wrong: an upload is lost.
    _manage(env, "shell", "-c", WRITE.format(count=2, label="later"))
    (tmp_path / "media" / kept).unlink()
    assert _manage(env, "shell", "-c", COUNT).stdout.strip() == "5"

    restored = _manage(env, "restore", str(backup), "--yes")
    assert "audit chain intact" in restored.stdout
    assert _manage(env, "shell", "-c", COUNT).stdout.strip() == "3"
    assert (tmp_path / "media" / kept).read_bytes().startswith(b"%PDF-1.4\nkept")
    assert "Audit chain intact" in _manage(env, "verify_audit").stdout


def test_a_damaged_backup_is_refused_and_nothing_is_replaced(tmp_path):
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'backup.sqlite3'}")
    _manage(env, "migrate", "--no-input", "-v0")
    _manage(env, "shell", "-c", WRITE.format(count=1, label="kept"))
    _manage(env, "backup", str(tmp_path / "backups"))
    [backup] = list((tmp_path / "backups").iterdir())
    _manage(env, "shell", "-c", WRITE.format(count=1, label="later"))
    archive = backup / "media.tar.gz"
    archive.write_bytes(archive.read_bytes()[:-10])

    refused = _manage(env, "restore", str(backup), "--yes", check=False)
    assert refused.returncode != 0
    assert "media.tar.gz is damaged" in refused.stderr
    assert _manage(env, "shell", "-c", COUNT).stdout.strip() == "2"
