"""Public statistics: rollups checked against a small hand-computed history, small
counts suppressed so that none can be worked out, the dashboard, the data page and
the open-data files in every language, and the delay estimates citizens see."""

import csv
import io
import itertools
import json
import math
import re
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone, translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mizan.accounts.models import Role, Unit
from mizan.cases.models import Case, CaseEvent
from mizan.cases.services import case_submit, case_transition
from mizan.deadlines.calendar import MOROCCO_TZ
from mizan.notifications.models import Notification
from mizan.procedures.common import CHANNELS
from mizan.reference.models import Commune
from mizan.transparency.measures import channel_measures, file_columns
from mizan.transparency.models import MonthlyRollup, PublishedArea
from mizan.transparency.periods import add_months, current_month, month_of
from mizan.transparency.selectors import (
    dashboard,
    dashboard_selection,
    delay_estimate,
)
from mizan.transparency.services import (
    percentile_days,
    publication_compute,
    rollups_compute,
    transparency_refresh,
    unit_regions,
)
from mizan.transparency.suppression import (
    COMPLEMENTARY,
    SMALL,
    Cell,
    combine,
    suppress,
)
from mizan.transparency.views import FILE_COLUMNS

from .factories import CASABLANCA, complaint_details, file_complaint, register_and_assign, staff

CASABLANCA_OFFICE = "PROS-TPI_CASA_PENAL"
LANGUAGES = ["ar", "fr", "en"]


# --- a hand-computed history -------------------------------------------------------------
def local(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=MOROCCO_TZ)


def file_through(channel: str, phone: str = "") -> Case:
    """A complaint filed at Casablanca through `channel` (an agent's, unless web)."""
    commune = Commune.objects.get(code=CASABLANCA)
    return case_submit(
        procedure="complaint",
        filer_name="Amina Test",
        filer_phone=phone or f"+2126{Case.objects.count() + 10000000:08d}",
        language="fr",
        commune=commune,
        details=complaint_details(commune),
        channel=channel,
    ).case


def complaint(
    office, filed: date, decided: date | None = None, step: str = "", channel: str = "web"
) -> Case:
    """A complaint filed (through `channel`) and (optionally) decided through the
    services, then moved to the dates of the hand-computed history."""
    case = file_through(channel)
    if step == "withdraw":
        case_transition(case_id=case.pk, step_name="withdraw", citizen_phone=str(case.filer_phone))
    elif step:
        register_and_assign(case, clerk=office["clerk"], prosecutor=office["prosecutor"])
        inputs = {}
        if step == "decide_transfer":
            inputs["transfer_to"] = Unit.objects.get(code="PROS-TPI_RABAT").pk
        case_transition(
            case_id=case.pk,
            step_name=step,
            actor=office["prosecutor"],
            message="Decision explained to the complainant.",
            inputs=inputs,
        )
    # The engine stamps every step with the present time and, rightly, cannot be told
    # otherwise: the history is moved to its dates afterwards, on this case's rows only.
    decisions = list(case.workflow.outcome_states())
    Case.objects.filter(pk=case.pk).update(submitted_at=local(filed))
    CaseEvent.objects.filter(case=case).exclude(to_status__in=decisions).update(at=local(filed))
    if decided is not None:
        CaseEvent.objects.filter(case=case, to_status__in=decisions).update(at=local(decided, 15))
    Notification.objects.filter(case=case).update(created_at=local(filed))
    return case


@pytest.fixture
def history(office):
    """Seven complaints at one office (dates in Morocco's time), filed on the website
    unless said otherwise:

    c7 filed 20 Dec 2024, no action 10 Mar 2025 (80 days, after its 38-working-day target)
    c4 filed  2 Jan 2025, transferred 31 Mar (88 days, after the target)
    c1 filed  6 Jan at a counter, prosecution 20 Jan (14 days, within)
    c2 filed  8 Jan, no action 10 Feb (33 days, within)
    c3 filed 15 Jan on the telephone, withdrawn 17 Jan (decided, but no delay counted)
    c5 filed  3 Feb, never decided
    c6 filed 14 Feb by post, prosecution 3 Mar (17 days, within)
    """
    cases = {
        "c7": complaint(office, date(2024, 12, 20), date(2025, 3, 10), "decide_no_action"),
        "c4": complaint(office, date(2025, 1, 2), date(2025, 3, 31), "decide_transfer"),
        "c1": complaint(
            office, date(2025, 1, 6), date(2025, 1, 20), "decide_prosecution", channel="counter"
        ),
        "c2": complaint(office, date(2025, 1, 8), date(2025, 2, 10), "decide_no_action"),
        "c3": complaint(office, date(2025, 1, 15), date(2025, 1, 17), "withdraw", channel="phone"),
        "c5": complaint(office, date(2025, 2, 3)),
        "c6": complaint(
            office, date(2025, 2, 14), date(2025, 3, 3), "decide_prosecution", channel="post"
        ),
    }
    # Delivery receipts are the gateways' to write; here c1's messages arrived and
    # c2's number was wrong.
    Notification.objects.filter(case=cases["c1"]).update(status=Notification.Status.DELIVERED)
    Notification.objects.filter(case=cases["c2"]).update(
        status=Notification.Status.PERMANENT_FAILURE
    )
    return cases


