"""Configuration: `check --deploy` passes with production-like values, and the
settings refuse to start without a secret key outside development."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "MIZAN_SECRET_KEY": "k" * 20 + "production-like-secret-key-with-enough-entropy-!@#$%",
    "MIZAN_DEBUG": "false",
    "MIZAN_ALLOWED_HOSTS": "mizan.example.ma",
    "MIZAN_SSL_REDIRECT": "true",
    "MIZAN_BEHIND_TLS_PROXY": "true",
    "MIZAN_HSTS_SECONDS": "31536000",
    "MIZAN_SECURE_COOKIES": "true",
    "MIZAN_HSTS_PRELOAD": "true",
    "MIZAN_EMAIL": "smtp",
    "MIZAN_RECEIPT_SIGNING_KEY": "bWl6YW4tdGVzdHMtcmVjZWlwdC1zaWduaW5nLWtleSE=",
    "MIZAN_CLAMD_ADDRESS": "clamav:3310",
    "MIZAN_CACHE_URL": "redis://cache.internal:6379/0",
    "MIZAN_SMS_GATEWAYS": (
        '[{"name": "aggregator", "kind": "http-json", "url": "https://sms.example.ma/v1/messages",'
        ' "token": "t", "webhook_secret": "s"}]'
    ),
}


def manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MIZAN_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        timeout=120,
    )


def test_check_deploy_passes_with_production_values():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_when_no_sms_would_reach_anyone():
    console_only = {key: value for key, value in PRODUCTION.items() if key != "MIZAN_SMS_GATEWAYS"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=console_only)
    assert result.returncode != 0 and "mizan.W002" in result.stdout + result.stderr


def test_check_deploy_warns_when_the_cache_is_per_process():
    """Rate limits counted in a cache of one process would multiply by the processes."""
    local = {key: value for key, value in PRODUCTION.items() if key != "MIZAN_CACHE_URL"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=local)
    assert result.returncode != 0 and "mizan.W006" in result.stdout + result.stderr


def test_no_secret_key_no_start_outside_development():
    """Offline tools work without a key; a server and the deploy check do not."""
    no_key = {"MIZAN_DEBUG": "false"}
    offline = manage("makemigrations", "--check", "--dry-run", env=no_key)
    assert offline.returncode == 0, offline.stderr
    deploy = manage("check", "--deploy", env=no_key)
    assert deploy.returncode != 0 and "MIZAN_SECRET_KEY" in deploy.stderr
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MIZAN_")}
    server = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        env={**clean, **no_key},
        timeout=120,
    )
    assert server.returncode != 0 and "MIZAN_SECRET_KEY" in server.stderr


def test_sqlite_runs_in_wal_mode(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    # In-memory test databases cannot use WAL; the file database of `make run` does.
    assert mode in ("wal", "memory")


def test_the_storage_url_picks_the_file_system_or_a_private_bucket():
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    from config.storage import default_storage_from_url

    assert default_storage_from_url("") == {
        "BACKEND": "django.core.files.storage.FileSystemStorage"
    }
    s3 = default_storage_from_url(
        "s3://mizan-prod/uploads/?endpoint_url=https://s3.example.ma&region=fr-par"
        "&addressing_style=path",
        access_key="AK",
        secret_key="SK",
        url_expiry_seconds=120,
    )
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    assert s3["OPTIONS"] == {
        "bucket_name": "mizan-prod",
        "location": "uploads",
        "endpoint_url": "https://s3.example.ma",
        "region_name": "fr-par",
        "addressing_style": "path",
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 120,
        "file_overwrite": False,
        "custom_domain": None,
        "signature_version": "s3v4",
        "access_key": "AK",
        "secret_key": "SK",
    }
    for wrong, says in [
        ("file:///var/media", "must start with s3://"),
        ("s3://AK:SK@bucket", "must not hold the keys"),
        ("s3:///prefix", "names no bucket"),
        ("s3://bucket?acl=public-read", "unknown parameter"),
        ("s3://bucket?default_acl=public-read", "never public"),
        ("s3://bucket?addressing_style=sideways", "addressing_style"),
    ]:
        with pytest.raises(ImproperlyConfigured, match=says):
            default_storage_from_url(wrong)
    with pytest.raises(ImproperlyConfigured, match="both"):
        default_storage_from_url("s3://bucket", access_key="AK")
