"""Law 09-08 for appointments: a booking's personal data is kept for a while after the
appointment (a complaint about it, a follow-up), then removed; what statistics need
(service, official, times, status, country, time zone) is kept."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from mizan.cases.retention import ANONYMISED, _delete_unused_files
from mizan.documents.models import Attachment
from mizan.notifications.models import Notification

from .models import Booking


def bookings_past_retention(*, now=None):
    """Bookings whose appointment ended longer ago than the retention period."""
    now = now or timezone.now()
    limit = now - timedelta(days=settings.MIZAN_APPOINTMENT_RETENTION_DAYS)
    return Booking.objects.filter(ends_at__lt=limit, anonymised_at__isnull=True).order_by(
        "ends_at", "id"
    )


def booking_retention_report(*, now=None) -> dict | None:
    """How many bookings would be anonymised now, and the oldest appointment's end."""
    row = (
        bookings_past_retention(now=now)
        .order_by()
        .aggregate(bookings=Count("id"), oldest=Min("ends_at"))
    )
    if not row["bookings"]:
        return None
    return {**row, "retention_days": settings.MIZAN_APPOINTMENT_RETENTION_DAYS}


def booking_anonymise(*, booking_id: int, now=None) -> bool:
    """Remove the citizen's data from one booking: name, phone, e-mail, subject, the
    official's notes, the documents sent for the call, the messages' texts and
    recipients. The audit log only ever held a pseudonym (mizan.core.audit)."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
        if booking is None or booking.anonymised_at is not None:
            return False
        Booking.objects.filter(pk=booking.pk).update(
            citizen_name=ANONYMISED,
            citizen_phone="",
            citizen_email="",
            subject=ANONYMISED,
            official_notes="",
            anonymised_at=now,
        )
        # Every message about a booking is written between its booking and its end (or
        # its closing): the time range keeps this on the created_at index of a table
        # of millions of rows; the key prefix picks the booking's own.
        last = max(booking.ends_at, booking.closed_at or booking.ends_at)
        Notification.objects.filter(
            created_at__gte=booking.created_at - timedelta(minutes=1),
            created_at__lte=last + timedelta(days=1),
            idempotency_key__startswith=f"appointment:{booking.pk}:",
        ).update(recipient=ANONYMISED, body=ANONYMISED, subject="")
        attachments = Attachment.objects.filter(booking_document__booking=booking)
        files = [(a.file.storage, a.file.name) for a in attachments]
        ids = list(attachments.values_list("id", flat=True))
        booking.documents.all().delete()
        Attachment.objects.filter(id__in=ids).delete()
        transaction.on_commit(lambda: _delete_unused_files(files))
    return True


def booking_retention_apply(*, now=None, limit: int | None = None) -> int:
    """Anonymise every booking past the retention period, each in its own transaction."""
    due = bookings_past_retention(now=now).values_list("pk", flat=True)
    if limit is not None:
        due = due[:limit]
    return sum(booking_anonymise(booking_id=pk, now=now) for pk in list(due))
