"""Grievance to the Mediator of the Kingdom (réclamation / شكاية).

Routed to the Mediator's regional delegation of the citizen's region. The delegation
first screens competence: a matter for another body is redirected to it, named, with
the reason — and, when that body works on Mizan and the citizen agrees, the file is
handed over under the same reference, so tracking and SMS go on.
"""

from django.utils.translation import gettext_lazy as _

from mizan.accounts.models import Role

from .common import RELATIONSHIPS, label_of
from .workflow import CITIZEN, WITHDRAWN, State, Step, Workflow, information_provision, withdrawal

ADMINISTRATION_ANSWERS = [
    ("none", _("No answer")),
    ("refused", _("A refusal")),
    ("partial", _("A partial answer")),
    ("unsatisfactory", _("An answer I find unfair or wrong")),
]
# The administration's deadline to answer the Mediator, by default (two months).
DEFAULT_ANSWER_DAYS = 60


def grievance_summary(case) -> list[tuple[str, str]]:
    from mizan.reference.models import Region

    details = case.details
    region = Region.objects.filter(pk=details.get("region")).first()
    redirect = details.get("redirect") or {}
    rows = [
        (_("Administration concerned"), details.get("administration", "")),
        (_("What was asked of it"), details.get("request_made", "")),
        (_("Asked on"), details.get("request_date", "")),
        (
            _("Its answer"),
            str(label_of(ADMINISTRATION_ANSWERS, details.get("administration_answer"))),
        ),
        (_("Region"), region.name if region else ""),
        (_("Not before a court (declared)"), _("Yes") if details.get("not_before_court") else ""),
        (_("Requester's relationship"), str(label_of(RELATIONSHIPS, details.get("relationship")))),
    ]
    concerned = details.get("concerned") or {}
    if concerned:
        rows.append((_("Person concerned"), concerned.get("name", "")))
    if redirect:
        rows.append((_("Redirected to"), redirect.get("body", "")))
    return rows


AGENT, MAGISTRATE, HEAD = Role.AGENT, Role.MAGISTRATE, Role.UNIT_HEAD
DELEGATION = frozenset({AGENT, MAGISTRATE, HEAD})
DECIDERS = frozenset({MAGISTRATE, HEAD})
SCREENING = ("received", "info_provided")

