"""The endpoints of /api/v1. Each parses input, calls one service (writes) or selectors
(reads) and shapes the answer; the rules are in `services.py` and the cases services.

Every operation declares every status it can answer with, and its error body.
"""

import hashlib
import json
from dataclasses import asdict

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils.http import parse_etags
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import File, Form, Header, Query, Router, Status
from ninja.files import UploadedFile

from mizan.cases.selectors import citizen_decision, citizen_timeline
from mizan.core.errors import DomainError
from mizan.core.http import client_ip
from mizan.exchange.selectors import citizen_file_values, citizen_files
from mizan.portal.forms import CitizenStepForm, SpacePhoneForm
from mizan.procedures.registry import PROCEDURES, get_procedure
from mizan.receipts.forms import ReceiptVerifyForm
from mizan.receipts.services import receipt_render, receipt_verify
from mizan.reference.models import Commune, Court, Prison, Province, Region

from . import schemas, selectors, services
from .errors import FormInvalid, form_errors
from .formschema import (
    describe_fields,
    describe_procedure,
    field_choices,
    filing_form_class,
)

E = schemas.Error
# Statuses every operation may answer with: a malformed request refused before it
# reaches the operation (a NUL character, 400) and the per-address budget (429).
PUBLIC = {400: E, 429: E}
SIGNED_IN = {400: E, 401: E, 429: E}
REFERENCE_MAX_AGE = 24 * 3600
PROCEDURES_MAX_AGE = 3600
IDEMPOTENCY_KEY = Header(
    ...,
    alias="Idempotency-Key",
    min_length=1,
    max_length=200,
    pattern=r"^[\x21-\x7e]+$",
    description="A new random value (a UUID) per operation; the same one on its retries.",
)

# Optional for the parser so that a missing file gets the form's own words (422), but
# documented as what it is: a required file part. (Annotated `UploadedFile`, not `| None`,
# so that the schema says `{type: string, format: binary}` rather than "a file or null",
# which clients then send as a text field; the parameter is None when no file came.)
DOCUMENT_FILE = File(None, description="Required: the document, PDF, JPEG or PNG.")
RECEIPT_FILE = File(None, description="Required: the receipt's PDF file.")


def _required_parts(*names: str) -> dict:
    return {
        "requestBody": {"content": {"multipart/form-data": {"schema": {"required": list(names)}}}}
    }


auth_router = Router(tags=["Sign in"])
procedures_router = Router(tags=["Procedures"])
requests_router = Router(tags=["My requests"])
uploads_router = Router(tags=["Documents"])
receipts_router = Router(tags=["Receipts"])
notifications_router = Router(tags=["Notifications"])
reference_router = Router(tags=["Reference data"])
fallback_router = Router()


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _cached(request, payload, *, max_age: int):
    """A public answer that clients and shared caches keep, revalidated by ETag."""
    body = json.dumps(payload, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False)
    etag = f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    # Weak comparison (RFC 9110): compression middleware turns the tag into W/"…".
    tags = parse_etags(request.headers.get("If-None-Match", ""))
    wanted = [tag.removeprefix("W/") for tag in tags]
    if etag in wanted or "*" in wanted:
        return HttpResponse(status=304, headers=headers)
    return HttpResponse(body, content_type="application/json", headers=headers)


_CACHE_HEADERS = {
    "ETag": {"schema": {"type": "string"}},
    "Cache-Control": {"schema": {"type": "string"}},
}


def _cached_openapi(description: str) -> dict:
    return {
        "responses": {
            200: {"description": description, "headers": _CACHE_HEADERS},
            304: {"description": "Not modified (If-None-Match matched the ETag)."},
        }
    }


def _replayed(response: HttpResponse, outcome: services.Outcome):
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(outcome.status, outcome.body)


# --- sign in --------------------------------------------------------------------------


def _phone(value: str) -> str:
    """The phone as the web's sign-in form reads it (E.164), or a 422 in its words."""
    form = SpacePhoneForm(data={"phone": value})
    if not form.is_valid():
        raise FormInvalid(form_errors(form))
    return str(form.cleaned_data["phone"])


@auth_router.post(
    "/code", response={200: schemas.CodeSent, 400: E, 422: E, **PUBLIC}, summary="Send a code"
)
def auth_code(request, payload: schemas.PhoneIn):
    """Send a one-time code by SMS to the phone (limits per phone and per address)."""
    phone = _phone(payload.phone)
    services.api_sign_in_start(phone=phone, ip_address=client_ip(request))
    return {"phone": phone, "expires_in": settings.MIZAN_OTP_TTL_SECONDS}


