import logging

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from .gateways import get_sms_gateway
from .models import Notification

logger = logging.getLogger(__name__)


@task(queue_name="notifications")
def deliver_notification(*, notification_id: int) -> str:
    """Hand one queued message to the gateway, once.

    The row is locked while it moves to "sending", and anything that is not freshly
    queued is left alone, so a task run twice never sends twice. Retries with back-off
    and the real gateways come with the notifications issue.
    """
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(id=notification_id).first()
        if notification is None or notification.status != Notification.Status.QUEUED:
            return "skipped"
        notification.status = Notification.Status.SENDING
        notification.attempts += 1
        notification.save(update_fields=["status", "attempts", "updated_at"])

    result = get_sms_gateway().send_sms(notification)

    now = timezone.now()
    notification.provider = result.provider
    notification.provider_reference = result.provider_reference
    notification.sent_at = now
    if result.delivered:
        notification.status = Notification.Status.DELIVERED
        notification.delivered_at = now
    else:
        notification.status = Notification.Status.SENT
    if notification.sensitive:
        notification.body = "—"
    notification.save()
    return notification.status
