"""Small counts are never published, nor any number that gives one away.

Every figure the public sees — dashboard, CSV, JSON — is a `Cell` made here:

1. **Primary suppression**: a count under the threshold (setting
   `MIZAN_TRANSPARENCY_MIN_CELL`, 10 by default; zero included) is shown as "< 10".
2. **Secondary (complementary) suppression**: published figures are tied together
   (an office's counts add up to its region's, the outcomes to the decisions, last
   month's pending plus this month's requests minus its decisions to this month's
   pending). `suppress` hides more cells until no hidden count can be worked out
   exactly from the published ones by adding and subtracting — checked by elimination
   over a prime field, which also names the published cells that give a hidden one
   away, the smallest of which is hidden next — and until the bounds a reader knows
   ("< 10" is 0 to 9) pin no small count to one value (9 + 9 = 18 would give both
   away). Those cells show "x".
3. **Derived figures** (a period's total, a share) are made by `combine`: a sum is
   published only when every part is, so it never adds information.

Known limit (docs/transparency.md): bounds are narrowed relation by relation until
nothing changes, which finds the pins of everyday tables but is not a complete proof.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Hidden because the count is under the threshold: shown "< 10".
SMALL = "small"
# Hidden so that a small count cannot be worked out from it: shown "x".
COMPLEMENTARY = "complementary"
# A time or share computed on too few requests to say anything: shown "—".
TOO_FEW = "too_few"

# A Mersenne prime: exact arithmetic on the relations without fractions.
_PRIME = (1 << 61) - 1


def min_cell() -> int:
    return settings.MIZAN_TRANSPARENCY_MIN_CELL


@dataclass(frozen=True)
class Cell:
    """One published figure: its value, or why it is hidden (then `value` is None)."""

    value: int | None
    hidden: str = ""

    @property
    def published(self) -> bool:
        return not self.hidden

    def display(self) -> str:
        if self.hidden == SMALL:
            return f"< {number_format(min_cell())}"
        if self.hidden == COMPLEMENTARY:
            return "x"
        if self.hidden or self.value is None:
            return "—"
        return number_format(self.value, force_grouping=True)

    def __str__(self) -> str:
        return self.display()

    def as_json(self) -> int | None:
        return self.value if self.published else None

    def as_csv(self) -> str:
        # Files keep the marker and a plain integer (no thousands separator).
        if self.hidden == SMALL:
            return f"<{min_cell()}"
        if self.hidden == COMPLEMENTARY:
            return "x"
        if self.hidden or self.value is None:
            return ""
        return str(self.value)

    def to_stored(self) -> list:
        return [self.value if self.published else None, self.hidden]

    @classmethod
    def from_stored(cls, stored) -> Cell:
        value, hidden = stored
        return cls(value, hidden)


def hidden_markers_legend() -> list[tuple[str, str]]:
    """(marker, meaning) for the legend under every table."""
    threshold = number_format(min_cell())
    return [
        (
            f"< {threshold}",
            _("fewer than %(threshold)s: not published, so that no one can be singled out")
            % {"threshold": threshold},
        ),
        ("x", _("not published, so that a smaller number cannot be worked out by subtraction")),
        ("—", _("no figure: too few requests to compute it")),
    ]


def combine(cells: Iterable[Cell]) -> Cell:
    """The sum of published cells; hidden ("x", saying nothing of its size) as soon as
    one part is hidden, so that the sum never reveals a hidden part."""
    total = 0
    for cell in cells:
        if not cell.published:
            return Cell(None, COMPLEMENTARY)
        total += cell.value
    return Cell(total)


def share(part: Cell, whole: Cell) -> float | None:
    """part / whole when both are published and whole is not zero."""
    if part.published and whole.published and whole.value:
        return part.value / whole.value
    return None


# --- the solver -------------------------------------------------------------------------
Key = Hashable
Relation = Mapping[Key, int]  # coefficients of a relation sum(coefficient * value) == 0


def suppress(
    values: Mapping[Key, int],
    relations: Sequence[Relation],
    *,
    threshold: int | None = None,
    frozen: Mapping[Key, Cell] | None = None,
) -> dict[Key, Cell]:
    """Publish `values` (key -> count) as cells, with primary and secondary suppression.

    `relations` say which published figures add up to which (each a key -> +1/-1
    mapping summing to zero). `frozen` cells were published before (last month's
    pending) and keep their state: they are never hidden now, but when they were hidden
    they must stay impossible to work out.
    """
    threshold = min_cell() if threshold is None else threshold
    frozen = dict(frozen or {})
    true_value = dict(values)
    for key, cell in frozen.items():
        if cell.published:
            true_value[key] = cell.value
    order = {key: position for position, key in enumerate(values)}
    relations = [dict(relation) for relation in relations if relation]
    if any(abs(c) != 1 for relation in relations for c in relation.values()):
        raise ValueError("relations add and subtract whole cells: coefficients are +1 or -1")
    relations_of: dict[Key, list[int]] = defaultdict(list)
    for number, relation in enumerate(relations):
        for key in relation:
            relations_of[key].append(number)

    hidden: dict[Key, str] = {key: SMALL for key, value in values.items() if value < threshold}
    # Cells this publication cannot protect: a frozen cell given away by what was
    # published before alone (nothing hidden now would change that). Logged, not fatal.
    given_up: set = set()
    while True:
        status = {**{k: c.hidden for k, c in frozen.items()}, **hidden}
        exposed = {
            key: found
            for key, *found in _exposed(relations, relations_of, status, true_value, threshold)
            if key not in given_up
        }
        if not exposed:
            break
        added: set = set()
        for key in sorted(exposed, key=lambda k: (k not in order, order.get(k, 0), repr(k))):
            support, by_bounds = exposed[key]
            if support & added:
                continue  # this round's complements already break what gives it away
            candidates = [k for k in support if k in values and k not in hidden]
            if candidates:
                added.add(min(candidates, key=lambda k: (values[k], order[k])))
                continue
            # Pinned with every neighbour hidden: hide a cell further away. Determined
            # by earlier publications alone: nothing hidden now would change it.
            more = (
                _complements([key], relations, relations_of, values, hidden, order)
                if by_bounds
                else set()
            )
            if more:
                added |= more
            else:
                logger.error("transparency: earlier publications give away %s", key)
                given_up.add(key)
        for key in added:
            hidden[key] = COMPLEMENTARY
    return {
        key: Cell(None, hidden[key]) if key in hidden else Cell(value)
        for key, value in values.items()
    }


def _exposed(
    relations: list[dict],
    relations_of: Mapping[Key, list[int]],
    status: Mapping[Key, str],
    value: Mapping[Key, int],
    threshold: int,
) -> list[tuple[Key, set, bool]]:
    """Hidden keys the published cells give away: (key, the published cells that do
    it, whether by bounds rather than exactly). Hiding one of those cells breaks this
    way of working the key out.

    Determined keys come with the cells of the combination of relations that isolates
    them; a key pinned by bounds, with the published cells of its own relations.
    """
    unknown = {key for key, state in status.items() if state}
    found = [
        (key, support, False) for key, support in determining_cells(relations, unknown).items()
    ]
    determined_keys = {key for key, _support, _bounds in found}
    for key in pinned(relations, status, value, threshold):
        if key not in determined_keys:
            support = {
                other
                for number in relations_of.get(key, [])
                for other in relations[number]
                if other not in unknown
            }
            found.append((key, support, True))
    return found


def _complements(
    exposed: list,
    relations: list[dict],
    relations_of: Mapping[Key, list[int]],
    values: Mapping[Key, int],
    hidden: Mapping[Key, str],
    order: Mapping[Key, int],
) -> set:
    """For each exposed cell, the smallest published cell sharing a relation with it
    (its "complement"), or, when all its neighbours are hidden already, the smallest
    one a relation further away; one per relation per round, so that two cells of one
    total do not both take a partner when one partner protects both."""
    added: set = set()
    touched: set[int] = set()
    for key in exposed:
        if touched.intersection(relations_of.get(key, [])):
            continue
        seen_keys, seen_relations = {key}, set()
        frontier = set(relations_of.get(key, []))
        while frontier:
            seen_relations |= frontier
            candidates = [
                other
                for number in frontier
                for other in relations[number]
                if other in values and other not in hidden and other not in added
            ]
            if candidates:
                chosen = min(candidates, key=lambda other: (values[other], order[other]))
                added.add(chosen)
                touched.update(relations_of.get(key, []))
                touched.update(relations_of[chosen])
                break
            reached = {other for number in frontier for other in relations[number]} - seen_keys
            seen_keys |= reached
            frontier = {
                number for other in reached for number in relations_of[other]
            } - seen_relations
    return added


def determined(relations: Iterable[Relation], unknown: set) -> set:
    """The unknown keys whose value follows from the relations and the known values."""
    return set(determining_cells(relations, unknown))


def determining_cells(relations: Iterable[Relation], unknown: set) -> dict[Key, set]:
    """Each unknown key whose value follows from the relations and the known values,
    with the known keys whose values it follows from.

    Gauss-Jordan elimination over GF(p), pivoting on unknown columns only: x is
    determined exactly when the reduced form has a row whose only unknown is x, and
    that row's known entries are the combination that gives x away. The relations are
    sparse, so rows are dicts and each unknown column remembers which rows hold it.
    """
    column: dict[Key, int] = {}
    keys: list[Key] = []
    is_unknown: list[bool] = []
    pivots: dict[int, dict[int, int]] = {}
    holders: dict[int, set[int]] = defaultdict(set)  # unknown column -> pivot rows holding it
    for relation in relations:
        row: dict[int, int] = {}
        for key, coefficient in relation.items():
            if key not in column:
                column[key] = len(keys)
                keys.append(key)
                is_unknown.append(key in unknown)
            index = column[key]
            row[index] = (row.get(index, 0) + coefficient) % _PRIME
        row = {index: c for index, c in row.items() if c}
        for pivot in [index for index in row if index in pivots]:
            factor = row.get(pivot, 0)
            if factor:
                _subtract(row, pivots[pivot], factor)
        candidates = [index for index in row if is_unknown[index]]
        if not candidates:
            continue  # a relation between published figures only
        pivot = min(candidates, key=lambda index: (len(holders[index]), index))
        inverse = pow(row[pivot], _PRIME - 2, _PRIME)
        row = {index: c * inverse % _PRIME for index, c in row.items()}
        for other in list(holders[pivot]):
            other_row = pivots[other]
            _subtract(other_row, row, other_row[pivot])
            for index in row:
                if not is_unknown[index]:
                    continue
                if index in other_row:
                    holders[index].add(other)
                else:
                    holders[index].discard(other)
        holders.pop(pivot, None)
        pivots[pivot] = row
        for index in row:
            if index != pivot and is_unknown[index]:
                holders[index].add(pivot)
    found = {}
    for pivot, row in pivots.items():
        if sum(1 for index in row if is_unknown[index]) == 1:
            found[keys[pivot]] = {keys[index] for index in row if not is_unknown[index]}
    return found


def _subtract(row: dict[int, int], pivot_row: Mapping[int, int], factor: int) -> None:
    for index, coefficient in pivot_row.items():
        updated = (row.get(index, 0) - factor * coefficient) % _PRIME
        if updated:
            row[index] = updated
        else:
            row.pop(index, None)


def pinned(
    relations: Sequence[Relation],
    status: Mapping[Key, str],
    value: Mapping[Key, int],
    threshold: int,
    *,
    rounds: int = 25,
) -> set:
    """The "< 10" cells whose bounds leave them a single non-zero value.

    A reader knows a "< 10" cell lies in [0, 9] and an "x" cell (hidden as a
    complement, so never small) in [10, ∞). Each relation narrows the range of each of
    its hidden cells given the others' ranges (9 + 9 = 18 pins both to 9); narrowing
    is repeated over all relations until nothing changes. Sound, not complete: a
    range this finds is a true range, but a pin needing a cleverer argument could be
    missed (docs/transparency.md). A cell pinned at 0, or an "x" at 10 or more, singles
    no one out.
    """
    low: dict[Key, int] = {}
    high: dict[Key, int | None] = {}
    for key, state in status.items():
        if state == SMALL:
            low[key], high[key] = 0, threshold - 1
        elif state:
            low[key], high[key] = threshold, None
    prepared = []
    for relation in relations:
        residual, hidden_terms = 0, []
        for key, coefficient in relation.items():
            if key in low:
                hidden_terms.append((key, coefficient))
            else:
                residual -= coefficient * value[key]
        if hidden_terms:
            prepared.append((residual, hidden_terms))
    for _round in range(rounds):
        changed = False
        for residual, terms in prepared:
            ranges = [_term_range(c, low[k], high[k]) for k, c in terms]
            finite_low = sum(r[0] for r in ranges if r[0] is not None)
            finite_high = sum(r[1] for r in ranges if r[1] is not None)
            open_low = sum(1 for r in ranges if r[0] is None)
            open_high = sum(1 for r in ranges if r[1] is None)
            for (key, coefficient), (term_low, term_high) in zip(terms, ranges, strict=True):
                # coefficient * key = residual - (the other terms), whose range is known:
                # the totals above without this term's own share.
                if term_low is None:
                    rest_low = finite_low if open_low == 1 else None
                else:
                    rest_low = finite_low - term_low if open_low == 0 else None
                if term_high is None:
                    rest_high = finite_high if open_high == 1 else None
                else:
                    rest_high = finite_high - term_high if open_high == 0 else None
                # residual - rest lies in [residual - rest_high, residual - rest_low].
                lowest = None if rest_high is None else residual - rest_high
                highest = None if rest_low is None else residual - rest_low
                if coefficient < 0:
                    lowest, highest = (
                        None if highest is None else -highest,
                        None if lowest is None else -lowest,
                    )
                if lowest is not None and lowest > low[key]:
                    low[key], changed = lowest, True
                if highest is not None and (high[key] is None or highest < high[key]):
                    high[key], changed = highest, True
        if not changed:
            break
    return {
        key
        for key, state in status.items()
        if state == SMALL and low[key] == high[key] and low[key] >= 1
    }


def _term_range(coefficient: int, low: int, high: int | None) -> tuple[int | None, int | None]:
    """Range of coefficient * x for x in [low, high] (None: unbounded)."""
    if coefficient > 0:
        return coefficient * low, None if high is None else coefficient * high
    return (None if high is None else coefficient * high), coefficient * low
