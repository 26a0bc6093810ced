from django.conf import settings
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
    # 0 is the built-in text of the catalogue; an administrator's edit is 1, 2, ...
    template_version = models.PositiveIntegerField(default=0)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    # E-mail only: files sent with the message, as sent (e.g. an appointment's .ics):
    # [{"filename": ..., "content_type": ..., "content": text}]. Small texts only.
    attachments = models.JSONField(default=list, blank=True)
    # One-time codes: the body is blanked once the gateway has it.
    sensitive = models.BooleanField(default=False)
    # Case event × channel × recipient: the same step never queues the same message twice.
    idempotency_key = models.CharField(max_length=200, unique=True)
    # Sent to the provider as its client id on every attempt: providers deduplicate on it,
    # so an attempt whose answer was lost can be repeated without a second SMS.
    client_reference = models.CharField(max_length=40, unique=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    encoding = models.CharField(max_length=5, blank=True)
    segments = models.PositiveSmallIntegerField(default=1)
    estimated_cost = models.DecimalField(max_digits=9, decimal_places=4, default=0)
    provider = models.CharField(max_length=40, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    provider_status = models.CharField(max_length=60, blank=True)
    # A provider that may hold the message (its answer was lost): later attempts go only
    # to it, with the same client reference, and never to a provider that cannot
    # deduplicate.
    uncertain_provider = models.CharField(max_length=40, blank=True)
    # Put back because every provider it may go to was down (`ProviderHealth`): due
    # again as soon as one of them answers, not at a back-off of its own.
    waiting_for_provider = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    failure_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)
    # When the next attempt is due (queued and temporary-failure rows).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker owns a "sending" row until then; after it, the row is picked up again
    # (the worker died mid-send).
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Retries stop here and the message becomes a technical failure.
    give_up_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The recovery sweep and `notifications_status`: rows still in flight.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="notification_due_idx",
                condition=models.Q(status__in=["queued", "sending", "temporary-failure"]),
            ),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.template_key} → {self.recipient} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_failure(self) -> bool:
        return self.status in FAILURE_STATUSES


FINAL_STATUSES = frozenset(
    {
        Notification.Status.DELIVERED,
        Notification.Status.PERMANENT_FAILURE,
        Notification.Status.TECHNICAL_FAILURE,
    }
)
# Not yet handed over for good: what the sweep, the status command and readiness watch.
IN_FLIGHT_STATUSES = (
    Notification.Status.QUEUED,
    Notification.Status.SENDING,
    Notification.Status.TEMPORARY_FAILURE,
)
FAILURE_STATUSES = frozenset(
    {Notification.Status.PERMANENT_FAILURE, Notification.Status.TECHNICAL_FAILURE}
)


class ProviderMessage(models.Model):
    """One part of a message as the provider knows it: receipts are matched on its id.

    SMPP gives one id per part (a long SMS is several submits); HTTP providers one per
    message. The message is delivered when every part is.
    """

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="provider_messages"
    )
    provider = models.CharField(max_length=40)
    message_id = models.CharField(max_length=100)
    part = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "message_id"], name="unique_provider_message"
            ),
        ]


class ProviderHealth(models.Model):
    """Whether an SMS provider answers, shared by every worker through the database.

    A provider that refused for now (connection refused, time-out, 5xx, 429) or did not
    answer is down: until it answers again, one message at a time asks it (a probe,
    claimed by a conditional UPDATE on `next_probe_at`), with a back-off of its own
    capped at `MIZAN_SMS_PROVIDER_PROBE_MAX_SECONDS`; the messages waiting for it are not
    attempts. The first answer marks it up and makes every waiting message due.
    No row, or `down_since` empty: the provider is up.
    """

    provider = models.CharField(max_length=40, unique=True)
    # Temporary failures since it last answered.
    failures = models.PositiveIntegerField(default=0)
    down_since = models.DateTimeField(null=True, blank=True)
    # When a message may ask it again; pushed by a lease while a probe is in flight.
    next_probe_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.provider} ({'down' if self.down_since else 'up'})"


class DeliveryReceipt(models.Model):
    """Every receipt a provider sent us, kept as evidence of each message's fate.

    A receipt that arrives before the provider's answer was recorded (it happens: the
    SMSC can be faster than our worker) stays "unmatched" and is applied as soon as the
    message id is known.
    """

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("applied")
        IGNORED = "ignored", _("ignored (duplicate or late)")
        UNMATCHED = "unmatched", _("unknown message id")

    provider = models.CharField(max_length=40)
    message_id = models.CharField(max_length=100)
    status = models.CharField(max_length=20)
    provider_status = models.CharField(max_length=60, blank=True)
    at = models.DateTimeField()
    received_at = models.DateTimeField()
    notification = models.ForeignKey(
        Notification,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="receipts",
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    # A signed webhook's signature: the same signed request is accepted only once.
    signature = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [models.Index(fields=["provider", "message_id"])]


class InboundSms(models.Model):
    """A text a citizen sent to the service number (to ask for their case's status)."""

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("answered")
        NO_REFERENCE = "no-reference", _("no reference in the text")
        NOT_FOUND = "not-found", _("no such case from this number")
        RATE_LIMITED = "rate-limited", _("too many requests from this number")

    provider = models.CharField(max_length=40)
    sender = models.CharField(max_length=32)
    text = models.CharField(max_length=1000)
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["sender", "received_at"])]


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


class MessageTemplate(models.Model):
    """An administrator's wording of one message in one language, replacing the catalogue's.

    Saved through the admin, which checks the placeholders and the length; each save is a
    new version, and every notification records the version it was written with.
    """

    key = models.CharField(_("message"), max_length=64)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    body = models.TextField(_("text"))
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "language"], name="unique_message_template"),
        ]
        ordering = ["key", "language"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self) -> str:
        return f"{self.key} ({self.language}) v{self.version}"
