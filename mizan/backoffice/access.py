"""Who may open a staff page: signed in, second factor passed, and the right role."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from mizan.accounts.models import Membership, Role
from mizan.accounts.two_factor import staff_has_second_factor


def _second_factor_redirect(request):
    target = "backoffice:verify" if staff_has_second_factor(request.user) else "backoffice:enrol"
    return redirect(f"{reverse(target)}?next={request.get_full_path()}")


def staff_required(
    view=None, *, roles: set[str] | None = None, auditor: bool = False, any_role: bool = False
):
    """Staff pages: a password log-in is not enough, the second factor must be passed.

    Case pages are for members of a unit with a working role; the audit log only for
    auditors (`auditor=True`), who see nothing else; `any_role` pages (the staff
    member's own settings) for both.
    """

    def decorate(view_function):
        @wraps(view_function)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_verified():
                return _second_factor_redirect(request)
            user_roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
            if any_role:
                return view_function(request, *args, **kwargs)
            if auditor:
                if Role.AUDITOR not in user_roles:
                    raise PermissionDenied
            elif not (user_roles - {Role.AUDITOR}):
                if Role.AUDITOR in user_roles:
                    return redirect("backoffice:audit_log")
                # A commissaire de justice's office works in the exchange only.
                if hasattr(user, "office_membership"):
                    return redirect("exchange:home")
                raise PermissionDenied
            if roles is not None and not (user_roles & roles):
                raise PermissionDenied
            return view_function(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
