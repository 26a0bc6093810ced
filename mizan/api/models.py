"""The app's credentials and the memory of its creating calls.

Only SHA-256 hashes of tokens are stored: a copy of the database opens no session.
"""

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
