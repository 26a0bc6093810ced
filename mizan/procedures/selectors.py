from django.utils import timezone

from .models import CommissionSession


def commission_sessions_open():
    """Sessions a pardon request can still be scheduled to: to come, agenda open."""
    return CommissionSession.objects.filter(
        date__gte=timezone.localdate(), agenda_closed=False
    ).order_by("date")
