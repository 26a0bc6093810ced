"""Staff search: by reference, names, CIN, phone and facts, within the user's units only."""

import pytest
from django.db import connection
from django.test import Client

from mizan.accounts.models import Role
from mizan.cases.search import case_search
from mizan.cases.services import case_submit
from mizan.core.models import AuditEntry
from mizan.reference.models import Commune

from .factories import CASABLANCA, complaint_details, file_complaint, verified_login

RABAT = "04.421.01.0"


def complaint(*, commune_code: str = CASABLANCA, **details):
    """A complaint filed through the service, with the given details (facts, CIN…)."""
    commune = Commune.objects.get(code=commune_code)
    return case_submit(
        procedure="complaint",
        filer_name=details.pop("name", "Amina Test"),
        filer_phone=details.pop("phone", "+212612345678"),
        language="fr",
        commune=commune,
        details=complaint_details(commune, **details),
    ).case


def references(cases) -> set[str]:
    return {case.reference for case in cases}


def test_only_the_cases_the_user_may_see_are_found(office):
    mine = complaint(facts="Vol de sacoche au marché central")
    theirs = complaint(commune_code=RABAT, facts="Vol de sacoche au marché central")
    clerk, outsider = office["clerk"], office["outsider"]
    assert references(case_search(user=clerk, query="sacoche marche")) == {mine.reference}
    assert references(case_search(user=outsider, query="sacoche")) == {theirs.reference}
    # Even the exact reference of another unit's case finds nothing.
    assert case_search(user=clerk, query=theirs.reference) == []
    assert references(case_search(user=clerk, query=mine.reference)) == {mine.reference}
    # Typed loosely, as read from an SMS: lower case, without hyphens.
    loose = mine.reference.replace("-", "").lower()
    assert references(case_search(user=clerk, query=loose)) == {mine.reference}


def test_an_auditor_finds_nothing(office):
    from .factories import staff

    complaint(facts="sacoche")
    auditor = staff("auditor", "PROS-TPI_CASA_PENAL", Role.AUDITOR)
    assert case_search(user=auditor, query="sacoche") == []


def test_arabic_facts_are_found_whatever_the_diacritics_and_letter_forms(office):
    case = complaint(facts="سُرِقَ هاتفي في المحطة")
    clerk = office["clerk"]
    for query in ("سرق", "هاتفى", "المحطة", "المحطه", "سَرَق هاتف"):
        assert references(case_search(user=clerk, query=query)) == {case.reference}, query
    assert case_search(user=clerk, query="سيارة") == []


def test_a_french_name_is_found_without_its_accents(office):
    case = complaint(name="Karim Bénani")
    clerk = office["clerk"]
    for query in ("benani", "BENANI", "Bénani", "karim benani", "bén"):
        assert references(case_search(user=clerk, query=query)) == {case.reference}, query
    assert case_search(user=clerk, query="benani youssef") == []


def test_a_prefix_finds_the_name(office):
    case = complaint(name="Youssef Bennani")
    assert references(case_search(user=office["clerk"], query="benn")) == {case.reference}


def test_the_id_number_finds_the_case(office):
    case = complaint(id_number="BK765432")
    other = complaint(id_number="BK111111")
    clerk = office["clerk"]
    for query in ("BK765432", "bk765432", "BK 765432"):
        assert references(case_search(user=clerk, query=query)) == {case.reference}, query
    assert other.reference not in references(case_search(user=clerk, query="BK765432"))


@pytest.mark.parametrize(
    "query",
    [
        "+212661234567",
        "+212 6 61 23 45 67",
        "+212-661-23-45-67",
        "0661234567",
        "06 61 23 45 67",
        "06.61.23.45.67",
        "00212661234567",
        "٠٦٦١٢٣٤٥٦٧",  # Arabic-Indic digits, as an Arabic keyboard types them
    ],
)
def test_the_phone_finds_the_case_however_it_is_typed(office, query):
    case = complaint(phone="+212661234567")
    complaint(phone="+212700000000")
    assert references(case_search(user=office["clerk"], query=query)) == {case.reference}


def test_most_recent_first_and_limited(office):
    first = file_complaint(name="Nadia Alaoui").case
    second = file_complaint(name="Nadia Alaoui").case
    clerk = office["clerk"]
    found = case_search(user=clerk, query="alaoui")
    assert [case.reference for case in found] == [second.reference, first.reference]
    assert len(case_search(user=clerk, query="alaoui", limit=1)) == 1


def test_the_results_carry_what_the_list_shows(office, django_assert_num_queries):
    complaint(name="Nadia Alaoui")
    complaint(name="Nadia Alaoui", phone="+212661234567")
    found = case_search(user=office["clerk"], query="alaoui")
    with django_assert_num_queries(0):
        rows = [
            (
                case.reference,
                case.get_procedure_display(),
                case.get_status_display(),
                case.filer_name,
                case.submitted_at,
                str(case.unit),
            )
            for case in found
        ]
    assert len(rows) == 2 and rows[0][3] == "Nadia Alaoui"


