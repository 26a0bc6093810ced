"""Every procedure Mizan offers, by code, with its reference prefix and workflow."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .complaint import COMPLAINT_WORKFLOW, complaint_summary
from .workflow import Workflow


@dataclass(frozen=True)
class Procedure:
    code: str
    reference_prefix: str  # three letters of the check alphabet (no I, O, U, Y, Z)
    label: Promise
    workflow: Workflow
    received_message: str  # message template key for the "received" SMS
    # Decides which unit receives a new request: (commune, details) -> Destination.
    router: Callable
    # The filing's details as staff read them: case -> [(label, value)].
    summary: Callable


def _route_complaint(commune, details):
    from mizan.reference.routing import prosecution_office_for

    return prosecution_office_for(commune)


PROCEDURES: dict[str, Procedure] = {
    procedure.code: procedure
    for procedure in (
        Procedure(
            code="complaint",
            reference_prefix="PLT",
            label=_("Complaint to the public prosecutor"),
            workflow=COMPLAINT_WORKFLOW,
            received_message="complaint.received",
            router=_route_complaint,
            summary=complaint_summary,
        ),
    )
}


def get_procedure(code: str) -> Procedure:
    return PROCEDURES[code]


def procedure_choices() -> list[tuple[str, Promise]]:
    return [(procedure.code, procedure.label) for procedure in PROCEDURES.values()]
