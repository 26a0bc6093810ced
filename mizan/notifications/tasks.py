from django.tasks import task

from .services import notification_deliver


@task(queue_name="notifications")
def deliver_notification(*, notification_id: int) -> str:
    """Hand one queued message to its provider (see `notification_deliver`)."""
    return notification_deliver(notification_id=notification_id)
