from django.core.management.base import BaseCommand

from mizan.reference.services import reference_load


class Command(BaseCommand):
    help = "Load (or refresh) Morocco's territories, courts, prisons and the units. Idempotent."

    def handle(self, *args, **options):
        summary = reference_load()
        self.stdout.write(
            f"Reference data: {summary.regions} regions, {summary.provinces} provinces, "
            f"{summary.communes} communes, {summary.courts} courts, {summary.prisons} prisons, "
            f"{summary.units} units."
        )
