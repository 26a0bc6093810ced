"""The app's rules: signing in with a phone, tokens, idempotent creating calls, filing and
the citizen's steps with documents uploaded beforehand; the partners' API keys.

Every case change goes through the cases services (`case_submit`, `case_transition`);
what is here is only what an app needs beyond the web: tokens instead of a session,
documents referenced by id, and retries that must never file twice.
"""

import base64
import hashlib
import hmac
import json
import math
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from mizan.accounts.models import PhoneChallenge
from mizan.accounts.services import phone_challenge_start, phone_challenge_verify
from mizan.cases.models import Case, CaseEvent
from mizan.cases.services import Filing, case_submit, case_transition
from mizan.core.audit import audit_record, citizen_label, citizen_pseudonym
from mizan.core.errors import DomainError
from mizan.documents.models import Attachment
from mizan.documents.services import attachment_store
from mizan.exchange.models import CommissaireOffice, OfficeMember
from mizan.portal.forms import CitizenStepForm
from mizan.procedures.workflow import CITIZEN

from .errors import FormInvalid, rate_limited, unauthenticated
from .formschema import ATTACHMENTS_FIELD, bind_form, filing_form_class
from .models import ApiToken, IdempotencyRecord, PartnerKey, TokenFamily

ACCESS_PREFIX = "mzn_at_"
REFRESH_PREFIX = "mzn_rt_"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# --- signing in -----------------------------------------------------------------------


def api_sign_in_start(*, phone: str, ip_address: str | None) -> PhoneChallenge:
    """Send a one-time code to the phone, within the same hourly limits as the web."""
    try:
        return phone_challenge_start(
            phone=phone,
            purpose=PhoneChallenge.Purpose.TRACKING,
            language=get_language() or settings.LANGUAGE_CODE,
            ip_address=ip_address,
        )
    except DomainError as refusal:
        if refusal.code == "rate_limited":
            raise rate_limited(
                _challenge_retry_after(phone=phone, ip_address=ip_address), refusal.message
            ) from refusal
        raise


def _challenge_retry_after(*, phone: str, ip_address: str | None) -> int:
    """Seconds until the oldest code that counts against the hourly limit leaves it."""
    now = timezone.now()
    window = timedelta(hours=1)
    recent = PhoneChallenge.objects.filter(created_at__gte=now - window).order_by("-created_at")
    waits = [1]
    for rows, limit in (
        (recent.filter(phone=phone), settings.MIZAN_OTP_MAX_PER_PHONE_PER_HOUR),
        (
            recent.filter(ip_address=ip_address) if ip_address else recent.none(),
            settings.MIZAN_OTP_MAX_PER_IP_PER_HOUR,
        ),
    ):
        times = list(rows.values_list("created_at", flat=True)[:limit])
        if limit and len(times) >= limit:
            waits.append(math.ceil((times[-1] + window - now).total_seconds()))
    return max(waits)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    phone: str


def _issue(family: TokenFamily) -> TokenPair:
    now = timezone.now()
    access_seconds = settings.MIZAN_API_ACCESS_TOKEN_SECONDS
    refresh_seconds = settings.MIZAN_API_REFRESH_TOKEN_DAYS * 24 * 3600
    access = ACCESS_PREFIX + secrets.token_urlsafe(32)
    refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                family=family,
                kind=ApiToken.Kind.ACCESS,
                token_hash=_token_hash(access),
                created_at=now,
                expires_at=now + timedelta(seconds=access_seconds),
            ),
            ApiToken(
                family=family,
                kind=ApiToken.Kind.REFRESH,
                token_hash=_token_hash(refresh),
                created_at=now,
                expires_at=now + timedelta(seconds=refresh_seconds),
            ),
        ]
    )
    return TokenPair(access, refresh, access_seconds, refresh_seconds, str(family.phone))


