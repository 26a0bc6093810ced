"""Charts drawn on the server as SVG: readable without JavaScript, light, in the
page's direction (mirrored for Arabic) and with the page's number formatting.

Each chart is geometry for `templates/transparency/_chart.svg.html`; the page puts
the same figures in a table beside it, which is what screen readers use. A hidden
figure has no bar, only a thin grey stub: its marker ("< 10", "x") is in the table.
"""

from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .suppression import TOO_FEW, Cell

WIDTH = 360
FONT = 12


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"  # start / middle / end, in the page's direction
    css: str = ""


@dataclass
class Chart:
    chart_id: str
    title: str
    description: str
    height: float
    rtl: bool
    width: float = WIDTH
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[tuple[float, float, float, float]] = field(default_factory=list)

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"

    def mirror_x(self, x: float, width: float = 0) -> float:
        """Charts are laid out left to right; Arabic pages read them right to left."""
        return self.width - x - width if self.rtl else x


def _nice_step(highest: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving at most 4 gridlines."""
    step = 1
    while highest / step > 4:
        for factor in (2, 5 / 2, 2):  # 1 -> 2 -> 5 -> 10
            step *= factor
            if highest / step <= 4:
                break
    return step


def _format(value: float) -> str:
    return number_format(round(value), force_grouping=True)


def column_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: list[str],
    series: list[tuple[str, list[Cell]]],
    rtl: bool,
) -> Chart:
    """Vertical bars per category (a month), one per series (received, decided...)."""
    height, top, bottom, axis = 200.0, 10.0, 28.0, 44.0
    chart = Chart(chart_id=chart_id, title=title, description=description, height=height, rtl=rtl)
    plot_height = height - top - bottom
    plot_width = WIDTH - axis - 6
    values = [cell.value for _css, cells in series for cell in cells if cell.published]
    highest = max([*values, 1])
    step = _nice_step(highest)
    scale_top = step * max(1, -(-highest // step))
    tick = 0.0
    while tick <= scale_top:
        y = top + plot_height * (1 - tick / scale_top)
        chart.lines.append((chart.mirror_x(axis), y, chart.mirror_x(WIDTH - 6), y))
        # Tick labels sit on the reading side of the axis, ending at it.
        chart.texts.append(Text(chart.mirror_x(axis - 4), y + 4, _format(tick), "end", "tick"))
        tick += step
    count = max(1, len(categories))
    group = plot_width / count
    bar = group * 0.8 / max(1, len(series))
    label_every = max(1, -(-count // 8))
    for index, label in enumerate(categories):
        start = axis + index * group + group * 0.1
        for position, (css, cells) in enumerate(series):
            cell = cells[index]
            x = start + position * bar
            if cell.published:
                bar_height = plot_height * cell.value / scale_top
                css_class = css
            else:
                bar_height, css_class = 2.0, "bar-hidden"
            width = bar * 0.92
            chart.rects.append(
                Rect(
                    chart.mirror_x(x, width),
                    top + plot_height - bar_height,
                    width,
                    bar_height,
                    css_class,
                )
            )
        if index % label_every == 0:
            center = axis + index * group + group / 2
            chart.texts.append(Text(chart.mirror_x(center), height - bottom + 16, label))
    return chart


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    rows: list[tuple[str, Cell, str]],
    css: str,
    rtl: bool,
    maximum: float | None = None,
) -> Chart:
    """Horizontal bars with their label above each (long labels stay readable on a
    phone); `rows` are (label, value, value as printed)."""
    row_height, pad = 38.0, 6.0
    chart = Chart(
        chart_id=chart_id,
        title=title,
        description=description,
        height=row_height * max(1, len(rows)) + pad,
        rtl=rtl,
    )
    published = [cell.value for _label, cell, _text in rows if cell.published]
    highest = maximum or max([*published, 1])
    room = WIDTH - 2 * pad - 64  # leave space for the value after the bar
    for index, (label, cell, text) in enumerate(rows):
        y = pad + index * row_height
        chart.texts.append(Text(chart.mirror_x(pad), y + FONT, label, "start"))
        drawn = cell.published and cell.value is not None
        length = room * cell.value / highest if drawn and highest else 0
        if drawn:
            chart.rects.append(Rect(chart.mirror_x(pad, length), y + 17, length, 14, css))
        else:
            chart.rects.append(Rect(chart.mirror_x(pad, 2), y + 17, 2, 14, "bar-hidden"))
        chart.texts.append(Text(chart.mirror_x(pad + length + 6), y + 28, text, "start", "value"))
    return chart


def percent_text(value: float | None) -> str:
    if value is None:
        return "—"
    return _("%(percent)s %%") % {"percent": number_format(round(value * 100))}


def dashboard_charts(figures, *, rtl: bool) -> dict[str, Chart]:
    """The dashboard's four charts, from its (already suppressed) figures."""
    months = figures.months
    first, last = months[0].label, months[-1].label
    monthly = column_chart(
        chart_id="chart-monthly",
        title=_("Requests received and decided each month"),
        description=_(
            "Bars for each month from %(first)s to %(last)s: requests received and "
            "requests decided. A hidden figure is a thin grey line; the table after the "
            "chart gives every figure."
        )
        % {"first": first, "last": last},
        categories=[m.short_label for m in months],
        series=[
            ("bar-received", [m.cells["received"] for m in months]),
            ("bar-decided", [m.cells["decided"] for m in months]),
        ],
        rtl=rtl,
    )
    ages = bar_chart(
        chart_id="chart-ages",
        title=_("Pending requests by age at the end of %(month)s") % {"month": last},
        description=_(
            "One bar per age group of the requests not yet decided; the table after the "
            "chart gives every figure."
        ),
        rows=[(label, cell, str(cell)) for label, cell in figures.ages],
        css="bar-pending",
        rtl=rtl,
    )
    outcome_rows = []
    for label, cell, share in figures.outcomes:
        if share is not None:
            outcome_rows.append((label, Cell(round(share * 1000)), percent_text(share)))
        elif cell.published:
            # The count is published but not the decisions it is a share of (a month's
            # total hidden, or none at all): no bar and no percentage, "—" as in the table.
            outcome_rows.append((label, Cell(None, TOO_FEW), percent_text(None)))
        else:
            outcome_rows.append((label, cell, str(cell)))
    outcomes = bar_chart(
        chart_id="chart-outcomes",
        title=_("Decisions by outcome, %(first)s to %(last)s") % {"first": first, "last": last},
        description=_(
            "One bar per outcome, its length the outcome's share of all decisions; the "
            "table after the chart gives every figure."
        ),
        rows=outcome_rows,
        css="bar-outcome",
        rtl=rtl,
        maximum=1000,
    )
    channels = bar_chart(
        chart_id="chart-channels",
        title=_("Requests received by channel, %(first)s to %(last)s")
        % {"first": first, "last": last},
        description=_(
            "One bar per channel through which the requests reached the office (online "
            "or helped by an agent); the table after the chart gives every figure."
        ),
        rows=[(label, cell, str(cell)) for label, cell, _share in figures.channels],
        css="bar-channel",
        rtl=rtl,
    )
    return {"monthly": monthly, "ages": ages, "outcomes": outcomes, "channels": channels}
