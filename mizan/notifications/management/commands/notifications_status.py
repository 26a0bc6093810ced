"""`manage.py notifications_status`: where the messages are, for the person on call."""

import json

from django.core.management.base import BaseCommand
from django.db.models import Count

from mizan.notifications.models import DeliveryReceipt, Notification
from mizan.notifications.selectors import oldest_in_flight_seconds, sms_providers_health


def notifications_status() -> dict:
    by_status = {
        row["status"]: row["count"]
        for row in Notification.objects.values("status").annotate(count=Count("id"))
    }
    by_provider: dict[str, dict[str, int]] = {}
    for row in Notification.objects.values("provider", "status").annotate(count=Count("id")):
        by_provider.setdefault(row["provider"] or "-", {})[row["status"]] = row["count"]
    return {
        "by_status": dict(sorted(by_status.items())),
        "by_provider": dict(sorted(by_provider.items())),
        "oldest_in_flight_seconds": round(oldest_in_flight_seconds(), 1),
        "unmatched_receipts": DeliveryReceipt.objects.filter(
            outcome=DeliveryReceipt.Outcome.UNMATCHED
        ).count(),
        "providers": [
            {
                **provider,
                "down_since": _iso(provider["down_since"]),
                "next_probe_at": _iso(provider["next_probe_at"]),
            }
            for provider in sms_providers_health()
        ],
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


class Command(BaseCommand):
    help = "Counts of messages per status and provider, and the age of the oldest in flight."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print JSON (for monitoring).")

    def handle(self, *args, json: bool = False, **options):
        status = notifications_status()
        if json:
            self.stdout.write(_dumps(status))
            return
        self.stdout.write("Messages by status:")
        for name, count in status["by_status"].items():
            self.stdout.write(f"  {name:<18} {count:>9}")
        self.stdout.write("By provider:")
        for provider, counts in status["by_provider"].items():
            detail = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
            self.stdout.write(f"  {provider:<18} {detail}")
        self.stdout.write(f"Oldest in flight: {status['oldest_in_flight_seconds']} s")
        self.stdout.write(f"Unmatched receipts: {status['unmatched_receipts']}")
        self.stdout.write("SMS providers:")
        for provider in status["providers"]:
            if provider["up"]:
                state = "up"
            else:
                state = (
                    f"DOWN since {provider['down_since']}, {provider['failures']} failures,"
                    f" next probe {provider['next_probe_at']}: {provider['last_error']}"
                )
            self.stdout.write(f"  {provider['provider']:<18} {state}")


def _dumps(value) -> str:
    return json.dumps(value, indent=2)
