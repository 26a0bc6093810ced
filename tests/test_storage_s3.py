"""Uploads on S3-compatible storage (MIZAN_STORAGE_URL): the real journeys against a
local S3 server (moto's, over real HTTP on loopback), the objects checked with boto3.

A citizen files a complaint with a document, an agent opens it (streamed through
Mizan, audited), the retention purge deletes the object; a booking's document and an
exchange file's document land in the bucket too. Nothing leaves 127.0.0.1."""

import re
import socket
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from config.storage import default_storage_from_url

moto_server = pytest.importorskip("moto.server", reason="moto and flask are not installed")
boto3 = pytest.importorskip("boto3")

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BUCKET = "mizan-uploads"
PREFIX = "media"
KEYS = {"access_key": "test-access-key", "secret_key": "test-secret-key"}


@pytest.fixture(autouse=True)
def language_kept():
    """Management commands run here (the worker, backup) leave their language active in
    this thread; the tests after these expect none."""
    from django.utils import translation

    language = translation.get_language()
    yield
    if language:
        translation.activate(language)
    else:
        translation.deactivate()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port())
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    """A fresh bucket, and STORAGES["default"] on it as MIZAN_STORAGE_URL would set it."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": default_storage_from_url(
            f"s3://{BUCKET}/{PREFIX}?endpoint_url={s3_endpoint}&region=us-east-1"
            "&addressing_style=path",
            **KEYS,
        ),
    }
    # Nothing is written on the file system: a MEDIA_ROOT that cannot exist says so.
    settings.MEDIA_ROOT = "/nonexistent/mizan-media"
    yield client
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in listed:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _object(client, name: str) -> bytes | None:
    try:
        return client.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}")["Body"].read()
    except client.exceptions.NoSuchKey:
        return None


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def test_the_storage_is_private_signed_and_never_overwrites(bucket):
    from django.core.files.storage import default_storage
    from storages.backends.s3 import S3Storage

    assert isinstance(default_storage, S3Storage)
    assert default_storage.default_acl is None and default_storage.file_overwrite is False
    assert default_storage.querystring_auth and default_storage.querystring_expire == 300
    signed = default_storage.url("attachments/x")
    assert "X-Amz-Signature=" in signed and "X-Amz-Expires=300" in signed
    first = default_storage.save("attachments/same", SimpleUploadedFile("a", b"one"))
    second = default_storage.save("attachments/same", SimpleUploadedFile("b", b"two"))
    assert first != second
    assert _object(bucket, first) == b"one" and _object(bucket, second) == b"two"


def test_a_complaint_document_is_kept_opened_audited_and_purged_in_the_bucket(
    bucket, casablanca_clerk, run_worker
):
    from mizan.cases.models import Case, CaseEvent
    from mizan.cases.retention import retention_apply
    from mizan.cases.services import case_transition
    from mizan.core.models import AuditEntry
    from mizan.notifications.models import ConsoleMessage

    from .factories import verified_login

    phone = "+212661234567"
    citizen = Client()
    page = citizen.get("/fr/complaint/").content.decode()
    answer = citizen.post(
        "/fr/complaint/",
        {
            "upload_token": _hidden(page, "upload_token"),
            "complainant_kind": "person",
            "complainant_name": "Amina Citizen",
            "id_kind": "cin",
            "id_number": "BE 123456",
            "nationality": "MA",
            "country_of_residence": "MA",
            "phone": phone,
            "email": "",
            "preferred_language": "fr",
            "accused": "Unknown man, about 30, red jacket",
            "category": "theft",
            "facts": "My phone was stolen at the bus station on Saturday at six in the evening.",
            "facts_date": "2026-11-01",
            "province": "06.141",
            "commune": "06.141.01.0",
            "consent": "on",
            "attachments": SimpleUploadedFile("recu.pdf", PDF, "application/pdf"),
        },
    )
    assert answer.status_code == 302 and "/complaint/confirm/" in answer.url, answer.content[:2000]
    run_worker()
    code = re.search(
        r"\b(\d{6})\b", ConsoleMessage.objects.filter(recipient=phone).latest("id").body
    ).group(1)
    filed = citizen.post(answer.url, {"code": code, "verify": "1"})
    assert filed.status_code == 302 and "/fr/filed/" in filed.url

    case = Case.objects.latest("id")
    [attachment] = case.attachments.all()
    assert attachment.file.name.startswith(f"attachments/{attachment.sha256[:2]}/")
    assert _object(bucket, attachment.file.name) == PDF

    # The agent opens it: streamed through Mizan (no redirect to the bucket), audited.
    agent = verified_login(Client(), casablanca_clerk)
    opened = agent.get(f"/fr/backoffice/cases/{case.reference}/attachments/{attachment.pk}/")
    assert opened.status_code == 200 and b"".join(opened.streaming_content) == PDF
    assert opened["Content-Type"] == "application/pdf"
    assert AuditEntry.objects.filter(
        action="attachment.opened", object_id=case.reference, actor=casablanca_clerk
    ).exists()

    # Withdrawn, closed six years ago: the retention purge deletes the object.
    case_transition(case_id=case.pk, step_name="withdraw", citizen_phone=phone, message="Settled.")
    closed = timezone.now() - timedelta(days=6 * 365)
    Case.objects.filter(pk=case.pk).update(closed_at=closed)
    CaseEvent.objects.filter(case=case, step="withdraw").update(at=closed)
    assert retention_apply() == {"complaint": 1}
    assert not case.attachments.exists()
    assert _object(bucket, attachment.file.name) is None


def test_a_booking_document_is_kept_in_the_bucket_and_read_by_the_official(
    bucket, reference_data, monkeypatch
):
    from django.contrib.auth import get_user_model

    from mizan.appointments.services import booking_documents_add

    from .appointment_factories import (
        FRIDAY_BEFORE_CHANGE,
        MONDAY_BEFORE,
        Clock,
        book,
        morocco,
        service_setup,
    )
    from .factories import verified_login

    Clock(monkeypatch, MONDAY_BEFORE)
    booking = book(service_setup(), morocco(FRIDAY_BEFORE_CHANGE, 9))
    [document] = booking_documents_add(
        booking_id=booking.pk,
        uploaded_files=[SimpleUploadedFile("jugement.pdf", PDF, "application/pdf")],
    )
    assert _object(bucket, document.attachment.file.name) == PDF

    official = verified_login(Client(), get_user_model().objects.get(username="official"))
    opened = official.get(
        f"/fr/backoffice/appointments/{booking.reference}/documents/{document.pk}/"
    )
    assert opened.status_code == 200 and b"".join(opened.streaming_content) == PDF


def test_an_exchange_document_is_kept_in_the_bucket_and_its_seal_checked_there(
    bucket, reference_data
):
    from mizan.exchange.services import exchange_seals_verify

    from .exchange_factories import PDF as JUDGMENT
    from .exchange_factories import office, registry_clerk, send_file
    from .factories import verified_login

    office("CDJ-CASA-1")
    clerk = registry_clerk("greffe.casa")
    file = send_file(clerk)
    [document] = file.documents.select_related("attachment")
    assert _object(bucket, document.attachment.file.name) == JUDGMENT
    assert exchange_seals_verify(file=file) == []

    court = verified_login(Client(), clerk)
    opened = court.get(f"/fr/backoffice/exchange/files/{file.reference}/documents/{document.pk}/")
    assert opened.status_code == 200 and b"".join(opened.streaming_content) == JUDGMENT


@pytest.fixture
def casablanca_clerk(transactional_db, reference_data):
    from mizan.accounts.models import Role

    from .factories import staff

    return staff("clerk", "PROS-TPI_CASA_PENAL", Role.AGENT)


def test_a_backup_says_the_bucket_is_not_in_it_and_a_restore_leaves_the_bucket_alone(
    bucket, transactional_db, tmp_path, settings
):
    # Not in a test transaction: SQLite's online backup waits for an open write to end.
    from io import StringIO

    from django.core.management import call_command

    from mizan.documents.services import attachment_store
    from mizan.ops.backups import BackupError, backup_restore

    stored = attachment_store(uploaded_file=SimpleUploadedFile("id.pdf", PDF))
    out = StringIO()
    call_command("backup", str(tmp_path / "backups"), stdout=out)
    assert "this backup holds the database only" in out.getvalue()
    assert "aws s3 sync" in out.getvalue()
    [backup] = list((tmp_path / "backups").iterdir())
    assert not (backup / "media.tar.gz").exists()
    manifest = (backup / "manifest.json").read_text()
    assert f'"media_storage": "s3://{BUCKET}/{PREFIX}"' in manifest
    assert _object(bucket, stored.file.name) == PDF

    # The same backup restored onto file-system storage: refused, nothing replaced.
    s3_storages = settings.STORAGES
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    with pytest.raises(BackupError, match="set MIZAN_STORAGE_URL to that bucket"):
        backup_restore(source=backup)

    # A backup of file-system uploads, restored while a bucket is configured: refused.
    call_command("backup", str(tmp_path / "fs-backups"), stdout=StringIO())
    [fs_backup] = list((tmp_path / "fs-backups").iterdir())
    assert (fs_backup / "media.tar.gz").exists()
    settings.STORAGES = s3_storages
    with pytest.raises(BackupError, match="or restore with MIZAN_STORAGE_URL unset"):
        backup_restore(source=fs_backup)
