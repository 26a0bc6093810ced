"""Reads of the published figures: the dashboard, the open-data files, the delay
estimates. Everything here reads `PublishedArea` rows (already suppressed), a few
dozen at most per call, never the cases themselves; sums over several months go
through `combine`, so they never reveal a hidden month."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Max, Min
from django.utils import translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from mizan.accounts.models import Unit
from mizan.cases.models import CaseEvent
from mizan.procedures.registry import PROCEDURES, get_procedure
from mizan.reference.models import Region

from .measures import (
    AGE_LABELS,
    AGE_MEASURES,
    CHANNEL_CODES,
    CHANNEL_PREFIX,
    OUTCOME_PREFIX,
    channel_label,
    channel_measures,
    count_measures,
    file_columns,
    outcome_label,
    outcome_measures,
)
from .models import PublishedArea
from .periods import add_months, current_month, months_between
from .services import CENTRAL, NATIONAL, OFFICE, REGION, percentile_days
from .suppression import SMALL, TOO_FEW, Cell, combine, min_cell, share

# The dashboard's periods besides calendar years: the last N months, this one included.
ROLLING_PERIODS = ("12", "24")
DEFAULT_PERIOD = "12"
ESTIMATE_MONTHS = 12


# --- names ---------------------------------------------------------------------------
def region_names(codes) -> dict[str, str]:
    names = {region.code: region.name for region in Region.objects.filter(code__in=codes)}
    if CENTRAL in codes:
        names[CENTRAL] = _("Central services")
    return names


def office_names(codes) -> dict[str, str]:
    units = Unit.objects.filter(code__in=codes).select_related("court", "region")
    return {unit.code: str(unit) for unit in units}


def area_name(level: str, code: str) -> str:
    if level == NATIONAL:
        return _("Whole country")
    if level == REGION:
        return region_names([code]).get(code, code)
    return office_names([code]).get(code, code)


# --- the dashboard's choices ------------------------------------------------------------
@dataclass(frozen=True)
class Selection:
    procedure: str
    region: str
    office: str
    period: str
    months: tuple[date, ...]
    procedures: list[tuple[str, Promise]]
    regions: list[tuple[str, str]]
    offices: list[tuple[str, str]]
    periods: list[tuple[str, str]]

    @property
    def level(self) -> str:
        return OFFICE if self.office else REGION if self.region else NATIONAL

    @property
    def code(self) -> str:
        return self.office or self.region


def published_months(procedure: str) -> tuple[date, date] | None:
    bounds = PublishedArea.objects.filter(procedure=procedure, level=NATIONAL).aggregate(
        first=Min("month"), last=Max("month")
    )
    return None if bounds["first"] is None else (bounds["first"], bounds["last"])


def dashboard_selection(params) -> Selection:
    """The procedure, area and period asked for, each replaced by the default when it
    is not one of the choices (a stale link never ends in an error)."""
    procedure = params.get("procedure", "")
    if procedure not in PROCEDURES:
        procedure = next(iter(PROCEDURES))
    region_codes = sorted(
        PublishedArea.objects.filter(procedure=procedure, level=REGION)
        .values_list("code", flat=True)
        .distinct()
    )
    region_labels = region_names(region_codes)
    regions = sorted(((c, region_labels.get(c, c)) for c in region_codes), key=lambda r: r[1])
    region = params.get("region", "")
    if region not in region_labels:
        region = ""
    offices: list[tuple[str, str]] = []
    office = ""
    if region:
        office_codes = (
            PublishedArea.objects.filter(procedure=procedure, level=OFFICE, region_code=region)
            .values_list("code", flat=True)
            .distinct()
        )
        labels = office_names(list(office_codes))
        offices = sorted(((c, labels.get(c, c)) for c in office_codes), key=lambda o: o[1])
        office = params.get("office", "")
        if office not in labels:
            office = ""

    last = current_month()
    bounds = published_months(procedure)
    first_year = bounds[0].year if bounds else last.year
    periods = [(n, _("Last %(months)s months") % {"months": n}) for n in ROLLING_PERIODS]
    periods += [(str(year), str(year)) for year in range(last.year, first_year - 1, -1)]
    period = params.get("period", DEFAULT_PERIOD)
    if period not in dict(periods):
        period = DEFAULT_PERIOD
    if period in ROLLING_PERIODS:
        months = tuple(months_between(add_months(last, 1 - int(period)), last))
    else:
        year = int(period)
        months = tuple(months_between(date(year, 1, 1), min(date(year, 12, 1), last)))
    if bounds:
        months = tuple(m for m in months if m >= bounds[0])
    return Selection(
        procedure=procedure,
        region=region,
        office=office,
        period=period,
        months=months or (last,),
        procedures=[(p.code, p.label) for p in PROCEDURES.values()],
        regions=regions,
        offices=offices,
        periods=periods,
    )


# --- the dashboard ---------------------------------------------------------------------
@dataclass
class MonthFigures:
    month: date
    cells: dict[str, Cell]
    in_progress: bool

    @property
    def label(self) -> str:
        return date_format(self.month, "YEAR_MONTH_FORMAT")

    @property
    def short_label(self) -> str:
        return date_format(self.month, "M")


@dataclass
class Dashboard:
    selection: Selection
    procedure_label: Promise
    area_name: str
    months: list[MonthFigures]
    totals: dict[str, Cell]
    median_days: Cell
    p90_days: Cell
    within_target_share: float | None
    ages: list[tuple[str, Cell]]
    outcomes: list[tuple[str, Cell, float | None]]
    # (channel's label, requests received through it, share of all requests received)
    channels: list[tuple[str, Cell, float | None]]
    sms_delivered_share: float | None
    threshold: int = field(default_factory=min_cell)

    @property
    def last(self) -> MonthFigures:
        return self.months[-1]


def _empty_cells(procedure: str) -> dict[str, Cell]:
    """An area with no row for a month had no request at all: zeros, shown as any
    small count is."""
    cells = {m: Cell(None, SMALL) for m in count_measures(procedure)}
    cells.update(median_days=Cell(None, TOO_FEW), p90_days=Cell(None, TOO_FEW))
    return cells


def dashboard(selection: Selection) -> Dashboard:
    procedure = selection.procedure
    rows = {
        row.month: row
        for row in PublishedArea.objects.filter(
            procedure=procedure,
            level=selection.level,
            code=selection.code,
            month__in=selection.months,
        )
    }
    now_month = current_month()
    months = []
    histogram: Counter = Counter()
    for month in selection.months:
        row = rows.get(month)
        if row is None:
            cells = _empty_cells(procedure)
        else:
            # A month published before channels were counted has no channel figures
            # until the next refresh republishes it: "—", and "x" in a total over it.
            cells = {m: Cell(None, TOO_FEW) for m in channel_measures()}
            cells.update({m: Cell.from_stored(stored) for m, stored in row.cells.items()})
            histogram.update({int(d): n for d, n in row.decision_days.items()})
        months.append(MonthFigures(month=month, cells=cells, in_progress=month == now_month))

    flows = ["received", "decided", "decided_within_target", "decided_after_target"]
    flows += [*outcome_measures(procedure), "sms_delivered", "sms_not_reached"]
    flows += channel_measures()
    totals = {m: combine(figures.cells[m] for figures in months) for m in flows}
    enough = sum(histogram.values()) >= min_cell()
    with_target = combine([totals["decided_within_target"], totals["decided_after_target"]])
    reached = combine([totals["sms_delivered"], totals["sms_not_reached"]])
    last = months[-1].cells
    return Dashboard(
        selection=selection,
        procedure_label=get_procedure(procedure).label,
        area_name=area_name(selection.level, selection.code),
        months=months,
        totals=totals,
        median_days=Cell(percentile_days(histogram, 50)) if enough else Cell(None, TOO_FEW),
        p90_days=Cell(percentile_days(histogram, 90)) if enough else Cell(None, TOO_FEW),
        within_target_share=share(totals["decided_within_target"], with_target),
        ages=[(str(AGE_LABELS[m]), last[m]) for m in AGE_MEASURES],
        outcomes=[
            (
                str(outcome_label(procedure, m.removeprefix(OUTCOME_PREFIX))),
                totals[m],
                share(totals[m], totals["decided"]),
            )
            for m in outcome_measures(procedure)
        ],
        channels=[
            (
                str(channel_label(code)),
                totals[f"{CHANNEL_PREFIX}{code}"],
                share(totals[f"{CHANNEL_PREFIX}{code}"], totals["received"]),
            )
            for code in CHANNEL_CODES
        ],
        sms_delivered_share=share(totals["sms_delivered"], reached),
    )


# --- delay estimates ---------------------------------------------------------------------
@dataclass(frozen=True)
class DelayEstimate:
    median_days: int
    p90_days: int
    decisions: int
    at_office: bool


def delay_estimate(*, procedure: str, unit=None) -> DelayEstimate | None:
    """How long the last 12 months' decisions took (median and 90th percentile, in
    days) at the office, or across offices without one; None under the threshold."""
    first = add_months(current_month(), 1 - ESTIMATE_MONTHS)
    level, code = (OFFICE, unit.code) if unit is not None else (NATIONAL, "")
    histogram: Counter = Counter()
    for days in PublishedArea.objects.filter(
        procedure=procedure, level=level, code=code, month__gte=first
    ).values_list("decision_days", flat=True):
        histogram.update({int(d): n for d, n in days.items()})
    decisions = sum(histogram.values())
    if decisions < min_cell():
        return None
    return DelayEstimate(
        median_days=percentile_days(histogram, 50),
        p90_days=percentile_days(histogram, 90),
        decisions=decisions,
        at_office=unit is not None,
    )


def tracking_delay_estimate(*, case) -> DelayEstimate | None:
    """The estimate for a request still waiting for its decision; None once decided."""
    decided = CaseEvent.objects.filter(
        case=case, to_status__in=list(case.workflow.outcome_states())
    ).exists()
    if decided:
        return None
    return delay_estimate(procedure=case.procedure, unit=case.unit)


# --- open data -------------------------------------------------------------------------------
def open_data_files() -> list[tuple[str, date]]:
    """(procedure, month) of every published file, newest first."""
    return list(
        PublishedArea.objects.filter(level=NATIONAL)
        .order_by("-month", "procedure")
        .values_list("procedure", "month")
    )


def open_data_published(*, procedure: str, month: date) -> bool:
    """Whether the month's files exist (one indexed row, not the whole file)."""
    return PublishedArea.objects.filter(procedure=procedure, month=month, level=NATIONAL).exists()