def rollup(month: date) -> MonthlyRollup:
    return MonthlyRollup.objects.get(
        procedure="complaint", unit__code=CASABLANCA_OFFICE, month=month
    )


def test_rollups_match_the_hand_computed_history(history):
    transparency_refresh(since=date(2024, 12, 1))

    december = rollup(date(2024, 12, 1))
    assert (december.received, december.decided, december.pending) == (1, 0, 1)
    assert december.channels == {"web": 1}
    assert december.pending_under_1m == 1

    january = rollup(date(2025, 1, 1))
    assert (january.received, january.decided) == (4, 2)
    assert january.channels == {"web": 2, "counter": 1, "phone": 1}  # c4 and c2; c1; c3
    assert january.outcomes == {"prosecution": 1, "withdrawn": 1}
    assert (january.decided_within_target, january.decided_after_target) == (1, 0)
    assert january.decision_days == {"14": 1}  # the withdrawal has no delay
    assert january.pending == 3  # c2 and c4 of January, c7 of December
    assert (january.pending_under_1m, january.pending_1_3m) == (2, 1)
    assert january.pending_3_12m == january.pending_over_12m == 0
    assert january.sms_delivered == Notification.objects.filter(case=history["c1"]).count() > 0
    assert january.sms_not_reached == Notification.objects.filter(case=history["c2"]).count() > 0

    february = rollup(date(2025, 2, 1))
    assert (february.received, february.decided, february.outcomes) == (2, 1, {"no_action": 1})
    assert february.channels == {"web": 1, "post": 1}
    assert february.decision_days == {"33": 1} and february.decided_within_target == 1
    assert (february.pending, february.pending_under_1m, february.pending_1_3m) == (4, 2, 2)

    march = rollup(date(2025, 3, 1))
    assert (march.received, march.decided) == (0, 3)
    assert march.channels == {}  # decisions only: nothing received
    assert march.outcomes == {"prosecution": 1, "no_action": 1, "transferred": 1}
    assert march.decision_days == {"17": 1, "80": 1, "88": 1}
    assert (march.decided_within_target, march.decided_after_target) == (1, 2)
    assert (march.pending, march.pending_1_3m) == (1, 1)  # c5, filed in February

    # c5 grows older: 3 to 12 months at the end of May 2025, over 12 in February 2026.
    for month, bucket in (
        (date(2025, 5, 1), "pending_3_12m"),
        (date(2026, 2, 1), "pending_over_12m"),
    ):
        rollups_compute(procedure="complaint", month=month)
        assert getattr(rollup(month), bucket) == rollup(month).pending == 1


def test_time_to_decision_median_and_90th_percentile():
    # Nearest rank: at least half (9 in 10) of the decisions came within the answer.
    days = {"14": 1, "33": 1, "17": 1, "80": 1, "88": 1}
    assert percentile_days(days, 50) == 33 and percentile_days(days, 90) == 88
    assert percentile_days({"3": 2, "5": 2}, 50) == 3  # 2 of 4 within 3 days
    assert percentile_days({"1": 9, "40": 1}, 90) == 1 and percentile_days({}, 50) is None


def test_published_figures_add_up_without_suppression(history, settings):
    settings.MIZAN_TRANSPARENCY_MIN_CELL = 0  # every figure shown, to check the sums
    transparency_refresh(since=date(2024, 12, 1))
    code, region = unit_regions([Unit.objects.get(code=CASABLANCA_OFFICE).pk]).popitem()[1]
    for level, area in (("office", code), ("region", region), ("national", "")):
        march = PublishedArea.objects.get(
            procedure="complaint", month=date(2025, 3, 1), level=level, code=area
        )
        assert march.cells["decided"] == [3, ""] and march.cells["outcome_transferred"] == [1, ""]
        assert march.cells["median_days"] == [80, ""] and march.cells["p90_days"] == [88, ""]

    figures = dashboard(
        dashboard_selection(
            {"procedure": "complaint", "region": region, "office": code, "period": "2025"}
        )
    )
    assert figures.months[0].month == date(2025, 1, 1)
    assert figures.totals["received"].value == 6 and figures.totals["decided"].value == 6
    assert (figures.median_days.value, figures.p90_days.value) == (33, 88)
    assert figures.within_target_share == pytest.approx(3 / 5)
    # prosecution, no action, transferred, withdrawn: the workflow's order.
    outcomes = [(cell.value, share) for _label, cell, share in figures.outcomes]
    assert (
        outcomes
        == [(2, pytest.approx(2 / 6)), (2, pytest.approx(2 / 6))] + [(1, pytest.approx(1 / 6))] * 2
    )
    assert figures.last.cells["pending"].value == 1
    # 2025's six requests: c4, c2 and c5 on the website, c1 at a counter, c3 on the
    # telephone, c6 by post; the channels add up to the requests received.
    labels = {str(label): code for code, label in CHANNELS}
    channels = {labels[label]: (cell.value, share) for label, cell, share in figures.channels}
    assert channels["web"] == (3, pytest.approx(3 / 6))
    assert channels["counter"] == channels["phone"] == channels["post"] == (1, pytest.approx(1 / 6))
    assert channels["app"] == channels["email"] == channels["stand"] == (0, 0)
    assert sum(value for value, _share in channels.values()) == figures.totals["received"].value


