"""SMS gateways behind one small interface.

A gateway takes one `OutboundSms` and either returns `Accepted` (the provider took it,
with one message id per part) or raises one of three errors that tell the caller what
it may do next:

- `TemporaryGatewayError`: the provider certainly did not take the message (refused
  connection, throttled, 5xx before acceptance). Retry later, or try the fallback.
- `PermanentGatewayError`: the provider will never take it (invalid or blocked number).
- `UncertainGatewayError`: the request may have been accepted (timeout after sending,
  connection lost before the answer). Retry only with the same provider and the same
  `client_reference`, on which providers deduplicate; never switch to the fallback.

Which gateways run is chosen by settings (`MIZAN_SMS_GATEWAYS`, primary first); see
`mizan.notifications.routing`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from django.utils import timezone

logger = logging.getLogger("mizan.sms")


@dataclass(frozen=True)
class OutboundSms:
    # Ours, stable across every attempt of one notification: providers deduplicate on it.
    client_reference: str
    # E.164, e.g. "+212612345678".
    recipient: str
    body: str
    sender: str


@dataclass(frozen=True)
class Accepted:
    provider: str
    # One id per part for SMPP (each part is its own submit_sm); one for HTTP providers.
    message_ids: tuple[str, ...]
    # The provider confirmed delivery in its answer (only the console gateway does).
    delivered: bool = False


@dataclass
class GatewayError(Exception):
    reason: str
    provider: str = ""
    # The provider's own code or status, kept for the back-office and the logs.
    provider_status: str = ""
    # Seconds the provider asked us to wait (HTTP 429 Retry-After, SMPP throttling).
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"{self.provider}: {self.reason}"


@dataclass
class TemporaryGatewayError(GatewayError):
    pass


@dataclass
class PermanentGatewayError(GatewayError):
    pass


@dataclass
class UncertainGatewayError(GatewayError):
    pass


@dataclass
class ConsoleGateway:
    """Development gateway: logs the message and keeps it for the dev outbox page."""

    name: str = "console"
    options: dict = field(default_factory=dict)

    def send_sms(self, sms: OutboundSms) -> Accepted:
        from .models import ConsoleMessage, Notification

        notification = Notification.objects.filter(client_reference=sms.client_reference).first()
        if notification is not None:
            ConsoleMessage.objects.update_or_create(
                notification=notification,
                defaults={
                    "recipient": sms.recipient,
                    "body": sms.body,
                    "sent_at": timezone.now(),
                },
            )
        logger.info("SMS to %s: %s", sms.recipient, sms.body)
        return Accepted(self.name, (f"console-{uuid.uuid4().hex[:12]}",), delivered=True)
