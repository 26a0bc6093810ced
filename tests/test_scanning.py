"""The malware-scan hook: each upload goes to clamd (INSTREAM) when one is configured.

A fake clamd runs in a thread on 127.0.0.1 (port 0) or a Unix socket: it speaks the
real protocol, finds the EICAR test string, and can hang, hang up or answer an error.
"""

import logging
import socket
import socketserver
import struct
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from mizan.accounts.models import Role
from mizan.core.audit import audit_verify
from mizan.core.checks import uploads_are_scanned
from mizan.core.errors import DomainError
from mizan.core.models import AuditEntry
from mizan.documents import scanning
from mizan.documents.models import Attachment, ScanStatus
from mizan.documents.scanning import clamd_target, scan_content
from mizan.documents.services import attachment_store

from .factories import file_complaint, staff, verified_login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# The antivirus industry's harmless test file, split so that this source file is not
# itself taken for a virus by a scanner on a developer's machine.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR" + rb"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class FakeClamd:
    """Answers like clamd; `mode` is "ok", "hang", "close" or "error"."""

    def __init__(self, unix_path: str = ""):
        handler = self._handler()
        if unix_path:
            self.server = socketserver.ThreadingUnixStreamServer(unix_path, handler)
        else:
            self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.mode = "ok"
        self.received: list[bytes] = []
        self.release = threading.Event()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        host, port = self.server.server_address
        return f"{host}:{port}"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                if fake.mode == "close":
                    return
                command = b""
                while not command.endswith(b"\0"):
                    command += self.rfile.read(1)
                assert command == b"zINSTREAM\0", command
                content = bytearray()
                while length := struct.unpack("!L", self.rfile.read(4))[0]:
                    content += self.rfile.read(length)
                fake.received.append(bytes(content))
                if fake.mode == "hang":
                    fake.release.wait(10)
                    return
                if fake.mode == "error":
                    reply = b"INSTREAM size limit exceeded. ERROR\0"
                elif EICAR in content:
                    reply = b"stream: Eicar-Test-Signature FOUND\0"
                else:
                    reply = b"stream: OK\0"
                self.wfile.write(reply)

        return Handler


