"""The exchange page where an office's commissaire creates and revokes the office's API
keys (the administrators do it in the admin). Views parse input, call one service, and
render; the key is shown once, on the page that answers the form, and kept nowhere."""

from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mizan.core.errors import DomainError
from mizan.core.http import client_ip
from mizan.exchange.selectors import office_of
from mizan.exchange.views import exchange_staff_required

from .forms import OfficeKeyForm
from .models import PartnerKey
from .services import partner_key_create, partner_key_manageable, partner_key_revoke


def _managed_office(request):
    office = office_of(user=request.user)
    if office is None or not partner_key_manageable(user=request.user, office=office):
        raise PermissionDenied
    return office


def _expiry(day):
    # The end of the chosen day in Morocco's time (the site's time zone).
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.max))


@exchange_staff_required
@require_http_methods(["GET", "POST"])
def office_keys(request):
    office = _managed_office(request)
    form = OfficeKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = partner_key_create(
                office=office,
                name=data["name"],
                scopes=data["scopes"],
                acting_user=request.user,
                created_by=request.user,
                expires_at=_expiry(data["expires_on"]),
                ip_address=client_ip(request),
            )
        except DomainError as error:
            field = {"expires_at": "expires_on"}.get(error.field, error.field)
            form.add_error(field if field in form.fields else None, error.message)
        else:
            response = render(
                request,
                "exchange/keys_created.html",
                {"office": office, "key": issued.key, "secret": issued.secret},
            )
            response["Cache-Control"] = "private, no-store"
            return response
    return render(
        request,
        "exchange/keys.html",
        {
            "office": office,
            "form": form,
            "keys": PartnerKey.objects.filter(office=office).select_related("acting_user"),
            "scope_labels": dict(PartnerKey.Scope.choices),
            "now": timezone.now(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@exchange_staff_required
@require_POST
def office_key_revoke(request, key_id):
    office = _managed_office(request)
    key = PartnerKey.objects.filter(pk=key_id, office=office).first()
    if key is None:
        raise Http404
    partner_key_revoke(key_id=key.pk, actor=request.user, ip_address=client_ip(request))
    messages.success(
        request, _("The key “%(name)s” is revoked: it no longer works.") % {"name": key.name}
    )
    return redirect("partner_keys:list")