@pytest.mark.parametrize("query", ["", "   ", "+", "- / .", "«»"])
def test_a_blank_query_finds_nothing(office, query):
    file_complaint()
    assert case_search(user=office["clerk"], query=query) == []


def test_tsquery_operators_in_the_query_are_harmless(office):
    case = complaint(facts="Vol de sacoche")
    clerk = office["clerk"]
    for query in ("sacoche & !", "sacoche | vol", "sacoche:* <-> (", "'sacoche'", "sac%", "sac_"):
        found = case_search(user=clerk, query=query)
        assert references(found) <= {case.reference}, query
    assert references(case_search(user=clerk, query="sacoche & !")) == {case.reference}


# --- the page -------------------------------------------------------------------------------


def agent_client(user) -> Client:
    return verified_login(Client(), user)


def test_the_page_lists_the_results_and_audits_the_search(office):
    case = complaint(name="Youssef Bennani")
    client = agent_client(office["clerk"])
    response = client.get("/fr/backoffice/search/", {"q": "bennani"})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/fr/backoffice/cases/{case.reference}/"' in page
    assert "Youssef Bennani" in page and 'dir="auto"' in page and 'type="search"' in page
    entry = AuditEntry.objects.get(action="case.searched")
    assert entry.object_type == "search" and entry.object_id == "bennani"
    assert entry.actor == office["clerk"] and entry.data == {"results": 1}


def test_the_audit_keeps_the_first_64_characters_of_the_query(office):
    client = agent_client(office["clerk"])
    query = "x" * 100
    assert client.get("/fr/backoffice/search/", {"q": query}).status_code == 200
    entry = AuditEntry.objects.get(action="case.searched")
    assert entry.object_id == query[:64] and entry.data == {"results": 0}


def test_the_page_without_a_query_shows_the_form_only(office):
    client = agent_client(office["clerk"])
    response = client.get("/fr/backoffice/search/")
    assert response.status_code == 200 and 'name="q"' in response.content.decode()
    assert not AuditEntry.objects.filter(action="case.searched").exists()


def test_the_page_escapes_the_query(office):
    client = agent_client(office["clerk"])
    query = '<script>alert("x")</script>'
    page = client.get("/fr/backoffice/search/", {"q": query}).content.decode()
    assert query not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_the_page_does_not_show_another_unit_case(office):
    theirs = complaint(commune_code=RABAT, name="Youssef Bennani")
    page = agent_client(office["clerk"]).get("/fr/backoffice/search/", {"q": theirs.reference})
    html = page.content.decode()
    assert f"/cases/{theirs.reference}/" not in html and "Bennani" not in html


def test_the_staff_nav_offers_the_search(office):
    page = agent_client(office["clerk"]).get("/fr/backoffice/").content.decode()
    assert 'action="/fr/backoffice/search/"' in page


def test_the_page_needs_a_verified_staff_member(office):
    response = Client().get("/fr/backoffice/search/", {"q": "x"})
    assert response.status_code == 302 and "/backoffice/login/" in response["Location"]
    client = Client()
    client.force_login(office["clerk"])  # password only, no second factor
    response = client.get("/fr/backoffice/search/", {"q": "x"})
    assert response.status_code == 302 and "/backoffice/login/" in response["Location"]
    assert not AuditEntry.objects.filter(action="case.searched").exists()


# --- PostgreSQL: the GIN index is the one used ----------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text index on PostgreSQL only")
def test_the_search_uses_the_full_text_index(office):
    from django.test.utils import CaptureQueriesContext

    from mizan.cases import search

    complaint(name="Youssef Bennani", phone="+212661234567")
    for query in ("benn youssef", "06 61 23 45 67"):
        with CaptureQueriesContext(connection) as queries:
            assert len(case_search(user=office["clerk"], query=query)) == 1
        sent = next(q["sql"] for q in queries.captured_queries if "to_tsquery" in q["sql"])
        # On a test table of a few rows the planner rightly prefers the unit's index or the
        # date order, so the plan is asked for the full-text condition alone (no unit, no
        # order), built by the same code; the statement sent must hold that condition.
        matching = search._matching(search.Case.objects.order_by(), query)
        sql, params = matching.query.sql_with_params()
        assert sql[sql.index("to_tsvector") : sql.index("%s")] in sent
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "case_search_idx" in plan, plan


def test_the_registry_number_given_by_the_office_finds_the_case(office):
    from mizan.cases.services import case_transition

    case = complaint()
    case_transition(
        case_id=case.pk,
        step_name="register",
        actor=office["clerk"],
        inputs={"registry_number": "2026/2101/4471"},
    )
    assert references(case_search(user=office["clerk"], query="2026/2101/4471")) == {case.reference}
