"""Concurrency on a real PostgreSQL: conflicting steps and simultaneous filings."""

import threading

import pytest
from django.db import connection, connections

from mizan.accounts.models import Role
from mizan.cases.models import Case
from mizan.cases.services import case_transition
from mizan.core.audit import audit_verify
from mizan.core.errors import DomainError
from mizan.reference.models import Commune

from .factories import file_complaint, register_and_assign, staff

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (set DATABASE_URL)"
)


def run_together(functions):
    """Start all functions at the same moment, each on its own connection."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def runner(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_agents_taking_conflicting_steps_exactly_one_wins(reference_data):
    unit = "PROS-TPI_CASA_PENAL"
    clerk = staff("clerk", unit, Role.AGENT)
    prosecutor = staff("prosecutor", unit, Role.MAGISTRATE)
    head = staff("head", unit, Role.UNIT_HEAD, Role.MAGISTRATE)

    def assigned_case_id() -> int:
        case = file_complaint().case
        register_and_assign(case, clerk=clerk, prosecutor=prosecutor)
        return case.pk

    for _round in range(3):
        case_id = assigned_case_id()
        results = run_together(
            [
                lambda case_id=case_id: case_transition(
                    case_id=case_id,
                    step_name="decide_prosecution",
                    actor=prosecutor,
                    expected_status="assigned",
                ),
                lambda case_id=case_id: case_transition(
                    case_id=case_id,
                    step_name="decide_no_action",
                    actor=head,
                    message="No offence.",
                    expected_status="assigned",
                ),
            ]
        )
        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert isinstance(losers[0], DomainError) and losers[0].code == "conflict"
        case = Case.objects.get(pk=case_id)
        assert case.status == winners[0].to_status
        assert case.events.filter(step__startswith="decide").count() == 1
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_many_filings_at_once_get_unique_references(reference_data):
    count = 12
    results = run_together(
        [lambda n=n: file_complaint(phone=f"+2126000000{n:02d}") for n in range(count)]
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    references = [r.case.reference for r in results]
    assert len(set(references)) == count
    assert Case.objects.count() == count
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_double_tap_on_file_files_once(reference_data):
    """Two submissions of the same code at once: one case; the other is told it is filed."""
    import re

    from django.core.management import call_command

    from mizan.cases.filing import filing_confirm, filing_start
    from mizan.notifications.models import ConsoleMessage

    from .factories import complaint_details

    commune = Commune.objects.get(code="06.141.01.0")
    data = complaint_details(commune)
    data.update(attachment_ids=[], filer={"name": "Amina", "email": "", "language": "fr"})
    pending = filing_start(
        procedure="complaint", data=data, phone="+212612345678", language="fr", ip_address=None
    )
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    code = re.search(r"\d{6}", ConsoleMessage.objects.latest("id").body).group(0)
    results = run_together(
        [lambda: filing_confirm(token=pending.token, code=code, ip_address=None)] * 2
    )
    filed = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(filed) == 1 and Case.objects.count() == 1
    assert isinstance(refused[0], DomainError) and refused[0].code == "already_filed"
