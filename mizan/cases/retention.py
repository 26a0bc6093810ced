"""What is kept only for a while: forms never confirmed, their uploads, used codes.

Law 09-08 asks that personal data be kept no longer than its purpose needs. A form
whose phone was never confirmed, and the documents attached to it, serve no purpose
once the form has expired; one-time codes only matter for the hourly limits.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from mizan.accounts.models import PhoneChallenge
from mizan.documents.models import Attachment

from .models import PendingFiling

# Uploads kept for a form being filled in (re-shown after an error) wait this long.
UPLOAD_GRACE = timedelta(hours=24)
# Codes are needed for the hourly limits, then for a day of troubleshooting.
CHALLENGE_RETENTION = timedelta(days=1)


@dataclass(frozen=True)
class PurgeSummary:
    pending_filings: int
    uploads: int
    challenges: int


def expired_data_purge(*, now=None) -> PurgeSummary:
    now = now or timezone.now()
    with transaction.atomic():
        expired = PendingFiling.objects.filter(expires_at__lt=now, case__isnull=True)
        attachment_ids = [
            attachment_id
            for data in expired.values_list("data", flat=True)
            for attachment_id in (data or {}).get("attachment_ids", [])
        ]
        pending_count, _ = expired.delete()
        orphans = Attachment.objects.filter(case__isnull=True).filter(
            id__in=attachment_ids
        ) | Attachment.objects.filter(case__isnull=True, uploaded_at__lt=now - UPLOAD_GRACE)
        files = [(a.file.storage, a.file.name) for a in orphans]
        upload_count, _ = orphans.delete()
        challenge_count, _ = PhoneChallenge.objects.filter(
            created_at__lt=now - CHALLENGE_RETENTION
        ).delete()
        # Files go only once the rows are gone for good; a stored file may be shared
        # by identical uploads (content-addressed), so keep it while a row uses it.
        transaction.on_commit(lambda: _delete_unused_files(files))
    return PurgeSummary(pending_count, upload_count, challenge_count)


def _delete_unused_files(files) -> None:
    for storage, name in files:
        if not Attachment.objects.filter(file=name).exists():
            storage.delete(name)
