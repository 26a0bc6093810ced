"""Demo staff accounts, for `make run` only (never in production)."""

from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Role, Unit
from .services import staff_user_create

DEMO_PASSWORD = "mizan-demo-2026"

# username, full name, unit code, roles
DEMO_STAFF = [
    ("clerk.casa", "Salma Bennani", "PROS-TPI_CASA_PENAL", [Role.AGENT]),
    ("prosecutor.casa", "Youssef Alaoui", "PROS-TPI_CASA_PENAL", [Role.MAGISTRATE]),
    ("head.casa", "Nadia El Idrissi", "PROS-TPI_CASA_PENAL", [Role.UNIT_HEAD, Role.MAGISTRATE]),
    ("clerk.rabat", "Karim Tazi", "PROS-TPI_RABAT", [Role.AGENT, Role.UNIT_HEAD]),
    ("prosecutor.rabat", "Leila Chraibi", "PROS-TPI_RABAT", [Role.MAGISTRATE]),
    ("clerk.tanger-ca", "Omar Berrada", "PROS-CA_TANGER", [Role.AGENT, Role.UNIT_HEAD]),
    # Sends service and enforcement files to commissaires de justice (mizan.exchange).
    ("greffe.casa", "Samira Ouali", "REG-TPI_CASA_CIVIL", [Role.AGENT]),
    # Holds the remote appointments of the desk for Moroccans abroad (mizan/appointments).
    ("official.mre", "Rachid Bennis", "MRE", [Role.MAGISTRATE, Role.UNIT_HEAD]),
]


def demo_staff_create() -> list[tuple[str, str, str]]:
    """Create (or reset) the demo accounts; returns (username, roles, unit) rows."""
    User = get_user_model()
    rows = []
    for username, full_name, unit_code, roles in DEMO_STAFF:
        unit = Unit.objects.get(code=unit_code)
        staff_user_create(
            username=username, password=DEMO_PASSWORD, full_name=full_name, unit=unit, roles=roles
        )
        rows.append((username, ", ".join(str(Role(r).label) for r in roles), str(unit)))
    admin, _created = User.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True}
    )
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    rows.append(("admin", "Administrator (Django admin)", "—"))
    # Enrolled already: the second factor's current codes are on the development outbox
    # page, so nobody needs an authenticator app to try Mizan.
    for user in User.objects.filter(username__in=[row[0] for row in rows]):
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(user=user, name="authenticator (demo)", confirmed=True)
    return rows


def demo_second_factor_codes() -> list[tuple[str, str]]:
    """The code each demo account's authenticator would show now (development page)."""
    from django_otp.oath import TOTP

    from mizan.exchange.demo import DEMO_OFFICE_MEMBERS

    usernames = [row[0] for row in DEMO_STAFF + DEMO_OFFICE_MEMBERS] + ["admin"]
    codes = []
    for device in (
        TOTPDevice.objects.filter(user__username__in=usernames, confirmed=True)
        .select_related("user")
        .order_by("user__username")
    ):
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        codes.append((device.user.get_username(), f"{totp.token():0{device.digits}d}"))
    return codes
