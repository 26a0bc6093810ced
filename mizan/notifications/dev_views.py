from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from .models import ConsoleMessage


def outbox(request):
    """Every SMS the console gateway "sent", one-time codes included (development)."""
    if not settings.MIZAN_DEV_OUTBOX:
        raise Http404
    return render(
        request, "notifications/outbox.html", {"outbox": ConsoleMessage.objects.all()[:100]}
    )
