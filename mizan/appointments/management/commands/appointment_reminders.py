"""Queue every appointment reminder that is due: the safety net behind the deferred
tasks (a task lost with a database restore, a worker down at the time). Safe to run
often and from several machines: a reminder is sent once, under its row's lock."""

from django.core.management.base import BaseCommand

from mizan.appointments.services import reminders_send_due


class Command(BaseCommand):
    help = "Queue the SMS of every appointment reminder that is due and still pending."

    def handle(self, *args, **options):
        counts = reminders_send_due()
        self.stdout.write(f"Appointment reminders: {counts or 'none due'}")
