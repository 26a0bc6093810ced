"""Staff second factor: a TOTP authenticator app, and single-use recovery codes.

Built on django-otp (its devices throttle wrong codes with a growing delay). A staff
member enrols once — a QR code to scan, a first code to prove it works — and receives
ten recovery codes, shown once, for the day the phone is lost.
"""

from __future__ import annotations

import segno
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from mizan.core.audit import audit_record
from mizan.core.errors import DomainError

RECOVERY_CODES = 10
AUTHENTICATOR = "authenticator"
RECOVERY = "recovery codes"


def staff_has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_enrolment_start(*, user) -> TOTPDevice:
    """The unconfirmed device to scan (the same one until confirmed, so a reload of
    the page does not invalidate a QR code already scanned)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)
    return device


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG (no image library, no third-party host)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2)


def totp_secret_display(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for apps where scanning is not possible."""
    import base64

    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


def totp_enrolment_confirm(*, user, code: str, ip_address: str | None = None) -> list[str]:
    """Confirm the scanned device with its first code; returns the recovery codes."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            raise DomainError(
                _("Start again: open the set-up page to get a new QR code."),
                code="no_enrolment",
                field="code",
            )
        allowed, _details = device.verify_is_allowed()
        if not allowed or not device.verify_token(_digits(code)):
            raise DomainError(
                _(
                    "This code is not right. Check the time of your phone, then type the "
                    "6 digits the app shows now."
                ),
                code="code_wrong",
                field="code",
            )
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(user)
        audit_record(
            action="staff.second_factor_enrolled",
            object_type="user",
            object_id=str(user.pk),
            actor=user,
            ip_address=ip_address,
        )
    return codes


def recovery_codes_regenerate(*, user, ip_address: str | None = None) -> list[str]:
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
        audit_record(
            action="staff.recovery_codes_regenerated",
            object_type="user",
            object_id=str(user.pk),
            actor=user,
            ip_address=ip_address,
        )
    return codes


def _recovery_codes_replace(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def second_factor_verify(*, user, code: str, ip_address: str | None = None):
    """The device that accepts the code (authenticator first, then a recovery code).

    Raises DomainError with what to do: wrong code, or too many tries for now.
    """
    code = (code or "").strip().replace(" ", "")
    with transaction.atomic():
        devices = [
            *TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True),
            *StaticDevice.objects.select_for_update().filter(user=user, confirmed=True),
        ]
        throttled = False
        for device in devices:
            allowed, _details = device.verify_is_allowed()
            if not allowed:
                throttled = True
                continue
            candidate = _digits(code) if isinstance(device, TOTPDevice) else code.lower()
            if device.verify_token(candidate):
                audit_record(
                    action="staff.second_factor_passed",
                    object_type="user",
                    object_id=str(user.pk),
                    actor=user,
                    ip_address=ip_address,
                    data={"device": device.name},
                )
                return device
        audit_record(
            action="staff.second_factor_failed",
            object_type="user",
            object_id=str(user.pk),
            actor=user,
            ip_address=ip_address,
        )
    if throttled:
        raise DomainError(
            _("Too many wrong codes. Wait a minute, then type the code the app shows."),
            code="throttled",
            field="code",
        )
    raise DomainError(
        _("This code is not right. Type the 6 digits the app shows now, or a recovery code."),
        code="code_wrong",
        field="code",
    )


def _digits(code: str) -> str:
    return "".join(character for character in (code or "") if character.isdigit())
