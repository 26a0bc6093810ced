import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mizan.core.errors import DomainError
from mizan.core.locks import serialize_on
from mizan.notifications.services import notification_queue

from .models import Membership, PhoneChallenge, Unit


def _code_hash(challenge_salt: str, code: str) -> str:
    return salted_hmac(
        "mizan.phone-code", f"{challenge_salt}:{code}", algorithm="sha256"
    ).hexdigest()


def phone_challenge_start(
    *, phone: str, purpose: str, language: str, ip_address: str | None
) -> PhoneChallenge:
    """Send a fresh one-time code to `phone`, within the hourly limits."""
    with transaction.atomic():
        # Counting and inserting must not interleave between concurrent requests.
        serialize_on(f"phone-challenge:phone:{phone}")
        if ip_address:
            serialize_on(f"phone-challenge:ip:{ip_address}")
        _check_challenge_limits(phone=phone, ip_address=ip_address)
        return _challenge_create(
            phone=phone, purpose=purpose, language=language, ip_address=ip_address
        )


def _check_challenge_limits(*, phone: str, ip_address: str | None) -> None:
    hour_ago = timezone.now() - timedelta(hours=1)
    recent = PhoneChallenge.objects.filter(created_at__gte=hour_ago)
    if recent.filter(phone=phone).count() >= settings.MIZAN_OTP_MAX_PER_PHONE_PER_HOUR:
        raise DomainError(
            _(
                "Too many codes were sent to this number in the last hour. "
                "Please wait a while before asking for a new one."
            ),
            code="rate_limited",
        )
    if ip_address and (
        recent.filter(ip_address=ip_address).count() >= settings.MIZAN_OTP_MAX_PER_IP_PER_HOUR
    ):
        raise DomainError(
            _(
                "Too many codes were asked for from this connection in the last hour. "
                "Please wait a while before trying again."
            ),
            code="rate_limited",
        )


def _challenge_create(
    *, phone: str, purpose: str, language: str, ip_address: str | None
) -> PhoneChallenge:
    now = timezone.now()
    code = f"{secrets.randbelow(10**6):06d}"
    ttl = settings.MIZAN_OTP_TTL_SECONDS
    with transaction.atomic():
        challenge = PhoneChallenge.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash="pending",
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            ip_address=ip_address,
        )
        challenge.code_hash = _code_hash(str(challenge.pk), code)
        challenge.save(update_fields=["code_hash"])
        notification_queue(
            template_key="phone.code",
            recipient=str(phone),
            language=language,
            context={"code": code, "minutes": ttl // 60},
            idempotency_key=f"phone-challenge:{challenge.pk}:sms",
            sensitive=True,
        )
    return challenge


def phone_challenge_verify(*, challenge_id: int, code: str) -> PhoneChallenge:
    """Accept the code once, or raise a DomainError that says what to do next."""
    with transaction.atomic():
        challenge = PhoneChallenge.objects.select_for_update().filter(id=challenge_id).first()
        if challenge is None or challenge.verified_at is not None:
            raise DomainError(
                _("This code was already used. Please ask for a new code."),
                code="code_used",
                field="code",
            )
        if challenge.expires_at <= timezone.now():
            raise DomainError(
                _("This code has expired. Please ask for a new code."),
                code="code_expired",
                field="code",
            )
        max_attempts = settings.MIZAN_OTP_MAX_ATTEMPTS
        if challenge.attempts >= max_attempts:
            raise DomainError(
                _("Too many wrong codes. Please ask for a new code."),
                code="code_locked",
                field="code",
            )
        typed = "".join(ch for ch in (code or "") if ch.isdigit())
        challenge.attempts += 1
        if hmac.compare_digest(_code_hash(str(challenge.pk), typed), challenge.code_hash):
            challenge.verified_at = timezone.now()
            challenge.save(update_fields=["attempts", "verified_at"])
            return challenge
        challenge.save(update_fields=["attempts"])
        left = max_attempts - challenge.attempts
    if left <= 0:
        raise DomainError(
            _("Too many wrong codes. Please ask for a new code."), code="code_locked", field="code"
        )
    raise DomainError(
        ngettext(
            "This code is not the one we sent. You have %(left)d try left.",
            "This code is not the one we sent. You have %(left)d tries left.",
            left,
        )
        % {"left": left},
        code="code_wrong",
        field="code",
    )


def staff_user_create(
    *, username: str, password: str, full_name: str, unit: Unit, roles: list[str]
):
    """A staff account with its roles in one unit (or more roles for an existing one)."""
    from django.contrib.auth import get_user_model

    first, _sep, last = full_name.partition(" ")
    with transaction.atomic():
        user, _created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        user.set_password(password)
        user.save()
        for role in roles:
            Membership.objects.get_or_create(user=user, unit=unit, role=role)
    return user


def unit_distribution_set(*, unit_id: int, actor, enabled: bool, ip_address=None) -> Unit:
    """A head of unit turns automatic distribution of registered cases on or off."""
    from mizan.core.audit import audit_record

    from .models import Role

    with transaction.atomic():
        # Locked as the distribution locks it: the change and a registration in the
        # unit do not interleave.
        unit = Unit.objects.select_for_update().filter(pk=unit_id).first()
        if (
            unit is None
            or not Membership.objects.filter(user=actor, unit=unit, role=Role.UNIT_HEAD).exists()
        ):
            raise DomainError(
                _("Only a head of this unit can change how its cases are shared."),
                code="forbidden",
            )
        if unit.distribute_automatically != enabled:
            unit.distribute_automatically = enabled
            unit.save(update_fields=["distribute_automatically"])
            audit_record(
                action="unit.distribution_changed",
                object_type="unit",
                object_id=unit.code,
                actor=actor,
                ip_address=ip_address,
                data={"distribute_automatically": enabled},
            )
    return unit
