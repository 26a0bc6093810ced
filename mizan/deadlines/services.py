"""Working-day deadlines: the public administration's week minus public holidays.

A working day is Monday to Friday, unless it is a fixed national holiday
(`calendar.py`) or a holiday entered in the database (the religious ones). Days are
calendar dates in Morocco's legal time (Africa/Casablanca), so a request filed at
23:30 on a Friday in Casablanca counts from that Friday, whatever the UTC date.

Every function takes an optional `holidays` (a `HolidayCalendar`): pass one to share
its reads across many calls (a queue page); without it each call reads afresh.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mizan.core.audit import audit_record
from mizan.core.errors import DomainError

from .calendar import MOROCCO_TZ, WORKING_WEEKDAYS, fixed_holiday_name, fixed_holidays
from .expected import EXPECTED_RELIGIOUS_HOLIDAYS, SIGHTING_MARGIN_DAYS
from .models import Holiday
from .selectors import HolidayCalendar, religious_holiday_exists

ONE_DAY = timedelta(days=1)

OVERDUE = "overdue"
SOON = "soon"
OK = "ok"
DEADLINE_STATUS_LABELS = {
    OVERDUE: _("overdue"),
    SOON: _("due soon"),
    OK: _("on time"),
}


def _calendar(holidays: HolidayCalendar | None) -> HolidayCalendar:
    return HolidayCalendar() if holidays is None else holidays


def _require_date(value, argument: str) -> None:
    # A datetime is a date too, but it would never equal a holiday's date: refuse it
    # rather than silently count every day as working.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{argument} must be a date, not {type(value).__name__}")


def _require_aware(value: datetime, argument: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{argument} must be an aware datetime")


def is_working_day(day: date, *, holidays: HolidayCalendar | None = None) -> bool:
    _require_date(day, "day")
    return day.weekday() in WORKING_WEEKDAYS and not _calendar(holidays).is_holiday(day)


def working_days_add(start: date, days: int, *, holidays: HolidayCalendar | None = None) -> date:
    """The date `days` working days after `start` (start itself is not counted).

    With days=0: start if it is a working day, else the next working day.
    """
    _require_date(start, "start")
    if days < 0:
        raise ValueError("days must be zero or more")
    holidays = _calendar(holidays)
    day = start
    if days == 0:
        while not is_working_day(day, holidays=holidays):
            day += ONE_DAY
        return day
    remaining = days
    while remaining:
        day += ONE_DAY
        if is_working_day(day, holidays=holidays):
            remaining -= 1
    return day


def working_days_between(start: date, end: date, *, holidays: HolidayCalendar | None = None) -> int:
    """Working days after `start` up to and including `end`; negative if end < start."""
    _require_date(start, "start")
    _require_date(end, "end")
    holidays = _calendar(holidays)
    if end < start:
        return -working_days_between(end, start, holidays=holidays)
    count = 0
    day = start
    while day < end:
        day += ONE_DAY
        if is_working_day(day, holidays=holidays):
            count += 1
    return count


def deadline_for(
    start: datetime, working_days: int, *, holidays: HolidayCalendar | None = None
) -> datetime:
    """The end (23:59:59.999999, Casablanca time) of the working day `working_days`
    after the local date of `start`; aware."""
    _require_aware(start, "start")
    local_day = start.astimezone(MOROCCO_TZ).date()
    due_day = working_days_add(local_day, working_days, holidays=holidays)
    return datetime.combine(due_day, time.max, tzinfo=MOROCCO_TZ)


def deadline_status(
    due_at: datetime | None,
    now: datetime,
    soon_days: int = 2,
    *,
    holidays: HolidayCalendar | None = None,
) -> str:
    """ "overdue" once `now` is past `due_at`; "soon" when at most `soon_days` working
    days remain before the (local) due date; "ok" otherwise; "" without a deadline."""
    if due_at is None:
        return ""
    _require_aware(due_at, "due_at")
    _require_aware(now, "now")
    if now > due_at:
        return OVERDUE
    today = now.astimezone(MOROCCO_TZ).date()
    due_day = due_at.astimezone(MOROCCO_TZ).date()
    # working_days_between(today, due_day) <= soon_days, without walking up to a due
    # date that may be months away: the due date comes before the working day that
    # would be one too many.
    if due_day < working_days_add(today, soon_days + 1, holidays=holidays):
        return SOON
    return OK


def holidays_between(
    start: date, end: date, *, holidays: HolidayCalendar | None = None
) -> list[tuple[date, str]]:
    """(date, name in the active language) of the public holidays from start to end,
    both included, in date order; weekends are not listed."""
    _require_date(start, "start")
    _require_date(end, "end")
    holidays = _calendar(holidays)
    listed: list[tuple[date, str]] = []
    for year in range(start.year, end.year + 1):
        for day, fixed_name in fixed_holidays(year).items():
            if start <= day <= end:
                listed.append((day, str(fixed_name)))
        for day, entered_name in holidays.rows(year).items():
            # Names loaded by `load_holidays` are source text marked for translation;
            # a name an administrator typed has no catalogue entry and shows as typed.
            name = gettext(entered_name)
            if start <= day <= end and (day, name) not in listed:
                listed.append((day, name))
    listed.sort(key=lambda holiday: holiday[0])
    return listed


def holiday_check(*, day: date, name: str, kind: str) -> str:
    """The cleaned name, or a DomainError saying what to correct (the admin form shows
    it on the field)."""
    _require_date(day, "day")
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the holiday a name."), code="holiday_name_missing", field="name")
    if kind not in Holiday.Kind.values:
        raise DomainError(
            _("Choose whether the holiday is national or religious."),
            code="holiday_kind_invalid",
            field="kind",
        )
    fixed_name = fixed_holiday_name(day)
    if kind == Holiday.Kind.FIXED and fixed_name is not None:
        raise DomainError(
            _("%(date)s is already a national holiday (%(name)s); it needs no entry.")
            % {"date": day.isoformat(), "name": fixed_name},
            code="holiday_already_fixed",
            field="date",
        )
    return name


def holiday_save(*, day: date, name: str, kind: str, confirmed: bool, user=None) -> Holiday:
    """Enter or correct the holiday on `day` (one holiday per date)."""
    name = holiday_check(day=day, name=name, kind=kind)
    with transaction.atomic():
        holiday, created = Holiday.objects.select_for_update().get_or_create(
            date=day, defaults={"name": name, "kind": kind, "confirmed": confirmed}
        )
        previous = None
        if not created:
            previous = {"name": holiday.name, "kind": holiday.kind, "confirmed": holiday.confirmed}
            holiday.name, holiday.kind, holiday.confirmed = name, kind, confirmed
            holiday.save(update_fields=["name", "kind", "confirmed", "updated_at"])
        audit_record(
            action="holiday.saved",
            object_type="holiday",
            object_id=str(day),
            actor=user,
            data={
                "name": name,
                "kind": kind,
                "confirmed": confirmed,
                "created": created,
                "previous": previous,
            },
        )
    return holiday


def holiday_delete(*, holiday: Holiday, user=None) -> None:
    """Remove an entry (a date entered by mistake); audited like a save."""
    with transaction.atomic():
        audit_record(
            action="holiday.deleted",
            object_type="holiday",
            object_id=str(holiday.date),
            actor=user,
            data={"name": holiday.name, "kind": holiday.kind, "confirmed": holiday.confirmed},
        )
        holiday.delete()


@dataclass(frozen=True)
class ExpectedHolidaysLoad:
    days_created: int
    occasions_present: int


def holiday_load_expected(*, user=None) -> ExpectedHolidaysLoad:
    """Enter the expected religious holidays (unconfirmed) that are not entered yet.

    An occasion with any religious entry within a few days of its expected dates is
    left alone: it was loaded before, or an administrator already entered the date the
    Ministry announced, which must not gain a stray estimated neighbour. Running it
    again changes nothing.
    """
    margin = timedelta(days=SIGHTING_MARGIN_DAYS)
    created = present = 0
    for occasion in EXPECTED_RELIGIOUS_HOLIDAYS:
        first, last = occasion[0][0], occasion[-1][0]
        with transaction.atomic():
            if religious_holiday_exists(start=first - margin, end=last + margin):
                present += 1
                continue
            for day, name in occasion:
                holiday_save(
                    day=day, name=name, kind=Holiday.Kind.RELIGIOUS, confirmed=False, user=user
                )
                created += 1
    return ExpectedHolidaysLoad(days_created=created, occasions_present=present)
