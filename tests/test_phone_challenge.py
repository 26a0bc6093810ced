import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from mizan.accounts.models import PhoneChallenge
from mizan.accounts.services import phone_challenge_start, phone_challenge_verify
from mizan.core.errors import DomainError
from mizan.notifications.models import ConsoleMessage, Notification

PHONE = "+212612345678"


def start(phone=PHONE, ip="203.0.113.5"):
    return phone_challenge_start(phone=phone, purpose="filing", language="fr", ip_address=ip)


def sent_code(run_worker) -> str:
    run_worker()
    return re.search(r"\d{6}", ConsoleMessage.objects.latest("id").body).group(0)


def test_the_code_is_hashed_sent_once_and_accepted_once(db, run_worker):
    challenge = start()
    code = sent_code(run_worker)
    assert code not in challenge.code_hash
    notification = Notification.objects.get(template_key="phone.code")
    assert notification.status == "delivered" and code not in notification.body
    assert phone_challenge_verify(challenge_id=challenge.pk, code=code).verified_at
    with pytest.raises(DomainError) as used:
        phone_challenge_verify(challenge_id=challenge.pk, code=code)
    assert used.value.code == "code_used"


@override_settings(MIZAN_OTP_MAX_ATTEMPTS=3)
def test_wrong_codes_are_counted_then_locked(db, run_worker):
    challenge = start()
    code = sent_code(run_worker)
    wrong = "000000" if code != "000000" else "111111"
    for left in (2, 1):
        with pytest.raises(DomainError, match=str(left)) as refused:
            phone_challenge_verify(challenge_id=challenge.pk, code=wrong)
        assert refused.value.code == "code_wrong"
    with pytest.raises(DomainError) as locked:
        phone_challenge_verify(challenge_id=challenge.pk, code=wrong)
    assert locked.value.code == "code_locked"
    with pytest.raises(DomainError):  # even the right code is refused now
        phone_challenge_verify(challenge_id=challenge.pk, code=code)


def test_an_expired_code_is_refused(db, run_worker):
    challenge = start()
    code = sent_code(run_worker)
    PhoneChallenge.objects.filter(pk=challenge.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(DomainError) as expired:
        phone_challenge_verify(challenge_id=challenge.pk, code=code)
    assert expired.value.code == "code_expired"


@override_settings(MIZAN_OTP_MAX_PER_PHONE_PER_HOUR=2)
def test_codes_are_rate_limited_per_phone(db):
    start(ip="203.0.113.1")
    start(ip="203.0.113.2")
    with pytest.raises(DomainError) as limited:
        start(ip="203.0.113.3")
    assert limited.value.code == "rate_limited"
    start(phone="+212699999999", ip="203.0.113.3")  # another phone is not affected


@override_settings(MIZAN_OTP_MAX_PER_IP_PER_HOUR=2)
def test_codes_are_rate_limited_per_address(db):
    start(phone="+212600000001")
    start(phone="+212600000002")
    with pytest.raises(DomainError):
        start(phone="+212600000003")
