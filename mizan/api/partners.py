"""/api/v1/exchange: the API of the commissaires' offices' software (docs/api.md).

Everything an office member does on the exchange pages: the office's inbox, a file with
its documents, attempts, amounts and history, and the office's steps. Thin, like
`routes.py`: reads go through the exchange's selectors (an office sees its own files
only), and every step is one call to `exchange_file_transition`, which holds the rules
(the step allowed from the status, for the kind; the office's side; the inputs). The key
acts in the name of a member of its office, and each step's seal names the key.

Each operation needs one scope of the key (403 `scope_missing` otherwise); another
office's file is 404, as an unknown reference, and the refused access is audited.
"""

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Annotated

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Sum
from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Path, Query, Router, Status
from ninja.files import UploadedFile
from pydantic import WithJsonSchema

from mizan.core.audit import audit_record
from mizan.core.errors import DomainError
from mizan.core.http import client_ip
from mizan.exchange import workflow
from mizan.exchange.models import ExchangeFile
from mizan.exchange.services import (
    exchange_document_store,
    exchange_file_access_record,
    exchange_file_transition,
)

from . import schemas, selectors, services
from .errors import ApiError
from .models import PartnerKey
from .routes import IDEMPOTENCY_KEY, E, _required_parts

Scope = PartnerKey.Scope
# Every partner operation may answer: a malformed request (400), no valid key (401), a
# scope the key lacks (403), the per-address or per-key budget (429).
PARTNER = {400: E, 401: E, 403: E, 429: E}
REPORT_FILE = File(None, description="Required: the signed report (procès-verbal), as PDF.")
EXPECTED_STATUS_PART = Form(
    None, description="The status you saw; refused with 409 `conflict` if it changed since."
)

CHANGED_SINCE = Query(
    None,
    description="Only the files changed at or after this instant (ISO 8601 with its offset, "
    "e.g. `2026-11-23T08:00:00Z`; encode `+` as `%2B`), the oldest change first.",
    example="2026-11-23T08:00:00Z",
)
# Read as text so that a bad value gets its own message, but declared as what it is.
DateTimeText = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
# "2026-11-23T09:00:00+01:00" sent unencoded: the query string's "+" arrives as a space.
_OFFSET_AS_SPACE = re.compile(r"^(.*[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d(?::?\d\d)?)$")

router = Router(tags=["Partners"])


def _instant(value: str, *, field: str) -> datetime:
    """An aware instant from ISO 8601 text, in UTC; anything else (a naive time, which is
    another instant in every zone, or a date out of range) is refused with the format."""
    text = _OFFSET_AS_SPACE.sub(r"\1+\2", value.strip())
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise DomainError(
            _(
                "Give a date and time in ISO 8601 with its offset, for example "
                "2026-11-23T08:00:00Z or 2026-11-23T09:00:00+01:00."
            ),
            code="invalid",
            field=field,
        ) from None


def _caller(request, scope: str | None = None) -> services.PartnerCaller:
    caller = request.auth
    if scope is not None and scope not in caller.scopes:
        raise ApiError(
            _("This API key may not do this: it lacks the permission “%(scope)s”.")
            % {"scope": scope},
            code="scope_missing",
        )
    return caller


def _json(payload) -> dict:
    # What an idempotent call stores and replays: plain JSON.
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def _replayed(response: HttpResponse, outcome: services.Outcome):
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(outcome.status, outcome.body)


def _idempotency_owner(caller: services.PartnerCaller) -> str:
    # Keys are scoped to the API key (a phone starts with "+": they never meet).
    return f"partner-key:{caller.key_id}"


def _office_file(request, caller: services.PartnerCaller, reference: str) -> ExchangeFile:
    file = selectors.partner_file(caller=caller, reference=reference)
    if file is None:
        # Refused reads are audited, as on the exchange pages: a key tried a file outside
        # its office (or a reference that does not exist).
        audit_record(
            action="exchange.access_denied",
            object_type="exchange_file",
            object_id=reference[:64],
            actor=caller.user,
            ip_address=client_ip(request),
            data={"via": caller.via},
        )
        raise DomainError(_("No file of your office has this reference."), code="not_found")
    return file


# --- shaping --------------------------------------------------------------------------


