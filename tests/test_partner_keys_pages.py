"""The exchange page where an office's commissaire creates and revokes the office's API
keys: the key shown once and never kept, a clerk and other offices kept out, the form's
errors in the project's pattern, every change in the audit log."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from mizan.api.models import PartnerKey
from mizan.core.models import AuditEntry
from mizan.exchange.models import OfficeMember

from .exchange_factories import member, office, registry_clerk
from .factories import verified_login

KEY = re.compile(r"mzp_[a-z2-9]{8}_[A-Za-z0-9_-]{43}")


@pytest.fixture(autouse=True)
def default_language_after():
    # Each request activates its language for the thread; the next test file must start
    # from the default (its reverse() and pages depend on it).
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def offices(reference_data):
    alpha, beta = office("CDJ-CASA-1", name="Étude Alpha"), office("CDJ-CASA-2")
    commissaire = member("commissaire.a", alpha)
    return {
        "alpha": alpha,
        "commissaire": commissaire,
        "commissaire_client": verified_login(Client(), commissaire),
        "clerk_client": verified_login(Client(), member("clerc.a", alpha, OfficeMember.Role.CLERK)),
        "other_client": verified_login(Client(), member("commissaire.b", beta)),
        "registry_client": verified_login(Client(), registry_clerk("greffe.casa")),
    }


def keys_url(language="fr"):
    return f"/{language}/backoffice/exchange/keys/"


def test_the_commissaire_creates_a_key_and_sees_it_once(offices):
    browser = offices["commissaire_client"]
    inbox = browser.get(reverse("exchange:inbox"))
    assert "/backoffice/exchange/keys/" in inbox.content.decode()
    page = browser.get(keys_url())
    assert page.status_code == 200
    assert "Clés d'API de l'étude" in page.content.decode()
    response = browser.post(
        keys_url(),
        {"name": "Logiciel Alpha", "scopes": ["exchange:read", "exchange:report"]},
    )
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    secret = KEY.search(response.content.decode()).group(0)
    key = PartnerKey.objects.get()
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.acting_user == offices["commissaire"] == key.created_by
    assert key.scopes == ["exchange:read", "exchange:report"] and key.expires_at is None
    # It works, and the list shows its beginning only.
    cache.clear()
    answer = Client().get("/api/v1/exchange/key", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200
    listing = browser.get(keys_url()).content.decode()
    assert secret not in listing and f"{key.display_prefix}_…" in listing
    entry = AuditEntry.objects.get(action="api.partner_key_created")
    assert entry.actor == offices["commissaire"] and secret.split("_", 2)[2] not in str(entry.data)


def test_an_expiry_day_is_the_end_of_that_day_in_morocco(offices):
    day = timezone.localdate() + timedelta(days=30)
    response = offices["commissaire_client"].post(
        keys_url(), {"name": "Prestataire", "scopes": ["exchange:read"], "expires_on": day}
    )
    assert response.status_code == 200
    expires = timezone.localtime(PartnerKey.objects.get().expires_at)
    assert (expires.date(), expires.hour, expires.minute) == (day, 23, 59)


def test_the_form_says_what_to_correct_and_keeps_what_was_typed(offices):
    browser = offices["commissaire_client"]
    response = browser.post(keys_url("en"), {"name": "Logiciel", "scopes": []})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-summary"' in html and "at least one permission" in html
    assert 'value="Logiciel"' in html
    yesterday = timezone.localdate() - timedelta(days=2)
    response = browser.post(
        keys_url("en"), {"name": "x", "scopes": ["exchange:read"], "expires_on": yesterday}
    )
    assert response.status_code == 400 and "must be in the future" in response.content.decode()
    response = browser.post(keys_url("ar"), {"name": "", "scopes": ["exchange:read"]})
    assert response.status_code == 400 and "أعطِ المفتاح اسمًا." in response.content.decode()
    assert not PartnerKey.objects.exists()


def test_the_commissaire_revokes_a_key_of_the_office_only(offices):
    browser = offices["commissaire_client"]
    browser.post(keys_url(), {"name": "Ancien logiciel", "scopes": ["exchange:read"]})
    key = PartnerKey.objects.get()
    revoke = f"{keys_url()}{key.pk}/revoke/"
    assert browser.get(revoke).status_code == 405
    response = browser.post(revoke)
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == offices["commissaire"]
    page = browser.get(keys_url()).content.decode()
    assert "Ancien logiciel" in page and "révoquée le" in page
    assert AuditEntry.objects.filter(action="api.partner_key_revoked").count() == 1


def test_a_key_of_another_office_is_not_found(offices):
    browser = offices["commissaire_client"]
    offices["other_client"].post(keys_url(), {"name": "Beta", "scopes": ["exchange:read"]})
    beta_key = PartnerKey.objects.get()
    assert browser.post(f"{keys_url()}{beta_key.pk}/revoke/").status_code == 404
    beta_key.refresh_from_db()
    assert beta_key.revoked_at is None


@pytest.mark.parametrize("who", ["clerk_client", "registry_client"])
def test_a_clerk_or_a_registry_member_has_no_key_page(offices, who):
    browser = offices[who]
    assert browser.get(keys_url()).status_code == 403
    assert browser.post(keys_url(), {"name": "x", "scopes": ["exchange:read"]}).status_code == 403
    assert not PartnerKey.objects.exists()
    if who == "clerk_client":
        inbox = browser.get(reverse("exchange:inbox")).content.decode()
        assert "/backoffice/exchange/keys/" not in inbox


def test_the_page_needs_both_factors(offices):
    response = Client().get(keys_url())
    assert response.status_code == 302 and "login" in response["Location"]
