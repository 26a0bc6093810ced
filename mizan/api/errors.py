"""The API's refusals: one error body, a stable code, a status chosen by the code.

Services raise `DomainError` with a message written for the person (already in the
request's language) and a code for machines; this module only decides the HTTP status
and adds what HTTP asks for (`WWW-Authenticate` on 401, `Retry-After` on 429).
"""

from django.utils.translation import gettext as _

from mizan.core.errors import DomainError

# A code not listed is a plain 400: the request cannot be done as sent.
STATUS_BY_CODE = {
    "unauthenticated": 401,
    "token_invalid": 401,
    "token_expired": 401,
    "refresh_invalid": 401,
    "refresh_reused": 401,
    "key_invalid": 401,
    "key_expired": 401,
    "forbidden": 403,
    "phone_mismatch": 403,
    "scope_missing": 403,
    "wrong_side": 403,
    "not_found": 404,
    "unknown_step": 404,
    "conflict": 409,
    # The exchange's refusals: the file's status does not allow the step now; a document
    # already belongs to another file.
    "not_allowed": 409,
    "document_used": 409,
    "already_filed": 409,
    "closed": 409,
    "handover_impossible": 409,
    "idempotency_conflict": 409,
    # The appointments' refusals that another slot, or later, may lift: the slot went to
    # someone else (with `details.alternatives`), one active booking per service, the
    # campaign closed, the booking no longer active.
    "slot_taken": 409,
    "already_booked": 409,
    "campaign_closed": 409,
    "not_active": 409,
    "invalid": 422,
    "input_required": 422,
    "no_uploads": 422,
    "attachment_unknown": 422,
    "unknown_field": 422,
    "unknown_procedure": 422,
    "file_too_large": 422,
    "file_empty": 422,
    "file_type": 422,
    "file_infected": 422,
    # The appointment cannot be booked as sent.
    "slot_past": 422,
    "time_zone": 422,
    "case_unknown": 422,
    "unknown_service": 422,
    "rate_limited": 429,
}


def status_for(error: DomainError) -> int:
    return STATUS_BY_CODE.get(error.code, 400)


class ApiError(DomainError):
    """A refusal with extra machine-readable details or response headers."""

    def __init__(
        self,
        message,
        *,
        code: str,
        field: str | None = None,
        details: dict | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message, code=code, field=field)
        self.details = details
        self.headers = headers or {}


class FormInvalid(ApiError):
    """The fields do not validate: every field's messages, as the web form shows them."""

    def __init__(self, errors: list[dict]):
        first = errors[0] if errors else {}
        super().__init__(
            _("Some fields need correcting: see each field's message."),
            code="invalid",
            field=first.get("field"),
            details={"fields": errors},
        )


def form_errors(form) -> list[dict]:
    """A bound form's errors as [{field, code, message}], in the active language."""
    rows = []
    for name, errors in form.errors.as_data().items():
        for error in errors:
            for message in error.messages:
                rows.append(
                    {
                        "field": None if name == "__all__" else name,
                        "code": error.code or "invalid",
                        "message": str(message),
                    }
                )
    return rows


def unauthenticated(message=None, *, code: str = "unauthenticated") -> ApiError:
    # RFC 6750: a refused bearer token says so in WWW-Authenticate.
    challenge = 'Bearer realm="mizan"'
    if code != "unauthenticated":
        challenge += ', error="invalid_token"'
    return ApiError(
        message or _("Sign in first: send your access token in the Authorization header (Bearer)."),
        code=code,
        headers={"WWW-Authenticate": challenge},
    )


def rate_limited(wait_seconds: int, message=None) -> ApiError:
    return ApiError(
        message or _("Too many requests. Please wait a little and try again."),
        code="rate_limited",
        details={"retry_after": wait_seconds},
        headers={"Retry-After": str(wait_seconds)},
    )
