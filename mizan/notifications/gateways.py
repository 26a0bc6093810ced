"""SMS gateways behind one small interface, chosen by `MIZAN_SMS_GATEWAY`.

Only the console gateway exists in the foundation; the HTTP aggregator and SMPP
gateways come with the notifications issue and plug in here.
"""

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger("mizan.sms")


@dataclass(frozen=True)
class SendResult:
    provider: str
    provider_reference: str
    delivered: bool  # the provider confirmed delivery in its answer


class ConsoleGateway:
    """Development gateway: logs the message and keeps it for the dev outbox page."""

    name = "console"

    def send_sms(self, notification) -> SendResult:
        from .models import ConsoleMessage

        ConsoleMessage.objects.update_or_create(
            notification=notification,
            defaults={
                "recipient": notification.recipient,
                "body": notification.body,
                "sent_at": timezone.now(),
            },
        )
        logger.info("SMS to %s: %s", notification.recipient, notification.body)
        return SendResult(self.name, f"console-{uuid.uuid4().hex[:12]}", delivered=True)


GATEWAYS = {"console": ConsoleGateway}


def get_sms_gateway():
    try:
        return GATEWAYS[settings.MIZAN_SMS_GATEWAY]()
    except KeyError as missing:
        raise RuntimeError(
            f"Unknown MIZAN_SMS_GATEWAY {settings.MIZAN_SMS_GATEWAY!r}; "
            f"choose one of {sorted(GATEWAYS)}"
        ) from missing
