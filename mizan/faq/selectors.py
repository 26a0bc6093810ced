from mizan.cases.search import query_words

from .models import FaqEntry


def faq_search(*, query: str = "", institution: str = "", limit: int = 50) -> list[FaqEntry]:
    """Published entries, in every language, matching all the words of the query
    (normalised as staff search is: case, Arabic diacritics and letter forms)."""
    entries = FaqEntry.objects.filter(is_published=True)
    if institution:
        entries = entries.filter(institution=institution)
    for word in query_words(query):
        entries = entries.filter(search_text__contains=word)
    return list(entries.order_by("-published_at")[:limit])