def test_channels_follow_a_request_that_moves_and_not_its_decision(office):
    """Counted by channel, then moved to another office, then decided: a request is
    received once, through its channel, at the office now handling it."""
    now_month = current_month()
    moved = file_through("counter", "+212600000011")
    decided = file_through("counter", "+212600000012")
    file_through("web", "+212600000013")
    transparency_refresh()
    assert rollup(now_month).channels == {"counter": 2, "web": 1}

    rabat = Unit.objects.get(code="PROS-TPI_RABAT")
    case_transition(
        case_id=moved.pk,
        step_name="confirm_destination",
        actor=office["clerk"],
        inputs={"destination": rabat.pk},
    )
    register_and_assign(decided, clerk=office["clerk"], prosecutor=office["prosecutor"])
    case_transition(case_id=decided.pk, step_name="decide_prosecution", actor=office["prosecutor"])
    assert rollup(now_month).channels == {"counter": 2, "web": 1}  # until the next refresh
    transparency_refresh()
    casablanca = rollup(now_month)
    assert (casablanca.received, casablanca.channels) == (2, {"counter": 1, "web": 1})
    assert casablanca.decided == 1  # the decision changes no channel figure
    at_rabat = MonthlyRollup.objects.get(procedure="complaint", unit=rabat, month=now_month)
    assert (at_rabat.received, at_rabat.channels) == (1, {"counter": 1})


def test_rollups_without_channels_are_recomputed_by_the_next_refresh(history):
    """Rollups made before channels were counted (null) are filled in by the daily
    refresh, from the first of them, and republished."""
    transparency_refresh(since=date(2024, 12, 1))
    MonthlyRollup.objects.filter(month__lte=date(2025, 2, 1)).update(channels=None)
    summary = transparency_refresh()
    assert summary.recomputed[0] == date(2024, 12, 1)
    assert not MonthlyRollup.objects.filter(channels__isnull=True).exists()
    assert rollup(date(2025, 1, 1)).channels == {"web": 2, "counter": 1, "phone": 1}


def test_a_case_decided_after_a_refresh_counts_at_the_next(office):
    now_month = current_month()
    first = file_complaint(phone="+212600000001").case
    file_complaint(phone="+212600000002")
    transparency_refresh()
    counted = rollup(now_month)
    assert (counted.received, counted.decided, counted.pending) == (2, 0, 2)

    register_and_assign(first, clerk=office["clerk"], prosecutor=office["prosecutor"])
    case_transition(case_id=first.pk, step_name="decide_prosecution", actor=office["prosecutor"])
    assert (rollup(now_month).decided, rollup(now_month).pending) == (0, 2)  # not yet
    transparency_refresh()
    counted = rollup(now_month)
    assert (counted.received, counted.decided, counted.pending) == (2, 1, 1)
    assert counted.outcomes == {"prosecution": 1} and counted.decision_days == {"0": 1}
    # Closing it afterwards changes nothing: only the first decision counts.
    case_transition(case_id=first.pk, step_name="close", actor=office["clerk"])
    transparency_refresh()
    assert (rollup(now_month).decided, rollup(now_month).pending) == (1, 1)


def test_a_closed_month_is_recomputed_identically(history):
    transparency_refresh(since=date(2024, 12, 1))
    january = date(2025, 1, 1)

    def snapshot():
        rollups = MonthlyRollup.objects.filter(month=january).order_by("procedure", "unit_id")
        published = PublishedArea.objects.filter(month=january).order_by(
            "procedure", "level", "code"
        )
        return (
            [
                (r.procedure, r.unit_id, r.received, r.decided, r.outcomes, r.pending)
                for r in rollups
            ],
            [(p.procedure, p.level, p.code, p.cells) for p in published],
        )

    before = snapshot()
    call_command("refresh_transparency", "--month", "2025-01", verbosity=0)
    assert snapshot() == before


