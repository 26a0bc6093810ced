"""Builders for appointment tests: a service with an official's hours and a campaign,
a controllable clock, and a citizen's booking — all through the models' admin-level
setup (services, hours) and the services (bookings)."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

from mizan.accounts.models import Role, Unit
from mizan.appointments.models import (
    AppointmentService,
    Availability,
    Campaign,
    WeeklyHours,
)
from mizan.appointments.services import booking_create

from .factories import staff

UTC = ZoneInfo("UTC")
MOROCCO = ZoneInfo("Africa/Casablanca")
# A Monday, a week before Morocco moves to UTC+0 for Ramadan (Sunday 7 February 2027,
# 03:00 → 02:00); it returns to UTC+1 on Sunday 14 March 2027.
MONDAY_BEFORE = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
FRIDAY_BEFORE_CHANGE = date(2027, 2, 5)  # UTC+1
MONDAY_AFTER_CHANGE = date(2027, 2, 8)  # UTC+0


class Clock:
    def __init__(self, monkeypatch, start: datetime):
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, moment: datetime) -> None:
        self.now = moment


def morocco(day: date, hour: int, minute: int = 0) -> datetime:
    """An instant given as Morocco's wall time, in UTC (what the database stores)."""
    return datetime.combine(day, time(hour, minute), tzinfo=MOROCCO).astimezone(UTC)


def service_setup(
    *,
    code: str = "family-law",
    unit_code: str = "MRE",
    officials: tuple[str, ...] = ("official",),
    starts_on: date = date(2027, 1, 15),
    ends_on: date = date(2027, 3, 31),
    duration: int = 30,
    buffer: int = 10,
) -> AppointmentService:
    service = AppointmentService.objects.create(
        unit=Unit.objects.get(code=unit_code),
        code=code,
        title_ar="أسئلة قانون الأسرة",
        title_fr="Questions de droit de la famille",
        title_en="Family law questions",
        duration_minutes=duration,
        roles=[Role.MAGISTRATE],
    )
    for username in officials:
        user = staff(username, unit_code, Role.MAGISTRATE)
        availability, _created = Availability.objects.get_or_create(
            official=user, defaults={"buffer_minutes": buffer}
        )
        for weekday in range(5):
            WeeklyHours.objects.get_or_create(
                availability=availability, weekday=weekday, starts_at=time(9), ends_at=time(12)
            )
    campaign = Campaign.objects.create(name="Été MRE", starts_on=starts_on, ends_on=ends_on)
    campaign.services.add(service)
    return service


def book(service, starts_at, *, phone="+15145550100", zone="America/Montreal", **extra):
    values = {
        "service": service,
        "starts_at": starts_at,
        "citizen_name": "Karima Test",
        "citizen_phone": phone,
        "country_of_residence": "CA",
        "time_zone": zone,
        "language": "fr",
        "subject": "Divorce prononcé à l'étranger : transcription au Maroc.",
    }
    values.update(extra)
    return booking_create(**values)
