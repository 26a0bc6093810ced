from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse


class MizanAdminSite(admin.AdminSite):
    """The admin asks for the same two factors as the back-office, through its log-in."""

    def has_permission(self, request):
        return super().has_permission(request) and request.user.is_verified()

    def login(self, request, extra_context=None):
        return redirect_to_login(
            request.GET.get("next") or reverse("admin:index"),
            login_url=reverse("backoffice:login"),
        )
