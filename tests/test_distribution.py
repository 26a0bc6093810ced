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


def test_the_head_of_unit_turns_sharing_on_from_the_back_office(reference_data):
    from django.test import Client

    from .factories import verified_login

    head = staff("head", UNIT, Role.UNIT_HEAD)
    clerk = staff("clerk", UNIT, Role.AGENT)
    magistrate = staff("first", UNIT, Role.MAGISTRATE)
    client = verified_login(Client(), head)
    queue = client.get("/fr/backoffice/").content.decode()
    assert 'href="/fr/backoffice/units/"' in queue
    page = client.get("/fr/backoffice/units/").content.decode()
    assert 'name="distribute"' in page and "checked" not in page.split('name="distribute"')[1][:80]
    response = client.post("/fr/backoffice/units/", {"unit": UNIT, "distribute": "on"})
    assert response.status_code == 302
    assert Unit.objects.get(code=UNIT).distribute_automatically
    entry = AuditEntry.objects.get(action="unit.distribution_changed")
    assert (entry.object_id, entry.data) == (UNIT, {"distribute_automatically": True})
    case = register(file_complaint(phone="+212612000099").case, clerk)
    assert case.assignee == magistrate
    assert "<td>1</td>" in client.get("/fr/backoffice/units/").content.decode()
    # Off again (the box unticked sends nothing).
    client.post("/fr/backoffice/units/", {"unit": UNIT})
    assert not Unit.objects.get(code=UNIT).distribute_automatically


def test_only_a_head_of_the_unit_changes_its_sharing(reference_data):
    from django.test import Client

    from .factories import verified_login

    clerk = verified_login(Client(), staff("clerk", UNIT, Role.AGENT))
    assert 'href="/fr/backoffice/units/"' not in clerk.get("/fr/backoffice/").content.decode()
    assert clerk.get("/fr/backoffice/units/").status_code == 403
    assert (
        clerk.post("/fr/backoffice/units/", {"unit": UNIT, "distribute": "on"}).status_code == 403
    )
    other_head = verified_login(Client(), staff("head", "PROS-TPI_RABAT", Role.UNIT_HEAD))
    refused = other_head.post(
        "/fr/backoffice/units/", {"unit": UNIT, "distribute": "on"}, follow=True
    )
    assert "Seul un chef de cette unité" in refused.content.decode()
    assert not Unit.objects.get(code=UNIT).distribute_automatically
    assert not AuditEntry.objects.filter(action="unit.distribution_changed").exists()
