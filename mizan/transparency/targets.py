"""The target delay from filing to each decision, derived from the workflows.

Each workflow gives every state a target in working days (`State.target_days`, which
an administrator may change: `target_days_for`). The target for a decision is the sum
of the targets of the states on the direct path from filing to that decision (fewest
steps: no request for information, no detour). When a state on that path has no
target (the pardon commission sits when it is convened; the administration answers
the Mediator in calendar days), the decision has no target and is not counted in
"decided within the target". Withdrawals are the citizen's act, not a decision by
the office: no target either.
"""

from collections import deque

from mizan.deadlines.selectors import target_days_for
from mizan.procedures.registry import get_procedure
from mizan.procedures.workflow import CITIZEN, WITHDRAWN


def decision_targets(procedure: str) -> dict[str, int | None]:
    """Outcome state name -> working days from filing to that decision, or None."""
    workflow = get_procedure(procedure).workflow
    # Breadth first over the office's own steps: the fewest steps to each state.
    path_to = {workflow.initial: [workflow.initial]}
    queue = deque([workflow.initial])
    while queue:
        state = queue.popleft()
        for step in workflow.steps_from(state):
            if CITIZEN in step.roles or step.target in path_to:
                continue
            path_to[step.target] = [*path_to[state], step.target]
            queue.append(step.target)
    targets: dict[str, int | None] = {}
    for state_name in workflow.outcome_states():
        path = path_to.get(state_name)
        if state_name == WITHDRAWN.name or path is None:
            targets[state_name] = None
            continue
        days = [
            target_days_for(procedure=procedure, state=workflow.state(name)) for name in path[:-1]
        ]
        targets[state_name] = None if None in days else sum(days)
    return targets


def outcome_codes(procedure: str) -> list[str]:
    """The procedure's outcome codes, in the workflow's order, each once."""
    codes: list[str] = []
    for code in get_procedure(procedure).workflow.outcome_states().values():
        if code not in codes:
            codes.append(code)
    return codes


def targeted_codes(procedure: str, targets: dict[str, int | None]) -> list[str] | None:
    """The outcome codes whose decisions all have a target — their counts add up to
    "within" + "after" the target — or None when a code mixes states with and
    without a target (then no such sum holds)."""
    by_code: dict[str, set[bool]] = {}
    for state_name, code in get_procedure(procedure).workflow.outcome_states().items():
        by_code.setdefault(code, set()).add(targets[state_name] is not None)
    if any(len(kinds) > 1 for kinds in by_code.values()):
        return None
    return [code for code in outcome_codes(procedure) if by_code[code] == {True}]
