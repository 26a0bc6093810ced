#!/usr/bin/env python3
"""A PNG chart of a bench run's ratios, next to its results JSON.

For each database, each scenario's requests/s at 8 connections divided by the floor's
(and by the peer's, where Mizan has a peer to compare with), as horizontal bars on a
logarithmic scale (the ratios run from 0.01 to 2), each with its value. A small
hand-written SVG in an HTML page, screenshot by Debian's Chromium through Playwright (a
dev dependency, used by e2e/): no plotting library.

    .venv/bin/python bench/chart.py bench/results/X.json [more.json …]

writes bench/results/X.png (a run without HTTP scenarios, e.g. `--only sms-path`, has
no ratios and no chart).
"""

from __future__ import annotations

import json
import math
import os
import sys
from html import escape
from pathlib import Path

CHROMIUM = os.environ.get("MIZAN_CHROMIUM", "/usr/bin/chromium")
CONNECTIONS = 8
# The logarithmic axis: 0.001× to 10×.
LOW, HIGH = -3, 1
WIDTH = 900
LABEL_WIDTH = 250
BAR_LEFT, BAR_RIGHT = LABEL_WIDTH + 10, WIDTH - 80
ROW = 22
FLOOR_COLOUR, PEER_COLOUR = "#1f5f99", "#c0641a"


def ratios(run: dict, comparisons: dict[str, str]) -> list[dict]:
    """Per database: [(scenario, × floor, × peer or None)] at 8 connections."""
    panels = []
    for result in run.get("databases", []):
        rows = {r["scenario"]: r for r in result["scenarios"] if r["connections"] == CONNECTIONS}
        floor = rows.get("floor", {}).get("rps")
        if not floor:
            continue
        bars = []
        for name, row in rows.items():
            if name == "floor":
                continue
            peer = rows.get(comparisons.get(name, ""))
            bars.append(
                {
                    "scenario": name,
                    "floor": row["rps"] / floor,
                    "peer": row["rps"] / peer["rps"] if peer and peer["rps"] else None,
                    "rps": row["rps"],
                }
            )
        panels.append({"database": result["database"], "floor_rps": floor, "bars": bars})
    return panels


def _ratio(value: float) -> str:
    """Two decimals, or two significant digits below 0.1 (0.0012× is not 0.00×)."""
    return f"{value:.2f}" if value >= 0.1 else f"{value:.2g}"


def _x(value: float) -> float:
    clipped = min(max(value, 10**LOW), 10**HIGH)
    share = (math.log10(clipped) - LOW) / (HIGH - LOW)
    return BAR_LEFT + share * (BAR_RIGHT - BAR_LEFT)


def svg(run: dict, comparisons: dict[str, str]) -> str:
    panels = ratios(run, comparisons)
    parts: list[str] = []
    y = 30
    parts.append(
        f'<text x="10" y="{y}" class="title">Mizan bench, {escape(run["date"])} — '
        f"{escape(run['machine'])}</text>"
    )
    y += 22
    parts.append(
        f'<text x="10" y="{y}" class="note">req/s at {CONNECTIONS} connections ÷ the floor '
        "(bare Django view, same run)"
        f'<tspan fill="{PEER_COLOUR}"> and ÷ the peer (django-helpdesk)</tspan>'
        "; logarithmic scale</text>"
    )
    y += 16
    for panel in panels:
        y += 26
        parts.append(
            f'<text x="10" y="{y}" class="panel">{escape(panel["database"])}'
            f'<tspan class="note"> — floor {panel["floor_rps"]:g} req/s</tspan></text>'
        )
        y += 10
        top = y
        grid_at = len(parts)  # the axis goes under the bars, drawn once their height is known
        for bar in panel["bars"]:
            rows = [("floor", bar["floor"], FLOOR_COLOUR)]
            if bar["peer"] is not None:
                rows.append(("peer", bar["peer"], PEER_COLOUR))
            label_y = y + 15
            parts.append(
                f'<text x="{LABEL_WIDTH}" y="{label_y}" text-anchor="end">'
                f"{escape(bar['scenario'])}"
                + (" (helpdesk)" if bar["scenario"].startswith("peer_") else "")
                + f'<tspan class="note"> {bar["rps"]:g}/s</tspan></text>'
            )
            for kind, value, colour in rows:
                end = _x(value)
                parts.append(
                    f'<rect x="{BAR_LEFT}" y="{y + 4}" width="{max(end - BAR_LEFT, 1):.1f}" '
                    f'height="{ROW - 8}" fill="{colour}"/>'
                )
                parts.append(
                    f'<text x="{end + 5:.1f}" y="{y + 15}" fill="{colour}" class="value">'
                    f"{_ratio(value)}× {kind}</text>"
                )
                y += ROW
            y += 4
        # The axis: a line per decade, the 1× line stronger.
        axis = []
        for power in range(LOW, HIGH + 1):
            x = _x(10**power)
            strong = power == 0
            axis.append(
                f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{y}" '
                f'stroke="{"#333" if strong else "#ccc"}" '
                f'stroke-width="{1.5 if strong else 1}"/>'
            )
            axis.append(
                f'<text x="{x:.1f}" y="{y + 14}" text-anchor="middle" class="note">'
                f"{10**power:g}×</text>"
            )
        parts[grid_at:grid_at] = axis
        y += 20
    if not panels:
        y += 30
        parts.append(f'<text x="10" y="{y}">No HTTP scenario in this run.</text>')
    height = y + 16
    style = (
        "text{font:13px 'DejaVu Sans',sans-serif;fill:#222}"
        ".title{font-size:17px;font-weight:bold}.panel{font-size:15px;font-weight:bold}"
        ".note{font-size:12px;fill:#555}.value{font-size:12px;font-weight:bold}"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}"><style>{style}</style>'
        f'<rect width="100%" height="100%" fill="#fff"/>{"".join(parts)}</svg>'
    )


def png(svg_text: str, out: Path) -> Path:
    """Screenshot the SVG with Debian's Chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    html = f"<!doctype html><html><body style='margin:0'>{svg_text}</body></html>"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 600})
            page.set_content(html)
            page.locator("svg").screenshot(path=str(out))
        finally:
            browser.close()
    return out


def chart_write(run: dict, out: Path, comparisons: dict[str, str]) -> Path | None:
    """The run's chart as `out` (a PNG), or None when the run has no ratios."""
    if not ratios(run, comparisons):
        return None
    return png(svg(run, comparisons), out)


def main() -> None:
    from run import PEER_COMPARISONS

    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    for name in sys.argv[1:]:
        path = Path(name)
        written = chart_write(
            json.loads(path.read_text()), path.with_suffix(".png"), PEER_COMPARISONS
        )
        print(written or f"{path}: no HTTP scenario, no chart")


if __name__ == "__main__":
    main()
