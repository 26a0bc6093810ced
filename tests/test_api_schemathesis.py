"""/api/v1 against its own OpenAPI schema, with schemathesis, in process over WSGI.

Every operation of the served schema is called with generated input — valid and invalid,
boundary values first (coverage phase), then random ones (fuzzing) — on a small, fixed
budget. Every answer must be no server error, with a documented status, content type,
headers and body. Signed-in operations carry a real access token, obtained through the
API's own sign-in for a test phone that has filed a complaint through the API, and part of
the generated paths name that request, the procedures, their reference fields and the
citizen's steps: the "found" answers are checked as well as the refusals. The partners'
operations carry a commissaire's office's API key instead, and their paths may name a file
of that office and its document. The appointments' operations find a service with an
open campaign and free slots, and a booking of the test phone (their paths may name both),
all made through the appointments services. The answers generation seldom reaches (a
filing, its replay, a step, an upload, a genuine receipt, an office's steps on its file, a
slot just taken with its alternatives, a booking moved and cancelled) are called once
each, under the same checks.
"""

import re
import uuid
from datetime import timedelta

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mizan.api.models import PartnerKey
from mizan.api.services import partner_key_create
from mizan.appointments.slots import service_slots
from mizan.exchange.models import ExchangeFile
from mizan.notifications.models import Notification
from mizan.reference.models import Commune

from .appointment_factories import book, service_setup
from .exchange_factories import member, office, registry_clerk, send_file
from .factories import CASABLANCA

API = "/api/v1"
PHONE = "+212612349901"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BUDGET = {
    # The same requests on every run: a fixed seed, derandomized generation.
    "seed": 11,
    "generation": {
        # Random cases per operation, after the coverage phase's boundary cases.
        "max-examples": 15,
        "deterministic": True,
        # A failure is reported as found, not minimised: shrinking has no time bound.
        "no-shrink": True,
        # Nothing replayed from, or written to, a local example database.
        "database": "none",
    },
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# The WSGI client does not decompress as an HTTP client does: ask for plain bodies
# (schemathesis sends the `requests` library's defaults, gzip included).
PLAIN = {"Accept-Encoding": "identity"}
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
# Path values that exist, offered besides the generated ones. The phone's own request is
# only known once filed: the test puts it in place of this placeholder.
OWN_REQUEST = "own-request"
# The same for a partner operation: the reference of a file of the key's office, and the
# id of its document.
OWN_DOCUMENT = "own-document"
# An appointment service with free slots (its code), and the test phone's booking (an
# appointments operation's `reference` is that booking).
SERVICE = "family-law"
OTHER_PHONE = "+33612349902"
KNOWN = {
    "reference": [OWN_REQUEST],
    "document_id": [OWN_DOCUMENT],
    "service": [SERVICE],
    "code": ["complaint", "pardon", "bail", "grievance", "question"],
    "name": ["region", "province", "commune", "court", "prison", "judgment_court"],
    "step": ["withdraw", "provide_information", "accept_handover", "submit_deposit"],
}


_django = get_wsgi_application()


def application(environ, start_response):
    """Django's WSGI application, keeping the test's database connection open.

    Django closes the connection when a request ends, which inside a test would end the
    test's transaction; Django's own test client detaches that signal around each
    request, and so does this, for schemathesis' WSGI client.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = _django(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi(
    f"{API}/openapi.json", application, config=schemathesis.Config.from_dict(BUDGET)
)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Each path parameter is the generated value or one that exists."""
    return st.fixed_dictionaries(
        {
            name: st.sampled_from([value, *KNOWN.get(name, [])])
            for name, value in (path_parameters or {}).items()
        }
    )


def _partner_world() -> dict:
    """A commissaire's office with an API key holding every scope, and a file of each kind
    sent to it by a court registry."""
    study = office("CDJ-SCHEMA-1", name="Étude Schéma")
    commissaire = member("commissaire.schema", study)
    greffe = registry_clerk("greffe.schema")
    service = send_file(greffe, office=study)
    enforcement = send_file(greffe, kind=ExchangeFile.Kind.ENFORCEMENT, office=study)
    issued = partner_key_create(
        office=study,
        name="Logiciel",
        scopes=list(PartnerKey.Scope.values),
        acting_user=commissaire,
        created_by=commissaire,
    )
    return {
        "key": issued.secret,
        "file": service,
        "document": service.documents.get().pk,
        "enforcement": enforcement,
    }


@pytest.fixture
def partner(settings):
    """The partner world, built the first time an operation needs it (the citizen's
    operations do not)."""
    settings.MIZAN_API_MAX_PER_PARTNER_KEY_PER_MINUTE = 0
    built: dict = {}

    def get() -> dict:
        if not built:
            built.update(_partner_world())
        return built

    return get


def _appointments_world() -> dict:
    """A service with a campaign open since the day before yesterday and an official's
    weekday mornings; another phone's booking on its first free slot, the test phone's
    on the second."""
    today = timezone.localdate()
    service = service_setup(
        code=SERVICE,
        starts_on=today - timedelta(days=2),
        ends_on=today + timedelta(days=60),
    )
    free = service_slots(service=service)
    taken = book(service, free[0].starts_at, phone=OTHER_PHONE, zone="Europe/Paris")
    own = book(service, free[1].starts_at, phone=PHONE)
    return {"service": service, "taken": taken, "own": own, "free": free[2:]}


@pytest.fixture
def appointments(reference_data, settings):
    """The appointments world, built the first time an operation needs it."""
    # Its official is a staff account: the production hasher's cost, once per operation,
    # is not what is tested here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    built: dict = {}

    def get() -> dict:
        if not built:
            built.update(_appointments_world())
        return built

    return get


def call(method: str, path: str, expected: int, *, token=None, key=False, **case):
    """One explicit call, checked like the generated ones; its response."""
    headers = dict(PLAIN)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key if isinstance(key, str) else str(uuid.uuid4())
    operation = schema[API + path][method]
    response = operation.Case(headers=headers, **case).call_and_validate(checks=CHECKS)
    assert response.status_code == expected, response.text
    return response


def _code_sent_to(phone: str) -> str:
    sms = Notification.objects.filter(recipient=phone, template_key="phone.code").latest("id")
    return re.search(r"\d{6}", sms.body).group(0)


def _complaint() -> dict:
    commune = Commune.objects.get(code=CASABLANCA)
    fields = {
        "complainant_kind": "person",
        "complainant_name": "Amina Schema",
        "id_kind": "cin",
        "id_number": "AB123456",
        "nationality": "MA",
        "country_of_residence": "MA",
        "preferred_language": "fr",
        "accused_unknown": True,
        "category": "theft",
        "facts": "My phone was stolen at the bus station on Saturday evening.",
        "facts_date": (timezone.localdate() - timedelta(days=10)).isoformat(),
        "province": commune.province_id,
        "commune": commune.code,
        "consent": True,
    }
    return {"procedure": "complaint", "fields": fields}


@pytest.fixture
def signed_in(reference_data, settings):
    """A test phone signed in through the API, with one complaint filed through it."""
    # Hundreds of calls from one address and one sign-in within a minute: the budgets
    # would answer 429 (documented, but then nothing else would be exercised).
    settings.MIZAN_API_MAX_PER_IP_PER_MINUTE = 0
    settings.MIZAN_API_MAX_PER_TOKEN_PER_MINUTE = 0
    cache.clear()
    call("POST", "/auth/code", 200, body={"phone": PHONE})
    tokens = call(
        "POST", "/auth/token", 200, body={"phone": PHONE, "code": _code_sent_to(PHONE)}
    ).json()
    token = tokens["access_token"]
    filed = call("POST", "/requests", 201, token=token, key=True, body=_complaint()).json()
    yield {"token": token, "refresh": tokens["refresh_token"], "reference": filed["reference"]}
    cache.clear()


@schema.parametrize()
# One sign-in and one filing per operation, shared by its generated calls on purpose.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_answers_as_its_schema_says(case, signed_in, partner, appointments):
    headers = dict(PLAIN)
    appointments_operation = case.operation.path.startswith("/appointments") or (
        case.operation.path.startswith(f"{API}/appointments")
    )
    if appointments_operation:
        appointments()
    security = case.operation.definition.raw.get("security") or []
    partner_operation = any("PartnerKeyBearer" in requirement for requirement in security)
    if partner_operation:
        # A negative case that drops the header still goes without it: the 401.
        headers["Authorization"] = f"Bearer {partner()['key']}"
    elif security:
        headers["Authorization"] = f"Bearer {signed_in['token']}"
    path_parameters = case.path_parameters or {}
    if path_parameters.get("reference") == OWN_REQUEST:
        if partner_operation:
            path_parameters["reference"] = partner()["file"].reference
        elif appointments_operation:
            path_parameters["reference"] = appointments()["own"].reference
        else:
            path_parameters["reference"] = signed_in["reference"]
    if path_parameters.get("document_id") == OWN_DOCUMENT:
        path_parameters["document_id"] = partner()["document"]
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and IDEMPOTENCY_KEY.match(key):
        # A valid key is a new one per call, as an app sends; invalid ones are sent as
        # generated, for the 422.
        headers["Idempotency-Key"] = str(uuid.uuid4())
    case.call_and_validate(headers=headers, checks=CHECKS)


def test_the_answers_generation_seldom_reaches_match_the_schema(signed_in):
    token, reference = signed_in["token"], signed_in["reference"]
    # A filing replayed: the stored, sealed answer.
    key = str(uuid.uuid4())
    first = call("POST", "/requests", 201, token=token, key=key, body=_complaint())
    again = call("POST", "/requests", 201, token=token, key=key, body=_complaint())
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == ["true"]
    other = first.json()["reference"]
    # An upload, then a step that names it, then a withdrawal (and its replay).
    upload = call(
        "POST",
        "/uploads",
        201,
        token=token,
        key=True,
        body={"file": PDF},
        media_type="multipart/form-data",
    ).json()
    step = {"message": "Here is the receipt.", "attachment_ids": [upload["id"]]}
    call(
        "POST",
        "/requests/{reference}/steps/{step}",
        409,  # the office asked for nothing yet
        token=token,
        key=True,
        path_parameters={"reference": other, "step": "provide_information"},
        body=step,
    )
    withdraw = {"path_parameters": {"reference": other, "step": "withdraw"}}
    key = str(uuid.uuid4())
    for _ in range(2):
        withdrawn = call(
            "POST",
            "/requests/{reference}/steps/{step}",
            200,
            token=token,
            key=key,
            body={"confirm": True},
            **withdraw,
        ).json()
        assert withdrawn["closed"] is True
    # The request's pages, its receipt and that receipt checked.
    for path in ("/requests", "/notifications"):
        assert call("GET", path, 200, token=token, query={"limit": 1}).json()["next_cursor"]
    timeline = call(
        "GET",
        "/requests/{reference}/timeline",
        200,
        token=token,
        path_parameters={"reference": other},
    ).json()
    assert len(timeline["items"]) == 2
    pdf = call(
        "GET",
        "/requests/{reference}/receipt.pdf",
        200,
        token=token,
        path_parameters={"reference": reference},
    ).content
    verified = call(
        "POST",
        "/receipts/verify",
        200,
        body={"receipt": pdf, "reference": reference},
        media_type="multipart/form-data",
    ).json()
    assert verified["genuine"] is True
    # Rotation, then signing out.
    pair = call("POST", "/auth/refresh", 200, body={"refresh_token": signed_in["refresh"]})
    call("POST", "/auth/revoke", 204, body={"token": pair.json()["refresh_token"]})
    call("GET", "/requests", 401, token=token)


def test_an_office_file_through_the_partner_api_matches_the_schema(signed_in, partner):
    world = partner()
    key, file = world["key"], world["file"]
    at = {"path_parameters": {"reference": file.reference}}
    call("GET", "/exchange/key", 200, token=key)
    assert call("GET", "/exchange/files", 200, token=key, query={"limit": 1}).json()["next_cursor"]
    call("GET", "/exchange/files/{reference}", 200, token=key, **at)
    call(
        "GET",
        "/exchange/files/{reference}/documents/{document_id}",
        200,
        token=key,
        path_parameters={"reference": file.reference, "document_id": world["document"]},
    )
    idem = str(uuid.uuid4())
    for _ in range(2):  # the first answer, then its replay
        call("POST", "/exchange/files/{reference}/acknowledge", 200, token=key, key=idem, **at)
    attempt = {
        "attempted_at": timezone.now().isoformat(),
        "place": "5 avenue Hassan II",
        "result": "absent",
    }
    call(
        "POST", "/exchange/files/{reference}/attempts", 201, token=key, key=True, body=attempt, **at
    )
    call(
        "POST",
        "/exchange/files/{reference}/recoveries",
        409,  # a service file has no amounts
        token=key,
        key=True,
        body={"amount": "10.00", "recovered_on": timezone.localdate().isoformat()},
        **at,
    )
    call(
        "POST",
        "/exchange/files/{reference}/report",
        201,
        token=key,
        key=True,
        body={"report": PDF},
        media_type="multipart/form-data",
        **at,
    )
    call("POST", "/exchange/files/{reference}/complete", 200, token=key, key=True, **at)
    enforcement = {"path_parameters": {"reference": world["enforcement"].reference}}
    call("POST", "/exchange/files/{reference}/acknowledge", 200, token=key, key=True, **enforcement)
    call(
        "POST",
        "/exchange/files/{reference}/recoveries",
        201,
        token=key,
        key=True,
        body={"amount": 1500, "recovered_on": timezone.localdate().isoformat()},
        **enforcement,
    )
    call(
        "POST",
        "/exchange/files/{reference}/fail",
        409,  # no report yet
        token=key,
        key=True,
        body={"reason": "Débiteur introuvable."},
        **enforcement,
    )
    call("GET", "/exchange/files", 401, token="mzp_unknown_key")


def test_a_booking_taken_moved_and_cancelled_matches_the_schema(signed_in, appointments):
    world = appointments()
    token = signed_in["token"]
    own = {"path_parameters": {"reference": world["own"].reference}}
    at = {"path_parameters": {"service": SERVICE}}
    call("GET", "/appointments/institutions", 200)
    call("GET", "/appointments/services", 200)
    call("GET", "/appointments/services/{service}", 200, **at)
    slots = call(
        "GET",
        "/appointments/services/{service}/slots",
        200,
        query={"tz": "America/Montreal"},
        **at,
    ).json()
    assert slots["booking_open"] and slots["items"]
    assert call("GET", "/appointments/bookings", 200, token=token).json()["items"]
    call("GET", "/appointments/bookings/{reference}", 200, token=token, **own)
    call("GET", "/appointments/bookings/{reference}/calendar.ics", 200, token=token, **own)
    # Onto the other phone's slot: 409 with the free slots instead.
    refused = call(
        "POST",
        "/appointments/bookings/{reference}/reschedule",
        409,
        token=token,
        key=True,
        body={"starts_at": world["taken"].starts_at.isoformat()},
        **own,
    ).json()
    assert refused["code"] == "slot_taken" and refused["details"]["alternatives"]
    call(
        "POST",
        "/appointments/bookings/{reference}/reschedule",
        200,
        token=token,
        key=True,
        body={"starts_at": world["free"][0].starts_at.isoformat()},
        **own,
    )
    call("POST", "/appointments/bookings/{reference}/cancel", 200, token=token, key=True, **own)
    call("POST", "/appointments/bookings/{reference}/cancel", 409, token=token, key=True, **own)
    booking = {
        "service": SERVICE,
        "subject": "Divorce prononcé à l'étranger : transcription au Maroc.",
        "country_of_residence": "CA",
        "time_zone": "America/Montreal",
        "name": "Karima Schema",
        "consent": True,
    }
    taken = call(
        "POST",
        "/appointments/bookings",
        409,
        token=token,
        key=True,
        body={**booking, "starts_at": world["taken"].starts_at.isoformat()},
    ).json()
    assert taken["details"]["alternatives"]
    call(
        "POST",
        "/appointments/bookings",
        201,
        token=token,
        key=True,
        body={**booking, "starts_at": world["free"][1].starts_at.isoformat()},
    )
    call(
        "POST",
        "/appointments/bookings",
        422,
        token=token,
        key=True,
        # Within the campaign, but gone.
        body={**booking, "starts_at": f"{timezone.localdate() - timedelta(days=1)}T09:00:00Z"},
    )