@auth_router.post(
    "/token",
    response={200: schemas.TokenPairOut, 400: E, 422: E, **PUBLIC},
    summary="Exchange the code for tokens",
)
def auth_token(request, payload: schemas.TokenIn):
    """Codes refused: `code_wrong`, `code_expired`, `code_used`, `code_locked`, `no_code`."""
    pair = services.api_sign_in_complete(
        phone=_phone(payload.phone), code=payload.code, ip_address=client_ip(request)
    )
    return asdict(pair)


@auth_router.post(
    "/refresh",
    response={200: schemas.TokenPairOut, 400: E, 401: E, 422: E, **PUBLIC},
    summary="Rotate the tokens",
)
def auth_refresh(request, payload: schemas.RefreshIn):
    """A new pair; the refresh token sent stops working. Sent again, it ends the sign-in
    (`refresh_reused`): store the new refresh token before using it."""
    pair = services.api_tokens_refresh(
        refresh_token=payload.refresh_token, ip_address=client_ip(request)
    )
    return asdict(pair)


@auth_router.post("/revoke", response={204: None, 400: E, 422: E, **PUBLIC}, summary="Sign out")
def auth_revoke(request, payload: schemas.RevokeIn):
    """End the sign-in of this token (access or refresh), all its tokens at once. The
    answer is the same for a token that is unknown or already revoked."""
    services.api_tokens_revoke(token=payload.token, ip_address=client_ip(request))
    return Status(204, None)


# --- procedures -----------------------------------------------------------------------


def _procedure_codes() -> list[str]:
    return [code for code in PROCEDURES if filing_form_class(code) is not None]


@procedures_router.get(
    "",
    response={200: list[schemas.ProcedureOut], 304: None, **PUBLIC},
    openapi_extra=_cached_openapi("Every procedure with its form."),
    summary="Procedures and their forms",
)
def procedures_list(request):
    """Every procedure with its form, described from the web's own form: render the
    app's form from it instead of hard-coding fields."""
    payload = [describe_procedure(code, language=_language()) for code in _procedure_codes()]
    return _cached(request, payload, max_age=PROCEDURES_MAX_AGE)


@procedures_router.get(
    "/{code}",
    response={200: schemas.ProcedureOut, 304: None, 404: E, **PUBLIC},
    openapi_extra=_cached_openapi("The procedure and its form."),
    summary="One procedure and its form",
)
def procedure_detail(request, code: str):
    if code not in _procedure_codes():
        raise DomainError(_("There is no such procedure."), code="not_found")
    return _cached(
        request, describe_procedure(code, language=_language()), max_age=PROCEDURES_MAX_AGE
    )


@procedures_router.get(
    "/{code}/fields/{name}/choices",
    response={200: schemas.ChoiceList, 304: None, 404: E, **PUBLIC},
    openapi_extra=_cached_openapi("The field's choices."),
    url_name="procedure_field_choices",
    summary="A field's choices",
)
def procedure_field_choices(request, code: str, name: str):
    """The choices of a reference field (courts, prisons, provinces, communes…), exactly as
    the form accepts them. For a field with `depends_on`, pass that field's value as a
    query parameter of the same name (`?province=06.141`)."""
    if code not in _procedure_codes():
        raise DomainError(_("There is no such procedure."), code="not_found")
    choices = field_choices(code, name, query=request.GET.dict(), language=_language())
    if choices is None:
        raise DomainError(_("This form has no such field with choices."), code="not_found")
    return _cached(request, {"items": choices}, max_age=REFERENCE_MAX_AGE)


# --- requests -------------------------------------------------------------------------


def _summary(case, phone: str) -> dict:
    is_filer = str(case.filer_phone) == phone
    steps = case.workflow.citizen_steps(case.status) if is_filer else []
    return {
        "reference": case.reference,
        "procedure": case.procedure,
        "procedure_label": str(get_procedure(case.procedure).label),
        "status": case.status,
        "status_label": str(case.state.citizen_label),
        "submitted_at": case.submitted_at,
        "closed": case.state.terminal,
        "is_filer": is_filer,
        "awaiting_you": any(step.name != "withdraw" for step in steps),
    }


