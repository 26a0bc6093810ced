from django.tasks import task

from .services import notification_deliver, notifications_dispatch


@task(queue_name="notifications")
def dispatch_notifications() -> int:
    """Hand every due message over, in batches (see `notifications_dispatch`)."""
    return notifications_dispatch()


@task(queue_name="notifications")
def deliver_notification(*, notification_id: int) -> str:
    """Hand one message to its provider: a retry come due, or one a dead worker held."""
    return notification_deliver(notification_id=notification_id)
