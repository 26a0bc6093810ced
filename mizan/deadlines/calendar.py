"""Morocco's legal time and its fixed national public holidays.

Fixed holidays fall on the same Gregorian date every year, so they need no database
rows. The religious holidays move with the lunar calendar: they are `Holiday` rows,
entered each year by an administrator (see docs/deadlines.md).
"""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Morocco's legal time (UTC+1, back to UTC+0 during Ramadan): deadlines are counted on
# the local calendar date, whatever the server's clock or the viewer's time zone says.
MOROCCO_TZ = ZoneInfo("Africa/Casablanca")

# The public administration works Monday to Friday (date.weekday(): Monday is 0).
WORKING_WEEKDAYS = frozenset(range(5))


@dataclass(frozen=True)
class FixedHoliday:
    month: int
    day: int
    name: Promise
    # First year the holiday was observed, when that is within the platform's lifetime.
    since: int | None = None

    def falls_in(self, year: int) -> bool:
        return self.since is None or year >= self.since


FIXED_HOLIDAYS: tuple[FixedHoliday, ...] = (
    FixedHoliday(1, 1, _("New Year's Day")),
    FixedHoliday(1, 11, _("Proclamation of Independence Manifesto Day")),
    # Yennayer became a paid public holiday by royal decision in May 2023, first
    # observed on 14 January 2024.
    FixedHoliday(1, 14, _("Amazigh New Year (Yennayer)"), since=2024),
    FixedHoliday(5, 1, _("Labour Day")),
    FixedHoliday(7, 30, _("Throne Day")),
    FixedHoliday(8, 14, _("Oued Ed-Dahab Day")),
    FixedHoliday(8, 20, _("Revolution of the King and the People Day")),
    FixedHoliday(8, 21, _("Youth Day")),
    FixedHoliday(11, 6, _("Green March Day")),
    FixedHoliday(11, 18, _("Independence Day")),
)


def fixed_holidays(year: int) -> dict[date, Promise]:
    """The fixed national holidays of `year`, date -> (lazily translated) name."""
    return {
        date(year, holiday.month, holiday.day): holiday.name
        for holiday in FIXED_HOLIDAYS
        if holiday.falls_in(year)
    }


def fixed_holiday_name(day: date) -> Promise | None:
    return fixed_holidays(day.year).get(day)
