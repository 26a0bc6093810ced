"""Public statistics: the dashboard, the data dictionary and the open-data files.

No log-in. Thin views: the selectors read published (already suppressed) figures.
"""

import csv
import io

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language_bidi
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from mizan.procedures.registry import PROCEDURES

from . import selectors
from .charts import dashboard_charts
from .measures import (
    CHANNEL_CODES,
    CHANNEL_PREFIX,
    GENERAL_MEASURES,
    channel_label,
    file_columns,
    outcome_codes,
    outcome_label,
)
from .periods import parse_month
from .suppression import hidden_markers_legend, min_cell

FILE_COLUMNS = (
    "month",
    "procedure",
    "level",
    "area_code",
    "region_code",
    "area_name_fr",
    "area_name_ar",
)


def _file_url(procedure: str, month, extension: str) -> str:
    return reverse(
        "transparency_files:file",
        kwargs={"procedure": procedure, "month": month.strftime("%Y-%m"), "extension": extension},
    )


@require_GET
@cache_control(public=True, max_age=300)
def dashboard(request):
    selection = selectors.dashboard_selection(request.GET)
    figures = selectors.dashboard(selection)
    last_month = selection.months[-1]
    return render(
        request,
        "transparency/dashboard.html",
        {
            "figures": figures,
            "selection": selection,
            "charts": dashboard_charts(figures, rtl=get_language_bidi()),
            "legend": hidden_markers_legend(),
            "csv_url": _file_url(selection.procedure, last_month, "csv"),
            "json_url": _file_url(selection.procedure, last_month, "json"),
        },
    )


@require_GET
@cache_control(public=True, max_age=300)
def data_dictionary(request):
    files_by_procedure: dict[str, list] = {}
    for procedure, month in selectors.open_data_files():
        files_by_procedure.setdefault(procedure, []).append(
            (month, _file_url(procedure, month, "csv"), _file_url(procedure, month, "json"))
        )
    return render(
        request,
        "transparency/data.html",
        {
            "measures": GENERAL_MEASURES,
            "outcomes": [
                (
                    procedure.label,
                    [(f"outcome_{c}", outcome_label(code, c)) for c in outcome_codes(code)],
                )
                for code, procedure in PROCEDURES.items()
            ],
            "files": [
                (PROCEDURES[code].label, files) for code, files in files_by_procedure.items()
            ],
            "area_columns": FILE_COLUMNS,
            "threshold": min_cell(),
            "legend": hidden_markers_legend(),
            "channels": [(f"{CHANNEL_PREFIX}{c}", channel_label(c)) for c in CHANNEL_CODES],
            "licence": settings.MIZAN_TRANSPARENCY_LICENCE,
            "licence_url": settings.MIZAN_TRANSPARENCY_LICENCE_URL,
            "catalogue_url": reverse("transparency_files:catalogue"),
        },
    )


@require_GET
@cache_control(public=True, max_age=900)
def open_data_file(request, procedure, month, extension):
    if procedure not in PROCEDURES:
        raise Http404
    try:
        month = parse_month(month)
    except ValueError:
        raise Http404 from None
    rows = selectors.open_data_rows(procedure=procedure, month=month)
    if rows is None:
        raise Http404
    columns = file_columns(procedure)
    period = month.strftime("%Y-%m")
    if extension == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([*FILE_COLUMNS, *columns])
        for row in rows:
            writer.writerow(
                [
                    period,
                    procedure,
                    row["level"],
                    row["area_code"],
                    row["region_code"],
                    row["area_name_fr"],
                    row["area_name_ar"],
                    *(row["cells"][m].as_csv() for m in columns),
                ]
            )
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        response = JsonResponse(
            {
                "procedure": procedure,
                "month": period,
                "threshold": min_cell(),
                "licence": settings.MIZAN_TRANSPARENCY_LICENCE,
                "licence_url": settings.MIZAN_TRANSPARENCY_LICENCE_URL,
                "dictionary": request.build_absolute_uri(reverse("transparency:data")),
                "refreshed_at": max(row["refreshed_at"] for row in rows).isoformat(),
                "columns": columns,
                "rows": [
                    {
                        "level": row["level"],
                        "area_code": row["area_code"],
                        "region_code": row["region_code"],
                        "area_name_fr": row["area_name_fr"],
                        "area_name_ar": row["area_name_ar"],
                        "values": {m: row["cells"][m].as_json() for m in columns},
                        # Why a value is null: "small" (under the threshold),
                        # "complementary" (would give a small one away), "too_few".
                        "hidden": {
                            m: row["cells"][m].hidden for m in columns if row["cells"][m].hidden
                        },
                    }
                    for row in rows
                ],
            },
            json_dumps_params={"ensure_ascii": False},
        )
    response["Link"] = f'<{reverse("transparency:data")}>; rel="describedby"'
    return response


@require_GET
@cache_control(public=True, max_age=900)
def catalogue(request):
    """Every published file, for machines: where it is and what it covers."""
    return JsonResponse(
        {
            "licence": settings.MIZAN_TRANSPARENCY_LICENCE,
            "licence_url": settings.MIZAN_TRANSPARENCY_LICENCE_URL,
            "dictionary": request.build_absolute_uri(reverse("transparency:data")),
            "threshold": min_cell(),
            "files": [
                {
                    "procedure": procedure,
                    "month": month.strftime("%Y-%m"),
                    "csv": request.build_absolute_uri(_file_url(procedure, month, "csv")),
                    "json": request.build_absolute_uri(_file_url(procedure, month, "json")),
                }
                for procedure, month in selectors.open_data_files()
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )
