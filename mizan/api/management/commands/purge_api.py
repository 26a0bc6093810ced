from django.core.management.base import BaseCommand

from mizan.api.services import api_expired_purge


class Command(BaseCommand):
    help = (
        "Delete the API's idempotency records past their retention and the app sign-ins "
        "that can no longer be used (run daily, e.g. from cron, next to purge_expired)."
    )

    def handle(self, *args, **options):
        records, sign_ins = api_expired_purge()
        self.stdout.write(
            f"Deleted {records} idempotency records and {sign_ins} ended or expired sign-ins."
        )
