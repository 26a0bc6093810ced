"""Reads about the outbox, shared by the status command, readiness and the metrics."""

from datetime import datetime

from django.db.models import Min
from django.utils import timezone

from .models import IN_FLIGHT_STATUSES, Notification, ProviderHealth


def oldest_in_flight_seconds(now: datetime | None = None) -> float:
    """Age of the oldest message not yet handed over for good (0 when there is none)."""
    now = now or timezone.now()
    oldest = Notification.objects.filter(status__in=IN_FLIGHT_STATUSES).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    return max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


def sms_providers_health() -> list[dict]:
    """Every configured SMS provider: up or down, since when, its next probe, its error.

    A provider with no row has never failed: up.
    """
    from .routing import provider_configs

    rows = {row.provider: row for row in ProviderHealth.objects.all()}
    providers = []
    for config in provider_configs():
        row = rows.get(config.name)
        down = row is not None and row.down_since is not None
        providers.append(
            {
                "provider": config.name,
                "up": not down,
                "down_since": row.down_since if down else None,
                "next_probe_at": row.next_probe_at if down else None,
                "failures": row.failures if down else 0,
                "last_error": row.last_error if row is not None else "",
            }
        )
    return providers
