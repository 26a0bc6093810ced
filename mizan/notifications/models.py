from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one recipient: the outbox row.

    It is written in the same transaction as the case step that causes it, with the
    task that sends it, so a step and its message commit together or not at all.
    Status names follow GOV.UK Notify's lifecycle and only ever move forward.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        TEMPORARY_FAILURE = "temporary-failure", _("temporary failure")
        PERMANENT_FAILURE = "permanent-failure", _("permanent failure")
        TECHNICAL_FAILURE = "technical-failure", _("technical failure")

    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    case_event = models.ForeignKey(
        "cases.CaseEvent",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.SMS)
    recipient = models.CharField(max_length=254)
    language = models.CharField(max_length=10)
    template_key = models.CharField(max_length=64)
    body = models.TextField()
    # One-time codes: the body is blanked once the gateway has it.
    sensitive = models.BooleanField(default=False)
    # Case event × channel × recipient: the same step never queues the same message twice.
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    provider = models.CharField(max_length=40, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    failure_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.template_key} → {self.recipient} ({self.status})"


class ConsoleMessage(models.Model):
    """What the development console gateway "sent": shown on the dev outbox page.

    Only the console gateway writes here; production gateways never do.
    """

    notification = models.OneToOneField(Notification, on_delete=models.CASCADE)
    recipient = models.CharField(max_length=254)
    body = models.TextField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-id"]
