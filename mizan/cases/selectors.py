"""Reads and visibility: who may see which cases."""

from django.db.models import QuerySet

from mizan.accounts.models import Membership, Role
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


def case_queue(
    *, user, status: str = "", to_confirm: bool = False, unreached: bool = False
) -> QuerySet[Case]:
    """The cases of the user's units, oldest first (first come, first served)."""
    # Only the columns the list shows: the filing's details stay on disk.
    cases = (
        Case.objects.filter(unit_id__in=staff_unit_ids(user=user))
        .select_related("assignee")
        .only(
            "id",
            "reference",
            "procedure",
            "status",
            "submitted_at",
            "destination_to_confirm",
            "citizen_unreached_at",
            "assignee__username",
            "assignee__first_name",
            "assignee__last_name",
        )
    )
    if status:
        cases = cases.filter(status=status)
    if to_confirm:
        cases = cases.filter(destination_to_confirm=True)
    if unreached:
        cases = cases.filter(citizen_unreached_at__isnull=False)
    return cases.order_by("submitted_at", "id")


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