@pytest.fixture(autouse=True)
def media(tmp_path, settings, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MIZAN_CLAMD_ADDRESS = ""
    settings.MIZAN_CLAMD_SOCKET = ""
    # Each test starts with a scanner not known to have hung.
    monkeypatch.setattr(scanning, "_hung_until", 0.0)
    # Messages are checked in English, whatever the default language of the site is.
    with translation.override("en"):
        yield


@pytest.fixture
def clamd(settings):
    fake = FakeClamd()
    settings.MIZAN_CLAMD_ADDRESS = fake.address
    settings.MIZAN_CLAMD_TIMEOUT = 2
    yield fake
    fake.stop()


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_a_clean_file_is_marked_clean(db, clamd):
    # Over one 64 KiB chunk, so the chunking and the terminator are exercised.
    content = PDF + b"%" * 200_000
    attachment = attachment_store(uploaded_file=SimpleUploadedFile("plainte.pdf", content))
    assert clamd.received == [content]
    attachment.refresh_from_db()
    assert attachment.scan_status == ScanStatus.CLEAN
    assert attachment.scan_detail == ""
    assert attachment.scanned_at is not None and attachment.scanned_at.tzinfo is not None


def test_clamd_on_a_unix_socket(db, settings):
    with tempfile.TemporaryDirectory() as folder:  # short: socket paths are limited
        fake = FakeClamd(unix_path=f"{folder}/clamd.sock")
        settings.MIZAN_CLAMD_SOCKET = f"{folder}/clamd.sock"
        settings.MIZAN_CLAMD_ADDRESS = "127.0.0.1:1"  # the socket wins
        try:
            attachment = attachment_store(uploaded_file=SimpleUploadedFile("a.pdf", PDF))
        finally:
            fake.stop()
    assert attachment.scan_status == ScanStatus.CLEAN


def test_a_virus_is_refused_not_stored_and_audited(db, clamd, settings):
    infected = PDF + EICAR + b"\n"
    with pytest.raises(DomainError) as refused:
        attachment_store(
            uploaded_file=SimpleUploadedFile("facture.pdf", infected), ip_address="192.0.2.7"
        )
    assert refused.value.code == "file_infected"
    assert "“facture.pdf” seems to contain a virus" in refused.value.message
    assert "attach another copy" in refused.value.message
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []
    entry = AuditEntry.objects.get(action="attachment.refused_infected")
    assert entry.data["signature"] == "Eicar-Test-Signature"
    assert entry.data["name"] == "facture.pdf"
    assert entry.actor_label == "citizen" and entry.ip_address == "192.0.2.7"
    assert len(entry.object_id) == 64  # the file's SHA-256: which file, without keeping it
    assert audit_verify().ok


def test_a_scanner_that_is_down_does_not_block_the_citizen(db, settings, caplog):
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MIZAN_CLAMD_ADDRESS = f"127.0.0.1:{port}"
    with caplog.at_level(logging.WARNING, logger="mizan.documents"):
        attachment = attachment_store(uploaded_file=SimpleUploadedFile("a.pdf", PDF))
    assert attachment.scan_status == ScanStatus.SCAN_FAILED
    assert attachment.scan_detail
    assert attachment.file.read() == PDF
    assert any(
        record.levelno == logging.WARNING and "malware scan failed" in record.getMessage()
        for record in caplog.records
    )


def test_a_scanner_that_hangs_times_out_and_the_file_is_kept(db, clamd, settings):
    clamd.mode = "hang"
    settings.MIZAN_CLAMD_TIMEOUT = 0.5
    started = time.monotonic()
    attachment = attachment_store(uploaded_file=SimpleUploadedFile("a.pdf", PDF))
    assert time.monotonic() - started < 2
    assert attachment.scan_status == ScanStatus.SCAN_FAILED
    assert "0.5 s" in attachment.scan_detail
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    # The next files of the same form are not held another timeout each.
    started = time.monotonic()
    second = attachment_store(uploaded_file=SimpleUploadedFile("b.pdf", PDF + b" "))
    assert time.monotonic() - started < 0.4
    assert second.scan_status == ScanStatus.SCAN_FAILED
    assert "timed out less than a minute ago" in second.scan_detail
    assert len(clamd.received) == 1


@pytest.mark.parametrize(("mode", "detail"), [("close", "closed"), ("error", "size limit")])
def test_a_scanner_that_hangs_up_or_errs_gives_scan_failed(db, clamd, mode, detail):
    clamd.mode = mode
    attachment = attachment_store(uploaded_file=SimpleUploadedFile("a.pdf", PDF))
    assert attachment.scan_status == ScanStatus.SCAN_FAILED
    assert detail in attachment.scan_detail


def test_no_scanner_configured_means_not_scanned(db):
    attachment = attachment_store(uploaded_file=SimpleUploadedFile("a.pdf", PDF))
    assert attachment.scan_status == ScanStatus.NOT_SCANNED
    assert attachment.scanned_at is None
    assert attachment.get_scan_status_display() == "not scanned"


@pytest.mark.parametrize(
    ("address", "expected"),
    [("clamav:3310", ("clamav", 3310)), ("[::1]:3310", ("::1", 3310)), ("", None)],
)
def test_clamd_address_is_host_and_port(settings, address, expected):
    settings.MIZAN_CLAMD_ADDRESS = address
    target = clamd_target()
    assert (target and (target.host, target.port)) == expected


@pytest.mark.parametrize("address", ["clamav", "clamav:", ":3310", "clamav:99999"])
def test_a_malformed_address_is_a_failed_scan_and_a_deploy_warning(settings, address):
    settings.MIZAN_CLAMD_ADDRESS = address
    assert scan_content(PDF).status == ScanStatus.SCAN_FAILED
    assert [problem.id for problem in uploads_are_scanned(None)] == ["mizan.W005"]


def test_deploy_check_warns_only_without_a_scanner(settings):
    assert [problem.id for problem in uploads_are_scanned(None)] == ["mizan.W005"]
    settings.MIZAN_CLAMD_ADDRESS = "clamav:3310"
    assert uploads_are_scanned(None) == []


def test_staff_see_the_scan_status_next_to_each_document(reference_data, clamd):
    case = file_complaint().case
    clean = attachment_store(uploaded_file=SimpleUploadedFile("clean.pdf", PDF))
    clamd.mode = "close"
    failed = attachment_store(uploaded_file=SimpleUploadedFile("failed.pdf", PDF + b" "))
    Attachment.objects.filter(pk__in=[clean.pk, failed.pk]).update(case=case)
    client = Client()
    verified_login(client, staff("clerk", "PROS-TPI_CASA_PENAL", Role.AGENT))
    page = client.get(f"/en/backoffice/cases/{case.reference}/").content.decode()
    assert '<span class="tag">no virus found</span>' in page
    assert '<span class="tag alert" title="' in page and "virus scan failed</span>" in page
