"""Public statistics: monthly rollups of the cases, and their publication.

`transparency_refresh` runs every day (docs/operations.md). It recomputes the rollups
of the months whose figures can still move — the current month, and the previous one
(its last SMS receipts arrive for a few days) — with aggregate queries (GROUP BY),
never a loop over cases, and republishes every month from the earliest one it
recomputed: a month's suppression depends on what the month before published (its
pending requests, which this month's figures would otherwise give away).

Time to decision runs from `submitted_at` to the first event entering a state with an
outcome (`Workflow.outcome_states()`); a later second outcome (a redirection, then
a withdrawal) is not counted again.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from mizan.accounts.models import Unit
from mizan.cases.models import Case, CaseEvent
from mizan.core.errors import DomainError
from mizan.core.locks import serialize_on
from mizan.deadlines.calendar import MOROCCO_TZ
from mizan.deadlines.selectors import HolidayCalendar
from mizan.deadlines.services import working_days_add
from mizan.notifications.models import FAILURE_STATUSES, Notification
from mizan.procedures.registry import PROCEDURES, get_procedure
from mizan.procedures.workflow import WITHDRAWN

from .measures import (
    AGE_MEASURES,
    CHANNEL_PREFIX,
    OUTCOME_PREFIX,
    channel_measures,
    count_measures,
    outcome_measures,
)
from .models import MonthlyRollup, PublishedArea
from .periods import add_months, month_bounds, month_of, month_start, months_between
from .suppression import TOO_FEW, Cell, min_cell, suppress
from .targets import decision_targets, targeted_codes

# Units that belong to no region (the pardon secretariat, the ministry's desks...).
CENTRAL = "central"
NATIONAL = PublishedArea.Level.NATIONAL
REGION = PublishedArea.Level.REGION
OFFICE = PublishedArea.Level.OFFICE
PREVIOUS_PENDING = "previous_pending"


@dataclass(frozen=True)
class RefreshSummary:
    recomputed: tuple[date, ...]
    published: tuple[date, ...]


def transparency_refresh(month: date | None = None, *, since: date | None = None) -> RefreshSummary:
    """Recompute the rollups of `month` (default: the previous and the current month;
    with `since`, every month from it) and republish from there to the current month.
    Running it twice changes nothing.

    On the very first run (no rollup yet) every month since the first request is
    computed; a daily run also recomputes every month from the first rollup made before
    channels were counted (`channels` null), so that an upgrade fills them in.
    """
    current = month_of(timezone.now())
    first = since or month
    if first is not None and first.replace(day=1) > current:
        raise DomainError(_("This month has not started yet."), code="future_month")
    if since is not None:
        recompute = list(months_between(since.replace(day=1), current))
    elif month is not None:
        recompute = [month.replace(day=1)]
    elif not MonthlyRollup.objects.exists():
        first_filed = Case.objects.aggregate(first=Min("submitted_at"))["first"]
        recompute = list(months_between(month_of(first_filed) if first_filed else current, current))
    else:
        recompute = [add_months(current, -1), current]
    # Rollups made before channels were counted: a publication from them would break
    # "the channels add up to the requests received", so they are recomputed — all of
    # them on a daily run, those that will be republished on any run.
    without_channels = set(
        MonthlyRollup.objects.filter(channels__isnull=True).values_list("month", flat=True)
    )
    if without_channels and month is None and since is None:
        recompute = list(months_between(min(min(without_channels), recompute[0]), current))
    recompute = sorted({*recompute, *(m for m in without_channels if m >= min(recompute))})
    holidays = HolidayCalendar()
    for procedure in PROCEDURES:
        targets = decision_targets(procedure)
        for each in recompute:
            rollups_compute(procedure=procedure, month=each, targets=targets, holidays=holidays)
    platform_start = MonthlyRollup.objects.aggregate(first=Min("month"))["first"]
    published: list[date] = []
    if platform_start is not None:
        published = list(months_between(max(min(recompute), platform_start), current))
        for procedure in PROCEDURES:
            for each in published:
                publication_compute(procedure=procedure, month=each)
    return RefreshSummary(recomputed=tuple(recompute), published=tuple(published))


def rollups_compute(
    *,
    procedure: str,
    month: date,
    targets: dict[str, int | None] | None = None,
    holidays: HolidayCalendar | None = None,
) -> int:
    """One procedure's rollups for one month, per office, replacing any earlier ones;
    the number of offices with figures."""
    targets = decision_targets(procedure) if targets is None else targets
    holidays = HolidayCalendar() if holidays is None else holidays
    start, end = month_bounds(month)
    outcome_states = get_procedure(procedure).workflow.outcome_states()
    decision_statuses = list(outcome_states)
    figures: dict[int, dict] = defaultdict(
        lambda: {
            "counts": Counter(),
            "outcomes": Counter(),
            "days": Counter(),
            "channels": Counter(),
        }
    )

    received = (
        Case.objects.filter(procedure=procedure, submitted_at__gte=start, submitted_at__lt=end)
        .values("unit_id", "channel")
        .annotate(requests=Count("id"))
        .order_by()
    )
    for row in received:
        figures[row["unit_id"]]["counts"]["received"] += row["requests"]
        figures[row["unit_id"]]["channels"][row["channel"]] += row["requests"]

    # The first decision of each case falls in the month when no decision came before
    # it (the same instant is broken by id, so that a case is never counted twice).
    earlier_decision = CaseEvent.objects.filter(
        case_id=OuterRef("case_id"), to_status__in=decision_statuses
    ).filter(Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), id__lt=OuterRef("id")))
    decisions = (
        CaseEvent.objects.filter(
            case__procedure=procedure,
            to_status__in=decision_statuses,
            at__gte=start,
            at__lt=end,
        )
        .filter(~Exists(earlier_decision))
        .annotate(
            filed_on=TruncDate("case__submitted_at", tzinfo=MOROCCO_TZ),
            decided_on=TruncDate("at", tzinfo=MOROCCO_TZ),
        )
        .values("case__unit_id", "to_status", "filed_on", "decided_on")
        .annotate(decisions=Count("id"))
        .order_by()
    )
    deadlines: dict[tuple[date, int], date] = {}
    for row in decisions:
        unit_figures = figures[row["case__unit_id"]]
        count = row["decisions"]
        unit_figures["counts"]["decided"] += count
        unit_figures["outcomes"][outcome_states[row["to_status"]]] += count
        if row["to_status"] == WITHDRAWN.name:
            continue
        filed_on, decided_on = row["filed_on"], row["decided_on"]
        unit_figures["days"][(decided_on - filed_on).days] += count
        target = targets.get(row["to_status"])
        if target is None:
            continue
        # The same rule as the deadlines on cases (`deadline_for`): by the end of the
        # target's last working day, counted from the local filing date.
        key = (filed_on, target)
        if key not in deadlines:
            deadlines[key] = working_days_add(filed_on, target, holidays=holidays)
        within = decided_on <= deadlines[key]
        unit_figures["counts"]["decided_within_target" if within else "decided_after_target"] += (
            count
        )

    decided_by_end = CaseEvent.objects.filter(
        case_id=OuterRef("pk"), to_status__in=decision_statuses, at__lt=end
    )
    # Ages at the end of the month, in calendar months: filed during the month is
    # "under 1 month", in the two months before "1 to 3", and so on.
    one_month, three_months, twelve_months = (
        start,
        month_start(add_months(month, -2)),
        month_start(add_months(month, -11)),
    )
    pending = (
        Case.objects.filter(procedure=procedure, submitted_at__lt=end)
        .filter(~Exists(decided_by_end))
        .values("unit_id")
        .annotate(
            pending=Count("id"),
            pending_under_1m=Count("id", filter=Q(submitted_at__gte=one_month)),
            pending_1_3m=Count(
                "id", filter=Q(submitted_at__gte=three_months, submitted_at__lt=one_month)
            ),
            pending_3_12m=Count(
                "id", filter=Q(submitted_at__gte=twelve_months, submitted_at__lt=three_months)
            ),
            pending_over_12m=Count("id", filter=Q(submitted_at__lt=twelve_months)),
        )
        .order_by()
    )
    for row in pending:
        counts = figures[row["unit_id"]]["counts"]
        for measure in ("pending", *AGE_MEASURES):
            counts[measure] += row[measure]

    sms = (
        Notification.objects.filter(
            channel=Notification.Channel.SMS,
            case__procedure=procedure,
            created_at__gte=start,
            created_at__lt=end,
        )
        .values("case__unit_id")
        .annotate(
            delivered=Count("id", filter=Q(status=Notification.Status.DELIVERED)),
            not_reached=Count("id", filter=Q(status__in=FAILURE_STATUSES)),
        )
        .order_by()
    )
    for row in sms:
        counts = figures[row["case__unit_id"]]["counts"]
        counts["sms_delivered"] += row["delivered"]
        counts["sms_not_reached"] += row["not_reached"]

    now = timezone.now()
    rows = [
        MonthlyRollup(
            procedure=procedure,
            unit_id=unit_id,
            month=month,
            outcomes=dict(unit_figures["outcomes"]),
            channels=dict(unit_figures["channels"]),
            decision_days={str(days): n for days, n in sorted(unit_figures["days"].items())},
            refreshed_at=now,
            **unit_figures["counts"],
        )
        for unit_id, unit_figures in figures.items()
        if any(unit_figures["counts"].values())
    ]
    with transaction.atomic():
        serialize_on(f"transparency:{procedure}:{month.isoformat()}")
        MonthlyRollup.objects.filter(procedure=procedure, month=month).delete()
        MonthlyRollup.objects.bulk_create(rows)
    return len(rows)


def unit_regions(unit_ids) -> dict[int, tuple[str, str]]:
    """unit id -> (unit code, region code): the unit's own region, else its court's
    seat's, else CENTRAL (a national service)."""
    units = Unit.objects.filter(id__in=unit_ids).select_related("court__seat_province")
    regions = {}
    for unit in units:
        region = unit.region_id
        if region is None and unit.court_id and unit.court.seat_province_id:
            region = unit.court.seat_province.region_id
        regions[unit.id] = (unit.code, region or CENTRAL)
    return regions


