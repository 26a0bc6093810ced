import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import ngettext

LAST_SEEN = "staff_last_seen"


class StaffIdleTimeoutMiddleware:
    """End a signed-in session left idle too long (a shared office computer left open).

    The time of the last request is written to the session at most once a minute, so
    that an agent's every click does not rewrite the session row.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN)
            idle = settings.MIZAN_STAFF_IDLE_MINUTES * 60
            if last_seen is not None and now - last_seen > idle:
                logout(request)
                minutes = settings.MIZAN_STAFF_IDLE_MINUTES
                messages.info(
                    request,
                    ngettext(
                        "You were signed out after %(minutes)s minute without activity.",
                        "You were signed out after %(minutes)s minutes without activity.",
                        minutes,
                    )
                    % {"minutes": minutes},
                )
                return redirect_to_login(request.get_full_path())
            if last_seen is None or now - last_seen > 60:
                request.session[LAST_SEEN] = now
        return self.get_response(request)
