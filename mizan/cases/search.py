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

ARABIC_MARKS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640]")
ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
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
    for key in ("id_number", "complainant_name", "facts", "place_detail", "organisation_name"):
        value = details.get(key)
        if isinstance(value, str):
            parts.append(value)
    for person in details.get("accused") or []:
        if isinstance(person, dict):
            parts.extend(str(value) for value in person.values() if isinstance(value, str))
    return normalise(" ".join(parts))[:20000]


def query_words(query: str) -> list[str]:
    return [word for word in normalise(query).split() if word][:8]
