"""Staff search: find a case by reference, names, ID number, phone or words of the facts."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from mizan.cases.search import QUERY_MAX_LENGTH, case_search
from mizan.core.audit import audit_record
from mizan.core.http import client_ip

from .access import staff_required

RESULTS_LIMIT = 50


@staff_required
@require_GET
def search(request):
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    cases = case_search(user=request.user, query=query, limit=RESULTS_LIMIT) if query else []
    if query:
        # The results show names and phone-bearing cases: who looked for what is recorded,
        # as for opening a case.
        audit_record(
            action="case.searched",
            object_type="search",
            object_id=query[:64],
            actor=request.user,
            ip_address=client_ip(request),
            data={"results": len(cases)},
        )
    return render(
        request,
        "backoffice/search.html",
        {
            "query": query,
            "cases": cases,
            "limited": len(cases) >= RESULTS_LIMIT,
            "query_max_length": QUERY_MAX_LENGTH,
        },
    )
