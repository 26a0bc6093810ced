"""Reads and visibility: who may see which cases."""

from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from mizan.accounts.models import Membership, Role, Unit
from mizan.core import references

from .models import Case, CaseEvent


def staff_unit_ids(*, user) -> list[int]:
    if not user.is_authenticated:
        return []
    # An auditor's membership opens the audit log, never the unit's cases.
    return list(
        Membership.objects.filter(user=user)
        .exclude(role=Role.AUDITOR)
        .values_list("unit_id", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class QueueFilter:
    """What an agent narrows the unit's queue to; every field optional."""

    unit: int | None = None
    procedure: str = ""
    status: str = ""
    assignee: str = ""  # "me", "none", or a user id
    quick: str = ""  # one of QUICK_FILTERS
    sort: str = "age"  # "age" (oldest filed first) or "deadline" (nearest first)

    def counted_above(self) -> bool:
        """Whether `queue_counts` counts this very list (all, or one quick filter)."""
        return not (self.procedure or self.status or self.assignee) and self.sort == "age"


# The one-click filters above the queue, with a count each.
QUICK_FILTERS = ("overdue", "soon", "to_confirm", "unreached", "back_to_me", "unassigned")
# States in which the citizen has answered and the file waits for its handler again.
CITIZEN_REPLIED_STATES = ("info_provided",)


def _quick(cases: QuerySet[Case], quick: str, *, user, now) -> QuerySet[Case]:
    from mizan.deadlines.services import deadline_for

    if quick == "overdue":
        return cases.filter(due_at__lt=now)
    if quick == "soon":
        return cases.filter(due_at__gte=now, due_at__lte=deadline_for(now, 2))
    if quick == "to_confirm":
        return cases.filter(destination_to_confirm=True)
    if quick == "unreached":
        return cases.filter(citizen_unreached_at__isnull=False)
    if quick == "back_to_me":
        return cases.filter(status__in=CITIZEN_REPLIED_STATES, assignee=user)
    if quick == "unassigned":
        return cases.filter(assignee__isnull=True, closed_at__isnull=True)
    return cases


def _visible(user, unit: int | None) -> QuerySet[Case]:
    unit_ids = staff_unit_ids(user=user)
    if unit is not None:
        unit_ids = [unit_id for unit_id in unit_ids if unit_id == unit]
    return Case.objects.filter(unit_id__in=unit_ids)


def case_queue(*, user, filters: QueueFilter | None = None, now=None) -> QuerySet[Case]:
    """The cases of the user's units, oldest first (first come, first served), or by
    nearest deadline, narrowed by the filters."""
    filters = filters or QueueFilter()
    now = now or timezone.now()
    # Only the columns the list shows: the filing's details stay on disk.
    cases = (
        _visible(user, filters.unit)
        .select_related("assignee")
        .only(
            "id",
            "reference",
            "procedure",
            "status",
            "submitted_at",
            "due_at",
            "closed_at",
            "destination_to_confirm",
            "citizen_unreached_at",
            "assignee__username",
            "assignee__first_name",
            "assignee__last_name",
        )
    )
    if filters.procedure:
        cases = cases.filter(procedure=filters.procedure)
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.assignee == "me":
        cases = cases.filter(assignee=user)
    elif filters.assignee == "none":
        cases = cases.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        cases = cases.filter(assignee_id=int(filters.assignee))
    cases = _quick(cases, filters.quick, user=user, now=now)
    if filters.sort == "deadline":
        # Only cases that have a deadline (closed ones do not), nearest first.
        return cases.filter(due_at__isnull=False).order_by("due_at", "id")
    return cases.order_by("submitted_at", "id")


def queue_counts(*, user, unit: int | None = None, now=None) -> dict[str, int]:
    """How many cases each one-click filter holds (one indexed count each)."""
    now = now or timezone.now()
    base = _visible(user, unit)
    counts = {"all": base.count()}
    for quick in QUICK_FILTERS:
        counts[quick] = _quick(base, quick, user=user, now=now).count()
    return counts


def magistrates_by_load(*, unit_id: int) -> list[tuple]:
    """The unit's magistrates with their number of open assigned cases, least busy first."""
    from django.contrib.auth import get_user_model

    people = (
        get_user_model()
        .objects.filter(memberships__unit_id=unit_id, memberships__role=Role.MAGISTRATE)
        .distinct()
        .annotate(
            open_cases=Count(
                "assigned_cases",
                filter=Q(assigned_cases__unit_id=unit_id, assigned_cases__closed_at__isnull=True),
            )
        )
        .order_by("open_cases", "id")
    )
    return [(person, person.open_cases) for person in people]


def case_for_staff(*, user, reference: str) -> Case | None:
    """The case if the user belongs to its unit; None otherwise (the view answers 404)."""
    canonical = references.canonical(reference)
    if canonical is None:
        return None
    return (
        Case.objects.filter(reference=canonical, unit_id__in=staff_unit_ids(user=user))
        .select_related("unit", "unit__court", "assignee", "commune", "commune__province")
        .first()
    )


def case_by_reference(*, reference: str) -> Case | None:
    canonical = references.canonical(reference)
    if canonical is None:
        return None
    return Case.objects.filter(reference=canonical).select_related("unit", "unit__court").first()


def citizen_timeline(*, case: Case) -> list[CaseEvent]:
    """The steps the citizen may see, with citizen wording only (never internal notes)."""
    return list(case.events.filter(citizen_visible=True).order_by("at", "id"))


def staff_timeline(*, case: Case) -> list[CaseEvent]:
    return list(case.events.select_related("actor").order_by("at", "id"))


def case_accesses_for_citizen(*, case: Case, limit: int = 30) -> list[dict]:
    """Which units opened the file and when, newest first, one line per unit and day
    (staff names stay in the audit log)."""
    from django.db.models.functions import TruncDate

    from .models import CaseAccess

    rows = (
        CaseAccess.objects.filter(case=case)
        .annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
        .values("unit", "day")
        .annotate(times=Count("id"), last=Max("at"))
        .order_by("-last")[:limit]
    )
    units = {unit.pk: unit for unit in Unit.objects.filter(pk__in={row["unit"] for row in rows})}
    return [{**row, "unit": units[row["unit"]]} for row in rows]


def citizen_decision(*, case: Case) -> list[tuple[str, str]]:
    """What a decision set that the citizen must know, beyond its message: the bail's
    amount and conditions, the body a grievance was redirected to, the commission
    session a pardon request is scheduled to."""
    from django.utils.translation import gettext as _

    details = case.details
    rows = []
    bail = details.get("bail_decision")
    if bail:
        rows.append((_("Bail to deposit (dirhams)"), bail.get("amount", "")))
        if bail.get("conditions"):
            rows.append((_("Conditions"), bail["conditions"]))
    redirect = details.get("redirect")
    # Once handed over, the competent body is the office shown above: not twice.
    if redirect and redirect.get("unit") != case.unit.code:
        rows.append((_("Competent body"), redirect.get("body", "")))
    if details.get("commission_session_label") and not case.state.terminal:
        rows.append((_("Session of the pardon commission"), details["commission_session_label"]))
    return rows


def cases_for_phone(*, phone: str) -> list[Case]:
    """Every request filed with this phone, or naming it as the person concerned (a
    lawyer or relative filed for them), newest first: the citizen space."""
    from django.db.models import Q

    return list(
        Case.objects.filter(Q(filer_phone=phone) | Q(details__concerned__phone=phone))
        .select_related("unit", "unit__court", "unit__region")
        .order_by("-submitted_at")[:200]
    )


def messages_for_phone(*, phone: str, limit: int = 50):
    """The SMS Mizan sent to this phone about requests (one-time codes excluded)."""
    from mizan.notifications.models import Notification

    return list(
        Notification.objects.filter(
            recipient=phone, channel=Notification.Channel.SMS, case__isnull=False
        )
        .select_related("case")
        .order_by("-created_at")[:limit]
    )
