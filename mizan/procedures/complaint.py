"""Complaint to the public prosecutor (plainte).

Routed to the prosecution office of the court of first instance competent for the
place of the facts (see mizan.reference.routing).
"""

from django.utils.translation import gettext_lazy as _

from mizan.accounts.models import Role

from .workflow import WITHDRAWN, State, Step, Workflow, information_provision, withdrawal

COMPLAINANT_KINDS = [("person", _("a person")), ("entity", _("a company or association"))]
ID_KINDS = [
    ("cin", _("National identity card (CIN)")),
    ("passport", _("Passport")),
    ("register", _("Trade or association register number")),
]
COMPLAINT_CATEGORIES = [
    ("violence", _("Violence or assault")),
    ("theft", _("Theft")),
    ("fraud", _("Fraud or swindle")),
    ("breach_of_trust", _("Breach of trust")),
    ("threats", _("Threats")),
    ("defamation", _("Defamation or insult")),
    ("cybercrime", _("Online offence (cybercrime)")),
    ("family", _("Family abandonment or non-payment of alimony")),
    ("cheque", _("Bounced cheque")),
    ("property", _("Damage to property or trespass")),
    ("corruption", _("Corruption or bribery")),
    ("other", _("Other")),
]


def complaint_summary(case) -> list[tuple[str, str]]:
    """The filing as staff read it: labels, not codes."""
    from mizan.reference.countries import country_name

    details = case.details
    accused = details.get("accused") or []
    return [
        (_("Files as"), dict(COMPLAINANT_KINDS).get(details.get("complainant_kind"), "")),
        (
            _("Identity document"),
            f"{dict(ID_KINDS).get(details.get('id_kind'), '')} {details.get('id_number', '')}",
        ),
        (_("Nationality"), country_name(details.get("nationality", ""))),
        (_("Country of residence"), country_name(details.get("country_of_residence", ""))),
        (_("Category"), dict(COMPLAINT_CATEGORIES).get(details.get("category"), "")),
        (_("Date of the facts"), details.get("facts_date", "")),
        (
            _("Complained about"),
            _("Unknown") if details.get("accused_unknown") and not accused else "; ".join(accused),
        ),
    ]


AGENT, MAGISTRATE, HEAD = Role.AGENT, Role.MAGISTRATE, Role.UNIT_HEAD
OFFICE = frozenset({AGENT, MAGISTRATE, HEAD})
DECIDERS = frozenset({MAGISTRATE, HEAD})
# A prosecutor may decide once the complaint is assigned, whether or not more
# information or an investigation came first, and without waiting for an answer
# that does not come.
DECIDABLE = ("assigned", "info_requested", "info_provided", "investigation")

COMPLAINT_WORKFLOW = Workflow(
    procedure="complaint",
    initial="received",
    states=(
        State(
            "received",
            _("Received"),
            _("Received by the prosecution office"),
            target_days=3,
            explanation=_(
                "Your complaint reached the prosecution office competent for the place of "
                "the facts. It will be registered in the office's books within a few "
                "working days; you will get an SMS with its registry number."
            ),
        ),
        State(
            "registered",
            _("Registered"),
            _("Registered"),
            target_days=5,
            explanation=_(
                "The office registered your complaint. It will now be given to a "
                "prosecutor, who examines the facts and the documents."
            ),
        ),
        State(
            "assigned",
            _("Assigned to a prosecutor"),
            _("Being examined by a prosecutor"),
            target_days=30,
            explanation=_(
                "A prosecutor is examining your complaint. They may ask you for more "
                "information, refer the facts to the judicial police, or decide. You "
                "will be told by SMS."
            ),
        ),
        State(
            "info_requested",
            _("Information requested from the complainant"),
            _("Waiting for information from you"),
            target_days=30,
            explanation=_(
                "The office needs something from you before it can go on: read its "
                "message below and answer on this page, with documents if asked. "
                "Without an answer, your complaint may be decided on what it has."
            ),
        ),
        State(
            "info_provided",
            _("Information provided — back to the office"),
            _("Your information was received"),
            target_days=15,
            explanation=_(
                "Your answer reached the prosecutor, who goes on examining your complaint."
            ),
        ),
        State(
            "investigation",
            _("Referred to the judicial police"),
            _("Under investigation by the judicial police"),
            target_days=90,
            explanation=_(
                "The prosecutor asked the judicial police to investigate. The police may "
                "call you or the witnesses; an investigation often takes several months. "
                "The prosecutor decides once it is over."
            ),
        ),
        State(
            "decided_prosecution",
            _("Decision: prosecution"),
            _("Decision: prosecution"),
            outcome="prosecution",
            target_days=7,
            explanation=_(
                "The prosecutor decided to prosecute: the case goes before a court. You "
                "may be summoned as a witness or join the proceedings as a civil party "
                "to claim compensation."
            ),
        ),
        State(
            "decided_no_action",
            _("Decision: filed without action"),
            _("Decision: filed without further action"),
            outcome="no_action",
            target_days=7,
            explanation=_(
                "The prosecutor decided not to prosecute for now (classement sans suite), "
                "for the reason given in the message. This is not a judgment: the file "
                "can be reopened if new facts appear. You can also take the matter "
                "directly to the investigating judge as a civil party, with a lawyer's help."
            ),
        ),
        State(
            "decided_transferred",
            _("Decision: transferred to another office"),
            _("Decision: transferred to the competent office"),
            outcome="transferred",
            target_days=7,
            explanation=_(
                "Another prosecution office is competent for these facts: your complaint "
                "was sent to it, under the same reference. You will keep receiving SMS."
            ),
        ),
        State(
            "closed",
            _("Closed"),
            _("Closed"),
            terminal=True,
            explanation=_(
                "The office's work on this request is finished. Keep your reference: "
                "it is the way to ask about it later."
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
            "register",
            _("Register"),
            ("received",),
            "registered",
            OFFICE,
            notify="complaint.registered",
            inputs=("registry_number",),
        ),
        Step(
            "assign",
            _("Assign to a prosecutor"),
            ("registered", "assigned"),
            "assigned",
            frozenset({HEAD, AGENT}),
            notify="complaint.assigned",
            inputs=("assignee",),
        ),
        Step(
            "request_information",
            _("Ask the complainant for information"),
            ("assigned", "info_provided", "investigation"),
            "info_requested",
            DECIDERS,
            notify="complaint.info_requested",
            message_required=True,
        ),
        information_provision(notify="complaint.info_provided"),
        Step(
            "refer_investigation",
            _("Refer to the judicial police"),
            ("assigned", "info_provided"),
            "investigation",
            DECIDERS,
            notify="complaint.investigation",
        ),
        Step(
            "decide_prosecution",
            _("Decide: prosecute"),
            DECIDABLE,
            "decided_prosecution",
            DECIDERS,
            notify="complaint.decided_prosecution",
        ),
        Step(
            "decide_no_action",
            _("Decide: file without action"),
            DECIDABLE,
            "decided_no_action",
            DECIDERS,
            notify="complaint.decided_no_action",
            message_required=True,
        ),
        Step(
            "decide_transfer",
            _("Decide: transfer to another office"),
            DECIDABLE,
            "decided_transferred",
            DECIDERS,
            notify="complaint.decided_transferred",
            inputs=("transfer_to",),
        ),
        Step(
            "close",
            _("Close"),
            ("decided_prosecution", "decided_no_action", "decided_transferred"),
            "closed",
            OFFICE,
            notify="complaint.closed",
        ),
        withdrawal(
            (
                "received",
                "registered",
                "assigned",
                "info_requested",
                "info_provided",
                "investigation",
            )
        ),
    ),
)