def _step(step) -> dict:
    form = CitizenStepForm(step=step)
    return {
        "name": step.name,
        "label": str(step.label),
        "message_required": step.message_required,
        "uploads": step.uploads,
        "uploads_required": step.uploads_required,
        "confirm_required": "confirm" in form.fields,
        "fields": describe_fields(form),
    }


def _detail(case, phone: str) -> dict:
    summary = _summary(case, phone)
    steps = case.workflow.citizen_steps(case.status) if summary["is_filer"] else []
    return {
        **summary,
        "explanation": str(case.state.explanation or ""),
        "office": str(case.unit),
        "registry_number": case.registry_number,
        "closed_at": case.closed_at,
        "decision": [
            {"label": str(label), "value": str(value)}
            for label, value in citizen_decision(case=case)
        ],
        "steps": [_step(step) for step in steps],
        # `case` is visible to this phone (`_visible_case`): its files are read only then.
        "exchange_files": [citizen_file_values(file) for file in citizen_files(case=case)],
    }


def _visible_case(request, reference: str):
    case = selectors.case_for_phone(phone=request.auth.phone, reference=reference)
    if case is None:
        # The same answer whether the request does not exist or is someone else's.
        raise DomainError(_("No request of yours has this reference."), code="not_found")
    return case


@requests_router.post(
    "",
    response={201: schemas.FilingOut, 400: E, 403: E, 409: E, 422: E, **SIGNED_IN},
    summary="File a request",
)
def requests_create(
    request,
    response: HttpResponse,
    payload: schemas.FilingIn,
    idempotency_key: str = IDEMPOTENCY_KEY,
):
    """File any procedure with the fields of its form (GET /procedures/{code}), validated
    by the same form as the website. The access code is in this answer only."""
    session = request.auth

    def file_it():
        filing = services.api_request_file(
            session=session,
            procedure=payload.procedure,
            fields=payload.fields,
            attachment_ids=payload.attachment_ids,
            ip_address=client_ip(request),
        )
        case = filing.case
        return 201, {
            "reference": case.reference,
            "access_code": filing.access_code,
            "procedure": case.procedure,
            "status": case.status,
            "status_label": str(case.state.citizen_label),
            "submitted_at": case.submitted_at.isoformat(),
        }

    outcome = services.idempotent_call(
        phone=session.phone,
        key=idempotency_key,
        fingerprint=services.request_fingerprint("requests.create", payload.dict()),
        perform=file_it,
    )
    return _replayed(response, outcome)


@requests_router.get(
    "", response={200: schemas.RequestPage, 400: E, 422: E, **SIGNED_IN}, summary="My requests"
)
def requests_list(
    request,
    cursor: str | None = None,
    limit: int = Query(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE),
):
    """Requests filed with this phone or naming it as the person concerned, newest first."""
    phone = request.auth.phone
    cases, following = selectors.cases_page(phone=phone, cursor=cursor, limit=limit)
    return {"items": [_summary(case, phone) for case in cases], "next_cursor": following}


@requests_router.get(
    "/{reference}",
    response={200: schemas.RequestOut, 404: E, **SIGNED_IN},
    summary="One of my requests",
)
def requests_detail(request, reference: str):
    """Its status in the citizen's words, what it means, the decision's details and the
    steps you can take now."""
    return _detail(_visible_case(request, reference), request.auth.phone)


@requests_router.get(
    "/{reference}/timeline",
    response={200: schemas.Timeline, 404: E, **SIGNED_IN},
    summary="A request's history",
)
def requests_timeline(request, reference: str):
    """What happened, in the citizen's words and with the office's messages to you (never
    its internal notes)."""
    case = _visible_case(request, reference)
    return {
        "items": [
            {
                "at": event.at,
                "status": event.to_status,
                "label": (
                    _("Filed") if event.step == "submit" else str(event.to_status_citizen_label)
                ),
                "message": event.citizen_message,
            }
            for event in citizen_timeline(case=case)
        ]
    }


