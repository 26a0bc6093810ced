"""Uploads that try to be something else, to be too big, or to lie with their name."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

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
    # Messages are checked in English, whatever the default language of the site is.
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("typed_name", "kept_name"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
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
    ],
)
def test_what_is_not_pdf_jpeg_or_png_is_refused(db, content):
    with pytest.raises(DomainError) as refused:
        attachment_store(uploaded_file=SimpleUploadedFile("scan.pdf", content))
    assert refused.value.code == "file_type"


@pytest.mark.parametrize(
    "program",
    [
        b"\x7fELF\x02\x01\x01\x00" + b"\0" * 56,  # Linux executable
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\0" * 54 + b"PE\0\0",  # Windows
        b"#!/bin/sh\nrm -rf ~\n",  # shell script
    ],
    ids=["elf", "pe", "script"],
)
def test_a_program_renamed_pdf_is_refused_by_name(db, program):
    with pytest.raises(DomainError) as refused:
        attachment_store(uploaded_file=SimpleUploadedFile("jugement.pdf", program))
    assert refused.value.code == "file_type"
    assert "“jugement.pdf” is not a PDF, JPEG or PNG file" in refused.value.message
    assert not Attachment.objects.exists()


def test_a_pdf_renamed_jpg_is_kept_as_the_pdf_it_is(db):
    attachment = attachment_store(uploaded_file=SimpleUploadedFile("photo.jpg", PDF))
    assert attachment.content_type == "application/pdf"
    assert attachment.original_name == "photo.jpg"


def test_an_empty_file_is_refused_as_empty(db, tmp_path):
    with pytest.raises(DomainError) as refused:
        attachment_store(uploaded_file=SimpleUploadedFile("scan.pdf", b""))
    assert refused.value.code == "file_empty"
    assert "“scan.pdf” is empty" in refused.value.message
    assert not Attachment.objects.exists()
    assert not any(path.is_file() for path in tmp_path.rglob("*"))


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
    assert "“bomb.pdf” is 953.7\xa0MB; the limit is 1.0\xa0KB" in refused.value.message


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


def test_the_form_shows_why_a_file_was_refused_and_keeps_what_was_typed(reference_data):
    form = {
        "complainant_kind": "person",
        "complainant_name": "Amina Citizen",
        "id_kind": "cin",
        "id_number": "BE 123456",
        "nationality": "MA",
        "country_of_residence": "MA",
        "phone": "+212661234567",
        "preferred_language": "en",
        "accused": "Unknown man, about 30, red jacket",
        "category": "theft",
        "facts": "My phone was stolen at the bus station on Saturday at six in the evening.",
        "facts_date": "2026-11-01",
        "province": "06.141",
        "commune": "06.141.01.0",
        "consent": "on",
        "attachments": SimpleUploadedFile("receipt.pdf", b"MZ\x90\x00 a program"),
    }
    response = Client().post("/en/complaint/", form)
    assert response.status_code == 200  # shown again, not sent on to confirmation
    page = response.content.decode()
    assert "receipt.pdf” is not a PDF, JPEG or PNG file" in page
    assert 'id="error-summary"' in page
    for typed in (
        "Amina Citizen",
        "BE 123456",
        "red jacket",
        "at six in the evening",
        "2026-11-01",
    ):
        assert typed in page, typed
    assert 'value="06.141.01.0" selected' in page
    assert not Attachment.objects.exists()
