import resource
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from mizan.cases.seeding import BENCH_ACCESS_CODE, bench_seed
from mizan.reference.models import Commune


class Command(BaseCommand):
    help = (
        "Insert N realistic cases of every procedure (with events, SMS, documents and audit "
        "entries) for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True)
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, **options):
        total = options["cases"]
        if total < 1:
            raise CommandError("--cases must be at least 1.")
        if not Commune.objects.exists():
            # Cases are routed over the communes and units: without them there is
            # nothing to file against.
            raise CommandError(
                "No reference data in this database: run `manage.py load_reference` first."
            )
        started = time.monotonic()

        def progress(done: int) -> None:
            elapsed = time.monotonic() - started
            width = 30
            filled = int(width * done / total)
            sys.stderr.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} cases "
                f"{done / elapsed if elapsed else 0:,.0f}/s"
            )
            sys.stderr.flush()

        summary = bench_seed(
            count=total, batch_size=options["batch_size"], seed=options["seed"], progress=progress
        )
        sys.stderr.write("\n")
        # VACUUM cannot run in a transaction (a caller's, as in the tests).
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # What autovacuum gives a real database in time: fresh statistics and a
            # visibility map, without which counts read every row of the table.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        elapsed = time.monotonic() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        mix = ", ".join(f"{code} {n}" for code, n in summary.procedures.items())
        # bench/run.py reads "peak memory N MB" from this line.
        self.stdout.write(
            f"Seeded {summary.cases} cases ({mix}), {summary.events} events, "
            f"{summary.notifications} notifications, {summary.audit_entries} audit entries "
            f"in {elapsed:.1f} s ({summary.cases / elapsed:,.0f} cases/s); "
            f"peak memory {peak_mb:.0f} MB. Access code of every seeded case: {BENCH_ACCESS_CODE}"
        )
