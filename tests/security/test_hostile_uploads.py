"""Uploads that try to be something else, to be too big, or to lie with their name."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mizan.accounts.models import Role
from mizan.core.errors import DomainError
from mizan.documents.models import Attachment
from mizan.documents.services import attachment_store

from ..factories import file_complaint, staff, verified_login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML_POLYGLOT = PDF + b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize(
    ("typed_name", "kept_name"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\x.pdf", "x.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("\u202e\u2066.pdf", "pdf"),
    ],
)
def test_names_cannot_traverse_or_reorder(db, typed_name, kept_name):
    attachment = attachment_store(uploaded_file=SimpleUploadedFile(typed_name, PDF))
    assert attachment.original_name == kept_name
    # Stored under its content hash, never under a name the citizen chose.
    assert attachment.file.name == f"attachments/{attachment.sha256[:2]}/{attachment.sha256}"


@pytest.mark.parametrize(
    "content",
    [
        b"<html><script>alert(1)</script></html>",
        b"MZ\x90\x00\x03",
        b"PK\x03\x04" + b"\0" * 100,
        b"GIF89a" + b"\0" * 20,
        b"",
    ],
)
def test_what_is_not_pdf_jpeg_or_png_is_refused(db, content):
    with pytest.raises(DomainError):
        attachment_store(uploaded_file=SimpleUploadedFile("scan.pdf", content))


def test_an_oversized_upload_is_refused_before_it_is_read(db, settings):
    settings.MIZAN_UPLOAD_MAX_BYTES = 1024

    class Huge(SimpleUploadedFile):
        def read(self, *args):  # pragma: no cover - must not be called
            raise AssertionError("an oversized file must not be read")

    upload = Huge("bomb.pdf", PDF)
    upload.size = 10**9
    with pytest.raises(DomainError) as refused:
        attachment_store(uploaded_file=upload)
    assert refused.value.code == "file_too_large"


def test_a_polyglot_is_served_as_a_document_never_as_a_page(reference_data):
    case = file_complaint().case
    attachment = attachment_store(uploaded_file=SimpleUploadedFile("x.html", HTML_POLYGLOT))
    Attachment.objects.filter(pk=attachment.pk).update(case=case)
    client = Client()
    verified_login(client, staff("clerk", "PROS-TPI_CASA_PENAL", Role.AGENT))
    response = client.get(f"/fr/backoffice/cases/{case.reference}/attachments/{attachment.pk}/")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert get_user_model().objects.count() == 1
