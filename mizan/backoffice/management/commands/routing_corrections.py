"""`manage.py routing_corrections`: where agents corrected the computed destination.

Each correction says the judicial map (mizan/reference/data) is wrong or unsure for a
commune: this report, per commune, tells the reference-data maintainers what to fix.
"""

import csv
from collections import Counter

from django.core.management.base import BaseCommand

from mizan.cases.models import CaseEvent


def routing_corrections() -> list[dict]:
    counts: Counter = Counter()
    confirmed: Counter = Counter()
    names = {}
    for commune_code, commune_name, data in CaseEvent.objects.filter(
        step="confirm_destination"
    ).values_list("case__commune__code", "case__commune__name_fr", "data"):
        key = (commune_code or "-", data.get("from_unit", ""), data.get("destination", ""))
        names[commune_code or "-"] = commune_name or ""
        if data.get("corrected"):
            counts[key] += 1
        else:
            confirmed[(commune_code or "-", data.get("destination", ""))] += 1
    rows = [
        {
            "commune": commune,
            "commune_name": names[commune],
            "routed_to": routed,
            "corrected_to": corrected,
            "corrections": count,
            "confirmed_as_routed": confirmed[(commune, routed)],
        }
        for (commune, routed, corrected), count in counts.most_common()
    ]
    return rows


class Command(BaseCommand):
    help = "CSV of the destinations agents corrected, per commune (most corrected first)."

    def handle(self, *args, **options):
        fields = [
            "commune",
            "commune_name",
            "routed_to",
            "corrected_to",
            "corrections",
            "confirmed_as_routed",
        ]
        writer = csv.DictWriter(self.stdout, fieldnames=fields)
        writer.writeheader()
        writer.writerows(routing_corrections())
