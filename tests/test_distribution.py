"""Automatic distribution: in a unit that chose it, a registered case goes at once to the
magistrate with the fewest open cases, in the registration's transaction."""

from django.utils import translation

from mizan.accounts.models import Role, Unit
from mizan.cases.models import CaseEvent
from mizan.cases.services import case_transition
from mizan.core.models import AuditEntry

from .factories import file_complaint, staff

UNIT = "PROS-TPI_CASA_PENAL"


def register(case, clerk):
    case_transition(
        case_id=case.pk, step_name="register", actor=clerk, inputs={"registry_number": "1"}
    )
    case.refresh_from_db()
    return case


def test_registered_cases_are_shared_least_busy_first(reference_data):
    Unit.objects.filter(code=UNIT).update(distribute_automatically=True)
    clerk = staff("clerk", UNIT, Role.AGENT)
    first = staff("first", UNIT, Role.MAGISTRATE)
    second = staff("second", UNIT, Role.MAGISTRATE)
    # The first prosecutor already holds an open case: the next two go to the second,
    # then the load is even and the lower id wins.
    held = file_complaint(phone="+212612000001").case
    case_transition(
        case_id=held.pk, step_name="register", actor=clerk, inputs={"registry_number": "0"}
    )
    held.refresh_from_db()
    assert held.assignee == first  # both at zero: the lower id

    with translation.override("fr"):
        cases = [register(file_complaint(phone=f"+21261200001{i}").case, clerk) for i in range(3)]
    assert [case.assignee for case in cases] == [second, first, second]
    for case in cases:
        assert case.status == "assigned"
        event = CaseEvent.objects.get(case=case, step="assign")
        assert event.actor == clerk and event.data["assignee"] == case.assignee.get_username()
        assert event.internal_note.startswith("Répartition automatique")
        assert AuditEntry.objects.filter(
            object_id=case.reference, action="case.transition", data__step="assign"
        ).exists()


def test_a_unit_that_shares_by_hand_leaves_the_case_waiting(reference_data):
    clerk = staff("clerk", UNIT, Role.AGENT)
    staff("prosecutor", UNIT, Role.MAGISTRATE)
    case = register(file_complaint().case, clerk)
    assert case.status == "registered" and case.assignee is None


def test_a_unit_without_magistrates_leaves_the_case_waiting(reference_data):
    Unit.objects.filter(code=UNIT).update(distribute_automatically=True)
    clerk = staff("clerk", UNIT, Role.AGENT)
    case = register(file_complaint().case, clerk)
    assert case.status == "registered" and case.assignee is None