def test_every_small_count_is_hidden_in_the_published_files(history):
    transparency_refresh(since=date(2024, 12, 1))
    response = Client().get("/transparency/data/complaint-2025-01.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows and {row["level"] for row in rows} == {"national", "region", "office"}
    for row in rows:
        for column in file_columns("complaint"):
            # Every count of this small history is under 10: none is shown.
            assert row[column] in ("<10", "x", ""), (row["area_code"], column, row[column])


# --- suppression: no hidden count can be worked out ---------------------------------------
def determined_by_elimination(relations, unknown) -> set:
    """An independent check, with fractions: the unknowns whose value the relations
    fix once every published value is known."""
    keys = sorted({k for relation in relations for k in relation if k in unknown}, key=repr)
    rows = []
    for relation in relations:
        row = [Fraction(relation.get(key, 0)) for key in keys]
        if any(row):
            rows.append(row)
    pivots, rank = [], 0
    for column in range(len(keys)):
        found = next((i for i in range(rank, len(rows)) if rows[i][column]), None)
        if found is None:
            continue
        rows[rank], rows[found] = rows[found], rows[rank]
        rows[rank] = [value / rows[rank][column] for value in rows[rank]]
        for i in range(len(rows)):
            if i != rank and rows[i][column]:
                factor = rows[i][column]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        pivots.append(column)
        rank += 1
    return {keys[c] for i, c in enumerate(pivots) if sum(1 for v in rows[i] if v) == 1}


def feasible_values(relations, cells, ranges) -> dict:
    """Every value each hidden cell can take, given the published cells, the relations
    and what the markers say (`ranges`: "< 10" is 0 to 9, "x" 10 and more, capped);
    by enumeration, so only for a few hidden cells."""
    hidden = sorted(ranges, key=repr)
    published = {k: c.value for k, c in cells.items() if c.published}
    seen: dict = {key: set() for key in hidden}
    for guess in itertools.product(*(ranges[key] for key in hidden)):
        candidate = {**published, **dict(zip(hidden, guess, strict=True))}
        if all(sum(c * candidate[k] for k, c in r.items()) == 0 for r in relations):
            for key, value in zip(hidden, guess, strict=True):
                seen[key].add(value)
    return seen


@st.composite
def tables_with_totals(draw):
    """A table of counts (many small) with row totals, column totals, or both."""
    rows, columns = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    count = st.one_of(st.integers(0, 12), st.integers(10, 80))
    grid = [[draw(count) for _ in range(columns)] for _ in range(rows)]
    row_totals, column_totals = draw(st.booleans()), draw(st.booleans())
    values, relations = {}, []
    for i, j in itertools.product(range(rows), range(columns)):
        values[("cell", i, j)] = grid[i][j]
    if row_totals:
        for i in range(rows):
            values[("row", i)] = sum(grid[i])
            relations.append({("row", i): 1, **{("cell", i, j): -1 for j in range(columns)}})
    if column_totals:
        for j in range(columns):
            values[("column", j)] = sum(grid[i][j] for i in range(rows))
            relations.append({("column", j): 1, **{("cell", i, j): -1 for i in range(rows)}})
    if row_totals or column_totals:
        values[("all",)] = sum(map(sum, grid))
        if row_totals:
            relations.append({("all",): 1, **{("row", i): -1 for i in range(rows)}})
        if column_totals:
            relations.append({("all",): 1, **{("column", j): -1 for j in range(columns)}})
    return values, relations


def assert_protected(values, relations, cells, threshold):
    for key, value in values.items():
        cell = cells[key]
        if value < threshold:
            assert cell.hidden == SMALL, key
        elif cell.published:
            assert cell.value == value
        else:
            assert cell.hidden == COMPLEMENTARY  # a complement is never itself small
    hidden = {key for key, cell in cells.items() if not cell.published}
    assert not determined_by_elimination(relations, hidden) & hidden


@given(tables_with_totals())
@hypothesis_settings(max_examples=300, deadline=None)
def test_no_hidden_count_can_be_worked_out_from_the_totals(table):
    values, relations = table
    cells = suppress(values, relations, threshold=10)
    assert_protected(values, relations, cells, 10)


@given(tables_with_totals())
@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)
def test_no_small_count_is_pinned_by_what_the_markers_say(table):
    """Brute force over small tables: each hidden small cell can still take at least
    two values (or only zero, which singles no one out), whatever a reader deduces
    from the totals and from what "< 4" and "x" say."""
    values, relations = table
    threshold = 4  # small enough to enumerate every possibility
    cells = suppress(values, relations, threshold=threshold)
    cap = max(values.values()) + 1  # no cell exceeds the largest total
    ranges = {
        key: range(threshold) if cell.hidden == SMALL else range(threshold, max(cap, threshold + 1))
        for key, cell in cells.items()
        if not cell.published
    }
    if math.prod(len(r) for r in ranges.values()) > 200_000:
        return
    possible = feasible_values(relations, cells, ranges)
    for key, seen in possible.items():
        assert values[key] in seen
        if cells[key].hidden == SMALL:
            assert len(seen) > 1 or seen == {0}, (key, seen)


@st.composite
def monthly_releases(draw):
    """A country, two regions and their offices, with requests received split by
    channel, decisions by outcome and pending requests by age — the structure of a
    month's publication."""
    offices = {
        "R1": ["A", "B", "C"][: draw(st.integers(1, 3))],
        "R2": ["D", "E"][: draw(st.integers(1, 2))],
    }
    count = st.one_of(st.integers(0, 12), st.integers(10, 60))
    figures = {}
    for office in itertools.chain(*offices.values()):
        outcomes = [draw(count) for _ in range(3)]
        ages = [draw(count) for _ in range(2)]
        channels = [draw(count) for _ in range(3)]
        figures[office] = {
            "received": sum(channels),
            "web": channels[0],
            "counter": channels[1],
            "phone": channels[2],
            "decided": sum(outcomes),
            "o1": outcomes[0],
            "o2": outcomes[1],
            "o3": outcomes[2],
            "pending": sum(ages),
            "young": ages[0],
            "old": ages[1],
        }
    measures = list(next(iter(figures.values())))
    values, relations = {}, []
    for region, members in offices.items():
        for measure in measures:
            values[(region, measure)] = sum(figures[o][measure] for o in members)
            relations.append({(region, measure): 1, **{(o, measure): -1 for o in members}})
    for measure in measures:
        values[("MA", measure)] = sum(values[(r, measure)] for r in offices)
        relations.append({("MA", measure): 1, **{(r, measure): -1 for r in offices}})
    for office, office_figures in figures.items():
        values.update({(office, m): v for m, v in office_figures.items()})
    for area in ["MA", *offices, *figures]:
        relations.append({(area, "decided"): 1, **{(area, o): -1 for o in ("o1", "o2", "o3")}})
        relations.append({(area, "pending"): 1, (area, "young"): -1, (area, "old"): -1})
        relations.append(
            {(area, "received"): 1, **{(area, c): -1 for c in ("web", "counter", "phone")}}
        )
    return values, relations


