"""Reads about the outbox, shared by the status command, readiness and the metrics."""

from datetime import datetime

from django.db.models import Min
from django.utils import timezone

from .models import IN_FLIGHT_STATUSES, Notification


def oldest_in_flight_seconds(now: datetime | None = None) -> float:
    """Age of the oldest message not yet handed over for good (0 when there is none)."""
    now = now or timezone.now()
    oldest = Notification.objects.filter(status__in=IN_FLIGHT_STATUSES).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    return max((now - oldest).total_seconds(), 0.0) if oldest else 0.0
