"""What is published: each measure's code (a stable column name in the open-data
files), its label and its definition (the data dictionary page and
docs/transparency.md say the same)."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mizan.procedures.common import CHANNELS
from mizan.procedures.registry import get_procedure

from .targets import outcome_codes

OUTCOME_PREFIX = "outcome_"
# Requests received through each channel (`Case.channel`): received_web, received_counter...
CHANNEL_PREFIX = "received_"
CHANNEL_CODES = tuple(code for code, _label in CHANNELS)
CHANNEL_LABELS: dict[str, Promise] = dict(CHANNELS)
AGE_MEASURES = ("pending_under_1m", "pending_1_3m", "pending_3_12m", "pending_over_12m")
TIME_MEASURES = ("median_days", "p90_days")


@dataclass(frozen=True)
class Measure:
    code: str
    label: Promise
    definition: Promise
    count: bool = True  # a count of requests or messages (suppressed under the threshold)


OUTCOME_LABELS: dict[str, Promise] = {
    "prosecution": _("Prosecution"),
    "no_action": _("Filed without further action"),
    "transferred": _("Transferred to the competent office"),
    "withdrawn": _("Withdrawn by the citizen"),
    "inadmissible": _("Inadmissible"),
    "granted": _("Granted"),
    "granted_partial": _("Granted in part"),
    "commuted": _("Sentence commuted"),
    "rejected": _("Rejected"),
    "redirected": _("Redirected to the competent body"),
    "recommendation": _("Recommendation issued"),
    "settled": _("Settled"),
    "answered": _("Answered"),
}

AGE_LABELS: dict[str, Promise] = {
    "pending_under_1m": _("less than 1 month"),
    "pending_1_3m": _("1 to 3 months"),
    "pending_3_12m": _("3 to 12 months"),
    "pending_over_12m": _("more than 12 months"),
}

GENERAL_MEASURES: tuple[Measure, ...] = (
    Measure(
        "received",
        _("Requests received"),
        _("Requests filed during the month (Morocco's time), by the office now handling them."),
    ),
    Measure(
        "decided",
        _("Requests decided"),
        _(
            "Requests whose first decision came during the month, whatever the decision, "
            "withdrawals by the citizen included. A request is counted once, in the month "
            "of its first decision."
        ),
    ),
    Measure(
        "decided_within_target",
        _("Decided within the target delay"),
        _(
            "Decisions that came no later than the target delay: the sum of the working-day "
            "targets of the steps on the direct path from filing to that decision (working "
            "days: Monday to Friday, public holidays excepted). Decisions without a target "
            "(a step on the path has none) and withdrawals are not counted here."
        ),
    ),
    Measure(
        "decided_after_target",
        _("Decided after the target delay"),
        _("Decisions with a target delay that came after it."),
    ),
    Measure(
        "median_days",
        _("Median time to decision (days)"),
        _(
            "Half of the month's decisions came within this many calendar days of filing "
            "(from the local filing date to the local decision date; withdrawals left out). "
            "Not published when fewer decisions than the threshold stand behind it."
        ),
        count=False,
    ),
    Measure(
        "p90_days",
        _("Time within which 9 in 10 were decided (days)"),
        _(
            "Nine in ten of the month's decisions came within this many calendar days of "
            "filing (90th percentile, nearest rank). Same rules as the median."
        ),
        count=False,
    ),
    Measure(
        "pending",
        _("Pending at the end of the month"),
        _(
            "Requests filed before the end of the month and not decided by then, by the "
            "office now handling them."
        ),
    ),
    Measure(
        "pending_under_1m",
        _("Pending: less than 1 month old"),
        _("Pending requests filed during the month."),
    ),
    Measure(
        "pending_1_3m",
        _("Pending: 1 to 3 months old"),
        _("Pending requests filed in the two months before."),
    ),
    Measure(
        "pending_3_12m",
        _("Pending: 3 to 12 months old"),
        _("Pending requests filed 3 to 12 months before the end of the month."),
    ),
    Measure(
        "pending_over_12m",
        _("Pending: more than 12 months old"),
        _("Pending requests filed more than 12 months before the end of the month."),
    ),
    Measure(
        "sms_delivered",
        _("SMS delivered"),
        _("SMS to citizens about their request, created during the month and delivered."),
    ),
    Measure(
        "sms_not_reached",
        _("SMS that did not reach the citizen"),
        _(
            "SMS created during the month that finally failed (wrong or unreachable "
            "number, or given up after retries). Messages still on their way are in "
            "neither figure."
        ),
    ),
)
MEASURES_BY_CODE = {measure.code: measure for measure in GENERAL_MEASURES}


def outcome_label(procedure: str, code: str) -> Promise:
    if code in OUTCOME_LABELS:
        return OUTCOME_LABELS[code]
    workflow = get_procedure(procedure).workflow
    for state_name, state_code in workflow.outcome_states().items():
        if state_code == code:
            return workflow.state(state_name).label
    return code


def outcome_measures(procedure: str) -> list[str]:
    return [f"{OUTCOME_PREFIX}{code}" for code in outcome_codes(procedure)]


def channel_measures() -> list[str]:
    """The requests received through each channel; they add up to `received`."""
    return [f"{CHANNEL_PREFIX}{code}" for code in CHANNEL_CODES]


def channel_label(code: str) -> Promise:
    return CHANNEL_LABELS.get(code, code)


def count_measures(procedure: str) -> list[str]:
    """Every count published for the procedure, in the files' column order (columns
    added later come last, so that a program reading columns by position still works)."""
    return [
        "received",
        "decided",
        *outcome_measures(procedure),
        "decided_within_target",
        "decided_after_target",
        "pending",
        *AGE_MEASURES,
        "sms_delivered",
        "sms_not_reached",
        *channel_measures(),
    ]


def file_columns(procedure: str) -> list[str]:
    """The measure columns of the procedure's open-data files, in order."""
    counts = count_measures(procedure)
    position = counts.index("decided_after_target") + 1
    return [*counts[:position], *TIME_MEASURES, *counts[position:]]


def measure_label(procedure: str, code: str) -> Promise:
    if code.startswith(OUTCOME_PREFIX):
        return outcome_label(procedure, code.removeprefix(OUTCOME_PREFIX))
    if code.startswith(CHANNEL_PREFIX):
        return channel_label(code.removeprefix(CHANNEL_PREFIX))
    return MEASURES_BY_CODE[code].label
