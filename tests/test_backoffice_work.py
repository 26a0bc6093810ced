"""The agents' working tools: queue filters with counts, deadlines, assignment and
reassignment, and bulk steps where each case keeps its own checks."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mizan.accounts.models import Role
from mizan.cases.models import Case, CaseEvent
from mizan.cases.selectors import QueueFilter, case_queue, magistrates_by_load, queue_counts
from mizan.cases.services import case_reassign, case_transition
from mizan.core.errors import DomainError
from mizan.core.models import AuditEntry

from .factories import file_complaint, register_and_assign, staff, verified_login

UNIT = "PROS-TPI_CASA_PENAL"


@pytest.fixture
def team(office):
    return {**office, "head": staff("head", UNIT, Role.UNIT_HEAD, Role.MAGISTRATE)}


def register(case, clerk, number="1"):
    case_transition(
        case_id=case.pk, step_name="register", actor=clerk, inputs={"registry_number": number}
    )


def test_a_bulk_assignment_of_200_cases_reports_each_case_and_keeps_its_checks(team):
    clerk, prosecutor = team["clerk"], team["prosecutor"]
    filings = [file_complaint(phone=f"+2126100{i:05d}") for i in range(200)]
    left_received = {f.case.pk for f in filings[:5]}
    for filing in filings[5:]:
        register(filing.case, clerk, str(filing.case.pk))
    elsewhere = file_complaint(commune_code="04.421.01.0", phone="+212610099999")  # Rabat
    assert elsewhere.case.unit.code != UNIT

    client = verified_login(Client(), clerk)
    response = client.post(
        "/fr/backoffice/bulk/",
        {
            "cases": [f.case.pk for f in filings] + [elsewhere.case.pk],
            "action": "assign",
            "assignee": prosecutor.pk,
        },
    )
    assert response.status_code == 200
    succeeded, failed = response.context["succeeded"], response.context["failed"]
    assert len(succeeded) == 195 and len(failed) == 6
    assert {o.reference for o in failed} == {
        *(f.case.reference for f in filings[:5]),
        str(elsewhere.case.pk),
    }
    assert all(o.message for o in failed)
    assigned = Case.objects.filter(assignee=prosecutor, status="assigned")
    assert assigned.count() == 195
    assert not assigned.filter(pk__in=left_received).exists()
    assert CaseEvent.objects.filter(step="assign").count() == 195
    assert AuditEntry.objects.filter(action="case.transition", data__step="assign").count() == 195
    assert Case.objects.get(pk=elsewhere.case.pk).assignee is None


def test_sharing_cases_evenly_gives_each_to_the_least_busy_prosecutor(team):
    clerk, prosecutor = team["clerk"], team["prosecutor"]
    busy = [file_complaint(phone=f"+2126110000{i}") for i in range(3)]
    for filing in busy:
        register_and_assign(filing.case, clerk=clerk, prosecutor=prosecutor)
    fresh = [file_complaint(phone=f"+2126120000{i}") for i in range(5)]
    for filing in fresh:
        register(filing.case, clerk, str(filing.case.pk))
    assert [count for _person, count in magistrates_by_load(unit_id=fresh[0].case.unit_id)] == [
        0,
        3,
    ]
    client = verified_login(Client(), clerk)
    client.post(
        "/fr/backoffice/bulk/",
        {"cases": [f.case.pk for f in fresh], "action": "assign_evenly"},
    )
    loads = dict(
        (person.username, count)
        for person, count in magistrates_by_load(unit_id=fresh[0].case.unit_id)
    )
    assert loads == {"head": 4, "prosecutor": 4}


def test_only_the_head_reassigns_and_it_is_recorded(team):
    clerk, prosecutor, head = team["clerk"], team["prosecutor"], team["head"]
    filing = file_complaint()
    register_and_assign(filing.case, clerk=clerk, prosecutor=prosecutor)
    case_transition(
        case_id=filing.case.pk,
        step_name="request_information",
        actor=prosecutor,
        message="Quelle heure ?",
    )
    with pytest.raises(DomainError):
        case_reassign(case_id=filing.case.pk, assignee_id=head.pk, actor=clerk)
    event = case_reassign(case_id=filing.case.pk, assignee_id=head.pk, actor=head, note="congé")
    case = Case.objects.get(pk=filing.case.pk)
    assert case.assignee == head and case.status == "info_requested"
    assert (
        event.data == {"assignee": "head", "previous": "prosecutor"} and not event.citizen_visible
    )
    assert AuditEntry.objects.filter(action="case.reassigned", object_id=case.reference).exists()


def test_queue_filters_count_and_sort_by_deadline(team):
    clerk, prosecutor = team["clerk"], team["prosecutor"]
    first = file_complaint(phone="+212613000001")
    second = file_complaint(phone="+212613000002")
    register_and_assign(second.case, clerk=clerk, prosecutor=prosecutor)
    to_confirm = file_complaint(commune_code="01.511.01.09", phone="+212613000003")

    now = timezone.now()
    counts = queue_counts(user=clerk, now=now)
    assert counts["all"] == 2 and counts["overdue"] == 0 and counts["unassigned"] == 1
    # Three working days on, the received complaint is late; the assigned one is not.
    later = now + timedelta(days=10)
    late = case_queue(user=clerk, filters=QueueFilter(quick="overdue"), now=later)
    assert list(late) == [first.case]
    mine = case_queue(user=prosecutor, filters=QueueFilter(assignee="me"))
    assert list(mine) == [second.case]
    by_deadline = list(case_queue(user=clerk, filters=QueueFilter(sort="deadline")))
    assert by_deadline == [first.case, second.case]
    assert to_confirm.case.unit.code != UNIT

    client = verified_login(Client(), clerk)
    page = client.get("/fr/backoffice/?quick=unassigned&sort=deadline")
    assert page.status_code == 200
    assert [case for case, _due in page.context["rows"]] == [first.case]
    assert page.context["counts"]["all"] == 2


def test_the_citizen_sees_which_office_opened_the_file_and_when_not_who(team):
    clerk = team["clerk"]
    filing = file_complaint(phone="+212614000001")
    citizen = Client()
    citizen.post(
        "/fr/track/", {"reference": filing.case.reference, "access_code": filing.access_code}
    )
    before = citizen.get(f"/fr/track/{filing.case.reference}/")
    assert before.context["accesses"] == []

    agent = verified_login(Client(), clerk)
    agent.get(f"/fr/backoffice/cases/{filing.case.reference}/")
    agent.get(f"/fr/backoffice/cases/{filing.case.reference}/")
    after = citizen.get(f"/fr/track/{filing.case.reference}/")
    [access] = after.context["accesses"]
    assert access["unit"] == filing.case.unit and access["times"] == 2
    page = after.content.decode()
    assert str(filing.case.unit) in page and clerk.get_full_name() not in page
    entry = AuditEntry.objects.filter(action="case.viewed").latest("id")
    assert entry.actor == clerk and entry.data["unit"] == UNIT


def test_unit_heads_get_a_digest_of_overdue_cases(team):
    from django.core import mail

    from mizan.backoffice.digest import overdue_digest_send

    team["head"].email = "head@justice.ma"
    team["head"].save()
    late = file_complaint(phone="+212615000001")
    assert overdue_digest_send() == 0  # nothing late today
    sent = overdue_digest_send(now=timezone.now() + timedelta(days=10), language="fr")
    assert sent == 1
    [message] = mail.outbox
    assert message.to == ["head@justice.ma"] and late.case.reference in message.body
    assert "quick=overdue" in message.alternatives[0].content


@pytest.mark.parametrize(
    "query",
    [
        "",
        "quick=unassigned",
        "quick=overdue",
        "sort=deadline",
        "assignee=me",
        "procedure=complaint",
    ],
)
def test_the_queues_page_count_is_the_lists_and_no_count_runs_twice(team, query):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clerk, prosecutor = team["clerk"], team["prosecutor"]
    file_complaint(phone="+212613100001")
    second = file_complaint(phone="+212613100002")
    register_and_assign(second.case, clerk=clerk, prosecutor=prosecutor)
    client = verified_login(Client(), prosecutor)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/fr/backoffice/?{query}")
    assert page.status_code == 200
    shown = page.context["page"]
    assert shown.paginator.count == len(page.context["rows"])
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == len(set(counts)), counts
