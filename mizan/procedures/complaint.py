"""Complaint to the public prosecutor (plainte).

Routed to the prosecution office of the court of first instance competent for the
place of the facts (see mizan.reference.routing).
"""

from django.utils.translation import gettext_lazy as _

from mizan.accounts.models import Role

from .workflow import CITIZEN, State, Step, Workflow

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
        State("received", _("Received"), _("Received by the prosecution office"), target_days=3),
        State("registered", _("Registered"), _("Registered"), target_days=5),
        State(
            "assigned",
            _("Assigned to a prosecutor"),
            _("Being examined by a prosecutor"),
            target_days=30,
        ),
        State(
            "info_requested",
            _("Information requested from the complainant"),
            _("Waiting for information from you"),
            target_days=30,
        ),
        State(
            "info_provided",
            _("Information provided — back to the office"),
            _("Your information was received"),
            target_days=15,
        ),
        State(
            "investigation",
            _("Referred to the judicial police"),
            _("Under investigation by the judicial police"),
            target_days=90,
        ),
        State(
            "decided_prosecution",
            _("Decision: prosecution"),
            _("Decision: prosecution"),
            target_days=7,
        ),
        State(
            "decided_no_action",
            _("Decision: filed without action"),
            _("Decision: filed without further action"),
            target_days=7,
        ),
        State(
            "decided_transferred",
            _("Decision: transferred to another office"),
            _("Decision: transferred to the competent office"),
            target_days=7,
        ),
        State("closed", _("Closed"), _("Closed"), terminal=True),
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
        Step(
            "provide_information",
            _("Provide the information"),
            ("info_requested",),
            "info_provided",
            frozenset({CITIZEN}),
            notify="complaint.info_provided",
            message_required=True,
        ),
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
    ),
)
