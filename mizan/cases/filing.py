"""From a filled-in form to a filed case: the one-time-code step in between."""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mizan.accounts.models import PhoneChallenge
from mizan.accounts.services import phone_challenge_start, phone_challenge_verify
from mizan.core.errors import DomainError
from mizan.reference.models import Commune

from .models import PendingFiling
from .services import Filing, case_submit

# How long a filled-in form waits for its code before it must be filled in again.
PENDING_FILING_HOURS = 24


def filing_start(
    *, procedure: str, data: dict, phone: str, language: str, ip_address: str | None
) -> PendingFiling:
    """Keep the form and send a code to the filer's phone."""
    now = timezone.now()
    with transaction.atomic():
        challenge = phone_challenge_start(
            phone=phone,
            purpose=PhoneChallenge.Purpose.FILING,
            language=language,
            ip_address=ip_address,
        )
        return PendingFiling.objects.create(
            token=secrets.token_urlsafe(32),
            procedure=procedure,
            language=language,
            phone=phone,
            data=data,
            challenge=challenge,
            created_at=now,
            expires_at=now + timedelta(hours=PENDING_FILING_HOURS),
        )


def pending_filing_get(*, token: str) -> PendingFiling | None:
    return PendingFiling.objects.filter(token=token, expires_at__gt=timezone.now()).first()


def filing_resend_code(*, pending: PendingFiling, ip_address: str | None) -> PendingFiling:
    if pending.case_id:
        raise DomainError(_("This request was already filed."), code="already_filed")
    challenge = phone_challenge_start(
        phone=str(pending.phone),
        purpose=PhoneChallenge.Purpose.FILING,
        language=pending.language,
        ip_address=ip_address,
    )
    pending.challenge = challenge
    pending.save(update_fields=["challenge"])
    return pending


def filing_confirm(*, token: str, code: str, ip_address: str | None) -> Filing:
    """Check the code, then file the case; the same token never files twice.

    The pending filing stays locked from the code check to the filing, so a second
    submission of the same form (a double tap on a slow connection) waits, then finds
    the case filed and is told so, instead of being refused for a "used" code.
    """
    with transaction.atomic():
        pending = (
            PendingFiling.objects.select_for_update()
            .filter(token=token, expires_at__gt=timezone.now())
            .first()
        )
        if pending is None:
            raise DomainError(_("This form has expired. Please fill it in again."), code="expired")
        if pending.case_id:
            raise DomainError(_("This request was already filed."), code="already_filed")
        if pending.challenge_id is None:
            raise DomainError(_("Please ask for a new code."), code="no_code", field="code")
        try:
            phone_challenge_verify(challenge_id=pending.challenge_id, code=code)
        except DomainError as refusal:
            # Leave the block normally so that the wrong try is counted, then refuse.
            error = refusal
        else:
            error = None
            filing = _file_pending(pending, ip_address=ip_address)
    if error is not None:
        raise error
    return filing


def _file_pending(pending: PendingFiling, *, ip_address: str | None) -> Filing:
    data = dict(pending.data)
    attachment_ids = data.pop("attachment_ids", [])
    filer = data.pop("filer")
    data.pop("form_input", None)
    # Filed by an agent for the citizen: the channel and the agent are recorded.
    assisted = data.pop("assisted", None) or {}
    commune = Commune.objects.filter(pk=data.get("commune") or None).first()
    filing = case_submit(
        procedure=pending.procedure,
        filer_name=filer["name"],
        filer_phone=str(pending.phone),
        filer_email=filer.get("email", ""),
        language=filer["language"],
        commune=commune,
        details=data,
        attachment_ids=attachment_ids,
        ip_address=ip_address,
        channel=assisted.get("channel", "web"),
        filed_by=get_user_model().objects.filter(pk=assisted.get("agent") or None).first(),
    )
    pending.case = filing.case
    pending.save(update_fields=["case"])
    return filing
