"""Question to an institution (demande d'information / طلب معلومات).

Any citizen asks; an agent of the chosen institution answers. A good answer can be
published, edited and anonymised, in the institution's public FAQ (mizan.faq).
"""

from django.utils.translation import gettext_lazy as _

from mizan.accounts.models import Role
from mizan.reference.models import Institution

from .workflow import WITHDRAWN, State, Step, Workflow, information_provision, withdrawal

# Institutions a question can be asked of, and the unit that answers for each.
QUESTION_INSTITUTIONS = Institution.Code.choices
ANSWERING_UNITS = {"PMP": "PMP", "MJ": "MJ-INFO", "CSPJ": "CSPJ", "MED": "MED", "MRE": "MRE"}


def question_summary(case) -> list[tuple[str, str]]:
    details = case.details
    return [
        (_("Institution"), str(dict(QUESTION_INSTITUTIONS).get(details.get("institution"), ""))),
        (_("Subject"), details.get("subject", "")),
    ]


AGENT, MAGISTRATE, HEAD = Role.AGENT, Role.MAGISTRATE, Role.UNIT_HEAD
DESK = frozenset({AGENT, MAGISTRATE, HEAD})

QUESTION_WORKFLOW = Workflow(
    procedure="question",
    initial="received",
    states=(
        State(
            "received",
            _("Received — to answer"),
            _("Received: an agent will answer"),
            target_days=10,
            explanation=_(
                "Your question reached the institution you chose. An agent will answer "
                "you here and by SMS. If another institution is better placed, it is "
                "forwarded to it and you are told."
            ),
        ),
        State(
            "info_requested",
            _("Clarification requested"),
            _("Waiting for a clarification from you"),
            target_days=30,
            explanation=_(
                "The agent needs you to clarify your question: read the message below "
                "and answer on this page."
            ),
        ),
        State(
            "info_provided",
            _("Clarification provided"),
            _("Your clarification was received"),
            target_days=5,
            explanation=_("Your clarification reached the agent, who will answer you."),
        ),
        State(
            "answered",
            _("Answered"),
            _("Answered"),
            outcome="answered",
            target_days=15,
            explanation=_(
                "The answer is below. It is general information, not a decision on your "
                "own case; for a dispute or an offence, file the matching request."
            ),
        ),
        State(
            "closed",
            _("Closed"),
            _("Closed"),
            terminal=True,
            explanation=_("This question is closed. You can ask a new one at any time."),
        ),
        WITHDRAWN,
    ),
    steps=(
        Step(
            "forward",
            _("Forward to another institution"),
            ("received", "info_provided"),
            "received",
            DESK,
            notify="case.update",
            inputs=("forward_to",),
        ),
        Step(
            "request_information",
            _("Ask for a clarification"),
            ("received", "info_provided"),
            "info_requested",
            DESK,
            notify="case.info_requested",
            message_required=True,
        ),
        information_provision(label=_("Send the clarification")),
        Step(
            "answer",
            _("Answer"),
            ("received", "info_provided"),
            "answered",
            DESK,
            notify="question.answered",
            message_required=True,
        ),
        Step("close", _("Close"), ("answered",), "closed", DESK, citizen_visible=False),
        withdrawal(("received", "info_requested", "info_provided")),
    ),
)