def api_sign_in_complete(*, phone: str, code: str, ip_address: str | None) -> TokenPair:
    """Exchange the code sent to the phone for a new sign-in's tokens."""
    challenge_id = (
        PhoneChallenge.objects.filter(
            phone=phone, purpose=PhoneChallenge.Purpose.TRACKING, verified_at__isnull=True
        )
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)
        .first()
    )
    if challenge_id is None:
        raise DomainError(_("Please ask for a new code."), code="no_code", field="code")
    # Its own transaction: a wrong try is counted even though we refuse.
    phone_challenge_verify(challenge_id=challenge_id, code=code)
    with transaction.atomic():
        family = TokenFamily.objects.create(phone=phone, created_at=timezone.now())
        pair = _issue(family)
        audit_record(
            action="api.signed_in",
            object_type="phone",
            object_id=citizen_pseudonym(phone),
            actor_label=citizen_label(phone),
            ip_address=ip_address,
            data={"sign_in": family.pk},
        )
    return pair


def api_tokens_refresh(*, refresh_token: str, ip_address: str | None) -> TokenPair:
    """A new pair for a refresh token, which stops working. A refresh token presented
    after it was exchanged means two parties hold it: the whole sign-in is ended."""
    now = timezone.now()
    refusal = None
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update()
            .select_related("family")
            .filter(token_hash=_token_hash(refresh_token), kind=ApiToken.Kind.REFRESH)
            .first()
        )
        if token is None or token.family.revoked_at is not None or token.expires_at <= now:
            refusal = unauthenticated(
                _("This refresh token is not valid any more. Sign in again with a code."),
                code="refresh_invalid",
            )
        elif token.rotated_at is not None:
            family = token.family
            family.revoked_at = now
            family.revoked_reason = TokenFamily.RevokedReason.REFRESH_REUSED
            family.save(update_fields=["revoked_at", "revoked_reason"])
            audit_record(
                action="api.refresh_reused",
                object_type="phone",
                object_id=citizen_pseudonym(family.phone),
                actor_label=citizen_label(family.phone),
                ip_address=ip_address,
                data={"sign_in": family.pk},
            )
            refusal = unauthenticated(
                _(
                    "This refresh token was already used, so this sign-in was ended for "
                    "safety. Sign in again with a code."
                ),
                code="refresh_reused",
            )
        else:
            token.rotated_at = now
            token.save(update_fields=["rotated_at"])
            pair = _issue(token.family)
    # Raised once the block is left, so that the revocation is kept.
    if refusal is not None:
        raise refusal
    return pair


def api_tokens_revoke(*, token: str, ip_address: str | None) -> None:
    """End the sign-in the token belongs to (all its tokens). Unknown tokens are ignored,
    as RFC 7009 asks: the answer tells nothing about which tokens exist."""
    row = ApiToken.objects.filter(token_hash=_token_hash(token)).select_related("family").first()
    if row is None or row.family.revoked_at is not None:
        return
    with transaction.atomic():
        TokenFamily.objects.filter(pk=row.family_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=TokenFamily.RevokedReason.SIGNED_OUT
        )
        audit_record(
            action="api.signed_out",
            object_type="phone",
            object_id=citizen_pseudonym(row.family.phone),
            actor_label=citizen_label(row.family.phone),
            ip_address=ip_address,
            data={"sign_in": row.family_id},
        )


@dataclass(frozen=True)
class AppSession:
    """Who the bearer token proves: a phone, in one sign-in."""

    phone: str
    sign_in: int


def api_token_authenticate(*, token: str) -> AppSession:
    row = (
        ApiToken.objects.select_related("family")
        .filter(token_hash=_token_hash(token), kind=ApiToken.Kind.ACCESS)
        .first()
    )
    if row is None or row.family.revoked_at is not None:
        raise unauthenticated(
            _("This access token is not valid. Sign in again."), code="token_invalid"
        )
    if row.expires_at <= timezone.now():
        raise unauthenticated(
            _("This access token has expired: get a new one with your refresh token."),
            code="token_expired",
        )
    return AppSession(phone=str(row.family.phone), sign_in=row.family_id)


