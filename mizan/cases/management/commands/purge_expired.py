from django.core.management.base import BaseCommand

from mizan.cases.retention import expired_data_purge


class Command(BaseCommand):
    help = (
        "Delete expired unconfirmed forms, their uploads and old one-time codes "
        "(run daily, e.g. from cron)."
    )

    def handle(self, *args, **options):
        summary = expired_data_purge()
        self.stdout.write(
            f"Deleted {summary.pending_filings} expired forms, {summary.uploads} orphan "
            f"uploads and {summary.challenges} old one-time codes."
        )
