"""/api/v1/exchange: the commissaires' offices' software, with their office's API key —
keys (hash only, shown once, scopes, revocation, expiry), the inbox, a file, its
documents, every office step through `exchange_file_transition`, idempotent retries,
the per-key budget, another office's files answered 404 and audited."""

import hashlib
import json
import re
import uuid
from datetime import timedelta
from typing import get_args

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from mizan.api import schemas
from mizan.api.models import IdempotencyRecord, PartnerKey
from mizan.api.services import partner_key_create, partner_key_revoke
from mizan.core.audit import audit_verify
from mizan.core.errors import DomainError
from mizan.core.models import AuditEntry
from mizan.exchange import workflow
from mizan.exchange.models import (
    ExchangeAttempt,
    ExchangeDocument,
    ExchangeFile,
    ExchangeRecovery,
    OfficeMember,
)
from mizan.exchange.services import exchange_file_transition, exchange_seals_verify

from .exchange_factories import PDF, member, office, registry_clerk, send_file
from .factories import verified_login

API = "/api/v1/exchange"
ARABIC = re.compile(r"[\u0600-\u06ff]")
ERROR_KEYS = {"code", "message", "field", "details"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ALL_SCOPES = list(PartnerKey.Scope.values)


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def default_language_after():
    # Each request activates its language for the thread; the next test file must start
    # from the default (its reverse() and pages depend on it).
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    # Five log-ins per test: the production hasher's cost is not what is tested here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_rate_counters():
    # Every test client calls from 127.0.0.1: budgets must not carry over between tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def world(reference_data):
    """Two offices of the Casablanca area, their commissaires and a clerk, a registry
    clerk; a service and an enforcement file for office A, one service file for B."""
    office_a = office("CDJ-CASA-1", name="Étude Alpha")
    office_b = office("CDJ-CASA-2", name="Étude Beta")
    commissaire_a = member("commissaire.a", office_a)
    clerk_a = member("clerc.a", office_a, OfficeMember.Role.CLERK)
    commissaire_b = member("commissaire.b", office_b)
    greffe = registry_clerk("greffe.casa")
    return {
        "office_a": office_a,
        "office_b": office_b,
        "commissaire_a": commissaire_a,
        "clerk_a": clerk_a,
        "commissaire_b": commissaire_b,
        "greffe": greffe,
        "service": send_file(greffe, office=office_a),
        "enforcement": send_file(greffe, kind=ExchangeFile.Kind.ENFORCEMENT, office=office_a),
        "other": send_file(greffe, office=office_b),
    }


def new_key(office_, user, scopes=None, **extra) -> str:
    return partner_key_create(
        office=office_,
        name=extra.pop("name", "Logiciel de l'étude"),
        scopes=ALL_SCOPES if scopes is None else scopes,
        acting_user=user,
        created_by=user,
        **extra,
    ).secret


@pytest.fixture
def key_a(world):
    return new_key(world["office_a"], world["commissaire_a"])


@pytest.fixture
def key_b(world):
    return new_key(world["office_b"], world["commissaire_b"])


def call(client, method, path, payload=None, *, key=None, idem=None, language="en", **extra):
    headers = {"Accept-Language": language}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if idem:
        headers["Idempotency-Key"] = idem
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


def step(client, key, file, name, payload=None, *, idem=None, **extra):
    return call(
        client,
        "post",
        f"/files/{file.reference}/{name}",
        {} if payload is None else payload,
        key=key,
        idem=idem or str(uuid.uuid4()),
        **extra,
    )


def report_upload(client, key, file, content=PDF, name="pv.pdf", *, idem=None):
    return step(
        client, key, file, "report", {"report": SimpleUploadedFile(name, content)}, idem=idem
    )


def attempt_payload(**overrides) -> dict:
    payload = {
        # Now: the files were sent a moment ago, and an attempt cannot precede them.
        "attempted_at": timezone.now().isoformat(),
        "place": "5 avenue Hassan II, Casablanca",
        "result": "absent",
        "note": "Personne au domicile.",
    }
    payload.update(overrides)
    return payload


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS and body["code"] == code and body["message"], body
    return body


def acknowledged(world, file):
    exchange_file_transition(file_id=file.pk, step_name="acknowledge", actor=world["commissaire_a"])
    return file


def with_report(world, file):
    from mizan.exchange.services import exchange_document_store

    from .exchange_factories import pdf_upload

    acknowledged(world, file)
    report = exchange_document_store(
        uploaded_file=pdf_upload("pv.pdf"), actor=world["commissaire_a"], pdf_only=True
    )
    exchange_file_transition(
        file_id=file.pk, step_name="upload_report", actor=world["commissaire_a"], report=report
    )
    return file


# --- the keys ---------------------------------------------------------------------------


def test_a_key_is_shown_once_and_only_its_hash_is_stored(world):
    issued = partner_key_create(
        office=world["office_a"],
        name="Logiciel",
        scopes=["exchange:read"],
        acting_user=world["commissaire_a"],
        created_by=world["commissaire_a"],
    )
    assert re.fullmatch(r"mzp_[a-z2-9]{8}_[A-Za-z0-9_-]{43}", issued.secret)
    key = PartnerKey.objects.get()
    assert issued.secret.startswith(key.display_prefix + "_")
    assert key.key_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    secret_part = issued.secret.split("_", 2)[2]
    stored = json.dumps(list(PartnerKey.objects.values()), default=str)
    assert secret_part not in stored
    audit = json.dumps(list(AuditEntry.objects.values("data")), default=str)
    assert secret_part not in audit and key.display_prefix in audit
    entry = AuditEntry.objects.get(action="api.partner_key_created")
    assert entry.actor == world["commissaire_a"]
    assert entry.object_id == "CDJ-CASA-1" and entry.data["scopes"] == ["exchange:read"]


def test_the_commissaire_or_an_administrator_creates_and_revokes_keys_a_clerk_does_not(world):
    with pytest.raises(DomainError) as refused:
        partner_key_create(
            office=world["office_a"],
            name="x",
            scopes=ALL_SCOPES,
            acting_user=world["clerk_a"],
            created_by=world["clerk_a"],
        )
    assert refused.value.code == "forbidden"
    with pytest.raises(DomainError) as refused:
        partner_key_create(
            office=world["office_a"],
            name="x",
            scopes=ALL_SCOPES,
            acting_user=world["commissaire_b"],
            created_by=world["commissaire_b"],
        )
    assert refused.value.code == "forbidden"
    # The commissaire may give the key a clerk's name; never a member of another office.
    partner_key_create(
        office=world["office_a"],
        name="Scanner",
        scopes=["exchange:report"],
        acting_user=world["clerk_a"],
        created_by=world["commissaire_a"],
    )
    with pytest.raises(DomainError) as refused:
        partner_key_create(
            office=world["office_a"],
            name="x",
            scopes=ALL_SCOPES,
            acting_user=world["commissaire_b"],
            created_by=world["commissaire_a"],
        )
    assert refused.value.field == "acting_user"
    for field, kwargs in [
        ("name", {"name": "  "}),
        ("scopes", {"scopes": []}),
        ("scopes", {"scopes": ["exchange:everything"]}),
        ("expires_at", {"expires_at": timezone.now() - timedelta(minutes=1)}),
    ]:
        arguments = {
            "office": world["office_a"],
            "name": "Logiciel",
            "scopes": ALL_SCOPES,
            "acting_user": world["commissaire_a"],
            "created_by": world["commissaire_a"],
            **kwargs,
        }
        with pytest.raises(DomainError) as refused:
            partner_key_create(**arguments)
        assert (refused.value.code, refused.value.field) == ("invalid", field)
    administrator = get_user_model().objects.create_superuser("root", "r@example.ma", "x" * 16)
    secret = new_key(world["office_a"], world["commissaire_a"])
    key = PartnerKey.objects.get(prefix=secret.split("_")[1])
    with pytest.raises(DomainError):
        partner_key_revoke(key_id=key.pk, actor=world["clerk_a"])
    partner_key_revoke(key_id=key.pk, actor=administrator)
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == administrator
    partner_key_revoke(key_id=key.pk, actor=administrator)  # again: nothing more
    assert AuditEntry.objects.filter(action="api.partner_key_revoked").count() == 1
    assert audit_verify().ok


def test_the_key_says_what_it_is(client, world, key_a):
    response = call(client, "get", "/key", key=key_a)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["key"] == key_a[:12] and key_a not in response.content.decode()
    assert body["office"] == {"registration_number": "CDJ-CASA-1", "name": "Étude Alpha"}
    assert body["acts_for"] == "Commissaire.A Test"
    assert body["scopes"] == ALL_SCOPES and body["expires_at"] is None
    assert PartnerKey.objects.get(prefix=key_a[4:12]).last_used_at is not None


# --- authentication ---------------------------------------------------------------------


def test_no_key_a_wrong_key_or_a_citizen_token_is_401(client, world, key_a):
    body = assert_error(call(client, "get", "/files"), 401, "unauthenticated")
    assert "mzp_" in body["message"]
    response = call(client, "get", "/files", headers={"Authorization": "Basic abc"})
    assert_error(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    wrong_secret = key_a[:-4] + ("AAAA" if not key_a.endswith("AAAA") else "BBBB")
    for presented in ["mzp_nothing", "mzn_at_abcdef", "mzp_zzzzzzzz_" + "a" * 43, wrong_secret]:
        response = call(client, "get", "/files", key=presented)
        assert_error(response, 401, "key_invalid")
        assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_revoked_key_stops_at_once(client, world, key_a):
    assert call(client, "get", "/files", key=key_a).status_code == 200
    partner_key_revoke(key_id=PartnerKey.objects.get().pk, actor=world["commissaire_a"])
    body = assert_error(call(client, "get", "/files", key=key_a), 401, "key_invalid")
    assert "revoked" in body["message"]


def test_an_expired_key_is_refused(client, world):
    key = new_key(
        world["office_a"], world["commissaire_a"], expires_at=timezone.now() + timedelta(days=1)
    )
    assert call(client, "get", "/files", key=key).status_code == 200
    # A day later (time moved by hand, as the exchange tests do with deadlines).
    PartnerKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(call(client, "get", "/files", key=key), 401, "key_expired")


def test_a_key_stops_when_its_member_or_office_is_no_longer_active(client, world, key_a):
    OfficeMember.objects.filter(user=world["commissaire_a"]).update(is_active=False)
    assert_error(call(client, "get", "/files", key=key_a), 401, "key_invalid")
    OfficeMember.objects.filter(user=world["commissaire_a"]).update(is_active=True)
    assert call(client, "get", "/files", key=key_a).status_code == 200
    world["office_a"].is_active = False
    world["office_a"].save()
    assert_error(call(client, "get", "/files", key=key_a), 401, "key_invalid")


def test_each_key_has_its_budget(client, world, key_a, key_b, settings):
    settings.MIZAN_API_MAX_PER_PARTNER_KEY_PER_MINUTE = 2
    for _ in range(2):
        assert call(client, "get", "/files", key=key_a).status_code == 200
    response = call(client, "get", "/files", key=key_a, language="fr")
    body = assert_error(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert body["details"]["retry_after"] == int(response["Retry-After"])
    assert "Trop" in body["message"] or "trop" in body["message"]
    # Another office's key is counted alone.
    assert call(client, "get", "/files", key=key_b).status_code == 200


# --- scopes -----------------------------------------------------------------------------


def test_each_operation_needs_its_scope(client, world):
    read_only = new_key(world["office_a"], world["commissaire_a"], ["exchange:read"])
    write_only = new_key(world["office_a"], world["commissaire_a"], ["exchange:write"])
    file = world["service"]
    assert call(client, "get", "/key", key=write_only).status_code == 200  # no scope needed
    for path in ["/files", f"/files/{file.reference}", f"/files/{file.reference}/documents/1"]:
        body = assert_error(call(client, "get", path, key=write_only), 403, "scope_missing")
        assert "exchange:read" in body["message"]
    for name, payload in [
        ("acknowledge", {}),
        ("attempts", attempt_payload()),
        ("recoveries", {"amount": "10", "recovered_on": timezone.localdate().isoformat()}),
        ("complete", {}),
        ("fail", {"reason": "Adresse introuvable."}),
    ]:
        body = assert_error(step(client, read_only, file, name, payload), 403, "scope_missing")
        assert "exchange:write" in body["message"]
    body = assert_error(report_upload(client, write_only, file), 403, "scope_missing")
    assert "exchange:report" in body["message"]
    file.refresh_from_db()
    assert file.status == workflow.SENT and not ExchangeDocument.objects.filter(role="report")
    # Refused before anything was looked up: no refused access audited either.
    assert not AuditEntry.objects.filter(action="exchange.access_denied").exists()


# --- reading ----------------------------------------------------------------------------


def test_the_inbox_lists_the_office_files_only_newest_first_page_by_page(client, world, key_a):
    response = call(client, "get", "/files", key=key_a)
    assert response.status_code == 200, response.content
    body = response.json()
    references = [item["reference"] for item in body["items"]]
    assert references == [world["enforcement"].reference, world["service"].reference]
    assert world["other"].reference not in response.content.decode()
    first = body["items"][1]
    assert first["status"] == "sent" and first["kind"] == "service" and first["overdue"] is False
    assert first["court_unit"]["code"] == "REG-TPI_CASA_CIVIL"
    assert first["status_label"] == "Sent, awaiting acknowledgement"
    page = call(client, "get", "/files", {"limit": 1}, key=key_a).json()
    assert [i["reference"] for i in page["items"]] == references[:1] and page["next_cursor"]
    after = call(client, "get", "/files", {"limit": 1, "cursor": page["next_cursor"]}, key=key_a)
    assert [i["reference"] for i in after.json()["items"]] == references[1:]
    assert after.json()["next_cursor"] is None


def test_the_inbox_filters_by_status_and_overdue(client, world, key_a):
    acknowledged(world, world["service"])
    ExchangeFile.objects.filter(pk=world["enforcement"].pk).update(
        deadline=timezone.localdate() - timedelta(days=1)
    )

    def listed(**query):
        response = call(client, "get", "/files", query, key=key_a)
        assert response.status_code == 200, response.content
        return [item["reference"] for item in response.json()["items"]]

    assert listed(status="acknowledged") == [world["service"].reference]
    assert listed(status="completed") == []
    assert listed(overdue="true") == [world["enforcement"].reference]
    assert listed(overdue="false") == [world["service"].reference]
    assert_error(call(client, "get", "/files", {"status": "lost"}, key=key_a), 422, "invalid")
    assert_error(call(client, "get", "/files", {"limit": 0}, key=key_a), 422, "invalid")


def test_a_cursor_is_bound_to_the_office(client, world, key_a):
    cursor = call(client, "get", "/files", {"limit": 1}, key=key_a).json()["next_cursor"]
    other_key = new_key(world["office_b"], world["commissaire_b"])
    response = call(client, "get", "/files", {"cursor": cursor}, key=other_key)
    assert_error(response, 400, "invalid_cursor")
    assert_error(call(client, "get", "/files", {"cursor": "x"}, key=key_a), 400, "invalid_cursor")


def test_changed_since_lists_the_office_changes_oldest_first_page_by_page(client, world, key_a):
    since = timezone.now()
    acknowledged(world, world["enforcement"])
    acknowledged(world, world["service"])
    exchange_file_transition(
        file_id=world["other"].pk, step_name="acknowledge", actor=world["commissaire_b"]
    )

    def listed(**query):
        response = call(client, "get", "/files", query, key=key_a)
        assert response.status_code == 200, response.content
        return response.json()

    body = listed(changed_since=since.isoformat())
    references = [item["reference"] for item in body["items"]]
    assert references == [world["enforcement"].reference, world["service"].reference]
    changed = [item["changed_at"] for item in body["items"]]
    assert changed == sorted(changed) and body["next_cursor"] is None
    # At or after: the instant of a change includes that change.
    at = ExchangeFile.objects.get(pk=world["service"].pk).changed_at
    assert [i["reference"] for i in listed(changed_since=at.isoformat())["items"]] == [
        world["service"].reference
    ]
    assert listed(changed_since=timezone.now().isoformat())["items"] == []
    # The service file changes again while the pages are read: it is met again, at the end.
    page = listed(changed_since=since.isoformat(), limit=1)
    assert [i["reference"] for i in page["items"]] == references[:1] and page["next_cursor"]
    exchange_file_transition(
        file_id=world["enforcement"].pk,
        step_name="record_recovery",
        actor=world["commissaire_a"],
        recovery={"amount": "10.00", "recovered_on": timezone.localdate()},
    )
    rest = listed(changed_since=since.isoformat(), limit=5, cursor=page["next_cursor"])
    assert [i["reference"] for i in rest["items"]] == [
        world["service"].reference,
        world["enforcement"].reference,
    ]
    # "+01:00" sent unencoded arrives as " 01:00": read as the offset it was.
    local = since.astimezone(timezone.get_fixed_timezone(60)).isoformat().replace("+", " ")
    assert len(listed(changed_since=local)["items"]) == 2
    # A page link of the newest-first list is no position in the changes, nor the reverse.
    newest = listed(limit=1)["next_cursor"]
    refused = call(
        client, "get", "/files", {"changed_since": since.isoformat(), "cursor": newest}, key=key_a
    )
    assert_error(refused, 400, "invalid_cursor")


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-11-23T08:00:00", "2026-13-01T00:00:00Z", "0001-01-01T00:30+01:00"]
)
def test_a_bad_changed_since_is_422_with_the_format_in_the_caller_language(
    client, world, key_a, value
):
    bodies = {
        language: assert_error(
            call(client, "get", "/files", {"changed_since": value}, key=key_a, language=language),
            422,
            "invalid",
        )
        for language in ("en", "fr", "ar")
    }
    assert all(body["field"] == "changed_since" for body in bodies.values())
    assert all("2026-11-23T08:00:00Z" in body["message"] for body in bodies.values())
    assert "ISO 8601" in bodies["en"]["message"] and "offset" in bodies["en"]["message"]
    assert bodies["fr"]["message"] != bodies["en"]["message"]
    assert ARABIC.search(bodies["ar"]["message"])


def test_a_file_with_its_documents_history_and_steps_read_is_audited(client, world, key_a):
    file = world["enforcement"]
    response = call(client, "get", f"/files/{file.reference.lower()}", key=key_a)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["reference"] == file.reference and body["amount_due"] == "10000.00"
    assert body["amount_recovered"] == "0.00" and body["parties"]
    assert [s["name"] for s in body["steps"]] == ["acknowledge"]
    (document,) = body["documents"]
    assert document["role"] == "sent" and document["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert document["download_url"] == f"{API}/files/{file.reference}/documents/{document['id']}"
    (sent,) = body["history"]
    assert sent["step"] == "send" and sent["side"] == "court" and sent["via"] is None
    assert sent["documents"] == [document["id"]] and len(sent["seal_hash"]) == 64
    entry = AuditEntry.objects.get(action="exchange.read_file")
    assert entry.object_id == file.reference and entry.actor == world["commissaire_a"]
    assert entry.data == {"via": {"api_key": key_a[:12], "name": "Logiciel de l'étude"}}


def test_another_office_file_is_404_and_the_refusal_audited(client, world, key_a):
    other = world["other"]
    for method, path, payload in [
        ("get", f"/files/{other.reference}", None),
        ("get", f"/files/{other.reference}/documents/1", None),
        ("post", f"/files/{other.reference}/acknowledge", {}),
        ("post", f"/files/{other.reference}/attempts", attempt_payload()),
        ("post", f"/files/{other.reference}/complete", {}),
        ("post", f"/files/{other.reference}/fail", {"reason": "x"}),
        ("post", f"/files/{other.reference}/report", {"report": SimpleUploadedFile("a.pdf", PDF)}),
    ]:
        response = call(client, method, path, payload, key=key_a, idem=str(uuid.uuid4()))
        body = assert_error(response, 404, "not_found")
    unknown = call(client, "get", "/files/CDJ-2026-999999-X", key=key_a)
    assert assert_error(unknown, 404, "not_found")["message"] == body["message"]
    other.refresh_from_db()
    assert other.status == workflow.SENT and not other.attempts.exists()
    denied = AuditEntry.objects.filter(action="exchange.access_denied")
    assert denied.count() == 8
    assert {e.object_id for e in denied} == {other.reference, "CDJ-2026-999999-X"}
    assert all(e.data["via"]["api_key"] == key_a[:12] for e in denied)
    assert all(e.actor == world["commissaire_a"] for e in denied)
    assert not AuditEntry.objects.filter(action="exchange.read_file").exists()


def test_a_member_who_also_sits_in_a_registry_gets_no_court_side_file(client, world):
    # The same log-in is a registry clerk and a member of office A: its key sees office
    # A's files only, not the files its registry sent to office B.
    both = registry_clerk("greffe.et.etude")
    member("greffe.et.etude", world["office_a"], OfficeMember.Role.COMMISSAIRE)
    key = new_key(world["office_a"], both)
    sent_to_b = send_file(both, office=world["office_b"])
    assert_error(call(client, "get", f"/files/{sent_to_b.reference}", key=key), 404, "not_found")
    listed = call(client, "get", "/files", key=key).json()["items"]
    assert sent_to_b.reference not in {item["reference"] for item in listed}


def test_a_document_is_downloaded_as_sealed_and_the_read_audited(client, world, key_a):
    file = world["service"]
    document = file.documents.get()
    path = f"/files/{file.reference}/documents/{document.pk}"
    response = call(client, "get", path, key=key_a)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith("attachment")
    entry = AuditEntry.objects.get(action="exchange.read_document")
    assert entry.data["via"]["api_key"] == key_a[:12]
    # A document of another file (even of the same office) is not this file's.
    elsewhere = world["enforcement"].documents.get()
    response = call(client, "get", f"/files/{file.reference}/documents/{elsewhere.pk}", key=key_a)
    assert_error(response, 404, "not_found")


# --- the office's steps -----------------------------------------------------------------


def test_acknowledge_is_sealed_in_the_member_name_and_names_the_key(client, world, key_a):
    file = world["service"]
    response = step(client, key_a, file, "acknowledge")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "acknowledged" and body["acknowledged_at"]
    assert [s["name"] for s in body["steps"]] == ["record_attempt", "upload_report"]
    last = body["history"][-1]
    assert last["step"] == "acknowledge" and last["author"] == "Commissaire.A Test"
    assert last["via"] == {"api_key": key_a[:12], "name": "Logiciel de l'étude"}
    event = file.events.get(step="acknowledge")
    assert event.actor == world["commissaire_a"] and event.data["via"]["api_key"] == key_a[:12]
    assert event.audit_entry.data["data"]["via"]["api_key"] == key_a[:12]
    assert exchange_seals_verify(file=file) == [] and audit_verify().ok


def test_acknowledge_takes_no_body_at_all(client, world, key_a):
    file = world["service"]
    # As `curl -X POST` sends it: no body, no content type.
    response = client.generic(
        "POST",
        f"{API}/files/{file.reference}/acknowledge",
        headers={"Authorization": f"Bearer {key_a}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "acknowledged"


def test_a_retried_step_is_taken_once(client, world, key_a):
    file = acknowledged(world, world["service"])
    idem, payload = str(uuid.uuid4()), attempt_payload()
    first = step(client, key_a, file, "attempts", payload, idem=idem)
    assert first.status_code == 201, first.content
    again = step(client, key_a, file, "attempts", payload, idem=idem)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert ExchangeAttempt.objects.filter(file=file).count() == 1
    # The same key for something else is refused; a new key records a second attempt.
    other = step(client, key_a, file, "attempts", attempt_payload(place="Ailleurs"), idem=idem)
    assert_error(other, 409, "idempotency_conflict")
    assert step(client, key_a, file, "attempts", attempt_payload()).status_code == 201
    assert ExchangeAttempt.objects.filter(file=file).count() == 2
    # Idempotency keys are the key's: another office's key with the same value is not
    # answered the stored file (it gets its own 404).
    other_key = new_key(world["office_b"], world["commissaire_b"])
    assert_error(
        step(client, other_key, file, "attempts", attempt_payload(), idem=idem), 404, "not_found"
    )


def test_a_refused_step_keeps_nothing_so_the_key_can_be_used_again(client, world, key_a):
    file = world["service"]
    idem = str(uuid.uuid4())
    refused = step(client, key_a, file, "attempts", attempt_payload(), idem=idem)
    assert_error(refused, 409, "not_allowed")  # not acknowledged yet
    assert not IdempotencyRecord.objects.exists()
    acknowledged(world, file)
    assert step(client, key_a, file, "attempts", attempt_payload(), idem=idem).status_code == 201


def test_steps_need_an_idempotency_key(client, world, key_a):
    file = world["service"]
    response = call(client, "post", f"/files/{file.reference}/acknowledge", {}, key=key_a)
    body = assert_error(response, 422, "invalid")
    assert body["field"] == "Idempotency-Key"
    file.refresh_from_db()
    assert file.status == workflow.SENT


def test_a_step_the_status_does_not_allow_is_409(client, world, key_a):
    file = world["service"]
    assert step(client, key_a, file, "acknowledge").status_code == 200
    body = assert_error(step(client, key_a, file, "acknowledge"), 409, "not_allowed")
    assert "Acknowledge receipt" in body["message"]
    assert_error(step(client, key_a, file, "complete"), 409, "not_allowed")
    assert_error(step(client, key_a, file, "fail", {"reason": "x"}), 409, "not_allowed")


def test_expected_status_tells_two_people_acting_at_once(client, world, key_a):
    file = world["service"]
    exchange_file_transition(file_id=file.pk, step_name="acknowledge", actor=world["clerk_a"])
    response = step(client, key_a, file, "attempts", attempt_payload(expected_status="sent"))
    assert_error(response, 409, "conflict")
    assert not ExchangeAttempt.objects.exists()


def test_attempts_are_checked_by_the_service(client, world, key_a):
    file = acknowledged(world, world["service"])
    for payload, field in [
        (attempt_payload(attempted_at="2026-01-01T10:00:00"), "attempted_at"),  # no offset
        (
            attempt_payload(attempted_at=(timezone.now() + timedelta(hours=2)).isoformat()),
            "attempted_at",
        ),
        (attempt_payload(place="  "), "place"),
    ]:
        body = assert_error(step(client, key_a, file, "attempts", payload), 422, "invalid")
        assert body["field"] == field
    assert_error(step(client, key_a, file, "attempts", attempt_payload(result="x")), 422, "invalid")
    response = step(client, key_a, file, "attempts", attempt_payload(result="in_person"))
    assert response.status_code == 201, response.content
    (attempt,) = response.json()["attempts"]
    assert attempt["result"] == "in_person" and attempt["result_label"] == "Served in person"
    assert attempt["place"] == "5 avenue Hassan II, Casablanca"


def test_amounts_recovered_on_an_enforcement_file_only(client, world, key_a):
    today = timezone.localdate().isoformat()
    service = acknowledged(world, world["service"])
    response = step(client, key_a, service, "recoveries", {"amount": "100", "recovered_on": today})
    assert_error(response, 409, "not_allowed")
    file = acknowledged(world, world["enforcement"])
    for payload, field in [
        ({"amount": "0", "recovered_on": today}, "amount"),
        ({"amount": "-5", "recovered_on": today}, "amount"),
        ({"amount": "1e15", "recovered_on": today}, "amount"),
        (
            {
                "amount": "10",
                "recovered_on": (timezone.localdate() + timedelta(days=1)).isoformat(),
            },
            "recovered_on",
        ),
    ]:
        body = assert_error(step(client, key_a, file, "recoveries", payload), 422, "invalid")
        assert body["field"] == field
    response = step(client, key_a, file, "recoveries", {"amount": 1500.5, "recovered_on": today})
    assert response.status_code == 201, response.content
    response = step(client, key_a, file, "recoveries", {"amount": "499.50", "recovered_on": today})
    body = response.json()
    assert [r["amount"] for r in body["recoveries"]] == ["1500.50", "499.50"]
    assert body["amount_recovered"] == "2000.00" and body["status"] == "acknowledged"
    assert ExchangeRecovery.objects.filter(file=file).count() == 2


def test_the_report_must_be_a_pdf_and_is_sealed(client, world, key_a):
    file = acknowledged(world, world["service"])
    body = assert_error(report_upload(client, key_a, file, PNG, "pv.png"), 422, "file_type")
    assert body["field"] == "report" and "pv.png" in body["message"]
    body = assert_error(report_upload(client, key_a, file, b"", "vide.pdf"), 422, "file_empty")
    assert body["field"] == "report"
    missing = step(client, key_a, file, "report", {"note": "nothing attached"})
    assert assert_error(missing, 422, "input_required")["field"] == "report"
    idem = str(uuid.uuid4())
    response = report_upload(client, key_a, file, idem=idem)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "report_uploaded"
    report = next(d for d in body["documents"] if d["role"] == "report")
    assert report["sha256"] == hashlib.sha256(PDF).hexdigest() and report["name"] == "pv.pdf"
    assert body["history"][-1]["documents"] == [report["id"]]
    # Sent again (a lost answer): the first answer, one report only.
    again = report_upload(client, key_a, file, idem=idem)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert ExchangeDocument.objects.filter(file=file, role="report").count() == 1
    assert exchange_seals_verify(file=file) == []


def test_complete_closes_the_file(client, world, key_a):
    file = with_report(world, world["service"])
    response = step(client, key_a, file, "complete", {"expected_status": "report_uploaded"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "completed" and body["closed_at"] and body["steps"] == []
    assert_error(step(client, key_a, file, "fail", {"reason": "x"}), 409, "not_allowed")


def test_fail_needs_its_reason(client, world, key_a):
    file = with_report(world, world["service"])
    body = assert_error(step(client, key_a, file, "fail", {"reason": "   "}), 422, "invalid")
    assert body["field"] == "reason"
    assert_error(step(client, key_a, file, "fail", {}), 422, "invalid")
    response = step(client, key_a, file, "fail", {"reason": "Adresse introuvable."})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "failed" and body["failure_reason"] == "Adresse introuvable."
    assert body["history"][-1]["reason"] == "Adresse introuvable."


def test_a_whole_file_through_the_api_then_its_pages_show_the_key(client, world, key_a):
    file = world["enforcement"]
    today = timezone.localdate().isoformat()
    assert step(client, key_a, file, "acknowledge").status_code == 200
    assert step(client, key_a, file, "attempts", attempt_payload()).status_code == 201
    assert (
        step(client, key_a, file, "recoveries", {"amount": "10", "recovered_on": today}).status_code
        == 201
    )
    assert report_upload(client, key_a, file).status_code == 201
    assert step(client, key_a, file, "complete").status_code == 200
    file.refresh_from_db()
    assert file.status == workflow.COMPLETED
    assert exchange_seals_verify(file=file) == [] and audit_verify().ok
    # The registry sees on the file's page that the steps came through the office's key.
    page = verified_login(Client(), world["greffe"]).get(
        reverse("exchange:file", kwargs={"reference": file.reference})
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("Logiciel de l&#x27;étude") == 5 and key_a[:12] in html


# --- languages and schema ---------------------------------------------------------------


def test_errors_come_in_the_caller_language(client, world, key_a):
    other = world["other"].reference
    arabic = assert_error(
        call(client, "get", f"/files/{other}", key=key_a, language="ar"), 404, "not_found"
    )
    french = assert_error(
        call(client, "get", f"/files/{other}", key=key_a, language="fr"), 404, "not_found"
    )
    english = assert_error(call(client, "get", f"/files/{other}", key=key_a), 404, "not_found")
    assert ARABIC.search(arabic["message"])
    assert french["message"] != english["message"] and not ARABIC.search(french["message"])
    body = assert_error(call(client, "get", "/files", language="ar"), 401, "unauthenticated")
    assert ARABIC.search(body["message"])
    read_only = new_key(world["office_a"], world["commissaire_a"], ["exchange:read"])
    body = assert_error(
        step(client, read_only, world["service"], "acknowledge", language="fr"),
        403,
        "scope_missing",
    )
    assert "exchange:write" in body["message"] and not body["message"].startswith("This")
    labels = call(client, "get", "/files", key=key_a, language="ar").json()["items"]
    assert all(ARABIC.search(item["status_label"]) for item in labels)


def test_the_schema_declares_the_partner_operations_with_their_errors(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    scheme = schema["components"]["securitySchemes"]["PartnerKeyBearer"]
    assert scheme["scheme"] == "bearer" and "mzp_" in scheme["description"]
    operations = {
        op["operationId"]: op
        for path, methods in schema["paths"].items()
        if path.startswith("/api/v1/exchange/")
        for op in methods.values()
    }
    assert set(operations) == {
        "partner_key",
        "partner_files",
        "partner_file",
        "partner_document",
        "partner_acknowledge",
        "partner_attempt",
        "partner_recovery",
        "partner_report",
        "partner_complete",
        "partner_fail",
    }
    for name, operation in operations.items():
        assert operation["tags"] == ["Partners"], name
        assert operation["security"] == [{"PartnerKeyBearer": []}], name
        assert {"400", "401", "403", "429"} <= set(operation["responses"]), name
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }, (name, status)
        if operation.get("requestBody") or name in {"partner_acknowledge", "partner_complete"}:
            header = [p for p in operation["parameters"] if p["in"] == "header"]
            assert header and header[0]["name"] == "Idempotency-Key" and header[0]["required"]
    assert {"404", "409", "422"} <= set(operations["partner_report"]["responses"])
    files = operations["partner_files"]
    since = next(p for p in files["parameters"] if p["name"] == "changed_since")
    assert since["in"] == "query" and '"format": "date-time"' in json.dumps(since["schema"])
    assert "422" in files["responses"]


def test_the_schema_enums_follow_the_workflow_and_the_models():
    assert set(get_args(schemas.ExchangeStatus)) == {state.name for state in workflow.STATES}
    assert set(get_args(schemas.AttemptResult)) == set(ExchangeAttempt.Result.values)


# --- administration ---------------------------------------------------------------------


@pytest.fixture
def administrator(reference_data):
    user = get_user_model().objects.create_superuser("root", "root@example.ma", "x" * 16)
    return verified_login(Client(), user)


def test_an_administrator_creates_a_key_and_sees_it_once(administrator, world, client):
    response = administrator.post(
        reverse("admin:api_partnerkey_add"),
        {
            "office": world["office_a"].pk,
            "name": "Logiciel Alpha",
            "acting_user": world["commissaire_a"].pk,
            "scopes": ["exchange:read", "exchange:write"],
            "expires_at_0": "",
            "expires_at_1": "",
        },
    )
    assert response.status_code == 200, response.content.decode()[:3000]
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    secret = re.search(r"mzp_[a-z2-9]{8}_[A-Za-z0-9_-]{43}", html).group(0)
    key = PartnerKey.objects.get()
    assert key.scopes == ["exchange:read", "exchange:write"] and key.created_by.username == "root"
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.split("_", 2)[2] not in json.dumps(list(PartnerKey.objects.values()), default=str)
    # It works, then never shows again: the change page has the prefix only.
    assert call(client, "get", "/files", key=secret).status_code == 200
    change = administrator.get(reverse("admin:api_partnerkey_change", args=[key.pk]))
    assert change.status_code == 200 and secret not in change.content.decode()
    assert key.display_prefix in change.content.decode()
    listing = administrator.get(reverse("admin:api_partnerkey_changelist"))
    assert listing.status_code == 200 and secret not in listing.content.decode()
    # Revoked from the list.
    response = administrator.post(
        reverse("admin:api_partnerkey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert_error(call(client, "get", "/files", key=secret), 401, "key_invalid")
    actions = list(
        AuditEntry.objects.filter(action__startswith="api.partner_key").values_list(
            "action", flat=True
        )
    )
    assert actions == ["api.partner_key_created", "api.partner_key_revoked"]


def test_the_admin_refuses_a_member_of_another_office_and_never_deletes_keys(administrator, world):
    response = administrator.post(
        reverse("admin:api_partnerkey_add"),
        {
            "office": world["office_a"].pk,
            "name": "Logiciel",
            "acting_user": world["commissaire_b"].pk,
            "scopes": ["exchange:read"],
        },
    )
    assert response.status_code == 200 and not PartnerKey.objects.exists()
    assert set(response.context["adminform"].form.errors) == {"acting_user"}
    new_key(world["office_a"], world["commissaire_a"])
    key = PartnerKey.objects.get()
    response = administrator.post(
        reverse("admin:api_partnerkey_delete", args=[key.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert PartnerKey.objects.exists()
