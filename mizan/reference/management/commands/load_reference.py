from pathlib import Path

from django.core.management.base import BaseCommand

from mizan.reference.services import reference_load


class Command(BaseCommand):
    help = (
        "Load (or refresh) Morocco's territories, courts, prisons and the units, and report "
        "what changed. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir",
            type=Path,
            help="A directory with corrected CSV files of the same names and columns.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report the changes without saving them."
        )

    def handle(self, *args, data_dir=None, dry_run=False, **options):
        summary = reference_load(data_dir=data_dir, dry_run=dry_run)
        self.stdout.write(
            f"Reference data: {summary.regions} regions, {summary.provinces} provinces, "
            f"{summary.communes} communes, {summary.courts} courts, {summary.prisons} prisons, "
            f"{summary.units} units."
        )
        if summary.changes:
            shown = summary.changes[:200]
            self.stdout.write(
                f"{len(summary.changes)} change(s){' (dry run: nothing saved)' if dry_run else ''}:"
            )
            for change in shown:
                self.stdout.write(f"  {change}")
            if len(summary.changes) > len(shown):
                self.stdout.write(f"  … and {len(summary.changes) - len(shown)} more")
        else:
            self.stdout.write("No change.")
