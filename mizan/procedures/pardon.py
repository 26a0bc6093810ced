"""Pardon request (demande de grâce).

Filed by the convicted person or, more often, a relative or a lawyer; examined by the
secretariat of the pardon commission (Ministry of Justice), which gathers the opinions
of the prosecution and of the prison administration before the commission, which sits
a few times a year, gives its opinion; the decision is the King's.
"""

from django.utils.translation import gettext_lazy as _

from mizan.accounts.models import Role

from .common import RELATIONSHIPS, label_of
from .workflow import WITHDRAWN, State, Step, Workflow, information_provision, withdrawal

PARDON_GROUNDS = [
    ("health", _("Health")),
    ("family", _("Family situation")),
    ("conduct", _("Good conduct in detention")),
    ("other", _("Other")),
]


def pardon_summary(case) -> list[tuple[str, str]]:
    from mizan.reference.models import Court, Prison

    details = case.details
    convicted = details.get("convicted") or {}
    judgment = details.get("judgment") or {}
    prison = Prison.objects.filter(pk=convicted.get("prison")).first()
    court = Court.objects.filter(pk=judgment.get("court")).first()
    grounds = ", ".join(str(label_of(PARDON_GROUNDS, g)) for g in details.get("grounds", []))
    return [
        (_("Convicted person"), convicted.get("name", "")),
        (_("CIN"), convicted.get("cin", "")),
        (_("Date of birth"), convicted.get("birth_date", "")),
        (_("Prison"), prison.name if prison else ""),
        (_("Detention number"), convicted.get("detention_number", "")),
        (_("Court"), court.name if court else ""),
        (_("Date of the judgment"), judgment.get("date", "")),
        (_("Case number"), judgment.get("case_number", "")),
        (_("Sentence"), judgment.get("sentence", "")),
        (_("Grounds"), grounds),
        (_("Requester's relationship"), str(label_of(RELATIONSHIPS, details.get("relationship")))),
        (_("Commission session"), details.get("commission_session_label", "")),
    ]


AGENT, MAGISTRATE, HEAD = Role.AGENT, Role.MAGISTRATE, Role.UNIT_HEAD
SECRETARIAT = frozenset({AGENT, MAGISTRATE, HEAD})
DECIDERS = frozenset({MAGISTRATE, HEAD})
BEFORE_COMMISSION = "before_commission"
DECISIONS = ("granted_full", "granted_partial", "commuted", "rejected")

