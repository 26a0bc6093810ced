"""Enter the expected religious public holidays for 2025–2027, unconfirmed.

The dates are astronomical estimates (see `mizan/deadlines/expected.py`): the Ministry
of Habous and Islamic Affairs fixes each one after the moon is sighted, so an
administrator corrects and confirms them in the admin when they are announced.
Idempotent: an occasion already entered (or entered with its announced date) is left
as it is.
"""

from django.core.management.base import BaseCommand

from mizan.deadlines.services import holiday_load_expected


class Command(BaseCommand):
    help = (
        "Enter the expected (unconfirmed, astronomically estimated) religious holidays "
        "for 2025-2027. Idempotent; confirm each date in the admin once announced."
    )

    def handle(self, *args, **options):
        summary = holiday_load_expected()
        self.stdout.write(
            f"Religious holidays: {summary.days_created} expected days entered, "
            f"{summary.occasions_present} occasions already present."
        )