def open_data_rows(*, procedure: str, month: date) -> list[dict] | None:
    """The month's published figures per area (country, regions, offices), each with
    its names in French and Arabic; None when nothing was published for that month."""
    rows = list(
        PublishedArea.objects.filter(procedure=procedure, month=month).order_by(
            "level", "region_code", "code"
        )
    )
    if not rows:
        return None
    order = {NATIONAL: 0, REGION: 1, OFFICE: 2}
    rows.sort(key=lambda row: (order[row.level], row.region_code, row.code))
    names = {}
    for language in ("fr", "ar"):
        with translation.override(language):
            regions = region_names({r.code for r in rows if r.level == REGION})
            offices = office_names([r.code for r in rows if r.level == OFFICE])
            names[language] = {
                (NATIONAL, ""): _("Whole country"),
                **{(REGION, c): n for c, n in regions.items()},
                **{(OFFICE, c): n for c, n in offices.items()},
            }
    columns = file_columns(procedure)
    return [
        {
            "level": row.level,
            "area_code": row.code,
            "region_code": row.region_code,
            "area_name_fr": names["fr"].get((row.level, row.code), row.code),
            "area_name_ar": names["ar"].get((row.level, row.code), row.code),
            "cells": {
                m: Cell.from_stored(row.cells[m]) if m in row.cells else Cell(None, TOO_FEW)
                for m in columns
            },
            "refreshed_at": row.refreshed_at,
        }
        for row in rows
    ]
