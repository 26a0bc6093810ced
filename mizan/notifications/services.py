from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from .messages import MESSAGES
from .models import Notification


def notification_render(*, template_key: str, language: str, context: dict) -> str:
    with translation.override(language):
        return str(MESSAGES[template_key]) % context


def tracking_link(*, reference: str, language: str) -> str:
    return f"{settings.SITE_URL}/{language}/track/{reference}/"


def notification_queue(
    *,
    template_key: str,
    recipient: str,
    language: str,
    context: dict,
    idempotency_key: str,
    case=None,
    case_event=None,
    sensitive: bool = False,
) -> Notification:
    """Write the outbox row and enqueue its delivery, in the caller's transaction.

    A second call with the same idempotency key returns the first row unchanged.
    """
    from .tasks import deliver_notification

    with transaction.atomic():
        existing = Notification.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        notification = Notification.objects.create(
            case=case,
            case_event=case_event,
            channel=Notification.Channel.SMS,
            recipient=recipient,
            language=language,
            template_key=template_key,
            body=notification_render(template_key=template_key, language=language, context=context),
            sensitive=sensitive,
            idempotency_key=idempotency_key,
            created_at=timezone.now(),
        )
        # The database task backend writes the task row in this same transaction.
        deliver_notification.enqueue(notification_id=notification.id)
    return notification
