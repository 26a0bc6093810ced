"""Reads and visibility: a court registry sees the files it sent, an office its inbox.

Anything else is "not found" for the reader, never "forbidden", so a reference of
another court or office tells nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import BooleanField as BooleanOutput
from django.db.models import Case, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from mizan.accounts.models import Membership, Role, Unit

from . import workflow
from .models import CommissaireOffice, ExchangeEvent, ExchangeFile, OfficeMember
from .workflow import COURT, OFFICE, OPEN_STATES


def court_units_of(*, user) -> list[Unit]:
    """The court registries in which `user` has a working role (auditors excluded)."""
    if not user.is_authenticated:
        return []
    unit_ids = (
        Membership.objects.filter(user=user, unit__kind=Unit.Kind.COURT_REGISTRY)
        .exclude(role=Role.AUDITOR)
        .values_list("unit_id", flat=True)
    )
    return list(Unit.objects.filter(id__in=unit_ids, is_active=True).select_related("court"))


def office_of(*, user) -> CommissaireOffice | None:
    """The office `user` acts for, if the member and the office are both active."""
    if not user.is_authenticated:
        return None
    member = (
        OfficeMember.objects.filter(user=user, is_active=True, office__is_active=True)
        .select_related("office")
        .first()
    )
    return member.office if member else None


def side_of(*, user, file: ExchangeFile) -> str | None:
    """COURT, OFFICE or None: on which side of this file `user` stands."""
    office = office_of(user=user)
    if office is not None and file.office_id == office.pk:
        return OFFICE
    if any(unit.pk == file.court_unit_id for unit in court_units_of(user=user)):
        return COURT
    return None


def _with_overdue(files: QuerySet[ExchangeFile], *, today) -> QuerySet[ExchangeFile]:
    return files.annotate(
        overdue=Case(
            When(Q(deadline__lt=today) & Q(status__in=OPEN_STATES), then=Value(True)),
            default=Value(False),
            output_field=BooleanOutput(),
        )
    ).select_related("office", "court_unit__court", "commune")


def files_sent(*, user, status: str = "", overdue_only: bool = False) -> QuerySet[ExchangeFile]:
    """Files sent by the court registries of `user`, newest first, with `overdue`."""
    today = timezone.localdate()
    files = ExchangeFile.objects.filter(court_unit__in=court_units_of(user=user))
    if status:
        files = files.filter(status=status)
    if overdue_only:
        files = files.filter(deadline__lt=today, status__in=OPEN_STATES)
    return _with_overdue(files, today=today)


def office_inbox(*, user, status: str = "") -> QuerySet[ExchangeFile]:
    """Files assigned to the office of `user`: open ones first, the nearest deadline first."""
    office = office_of(user=user)
    if office is None:
        return ExchangeFile.objects.none()
    files = ExchangeFile.objects.filter(office=office)
    if status:
        files = files.filter(status=status)
    return _with_overdue(files, today=timezone.localdate()).order_by(
        Case(When(status__in=OPEN_STATES, then=Value(0)), default=Value(1)),
        "deadline",
        "sent_at",
    )


@dataclass(frozen=True)
class VisibleFile:
    file: ExchangeFile
    side: str


def file_for_user(*, user, reference: str) -> VisibleFile | None:
    """The file if `user` is on one of its sides, else None (the view answers 404)."""
    file = (
        ExchangeFile.objects.filter(reference=(reference or "").strip().upper()[:24])
        .select_related("office__appeal_court", "court_unit__court", "commune__province", "case")
        .first()
    )
    if file is None:
        return None
    side = side_of(user=user, file=file)
    return VisibleFile(file, side) if side else None


def competent_offices(*, commune) -> QuerySet[CommissaireOffice]:
    """Active offices whose court of appeal area contains `commune` (law 46.21)."""
    if commune is None or commune.appeal_court_id is None:
        return CommissaireOffice.objects.none()
    return CommissaireOffice.objects.filter(appeal_court_id=commune.appeal_court_id, is_active=True)


def rotation_next(*, commune) -> CommissaireOffice | None:
    """The office the rotation would propose now (a hint: the assignment re-reads it
    under lock)."""
    return rotation_order(competent_offices(commune=commune)).first()


def rotation_order(offices: QuerySet[CommissaireOffice]) -> QuerySet[CommissaireOffice]:
    """Least recently assigned first; never assigned before anyone; ties by number."""
    return offices.order_by("last_turn", "registration_number", "pk")


# --- the litigant's view ------------------------------------------------------------------


@dataclass(frozen=True)
class CitizenStep:
    on: date | datetime
    label: str
    amount: Decimal | None = None


@dataclass(frozen=True)
class CitizenFile:
    """What the litigant may read of a file attached to their request, and nothing
    more: the template never gets the file itself (addressee, addresses, places, notes,
    reasons and documents stay on the exchange side)."""

    reference: str
    kind: str
    kind_label: str
    status_label: str
    explanation: str
    closed: bool
    court: str
    office_name: str
    office_phone: str
    office_email: str
    sent_at: datetime
    deadline: date | None
    judgment_reference: str
    amount_due: Decimal | None
    amount_recovered: Decimal | None
    steps: list[CitizenStep]


def citizen_files(*, case) -> list[CitizenFile]:
    """The exchange files attached to `case`, in citizen wording, oldest first.

    Only for pages that already established the reader may see `case` (its tracking
    page): the files of another request are never read here."""
    files = (
        ExchangeFile.objects.filter(case=case)
        .select_related("office", "court_unit__court")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ExchangeEvent.objects.select_related("attempt", "recovery"),
            )
        )
        .order_by("sent_at", "id")
    )
    return [_citizen_file(file) for file in files]


def citizen_file_values(file: CitizenFile) -> dict:
    """A litigant's view of a file as plain values (amounts as decimal strings, steps'
    days as dates), for the API and the data export: what the tracking page shows."""

    def amount(value: Decimal | None) -> str | None:
        return None if value is None else f"{value:.2f}"

    return {
        "reference": file.reference,
        "kind": file.kind,
        "kind_label": file.kind_label,
        "status_label": file.status_label,
        "explanation": file.explanation,
        "closed": file.closed,
        "court": file.court,
        "office_name": file.office_name,
        "office_phone": file.office_phone,
        "office_email": file.office_email,
        "sent_at": file.sent_at,
        "deadline": file.deadline,
        "judgment_reference": file.judgment_reference,
        "amount_due": amount(file.amount_due),
        "amount_recovered": amount(file.amount_recovered),
        "steps": [
            {
                "on": timezone.localdate(step.on) if isinstance(step.on, datetime) else step.on,
                "label": step.label,
                "amount": amount(step.amount),
            }
            for step in file.steps
        ],
    }


def _citizen_file(file: ExchangeFile) -> CitizenFile:
    state = workflow.CITIZEN_STATES[(file.status, file.kind)]
    steps = []
    recovered = Decimal(0)
    for event in file.events.all():
        step = _citizen_step(event, kind=file.kind)
        if step is None:
            continue
        steps.append(step)
        recovered += step.amount or 0
    enforcement = file.kind == workflow.ENFORCEMENT
    return CitizenFile(
        reference=file.reference,
        kind=file.kind,
        kind_label=str(file.get_kind_display()),
        status_label=str(state.label),
        explanation=str(state.explanation),
        closed=workflow.state(file.status).terminal,
        court=str(file.court_unit),
        office_name=file.office.name,
        office_phone=file.office.phone,
        office_email=file.office.email,
        sent_at=file.sent_at,
        deadline=file.deadline if not enforcement else None,
        judgment_reference=file.judgment_reference if enforcement else "",
        amount_due=file.amount_due if enforcement else None,
        amount_recovered=recovered if enforcement else None,
        steps=steps,
    )


def _citizen_step(event: ExchangeEvent, *, kind: str) -> CitizenStep | None:
    if event.step == "record_attempt":
        # The day only: the hour of a visit tells about the addressee's habits.
        return CitizenStep(
            on=timezone.localdate(event.attempt.attempted_at),
            label=str(workflow.CITIZEN_ATTEMPTS[(event.attempt.result, kind)]),
        )
    if event.step == "record_recovery":
        return CitizenStep(
            on=event.recovery.recovered_on,
            label=str(workflow.CITIZEN_STEPS[(event.step, kind)]),
            amount=event.recovery.amount,
        )
    label = workflow.CITIZEN_STEPS.get((event.step, kind))
    return CitizenStep(on=event.at, label=str(label)) if label is not None else None