PARDON_WORKFLOW = Workflow(
    procedure="pardon",
    initial="received",
    states=(
        State(
            "received",
            _("Received — admissibility to check"),
            _("Received by the pardon secretariat"),
            target_days=10,
            explanation=_(
                "Your request reached the secretariat of the pardon commission. It first "
                "checks that the request can be examined: a final judgment, the person's "
                "identity, the documents."
            ),
        ),
        State(
            "info_requested",
            _("Information requested from the requester"),
            _("Waiting for information from you"),
            target_days=30,
            explanation=_(
                "The secretariat needs something from you before it can go on: read its "
                "message below and answer on this page, with documents if asked."
            ),
        ),
        State(
            "info_provided",
            _("Information provided — back to the secretariat"),
            _("Your information was received"),
            target_days=10,
            explanation=_(
                "Your answer reached the secretariat, which goes on checking the request."
            ),
        ),
        State(
            "inadmissible",
            _("Inadmissible"),
            _("Request not admissible"),
            outcome="inadmissible",
            target_days=5,
            explanation=_(
                "The request cannot be examined, for the reason given in the message "
                "(for example, the judgment is not final yet). A new request can be "
                "filed once the reason no longer applies."
            ),
        ),
        State(
            "admissible",
            _("Admissible — opinions to request"),
            _("Admissible: being prepared for the commission"),
            target_days=10,
            explanation=_(
                "The request can be examined. The secretariat will ask the prosecution "
                "and the prison administration for their opinions."
            ),
        ),
        State(
            "opinions_requested",
            _("Opinions requested (prosecution, prison administration)"),
            _("Opinions requested from the prosecution and the prison administration"),
            target_days=40,
            explanation=_(
                "The prosecution and the prison administration were asked for their "
                "opinion on the request. This usually takes several weeks; you have "
                "nothing to do."
            ),
        ),
        State(
            "opinions_received",
            _("Opinions received — to schedule before the commission"),
            _("Opinions received"),
            target_days=20,
            explanation=_(
                "The opinions were received. The request will be put on the agenda of a "
                "session of the pardon commission."
            ),
        ),
        State(
            BEFORE_COMMISSION,
            _("Scheduled before the pardon commission"),
            _("Before the pardon commission"),
            explanation=_(
                "The request is on the agenda of a session of the pardon commission, "
                "which meets a few times a year (often before religious and national "
                "holidays). The decision is announced after the session."
            ),
        ),
        State(
            "granted_full",
            _("Decision: pardon granted in full"),
            _("Decision: pardon granted"),
            outcome="granted",
            target_days=5,
            explanation=_(
                "A pardon was granted for the whole remaining sentence. The prison "
                "administration carries out the release; you will be told when the "
                "decision has been notified."
            ),
        ),
        State(
            "granted_partial",
            _("Decision: partial pardon (sentence reduced)"),
            _("Decision: sentence reduced"),
            outcome="granted_partial",
            target_days=5,
            explanation=_(
                "A partial pardon was granted: the sentence is reduced, as the message "
                "says. The rest of the sentence is still to be served."
            ),
        ),
        State(
            "commuted",
            _("Decision: sentence commuted"),
            _("Decision: sentence commuted"),
            outcome="commuted",
            target_days=5,
            explanation=_("The sentence was commuted into a lighter one, as the message says."),
        ),
        State(
            "rejected",
            _("Decision: pardon refused"),
            _("Decision: pardon not granted"),
            outcome="rejected",
            target_days=5,
            explanation=_(
                "The pardon was not granted this time. A new request may be filed later, "
                "in particular if the situation changes (health, family, conduct)."
            ),
        ),
        State(
            "notified",
            _("Decision notified"),
            _("Decision notified"),
            target_days=5,
            explanation=_(
                "The decision was notified to the convicted person and to the prison "
                "administration."
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
            "request_information",
            _("Ask the requester for information"),
            ("received", "info_provided"),
            "info_requested",
            SECRETARIAT,
            notify="case.info_requested",
            message_required=True,
        ),
        information_provision(),
        Step(
            "declare_inadmissible",
            _("Declare inadmissible"),
            ("received", "info_provided"),
            "inadmissible",
            DECIDERS,
            notify="case.update",
            message_required=True,
        ),
        Step(
            "declare_admissible",
            _("Declare admissible"),
            ("received", "info_provided"),
            "admissible",
            SECRETARIAT,
            notify="case.update",
        ),
        Step(
            "request_opinions",
            _("Request the opinions (prosecution, prison administration)"),
            ("admissible",),
            "opinions_requested",
            SECRETARIAT,
            notify="case.update",
        ),
        Step(
            "record_opinions",
            _("Record the opinions received"),
            ("opinions_requested",),
            "opinions_received",
            SECRETARIAT,
            notify="case.update",
        ),
        Step(
            "schedule_commission",
            _("Schedule before a commission session"),
            ("opinions_received", BEFORE_COMMISSION),
            BEFORE_COMMISSION,
            SECRETARIAT,
            notify="case.update",
            inputs=("commission_session",),
        ),
        Step(
            "decide_granted_full",
            _("Record the decision: pardon in full"),
            (BEFORE_COMMISSION,),
            "granted_full",
            DECIDERS,
            notify="case.decided",
        ),
        Step(
            "decide_granted_partial",
            _("Record the decision: partial pardon"),
            (BEFORE_COMMISSION,),
            "granted_partial",
            DECIDERS,
            notify="case.decided",
            message_required=True,
        ),
        Step(
            "decide_commuted",
            _("Record the decision: commutation"),
            (BEFORE_COMMISSION,),
            "commuted",
            DECIDERS,
            notify="case.decided",
            message_required=True,
        ),
        Step(
            "decide_rejected",
            _("Record the decision: refused"),
            (BEFORE_COMMISSION,),
            "rejected",
            DECIDERS,
            notify="case.decided",
        ),
        Step(
            "notify_decision",
            _("Record that the decision was notified"),
            DECISIONS,
            "notified",
            SECRETARIAT,
            notify="case.update",
        ),
        Step(
            "close",
            _("Close"),
            ("notified", "inadmissible"),
            "closed",
            SECRETARIAT,
        ),
        withdrawal(
            (
                "received",
                "info_requested",
                "info_provided",
                "admissible",
                "opinions_requested",
                "opinions_received",
                BEFORE_COMMISSION,
            )
        ),
    ),
)