@given(monthly_releases())
@hypothesis_settings(max_examples=150, deadline=None)
def test_a_months_publication_gives_no_small_count_away(release):
    values, relations = release
    cells = suppress(values, relations, threshold=10)
    assert_protected(values, relations, cells, 10)


def test_channel_figures_give_no_small_count_away(office):
    """Two offices of one region: Casablanca received 12 requests online and 8 at a
    counter, the other office 12 and 3. Every count under 10 is hidden; and publishing
    the region's 11 requests at a counter would pin both offices' (each office's hidden
    channels add up to its total minus its published ones: at most 8 and at most 3, so
    11 = 8 + 3), so more is hidden — no hidden cell can be recovered from the totals of
    the rows (`received`) or of the columns (the areas)."""
    casablanca = Unit.objects.get(code=CASABLANCA_OFFICE)
    regions = unit_regions(Unit.objects.filter(kind=casablanca.kind).values("pk"))
    region = regions[casablanca.pk][1]
    other = next(
        unit_id
        for unit_id, (code, unit_region) in sorted(regions.items())
        if unit_region == region and unit_id != casablanca.pk
    )
    month = date(2025, 4, 1)
    # The rollups are this publication's input: written as `rollups_compute` would.
    for unit_id, channels in (
        (casablanca.pk, {"web": 12, "counter": 8}),
        (other, {"web": 12, "counter": 3}),
    ):
        MonthlyRollup.objects.create(
            procedure="complaint",
            unit_id=unit_id,
            month=month,
            received=sum(channels.values()),
            channels=channels,
            # Not decided yet: pending at the end of their month.
            pending=sum(channels.values()),
            pending_under_1m=sum(channels.values()),
            refreshed_at=timezone.now(),
        )
    publication_compute(procedure="complaint", month=month)
    published = {
        (row.level, row.code): {m: Cell.from_stored(v) for m, v in row.cells.items()}
        for row in PublishedArea.objects.filter(procedure="complaint", month=month)
    }
    offices = [key for key in published if key[0] == "office"]
    assert len(offices) == 2 and ("region", region) in published
    measures = ["received", *channel_measures()]
    true = {
        ("office", regions[casablanca.pk][0]): {
            "received": 20,
            "received_web": 12,
            "received_counter": 8,
        },
        ("office", regions[other][0]): {"received": 15, "received_web": 12, "received_counter": 3},
        ("region", region): {"received": 35, "received_web": 24, "received_counter": 11},
        ("national", ""): {"received": 35, "received_web": 24, "received_counter": 11},
    }
    for area, cells in published.items():
        for measure in measures:
            value = true[area].get(measure, 0)
            cell = cells[measure]
            if value < 10:
                assert cell.hidden == SMALL and cell.display() == "< 10", (area, measure)
            elif cell.published:
                assert cell.value == value, (area, measure)
    # The region's 11 at a counter would pin both offices' were everything else shown:
    # something more is hidden ("x"), never a count under 10.
    assert any(cells[m].hidden == COMPLEMENTARY for cells in published.values() for m in measures)
    # Independently: every relation a reader knows, and no hidden cell it determines.
    relations = []
    for area in published:
        relations.append({(area, "received"): 1, **{(area, m): -1 for m in channel_measures()}})
    for measure in measures:
        relations.append({(("region", region), measure): 1, **{(o, measure): -1 for o in offices}})
        relations.append({(("national", ""), measure): 1, (("region", region), measure): -1})
    hidden = {
        (area, m) for area, cells in published.items() for m in measures if not cells[m].published
    }
    assert not determined_by_elimination(relations, hidden) & hidden
    # And no small count is left a single value by what the markers say: the offices'
    # counters could be (8, 3) or, e.g., (9, 3), as far as a reader can tell.
    from mizan.transparency.suppression import pinned

    status = {
        (area, m): cells[m].hidden
        for area, cells in published.items()
        for m in measures
        if cells[m].hidden
    }
    value = {
        (area, m): cells[m].value if cells[m].published else true[area].get(m, 0)
        for area, cells in published.items()
        for m in measures
    }
    assert not pinned(relations, status, value, 10)


def test_a_frozen_figure_of_last_month_stays_hidden():
    """Last month hid its pending (7); this month's received, decided and pending
    would give it back (pending now = pending then + received - decided)."""
    relations = [{"pending": 1, "previous": -1, "received": -1, "decided": 1}]
    cells = suppress(
        {"pending": 30, "received": 40, "decided": 17},
        relations,
        threshold=10,
        frozen={"previous": Cell(None, SMALL)},
    )
    assert sum(1 for cell in cells.values() if not cell.published) == 1
    assert cells["decided"].hidden == COMPLEMENTARY  # the smallest of the three


