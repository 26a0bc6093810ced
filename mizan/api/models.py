"""The app's and the partners' credentials, and the memory of their creating calls.

Only SHA-256 hashes of tokens are stored: a copy of the database opens no session.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


class TokenFamily(models.Model):
    """One sign-in of the app with a phone: the tokens issued then and every token rotated
    from them. Revoking the family (sign-out, or a rotated refresh token presented
    again — a sign that someone else holds a copy) ends them all at once."""

    class RevokedReason(models.TextChoices):
        SIGNED_OUT = "signed_out", _("signed out")
        REFRESH_REUSED = "refresh_reused", _("a used refresh token was presented again")

    phone = PhoneNumberField(db_index=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=20, choices=RevokedReason.choices, blank=True)

    class Meta:
        verbose_name = _("app sign-in")
        verbose_name_plural = _("app sign-ins")


class ApiToken(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", _("access token")
        REFRESH = "refresh", _("refresh token")

    family = models.ForeignKey(TokenFamily, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    # A refresh token works once: set when it was exchanged for a new pair.
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("app token")
        verbose_name_plural = _("app tokens")


class IdempotencyRecord(models.Model):
    """A creating call's outcome, kept so that its retry (same key) gets the same answer
    instead of a second filing.

    The key is scoped to the phone; only hashes of it and of the request are kept, and
    the response is encrypted with a key derived from the client's key (it holds the
    access code of a filing, which is otherwise stored only as a hash).
    """

    key_hash = models.CharField(max_length=64, unique=True)
    request_hash = models.CharField(max_length=64)
    # Written in the same transaction as the row itself: the placeholders are never seen.
    status_code = models.PositiveSmallIntegerField(default=0)
    response = models.TextField(blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")


class PartnerKey(models.Model):
    """An API key of a commissaire's office, for its own software (docs/api.md, "Partner
    API"). It acts for the office in the name of one of its members (`acting_user`), who
    is the author of every step it takes; the steps' seals also name the key.

    Only the SHA-256 of the key is stored (the key is shown once, when it is created): a
    copy of the database opens nothing. The prefix, public, tells keys apart in lists,
    logs and the audit.
    """

    class Scope(models.TextChoices):
        READ = "exchange:read", _("Read the inbox, the files and their documents")
        WRITE = (
            "exchange:write",
            _("Acknowledge, record attempts and amounts recovered, complete or fail a file"),
        )
        REPORT = "exchange:report", _("Upload the report (procès-verbal)")

    office = models.ForeignKey(
        "exchange.CommissaireOffice",
        verbose_name=_("commissaire de justice office"),
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the key is for, e.g. the software's name.")
    )
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts in the name of"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created on"))
    last_used_at = models.DateTimeField(_("last used on"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires on"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked on"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("partner API key")
        verbose_name_plural = _("partner API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        """How the key begins, as shown to people: `mzp_<prefix>`."""
        return f"mzp_{self.prefix}"
