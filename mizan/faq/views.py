from django.shortcuts import render

from mizan.procedures.question import QUESTION_INSTITUTIONS

from .selectors import faq_search


def faq(request):
    """The public FAQ: answered questions, searchable in Arabic, French and English."""
    query = request.GET.get("q", "")[:200]
    institution = request.GET.get("institution", "")
    if institution not in dict(QUESTION_INSTITUTIONS):
        institution = ""
    return render(
        request,
        "faq/faq.html",
        {
            "entries": faq_search(query=query, institution=institution),
            "query": query,
            "institution": institution,
            "institutions": QUESTION_INSTITUTIONS,
        },
    )