def _amount(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _summary(file: ExchangeFile) -> dict:
    overdue = getattr(file, "overdue", None)
    if overdue is None:
        overdue = bool(
            file.deadline
            and file.status in workflow.OPEN_STATES
            and file.deadline < timezone.localdate()
        )
    return {
        "reference": file.reference,
        "kind": file.kind,
        "kind_label": str(file.get_kind_display()),
        "status": file.status,
        "status_label": str(workflow.state(file.status).label),
        "overdue": overdue,
        "subject": file.subject,
        "addressee_name": file.addressee_name,
        "commune": {"code": file.commune.code, "name": file.commune.name},
        "court_unit": {"code": file.court_unit.code, "name": str(file.court_unit)},
        "deadline": file.deadline,
        "sent_at": file.sent_at,
        "acknowledged_at": file.acknowledged_at,
        "closed_at": file.closed_at,
        "changed_at": file.changed_at,
    }


def _detail(file: ExchangeFile) -> dict:
    documents = list(file.documents.select_related("attachment"))
    events = file.events.select_related("actor").prefetch_related("documents")
    recovered = file.recoveries.aggregate(total=Sum("amount"))["total"]
    return {
        **_summary(file),
        "assignment": file.assignment,
        "addressee_address": file.addressee_address,
        "judgment_reference": file.judgment_reference,
        "parties": file.parties,
        "amount_due": _amount(file.amount_due),
        "amount_recovered": _amount(recovered or 0),
        "failure_reason": file.failure_reason,
        "steps": [
            {"name": step.name, "label": str(step.label)}
            for step in workflow.steps_for(status=file.status, kind=file.kind, side=workflow.OFFICE)
        ],
        "documents": [
            {
                "id": document.pk,
                "role": document.role,
                "role_label": str(document.get_role_display()),
                "name": document.attachment.original_name,
                "content_type": document.attachment.content_type,
                "size": document.attachment.size,
                "sha256": document.attachment.sha256,
                "scan_status": document.attachment.scan_status,
                "download_url": reverse(
                    "api-v1:partner_document",
                    kwargs={"reference": file.reference, "document_id": document.pk},
                ),
            }
            for document in documents
        ],
        "attempts": [
            {
                "attempted_at": attempt.attempted_at,
                "place": attempt.place,
                "result": attempt.result,
                "result_label": str(attempt.get_result_display()),
                "note": attempt.note,
            }
            for attempt in file.attempts.all()
        ],
        "recoveries": [
            {
                "amount": _amount(recovery.amount),
                "recovered_on": recovery.recovered_on,
                "note": recovery.note,
            }
            for recovery in file.recoveries.all()
        ],
        "history": [
            {
                "step": event.step,
                "label": str(workflow.done_label(event.step)),
                "from_status": event.from_status,
                "to_status": event.to_status,
                "side": event.side,
                "at": event.at,
                "author": event.actor.get_full_name() or event.actor.get_username(),
                "via": event.data.get("via"),
                "reason": event.data.get("reason", ""),
                "documents": [document.pk for document in event.documents.all()],
                "seal_hash": event.seal_hash,
            }
            for event in events
        ],
    }


# --- the key --------------------------------------------------------------------------


@router.get("/key", response={200: schemas.PartnerKeyOut, **PARTNER}, summary="This API key")
def partner_key(request):
    """The key's office, the member it acts for, its scopes and expiry: a first call to
    check a key works. Needs no scope."""
    caller = _caller(request)
    key = PartnerKey.objects.get(pk=caller.key_id)
    return {
        "key": key.display_prefix,
        "name": key.name,
        "office": {
            "registration_number": caller.office.registration_number,
            "name": caller.office.name,
        },
        "acts_for": caller.user.get_full_name() or caller.user.get_username(),
        "scopes": key.scopes,
        "expires_at": key.expires_at,
    }


# --- reading (exchange:read) ----------------------------------------------------------


@router.get(
    "/files",
    response={200: schemas.PartnerFilePage, 422: E, **PARTNER},
    summary="The office's inbox",
)
def partner_files(
    request,
    status: schemas.ExchangeStatus | None = None,
    overdue: bool | None = Query(
        None, description="true: only the overdue files; false: only those not overdue."
    ),
    changed_since: DateTimeText | None = CHANGED_SINCE,
    cursor: str | None = None,
    limit: int = Query(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE),
):
    """The files assigned to the key's office, newest first (scope `exchange:read`).

    With `changed_since`, only the files changed at or after that instant, the oldest
    change first: keep the largest `changed_at` you read and poll again from it
    (422 `invalid` when it is not an ISO 8601 date and time with its offset)."""
    caller = _caller(request, Scope.READ)
    since = _instant(changed_since, field="changed_since") if changed_since is not None else None
    files, following = selectors.partner_files_page(
        caller=caller,
        status=status,
        overdue=overdue,
        cursor=cursor,
        limit=limit,
        changed_since=since,
    )
    return {"items": [_summary(file) for file in files], "next_cursor": following}


@router.get(
    "/files/{reference}",
    response={200: schemas.PartnerFileOut, 404: E, **PARTNER},
    summary="One file of the office",
)
def partner_file(request, reference: str):
    """The file, its documents, attempts, amounts, the steps open now and its history
    with the seals (scope `exchange:read`). The read is audited."""
    caller = _caller(request, Scope.READ)
    file = _office_file(request, caller, reference)
    exchange_file_access_record(
        file=file, user=caller.user, kind="file", ip_address=client_ip(request), via=caller.via
    )
    return _detail(file)


_DOCUMENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
# Within the database's integer range: a larger number is a 422, not a failed query.
DOCUMENT_ID = Path(..., ge=1, le=2**63 - 1, description="A document's `id` in the file.")


@router.get(
    "/files/{reference}/documents/{document_id}",
    response={200: None, 404: E, 422: E, **PARTNER},
    openapi_extra={
        "responses": {
            200: {
                "description": "The document's content, as it was sealed (its SHA-256 is in "
                "the file's `documents`).",
                "content": {
                    mime: {"schema": {"type": "string", "format": "binary"}}
                    for mime in _DOCUMENT_TYPES
                },
            }
        }
    },
    url_name="partner_document",
    summary="Download a document of a file",
)
def partner_document(request, reference: str, document_id: int = DOCUMENT_ID):
    """A document sent by the court, or a report (scope `exchange:read`). Audited."""
    caller = _caller(request, Scope.READ)
    file = _office_file(request, caller, reference)
    document = file.documents.select_related("attachment").filter(pk=document_id).first()
    if document is None:
        raise DomainError(_("This file has no such document."), code="not_found")
    exchange_file_access_record(
        file=file, user=caller.user, kind="document", ip_address=client_ip(request), via=caller.via
    )
    attachment = document.attachment
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.original_name,
        as_attachment=True,
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- the office's steps ---------------------------------------------------------------


def _step(
    request,
    response: HttpResponse,
    *,
    scope: str,
    reference: str,
    step_name: str,
    idempotency_key: str,
    payload: dict,
    created: bool = False,
    prepare=None,
    fingerprint_extra: dict | None = None,
    **inputs,
):
    """One step through `exchange_file_transition`, once per Idempotency-Key: a retry
    gets the first answer (the file as it was then), never a second attempt recorded."""
    caller = _caller(request, scope)
    file = _office_file(request, caller, reference)
    ip_address = client_ip(request)

    def take_it():
        extra = prepare(caller) if prepare else {}
        exchange_file_transition(
            file_id=file.pk,
            step_name=step_name,
            actor=caller.user,
            expected_status=payload.get("expected_status"),
            ip_address=ip_address,
            via=caller.via,
            **inputs,
            **extra,
        )
        file.refresh_from_db()
        return (201 if created else 200), _json(_detail(file))

    outcome = services.idempotent_call(
        phone=_idempotency_owner(caller),
        key=idempotency_key,
        fingerprint=services.request_fingerprint(
            f"partner.{step_name}",
            {"reference": file.reference, **payload, **(fingerprint_extra or {})},
        ),
        perform=take_it,
    )
    return _replayed(response, outcome)


STEP_ANSWERS = {404: E, 409: E, 422: E, **PARTNER}


@router.post(
    "/files/{reference}/acknowledge",
    response={200: schemas.PartnerFileOut, **STEP_ANSWERS},
    summary="Acknowledge receipt of a file",
)
def partner_acknowledge(
    request,
    response: HttpResponse,
    reference: str,
    payload: schemas.PartnerStepIn | None = None,
    idempotency_key: str = IDEMPOTENCY_KEY,
):
    """From `sent` to `acknowledged` (scope `exchange:write`). The body is optional.
    Answers the file."""
    return _step(
        request,
        response,
        scope=Scope.WRITE,
        reference=reference,
        step_name="acknowledge",
        idempotency_key=idempotency_key,
        payload=(payload or schemas.PartnerStepIn()).model_dump(mode="json"),
    )


@router.post(
    "/files/{reference}/attempts",
    response={201: schemas.PartnerFileOut, **STEP_ANSWERS},
    summary="Record an attempt",
)
def partner_attempt(
    request,
    response: HttpResponse,
    reference: str,
    payload: schemas.PartnerAttemptIn,
    idempotency_key: str = IDEMPOTENCY_KEY,
):
    """An attempt to serve or enforce, on an acknowledged file (scope `exchange:write`);
    the status stays. Answers the file, with the attempt in `attempts`."""
    return _step(
        request,
        response,
        scope=Scope.WRITE,
        reference=reference,
        step_name="record_attempt",
        idempotency_key=idempotency_key,
        payload=payload.model_dump(mode="json"),
        created=True,
        attempt={
            "attempted_at": payload.attempted_at,
            "place": payload.place,
            "result": payload.result,
            "note": payload.note,
        },
    )


@router.post(
    "/files/{reference}/recoveries",
    response={201: schemas.PartnerFileOut, **STEP_ANSWERS},
    summary="Record an amount recovered",
)
def partner_recovery(
    request,
    response: HttpResponse,
    reference: str,
    payload: schemas.PartnerRecoveryIn,
    idempotency_key: str = IDEMPOTENCY_KEY,
):
    """An amount recovered on an enforcement file, acknowledged or with its report
    (scope `exchange:write`); 409 `not_allowed` on a service file."""
    return _step(
        request,
        response,
        scope=Scope.WRITE,
        reference=reference,
        step_name="record_recovery",
        idempotency_key=idempotency_key,
        payload=payload.model_dump(mode="json"),
        created=True,
        recovery={
            "amount": payload.amount,
            "recovered_on": payload.recovered_on,
            "note": payload.note,
        },
    )


@router.post(
    "/files/{reference}/report",
    response={201: schemas.PartnerFileOut, **STEP_ANSWERS},
    openapi_extra=_required_parts("report"),
    summary="Upload the report (PDF)",
)
def partner_report(
    request,
    response: HttpResponse,
    reference: str,
    report: UploadedFile = REPORT_FILE,
    expected_status: schemas.ExchangeStatus | None = EXPECTED_STATUS_PART,
    idempotency_key: str = IDEMPOTENCY_KEY,
):
    """The signed report as a PDF (multipart, part `report`), on an acknowledged file:
    it moves to `report_uploaded` (scope `exchange:report`). Checked like every upload
    (422 `file_type` for anything but a PDF, `file_too_large`, `file_empty`,
    `file_infected`); its SHA-256 is sealed with the step."""
    digest = hashlib.sha256()
    if report is not None:
        for chunk in report.chunks():
            digest.update(chunk)
        report.seek(0)

    def store(caller):
        if report is None:
            raise DomainError(
                _("Attach the report as a PDF file."), code="input_required", field="report"
            )
        try:
            stored = exchange_document_store(
                uploaded_file=report,
                actor=caller.user,
                pdf_only=True,
                ip_address=client_ip(request),
            )
        except DomainError as refusal:
            refusal.field = refusal.field or "report"
            raise
        return {"report": stored}

    return _step(
        request,
        response,
        scope=Scope.REPORT,
        reference=reference,
        step_name="upload_report",
        idempotency_key=idempotency_key,
        payload={"expected_status": expected_status},
        created=True,
        prepare=store,
        fingerprint_extra={
            "name": report.name if report is not None else None,
            "sha256": digest.hexdigest(),
        },
    )


@router.post(
    "/files/{reference}/complete",
    response={200: schemas.PartnerFileOut, **STEP_ANSWERS},
    summary="Complete a file",
)
def partner_complete(
    request,
    response: HttpResponse,
    reference: str,
    payload: schemas.PartnerStepIn | None = None,
    idempotency_key: str = IDEMPOTENCY_KEY,
):
    """Once the report is uploaded: the file is `completed` and closed (scope
    `exchange:write`). The body is optional."""
    return _step(
        request,
        response,
        scope=Scope.WRITE,
        reference=reference,
        step_name="complete",
        idempotency_key=idempotency_key,
        payload=(payload or schemas.PartnerStepIn()).model_dump(mode="json"),
    )


@router.post(
    "/files/{reference}/fail",
    response={200: schemas.PartnerFileOut, **STEP_ANSWERS},
    summary="Mark a file as failed",
)
def partner_fail(
    request,
    response: HttpResponse,
    reference: str,
    payload: schemas.PartnerFailIn,
    idempotency_key: str = IDEMPOTENCY_KEY,
):
    """Once the report is uploaded, with the reason (422 `invalid` without one): the
    file is `failed` and closed (scope `exchange:write`)."""
    return _step(
        request,
        response,
        scope=Scope.WRITE,
        reference=reference,
        step_name="fail",
        idempotency_key=idempotency_key,
        payload=payload.model_dump(mode="json"),
        reason=payload.reason,
    )


def register(api, key_auth) -> None:
    # Before `routes.register`, whose catch-all router must come last.
    api.add_router("/exchange", router, auth=key_auth)