def _rollup_counts(rollup: MonthlyRollup, measures: list[str]) -> dict[str, int]:
    counts = {}
    for measure in measures:
        if measure.startswith(OUTCOME_PREFIX):
            counts[measure] = rollup.outcomes.get(measure.removeprefix(OUTCOME_PREFIX), 0)
        elif measure.startswith(CHANNEL_PREFIX):
            counts[measure] = (rollup.channels or {}).get(measure.removeprefix(CHANNEL_PREFIX), 0)
        else:
            counts[measure] = getattr(rollup, measure)
    return counts


def percentile_days(histogram: dict, percent: int) -> int | None:
    """Nearest rank: the fewest days within which at least `percent` % of the
    decisions came (so "half of them within X days" is true as written)."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, -(-percent * total // 100))
    seen = 0
    for days in sorted(histogram, key=int):
        seen += histogram[days]
        if seen >= rank:
            return int(days)
    return None


def time_cells(histogram: dict) -> dict[str, Cell]:
    """Median and 90th percentile, or "—" when fewer decisions than the threshold."""
    if sum(histogram.values()) < min_cell():
        return {"median_days": Cell(None, TOO_FEW), "p90_days": Cell(None, TOO_FEW)}
    return {
        "median_days": Cell(percentile_days(histogram, 50)),
        "p90_days": Cell(percentile_days(histogram, 90)),
    }


def publication_compute(*, procedure: str, month: date) -> int:
    """Publish one procedure's month: every area's figures after primary and secondary
    suppression, replacing the earlier publication; the number of areas."""
    measures = count_measures(procedure)
    rollups = list(MonthlyRollup.objects.filter(procedure=procedure, month=month))
    previous_rows = list(
        PublishedArea.objects.filter(procedure=procedure, month=add_months(month, -1))
    )
    regions = unit_regions({rollup.unit_id for rollup in rollups})

    # Areas: this month's offices, and last month's (an office with pending requests
    # last month is tied to them by this month's figures, even if all are zero now).
    office_region: dict[str, str] = {}
    office_counts: dict[str, dict[str, int]] = {}
    office_days: dict[str, Counter] = {}
    for rollup in rollups:
        code, region = regions[rollup.unit_id]
        office_region[code] = region
        office_counts[code] = _rollup_counts(rollup, measures)
        office_days[code] = Counter({int(d): n for d, n in rollup.decision_days.items()})
    for row in previous_rows:
        if row.level == OFFICE and row.code not in office_counts:
            office_region[row.code] = row.region_code
            office_counts[row.code] = dict.fromkeys(measures, 0)
            office_days[row.code] = Counter()

    areas: list[tuple[str, str, str]] = [(NATIONAL, "", "")]  # level, code, region code
    area_counts: dict[tuple[str, str], dict[str, int]] = {}
    area_days: dict[tuple[str, str], Counter] = {}
    members: dict[tuple[str, str], list[tuple[str, str]]] = {(NATIONAL, ""): []}
    for region in sorted(set(office_region.values())):
        areas.append((REGION, region, region))
        members[(NATIONAL, "")].append((REGION, region))
        members[(REGION, region)] = [
            (OFFICE, code) for code in sorted(office_region) if office_region[code] == region
        ]
    for code in sorted(office_region, key=lambda c: (office_region[c], c)):
        areas.append((OFFICE, code, office_region[code]))
        area_counts[(OFFICE, code)] = office_counts[code]
        area_days[(OFFICE, code)] = office_days[code]
    for level in (REGION, NATIONAL):
        for area, parts in members.items():
            if area[0] != level:
                continue
            area_counts[area] = {m: sum(area_counts[part][m] for part in parts) for m in measures}
            area_days[area] = sum((area_days[part] for part in parts), Counter())

    values = {
        (level, code, measure): area_counts[(level, code)][measure]
        for level, code, _region in areas
        for measure in measures
    }
    relations = _relations(procedure, measures, areas, members)
    frozen: dict = {}
    if previous_rows:
        frozen, previous_relations = _previous_pending(previous_rows, areas)
        relations += previous_relations
    cells = suppress(values, relations, frozen=frozen)

    now = timezone.now()
    published = [
        PublishedArea(
            procedure=procedure,
            month=month,
            level=level,
            code=code,
            region_code=region,
            cells={
                **{m: cells[(level, code, m)].to_stored() for m in measures},
                **{m: cell.to_stored() for m, cell in time_cells(area_days[(level, code)]).items()},
            },
            decision_days={str(d): n for d, n in sorted(area_days[(level, code)].items())},
            refreshed_at=now,
        )
        for level, code, region in areas
    ]
    with transaction.atomic():
        serialize_on(f"transparency:{procedure}:{month.isoformat()}")
        PublishedArea.objects.filter(procedure=procedure, month=month).delete()
        PublishedArea.objects.bulk_create(published)
    return len(published)


def _relations(procedure, measures, areas, members) -> list[dict]:
    """Everything a reader can add up: each area's figures to its parent's, the
    outcomes to the decisions, the channels to the requests received, the decisions
    with a target to within + after it, the ages to the pending requests."""
    relations = []
    for (level, code), parts in members.items():
        if not parts:
            continue  # an empty country: nothing adds up to it
        for measure in measures:
            relation = {(level, code, measure): 1}
            for part_level, part_code in parts:
                relation[(part_level, part_code, measure)] = -1
            relations.append(relation)
    outcomes = outcome_measures(procedure)
    channels = channel_measures()
    targeted = targeted_codes(procedure, decision_targets(procedure))
    for level, code, _region in areas:
        relations.append({(level, code, "decided"): 1, **{(level, code, m): -1 for m in outcomes}})
        relations.append(
            {(level, code, "pending"): 1, **{(level, code, m): -1 for m in AGE_MEASURES}}
        )
        relations.append({(level, code, "received"): 1, **{(level, code, m): -1 for m in channels}})
        if targeted is not None:
            relations.append(
                {
                    (level, code, "decided_within_target"): 1,
                    (level, code, "decided_after_target"): 1,
                    **{(level, code, f"{OUTCOME_PREFIX}{c}"): -1 for c in targeted},
                }
            )
    return relations


def _previous_pending(previous_rows, areas) -> tuple[dict, list[dict]]:
    """Last month's published pending requests, frozen as published (or hidden), and
    what ties them to this month: pending now = pending then + received − decided,
    and last month's offices adding up to its regions and country."""
    published = {(row.level, row.code): row for row in previous_rows}
    by_region: dict[str, list] = defaultdict(list)
    for row in previous_rows:
        if row.level == OFFICE:
            by_region[row.region_code].append((OFFICE, row.code, PREVIOUS_PENDING))
    frozen = {}
    relations = []
    for level, code, _region in areas:
        row = published.get((level, code))
        # An area absent last month had nothing pending: a zero anyone can infer. So
        # had a country row without offices (a procedure's months before its first
        # request, published from the platform's first month): its "< 10" is a zero.
        nothing_under_it = (level == NATIONAL and not by_region) or (
            level == REGION and not by_region.get(code)
        )
        frozen[(level, code, PREVIOUS_PENDING)] = (
            Cell.from_stored(row.cells["pending"])
            if row is not None and not nothing_under_it
            else Cell(0)
        )
        relations.append(
            {
                (level, code, "pending"): 1,
                (level, code, PREVIOUS_PENDING): -1,
                (level, code, "received"): -1,
                (level, code, "decided"): 1,
            }
        )
    national = {(NATIONAL, "", PREVIOUS_PENDING): 1}
    for region, offices in by_region.items():
        national[(REGION, region, PREVIOUS_PENDING)] = -1
        relations.append({(REGION, region, PREVIOUS_PENDING): 1, **dict.fromkeys(offices, -1)})
    if by_region:
        relations.append(national)
    return frozen, relations
