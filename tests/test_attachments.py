import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from mizan.core.errors import DomainError
from mizan.documents.services import attachment_store

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


def test_a_pdf_is_kept_with_its_hash(db):
    attachment = attachment_store(uploaded_file=SimpleUploadedFile("plainte.pdf", PDF))
    assert attachment.content_type == "application/pdf"
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.file.read() == PDF


def test_the_content_decides_not_the_name(db):
    attachment = attachment_store(uploaded_file=SimpleUploadedFile("photo.pdf", PNG))
    assert attachment.content_type == "image/png"
    with pytest.raises(DomainError) as refused:
        attachment_store(uploaded_file=SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 exe"))
    assert refused.value.code == "file_type" and "invoice.pdf" in refused.value.message


@override_settings(MIZAN_UPLOAD_MAX_BYTES=1000)
def test_a_file_over_the_limit_is_refused_with_the_limit(db):
    with pytest.raises(DomainError) as refused:
        attachment_store(uploaded_file=SimpleUploadedFile("big.pdf", PDF + b"0" * 2000))
    assert refused.value.code == "file_too_large"
