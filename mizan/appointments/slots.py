"""Slots: the instants at which a service can be booked, from officials' weekly hours.

Weekly hours are wall-clock times in Morocco; each day's hours become instants through
the time-zone database (Africa/Casablanca), so a 10:00 slot stays at 10:00 in Morocco
across the legal time changes around Ramadan, while its UTC instant (what is stored)
and its time for a citizen abroad move by an hour.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from mizan.deadlines.selectors import HolidayCalendar

from .models import AppointmentService, Availability, Booking, Campaign
from .timezones import MOROCCO_TIME_ZONE

MOROCCO = ZoneInfo(MOROCCO_TIME_ZONE)
# How many days ahead the citizen is offered slots.
HORIZON_DAYS = 14


@dataclass
class Slot:
    starts_at: datetime  # UTC
    ends_at: datetime
    official_ids: list[int] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The slot as a form value: its UTC instant."""
        return self.starts_at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%MZ")


def slot_key_parse(key: str) -> datetime | None:
    try:
        return datetime.strptime(key, "%Y-%m-%dT%H:%MZ").replace(tzinfo=ZoneInfo("UTC"))
    except (TypeError, ValueError):
        return None


def morocco_today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(MOROCCO).date()


def open_campaigns(*, service: AppointmentService, now: datetime | None = None):
    """The service's campaigns open today (Morocco's date)."""
    today = morocco_today(now)
    return Campaign.objects.filter(services=service, starts_on__lte=today, ends_on__gte=today)


def service_is_open(*, service: AppointmentService, now: datetime | None = None) -> bool:
    return service.is_active and open_campaigns(service=service, now=now).exists()


def service_officials(*, service: AppointmentService) -> list[Availability]:
    """The availabilities of the unit's members who hold the service."""
    return list(
        Availability.objects.filter(
            is_active=True,
            official__is_active=True,
            official__memberships__unit=service.unit_id,
            official__memberships__role__in=list(service.roles or []),
        )
        .distinct()
        .select_related("official")
        .prefetch_related("weekly_hours", "leaves")
        .order_by("official_id")
    )


def _booked(official_ids, start: datetime, end: datetime, exclude_booking_id=None):
    busy = defaultdict(list)
    rows = Booking.objects.filter(
        official_id__in=official_ids,
        status=Booking.Status.ACTIVE,
        starts_at__lt=end,
        ends_at__gt=start,
    )
    if exclude_booking_id is not None:
        rows = rows.exclude(pk=exclude_booking_id)
    for official_id, starts_at, ends_at in rows.values_list("official_id", "starts_at", "ends_at"):
        busy[official_id].append((starts_at, ends_at))
    return busy


def service_slots(
    *,
    service: AppointmentService,
    now: datetime | None = None,
    days: int = HORIZON_DAYS,
    only_day: date | None = None,
    exclude_booking_id: int | None = None,
) -> list[Slot]:
    """Free slots of the service from now, within the open campaigns' periods.

    `exclude_booking_id`: a booking being moved does not block its own official.
    """
    now = now or timezone.now()
    campaigns = list(open_campaigns(service=service, now=now))
    if not service.is_active or not campaigns:
        return []
    today = morocco_today(now)
    last = min(max(c.ends_on for c in campaigns), today + timedelta(days=days))
    if only_day is not None:
        if not today <= only_day <= last:
            return []
        first_day, last = only_day, only_day
    else:
        first_day = today
    officials = service_officials(service=service)
    if not officials:
        return []
    duration = timedelta(minutes=service.duration_minutes)
    window_start = datetime.combine(first_day, datetime.min.time(), tzinfo=MOROCCO)
    window_end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=MOROCCO)
    busy = _booked([a.official_id for a in officials], window_start, window_end, exclude_booking_id)
    holidays = HolidayCalendar()
    slots: dict[datetime, Slot] = {}
    day = first_day
    while day <= last:
        in_campaign = any(c.starts_on <= day <= c.ends_on for c in campaigns)
        if in_campaign and not holidays.is_holiday(day):
            for availability in officials:
                _day_slots(availability, day, duration, now, busy, slots)
        day += timedelta(days=1)
    return [slots[instant] for instant in sorted(slots)]


def _day_slots(availability, day, duration, now, busy, slots) -> None:
    if any(leave.starts_on <= day <= leave.ends_on for leave in availability.leaves.all()):
        return
    buffer = timedelta(minutes=availability.buffer_minutes)
    taken = busy.get(availability.official_id, [])
    for hours in availability.weekly_hours.all():
        if hours.weekday != day.weekday():
            continue
        # Wall-clock arithmetic in Morocco's zone; the instant is resolved per slot.
        moment = datetime.combine(day, hours.starts_at, tzinfo=MOROCCO)
        close = datetime.combine(day, hours.ends_at, tzinfo=MOROCCO)
        while moment + duration <= close:
            start = moment.astimezone(ZoneInfo("UTC"))
            end = start + duration
            free = all(
                end + buffer <= b_start or start >= b_end + buffer for b_start, b_end in taken
            )
            if start > now and free:
                slot = slots.setdefault(start, Slot(starts_at=start, ends_at=end))
                slot.official_ids.append(availability.official_id)
            moment += duration + buffer


def slot_find(
    *, service: AppointmentService, starts_at: datetime, now=None, exclude_booking_id=None
) -> Slot | None:
    day = starts_at.astimezone(MOROCCO).date()
    for slot in service_slots(
        service=service, now=now, only_day=day, exclude_booking_id=exclude_booking_id
    ):
        if slot.starts_at == starts_at:
            return slot
    return None
