from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from .models import ConsoleMessage


def outbox(request):
    """Every SMS the console gateway "sent", one-time codes included, and the demo staff's
    current second-factor codes (development only)."""
    if not settings.MIZAN_DEV_OUTBOX:
        raise Http404
    from mizan.accounts.demo import demo_second_factor_codes

    return render(
        request,
        "notifications/outbox.html",
        {
            "outbox": ConsoleMessage.objects.all()[:100],
            "second_factor_codes": demo_second_factor_codes(),
        },
    )
