"""Appointment rules: book, cancel, move, close; confirmations and reminders by SMS.

Every service is atomic: the booking row, its reminders (with the deferred tasks that
send them), the outbox rows of its messages and the audit entry commit together.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mizan.core import references
from mizan.core.audit import audit_record, citizen_label
from mizan.core.errors import DomainError
from mizan.core.locks import serialize_on
from mizan.notifications.models import Notification
from mizan.notifications.services import notification_queue

from .models import AppointmentService, Booking, BookingDocument, Reminder
from .slots import MOROCCO, Slot, open_campaigns, service_officials, service_slots, slot_find
from .timezones import is_time_zone, sms_when

REFERENCE_CODE = "RDV"
REMINDERS = {
    Reminder.Kind.DAY_BEFORE: timedelta(hours=24),
    Reminder.Kind.HOUR_BEFORE: timedelta(hours=1),
}
# Other slots proposed when the chosen one was just taken.
ALTERNATIVES = 3


class SlotTakenError(DomainError):
    """The slot went to someone else; `alternatives` are free slots to propose."""

    def __init__(self, message, *, alternatives: list[Slot]):
        super().__init__(message, code="slot_taken", field="slot")
        self.alternatives = alternatives


def _new_reference(now: datetime) -> str:
    # Random, not sequential: a booking's reference does not tell how many there are,
    # and the check character catches a mistyped one.
    for _attempt in range(10):
        reference = references.format_reference(REFERENCE_CODE, now.year, secrets.randbelow(10**8))
        if not Booking.objects.filter(reference=reference).exists():
            return reference
    raise RuntimeError("no free appointment reference")  # pragma: no cover


def manage_link(*, language: str) -> str:
    return f"{settings.SITE_URL}/{language}/appointments/manage/"


def join_link(*, booking: Booking) -> str:
    return (
        f"{settings.SITE_URL}/{booking.language}/appointments/join/"
        f"{booking.reference}/{booking.join_key}/"
    )


def _check_open(*, service: AppointmentService, starts_at: datetime, now: datetime) -> None:
    campaigns = list(open_campaigns(service=service, now=now))
    if not service.is_active or not campaigns:
        raise DomainError(
            _(
                "Booking for this service is closed at the moment. Please come back during "
                "the next booking campaign."
            ),
            code="campaign_closed",
        )
    day = starts_at.astimezone(MOROCCO).date()
    if not any(c.starts_on <= day <= c.ends_on for c in campaigns):
        raise DomainError(
            _("This date is outside the booking campaign. Please choose another slot."),
            code="campaign_closed",
            field="slot",
        )
    if starts_at <= now:
        raise DomainError(
            _("This slot has already passed. Please choose another slot."),
            code="slot_past",
            field="slot",
        )


def _slot_taken(*, service, now, exclude_booking_id=None) -> SlotTakenError:
    alternatives = service_slots(service=service, now=now, exclude_booking_id=exclude_booking_id)
    return SlotTakenError(
        _("Someone has just booked this slot. Please choose another one."),
        alternatives=alternatives[:ALTERNATIVES],
    )


def _case_for_reference(*, case_reference: str, phone: str):
    from mizan.cases.models import Case

    if not case_reference:
        return None
    canonical = references.canonical(case_reference)
    case = Case.objects.filter(reference=canonical).first() if canonical else None
    if case is None or str(case.filer_phone) != phone:
        raise DomainError(
            _(
                "We found no request with this reference filed with your phone number. "
                "Check the reference, or leave the field empty."
            ),
            code="case_unknown",
            field="case_reference",
        )
    return case


def _officials_lock(*, service: AppointmentService) -> None:
    """Book the time of the service's officials one transaction at a time (until commit).

    The unique constraint on (official, starts_at) settles two requests for the same
    slot, not two services of one official whose slots start at different times and
    overlap (09:40–10:10 of a 30-minute service, 10:00–10:20 of a 20-minute one): both
    would read the official free and both insert. Once the lock is held the slot is
    read (each statement sees what was committed before it), so the second request sees
    the first one's booking. Sorted, so that two services sharing officials cannot
    deadlock; bookings are few, the wait short.
    """
    for official_id in sorted({a.official_id for a in service_officials(service=service)}):
        serialize_on(f"appointments:official:{official_id}")


def _place(*, booking: Booking, slot: Slot, exclude_booking_id=None) -> bool:
    """Give the booking to the first official of the slot the database accepts."""
    for official_id in slot.official_ids:
        booking.official_id = official_id
        try:
            with transaction.atomic():
                booking.save()
        except IntegrityError:
            continue
        return True
    return False


def booking_create(
    *,
    service: AppointmentService,
    starts_at: datetime,
    citizen_name: str,
    citizen_phone: str,
    citizen_email: str = "",
    country_of_residence: str,
    time_zone: str,
    language: str,
    subject: str,
    case_reference: str = "",
    phone_call_fallback: bool = True,
) -> Booking:
    """Book a slot for a citizen whose phone was verified, or say why not.

    The citizen does not pick an official: any official of the service free at that
    instant takes it. The database's unique constraints settle two requests racing for
    the same official and slot; the loser is told at once, with other slots.
    """
    now = timezone.now()
    _check_open(service=service, starts_at=starts_at, now=now)
    if not is_time_zone(time_zone):
        raise DomainError(_("Choose your time zone from the list."), code="time_zone")
    if Booking.objects.filter(
        citizen_phone=citizen_phone, service=service, status=Booking.Status.ACTIVE
    ).exists():
        raise DomainError(
            _(
                "You already have an appointment for this service. You can move or cancel it "
                "from the page “Manage my appointment”."
            ),
            code="already_booked",
        )
    case = _case_for_reference(case_reference=case_reference, phone=citizen_phone)
    with transaction.atomic():
        _officials_lock(service=service)
        slot = slot_find(service=service, starts_at=starts_at, now=now)
        if slot is None:
            raise _slot_taken(service=service, now=now)
        booking = Booking(
            reference=_new_reference(now),
            service=service,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            citizen_name=citizen_name.strip(),
            citizen_phone=citizen_phone,
            citizen_email=citizen_email or "",
            country_of_residence=country_of_residence,
            time_zone=time_zone,
            language=language,
            subject=subject.strip(),
            case=case,
            phone_call_fallback=phone_call_fallback,
            room="mizan-" + secrets.token_hex(12),
            join_key=secrets.token_urlsafe(12),
            created_at=now,
        )
        if not _place(booking=booking, slot=slot):
            if Booking.objects.filter(
                citizen_phone=citizen_phone, service=service, status=Booking.Status.ACTIVE
            ).exists():
                raise DomainError(
                    _("You already have an appointment for this service."),
                    code="already_booked",
                )
            raise _slot_taken(service=service, now=now)
        _reminders_schedule(booking=booking, now=now)
        _citizen_tell(booking=booking, template_key="appointment.confirmed", event="confirmed")
        audit_record(
            action="appointment.booked",
            object_type="appointment",
            object_id=booking.reference,
            actor_label=citizen_label(booking.citizen_phone),
            data={"service": service.code, "starts_at": booking.starts_at.isoformat()},
        )
    return booking


def _citizen_tell(*, booking: Booking, template_key: str, event: str) -> None:
    link = (
        join_link(booking=booking)
        if template_key == "appointment.reminder"
        else manage_link(language=booking.language)
    )
    context = {
        "reference": booking.reference,
        "when": sms_when(booking.starts_at, booking.time_zone),
        "link": link,
    }
    notification_queue(
        template_key=template_key,
        recipient=str(booking.citizen_phone),
        language=booking.language,
        context=context,
        idempotency_key=f"appointment:{booking.pk}:{event}:sms",
    )
    if booking.citizen_email and template_key != "appointment.reminder":
        notification_queue(
            template_key=template_key,
            recipient=booking.citizen_email,
            language=booking.language,
            context=context,
            idempotency_key=f"appointment:{booking.pk}:{event}:email",
            channel=Notification.Channel.EMAIL,
            attachments=[_calendar_attachment(booking)],
        )


def _calendar_attachment(booking: Booking) -> dict:
    """The .ics, in the citizen's language, with the e-mail: one tap puts the
    appointment (or its new time, or its cancellation) in their calendar."""
    from django.utils import translation

    from .calendar_file import booking_ics

    with translation.override(booking.language):
        content = booking_ics(booking=booking, join_url=join_link(booking=booking))
    return {
        "filename": f"{booking.reference}.ics",
        "content_type": "text/calendar; method=PUBLISH; charset=utf-8",
        "content": content.decode(),
    }


# --- reminders ------------------------------------------------------------------------


def _reminders_schedule(*, booking: Booking, now: datetime) -> list[Reminder]:
    """A reminder row per lead time still ahead, each with a task deferred to it."""
    from .tasks import send_appointment_reminder

    created = []
    for kind, lead in REMINDERS.items():
        due_at = booking.starts_at - lead
        if due_at <= now:
            continue
        reminder = Reminder.objects.create(booking=booking, kind=kind, due_at=due_at)
        # Written in this transaction by the database backend: committed with the booking.
        send_appointment_reminder.using(run_after=due_at).enqueue(reminder_id=reminder.pk)
        created.append(reminder)
    return created


def _reminders_cancel(*, booking: Booking) -> int:
    return Reminder.objects.filter(booking=booking, status=Reminder.Status.PENDING).update(
        status=Reminder.Status.CANCELLED
    )


def reminder_send(*, reminder_id: int) -> str:
    """Queue one reminder's SMS if it is due and its booking still stands.

    Run by the task deferred to the reminder's time and by the sweep; safe to run twice
    or early (an early run sends nothing; a second one finds it sent).
    """
    now = timezone.now()
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update()
            .filter(pk=reminder_id)
            .select_related("booking")
            .first()
        )
        if reminder is None or reminder.status != Reminder.Status.PENDING:
            return "skipped"
        booking = reminder.booking
        if booking.status != Booking.Status.ACTIVE:
            reminder.status = Reminder.Status.CANCELLED
            reminder.save(update_fields=["status"])
            return "cancelled"
        if reminder.due_at > now:
            return "not-due"
        if booking.starts_at <= now:
            # Too late to remind (the worker was down): a reminder after the start helps
            # nobody.
            reminder.status = Reminder.Status.CANCELLED
            reminder.save(update_fields=["status"])
            return "late"
        notification = notification_queue(
            template_key="appointment.reminder",
            recipient=str(booking.citizen_phone),
            language=booking.language,
            context={
                "reference": booking.reference,
                "when": sms_when(booking.starts_at, booking.time_zone),
                "link": join_link(booking=booking),
            },
            idempotency_key=f"appointment-reminder:{reminder.pk}:sms",
        )
        reminder.status = Reminder.Status.SENT
        reminder.notification = notification
        reminder.save(update_fields=["status", "notification"])
    return "sent"


def reminders_send_due() -> dict[str, int]:
    """The safety net: every pending reminder that is due (a lost task, a worker that was
    down). `manage.py appointment_reminders` runs it."""
    counts: dict[str, int] = {}
    due = Reminder.objects.filter(
        status=Reminder.Status.PENDING, due_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    for reminder_id in list(due):
        outcome = reminder_send(reminder_id=reminder_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# --- changes --------------------------------------------------------------------------


def _locked_active(booking_id: int) -> Booking:
    booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
    if booking is None or booking.status != Booking.Status.ACTIVE:
        raise DomainError(_("This appointment is no longer active."), code="not_active")
    return booking


def booking_cancel(*, booking_id: int, by: str, actor=None, reason: str = "") -> Booking:
    """Cancel an active appointment (by the citizen or the official); the citizen is told
    by SMS and the reminders are dropped."""
    now = timezone.now()
    with transaction.atomic():
        booking = _locked_active(booking_id)
        if by == "citizen" and booking.starts_at <= now:
            # The official records what happened (held, missed) from then on.
            raise DomainError(
                _("This appointment has already started and can no longer be cancelled."),
                code="not_active",
            )
        booking.status = Booking.Status.CANCELLED
        booking.closed_at = now
        booking.closed_by = by
        booking.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
        _reminders_cancel(booking=booking)
        _citizen_tell(booking=booking, template_key="appointment.cancelled", event="cancelled")
        audit_record(
            action="appointment.cancelled",
            object_type="appointment",
            object_id=booking.reference,
            actor=actor,
            actor_label=_actor_label(actor=actor, by=by, booking=booking),
            data={"by": by, "reason": reason},
        )
    return booking


def _actor_label(*, actor, by: str, booking: Booking) -> str:
    if actor is not None:
        return ""
    return citizen_label(booking.citizen_phone) if by == "citizen" else by


def booking_reschedule(*, booking_id: int, starts_at: datetime) -> Booking:
    """Move an active appointment to another free slot of the same service; the
    reminders move with it."""
    now = timezone.now()
    with transaction.atomic():
        booking = _locked_active(booking_id)
        if booking.starts_at <= now:
            raise DomainError(
                _("This appointment has already started and can no longer be moved."),
                code="slot_past",
            )
        service = booking.service
        _check_open(service=service, starts_at=starts_at, now=now)
        _officials_lock(service=service)
        slot = slot_find(
            service=service, starts_at=starts_at, now=now, exclude_booking_id=booking.pk
        )
        if slot is None:
            raise _slot_taken(service=service, now=now, exclude_booking_id=booking.pk)
        previous = booking.starts_at
        booking.starts_at, booking.ends_at = slot.starts_at, slot.ends_at
        if not _place(booking=booking, slot=slot):
            raise _slot_taken(service=service, now=now, exclude_booking_id=booking.pk)
        _reminders_cancel(booking=booking)
        _reminders_schedule(booking=booking, now=now)
        _citizen_tell(
            booking=booking,
            template_key="appointment.moved",
            event=f"moved:{booking.starts_at:%Y%m%dT%H%M}",
        )
        audit_record(
            action="appointment.moved",
            object_type="appointment",
            object_id=booking.reference,
            actor_label=citizen_label(booking.citizen_phone),
            data={"from": previous.isoformat(), "to": booking.starts_at.isoformat()},
        )
    return booking


# A handful of papers to prepare a call, not a case file.
MAX_DOCUMENTS_PER_BOOKING = 10


def booking_documents_add(
    *, booking_id: int, uploaded_files: list, ip_address: str | None = None
) -> list[BookingDocument]:
    """The citizen sends documents for the official to read before the call.

    Each file is checked, scanned and kept as every upload (mizan.documents) before
    the booking's transaction, as the other uploads; a refusal names the file and what
    to do. Allowed while the appointment is active and not over.
    """
    from mizan.documents.services import attachment_store

    booking = Booking.objects.filter(pk=booking_id).first()
    _documents_allowed(booking=booking, adding=len(uploaded_files))
    attachments = [
        attachment_store(uploaded_file=uploaded, ip_address=ip_address)
        for uploaded in uploaded_files
    ]
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        # Checked again under the lock: two uploads at once stay within the limit.
        _documents_allowed(booking=booking, adding=len(attachments))
        now = timezone.now()
        documents = [
            BookingDocument.objects.create(booking=booking, attachment=a, uploaded_at=now)
            for a in attachments
        ]
        audit_record(
            action="appointment.documents_added",
            object_type="appointment",
            object_id=booking.reference,
            actor_label=citizen_label(booking.citizen_phone),
            ip_address=ip_address,
            data={
                "documents": [
                    {"sha256": a.sha256, "size": a.size, "scan": a.scan_status} for a in attachments
                ]
            },
        )
    return documents


def _documents_allowed(*, booking: Booking | None, adding: int) -> None:
    if booking is None:
        raise DomainError(_("We found no appointment with this reference."), code="not_found")
    if booking.status != Booking.Status.ACTIVE or booking.ends_at <= timezone.now():
        raise DomainError(
            _("Documents can be sent only for an appointment still to come."),
            code="booking_closed",
            field="documents",
        )
    if not adding:
        raise DomainError(
            _("Choose at least one file to send."), code="input_required", field="documents"
        )
    if booking.documents.count() + adding > MAX_DOCUMENTS_PER_BOOKING:
        raise DomainError(
            _(
                "An appointment can have at most %(limit)d documents: send the most "
                "useful ones, or bring the others to the call."
            )
            % {"limit": MAX_DOCUMENTS_PER_BOOKING},
            code="too_many_documents",
            field="documents",
        )


def booking_close(*, booking_id: int, status: str, actor, notes: str = "") -> Booking:
    """The official records how it went: held, or the citizen did not come."""
    if status not in (Booking.Status.HELD, Booking.Status.NO_SHOW):
        raise DomainError(_("Choose held or absent."), code="invalid_status")
    now = timezone.now()
    with transaction.atomic():
        booking = _locked_active(booking_id)
        if booking.starts_at > now:
            raise DomainError(
                _("An appointment can be marked held or missed only once it has started."),
                code="not_started",
            )
        booking.status = status
        booking.closed_at = now
        booking.closed_by = "official"
        if notes:
            booking.official_notes = notes
        booking.save(
            update_fields=["status", "closed_at", "closed_by", "official_notes", "updated_at"]
        )
        _reminders_cancel(booking=booking)
        audit_record(
            action=f"appointment.{status}",
            object_type="appointment",
            object_id=booking.reference,
            actor=actor,
        )
    return booking
