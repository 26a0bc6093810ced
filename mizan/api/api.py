"""/api/v1: the JSON API for the mobile app and partners (django-ninja).

This module builds the API object: authentication, the per-address budget, the one
error body and the documentation page (Swagger UI from django-ninja's own static files,
never a CDN). The endpoints are in `routes.py`.
"""

import logging
from functools import wraps

from django.conf import settings
from django.http import Http404
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from mizan.core.errors import DomainError
from mizan.core.http import client_ip

from .errors import ApiError, rate_limited, status_for, unauthenticated
from .ratelimit import rate_limit_wait
from .services import api_token_authenticate, partner_key_authenticate

logger = logging.getLogger("mizan.api")

DESCRIPTION = """
The JSON API of Mizan for the mobile app and partners. Full guide: `docs/api.md`.

**Sign in** with a phone: `POST /auth/code` sends a one-time code by SMS; `POST /auth/token`
exchanges it for an access token (15 minutes by default) and a refresh token (30 days). Send
the access token as `Authorization: Bearer …`. `POST /auth/refresh` gives a new pair and the
refresh token used stops working; presenting it again ends the whole sign-in.
`POST /auth/revoke` signs out.

**Errors** all have one body, `{code, message, field, details}`: `code` is stable, `message`
is written for the person in the language of `Accept-Language` (ar, fr, en).

**Creating calls** (`POST /requests`, `/uploads`, `/requests/{reference}/steps/{step}`, the
bookings' and the partners' `POST`s) need an `Idempotency-Key` header: a retry with the same
key and body gets the first answer again (header `Idempotent-Replayed: true`), never a
second filing.

**Lists** are paged with an opaque `cursor` (`next_cursor` of the previous page).

**Rate limits**: per access token or API key, and per address; a refusal is a 429 with
`Retry-After`.

**Partners** (commissaires' offices' software) use the endpoints under `/exchange` with their
office's API key, `Authorization: Bearer mzp_…`, each endpoint needing one of the key's
scopes (`exchange:read`, `exchange:write`, `exchange:report`).

**Versioning**: within v1, fields, endpoints, optional parameters and error codes may be
*added*; nothing is removed or renamed, no type or meaning of a field or code changes.
A change that breaks clients comes as /api/v2, with v1 kept alongside for a transition.
"""


class MizanAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # Stable names for client generators: the endpoint function's name.
        return operation.view_func.__name__


class BearerToken(HttpBearer):
    """The access token of a phone's sign-in; each sign-in has its own request budget."""

    def authenticate(self, request, token):
        session = api_token_authenticate(token=token)
        wait = rate_limit_wait(
            scope="token",
            ident=str(session.sign_in),
            limit=settings.MIZAN_API_MAX_PER_TOKEN_PER_MINUTE,
        )
        if wait:
            raise rate_limited(wait)
        return session


class PartnerKeyBearer(HttpBearer):
    """A commissaire's office's API key, `Authorization: Bearer mzp_…`; each key has its
    own request budget."""

    openapi_description = (
        "An office's API key, `mzp_<prefix>_<secret>` (Partner API, docs/api.md). "
        "Created in the admin or by the office's commissaire; shown once."
    )

    def __call__(self, request):
        scheme, _sep, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise unauthenticated(
                _("Send your office's API key in the Authorization header: Bearer mzp_…")
            )
        return self.authenticate(request, presented.strip())

    def authenticate(self, request, token):
        caller = partner_key_authenticate(presented=token)
        wait = rate_limit_wait(
            scope="partner_key",
            ident=caller.prefix,
            limit=settings.MIZAN_API_MAX_PER_PARTNER_KEY_PER_MINUTE,
        )
        if wait:
            raise rate_limited(wait)
        return caller


api = MizanAPI(
    title="Mizan API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    # No validator badge: Swagger UI would fetch it from validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None, "deepLinking": True}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error_body(error: DomainError) -> dict:
    return {
        "code": error.code,
        "message": str(error.message),
        "field": error.field,
        "details": getattr(error, "details", None),
    }


def error_response(request, error: DomainError):
    response = api.create_response(request, error_body(error), status=status_for(error))
    for header, value in getattr(error, "headers", {}).items():
        response[header] = value
    return response


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return error_response(request, exc)


def _field_name(loc) -> str | None:
    # ("body", "payload", "fields") -> "fields"; ("header", "Idempotency-Key") -> itself.
    parts = [str(part) for part in loc[1:]]
    if len(parts) > 1 and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or None


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    rows = [
        {
            "field": _field_name(error.get("loc", ())),
            "code": "required" if error.get("type") == "missing" else error.get("type", "invalid"),
            "message": _("This field is required.")
            if error.get("type") == "missing"
            else _("Enter a valid value."),
        }
        for error in exc.errors
    ]
    return error_response(
        request,
        ApiError(
            _("Some fields need correcting: see each field's message."),
            code="invalid",
            field=rows[0]["field"] if rows else None,
            details={"fields": rows},
        ),
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error_response(request, unauthenticated())


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # What ninja refuses itself: a body that is not JSON, mostly.
    message = (
        _("The request body could not be read: send JSON (or a multipart form for files).")
        if exc.status_code == 400
        else str(exc)
    )
    error = ApiError(message, code="bad_request" if exc.status_code == 400 else "error")
    response = api.create_response(request, error_body(error), status=exc.status_code)
    return response


@api.exception_handler(RawPostDataException)
def _body_already_read(request, exc):
    # A form (multipart) body sent to an operation that takes JSON: Django has parsed
    # it as a form already (every request's values are checked for NUL bytes), so
    # there is no JSON to read. The caller sent the wrong kind of body: say which.
    error = ApiError(
        _("The request body could not be read: send JSON (or a multipart form for files)."),
        code="bad_request",
    )
    return api.create_response(request, error_body(error), status=400)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, DomainError(_("Not found."), code="not_found"))


@api.exception_handler(Exception)
def _server_error(request, exc):
    logger.exception("API error on %s %s", request.method, request.path)
    error = ApiError(_("Something went wrong on our side. Please try again later."), code="error")
    return api.create_response(request, error_body(error), status=500)


def per_address_budget(run):
    """Every operation counts against the caller's address, signed in or not, before
    anything else is done (a flood of bad tokens is refused as cheaply as possible)."""

    @wraps(run)
    def limited(request, *args, **kwargs):
        wait = rate_limit_wait(
            scope="ip",
            ident=client_ip(request) or "",
            limit=settings.MIZAN_API_MAX_PER_IP_PER_MINUTE,
        )
        if wait:
            return error_response(request, rate_limited(wait))
        return run(request, *args, **kwargs)

    return limited


api.add_decorator(per_address_budget)

from . import appointments, partners, routes  # noqa: E402 - the routes register on `api`

bearer = BearerToken()
appointments.register(api, bearer)  # before routes: their catch-all comes last
partners.register(api, PartnerKeyBearer())
routes.register(api, bearer)
