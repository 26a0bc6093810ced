"""Guessing is slow and bounded: staff passwords lock out; one-time codes have
limited tries, also when many requests arrive at once."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client, override_settings

from mizan.accounts.models import PhoneChallenge, Role
from mizan.accounts.services import phone_challenge_start, phone_challenge_verify
from mizan.core.errors import DomainError

from ..factories import PASSWORD, staff

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrency needs PostgreSQL"
)


def test_staff_log_in_locks_after_repeated_failures(reference_data, settings):
    settings.AXES_FAILURE_LIMIT = 3
    staff("clerk", "PROS-TPI_CASA_PENAL", Role.AGENT)
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(3):
        client.post("/fr/backoffice/login/", {"username": "clerk", "password": "wrong"})
    response = client.post("/fr/backoffice/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 429
    assert "verrouill" in response.content.decode().lower()
    # Someone else, elsewhere, is not locked out.
    other = Client(REMOTE_ADDR="192.0.2.99")
    response = other.post("/fr/backoffice/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302


def together(count, function):
    barrier = threading.Barrier(count)
    outcomes = []

    def run():
        try:
            barrier.wait()
            outcomes.append(function())
        except Exception as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@postgres_only
@pytest.mark.django_db(transaction=True)
@override_settings(MIZAN_OTP_MAX_ATTEMPTS=3)
def test_concurrent_wrong_codes_never_exceed_the_tries():
    challenge = phone_challenge_start(
        phone="+212612345678", purpose="filing", language="fr", ip_address=None
    )
    outcomes = together(
        12, lambda: phone_challenge_verify(challenge_id=challenge.pk, code="not-a-code")
    )
    assert all(isinstance(o, DomainError) for o in outcomes)
    assert PhoneChallenge.objects.get(pk=challenge.pk).attempts == 3


@postgres_only
@pytest.mark.django_db(transaction=True)
@override_settings(MIZAN_OTP_MAX_PER_PHONE_PER_HOUR=3)
def test_concurrent_code_requests_respect_the_hourly_limit():
    outcomes = together(
        10,
        lambda: phone_challenge_start(
            phone="+212612345678", purpose="filing", language="fr", ip_address=None
        ),
    )
    assert sum(isinstance(o, PhoneChallenge) for o in outcomes) == 3
    assert PhoneChallenge.objects.filter(phone="+212612345678").count() == 3
