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
        # An upload belongs to a case, an exchange file or a booking once it is sent;
        # only one that belongs to nothing is a form's leftover.
        unowned = Attachment.objects.filter(
            case__isnull=True, exchange_document__isnull=True, booking_document__isnull=True
        )
        orphans = unowned.filter(id__in=attachment_ids) | unowned.filter(
            uploaded_at__lt=now - UPLOAD_GRACE
        )
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


# --- closed cases: personal data anonymised after the retention period -------------------

# Kept in an anonymised filing: what the statistics group by, nothing that names anyone.
DETAILS_KEPT = frozenset({"category", "institution", "complainant_kind", "relationship"})
ANONYMISED = "—"


def retention_days() -> dict[str, int]:
    """Days after closure before a procedure's personal data is anonymised."""
    from django.conf import settings

    return dict(settings.MIZAN_RETENTION_DAYS)


def cases_past_retention(*, now=None):
    """Closed, not yet anonymised cases whose procedure's retention period is over."""
    from django.db.models import Q

    from .models import Case

    now = now or timezone.now()
    due = Q()
    for procedure, days in retention_days().items():
        due |= Q(procedure=procedure, closed_at__lt=now - timedelta(days=days))
    if not due:
        return Case.objects.none()
    return Case.objects.filter(due, anonymised_at__isnull=True).order_by("closed_at", "id")


def retention_report(*, now=None) -> list[dict]:
    """Per procedure: how many closed cases would be anonymised now, and the oldest."""
    from django.db.models import Count, Min

    rows = (
        cases_past_retention(now=now)
        .order_by()
        .values("procedure")
        .annotate(cases=Count("id"), oldest_closed=Min("closed_at"))
    )
    days = retention_days()
    return [
        {**row, "retention_days": days[row["procedure"]]}
        for row in sorted(rows, key=lambda row: row["procedure"])
    ]


def case_anonymise(*, case_id: int, now=None) -> bool:
    """Remove the personal data of one closed case; keep what the statistics need.

    Kept: procedure, office, commune, channel, dates, statuses and steps (the public
    figures and delays are computed from them), the registry number, the filing's
    category, messages' channel and fate. Removed: the filer's name, phone and e-mail,
    the filing's other details (parties, facts, ID numbers, addresses), every message
    text and recipient, citizens' and staff's free texts on the timeline, the documents
    (rows and files), texts the citizen sent to the service number, the access code.
    The audit log is hash-chained and is not rewritten (docs/operations.md).
    """
    from mizan.notifications.models import InboundSms, Notification

    from .models import Case, CaseEvent

    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None or case.anonymised_at is not None or case.closed_at is None:
            return False
        details = {key: value for key, value in case.details.items() if key in DETAILS_KEPT}
        Case.objects.filter(pk=case.pk).update(
            filer_name=ANONYMISED,
            filer_phone="",
            filer_email="",
            details={**details, "anonymised": True},
            access_code_hash="",
            search_text=case.reference.lower(),
            anonymised_at=now,
        )
        CaseEvent.objects.filter(case=case).update(citizen_message="", internal_note="")
        Notification.objects.filter(case=case).update(
            recipient=ANONYMISED, body=ANONYMISED, subject=""
        )
        InboundSms.objects.filter(case=case).update(sender=ANONYMISED, text=ANONYMISED)
        PendingFiling.objects.filter(case=case).delete()
        attachments = Attachment.objects.filter(case=case)
        files = [(a.file.storage, a.file.name) for a in attachments]
        attachments.delete()
        transaction.on_commit(lambda: _delete_unused_files(files))
    return True


def retention_apply(*, now=None, limit: int | None = None) -> dict[str, int]:
    """Anonymise every case past its retention period (each in its own transaction);
    returns the count per procedure."""
    counts: dict[str, int] = {}
    due = cases_past_retention(now=now).values_list("pk", "procedure")
    if limit is not None:
        due = due[:limit]
    for case_id, procedure in list(due):
        if case_anonymise(case_id=case_id, now=now):
            counts[procedure] = counts.get(procedure, 0) + 1
    return counts