def test_a_sum_over_months_is_hidden_when_a_month_is():
    assert combine([Cell(12), Cell(30)]) == Cell(42)
    assert combine([Cell(12), Cell(None, SMALL)]).hidden == COMPLEMENTARY
    assert Cell(None, SMALL).as_csv() == "<10" and Cell(None, COMPLEMENTARY).as_csv() == "x"


# --- pages and files ---------------------------------------------------------------------
def test_the_dashboard_renders_with_charts_and_tables(history):
    transparency_refresh(since=date(2024, 12, 1))
    for language in LANGUAGES:
        dashboard_page_is_complete(language)


def dashboard_page_is_complete(language):
    client = Client()
    response = client.get(f"/{language}/transparency/?procedure=complaint&period=2025")
    assert response.status_code == 200
    page = response.content.decode()
    assert ('dir="rtl"' if language == "ar" else 'dir="ltr"') in page
    assert page.count("<svg") == 4 and page.count('role="img"') == 4
    for chart in ("chart-monthly", "chart-ages", "chart-outcomes", "chart-channels"):
        # Named by its title, described by its description (not both in the name, which
        # a screen reader would then read twice).
        assert f'aria-labelledby="{chart}-title" aria-describedby="{chart}-desc"' in page
        assert f'<title id="{chart}-title">' in page and f'<desc id="{chart}-desc">' in page
    assert page.count("<table") >= 5 and page.count("<caption id=") >= 5
    # Requests by channel: a chart and its table, with its total (the requests received).
    assert 'id="channels-caption"' in page
    channels_table = page.split('id="channels-caption"')[1].split("</table>")[0]
    assert channels_table.count("<tr>") == 1 + 7 + 1  # head, seven channels, total
    # A total over months hides as soon as one month hides a part ("x"): the period's
    # single requests by telephone or post are not shown.
    assert "<td>x</td>" in channels_table and "<td>1</td>" not in channels_table
    # Tables wider than a phone scroll in a box a keyboard can reach (and name).
    assert page.count('class="table-wrap" role="region"') == page.count('class="table-wrap"')
    assert "&lt; 10" in page  # the small counts of this history
    # The charts read in the page's direction: mirrored in Arabic.
    assert f'direction="{"rtl" if language == "ar" else "ltr"}"' in page
    # Counts are labelled as counts (not as "received on" / "delivered on" a date, as
    # the same English words are translated on a case page).
    if language == "fr":
        assert "Reçues" in page and ">Remis<" in page and "Remis le" not in page
    # The sentence on the target delay is translated whole, with its own punctuation.
    if language == "ar":
        assert re.search(r"وصدرت داخله: [^<;]+؛ بعد انقضائه: ", page)
    assert len(response.content) < 60 * 1024
    # An unknown choice falls back to the defaults instead of failing.
    assert (
        client.get(f"/{language}/transparency/?procedure=nope&period=1990&region=ZZ").status_code
        == 200
    )


def test_the_data_page_lists_files_definitions_and_licence(history, settings):
    transparency_refresh(since=date(2024, 12, 1))
    for language in LANGUAGES:
        response = Client().get(f"/{language}/transparency/data/")
        page = response.content.decode()
        assert response.status_code == 200 and settings.MIZAN_TRANSPARENCY_LICENCE in page
        assert "/transparency/data/complaint-2025-01.csv" in page
        assert "/transparency/data/complaint-2025-01.json" in page
        for column in ("received", "median_days", "pending_over_12m", "sms_not_reached"):
            assert f"<code>{column}</code>" in page
        for column in channel_measures():
            assert f"<code>{column}</code>" in page
        # The licence's name is a proper name, shown as written and linked to its text;
        # in a page of another language it says which language it is in (WCAG 3.1.2).
        licence = re.search(r'<p class="licence">.*?</p>', page, re.S).group(0)
        link = f'<a href="{settings.MIZAN_TRANSPARENCY_LICENCE_URL}"'
        if language == "en":
            assert f"{link}>{settings.MIZAN_TRANSPARENCY_LICENCE}</a>" in licence
        else:
            assert f'{link} lang="en" dir="ltr">' in licence
        assert "-metadata.json" in page  # where the CSV files' licence is, for programs


def test_a_licence_named_in_french_is_marked_as_french(history, settings):
    settings.MIZAN_TRANSPARENCY_LICENCE = "Licence Ouverte / Open Licence version 2.0"
    settings.MIZAN_TRANSPARENCY_LICENCE_URL = (
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    )
    settings.MIZAN_TRANSPARENCY_LICENCE_LANG = "fr"
    transparency_refresh(since=date(2024, 12, 1))
    french = Client().get("/fr/transparency/data/").content.decode()
    assert 'lang="fr"' not in re.search(r'<p class="licence">.*?</p>', french, re.S).group(0)
    arabic = Client().get("/ar/transparency/data/").content.decode()
    licence = re.search(r'<p class="licence">.*?</p>', arabic, re.S).group(0)
    assert 'lang="fr" dir="ltr">Licence Ouverte / Open Licence version 2.0</a>' in licence
    assert "ترخيص مفتوح" in licence  # the line around the name is in the page's language
    data = json.loads(Client().get("/transparency/data/complaint-2025-01.json").content)
    assert (data["licence"], data["licence_lang"]) == (settings.MIZAN_TRANSPARENCY_LICENCE, "fr")


