"""A file's full history as a PDF: each step with its time, author and seal hash.

Rendered as the receipts are (mizan.receipts): WeasyPrint from a template, shapes
Arabic, with nothing fetched from outside the page.
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from . import workflow
from .models import ExchangeFile

# Printed in Morocco's legal time, with the offset, as the receipts are.
MOROCCO = ZoneInfo("Africa/Casablanca")


def _moment(moment) -> str:
    local = timezone.localtime(moment, MOROCCO)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({local.isoformat()[-6:]})"


def exchange_history_pdf(*, file: ExchangeFile, language: str) -> bytes:
    """The history of `file` in `language`, as PDF bytes."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"no language {language!r}")
    with translation.override(language):
        events = [
            {
                "at": _moment(event.at),
                "step": workflow.done_label(event.step),
                "status": workflow.state(event.to_status).label,
                "author": event.actor.get_full_name() or event.actor.get_username(),
                "username": event.actor.get_username(),
                "side": event.side,
                "data": event.data,
                "seal": event.seal_hash,
                "documents": [d.attachment for d in event.documents.all()],
            }
            for event in file.events.select_related("actor").prefetch_related(
                "documents__attachment"
            )
        ]
        html = render_to_string(
            "exchange/history_pdf.html",
            {
                "language": language,
                "rtl": translation.get_language_bidi(),
                "file": file,
                "status": workflow.state(file.status).label,
                "events": events,
                "attempts": file.attempts.all(),
                "recovered": file.recoveries.aggregate(total=Sum("amount"))["total"],
                "issued_at": _moment(timezone.now()),
            },
        )
    # Imported here: WeasyPrint costs ~50 MB in every process that loads the URLs.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
