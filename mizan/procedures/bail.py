"""Release on bail (libération sous caution / mise en liberté provisoire).

Filed for a detainee with the court that holds the case; the competent magistrate
decides; when bail is granted, the filer uploads the deposit receipt, the registry
checks it, and the release order follows. Bail is about liberty: targets are short.
"""

from django.utils.translation import gettext_lazy as _

from mizan.accounts.models import Role

from .common import RELATIONSHIPS, label_of
from .workflow import CITIZEN, WITHDRAWN, State, Step, Workflow, information_provision, withdrawal


def bail_summary(case) -> list[tuple[str, str]]:
    from mizan.reference.models import Court, Prison

    details = case.details
    detainee = details.get("detainee") or {}
    court = Court.objects.filter(pk=details.get("court")).first()
    prison = Prison.objects.filter(pk=detainee.get("prison")).first()
    decision = details.get("bail_decision") or {}
    rows = [
        (_("Detainee"), detainee.get("name", "")),
        (_("CIN"), detainee.get("cin", "")),
        (_("Prison"), prison.name if prison else ""),
        (_("Court"), court.name if court else ""),
        (_("Case number"), details.get("case_number", "")),
        (_("Detained since"), details.get("detention_date", "")),
        (_("Proposed guarantee (MAD)"), details.get("guarantee_amount", "")),
        (_("Surety"), details.get("surety", "")),
        (_("Requester's relationship"), str(label_of(RELATIONSHIPS, details.get("relationship")))),
    ]
    if decision:
        rows += [
            (_("Bail set (MAD)"), decision.get("amount", "")),
            (_("Conditions"), decision.get("conditions", "")),
        ]
    return rows


AGENT, MAGISTRATE, HEAD = Role.AGENT, Role.MAGISTRATE, Role.UNIT_HEAD
OFFICE = frozenset({AGENT, MAGISTRATE, HEAD})
DECIDERS = frozenset({MAGISTRATE, HEAD})

BAIL_WORKFLOW = Workflow(
    procedure="bail",
    initial="received",
    states=(
        State(
            "received",
            _("Received"),
            _("Received by the court's office"),
            target_days=1,
            explanation=_(
                "Your request reached the prosecution office of the court that holds the "
                "case. It is put before the competent magistrate at once: requests about "
                "detention are handled first."
            ),
        ),
        State(
            "before_magistrate",
            _("Before the competent magistrate"),
            _("Before the magistrate"),
            target_days=3,
            explanation=_(
                "The magistrate in charge of the case examines the request and the "
                "proposed guarantee. They may ask you for information or documents."
            ),
        ),
        State(
            "info_requested",
            _("Information requested from the requester"),
            _("Waiting for information from you"),
            target_days=5,
            explanation=_(
                "The magistrate needs something from you: read the message below and "
                "answer on this page, with documents if asked."
            ),
        ),
        State(
            "info_provided",
            _("Information provided — back to the magistrate"),
            _("Your information was received"),
            target_days=2,
            explanation=_("Your answer reached the magistrate, who goes on examining the request."),
        ),
        State(
            "granted",
            _("Granted — waiting for the bail deposit"),
            _("Decision: release on bail granted — deposit to make"),
            outcome="granted",
            target_days=15,
            explanation=_(
                "The magistrate granted release on bail, for the amount and under the "
                "conditions shown above. Pay the amount at the court's cashier (or as the "
                "message says), then upload the deposit receipt on this page."
            ),
        ),
        State(
            "deposit_submitted",
            _("Deposit receipt uploaded — to check"),
            _("Deposit receipt received, being checked"),
            target_days=1,
            explanation=_(
                "The registry is checking the deposit receipt you uploaded. If it is in "
                "order, the release order follows."
            ),
        ),
        State(
            "deposit_confirmed",
            _("Deposit confirmed — release order to issue"),
            _("Deposit confirmed"),
            target_days=1,
            explanation=_("The registry confirmed the deposit. The release order is being issued."),
        ),
        State(
            "release_ordered",
            _("Release ordered"),
            _("Release ordered"),
            target_days=2,
            explanation=_(
                "The release order was issued and sent to the prison. The person must "
                "respect the conditions set by the magistrate; failing that, the bail "
                "may be forfeited and the release revoked."
            ),
        ),
        State(
            "refused",
            _("Decision: refused"),
            _("Decision: release on bail refused"),
            outcome="rejected",
            target_days=5,
            explanation=_(
                "The magistrate refused release on bail, for the reason given in the "
                "message. A new request can be made if the situation changes; a lawyer "
                "can tell you about the remedies."
            ),
        ),
        State(
            "closed",
            _("Closed"),
            _("Closed"),
            terminal=True,
            explanation=_(
                "The work on this request is finished. Keep your reference: it is the "
                "way to ask about it later."
            ),
        ),
        WITHDRAWN,
    ),
    steps=(
        Step(
            "confirm_destination",
            _("Confirm or correct the competent office"),
            ("received",),
            "received",
            OFFICE,
            inputs=("destination",),
            citizen_visible=False,
        ),
        Step(
            "refer_magistrate",
            _("Put before the competent magistrate"),
            ("received",),
            "before_magistrate",
            OFFICE,
            notify="case.update",
        ),
        Step(
            "request_information",
            _("Ask the requester for information"),
            ("before_magistrate", "info_provided"),
            "info_requested",
            DECIDERS,
            notify="case.info_requested",
            message_required=True,
        ),
        information_provision(),
        Step(
            "decide_granted",
            _("Decide: grant release on bail"),
            ("before_magistrate", "info_provided"),
            "granted",
            DECIDERS,
            notify="bail.granted",
            inputs=("bail_amount", "bail_conditions"),
        ),
        Step(
            "decide_refused",
            _("Decide: refuse"),
            ("before_magistrate", "info_provided"),
            "refused",
            DECIDERS,
            notify="case.decided",
            message_required=True,
        ),
        Step(
            "submit_deposit",
            _("Send the deposit receipt"),
            ("granted",),
            "deposit_submitted",
            frozenset({CITIZEN}),
            notify="case.update",
            uploads=True,
            uploads_required=True,
        ),
        Step(
            "reject_deposit",
            _("Refuse the deposit receipt"),
            ("deposit_submitted",),
            "granted",
            OFFICE,
            notify="case.info_requested",
            message_required=True,
        ),
        Step(
            "confirm_deposit",
            _("Confirm the deposit"),
            ("deposit_submitted",),
            "deposit_confirmed",
            OFFICE,
            notify="case.update",
        ),
        Step(
            "order_release",
            _("Issue the release order"),
            ("deposit_confirmed",),
            "release_ordered",
            DECIDERS,
            notify="case.update",
        ),
        Step(
            "close",
            _("Close"),
            ("release_ordered", "refused"),
            "closed",
            OFFICE,
        ),
        withdrawal(("received", "before_magistrate", "info_requested", "info_provided")),
    ),
)
