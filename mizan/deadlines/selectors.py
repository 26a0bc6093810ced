"""Reads of the holiday calendar, cached for the life of one `HolidayCalendar`."""

from datetime import date

from .calendar import fixed_holidays
from .models import Holiday


def holiday_rows_between(*, start: date, end: date) -> list[tuple[date, str]]:
    """(date, name) of the holidays entered in the database, start and end included."""
    return list(
        Holiday.objects.filter(date__range=(start, end))
        .order_by("date")
        .values_list("date", "name")
    )


def religious_holiday_exists(*, start: date, end: date) -> bool:
    return Holiday.objects.filter(date__range=(start, end), kind=Holiday.Kind.RELIGIOUS).exists()


class HolidayCalendar:
    """The non-working days of the years asked about, read once per year.

    One instance lives for one call, request or job, never for the process: a holiday
    an administrator saves then counts on the next request, on every app server, with
    nothing to invalidate. A page that computes many deadlines (a queue) creates one
    and passes it along, so the whole page costs one query per year it touches.
    """

    def __init__(self) -> None:
        self._rows: dict[int, dict[date, str]] = {}
        self._closed: dict[int, frozenset[date]] = {}

    def rows(self, year: int) -> dict[date, str]:
        if year not in self._rows:
            self._rows[year] = dict(
                holiday_rows_between(start=date(year, 1, 1), end=date(year, 12, 31))
            )
        return self._rows[year]

    def is_holiday(self, day: date) -> bool:
        closed = self._closed.get(day.year)
        if closed is None:
            closed = frozenset(fixed_holidays(day.year)) | frozenset(self.rows(day.year))
            self._closed[day.year] = closed
        return day in closed


def target_days_for(*, procedure: str, state) -> int | None:
    """The state's target in working days: the administrator's setting if there is one,
    else the workflow's default."""
    from .models import TargetDelay

    if state.terminal:
        return None
    row = TargetDelay.objects.filter(procedure=procedure, state=state.name).first()
    return row.working_days if row is not None else state.target_days
