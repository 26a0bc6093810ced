"""The lifecycle of an exchange file, as data: states, and steps with the side that
may take each. `exchange_file_transition` refuses anything this table does not allow,
and the file page offers exactly the steps it allows."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

COURT = "court"  # a member of the sending court registry
OFFICE = "office"  # the commissaire or a clerk of the assigned office

SERVICE, ENFORCEMENT = "service", "enforcement"
BOTH_KINDS = frozenset({SERVICE, ENFORCEMENT})

SENT = "sent"
ACKNOWLEDGED = "acknowledged"
REPORT_UPLOADED = "report_uploaded"
COMPLETED = "completed"
FAILED = "failed"
WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class ExchangeState:
    name: str
    label: Promise
    terminal: bool = False


@dataclass(frozen=True)
class ExchangeStep:
    name: str
    label: Promise
    sources: tuple[str, ...]
    # None: the step records something (an attempt, an amount) and the status stays.
    target: str | None
    side: str
    # How the file's history names the step once taken.
    done: Promise
    kinds: frozenset[str] = BOTH_KINDS
    reason_required: bool = False


STATES = (
    ExchangeState(SENT, _("Sent, awaiting acknowledgement")),
    ExchangeState(ACKNOWLEDGED, _("Acknowledged by the office")),
    ExchangeState(REPORT_UPLOADED, _("Report uploaded")),
    ExchangeState(COMPLETED, _("Completed"), terminal=True),
    ExchangeState(FAILED, _("Failed"), terminal=True),
    ExchangeState(WITHDRAWN, _("Withdrawn by the court"), terminal=True),
)

STEPS = (
    ExchangeStep(
        "acknowledge",
        _("Acknowledge receipt"),
        (SENT,),
        ACKNOWLEDGED,
        OFFICE,
        done=_("Receipt acknowledged"),
    ),
    ExchangeStep(
        "record_attempt",
        _("Record an attempt"),
        (ACKNOWLEDGED,),
        None,
        OFFICE,
        done=_("Attempt recorded"),
    ),
    ExchangeStep(
        "record_recovery",
        _("Record an amount recovered"),
        (ACKNOWLEDGED, REPORT_UPLOADED),
        None,
        OFFICE,
        done=_("Amount recovered recorded"),
        kinds=frozenset({ENFORCEMENT}),
    ),
    ExchangeStep(
        "upload_report",
        _("Upload the report"),
        (ACKNOWLEDGED,),
        REPORT_UPLOADED,
        OFFICE,
        done=_("Report uploaded"),
    ),
    ExchangeStep(
        "complete",
        _("Mark as completed"),
        (REPORT_UPLOADED,),
        COMPLETED,
        OFFICE,
        done=_("Completed"),
    ),
    ExchangeStep(
        "fail",
        _("Mark as failed"),
        (REPORT_UPLOADED,),
        FAILED,
        OFFICE,
        done=_("Failed"),
        reason_required=True,
    ),
    ExchangeStep(
        "withdraw",
        _("Withdraw the file"),
        (SENT, ACKNOWLEDGED),
        WITHDRAWN,
        COURT,
        done=_("Withdrawn by the court"),
        reason_required=True,
    ),
)

SENT_DONE = _("File sent by the court")
# Steps recorded and sealed on a file outside the lifecycle table: the status stays.
LINK_CASE = "link_case"
UNLINK_CASE = "unlink_case"
RECORDED_DONE = {
    "send": SENT_DONE,
    LINK_CASE: _("Linked to the litigant's request on Mizan"),
    UNLINK_CASE: _("Link to the litigant's request removed"),
}

# --- what the litigant reads (their request's tracking page, mizan.portal) --------------
# Citizen wording only: the file's free texts (reasons, notes, places, the addressee)
# are never shown to the litigant, who is often not the addressee.


@dataclass(frozen=True)
class CitizenState:
    label: Promise
    explanation: Promise


CITIZEN_STATES = {
    (SENT, SERVICE): CitizenState(
        _("Sent to the commissaire de justice"),
        _(
            "The court registry sent the file to the commissaire de justice's office below, "
            "which has not acknowledged it yet. The office will then try to serve the "
            "document."
        ),
    ),
    (SENT, ENFORCEMENT): CitizenState(
        _("Sent to the commissaire de justice"),
        _(
            "The court registry sent the file to the commissaire de justice's office below, "
            "which has not acknowledged it yet. The office will then enforce the judgment."
        ),
    ),
    (ACKNOWLEDGED, SERVICE): CitizenState(
        _("Being served by the commissaire de justice"),
        _(
            "The office has the file and is trying to serve the document. Each attempt is "
            "listed below; you will get an SMS when the document is served."
        ),
    ),
    (ACKNOWLEDGED, ENFORCEMENT): CitizenState(
        _("Being enforced by the commissaire de justice"),
        _(
            "The office has the file and is enforcing the judgment. Its attempts and the "
            "amounts recovered are listed below; you will get an SMS when the enforcement "
            "is completed."
        ),
    ),
    (REPORT_UPLOADED, SERVICE): CitizenState(
        _("Report filed by the commissaire de justice"),
        _("The office wrote its report (procès-verbal) and is about to close the file."),
    ),
    (REPORT_UPLOADED, ENFORCEMENT): CitizenState(
        _("Report filed by the commissaire de justice"),
        _("The office wrote its report (procès-verbal) and is about to close the file."),
    ),
    (COMPLETED, SERVICE): CitizenState(
        _("Served"),
        _(
            "The document was served and the office closed the file. For a copy of its "
            "report, contact the office."
        ),
    ),
    (COMPLETED, ENFORCEMENT): CitizenState(
        _("Enforcement completed"),
        _(
            "The office completed the enforcement and closed the file. For its report and "
            "the amounts recovered, contact the office."
        ),
    ),
    (FAILED, SERVICE): CitizenState(
        _("Not served"),
        _(
            "The office closed the file without serving the document. Contact the office "
            "or the court registry to know why and what you can do."
        ),
    ),
    (FAILED, ENFORCEMENT): CitizenState(
        _("Enforcement not completed"),
        _(
            "The office closed the file without completing the enforcement. Contact the "
            "office or the court registry to know why and what you can do."
        ),
    ),
    (WITHDRAWN, SERVICE): CitizenState(
        _("Withdrawn by the court registry"),
        _("The court registry took the file back from the office. Contact it to know why."),
    ),
    (WITHDRAWN, ENFORCEMENT): CitizenState(
        _("Withdrawn by the court registry"),
        _("The court registry took the file back from the office. Contact it to know why."),
    ),
}

# Each step as the litigant's timeline names it, per kind; a step missing here (the
# links to the request) is not shown. Attempts are named by their result instead.
CITIZEN_STEPS = {
    ("send", SERVICE): _("Sent to the commissaire de justice"),
    ("send", ENFORCEMENT): _("Sent to the commissaire de justice"),
    ("acknowledge", SERVICE): _("Acknowledged by the office"),
    ("acknowledge", ENFORCEMENT): _("Acknowledged by the office"),
    ("upload_report", SERVICE): _("Report (procès-verbal) filed by the office"),
    ("upload_report", ENFORCEMENT): _("Report (procès-verbal) filed by the office"),
    ("record_recovery", ENFORCEMENT): _("Amount recovered (dirhams)"),
    ("complete", SERVICE): _("Completed: the document was served"),
    ("complete", ENFORCEMENT): _("Enforcement completed"),
    ("fail", SERVICE): _("Closed: the document could not be served"),
    ("fail", ENFORCEMENT): _("Closed: the enforcement could not be completed"),
    ("withdraw", SERVICE): _("Withdrawn by the court registry"),
    ("withdraw", ENFORCEMENT): _("Withdrawn by the court registry"),
}

# An attempt's result in plain words: what happened, never where nor to whom.
CITIZEN_ATTEMPTS = {
    ("in_person", SERVICE): _("Served: handed to the person"),
    ("relative", SERVICE): _("Served: handed to a member of the household"),
    ("refused", SERVICE): _("Not served: the person refused the document"),
    ("address_unknown", SERVICE): _("Not served: the person is unknown at the address"),
    ("absent", SERVICE): _("Not served: nobody at the address"),
    ("in_person", ENFORCEMENT): _("Attempt: the person was met"),
    ("relative", ENFORCEMENT): _("Attempt: a member of the household was met"),
    ("refused", ENFORCEMENT): _("Attempt: the person refused"),
    ("address_unknown", ENFORCEMENT): _("Attempt: the person is unknown at the address"),
    ("absent", ENFORCEMENT): _("Attempt: nobody at the address"),
}

_STATES = {state.name: state for state in STATES}
_STEPS = {step.name: step for step in STEPS}
OPEN_STATES = tuple(state.name for state in STATES if not state.terminal)


def state(name: str) -> ExchangeState:
    return _STATES[name]


def step(name: str) -> ExchangeStep | None:
    return _STEPS.get(name)


def done_label(step_name: str) -> Promise:
    """How the history names a step taken (the sending and the links to a litigant's
    request are not steps of the table)."""
    found = step(step_name)
    return found.done if found else RECORDED_DONE.get(step_name, SENT_DONE)


def steps_for(*, status: str, kind: str, side: str | None) -> list[ExchangeStep]:
    """The steps `side` may take now on a file of `kind` in `status`."""
    return [s for s in STEPS if status in s.sources and s.side == side and kind in s.kinds]


def problems() -> list[str]:
    """Structural faults (checked by the tests): unknown or unreachable states, exits
    from a terminal state, dead ends."""
    found = []
    for s in STEPS:
        for name in (*s.sources, s.target or s.sources[0]):
            if name not in _STATES:
                found.append(f"step {s.name!r} names unknown state {name!r}")
    reachable, frontier = {SENT}, [SENT]
    while frontier:
        current = frontier.pop()
        for s in STEPS:
            if current in s.sources and s.target and s.target not in reachable:
                reachable.add(s.target)
                frontier.append(s.target)
    for st in STATES:
        exits = [s.name for s in STEPS if st.name in s.sources and s.target]
        if st.name not in reachable:
            found.append(f"state {st.name!r} unreachable")
        if st.terminal and exits:
            found.append(f"terminal state {st.name!r} has exits {exits}")
        if not st.terminal and not exits:
            found.append(f"state {st.name!r} is a dead end")
    return found
