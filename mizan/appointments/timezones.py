"""Time zones a citizen can choose, and the default for a country of residence.

Read from the `tzdata` package's zone.tab (the same zone data as the instants, whatever
the server's OS ships), so that a new release of the zone data needs no code change.
"""

from datetime import datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

MOROCCO_TIME_ZONE = "Africa/Casablanca"

# zone.tab lists a country's zones from east to west or north to south; where that first
# zone is not where most of the diaspora lives, the usual one.
USUAL_ZONE = {
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "ES": "Europe/Madrid",
    "MX": "America/Mexico_City",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "US": "America/New_York",
}


@cache
def _zone_table() -> dict[str, tuple[str, ...]]:
    text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    zones: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        country, _coordinates, name, *_comment = line.split("\t")
        zones.setdefault(country, []).append(name)
    return {country: tuple(names) for country, names in zones.items()}


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every zone a citizen may choose (one per populated area, sorted)."""
    names = {name for names in _zone_table().values() for name in names}
    names.add("UTC")
    return tuple(sorted(names))


def country_time_zones(country: str) -> tuple[str, ...]:
    return _zone_table().get((country or "").upper(), ())


def default_time_zone(country: str) -> str:
    country = (country or "").upper()
    if country in USUAL_ZONE:
        return USUAL_ZONE[country]
    zones = country_time_zones(country)
    return zones[0] if zones else MOROCCO_TIME_ZONE


@cache
def _every_zone() -> frozenset[str]:
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    """Any zone of the database, links included (America/Montreal is America/Toronto)."""
    return name in _every_zone()


def time_zone_choices(country: str = "", current: str = "") -> list[tuple[str, str]]:
    """The country's zones first, then all of them (a citizen may live elsewhere)."""
    first = list(country_time_zones(country))
    if current and current not in first and is_time_zone(current):
        first.insert(0, current)
    rest = [name for name in time_zone_names() if name not in first]
    return [(name, name.replace("_", " ")) for name in first + rest]


def local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


def sms_when(instant: datetime, zone: str) -> str:
    """The appointment's time for an SMS: ISO date (read the same way in every country),
    24-hour time and the zone's name, e.g. "2027-02-08 05:00 (America/Toronto)"."""
    moment = local(instant, zone)
    return f"{moment:%Y-%m-%d %H:%M} ({zone})"
