"""Anonymise the personal data of closed cases past their procedure's retention period
(law 09-08). Run daily; `--dry-run` only reports what would be anonymised."""

from django.core.management.base import BaseCommand

from mizan.appointments.retention import booking_retention_apply, booking_retention_report
from mizan.cases.retention import retention_apply, retention_report


class Command(BaseCommand):
    help = (
        "Anonymise closed cases past their retention period (MIZAN_RETENTION_DAYS) and "
        "bookings past MIZAN_APPOINTMENT_RETENTION_DAYS; --dry-run reports without "
        "changing anything."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report only.")
        parser.add_argument("--limit", type=int, default=None, help="At most this many cases.")

    def handle(self, *args, dry_run=False, limit=None, **options):
        report = retention_report()
        for row in report:
            self.stdout.write(
                f"{row['procedure']}: {row['cases']} closed cases past {row['retention_days']} "
                f"days (oldest closed {row['oldest_closed']:%Y-%m-%d})"
            )
        if not report:
            self.stdout.write("No case is past its retention period.")
        bookings = booking_retention_report()
        if bookings:
            self.stdout.write(
                f"appointments: {bookings['bookings']} bookings past "
                f"{bookings['retention_days']} days (oldest ended {bookings['oldest']:%Y-%m-%d})"
            )
        else:
            self.stdout.write("No booking is past its retention period.")
        if dry_run:
            self.stdout.write("Dry run: nothing changed.")
            return
        counts = retention_apply(limit=limit)
        self.stdout.write(f"Anonymised: {counts or 'none'}")
        self.stdout.write(f"Bookings anonymised: {booking_retention_apply(limit=limit)}")
