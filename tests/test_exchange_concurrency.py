"""Concurrency on a real PostgreSQL: simultaneous files take turns; steps that tell the
litigant and steps of their request run at once without deadlock."""

from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from mizan.accounts.models import Role
from mizan.cases.services import case_reassign
from mizan.core.audit import audit_verify
from mizan.exchange.models import ExchangeAttempt, ExchangeFile
from mizan.exchange.services import exchange_file_transition
from mizan.notifications.models import Notification

from .exchange_factories import member, office, registry_clerk, send_file
from .factories import file_complaint, register_and_assign, staff
from .test_concurrency import run_together

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (set DATABASE_URL)"
)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_rotation_assignments_spread_evenly(reference_data, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    clerk = registry_clerk("greffe.casa")
    offices = [office(f"CDJ-CASA-{n}") for n in range(1, 5)]
    rounds = 3
    results = run_together([lambda: send_file(clerk) for _ in range(len(offices) * rounds)])
    failures = [r for r in results if isinstance(r, Exception)]
    assert failures == []
    spread = Counter(ExchangeFile.objects.values_list("office__registration_number", flat=True))
    assert spread == {o.registration_number: rounds for o in offices}
    assert sorted(o.last_turn for o in type(offices[0]).objects.all()) == list(
        range(len(offices) * rounds - len(offices) + 1, len(offices) * rounds + 1)
    )


@pytest.mark.django_db(transaction=True)
def test_served_steps_and_steps_of_the_litigants_request_at_once_do_not_deadlock(
    reference_data, tmp_path, settings
):
    """An exchange step that messages the litigant locks their request's row before the
    audit chain head, as `case_transition` and `case_reassign` do: taken at the same
    moment as steps of that request, every one commits, and each file says "served"
    once."""
    settings.MEDIA_ROOT = tmp_path
    unit = "PROS-TPI_CASA_PENAL"
    clerk = staff("clerk", unit, Role.AGENT)
    prosecutors = [staff(f"prosecutor{n}", unit, Role.MAGISTRATE) for n in (1, 2)]
    head = staff("head", unit, Role.UNIT_HEAD, Role.MAGISTRATE)
    case = file_complaint().case
    register_and_assign(case, clerk=clerk, prosecutor=prosecutors[0])

    registry = registry_clerk("greffe.casa")
    commissaire = member("commissaire.casa", office("CDJ-CASA-1"))
    files = [send_file(registry, case_reference=case.reference) for _ in range(6)]
    for file in files:
        exchange_file_transition(file_id=file.pk, step_name="acknowledge", actor=commissaire)

    def served(file):
        return lambda: exchange_file_transition(
            file_id=file.pk,
            step_name="record_attempt",
            actor=commissaire,
            attempt={
                "attempted_at": timezone.now(),
                "place": "Domicile",
                "result": ExchangeAttempt.Result.IN_PERSON,
            },
        )

    def reassign(n):
        return lambda: case_reassign(case_id=case.pk, assignee_id=prosecutors[n % 2].pk, actor=head)

    results = run_together(
        [step for n, file in enumerate(files) for step in (served(file), reassign(n))]
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    served_sms = Notification.objects.filter(template_key="exchange.served", case=case)
    assert served_sms.count() == len(files)
    assert audit_verify().ok
