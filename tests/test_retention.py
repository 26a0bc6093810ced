from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mizan.accounts.models import PhoneChallenge
from mizan.cases.filing import filing_start
from mizan.cases.models import PendingFiling
from mizan.cases.retention import expired_data_purge
from mizan.documents.models import Attachment
from mizan.documents.services import attachment_store
from mizan.reference.models import Commune

from .factories import complaint_details, file_complaint

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_expired_forms_their_uploads_and_old_codes_are_purged(reference_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    kept_case = file_complaint().case
    filed_upload = attachment_store(uploaded_file=SimpleUploadedFile("a.pdf", PDF))
    Attachment.objects.filter(pk=filed_upload.pk).update(case=kept_case)
    form_upload = attachment_store(uploaded_file=SimpleUploadedFile("b.pdf", PDF + b"x"))
    commune = Commune.objects.get(code="06.141.01.0")
    data = {
        **complaint_details(commune),
        "attachment_ids": [form_upload.pk],
        "filer": {"name": "A", "email": "", "language": "fr"},
    }
    pending = filing_start(
        procedure="complaint", data=data, phone="+212612345678", language="fr", ip_address=None
    )
    later = timezone.now() + timedelta(days=2)

    summary = expired_data_purge(now=later)

    assert summary.pending_filings == 1 and summary.uploads == 1
    assert summary.challenges == 1
    assert not PendingFiling.objects.filter(pk=pending.pk).exists()
    assert not Attachment.objects.filter(pk=form_upload.pk).exists()
    assert Attachment.objects.filter(pk=filed_upload.pk).exists()  # a filed case keeps it
    assert not PhoneChallenge.objects.exists()


def test_a_form_still_being_filled_in_is_kept(reference_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = attachment_store(uploaded_file=SimpleUploadedFile("c.pdf", PDF))
    summary = expired_data_purge()
    assert summary.uploads == 0 and Attachment.objects.filter(pk=upload.pk).exists()