@requests_router.post(
    "/{reference}/steps/{step}",
    response={200: schemas.RequestOut, 400: E, 403: E, 404: E, 409: E, 422: E, **SIGNED_IN},
    summary="Take a step (answer, withdraw…)",
)
def requests_step(
    request,
    response: HttpResponse,
    reference: str,
    step: str,
    payload: schemas.StepIn,
    idempotency_key: str = IDEMPOTENCY_KEY,
):
    """One of the steps listed in the request's `steps`: `provide_information` (message,
    documents), `withdraw` (`"confirm": true`), `accept_handover`/`decline_handover`,
    `submit_deposit` (documents). 409 `conflict` when the request changed meanwhile."""
    session = request.auth
    case = _visible_case(request, reference)

    def take_it():
        services.api_citizen_step(
            session=session,
            case=case,
            step_name=step,
            message=payload.message,
            confirm=payload.confirm,
            attachment_ids=payload.attachment_ids,
            expected_status=payload.expected_status,
            ip_address=client_ip(request),
        )
        case.refresh_from_db()
        return 200, json.loads(json.dumps(_detail(case, session.phone), cls=DjangoJSONEncoder))

    outcome = services.idempotent_call(
        phone=session.phone,
        key=idempotency_key,
        fingerprint=services.request_fingerprint(
            "requests.step", {"reference": case.reference, "step": step, **payload.dict()}
        ),
        perform=take_it,
    )
    return _replayed(response, outcome)


