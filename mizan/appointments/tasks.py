from django.tasks import task

from .services import reminder_send


@task(queue_name="default")
def send_appointment_reminder(*, reminder_id: int) -> str:
    """Deferred to the reminder's time (`run_after`); see `reminder_send`."""
    return reminder_send(reminder_id=reminder_id)
