"""Country names in the reader's language, from the iso-codes catalogues that
pycountry ships (no list of our own to translate and keep up to date)."""

import gettext
from functools import cache

import pycountry
from django.utils.translation import get_language

# Morocco first: most filers live there. Western Sahara ("EH") is not offered, as
# the reference data's README asks.
EXCLUDED = {"EH"}


@cache
def _translator(language: str):
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


@cache
def _choices(language: str) -> tuple[tuple[str, str], ...]:
    translate = _translator(language).gettext
    names = [
        (country.alpha_2, translate(country.name))
        for country in pycountry.countries
        if country.alpha_2 not in EXCLUDED
    ]
    names.sort(key=lambda item: item[1])
    morocco = [item for item in names if item[0] == "MA"]
    return tuple(morocco + [item for item in names if item[0] != "MA"])


def country_choices() -> list[tuple[str, str]]:
    return list(_choices((get_language() or "en")[:2]))


def country_name(code: str) -> str:
    return dict(_choices((get_language() or "en")[:2])).get(code, code)
