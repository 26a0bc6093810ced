"""Public statistics: the dashboard, the data dictionary and the open-data files.

No log-in. Thin views: the selectors read published (already suppressed) figures.
"""

import csv
import io

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, get_language_bidi, get_language_info
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


def _metadata_url(procedure: str, month) -> str:
    return reverse(
        "transparency_files:csv_metadata",
        kwargs={"procedure": procedure, "month": month.strftime("%Y-%m")},
    )


def licence_name_language() -> tuple[str, str]:
    """The language of the licence's name (a proper name, shown as written) and its
    direction, for the `lang` and `dir` of the element that holds it."""
    language = settings.MIZAN_TRANSPARENCY_LICENCE_LANG
    try:
        rtl = get_language_info(language)["bidi"]
    except KeyError:
        rtl = False
    return language, "rtl" if rtl else "ltr"


def _link_header(*links: tuple[str, str, str]) -> str:
    """RFC 8288 `Link` header: (address, rel, media type or "")."""
    return ", ".join(
        f'<{url}>; rel="{rel}"' + (f'; type="{media_type}"' if media_type else "")
        for url, rel, media_type in links
        if url
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
    licence_lang = licence_name_language()
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
            # (lang, dir) of the licence's name, when not the page's (WCAG 3.1.2).
            "licence_lang": licence_lang if licence_lang[0] != get_language() else None,
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
        response = HttpResponse(
            buffer.getvalue(), content_type="text/csv; charset=utf-8; header=present"
        )
    else:
        response = JsonResponse(
            {
                "procedure": procedure,
                "month": period,
                "threshold": min_cell(),
                "licence": settings.MIZAN_TRANSPARENCY_LICENCE,
                "licence_lang": settings.MIZAN_TRANSPARENCY_LICENCE_LANG,
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
    # The licence travels with every file in its headers (RFC 4946 `license`): a CSV
    # keeps its header row first and nothing but data after it (docs/transparency.md),
    # so its licence is also in the CSV on the Web metadata file it points to.
    response["Link"] = _link_header(
        (reverse("transparency:data"), "describedby", "text/html"),
        (
            _metadata_url(procedure, month) if extension == "csv" else "",
            "describedby",
            "application/csvm+json",
        ),
        (settings.MIZAN_TRANSPARENCY_LICENCE_URL, "license", ""),
    )
    return response


@require_GET
@cache_control(public=True, max_age=900)
def csv_metadata(request, procedure, month):
    """The CSV file's companion in the W3C's "CSV on the Web" vocabulary: its licence,
    its columns and what the hidden-count markers mean, where tools (CSVLint,
    csvw validators, portals) look for it: the file's address + "-metadata.json"."""
    if procedure not in PROCEDURES:
        raise Http404
    try:
        month = parse_month(month)
    except ValueError:
        raise Http404 from None
    if not selectors.open_data_published(procedure=procedure, month=month):
        raise Http404
    threshold = min_cell()
    # The country's row has no area or region code: only these are always filled in.
    required = {"month", "procedure", "level"}
    columns = [
        {"name": name, "titles": name, "datatype": "string", "required": name in required}
        for name in FILE_COLUMNS
    ]
    for name in file_columns(procedure):
        columns.append(
            {
                "name": name,
                "titles": name,
                "datatype": {"base": "integer", "minimum": 0},
                # Hidden figures: "<10" (small), "x" (complementary), "" (too few).
                "null": [f"<{threshold}", "x", ""],
            }
        )
    language, _direction = licence_name_language()
    metadata = {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "url": request.build_absolute_uri(_file_url(procedure, month, "csv")),
        "dc:title": f"Mizan — {procedure} — {month.strftime('%Y-%m')}",
        "dc:publisher": "Mizan",
        "dc:rights": {"@value": settings.MIZAN_TRANSPARENCY_LICENCE, "@language": language},
        "rdfs:seeAlso": {"@id": request.build_absolute_uri(reverse("transparency:data"))},
        "dialect": {"header": True, "encoding": "utf-8"},
        "tableSchema": {"columns": columns},
    }
    if settings.MIZAN_TRANSPARENCY_LICENCE_URL:
        metadata["dc:license"] = {"@id": settings.MIZAN_TRANSPARENCY_LICENCE_URL}
    response = JsonResponse(
        metadata, content_type="application/csvm+json", json_dumps_params={"ensure_ascii": False}
    )
    response["Link"] = _link_header((settings.MIZAN_TRANSPARENCY_LICENCE_URL, "license", ""))
    return response


@require_GET
@cache_control(public=True, max_age=900)
def catalogue(request):
    """Every published file, for machines: where it is and what it covers."""
    return JsonResponse(
        {
            "licence": settings.MIZAN_TRANSPARENCY_LICENCE,
            "licence_lang": settings.MIZAN_TRANSPARENCY_LICENCE_LANG,
            "licence_url": settings.MIZAN_TRANSPARENCY_LICENCE_URL,
            "dictionary": request.build_absolute_uri(reverse("transparency:data")),
            "threshold": min_cell(),
            "files": [
                {
                    "procedure": procedure,
                    "month": month.strftime("%Y-%m"),
                    "csv": request.build_absolute_uri(_file_url(procedure, month, "csv")),
                    "json": request.build_absolute_uri(_file_url(procedure, month, "json")),
                    "csv_metadata": request.build_absolute_uri(_metadata_url(procedure, month)),
                }
                for procedure, month in selectors.open_data_files()
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )
