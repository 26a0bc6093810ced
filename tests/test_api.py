"""/api/v1, the mobile app's JSON API: signing in with tokens, the forms described from
the web's own forms, filing with idempotency keys, a phone's requests and nothing else,
steps, documents, receipts, notifications, reference data, errors and rate limits."""

import json
import re
import threading
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django import forms
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from mizan.api.models import IdempotencyRecord, TokenFamily
from mizan.api.services import api_expired_purge
from mizan.cases.models import Case
from mizan.cases.selectors import cases_for_phone
from mizan.cases.services import case_submit, case_transition
from mizan.documents.models import Attachment
from mizan.notifications.models import Notification
from mizan.portal.procedure_forms import BailForm
from mizan.procedures.registry import PROCEDURES
from mizan.reference.models import Commune, Province, Region

from .factories import CASABLANCA, file_complaint, register_and_assign

API = "/api/v1"
PHONE_A = "+212612340001"
PHONE_B = "+212612340002"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ARABIC = re.compile(r"[\u0600-\u06ff]")
ERROR_KEYS = {"code", "message", "field", "details"}


@pytest.fixture(autouse=True)
def fresh_rate_counters():
    # Every test client calls from 127.0.0.1: budgets must not carry over between tests.
    cache.clear()
    yield
    cache.clear()


# --- helpers ---------------------------------------------------------------------------


def code_sent_to(phone: str) -> str:
    body = Notification.objects.filter(recipient=phone, template_key="phone.code").latest("id")
    return re.search(r"\d{6}", body.body).group(0)


def call(client, method, path, payload=None, *, token=None, key=None, language="en", **extra):
    headers = {"Accept-Language": language}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    headers.update(extra.pop("headers", {}))
    if method == "get":
        return client.get(API + path, payload, headers=headers, **extra)
    if isinstance(payload, dict) and not any(
        isinstance(value, SimpleUploadedFile) for value in payload.values()
    ):
        return client.post(
            API + path, json.dumps(payload), content_type="application/json", headers=headers
        )
    return client.post(API + path, payload or {}, headers=headers, **extra)


def sign_in(client, phone: str = PHONE_A) -> dict:
    response = call(client, "post", "/auth/code", {"phone": phone})
    assert response.status_code == 200, response.content
    response = call(client, "post", "/auth/token", {"phone": phone, "code": code_sent_to(phone)})
    assert response.status_code == 200, response.content
    return response.json()


def complaint_fields(**overrides) -> dict:
    commune = Commune.objects.get(code=CASABLANCA)
    fields = {
        "complainant_kind": "person",
        "complainant_name": "Amina Test",
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
    fields.update(overrides)
    return fields


def file_by_api(client, tokens, fields=None, *, key=None, procedure="complaint", **extra):
    payload = {"procedure": procedure, "fields": fields or complaint_fields(), **extra}
    return call(
        client,
        "post",
        "/requests",
        payload,
        token=tokens["access_token"],
        key=key or str(uuid.uuid4()),
    )


def upload(client, tokens, content=PDF, name="document.pdf", *, key=None):
    return call(
        client,
        "post",
        "/uploads",
        {"file": SimpleUploadedFile(name, content)},
        token=tokens["access_token"],
        key=key or str(uuid.uuid4()),
    )


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS and body["code"] == code and body["message"], body
    return body


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def tokens(reference_data, client):
    return sign_in(client)


# --- the schema and its documentation page ---------------------------------------------


def test_the_openapi_schema_declares_every_error_with_its_body(db, client):
    schema = client.get(f"{API}/openapi.json").json()
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    error_ref = "#/components/schemas/Error"
    operations = {
        op["operationId"]: op for methods in schema["paths"].values() for op in methods.values()
    }
    assert len(operations) >= 21
    for name, operation in operations.items():
        responses = operation["responses"]
        assert "429" in responses, name
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                content = response["content"]["application/json"]["schema"]
                assert content == {"$ref": error_ref}, (name, status)
        if operation.get("security"):
            assert "401" in responses, name
    expected = {
        "requests_create": {"201", "400", "401", "403", "409", "422", "429"},
        "requests_step": {"200", "400", "401", "403", "404", "409", "422", "429"},
        "requests_detail": {"200", "400", "401", "404", "429"},
        "uploads_create": {"201", "400", "401", "409", "422", "429"},
        "auth_refresh": {"200", "400", "401", "422", "429"},
        "reference_communes": {"200", "304", "400", "422", "429"},
    }
    for name, statuses in expected.items():
        assert set(operations[name]["responses"]) == statuses, name
    # Creating calls document their Idempotency-Key header as required.
    header = next(p for p in operations["requests_create"]["parameters"] if p["in"] == "header")
    assert header["name"] == "Idempotency-Key" and header["required"] is True
    assert "Versioning" in schema["info"]["description"]


def test_the_docs_page_uses_the_local_swagger_files_only(db, client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    # No validator badge either: Swagger UI would load it from validator.swagger.io.
    assert '"validatorUrl": null' in html
    # The project's strict policy applies unchanged: no inline script, no eval.
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    bundle = client.get("/static/ninja/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    bundle.close()


@pytest.mark.django_db(transaction=True)
def test_the_docs_page_renders_in_a_browser_without_any_other_host(live_server):
    playwright = pytest.importorskip("playwright.sync_api")
    from pathlib import Path

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    requested, violations = [], []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page()
            page.add_init_script(
                "window.__violations = [];"
                "document.addEventListener('securitypolicyviolation',"
                " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
            )
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{live_server.url}{API}/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            violations = page.evaluate("window.__violations")
            operations = page.locator(".opblock").count()
        finally:
            browser.close()
    assert operations >= 21
    assert violations == []
    assert requested and all(url.startswith(live_server.url) for url in requested), requested


# --- signing in --------------------------------------------------------------------------


def test_a_code_then_tokens_then_the_token_opens_the_phone_s_requests(tokens, client):
    assert tokens["token_type"] == "Bearer" and tokens["phone"] == PHONE_A
    assert tokens["expires_in"] == 15 * 60 and tokens["refresh_expires_in"] == 30 * 24 * 3600
    assert tokens["access_token"].startswith("mzn_at_")
    # Only hashes are stored.
    stored = TokenFamily.objects.get().tokens.values_list("token_hash", flat=True)
    assert tokens["access_token"] not in stored and len(list(stored)) == 2
    response = call(client, "get", "/requests", token=tokens["access_token"])
    assert response.status_code == 200 and response.json() == {"items": [], "next_cursor": None}


def test_a_moroccan_number_as_dialled_is_read_as_e164(reference_data, client):
    response = call(client, "post", "/auth/code", {"phone": "0612340001"})
    assert response.json() == {"phone": PHONE_A, "expires_in": 600}


def test_a_wrong_code_is_refused_in_the_requested_language(reference_data, client):
    call(client, "post", "/auth/code", {"phone": PHONE_A})
    french = call(
        client, "post", "/auth/token", {"phone": PHONE_A, "code": "000000"}, language="fr"
    )
    body = assert_error(french, 400, "code_wrong")
    with translation.override("fr"):
        expected = ngettext(
            "This code is not the one we sent. You have %(left)d try left.",
            "This code is not the one we sent. You have %(left)d tries left.",
            4,
        )
    assert body["message"] == expected % {"left": 4} and body["field"] == "code"
    arabic = call(
        client, "post", "/auth/token", {"phone": PHONE_A, "code": "000000"}, language="ar"
    )
    assert ARABIC.search(assert_error(arabic, 400, "code_wrong")["message"])


def test_no_code_asked_or_a_bad_phone_is_refused(reference_data, client):
    assert_error(
        call(client, "post", "/auth/token", {"phone": PHONE_A, "code": "123456"}), 400, "no_code"
    )
    body = assert_error(call(client, "post", "/auth/code", {"phone": "12"}), 422, "invalid")
    assert body["details"]["fields"][0]["field"] == "phone"
    body = assert_error(call(client, "post", "/auth/code", {}), 422, "invalid")
    assert body["details"]["fields"] == [
        {"field": "phone", "code": "required", "message": "This field is required."}
    ]


def test_a_used_code_opens_nothing_twice(reference_data, client):
    call(client, "post", "/auth/code", {"phone": PHONE_A})
    code = code_sent_to(PHONE_A)
    assert call(client, "post", "/auth/token", {"phone": PHONE_A, "code": code}).status_code == 200
    response = call(client, "post", "/auth/token", {"phone": PHONE_A, "code": code})
    assert_error(response, 400, "no_code")


def test_no_token_a_bad_token_and_an_expired_token_are_401(reference_data, client, settings):
    response = call(client, "get", "/requests")
    assert_error(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="mizan"'
    response = call(client, "get", "/requests", token="mzn_at_forged")
    assert_error(response, 401, "token_invalid")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    response = call(client, "get", "/requests", headers={"Authorization": "Basic eDp5"})
    assert_error(response, 401, "unauthenticated")
    settings.MIZAN_API_ACCESS_TOKEN_SECONDS = 0
    tokens = sign_in(client)
    assert_error(
        call(client, "get", "/requests", token=tokens["access_token"]), 401, "token_expired"
    )


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_sign_in(tokens, client):
    response = call(client, "post", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert call(client, "get", "/requests", token=rotated["access_token"]).status_code == 200
    # The old refresh token presented again: someone else may hold it; all tokens end.
    response = call(client, "post", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert_error(response, 401, "refresh_reused")
    for token in (rotated["access_token"], tokens["access_token"]):
        assert_error(call(client, "get", "/requests", token=token), 401, "token_invalid")
    response = call(client, "post", "/auth/refresh", {"refresh_token": rotated["refresh_token"]})
    assert_error(response, 401, "refresh_invalid")
    family = TokenFamily.objects.get()
    assert family.revoked_reason == TokenFamily.RevokedReason.REFRESH_REUSED


def test_an_unknown_refresh_token_is_refused(db, client):
    response = call(client, "post", "/auth/refresh", {"refresh_token": "mzn_rt_nothing"})
    assert_error(response, 401, "refresh_invalid")


def test_revoking_signs_out_and_says_nothing_about_unknown_tokens(tokens, client):
    other = sign_in(client)
    response = call(client, "post", "/auth/revoke", {"token": tokens["refresh_token"]})
    assert response.status_code == 204
    assert_error(
        call(client, "get", "/requests", token=tokens["access_token"]), 401, "token_invalid"
    )
    response = call(client, "post", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert_error(response, 401, "refresh_invalid")
    # Another sign-in of the same phone is not affected.
    assert call(client, "get", "/requests", token=other["access_token"]).status_code == 200
    assert call(client, "post", "/auth/revoke", {"token": "whatever"}).status_code == 204


def test_token_calls_need_no_csrf_token(tokens):
    client = Client(enforce_csrf_checks=True)
    response = file_by_api(client, tokens)
    assert response.status_code == 201, response.content


# --- procedures and their forms ----------------------------------------------------------


def test_every_procedure_is_described_from_its_web_form(reference_data, client):
    from mizan.api.formschema import filing_form_class

    response = call(client, "get", "/procedures")
    assert response.status_code == 200
    described = {procedure["code"]: procedure for procedure in response.json()}
    assert set(described) == set(PROCEDURES)
    for code, procedure in described.items():
        form = filing_form_class(code)()
        names = [n for n, f in form.fields.items() if not isinstance(f, forms.FileField)]
        assert [field["name"] for field in procedure["fields"]] == names, code
        assert procedure["documents"]["field"] == "attachment_ids"
        in_sections = {name for section in procedure["sections"] for name in section["fields"]}
        assert in_sections <= set(names)
    complaint = {field["name"]: field for field in described["complaint"]["fields"]}
    assert complaint["facts"]["min_length"] == 30 and complaint["facts"]["widget"] == "textarea"
    assert complaint["facts_date"]["type"] == "date"
    assert complaint["phone"]["type"] == "phone" and complaint["consent"]["type"] == "boolean"
    assert {"value": "theft", "label": "Theft"} in complaint["category"]["choices"]
    # Reference data is fetched on demand, never inlined (1,500 communes).
    assert complaint["commune"]["choices"] is None
    assert complaint["commune"]["depends_on"] == "province"
    assert (
        complaint["commune"]["choices_url"] == f"{API}/procedures/complaint/fields/commune/choices"
    )
    pardon = {field["name"]: field for field in described["pardon"]["fields"]}
    assert pardon["grounds"]["type"] == "multiple_choice"
    assert pardon["judgment_court"]["depends_on"] is None
    bail = {field["name"]: field for field in described["bail"]["fields"]}
    assert bail["guarantee_amount"]["type"] == "decimal"
    assert bail["guarantee_amount"]["min_value"] == "1"
    assert described["bail"]["documents"]["hint"]


def test_labels_follow_accept_language(reference_data, client):
    english = call(client, "get", "/procedures/question").json()
    french = call(client, "get", "/procedures/question", language="fr").json()
    arabic = call(client, "get", "/procedures/question", language="ar").json()
    with translation.override("fr"):
        assert french["fields"][0]["label"] == gettext(english["fields"][0]["label"])
    assert ARABIC.search(arabic["title"]) and arabic["title"] != english["title"]
    assert call(client, "get", "/procedures/question", language="ar")["Content-Language"] == "ar"


def test_a_reference_field_s_choices_are_the_form_s_own(reference_data, client):
    province = Commune.objects.get(code=CASABLANCA).province_id
    response = call(
        client, "get", "/procedures/complaint/fields/commune/choices", {"province": province}
    )
    assert response.status_code == 200
    codes = {choice["value"] for choice in response.json()["items"]}
    assert codes == set(Commune.objects.filter(province_id=province).values_list("code", flat=True))
    courts = call(client, "get", "/procedures/bail/fields/court/choices").json()["items"]
    allowed = BailForm().fields["court"].queryset.values_list("pk", flat=True)
    assert {choice["value"] for choice in courts} == set(allowed)
    assert_error(call(client, "get", "/procedures/bail/fields/facts/choices"), 404, "not_found")
    assert_error(call(client, "get", "/procedures/nothing/fields/x/choices"), 404, "not_found")


def test_procedures_are_cacheable_and_revalidated(reference_data, client):
    response = call(client, "get", "/procedures/complaint")
    assert response["Cache-Control"] == "public, max-age=3600"
    again = call(
        client, "get", "/procedures/complaint", headers={"If-None-Match": response["ETag"]}
    )
    assert again.status_code == 304 and again.content == b""
    assert_error(call(client, "get", "/procedures/nothing"), 404, "not_found")


# --- filing --------------------------------------------------------------------------------


def test_filing_a_complaint_files_it_for_the_token_s_phone(tokens, client):
    response = file_by_api(client, tokens)
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(reference=body["reference"])
    assert case.channel == "app" and str(case.filer_phone) == PHONE_A
    assert case.commune_id == CASABLANCA and case.filer_name == "Amina Test"
    assert len(body["access_code"]) == 8 and body["status"] == "received"
    assert Notification.objects.filter(case=case, recipient=PHONE_A).exists()
    assert "Idempotent-Replayed" not in response


def test_one_idempotency_key_files_once_and_two_keys_file_twice(tokens, client):
    key = str(uuid.uuid4())
    first = file_by_api(client, tokens, key=key)
    retry = file_by_api(client, tokens, key=key)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()  # the access code included
    assert retry["Idempotent-Replayed"] == "true"
    assert Case.objects.filter(filer_phone=PHONE_A).count() == 1
    second = file_by_api(client, tokens, key=str(uuid.uuid4()))
    assert second.status_code == 201 and second.json()["reference"] != first.json()["reference"]
    assert Case.objects.filter(filer_phone=PHONE_A).count() == 2
    # Only hashes and a sealed answer are kept: no reference, no access code in clear.
    record = IdempotencyRecord.objects.first()
    assert first.json()["access_code"] not in record.response
    assert first.json()["reference"] not in record.response and key not in record.key_hash


def test_the_same_key_with_another_body_is_a_conflict(tokens, client):
    key = str(uuid.uuid4())
    assert file_by_api(client, tokens, key=key).status_code == 201
    response = file_by_api(client, tokens, complaint_fields(id_number="ZZ1"), key=key)
    body = assert_error(response, 409, "idempotency_conflict")
    assert body["field"] == "Idempotency-Key"
    assert Case.objects.count() == 1


def test_a_refused_filing_keeps_its_key_free_for_the_corrected_one(tokens, client):
    key = str(uuid.uuid4())
    refused = file_by_api(client, tokens, complaint_fields(facts="Too short."), key=key)
    assert_error(refused, 422, "invalid")
    # Corrected (another body): the key was not used up by the refusal.
    assert file_by_api(client, tokens, key=key).status_code == 201


def test_a_key_of_phone_a_is_not_seen_by_phone_b(tokens, client):
    key = str(uuid.uuid4())
    assert file_by_api(client, tokens, key=key).status_code == 201
    other = sign_in(client, PHONE_B)
    response = file_by_api(client, other, complaint_fields(phone=PHONE_B), key=key)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Case.objects.count() == 2


def test_the_idempotency_key_is_required(tokens, client):
    response = call(
        client,
        "post",
        "/requests",
        {"procedure": "complaint", "fields": complaint_fields()},
        token=tokens["access_token"],
    )
    body = assert_error(response, 422, "invalid")
    assert body["field"] == "Idempotency-Key"
    assert Case.objects.count() == 0


def test_the_form_refuses_field_by_field_in_the_requested_language(tokens, client):
    fields = complaint_fields(facts="Too short.", category="nothing", consent=False)
    del fields["complainant_name"]
    response = call(
        client,
        "post",
        "/requests",
        {"procedure": "complaint", "fields": fields},
        token=tokens["access_token"],
        key=str(uuid.uuid4()),
        language="fr",
    )
    body = assert_error(response, 422, "invalid")
    errors = {row["field"]: row for row in body["details"]["fields"]}
    assert set(errors) == {"facts", "category", "consent", "complainant_name"}
    assert errors["facts"]["code"] == "min_length"
    with translation.override("fr"):
        assert errors["complainant_name"]["message"] == gettext(
            "Enter your full name, or the name of the company or association."
        )
    response = call(
        client,
        "post",
        "/requests",
        {"procedure": "complaint", "fields": fields},
        token=tokens["access_token"],
        key=str(uuid.uuid4()),
        language="ar",
    )
    assert all(ARABIC.search(row["message"]) for row in response.json()["details"]["fields"])
    assert Case.objects.count() == 0


def test_json_is_held_to_what_the_form_takes(tokens, client):
    fields = complaint_fields(facts_date="01/11/2026", unknown_thing="x", id_number=["AB1", "AB2"])
    body = assert_error(file_by_api(client, tokens, fields), 422, "invalid")
    errors = {row["field"]: row["code"] for row in body["details"]["fields"]}
    assert errors == {
        "facts_date": "invalid",
        "unknown_thing": "unknown_field",
        "id_number": "invalid",
    }
    response = file_by_api(client, tokens, procedure="divorce")
    assert_error(response, 422, "unknown_procedure")


def test_a_body_that_is_not_json_is_a_400(tokens, client):
    response = client.post(
        f"{API}/requests",
        "{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Idempotency-Key": "k"},
    )
    assert_error(response, 400, "bad_request")


def test_the_form_s_phone_must_be_the_token_s(tokens, client):
    response = file_by_api(client, tokens, complaint_fields(phone="0612349999"))
    body = assert_error(response, 403, "phone_mismatch")
    assert body["field"] == "phone" and Case.objects.count() == 0
    # Written as dialled at home, the same number is the same phone.
    assert file_by_api(client, tokens, complaint_fields(phone="0612340001")).status_code == 201


def test_the_other_procedures_file_through_their_own_forms(tokens, client):
    question = {
        "institution": "MJ",
        "subject": "Legal aid",
        "question": "How do I ask for legal aid for a divorce case?",
        "filer_name": "Amina Test",
        "preferred_language": "ar",
        "consent": True,
    }
    response = file_by_api(client, tokens, question, procedure="question")
    assert response.status_code == 201, response.content
    case = Case.objects.get(reference=response.json()["reference"])
    assert case.procedure == "question" and case.language == "ar" and case.channel == "app"
    pardon = {
        "convicted_name": "Karim Test",
        "convicted_cin": "ab123",
        "convicted_birth_date": "1990-01-01",
        "judgment_court": BailForm().fields["court"].queryset.first().pk,
        "judgment_date": "2020-01-01",
        "judgment_case_number": "123/2020",
        "sentence": "5 years",
        "grounds": ["health", "family"],
        "grounds_text": "He is ill and his family needs him at home now.",
        "relationship": "self",
        "filer_name": "Karim Test",
        "preferred_language": "fr",
        "consent": True,
    }
    response = file_by_api(client, tokens, pardon, procedure="pardon")
    assert response.status_code == 201, response.content
    details = Case.objects.get(reference=response.json()["reference"]).details
    assert details["grounds"] == ["health", "family"] and details["convicted"]["cin"] == "AB123"


# --- documents -------------------------------------------------------------------------------


def test_an_upload_joins_the_filing_that_names_it(tokens, client):
    response = upload(client, tokens)
    assert response.status_code == 201, response.content
    attachment = response.json()
    assert attachment["content_type"] == "application/pdf" and attachment["size"] == len(PDF)
    filed = file_by_api(client, tokens, attachment_ids=[attachment["id"]])
    assert filed.status_code == 201, filed.content
    case = Case.objects.get(reference=filed.json()["reference"])
    assert list(case.attachments.values_list("id", flat=True)) == [attachment["id"]]


def test_an_upload_retried_with_its_key_is_kept_once(tokens, client):
    key = str(uuid.uuid4())
    first, retry = upload(client, tokens, key=key), upload(client, tokens, key=key)
    assert first.json() == retry.json() and retry["Idempotent-Replayed"] == "true"
    assert Attachment.objects.count() == 1
    body = assert_error(
        upload(client, tokens, content=PDF + b"%", key=key), 409, "idempotency_conflict"
    )
    assert body["field"] == "Idempotency-Key"


def test_refused_uploads_say_why(tokens, client, settings):
    body = assert_error(upload(client, tokens, b"MZ\x90\x00program", "a.pdf"), 422, "file_type")
    assert body["field"] == "file"
    assert_error(upload(client, tokens, b"", "empty.pdf"), 422, "file_empty")
    settings.MIZAN_UPLOAD_MAX_BYTES = 10
    assert_error(upload(client, tokens), 422, "file_too_large")
    response = call(client, "post", "/uploads", {}, token=tokens["access_token"], key="k")
    assert_error(response, 422, "input_required")
    assert Attachment.objects.count() == 0


def test_phone_b_cannot_file_phone_a_s_upload(tokens, client):
    attachment_id = upload(client, tokens).json()["id"]
    other = sign_in(client, PHONE_B)
    response = file_by_api(client, other, complaint_fields(), attachment_ids=[attachment_id])
    body = assert_error(response, 422, "invalid")
    assert body["details"]["fields"][0]["code"] == "attachment_unknown"
    assert Attachment.objects.get(pk=attachment_id).case_id is None
    # Every refusal at once: the documents' and the fields'.
    response = file_by_api(
        client, other, complaint_fields(facts="Short."), attachment_ids=[attachment_id]
    )
    rows = assert_error(response, 422, "invalid")["details"]["fields"]
    assert {row["field"] for row in rows} == {"attachment_ids", "facts"}


# --- my requests: lists, details, timeline, and nothing of another phone -------------------


def test_my_requests_are_paged_by_cursor(tokens, client):
    references = [file_complaint(phone=PHONE_A).case.reference for _ in range(3)]
    file_complaint(phone=PHONE_B)
    first = call(client, "get", "/requests", {"limit": 2}, token=tokens["access_token"]).json()
    assert [item["reference"] for item in first["items"]] == references[::-1][:2]
    second = call(
        client,
        "get",
        "/requests",
        {"limit": 2, "cursor": first["next_cursor"]},
        token=tokens["access_token"],
    ).json()
    assert [item["reference"] for item in second["items"]] == [references[0]]
    assert second["next_cursor"] is None
    response = call(client, "get", "/requests", {"cursor": "forged"}, token=tokens["access_token"])
    assert_error(response, 400, "invalid_cursor")
    response = call(client, "get", "/requests", {"limit": 1000}, token=tokens["access_token"])
    assert_error(response, 422, "invalid")
    # A cursor is bound to its phone.
    other = sign_in(client, PHONE_B)
    response = call(
        client, "get", "/requests", {"cursor": first["next_cursor"]}, token=other["access_token"]
    )
    assert_error(response, 400, "invalid_cursor")


def test_the_list_is_the_citizen_space_s(tokens, client):
    file_complaint(phone=PHONE_A)
    region = Region.objects.order_by("pk").first()
    case_submit(
        procedure="grievance",
        filer_name="A relative",
        filer_phone="+212699999999",
        language="fr",
        commune=None,
        details={"region": region.pk, "concerned": {"name": "Amina", "phone": PHONE_A}},
    )
    file_complaint(phone=PHONE_B)
    listed = call(client, "get", "/requests", token=tokens["access_token"]).json()["items"]
    assert [item["reference"] for item in listed] == [
        case.reference for case in cases_for_phone(phone=PHONE_A)
    ]
    concerned = next(item for item in listed if item["procedure"] == "grievance")
    assert concerned["is_filer"] is False and concerned["awaiting_you"] is False


def test_phone_a_s_token_never_reads_phone_b_s_data(tokens, client):
    theirs = file_complaint(phone=PHONE_B).case
    upload_b = upload(client, sign_in(client, PHONE_B)).json()["id"]
    token = tokens["access_token"]
    for path in ("", "/timeline", "/receipt.pdf"):
        response = call(client, "get", f"/requests/{theirs.reference}{path}", token=token)
        assert_error(response, 404, "not_found")
    response = call(
        client,
        "post",
        f"/requests/{theirs.reference}/steps/withdraw",
        {"confirm": True},
        token=token,
        key=str(uuid.uuid4()),
    )
    assert_error(response, 404, "not_found")
    assert call(client, "get", "/requests", token=token).json()["items"] == []
    assert call(client, "get", "/notifications", token=token).json()["items"] == []
    theirs.refresh_from_db()
    assert theirs.status == "received"
    assert Attachment.objects.get(pk=upload_b).case_id is None
    # Unknown and someone else's look the same: nothing says the reference exists.
    mine_unknown = call(client, "get", "/requests/PLT-2026-999999-X", token=token)
    assert (
        mine_unknown.json()["message"]
        == call(client, "get", f"/requests/{theirs.reference}", token=token).json()["message"]
    )


def test_a_request_in_the_citizen_s_words(tokens, client, office):
    case = file_complaint(phone=PHONE_A).case
    register_and_assign(case, clerk=office["clerk"], prosecutor=office["prosecutor"])
    case_transition(
        case_id=case.pk,
        step_name="request_information",
        actor=office["prosecutor"],
        message="Send the invoice of the phone.",
        note="INTERNAL: check the CCTV.",
    )
    response = call(client, "get", f"/requests/{case.reference}", token=tokens["access_token"])
    assert response.status_code == 200
    detail = response.json()
    assert detail["status"] == "info_requested" and detail["awaiting_you"] is True
    assert detail["status_label"] == "Waiting for information from you"
    assert detail["explanation"].startswith("The office needs something from you")
    steps = {step["name"]: step for step in detail["steps"]}
    assert set(steps) == {"provide_information", "withdraw"}
    assert steps["provide_information"]["message_required"] is True
    assert steps["withdraw"]["confirm_required"] is True
    assert {f["name"] for f in steps["withdraw"]["fields"]} == {"message", "confirm"}
    timeline = call(
        client, "get", f"/requests/{case.reference}/timeline", token=tokens["access_token"]
    ).json()["items"]
    assert timeline[0]["label"] == "Filed"
    assert timeline[-1]["message"] == "Send the invoice of the phone."
    assert "INTERNAL" not in json.dumps(timeline) and "INTERNAL" not in json.dumps(detail)


def test_answering_with_a_document_then_conflicts_are_409(tokens, client, office):
    case = file_complaint(phone=PHONE_A).case
    register_and_assign(case, clerk=office["clerk"], prosecutor=office["prosecutor"])
    case_transition(
        case_id=case.pk,
        step_name="request_information",
        actor=office["prosecutor"],
        message="Send the invoice.",
    )
    path = f"/requests/{case.reference}/steps/provide_information"
    token = tokens["access_token"]
    body = assert_error(call(client, "post", path, {}, token=token, key="a1"), 422, "invalid")
    assert body["details"]["fields"][0]["field"] == "message"
    attachment_id = upload(client, tokens).json()["id"]
    key = str(uuid.uuid4())
    payload = {"message": "Here is the invoice.", "attachment_ids": [attachment_id]}
    response = call(client, "post", path, payload, token=token, key=key)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "info_provided"
    event = case.events.get(step="provide_information")
    assert list(Attachment.objects.filter(case_event=event).values_list("id", flat=True)) == [
        attachment_id
    ]
    # The retry of the same call: the same answer, not a conflict.
    retry = call(client, "post", path, payload, token=token, key=key)
    assert retry.status_code == 200 and retry["Idempotent-Replayed"] == "true"
    # A new call on a request that moved on: 409.
    response = call(client, "post", path, {"message": "Again."}, token=token, key="a2")
    assert_error(response, 409, "conflict")
    response = call(
        client,
        "post",
        f"/requests/{case.reference}/steps/withdraw",
        {"confirm": True, "expected_status": "info_requested"},
        token=token,
        key="a3",
    )
    assert_error(response, 409, "conflict")
    response = call(
        client, "post", f"/requests/{case.reference}/steps/register", {}, token=token, key="a4"
    )
    assert_error(response, 404, "unknown_step")


def test_withdrawing_needs_the_confirmation(tokens, client):
    case = file_complaint(phone=PHONE_A).case
    path = f"/requests/{case.reference}/steps/withdraw"
    token = tokens["access_token"]
    body = assert_error(
        call(client, "post", path, {}, token=token, key="w1", language="fr"), 422, "invalid"
    )
    with translation.override("fr"):
        assert body["details"]["fields"][0]["message"] == gettext(
            "Tick the box to confirm the withdrawal."
        )
    attachment_id = upload(client, tokens).json()["id"]
    response = call(
        client,
        "post",
        path,
        {"confirm": True, "attachment_ids": [attachment_id]},
        token=token,
        key="w2",
    )
    assert_error(response, 422, "no_uploads")
    response = call(client, "post", path, {"confirm": True}, token=token, key="w3")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert response.json()["steps"] == [] and response.json()["closed"] is True


def test_the_person_concerned_reads_but_cannot_act(tokens, client):
    region = Region.objects.order_by("pk").first()
    filed = case_submit(
        procedure="grievance",
        filer_name="A relative",
        filer_phone=PHONE_B,
        language="fr",
        commune=None,
        details={"region": region.pk, "concerned": {"name": "Amina", "phone": PHONE_A}},
    )
    path = f"/requests/{filed.case.reference}"
    detail = call(client, "get", path, token=tokens["access_token"]).json()
    assert detail["is_filer"] is False and detail["steps"] == []
    response = call(
        client,
        "post",
        f"{path}/steps/withdraw",
        {"confirm": True},
        token=tokens["access_token"],
        key="c1",
    )
    assert_error(response, 403, "forbidden")


# --- receipts and notifications -------------------------------------------------------------


def test_the_receipt_downloads_and_verifies(tokens, client):
    reference = file_by_api(client, tokens).json()["reference"]
    response = call(
        client,
        "get",
        f"/requests/{reference}/receipt.pdf",
        token=tokens["access_token"],
        language="fr",
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    pdf = response.content
    verified = call(
        client,
        "post",
        "/receipts/verify",
        {"receipt": SimpleUploadedFile("r.pdf", pdf), "reference": reference},
    ).json()
    assert verified["genuine"] is True and verified["reference"] == reference
    assert verified["language"] == "fr"
    altered = call(
        client, "post", "/receipts/verify", {"receipt": SimpleUploadedFile("r.pdf", PDF)}
    ).json()
    assert altered["genuine"] is False and altered["reason"] == "not_a_receipt"
    body = assert_error(
        call(client, "post", "/receipts/verify", {"reference": "x"}), 422, "invalid"
    )
    assert body["details"]["fields"][0]["field"] == "receipt"


def test_my_notifications_are_the_sms_about_my_requests(tokens, client):
    file_by_api(client, tokens)
    file_by_api(client, tokens)
    file_complaint(phone=PHONE_B)
    token = tokens["access_token"]
    page = call(client, "get", "/notifications", {"limit": 1}, token=token).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = call(
        client, "get", "/notifications", {"cursor": page["next_cursor"]}, token=token
    ).json()
    items = page["items"] + rest["items"]
    assert len(items) == 2 and rest["next_cursor"] is None
    # The one-time code SMS is not a notification about a request.
    assert Notification.objects.filter(recipient=PHONE_A, case__isnull=True).exists()
    assert {item["id"] for item in items} == set(
        Notification.objects.filter(recipient=PHONE_A, case__isnull=False).values_list(
            "id", flat=True
        )
    )


# --- reference data ---------------------------------------------------------------------------


def test_reference_data_is_public_cacheable_and_filtered(reference_data, client):
    regions = call(client, "get", "/reference/regions")
    assert regions.status_code == 200 and len(regions.json()) == Region.objects.count()
    assert regions["Cache-Control"] == "public, max-age=86400" and regions["ETag"]
    region = regions.json()[0]["code"]
    provinces = call(client, "get", "/reference/provinces", {"region": region}).json()
    assert {p["code"] for p in provinces} == set(
        Province.objects.filter(region_id=region).values_list("code", flat=True)
    )
    province = provinces[0]["code"]
    communes = call(client, "get", "/reference/communes", {"province": province}).json()
    assert communes and all(c["province"] == province for c in communes)
    assert call(client, "get", "/reference/courts").json()[0]["kind_label"]
    assert call(client, "get", "/reference/prisons").status_code == 200
    arabic = call(client, "get", "/reference/regions", language="ar").json()
    assert ARABIC.search(arabic[0]["name"]) and arabic[0]["name"] == arabic[0]["name_ar"]
    # Revalidation, also with the weak tag that compression gives.
    for tag in (regions["ETag"], "W/" + regions["ETag"]):
        again = call(client, "get", "/reference/regions", headers={"If-None-Match": tag})
        assert again.status_code == 304 and again["ETag"] == regions["ETag"]


# --- rate limits, unknown endpoints ------------------------------------------------------------


def test_too_many_calls_from_one_address_are_429_with_retry_after(reference_data, client, settings):
    settings.MIZAN_API_MAX_PER_IP_PER_MINUTE = 2
    assert call(client, "get", "/reference/regions").status_code == 200
    assert call(client, "get", "/reference/regions").status_code == 200
    response = call(client, "get", "/reference/regions", language="fr")
    body = assert_error(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert body["details"]["retry_after"] == int(response["Retry-After"])
    with translation.override("fr"):
        assert body["message"] == gettext("Too many requests. Please wait a little and try again.")
    # Another address has its own budget.
    assert call(client, "get", "/reference/regions", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_too_many_calls_with_one_token_are_429(tokens, client, settings):
    settings.MIZAN_API_MAX_PER_TOKEN_PER_MINUTE = 2
    token = tokens["access_token"]
    assert call(client, "get", "/requests", token=token).status_code == 200
    assert call(client, "get", "/requests", token=token).status_code == 200
    response = call(client, "get", "/requests", token=token)
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1
    # Another sign-in has its own budget.
    assert (
        call(client, "get", "/requests", token=sign_in(client)["access_token"]).status_code == 200
    )


def test_too_many_codes_for_one_phone_are_429_with_retry_after(reference_data, client, settings):
    settings.MIZAN_OTP_MAX_PER_PHONE_PER_HOUR = 1
    assert call(client, "post", "/auth/code", {"phone": PHONE_A}).status_code == 200
    response = call(client, "post", "/auth/code", {"phone": PHONE_A})
    assert_error(response, 429, "rate_limited")
    assert 3500 <= int(response["Retry-After"]) <= 3600


def test_an_unknown_endpoint_is_a_json_404(db, client):
    assert_error(call(client, "get", "/nothing/here"), 404, "not_found")
    assert_error(call(client, "post", "/requests/x/y/z", {}), 404, "not_found")


# --- housekeeping and concurrency ------------------------------------------------------------


def test_expired_records_and_dead_sign_ins_are_purged(tokens, client):
    file_by_api(client, tokens)
    ended = sign_in(client)
    call(client, "post", "/auth/revoke", {"token": ended["access_token"]})
    assert api_expired_purge() == (0, 1)
    later = timezone.now() + timedelta(days=31)
    assert api_expired_purge(now=later) == (1, 1)
    assert TokenFamily.objects.count() == 0 and IdempotencyRecord.objects.count() == 0
    out = StringIO()
    call_command("purge_api", stdout=out)
    assert "Deleted 0 idempotency records" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_retries_with_one_key_file_once(reference_data):
    tokens = sign_in(Client())
    key = str(uuid.uuid4())
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def post(index):
        try:
            barrier.wait()
            results[index] = file_by_api(Client(), tokens, key=key)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [r.status_code for r in results] == [201, 201]
    assert results[0].json() == results[1].json()
    assert Case.objects.filter(filer_phone=PHONE_A).count() == 1


def test_a_method_an_address_does_not_take_is_refused_in_json(db):
    from django.test import Client

    response = Client().delete("/api/v1/procedures", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert "GET" in response["Allow"]
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert body["message"].startswith("Cette adresse n’accepte pas DELETE")


def test_the_audit_log_of_sign_ins_holds_no_phone_number(tokens, client):
    from mizan.core.audit import citizen_label
    from mizan.core.models import AuditEntry

    call(client, "post", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    call(client, "post", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    sign_ins = AuditEntry.objects.filter(action__startswith="api.")
    assert {entry.action for entry in sign_ins} == {"api.signed_in", "api.refresh_reused"}
    digits = PHONE_A.lstrip("+")[3:]
    for entry in sign_ins:
        assert entry.actor_label == citizen_label(PHONE_A)
        assert digits not in json.dumps([entry.object_id, entry.actor_label, entry.data])


def test_a_form_body_sent_where_json_is_expected_is_a_clear_400(reference_data, client):
    """A multipart body to a JSON operation: said what to send, not a server error."""
    response = client.post(
        "/api/v1/auth/code", {"phone": PHONE_A}, HTTP_ACCEPT_LANGUAGE="fr"
    )  # the test client sends multipart by default
    assert_error(response, 400, "bad_request")
    assert "JSON" in response.json()["message"]
