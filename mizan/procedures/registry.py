"""Every procedure Mizan offers, by code, with its reference prefix and workflow."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .bail import BAIL_WORKFLOW, bail_summary
from .complaint import COMPLAINT_WORKFLOW, complaint_summary
from .grievance import GRIEVANCE_WORKFLOW, grievance_summary
from .pardon import PARDON_WORKFLOW, pardon_summary
from .question import ANSWERING_UNITS, QUESTION_WORKFLOW, question_summary
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
    # What the citizen reads on the home page and at the top of the form.
    title: Promise = None
    description: Promise = None


def _route_complaint(commune, details):
    from mizan.reference.routing import prosecution_office_for

    return prosecution_office_for(commune)


def _route_pardon(commune, details):
    from mizan.accounts.models import Unit
    from mizan.reference.routing import Destination

    return Destination(Unit.objects.get(code="MJ-PARDON"), to_confirm=False)


def _route_bail(commune, details):
    from mizan.reference.routing import prosecution_office_of_court

    return prosecution_office_of_court(details.get("court"))


def _route_grievance(commune, details):
    from mizan.reference.routing import mediator_delegation_for

    return mediator_delegation_for(details.get("region"))


def _route_question(commune, details):
    from mizan.accounts.models import Unit
    from mizan.reference.routing import Destination

    code = ANSWERING_UNITS.get(details.get("institution"), "MJ-INFO")
    return Destination(Unit.objects.get(code=code), to_confirm=False)


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
            title=_("File a complaint with the public prosecutor"),
            description=_(
                "For facts that may be an offence. You need a mobile phone to receive a code."
            ),
        ),
        Procedure(
            code="pardon",
            reference_prefix="GRC",
            label=_("Pardon request"),
            workflow=PARDON_WORKFLOW,
            received_message="case.received",
            router=_route_pardon,
            summary=pardon_summary,
            title=_("Request a royal pardon"),
            description=_(
                "For a person convicted by a final judgment, filed by them, a relative or a lawyer."
            ),
        ),
        Procedure(
            code="bail",
            reference_prefix="LPC",
            label=_("Request for release on bail"),
            workflow=BAIL_WORKFLOW,
            received_message="case.received",
            router=_route_bail,
            summary=bail_summary,
            title=_("Request release on bail"),
            description=_("For a person in pre-trial detention, with the guarantee you propose."),
        ),
        Procedure(
            code="grievance",
            reference_prefix="RCL",
            label=_("Grievance to the Mediator"),
            workflow=GRIEVANCE_WORKFLOW,
            received_message="case.received",
            router=_route_grievance,
            summary=grievance_summary,
            title=_("File a grievance with the Mediator of the Kingdom"),
            description=_(
                "When a public administration refused you something, did not answer, or "
                "treated you unfairly."
            ),
        ),
        Procedure(
            code="question",
            reference_prefix="QST",
            label=_("Question to an institution"),
            workflow=QUESTION_WORKFLOW,
            received_message="case.received",
            router=_route_question,
            summary=question_summary,
            title=_("Ask a question"),
            description=_(
                "To the prosecution, the Ministry of Justice, the Judicial Council, the "
                "Mediator or the ministry for Moroccans abroad."
            ),
        ),
    )
}


def get_procedure(code: str) -> Procedure:
    return PROCEDURES[code]


def procedure_choices() -> list[tuple[str, Promise]]:
    return [(procedure.code, procedure.label) for procedure in PROCEDURES.values()]
