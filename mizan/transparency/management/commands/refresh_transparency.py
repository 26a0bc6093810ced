"""Recompute the public statistics: rollups of the cases, then their publication.

Daily (docs/operations.md). Without options: the previous and the current month (and
every month since the first request on the very first run). `--month 2026-03`
recomputes one closed month again (idempotent); `--since 2025-01` every month from
there, e.g. after a correction of old cases.
"""

from django.core.management.base import BaseCommand, CommandError

from mizan.core.errors import DomainError
from mizan.transparency.periods import parse_month
from mizan.transparency.services import transparency_refresh


class Command(BaseCommand):
    help = "Recompute the public statistics (rollups and published figures)."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--month", help="one month to recompute, YYYY-MM")
        group.add_argument("--since", help="recompute every month from this one, YYYY-MM")

    def handle(self, *args, **options):
        try:
            since = parse_month(options["since"]) if options["since"] else None
            month = parse_month(options["month"]) if options["month"] else None
            summary = transparency_refresh(month, since=since)
        except ValueError as error:
            raise CommandError(f"Months are written YYYY-MM: {error}") from error
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Transparency: {len(summary.recomputed)} month(s) recomputed, "
            f"{len(summary.published)} month(s) published."
        )
