"""Files chosen on the complaint form are kept from the first post (mizan/portal/uploads.py):
nothing is lost when the form comes back — for a correction, or only for the commune
list without JavaScript — and files kept earlier count towards the limit."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mizan.documents.models import Attachment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FORM = "/fr/complaint/"


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _token(html: str) -> str:
    return re.search(r'name="upload_token" value="([^"]+)"', html).group(1)


def _fields(token: str) -> dict:
    return {
        "upload_token": token,
        "complainant_kind": "person",
        "complainant_name": "Nadia Tazi",
        "id_kind": "cin",
        "id_number": "BH445566",
        "nationality": "MA",
        "country_of_residence": "MA",
        "phone": "0655443322",
        "preferred_language": "fr",
        "accused_unknown": "on",
        "category": "theft",
        "facts": "Mon sac a été volé dans le tramway vendredi matin près de la gare.",
        "facts_date": "2026-11-06",
        "province": "06.141",
        "consent": "on",
    }


def test_a_file_chosen_before_asking_for_the_communes_is_kept(reference_data):
    client = Client()
    token = _token(client.get(FORM).content.decode())
    shown = client.post(
        FORM, {**_fields(token), "show_communes": "1", "attachments": _pdf("plainte.pdf")}
    )
    html = shown.content.decode()
    assert shown.status_code == 200
    assert 'value="06.141.01.0"' in html  # the province's communes
    assert 'id="error-summary"' not in html
    assert "plainte.pdf" in html  # listed as kept, not to be chosen again
    assert Attachment.objects.filter(original_name="plainte.pdf", case__isnull=True).count() == 1

    filed = client.post(FORM, {**_fields(_token(html)), "commune": "06.141.01.0"})
    assert filed.status_code == 302, filed.content.decode()[:2000]


def test_a_refused_file_on_the_commune_list_post_is_said_not_a_server_error(reference_data):
    client = Client()
    token = _token(client.get(FORM).content.decode())
    script = SimpleUploadedFile("virus.exe", b"MZ\x90\x00" + b"\x00" * 64)
    shown = client.post(FORM, {**_fields(token), "show_communes": "1", "attachments": script})
    assert shown.status_code == 200
    assert 'value="06.141.01.0"' in shown.content.decode()
    assert "virus.exe" in shown.content.decode()  # the refusal names the file
    assert not Attachment.objects.exists()


def test_files_kept_earlier_count_towards_the_limit(reference_data, settings):
    settings.MIZAN_UPLOAD_MAX_FILES = 2
    client = Client()
    token = _token(client.get(FORM).content.decode())
    # A first post with a mistake elsewhere (no facts) keeps its two files.
    first = client.post(
        FORM,
        {**_fields(token), "facts": "", "attachments": [_pdf("a.pdf"), _pdf("b.pdf")]},
    )
    assert first.status_code == 200 and Attachment.objects.count() == 2
    # A third file on the next post is one too many: said, and nothing filed.
    second = client.post(
        FORM,
        {
            **_fields(_token(first.content.decode())),
            "commune": "06.141.01.0",
            "attachments": _pdf("c.pdf"),
        },
    )
    assert second.status_code == 200
    assert "2" in second.content.decode() and 'id="error-summary"' in second.content.decode()
    # Removing one kept file makes room.
    kept = Attachment.objects.filter(original_name="a.pdf").get()
    third = client.post(
        FORM,
        {
            **_fields(_token(second.content.decode())),
            "commune": "06.141.01.0",
            "remove_upload": [str(kept.pk)],
        },
    )
    assert third.status_code == 302, third.content.decode()[:2000]
