"""Staff search over cases: one normalised text per case, matched word by word.

Arabic and French are folded the same way on both sides — Arabic diacritics and
tatweel removed, the forms of alef, taa marbuta and alef maqsura unified; Latin letters
lower-cased without accents — so that "شكاية" finds "شِكَايَة" and "Benani" finds
"BENANI". On PostgreSQL the words are matched with a GIN index on
`to_tsvector('simple', search_text)` (prefixes too: "ben" finds "Bennani"); on SQLite a
LIKE per word does the same job for a development database.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from mizan.core import references

from .models import Case
from .selectors import staff_unit_ids

ARABIC_MARKS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640]")
ARABIC_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        # Arabic-Indic and Persian digits, as phones type them: 06… whatever the keyboard.
        **{chr(0x0660 + digit): str(digit) for digit in range(10)},
        **{chr(0x06F0 + digit): str(digit) for digit in range(10)},
    }
)
WORD = re.compile(r"[\w+]+", re.UNICODE)


def normalise(text: str) -> str:
    text = ARABIC_MARKS.sub("", text or "")
    text = text.translate(ARABIC_FOLD)
    # Latin accents go (é → e); Arabic letters have no combining marks left to lose.
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(character for character in decomposed if not unicodedata.combining(character))
    return " ".join(WORD.findall(text.lower()))


def search_text_for(*, reference: str, filer_name: str, filer_phone: str, details: dict) -> str:
    """What staff may look a case up by: reference, names, ID numbers, phones, the facts."""
    parts = [reference, reference.replace("-", ""), filer_name, str(filer_phone)]
    phone = str(filer_phone)
    if phone.startswith("+212"):
        parts.append("0" + phone[4:])  # as Moroccans write it: 06…
    for key in (
        "id_number",
        "complainant_name",
        "facts",
        "place_detail",
        "organisation_name",
        "administration",
        "subject",
        "case_number",
        "surety",
    ):
        value = details.get(key)
        if isinstance(value, str):
            parts.append(value)
    # The people a request is about: the accused, the convicted or detained person, the
    # person a representative files for.
    people = list(details.get("accused") or [])
    people += [details.get(key) for key in ("convicted", "detainee", "concerned", "judgment")]
    for person in people:
        if isinstance(person, str):
            parts.append(person)
        elif isinstance(person, dict):
            parts.extend(str(value) for value in person.values() if isinstance(value, str))
    return normalise(" ".join(parts))[:20000]


def query_words(query: str) -> list[str]:
    return [word for word in normalise(query).split() if word][:8]


# A phone or ID number typed in pieces ("06 12 34 56 78", "+212 6-12…", "AB 123456") is
# one token in the search text, so the pieces are also tried joined together.
JOINED_TOKEN = re.compile(r"^(?:\+?\d+|[a-z]{1,2}\d+)$")
QUERY_MAX_LENGTH = 200


def _joined_token(query: str) -> str | None:
    # normalise() has already dropped the dashes, dots and brackets between the pieces.
    compact = normalise(query).replace(" ", "")
    if not JOINED_TOKEN.match(compact):
        return None
    # International forms as dialled from abroad or without the plus sign.
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif compact.startswith("212") and len(compact) == 12:
        compact = "+" + compact
    return compact


def _tsquery(words: list[str], joined: str | None) -> str:
    # Every word as a prefix ("benn" finds "bennani"). The words hold only letters,
    # digits, "_" and "+", none of which is a tsquery operator; the whole string still
    # goes to the database as one parameter.
    every_word = " & ".join(f"{word}:*" for word in words)
    if joined and joined not in words:
        return f"{joined}:* | ({every_word})" if every_word else f"{joined}:*"
    return every_word


def _full_text_match(tsquery: str) -> RawSQL:
    # Written exactly as the expression of case_search_idx (migration 0004) so that the
    # planner can use the GIN index; Django's SearchVector would wrap the column in
    # COALESCE and miss it.
    column = f"{connection.ops.quote_name(Case._meta.db_table)}.search_text"
    return RawSQL(
        f"to_tsvector('simple'::regconfig, {column}) @@ to_tsquery('simple'::regconfig, %s)",
        (tsquery,),
        output_field=BooleanField(),
    )


def case_search(*, user, query: str, limit: int = 50) -> list[Case]:
    """The cases the user may see that match every word of the query, most recent first.

    A complete reference opens that one case; otherwise the words are looked up in the
    cases' search text (see the module's docstring).
    """
    query = (query or "").strip()[:QUERY_MAX_LENGTH]
    if not query:
        return []
    visible = (
        Case.objects.filter(unit_id__in=staff_unit_ids(user=user))
        .select_related("unit", "unit__court", "unit__region")
        .only(
            "id",
            "reference",
            "procedure",
            "status",
            "submitted_at",
            "filer_name",
            "unit__id",
            "unit__kind",
            "unit__court__name_fr",
            "unit__court__name_ar",
            "unit__region__name_fr",
            "unit__region__name_ar",
        )
    )
    reference = references.canonical(query)
    if reference is not None:
        return list(visible.filter(reference=reference))
    matching = _matching(visible, query)
    if matching is None:
        return []
    return list(matching.order_by("-submitted_at", "-id")[:limit])


def _matching(cases: QuerySet[Case], query: str) -> QuerySet[Case] | None:
    """The cases whose search text has every word of the query (None: nothing to look for)."""
    # A "word" of only "+" or "_" has no lexeme: PostgreSQL would drop it from the query.
    words = [word for word in query_words(query) if any(c.isalnum() for c in word)]
    joined = _joined_token(query)
    if not words and not joined:
        return None
    if connection.vendor == "postgresql":
        return cases.filter(_full_text_match(_tsquery(words, joined)))
    every_word = Q()
    for word in words:
        every_word &= Q(search_text__contains=word)
    if joined and joined not in words:
        return cases.filter(Q(search_text__contains=joined) | every_word)
    return cases.filter(every_word)
