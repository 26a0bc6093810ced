"""Workflows as data: each procedure declares its states and steps in one table.

Pages ask the workflow which steps are allowed now, and `case_transition` refuses
anything else, so no button offers a step the server would refuse.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The filer acting on their own request (answering a request for information...).
CITIZEN = "citizen"


@dataclass(frozen=True)
class State:
    name: str
    label: Promise  # what staff read
    citizen_label: Promise  # what the citizen reads on the tracking page
    terminal: bool = False
    # Target time for the case to leave this state, in working days (None: no target).
    target_days: int | None = None
    # "What this step means", for the citizen: what happened, what happens next, what
    # they can do. Every citizen-visible state has one (checked by the tests).
    explanation: Promise | None = None
    # Entering this state decides the request, with this outcome (statistics: time to
    # decision, outcome shares). Codes are shared across procedures where they mean the
    # same: granted, rejected, inadmissible, redirected, withdrawn...
    outcome: str | None = None


@dataclass(frozen=True)
class Step:
    name: str
    label: Promise
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    # Message template key sent to the filer when the step is taken (None: silent).
    notify: str | None = None
    # Extra inputs the step needs, handled by case_transition (see STEP_INPUTS).
    inputs: tuple[str, ...] = ()
    message_required: bool = False
    # Whether the step appears on the citizen's timeline at all.
    citizen_visible: bool = True
    # A citizen step that takes documents (an answer, a bail deposit receipt); with
    # `uploads_required`, at least one.
    uploads: bool = False
    uploads_required: bool = False
    # Something the step does beyond the status (see case_transition): "handover"
    # hands the case to the competent unit named when it was redirected.
    effect: str | None = None


@dataclass(frozen=True)
class Workflow:
    procedure: str
    initial: str
    states: tuple[State, ...]
    steps: tuple[Step, ...]
    _states: dict[str, State] = field(init=False, repr=False, compare=False)
    _steps: dict[str, Step] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_states", {state.name: state for state in self.states})
        object.__setattr__(self, "_steps", {step.name: step for step in self.steps})
        problems = self.problems()
        if problems:
            raise ValueError(f"workflow {self.procedure!r} is inconsistent: {problems}")

    def state(self, name: str) -> State:
        return self._states[name]

    def step(self, name: str) -> Step | None:
        return self._steps.get(name)

    def steps_from(self, status: str) -> list[Step]:
        return [step for step in self.steps if status in step.sources]

    def steps_for(self, status: str, roles: Iterable[str]) -> list[Step]:
        roles = set(roles)
        return [step for step in self.steps_from(status) if step.roles & roles]

    def outcome_states(self) -> dict[str, str]:
        """State name -> outcome code, for the states that decide a request."""
        return {state.name: state.outcome for state in self.states if state.outcome}

    def citizen_steps(self, status: str) -> list[Step]:
        return [step for step in self.steps_from(status) if CITIZEN in step.roles]

    def problems(self) -> list[str]:
        """Structural faults: unknown states, unreachable states, exits from terminals."""
        found = []
        names = set(self._states)
        if self.initial not in names:
            found.append(f"initial state {self.initial!r} unknown")
        for step in self.steps:
            for state in (*step.sources, step.target):
                if state not in names:
                    found.append(f"step {step.name!r} names unknown state {state!r}")
        reachable, frontier = {self.initial}, [self.initial]
        while frontier:
            current = frontier.pop()
            for step in self.steps:
                if current in step.sources and step.target not in reachable:
                    reachable.add(step.target)
                    frontier.append(step.target)
        for state in self.states:
            if state.name not in reachable:
                found.append(f"state {state.name!r} unreachable")
            exits = [s.name for s in self.steps if state.name in s.sources]
            if state.terminal and exits:
                found.append(f"terminal state {state.name!r} has exits {exits}")
            if not state.terminal and not exits:
                found.append(f"state {state.name!r} is a dead end but not terminal")
        return found


WITHDRAWN = State(
    "withdrawn",
    _("Withdrawn by the citizen"),
    _("Withdrawn at your request"),
    terminal=True,
    outcome="withdrawn",
    explanation=_(
        "You withdrew this request; the office will take no further step on it. "
        "If you change your mind, you can file a new request."
    ),
)


def withdrawal(sources: tuple[str, ...], *, notify: str = "case.withdrawn") -> Step:
    """The citizen's own step: withdraw the request while it is not decided."""
    return Step(
        "withdraw",
        _("Withdraw my request"),
        sources,
        WITHDRAWN.name,
        frozenset({CITIZEN}),
        notify=notify,
    )


def information_provision(*, label=None, notify: str = "case.info_provided") -> Step:
    """The citizen's answer to a request for information: a message (and documents)
    that takes the request back to the office."""
    return Step(
        "provide_information",
        label or _("Provide the information"),
        ("info_requested",),
        "info_provided",
        frozenset({CITIZEN}),
        notify=notify,
        message_required=True,
        uploads=True,
    )
