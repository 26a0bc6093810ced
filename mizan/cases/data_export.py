"""Everything Mizan holds about a request, for the person who filed it (law 09-08:
the right of access). Read-only: a selector that gathers, views that serve it as JSON
and PDF.

What is given: the filing as stored (the details of the form), the filer's contact
details, the request's status and office, the steps the citizen can see with their
messages, the documents (name, type, size, fingerprint, when), every message sent
about the request (one-time codes' texts are never kept), the commissaires de justice's
files linked to it as its tracking page shows them, and which units opened the file and
when. What is not: staff's internal notes and staff names (the audit log keeps
them, and the tracking page already says which unit looked and when).
"""

from __future__ import annotations

from django.utils import timezone

from mizan.documents.models import Attachment
from mizan.exchange.selectors import citizen_file_values, citizen_files
from mizan.notifications.models import Notification
from mizan.procedures.registry import get_procedure

from .models import Case
from .selectors import case_accesses_for_citizen, citizen_timeline

FORMAT_VERSION = 1


def _moment(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def citizen_data_export(*, case: Case) -> dict:
    """The request's data as plain JSON values, in the current language's wording."""
    procedure = get_procedure(case.procedure)
    workflow = case.workflow
    timeline = [
        {
            "at": _moment(event.at),
            "step": event.step,
            "status": event.to_status,
            "status_label": str(workflow.state(event.to_status).citizen_label),
            "message": event.citizen_message,
            "by": "you" if event.actor_kind == "citizen" else "office",
        }
        for event in citizen_timeline(case=case)
    ]
    documents = [
        {
            "name": attachment.original_name,
            "type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "uploaded_at": _moment(attachment.uploaded_at),
        }
        for attachment in Attachment.objects.filter(case=case).order_by("uploaded_at", "id")
    ]
    messages = [
        {
            "at": _moment(notification.created_at),
            "channel": notification.channel,
            "to": notification.recipient,
            "status": notification.status,
            "text": "" if notification.sensitive else notification.body,
        }
        for notification in Notification.objects.filter(case=case).order_by("created_at", "id")
    ]
    exchange_files = []
    for file in citizen_files(case=case):
        values = citizen_file_values(file)
        values["sent_at"] = _moment(values["sent_at"])
        values["deadline"] = values["deadline"].isoformat() if values["deadline"] else None
        for step in values["steps"]:
            step["on"] = step["on"].isoformat()
        exchange_files.append(values)
    accesses = [
        {
            "unit": str(row["unit"]),
            "day": row["day"].isoformat(),
            "times": row["times"],
        }
        for row in case_accesses_for_citizen(case=case, limit=1000)
    ]
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": _moment(timezone.now()),
        "request": {
            "reference": case.reference,
            "procedure": case.procedure,
            "procedure_label": str(procedure.label) if procedure else case.procedure,
            "status": case.status,
            "status_label": str(case.state.citizen_label),
            "office": str(case.unit),
            "commune": case.commune.name if case.commune_id else None,
            "channel": case.channel,
            "language": case.language,
            "submitted_at": _moment(case.submitted_at),
            "closed_at": _moment(case.closed_at),
            "consent_at": _moment(case.consent_at),
        },
        "filer": {
            "name": case.filer_name,
            "phone": str(case.filer_phone),
            "email": case.filer_email,
        },
        "filing": case.details,
        "timeline": timeline,
        "documents": documents,
        "messages": messages,
        "exchange_files": exchange_files,
        "accesses": accesses,
    }


def citizen_data_pdf(*, data: dict) -> bytes:
    """The same data as a PDF, in the current language and direction."""
    import json

    from django.template.loader import render_to_string
    from django.utils import translation

    html = render_to_string(
        "portal/data_export.html",
        {
            "data": data,
            "language": translation.get_language(),
            "rtl": translation.get_language_bidi(),
            "filing_text": json.dumps(data["filing"], ensure_ascii=False, indent=2),
        },
    )
    # Imported here, as for receipts: WeasyPrint is heavy and only this needs it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
