"""Reads and visibility: what a citizen may book and see, what an official may see."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from mizan.accounts.models import Membership, Role
from mizan.core import references
from mizan.reference.models import Institution

from .models import AppointmentService, Booking, Campaign
from .slots import MOROCCO, morocco_today


def services_open(*, now: datetime | None = None, institution: str | None = None):
    """Services with a campaign open today."""
    today = morocco_today(now)
    services = AppointmentService.objects.filter(
        is_active=True, campaigns__starts_on__lte=today, campaigns__ends_on__gte=today
    ).select_related("unit__institution")
    if institution is not None:
        services = services.filter(unit__institution_id=institution)
    return services.distinct().order_by("unit__institution_id", "code")


def institutions_open(*, now: datetime | None = None) -> list[Institution]:
    codes = {service.unit.institution_id for service in services_open(now=now)}
    return list(Institution.objects.filter(code__in=codes).order_by("code"))


def services_with_coming_campaigns(
    *, institution: str | None = None, code: str | None = None
) -> QuerySet[AppointmentService]:
    """Every active service, open now or not, each with `coming_campaigns`: its campaigns
    that have not ended (Morocco's date), earliest first — what a citizen needs to know
    when booking opens."""
    rows = AppointmentService.objects.filter(is_active=True).select_related("unit__institution")
    if institution is not None:
        rows = rows.filter(unit__institution_id=institution)
    if code is not None:
        rows = rows.filter(code=code)
    coming = Prefetch(
        "campaigns",
        queryset=Campaign.objects.filter(ends_on__gte=morocco_today()).order_by("starts_on"),
        to_attr="coming_campaigns",
    )
    return rows.prefetch_related(coming).order_by("unit__institution_id", "code")


def service_with_coming_campaigns(*, code: str) -> AppointmentService | None:
    return services_with_coming_campaigns(code=code).first()


def service_by_code(*, code: str) -> AppointmentService | None:
    """A service, active or not (the booking pages say when it is closed)."""
    return AppointmentService.objects.select_related("unit__institution").filter(code=code).first()


def booking_for_citizen(*, reference: str, phone: str) -> Booking | None:
    """The booking if it was made with this phone; None otherwise — whether it does not
    exist or is another phone's is not told."""
    canonical = references.canonical(reference)
    if canonical is None:
        return None
    return (
        Booking.objects.filter(reference=canonical, citizen_phone=phone)
        .select_related("service__unit__institution", "case")
        .first()
    )


def bookings_for_phone_page(
    *, phone: str, after: tuple[datetime, int] | None, limit: int
) -> tuple[list[Booking], bool]:
    """The bookings made with this phone, whatever their status, newest first, strictly
    after the row `after` (its `created_at` and id: a stable keyset, not an offset);
    and whether more follow."""
    rows = Booking.objects.filter(citizen_phone=phone).select_related(
        "service__unit__institution", "case"
    )
    if after is not None:
        at, pk = after
        rows = rows.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    items = list(rows.order_by("-created_at", "-id")[: limit + 1])
    return items[:limit], len(items) > limit


def booking_by_reference(*, reference: str) -> Booking | None:
    return (
        Booking.objects.filter(reference=reference)
        .select_related("service__unit__institution", "official")
        .first()
    )


def _headed_units(user) -> list[int]:
    return list(
        Membership.objects.filter(user=user, role=Role.UNIT_HEAD).values_list("unit_id", flat=True)
    )


def staff_bookings(*, user):
    """The official's own appointments, and a unit head's whole unit's."""
    return Booking.objects.filter(
        Q(official=user) | Q(service__unit_id__in=_headed_units(user))
    ).select_related("service__unit__institution", "official", "case")


def agenda(*, user, now: datetime | None = None) -> dict[str, list[Booking]]:
    """Today's appointments (Morocco's day, whatever their status) and the next ones."""
    now = now or timezone.now()
    today = morocco_today(now)
    start = datetime.combine(today, datetime.min.time(), tzinfo=MOROCCO)
    tomorrow = start + timedelta(days=1)
    rows = staff_bookings(user=user)
    return {
        "today": list(rows.filter(starts_at__gte=start, starts_at__lt=tomorrow)),
        "upcoming": list(rows.filter(starts_at__gte=tomorrow, status=Booking.Status.ACTIVE)[:200]),
    }


def staff_booking(*, user, reference: str) -> Booking | None:
    return staff_bookings(user=user).filter(reference=reference).first()


def unit_capacity(*, user, now: datetime | None = None) -> list[dict]:
    """For a unit head: each service of the units they head, with its free slots and
    active bookings over the booking horizon (what the citizens can still book)."""
    from .slots import HORIZON_DAYS, service_slots

    now = now or timezone.now()
    horizon = now + timedelta(days=HORIZON_DAYS)
    rows = []
    services = AppointmentService.objects.filter(
        unit_id__in=_headed_units(user), is_active=True
    ).select_related("unit")
    for service in services:
        free = sum(len(slot.official_ids) for slot in service_slots(service=service, now=now))
        booked = Booking.objects.filter(
            service=service,
            status=Booking.Status.ACTIVE,
            starts_at__gte=now,
            starts_at__lt=horizon,
        ).count()
        rows.append({"service": service, "free": free, "booked": booked})
    return rows
