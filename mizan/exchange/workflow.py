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
