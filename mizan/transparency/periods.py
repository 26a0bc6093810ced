"""Calendar months in Morocco's legal time: the unit of every published figure.

A request filed at 00:30 on 1 March in Casablanca belongs to March, whatever the UTC
date says; months are `date` objects on their first day, and their bounds aware
datetimes at local midnight.
"""

from collections.abc import Iterator
from datetime import date, datetime

from django.utils import timezone

from mizan.deadlines.calendar import MOROCCO_TZ


def month_of(moment: datetime) -> date:
    local = moment.astimezone(MOROCCO_TZ)
    return date(local.year, local.month, 1)


def current_month() -> date:
    return month_of(timezone.now())


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_start(month: date) -> datetime:
    """Local midnight on the month's first day (aware)."""
    return datetime(month.year, month.month, 1, tzinfo=MOROCCO_TZ)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of the month, aware."""
    return month_start(month), month_start(add_months(month, 1))


def months_between(first: date, last: date) -> Iterator[date]:
    """Every month from first to last, both included."""
    month = first
    while month <= last:
        yield month
        month = add_months(month, 1)


def parse_month(text: str) -> date:
    """ "2026-03" -> date(2026, 3, 1); ValueError otherwise."""
    year, month = text.split("-")
    if len(year) != 4 or len(month) != 2:
        raise ValueError(text)
    return date(int(year), int(month), 1)