GRIEVANCE_WORKFLOW = Workflow(
    procedure="grievance",
    initial="received",
    states=(
        State(
            "received",
            _("Received — competence to screen"),
            _("Received by the Mediator"),
            target_days=10,
            explanation=_(
                "Your grievance reached the Mediator's delegation for your region. It "
                "first checks that the matter is one the Mediator can handle: a dispute "
                "with a public administration, not before a court."
            ),
        ),
        State(
            "info_requested",
            _("Information requested from the citizen"),
            _("Waiting for information from you"),
            target_days=30,
            explanation=_(
                "The Mediator needs something from you before going on: read the message "
                "below and answer on this page, with documents if asked."
            ),
        ),
        State(
            "info_provided",
            _("Information provided — back to the delegation"),
            _("Your information was received"),
            target_days=10,
            explanation=_("Your answer reached the Mediator, who goes on examining the grievance."),
        ),
        State(
            "handover_proposed",
            _("Out of competence — handover proposed to the citizen"),
            _("Another body is competent: your agreement is needed"),
            outcome="redirected",
            target_days=30,
            explanation=_(
                "The Mediator is not competent for this matter; the body named in the "
                "message is, for the reason given. It works on this platform: if you "
                "agree, your file is handed over to it under the same reference, and "
                "you keep being told by SMS. If you refuse, the file is closed here and "
                "you can turn to that body yourself."
            ),
        ),
        State(
            "handed_over",
            _("Handed over by the Mediator — to examine"),
            _("Handed over to the competent body"),
            target_days=30,
            explanation=_(
                "With your agreement, your file was handed over to the competent body, "
                "under the same reference. It will examine it and answer you here."
            ),
        ),
        State(
            "handover_answered",
            _("Answered by the competent body"),
            _("Answer from the competent body"),
            target_days=5,
            explanation=_("The competent body answered: read its message below."),
        ),
        State(
            "redirected",
            _("Out of competence — redirected"),
            _("Redirected to the competent body"),
            outcome="redirected",
            target_days=5,
            explanation=_(
                "The Mediator is not competent for this matter: the body named in the "
                "message is, for the reason given. Turn to it directly, with the "
                "documents you already gathered."
            ),
        ),
        State(
            "inadmissible",
            _("Inadmissible"),
            _("Grievance not admissible"),
            outcome="inadmissible",
            target_days=5,
            explanation=_(
                "The grievance cannot be examined, for the reason given in the message "
                "(for example, the administration was never asked first, or the matter "
                "is before a court)."
            ),
        ),
        State(
            "admissible",
            _("Admissible — to send to the administration"),
            _("Admissible: being prepared"),
            target_days=10,
            explanation=_(
                "The Mediator will examine your grievance and will write to the "
                "administration concerned."
            ),
        ),
        State(
            "with_administration",
            _("Sent to the administration — answer awaited"),
            _("Sent to the administration, which must answer"),
            explanation=_(
                "The Mediator wrote to the administration, which must answer within the "
                "deadline set (two months unless stated). You have nothing to do; you "
                "will be told of its answer."
            ),
        ),
        State(
            "answer_received",
            _("Administration's answer received"),
            _("The administration answered"),
            target_days=20,
            explanation=_(
                "The administration answered the Mediator, who is examining its answer "
                "before making a recommendation or proposing a settlement."
            ),
        ),
        State(
            "recommendation",
            _("Recommendation made"),
            _("The Mediator made a recommendation"),
            outcome="recommendation",
            target_days=10,
            explanation=_(
                "The Mediator addressed a recommendation to the administration, as the "
                "message says. The administration must tell the Mediator what it does "
                "about it; the Mediator follows it up."
            ),
        ),
        State(
            "settled",
            _("Settled"),
            _("Settled amicably"),
            outcome="settled",
            target_days=10,
            explanation=_("The matter was settled with the administration, as the message says."),
        ),
        State(
            "closed",
            _("Closed"),
            _("Closed"),
            terminal=True,
            explanation=_(
                "The work on this grievance is finished. Keep your reference: it is the "
                "way to ask about it later."
            ),
        ),
        WITHDRAWN,
    ),
    steps=(
        Step(
            "request_information",
            _("Ask the citizen for information"),
            SCREENING,
            "info_requested",
            DELEGATION,
            notify="case.info_requested",
            message_required=True,
        ),
        information_provision(),
        Step(
            "propose_handover",
            _("Out of competence: propose handing over to a body on Mizan"),
            SCREENING,
            "handover_proposed",
            DECIDERS,
            notify="grievance.handover_proposed",
            message_required=True,
            inputs=("competent_unit",),
        ),
        Step(
            "accept_handover",
            _("I agree: hand my file over"),
            ("handover_proposed",),
            "handed_over",
            frozenset({CITIZEN}),
            notify="case.update",
            effect="handover",
        ),
        Step(
            "decline_handover",
            _("I do not agree: close it here"),
            ("handover_proposed",),
            "redirected",
            frozenset({CITIZEN}),
            notify="case.update",
        ),
        Step(
            "answer_handover",
            _("Answer the citizen"),
            ("handed_over",),
            "handover_answered",
            DECIDERS | {AGENT},
            notify="case.update",
            message_required=True,
        ),
        Step(
            "redirect_outside",
            _("Out of competence: redirect to another body"),
            SCREENING,
            "redirected",
            DECIDERS,
            notify="grievance.redirected",
            message_required=True,
            inputs=("competent_body",),
        ),
        Step(
            "declare_inadmissible",
            _("Declare inadmissible"),
            SCREENING,
            "inadmissible",
            DECIDERS,
            notify="case.decided",
            message_required=True,
        ),
        Step(
            "declare_admissible",
            _("Declare admissible"),
            SCREENING,
            "admissible",
            DELEGATION,
            notify="case.update",
        ),
        Step(
            "send_to_administration",
            _("Send to the administration"),
            ("admissible",),
            "with_administration",
            DELEGATION,
            notify="case.update",
            inputs=("answer_days",),
        ),
        Step(
            "record_answer",
            _("Record the administration's answer"),
            ("with_administration",),
            "answer_received",
            DELEGATION,
            notify="case.update",
        ),
        Step(
            "recommend",
            _("Make a recommendation"),
            ("with_administration", "answer_received"),
            "recommendation",
            DECIDERS,
            notify="case.decided",
            message_required=True,
        ),
        Step(
            "settle",
            _("Record a settlement"),
            ("with_administration", "answer_received"),
            "settled",
            DECIDERS,
            notify="case.decided",
            message_required=True,
        ),
        Step(
            "close",
            _("Close"),
            (
                "recommendation",
                "settled",
                "inadmissible",
                "redirected",
                "handover_proposed",
                "handover_answered",
            ),
            "closed",
            DELEGATION,
        ),
        withdrawal(
            (
                "received",
                "info_requested",
                "info_provided",
                "handover_proposed",
                "admissible",
                "with_administration",
                "answer_received",
            )
        ),
    ),
)
