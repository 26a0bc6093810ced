"""Small builders for test state, all through the services."""

from datetime import date

from mizan.accounts.models import Unit
from mizan.accounts.services import staff_user_create
from mizan.cases.services import case_submit, case_transition
from mizan.reference.models import Commune

PASSWORD = "correct-horse-battery-staple"
CASABLANCA = "06.141.01.0"  # routed with high confidence to the criminal TPI
GUEZNAIA = "01.511.01.09"  # a "guess" row: goes to the court of appeal, to confirm


def staff(username: str, unit_code: str, *roles: str):
    return staff_user_create(
        username=username,
        password=PASSWORD,
        full_name=f"{username.title()} Test",
        unit=Unit.objects.get(code=unit_code),
        roles=list(roles),
    )


def complaint_details(commune: Commune, **overrides) -> dict:
    details = {
        "complainant_kind": "person",
        "id_kind": "cin",
        "id_number": "AB123456",
        "nationality": "MA",
        "country_of_residence": "MA",
        "accused_unknown": True,
        "accused": [],
        "category": "theft",
        "facts": "My phone was stolen at the bus station on Saturday evening.",
        "facts_date": date(2026, 11, 1).isoformat(),
        "province": commune.province_id,
        "commune": commune.code,
    }
    details.update(overrides)
    return details


def file_complaint(
    *,
    commune_code: str = CASABLANCA,
    phone: str = "+212612345678",
    language: str = "fr",
    name: str = "Amina Test",
    email: str = "",
):
    commune = Commune.objects.get(code=commune_code)
    return case_submit(
        procedure="complaint",
        filer_name=name,
        filer_phone=phone,
        filer_email=email,
        language=language,
        commune=commune,
        details=complaint_details(commune),
    )


def register_and_assign(case, *, clerk, prosecutor):
    """Take a new complaint to "assigned to a prosecutor", as an office would."""
    case_transition(
        case_id=case.pk, step_name="register", actor=clerk, inputs={"registry_number": "1"}
    )
    case_transition(
        case_id=case.pk, step_name="assign", actor=clerk, inputs={"assignee": prosecutor.pk}
    )


def verified_login(client, user):
    """Sign a staff member in as after both factors (password and authenticator)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def totp_now(user) -> str:
    """The code the staff member's authenticator app shows now."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user).latest("id")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