# --- idempotency ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict
    replayed: bool = False


def request_fingerprint(operation: str, payload) -> str:
    canonical = json.dumps([operation, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key_hash(phone: str, key: str) -> str:
    digest = salted_hmac("mizan.api.idempotency-key", f"{phone}\n{key}", algorithm="sha256")
    return digest.hexdigest()


def _sealing_key(phone: str, key: str) -> bytes:
    # Derived from the client's key and the server's secret: the stored response (which
    # holds a filing's access code) cannot be read from the database alone.
    return salted_hmac(
        "mizan.api.idempotency-response", f"{phone}\n{key}", algorithm="sha256"
    ).digest()


def _seal(body: dict, *, phone: str, key: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_sealing_key(phone, key)).encrypt(nonce, json.dumps(body).encode(), None)
    return base64.b64encode(nonce + sealed).decode("ascii")


def _unseal(text: str, *, phone: str, key: str) -> dict | None:
    raw = base64.b64decode(text)
    try:
        return json.loads(AESGCM(_sealing_key(phone, key)).decrypt(raw[:12], raw[12:], None))
    except InvalidTag:  # sealed under a secret key since replaced
        return None


def idempotent_call(
    *, phone: str, key: str, fingerprint: str, perform: Callable[[], tuple[int, dict]]
) -> Outcome:
    """Run `perform` once per (phone, key); a retry gets the first answer again.

    The key's row is inserted before the work, in the same transaction: a concurrent
    retry waits on the unique key until the first commits, then replays it. A refusal
    (DomainError) keeps nothing, so the same key may be tried again once corrected —
    but what the refusal recorded (an infected file's audit entry) is kept.
    """
    key_hash = _key_hash(phone, key)
    now = timezone.now()
    refusal = None
    with transaction.atomic():
        IdempotencyRecord.objects.filter(key_hash=key_hash, expires_at__lte=now).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    key_hash=key_hash,
                    request_hash=fingerprint,
                    created_at=now,
                    expires_at=now + timedelta(hours=settings.MIZAN_API_IDEMPOTENCY_HOURS),
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.get(key_hash=key_hash)
            body = (
                _unseal(record.response, phone=phone, key=key)
                if record.request_hash == fingerprint
                else None
            )
            if body is None:
                raise DomainError(
                    _(
                        "This Idempotency-Key was already used for a different request. "
                        "Use a new key for a new request."
                    ),
                    code="idempotency_conflict",
                    field="Idempotency-Key",
                ) from None
            return Outcome(record.status_code, body, replayed=True)
        try:
            status, body = perform()
        except DomainError as error:
            refusal = error
            record.delete()
        else:
            record.status_code = status
            record.response = _seal(body, phone=phone, key=key)
            record.save(update_fields=["status_code", "response"])
    if refusal is not None:
        raise refusal
    return Outcome(status, body)


# --- documents ------------------------------------------------------------------------


def upload_owner(phone: str) -> str:
    """The upload token under which a phone's documents wait to be filed.

    A web upload token is 43 URL-safe characters without ":", so the two never meet.
    """
    return "app:" + salted_hmac("mizan.api.uploads", phone, algorithm="sha256").hexdigest()[:39]


def api_upload_store(*, session: AppSession, uploaded_file, ip_address: str | None) -> Attachment:
    if uploaded_file is None:
        raise DomainError(
            _("Attach the document (PDF, JPEG or PNG)."), code="input_required", field="file"
        )
    try:
        return attachment_store(
            uploaded_file=uploaded_file,
            upload_token=upload_owner(session.phone),
            ip_address=ip_address,
        )
    except DomainError as refusal:
        refusal.field = refusal.field or "file"
        raise


def _owned_attachments(phone: str, attachment_ids: list[int]) -> list[int]:
    """The ids, if each is a document this phone uploaded and did not file yet."""
    wanted = list(dict.fromkeys(attachment_ids))
    owned = set(
        Attachment.objects.filter(
            id__in=wanted, case__isnull=True, upload_token=upload_owner(phone)
        ).values_list("id", flat=True)
    )
    missing = [pk for pk in wanted if pk not in owned]
    if missing:
        raise FormInvalid(
            [
                {
                    "field": ATTACHMENTS_FIELD,
                    "code": "attachment_unknown",
                    "message": _(
                        "Document %(id)s is not one of your uploads waiting to be filed: "
                        "upload it again."
                    )
                    % {"id": pk},
                }
                for pk in missing
            ]
        )
    return wanted


# --- filing ---------------------------------------------------------------------------


def api_request_file(
    *,
    session: AppSession,
    procedure: str,
    fields: dict,
    attachment_ids: list[int],
    ip_address: str | None,
) -> Filing:
    """File a request from the app: the web's form validates the fields; the token has
    proved the phone already, so no code is sent (the web sends one to prove it)."""
    form_class = filing_form_class(procedure)
    if form_class is None:
        raise DomainError(
            _("There is no such procedure: see GET /api/v1/procedures."),
            code="unknown_procedure",
            field="procedure",
        )
    # Every refusal at once: the documents' and the fields'.
    errors = []
    try:
        attachment_ids = _owned_attachments(session.phone, attachment_ids)
    except FormInvalid as refusal:
        errors += refusal.details["fields"]
    try:
        form = bind_form(
            form_class,
            fields,
            # The phone is the signed-in one unless the app says otherwise (then refused).
            defaults={"phone": session.phone},
            language=get_language() or settings.LANGUAGE_CODE,
            kept_uploads=len(attachment_ids),
        )
    except FormInvalid as refusal:
        errors += refusal.details["fields"]
    if errors:
        raise FormInvalid(errors)
    if str(form.cleaned_data["phone"]) != session.phone:
        raise DomainError(
            _(
                "The phone of the form must be the one you signed in with. To file for "
                "another number, sign in with it."
            ),
            code="phone_mismatch",
            field="phone",
        )
    filer = form.filer()
    return case_submit(
        procedure=procedure,
        filer_name=filer["name"],
        filer_phone=session.phone,
        filer_email=filer.get("email", ""),
        language=filer["language"],
        commune=form.cleaned_data.get("commune"),
        details=form.details(),
        attachment_ids=attachment_ids,
        ip_address=ip_address,
        channel="app",
    )


# --- the citizen's steps --------------------------------------------------------------


def api_citizen_step(
    *,
    session: AppSession,
    case: Case,
    step_name: str,
    message: str,
    confirm: bool,
    attachment_ids: list[int],
    expected_status: str | None,
    ip_address: str | None,
) -> CaseEvent:
    """One of the filer's steps, with documents uploaded before (by id).

    The same checks as the web's `case_citizen_step`, then `case_transition` (which
    locks the case, checks the state and that the phone filed it) and the documents
    joined to the step, in one transaction.
    """
    step = case.workflow.step(step_name)
    if step is None or CITIZEN not in step.roles:
        raise DomainError(_("There is no such step for you on this request."), code="unknown_step")
    if (expected_status and expected_status != case.status) or case.status not in step.sources:
        raise DomainError(
            _("This is not possible any more: the request is now “%(status)s”.")
            % {"status": case.state.citizen_label},
            code="conflict",
        )
    form = bind_form(
        CitizenStepForm,
        {"message": message, **({"confirm": confirm} if step.name == "withdraw" else {})},
        step=step,
    )
    if attachment_ids and not step.uploads:
        raise DomainError(
            _("This step takes no documents."), code="no_uploads", field=ATTACHMENTS_FIELD
        )
    if step.uploads_required and not attachment_ids:
        raise DomainError(
            _("Attach the document (PDF, JPEG or PNG)."),
            code="input_required",
            field=ATTACHMENTS_FIELD,
        )
    if len(set(attachment_ids)) > settings.MIZAN_UPLOAD_MAX_FILES:
        raise DomainError(
            _("Attach at most %(count)s files.") % {"count": settings.MIZAN_UPLOAD_MAX_FILES},
            code="input_required",
            field=ATTACHMENTS_FIELD,
        )
    attachment_ids = _owned_attachments(session.phone, attachment_ids)
    with transaction.atomic():
        event = case_transition(
            case_id=case.pk,
            step_name=step.name,
            citizen_phone=session.phone,
            message=form.cleaned_data.get("message", ""),
            expected_status=expected_status or case.status,
            ip_address=ip_address,
        )
        Attachment.objects.filter(
            pk__in=attachment_ids, case__isnull=True, upload_token=upload_owner(session.phone)
        ).update(case_id=case.pk, case_event=event, upload_token="")
    return event


# --- housekeeping ---------------------------------------------------------------------


def api_expired_purge(*, now=None) -> tuple[int, int]:
    """Forget idempotency records past their retention and sign-ins that can no longer
    be used (ended, or every token expired)."""
    now = now or timezone.now()
    with transaction.atomic():
        records, _deleted = IdempotencyRecord.objects.filter(expires_at__lte=now).delete()
        live = ApiToken.objects.filter(expires_at__gt=now).values("family_id")
        families = TokenFamily.objects.exclude(pk__in=live, revoked_at__isnull=True)
        sign_ins = families.count()
        families.delete()
    return records, sign_ins


# --- partners' API keys ---------------------------------------------------------------

PARTNER_KEY_PREFIX = "mzp_"
# Lower-case letters and digits, without the ones read alike (l/1, o/0): prefixes are
# read aloud and typed from screens.
_PREFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_PREFIX_LENGTH = 8
# last_used_at is refreshed at most this often: not one write per call.
_LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedPartnerKey:
    """A key just created: `secret` is the whole key, shown once and never stored."""

    key: PartnerKey
    secret: str


@dataclass(frozen=True)
class PartnerCaller:
    """Who a partner key proves: its office, acting in the name of `user`."""

    key_id: int
    prefix: str
    name: str
    office: CommissaireOffice
    user: object
    scopes: frozenset[str]

    @property
    def via(self) -> dict:
        """How the steps and reads of this key are marked in their seals and audit."""
        return {"api_key": f"{PARTNER_KEY_PREFIX}{self.prefix}", "name": self.name}


def partner_key_manageable(*, user, office: CommissaireOffice, action: str = "add") -> bool:
    """An administrator (the admin's permission to add keys, or to change them to revoke
    one), or the office's own commissaire (not a clerk), may manage the office's keys."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_perm(f"api.{action}_partnerkey"):
        return True
    return OfficeMember.objects.filter(
        user=user,
        office=office,
        role=OfficeMember.Role.COMMISSAIRE,
        is_active=True,
        office__is_active=True,
    ).exists()


def _acts_for(user, office: CommissaireOffice) -> bool:
    return OfficeMember.objects.filter(
        user=user, office=office, is_active=True, office__is_active=True
    ).exists()


def partner_key_create(
    *,
    office: CommissaireOffice,
    name: str,
    scopes: list[str],
    acting_user,
    created_by,
    expires_at=None,
    ip_address: str | None = None,
) -> IssuedPartnerKey:
    """A new key for `office`, acting in the name of `acting_user` (an active member of
    the office). The whole key is in the answer only: it cannot be shown again."""
    if not partner_key_manageable(user=created_by, office=office):
        raise DomainError(
            _("Only an administrator or the office's commissaire can create its API keys."),
            code="forbidden",
        )
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the key a name."), code="invalid", field="name")
    chosen = list(dict.fromkeys(scopes or []))
    if not chosen or any(scope not in PartnerKey.Scope.values for scope in chosen):
        raise DomainError(
            _("Choose what the key may do (at least one permission)."),
            code="invalid",
            field="scopes",
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(
            _("The expiry date must be in the future."), code="invalid", field="expires_at"
        )
    if acting_user is None or not _acts_for(acting_user, office):
        raise DomainError(
            _("The key must act in the name of an active member of the office."),
            code="invalid",
            field="acting_user",
        )
    with transaction.atomic():
        while True:
            prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _i in range(_PREFIX_LENGTH))
            if not PartnerKey.objects.filter(prefix=prefix).exists():
                break
        secret = f"{PARTNER_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        key = PartnerKey.objects.create(
            office=office,
            name=name[:100],
            prefix=prefix,
            key_hash=_token_hash(secret),
            scopes=[scope for scope in PartnerKey.Scope.values if scope in chosen],
            acting_user=acting_user,
            created_by=created_by,
            created_at=timezone.now(),
            expires_at=expires_at,
        )
        audit_record(
            action="api.partner_key_created",
            object_type="commissaire_office",
            object_id=office.registration_number,
            actor=created_by,
            ip_address=ip_address,
            data={
                "key": key.display_prefix,
                "name": key.name,
                "scopes": key.scopes,
                "acting_user": acting_user.get_username(),
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return IssuedPartnerKey(key, secret)


def partner_key_revoke(*, key_id: int, actor, ip_address: str | None = None) -> PartnerKey:
    """The key stops working at once. Revoking a revoked key changes nothing."""
    with transaction.atomic():
        key = PartnerKey.objects.select_for_update().select_related("office").get(pk=key_id)
        if not partner_key_manageable(user=actor, office=key.office, action="change"):
            raise DomainError(
                _("Only an administrator or the office's commissaire can revoke its API keys."),
                code="forbidden",
            )
        if key.revoked_at is not None:
            return key
        key.revoked_at = timezone.now()
        key.revoked_by = actor
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            action="api.partner_key_revoked",
            object_type="commissaire_office",
            object_id=key.office.registration_number,
            actor=actor,
            ip_address=ip_address,
            data={"key": key.display_prefix, "name": key.name},
        )
    return key


def _key_refused(message, code: str = "key_invalid"):
    return unauthenticated(message, code=code)


def partner_key_authenticate(*, presented: str) -> PartnerCaller:
    """The office and member a key acts for, or a 401 refusal saying why."""
    prefix, _sep, rest = presented.removeprefix(PARTNER_KEY_PREFIX).partition("_")
    key = None
    if presented.startswith(PARTNER_KEY_PREFIX) and prefix and rest:
        key = (
            PartnerKey.objects.select_related("office", "acting_user")
            .filter(prefix=prefix[:16])
            .first()
        )
    # Compared in constant time, so the answer's timing tells nothing of the secret.
    if key is None or not hmac.compare_digest(key.key_hash, _token_hash(presented)):
        raise _key_refused(
            _("This API key is not valid. Check that it was copied whole, or ask for a new one.")
        )
    if key.revoked_at is not None:
        raise _key_refused(
            _("This API key was revoked. Ask the office's commissaire for a new one.")
        )
    now = timezone.now()
    if key.expires_at is not None and key.expires_at <= now:
        raise _key_refused(
            _("This API key has expired. Ask the office's commissaire for a new one."),
            code="key_expired",
        )
    if not _acts_for(key.acting_user, key.office):
        raise _key_refused(
            _(
                "This API key no longer works: its office, or the member in whose name it "
                "acts, is no longer active. Ask the office's commissaire for a new key."
            )
        )
    if key.last_used_at is None or key.last_used_at <= now - _LAST_USED_PRECISION:
        PartnerKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return PartnerCaller(
        key_id=key.pk,
        prefix=key.prefix,
        name=key.name,
        office=key.office,
        user=key.acting_user,
        scopes=frozenset(key.scopes),
    )
