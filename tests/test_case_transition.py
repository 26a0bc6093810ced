import pytest

from mizan.accounts.models import Role
from mizan.cases.models import Case
from mizan.cases.services import case_transition
from mizan.core.audit import audit_verify
from mizan.core.errors import DomainError
from mizan.core.models import AuditEntry
from mizan.notifications.models import Notification

from .factories import file_complaint, register_and_assign, staff


def test_a_step_changes_status_records_event_audit_and_notification(office):
    case = file_complaint().case
    event = case_transition(
        case_id=case.pk,
        step_name="register",
        actor=office["clerk"],
        inputs={"registry_number": "12/3101/2026"},
        note="checked",
    )
    case.refresh_from_db()
    assert case.status == "registered" and case.registry_number == "12/3101/2026"
    assert (event.from_status, event.to_status, event.internal_note) == (
        "received",
        "registered",
        "checked",
    )
    entry = AuditEntry.objects.filter(action="case.transition").last()
    assert entry.object_id == case.reference and entry.actor == office["clerk"]
    notification = Notification.objects.get(case_event=event)
    assert notification.template_key == "complaint.registered"
    assert "12/3101/2026" in notification.body
    assert notification.status == Notification.Status.QUEUED
    assert audit_verify().ok


def test_a_step_not_allowed_from_the_current_status_is_refused(office):
    case = file_complaint().case
    with pytest.raises(DomainError) as refused:
        case_transition(case_id=case.pk, step_name="close", actor=office["clerk"])
    assert refused.value.code == "conflict"
    assert Case.objects.get(pk=case.pk).status == "received"


def test_a_role_without_the_step_is_refused(office):
    case = file_complaint().case
    register_and_assign(case, clerk=office["clerk"], prosecutor=office["prosecutor"])
    with pytest.raises(DomainError) as refused:
        case_transition(case_id=case.pk, step_name="decide_prosecution", actor=office["clerk"])
    assert refused.value.code == "forbidden"


def test_staff_of_another_unit_cannot_act(office):
    case = file_complaint().case
    with pytest.raises(DomainError) as refused:
        case_transition(
            case_id=case.pk,
            step_name="register",
            actor=office["outsider"],
            inputs={"registry_number": "1"},
        )
    assert refused.value.code == "forbidden"


def test_a_stale_page_is_refused_with_the_new_status(office):
    case = file_complaint().case
    case_transition(
        case_id=case.pk,
        step_name="register",
        actor=office["clerk"],
        inputs={"registry_number": "1"},
    )
    with pytest.raises(DomainError) as refused:
        case_transition(
            case_id=case.pk,
            step_name="assign",
            actor=office["clerk"],
            inputs={"assignee": office["prosecutor"].pk},
            expected_status="received",
        )
    assert refused.value.code == "conflict"


def test_inputs_are_required_and_checked(office):
    case = file_complaint().case
    with pytest.raises(DomainError) as refused:
        case_transition(case_id=case.pk, step_name="register", actor=office["clerk"])
    assert refused.value.field == "registry_number"
    case_transition(
        case_id=case.pk,
        step_name="register",
        actor=office["clerk"],
        inputs={"registry_number": "1"},
    )
    with pytest.raises(DomainError):  # the outsider is not a prosecutor of this office
        case_transition(
            case_id=case.pk,
            step_name="assign",
            actor=office["clerk"],
            inputs={"assignee": office["outsider"].pk},
        )
    assert Case.objects.get(pk=case.pk).status == "registered"


def test_only_the_filer_provides_information(office):
    case = file_complaint(phone="+212600000001").case
    register_and_assign(case, clerk=office["clerk"], prosecutor=office["prosecutor"])
    case_transition(
        case_id=case.pk,
        step_name="request_information",
        actor=office["prosecutor"],
        message="Send the IMEI.",
    )
    with pytest.raises(DomainError):
        case_transition(
            case_id=case.pk,
            step_name="provide_information",
            citizen_phone="+212600000002",
            message="hello",
        )
    with pytest.raises(DomainError):
        case_transition(
            case_id=case.pk, step_name="provide_information", actor=office["clerk"], message="hello"
        )
    event = case_transition(
        case_id=case.pk,
        step_name="provide_information",
        citizen_phone="+212600000001",
        message="IMEI 1234",
    )
    assert event.actor is None and event.actor_kind == "citizen"


def test_a_guessed_destination_is_confirmed_and_the_correction_counted(reference_data):
    from .factories import GUEZNAIA

    case = file_complaint(commune_code=GUEZNAIA).case
    assert case.unit.code == "PROS-CA_TANGER" and case.destination_to_confirm
    clerk = staff("ca.clerk", "PROS-CA_TANGER", Role.AGENT)
    from mizan.accounts.models import Unit

    tangier = Unit.objects.get(code="PROS-TPI_TANGER")
    event = case_transition(
        case_id=case.pk,
        step_name="confirm_destination",
        actor=clerk,
        inputs={"destination": tangier.pk},
    )
    case.refresh_from_db()
    assert case.unit == tangier and not case.destination_to_confirm
    assert event.data["corrected"] is True and event.citizen_visible is False
    assert not Notification.objects.filter(case_event=event).exists()
    # The report for the reference-data maintainers counts it against the commune.
    from mizan.backoffice.management.commands.routing_corrections import routing_corrections

    [row] = routing_corrections()
    assert row["commune"] == GUEZNAIA and row["corrections"] == 1
    assert (row["routed_to"], row["corrected_to"]) == ("PROS-CA_TANGER", "PROS-TPI_TANGER")