@requests_router.get(
    "/{reference}/receipt.pdf",
    response={200: None, 404: E, **SIGNED_IN},
    openapi_extra={
        "responses": {
            200: {
                "description": "The signed PDF receipt, in the language of Accept-Language.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
    summary="The signed receipt (PDF)",
)
def requests_receipt(request, reference: str):
    case = _visible_case(request, reference)
    pdf = receipt_render(case=case, language=_language())
    return HttpResponse(
        pdf,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{case.reference}.pdf"',
            # Personal data: never kept by a shared cache.
            "Cache-Control": "private, no-store",
        },
    )


# --- documents ------------------------------------------------------------------------


@uploads_router.post(
    "",
    response={201: schemas.UploadOut, 400: E, 409: E, 422: E, **SIGNED_IN},
    openapi_extra=_required_parts("file"),
    summary="Upload a document",
)
def uploads_create(
    request,
    response: HttpResponse,
    file: UploadedFile = DOCUMENT_FILE,
    idempotency_key: str = IDEMPOTENCY_KEY,
):
    """Keep a document for a filing or a step (by its `id`). Checked by its content (PDF,
    JPEG, PNG), its size, and for viruses; refusals are 422 (`file_type`,
    `file_too_large`, `file_empty`, `file_infected`). Unused uploads are deleted after a day."""
    session = request.auth
    digest = hashlib.sha256()
    if file is not None:
        for chunk in file.chunks():
            digest.update(chunk)
        file.seek(0)

    def store_it():
        attachment = services.api_upload_store(
            session=session, uploaded_file=file, ip_address=client_ip(request)
        )
        return 201, {
            "id": attachment.pk,
            "name": attachment.original_name,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
        }

    outcome = services.idempotent_call(
        phone=session.phone,
        key=idempotency_key,
        fingerprint=services.request_fingerprint(
            "uploads.create", {"name": file.name if file else None, "sha256": digest.hexdigest()}
        ),
        perform=store_it,
    )
    return _replayed(response, outcome)


@receipts_router.post(
    "/verify",
    response={200: schemas.VerificationOut, 400: E, 422: E, **PUBLIC},
    openapi_extra=_required_parts("receipt"),
    summary="Check a receipt",
)
def receipts_verify(
    request,
    receipt: UploadedFile = RECEIPT_FILE,
    reference: str = Form("", description="Optional: check it is this request's receipt."),
):
    """Whether a PDF is a receipt Mizan issued, unaltered. Public: anyone shown a receipt
    can check it. The facts come from the signed receipt, never from the database."""
    form = ReceiptVerifyForm(request.POST, request.FILES)
    if not form.is_valid():
        raise FormInvalid(form_errors(form))
    verification = receipt_verify(
        pdf_bytes=form.cleaned_data["receipt"], reference=form.cleaned_data["reference"] or None
    )
    return {
        "genuine": verification.genuine,
        "reason": verification.reason,
        "message": verification.message,
        "reference": verification.reference,
        "procedure": verification.procedure,
        "procedure_label": verification.procedure_label,
        "filed_at": verification.filed_at,
        "issued_at": verification.issued_at,
        "language": verification.language,
        "key_id": verification.key_id,
    }


# --- notifications --------------------------------------------------------------------


@notifications_router.get(
    "", response={200: schemas.NotificationPage, 400: E, 422: E, **SIGNED_IN}, summary="My SMS"
)
def notifications_list(
    request,
    cursor: str | None = None,
    limit: int = Query(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE),
):
    """The SMS sent to this phone about its requests, newest first."""
    rows, following = selectors.notifications_page(
        phone=request.auth.phone, cursor=cursor, limit=limit
    )
    return {
        "items": [
            {
                "id": row.pk,
                "reference": row.case.reference,
                "created_at": row.created_at,
                "status": row.status,
                "body": row.body,
            }
            for row in rows
        ],
        "next_cursor": following,
    }


# --- reference data -------------------------------------------------------------------


def _names(row) -> dict:
    return {"name": row.name, "name_ar": row.name_ar, "name_fr": row.name_fr}


def _by_name(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: row["name"])


@reference_router.get(
    "/regions",
    response={200: list[schemas.RegionOut], 304: None, **PUBLIC},
    openapi_extra=_cached_openapi("Morocco's regions."),
    summary="Regions",
)
def reference_regions(request):
    rows = [{"code": r.code, **_names(r)} for r in Region.objects.all()]
    return _cached(request, _by_name(rows), max_age=REFERENCE_MAX_AGE)


@reference_router.get(
    "/provinces",
    response={200: list[schemas.ProvinceOut], 304: None, 422: E, **PUBLIC},
    openapi_extra=_cached_openapi("Provinces and prefectures."),
    summary="Provinces and prefectures",
)
def reference_provinces(request, region: str | None = None):
    rows = Province.objects.all()
    if region:
        rows = rows.filter(region_id=region)
    payload = [{"code": p.code, **_names(p), "region": p.region_id, "kind": p.kind} for p in rows]
    return _cached(request, _by_name(payload), max_age=REFERENCE_MAX_AGE)


@reference_router.get(
    "/communes",
    response={200: list[schemas.CommuneOut], 304: None, 422: E, **PUBLIC},
    openapi_extra=_cached_openapi("Communes (of a province)."),
    summary="Communes",
)
def reference_communes(request, province: str | None = None):
    rows = Commune.objects.all()
    if province:
        rows = rows.filter(province_id=province)
    payload = [
        {"code": c.code, **_names(c), "province": c.province_id, "kind": c.kind} for c in rows
    ]
    return _cached(request, _by_name(payload), max_age=REFERENCE_MAX_AGE)


@reference_router.get(
    "/courts",
    response={200: list[schemas.CourtOut], 304: None, **PUBLIC},
    openapi_extra=_cached_openapi("Courts."),
    summary="Courts",
)
def reference_courts(request):
    payload = [
        {
            "id": c.id,
            **_names(c),
            "kind": c.kind,
            "kind_label": str(c.get_kind_display()),
            "parent": c.parent_id,
            "seat_province": c.seat_province_id,
            "status": c.status,
        }
        for c in Court.objects.all()
    ]
    return _cached(request, _by_name(payload), max_age=REFERENCE_MAX_AGE)


@reference_router.get(
    "/prisons",
    response={200: list[schemas.PrisonOut], 304: None, **PUBLIC},
    openapi_extra=_cached_openapi("Prisons."),
    summary="Prisons",
)
def reference_prisons(request):
    payload = [
        {
            "id": p.id,
            **_names(p),
            "kind": p.kind,
            "city": p.city_fr,
            "province": p.province_id,
            "status": p.status,
        }
        for p in Prison.objects.all()
    ]
    return _cached(request, _by_name(payload), max_age=REFERENCE_MAX_AGE)


# --- anything else --------------------------------------------------------------------


@fallback_router.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False
)
def unknown_endpoint(request, rest: str):
    # An app gets the API's JSON error, not the website's HTML 404 page.
    raise DomainError(_("There is no such endpoint in this API version."), code="not_found")


def register(api, bearer) -> None:
    api.add_router("/auth", auth_router)
    api.add_router("/procedures", procedures_router)
    api.add_router("/requests", requests_router, auth=bearer)
    api.add_router("/uploads", uploads_router, auth=bearer)
    api.add_router("/receipts", receipts_router)
    api.add_router("/notifications", notifications_router, auth=bearer)
    api.add_router("/reference", reference_router)
    # Last: it answers every path the others did not.
    api.add_router("", fallback_router)