def test_the_open_data_files_parse_with_their_documented_columns(history, settings):
    settings.MIZAN_TRANSPARENCY_MIN_CELL = 0
    transparency_refresh(since=date(2024, 12, 1))
    files = {}
    for language in LANGUAGES:  # the same files whatever the reader's language
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        files[language] = client.get("/transparency/data/complaint-2025-03.csv").content
        open_data_files_are_complete(client, settings)
    assert files["ar"] == files["fr"] == files["en"]


def open_data_files_are_complete(client, settings):

    response = client.get("/transparency/data/complaint-2025-03.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    reader = csv.reader(io.StringIO(response.content.decode()))
    header = next(reader)
    assert header == [*FILE_COLUMNS, *file_columns("complaint")]
    rows = [dict(zip(header, row, strict=True)) for row in reader]
    national = next(row for row in rows if row["level"] == "national")
    assert national["month"] == "2025-03" and national["decided"] == "3"
    assert national["area_name_ar"] and national["area_name_fr"]
    for row in rows:  # the channels add up to the requests received, in every row
        assert sum(int(row[m]) for m in channel_measures()) == int(row["received"])

    # The CSV holds only its header and its rows; its licence travels in the HTTP
    # headers and in its "CSV on the Web" companion, which describes its columns.
    links = response["Link"]
    assert f'<{settings.MIZAN_TRANSPARENCY_LICENCE_URL}>; rel="license"' in links
    metadata_url = "/transparency/data/complaint-2025-03.csv-metadata.json"
    assert f'<{metadata_url}>; rel="describedby"; type="application/csvm+json"' in links
    assert 'rel="describedby"; type="text/html"' in links  # the data dictionary
    metadata_response = client.get(metadata_url)
    assert metadata_response["Content-Type"] == "application/csvm+json"
    metadata = json.loads(metadata_response.content)
    assert metadata["url"].endswith("/transparency/data/complaint-2025-03.csv")
    assert metadata["dc:license"] == {"@id": settings.MIZAN_TRANSPARENCY_LICENCE_URL}
    assert metadata["dc:rights"]["@value"] == settings.MIZAN_TRANSPARENCY_LICENCE
    assert [c["name"] for c in metadata["tableSchema"]["columns"]] == header
    received = next(c for c in metadata["tableSchema"]["columns"] if c["name"] == "received")
    assert received["null"] == ["<0", "x", ""]  # this test's threshold is 0
    assert client.get("/transparency/data/complaint-1999-01.csv-metadata.json").status_code == 404

    json_response = client.get("/transparency/data/complaint-2025-03.json")
    assert 'rel="license"' in json_response["Link"]
    data = json.loads(json_response.content)
    assert data["columns"] == file_columns("complaint") and data["month"] == "2025-03"
    assert data["licence"] == settings.MIZAN_TRANSPARENCY_LICENCE
    national = next(row for row in data["rows"] if row["level"] == "national")
    assert national["values"]["p90_days"] == 88 and national["values"]["decided"] == 3

    catalogue = json.loads(client.get("/transparency/data/catalogue.json").content)
    assert any(
        f["month"] == "2025-03"
        and f["procedure"] == "complaint"
        and f["csv_metadata"].endswith(metadata_url)
        for f in catalogue["files"]
    )
    assert client.get("/transparency/data/complaint-1999-01.csv").status_code == 404
    assert client.get("/transparency/data/nothing-2025-01.json").status_code == 404


def test_hidden_counts_in_json_are_null_with_their_reason(history):
    transparency_refresh(since=date(2024, 12, 1))
    data = json.loads(Client().get("/transparency/data/complaint-2025-01.json").content)
    office = next(row for row in data["rows"] if row["area_code"] == CASABLANCA_OFFICE)
    assert office["values"]["received"] is None and office["hidden"]["received"] == "small"
    assert office["hidden"]["median_days"] == "too_few"


# --- delay estimates for citizens --------------------------------------------------------
def question(days_ago: int | None = None, *, answer_by=None):
    case = case_submit(
        procedure="question",
        filer_name="Youssef",
        filer_phone="+212612121212",
        language="en",
        commune=None,
        details={"institution": "MJ", "subject": "Copy", "facts": "How do I get a copy?"},
    )
    if answer_by is not None:
        case_transition(
            case_id=case.case.pk, step_name="answer", actor=answer_by, message="At the registry."
        )
        # Filed earlier than it was answered: only the filing date can be moved.
        Case.objects.filter(pk=case.case.pk).update(
            submitted_at=timezone.now() - timedelta(days=days_ago)
        )
    return case


def test_delay_estimates_on_the_filing_and_tracking_pages(reference_data, settings):
    settings.MIZAN_TRANSPARENCY_MIN_CELL = 3
    agent = staff("info", "MJ-INFO", Role.AGENT)
    for days in (5, 10, 20):
        question(days, answer_by=agent)
    waiting = question()
    transparency_refresh()
    unit = Unit.objects.get(code="MJ-INFO")
    estimate = delay_estimate(procedure="question", unit=unit)
    assert (estimate.median_days, estimate.p90_days, estimate.decisions) == (10, 20, 3)

    page = Client().get("/en/file/question/").content.decode()
    assert (
        "Requests like this were usually decided within 10 days (half of them) and 20 days" in page
    )

    client = Client()
    client.post(
        "/en/track/", {"reference": waiting.case.reference, "access_code": waiting.access_code}
    )
    page = client.get(f"/en/track/{waiting.case.reference}/").content.decode()
    assert "Requests like this at this office were usually decided within 10 days" in page

    settings.MIZAN_TRANSPARENCY_MIN_CELL = 10  # too few decisions: nothing is said
    assert delay_estimate(procedure="question", unit=unit) is None
    assert "usually decided" not in Client().get("/en/file/question/").content.decode()


def test_no_estimate_once_the_request_is_decided(reference_data, settings):
    settings.MIZAN_TRANSPARENCY_MIN_CELL = 1
    agent = staff("info", "MJ-INFO", Role.AGENT)
    answered = question(3, answer_by=agent)
    transparency_refresh()
    client = Client()
    client.post(
        "/en/track/", {"reference": answered.case.reference, "access_code": answered.access_code}
    )
    page = client.get(f"/en/track/{answered.case.reference}/").content.decode()
    assert "usually decided" not in page


def test_the_home_page_links_the_dashboard(reference_data):
    page = Client().get("/fr/").content.decode()
    assert "/fr/transparency/" in page


def test_refresh_refuses_a_month_not_started():
    next_month = add_months(current_month(), 1).strftime("%Y-%m")
    with translation.override("en"), pytest.raises(CommandError, match="not started"):
        call_command("refresh_transparency", "--month", next_month)


def test_months_are_counted_in_moroccos_time():
    # 23:30 UTC on 31 January is already 1 February in Casablanca (UTC+1).
    assert month_of(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == date(2026, 2, 1)
    assert month_of(datetime(2026, 1, 31, 23, 30, tzinfo=MOROCCO_TZ)) == date(2026, 1, 1)


def test_the_complaint_form_shows_the_estimate_of_the_office_its_commune_goes_to(office, settings):
    settings.MIZAN_TRANSPARENCY_MIN_CELL = 3
    today = timezone.localdate()
    for days in (4, 8, 30):
        complaint(office, today - timedelta(days=days), today, step="decide_prosecution")
    transparency_refresh()
    national = Client().get("/en/complaint/").content.decode()
    assert "Requests like this were usually decided within" in national

    commune = Commune.objects.get(code=CASABLANCA)
    page = Client().post(
        "/en/complaint/",
        {"province": commune.province_id, "commune": commune.pk, "show_communes": "1"},
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "Requests like this at this office were usually decided within 8 days" in text


def test_a_procedure_starting_after_the_platform_gives_nothing_away(history, caplog):
    """Months are published from the platform's first request for every procedure: a
    procedure whose first request comes later has months with a country row only (all
    zero, pending "< 10"). Its first month with offices ties that hidden zero to
    offices absent last month (zeros anyone can infer): the zero is known, not given
    away, and nothing is logged as an error."""
    case = question()
    Case.objects.filter(pk=case.case.pk).update(submitted_at=local(date(2025, 2, 10)))
    with caplog.at_level("ERROR", logger="mizan.transparency.suppression"):
        transparency_refresh(since=date(2024, 12, 1))
    assert not [r for r in caplog.records if "give away" in r.getMessage()]
    january = PublishedArea.objects.get(
        procedure="question", month=date(2025, 1, 1), level=PublishedArea.Level.NATIONAL
    )
    assert Cell.from_stored(january.cells["pending"]).hidden == SMALL
    february = PublishedArea.objects.filter(procedure="question", month=date(2025, 2, 1))
    assert february.filter(level=PublishedArea.Level.OFFICE).exists()
    # The one request is still under the threshold everywhere it is counted.
    for row in february:
        assert Cell.from_stored(row.cells["received"]).hidden == SMALL


def test_an_outcome_published_without_its_share_draws_no_bar(settings):
    """An outcome's count can be published while the decisions it is a share of are
    not (a month's total hidden): the chart says "—" for it instead of failing (a 500
    on the dashboard, found by the benchmark at a million cases)."""
    from types import SimpleNamespace

    from mizan.transparency.charts import dashboard_charts

    month = SimpleNamespace(
        label="janvier 2025",
        short_label="janv.",
        cells={"received": Cell(40), "decided": Cell(None, COMPLEMENTARY)},
    )
    figures = SimpleNamespace(
        months=[month],
        ages=[("< 1 mois", Cell(12))],
        outcomes=[("poursuite", Cell(25), None), ("classement", Cell(None, SMALL), None)],
        channels=[("web", Cell(40), 1.0)],
    )
    charts = dashboard_charts(figures, rtl=False)
    texts = [text.text for text in charts["outcomes"].texts]
    assert "—" in texts and "< 10" in texts
    assert all(rect.css == "bar-hidden" for rect in charts["outcomes"].rects)
