"""Staff second factor pages (enrol, verify, recovery codes) and the auditors' log."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login

from mizan.accounts.two_factor import (
    recovery_codes_regenerate,
    second_factor_verify,
    staff_has_second_factor,
    totp_enrolment_confirm,
    totp_enrolment_start,
    totp_qr_svg,
    totp_secret_display,
)
from mizan.core.errors import DomainError
from mizan.core.http import client_ip
from mizan.core.models import AuditEntry

from .access import staff_required


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        help_text=_("6 digits, or one of your recovery codes."),
        error_messages={"required": _("Type the code your authenticator app shows now.")},
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "dir": "ltr"}
        ),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("backoffice:queue")


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    if request.user.is_verified():
        return redirect(_next_url(request))
    if not staff_has_second_factor(request.user):
        return redirect("backoffice:enrol")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = second_factor_verify(
                user=request.user, code=form.cleaned_data["code"], ip_address=client_ip(request)
            )
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            otp_login(request, device)
            # A new session key once fully signed in (the password step had one).
            request.session.cycle_key()
            return redirect(_next_url(request))
    return render(request, "backoffice/verify.html", {"form": form, "next": _next_url(request)})


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request):
    if staff_has_second_factor(request.user) and not request.user.is_verified():
        return redirect("backoffice:verify")
    device = totp_enrolment_start(user=request.user)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp_enrolment_confirm(
                user=request.user, code=form.cleaned_data["code"], ip_address=client_ip(request)
            )
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            otp_login(request, device)
            request.session.cycle_key()
            return render(
                request,
                "backoffice/recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
    return render(
        request,
        "backoffice/enrol.html",
        {
            "form": form,
            "qr_svg": totp_qr_svg(device),
            "secret": totp_secret_display(device),
            "next": _next_url(request),
        },
    )


@staff_required(any_role=True)
@require_http_methods(["POST"])
def recovery_codes(request):
    codes = recovery_codes_regenerate(user=request.user, ip_address=client_ip(request))
    return render(
        request,
        "backoffice/recovery_codes.html",
        {"codes": codes, "next": reverse("backoffice:queue")},
    )


@staff_required(auditor=True)
@require_GET
def audit_log(request):
    """The tamper-evident log, for auditors only: read, filter, never change."""
    entries = AuditEntry.objects.select_related("actor").order_by("-id")
    action = request.GET.get("action", "").strip()
    object_id = request.GET.get("object", "").strip()
    if action:
        entries = entries.filter(action=action)
    if object_id:
        entries = entries.filter(object_id=object_id)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    actions = AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
    return render(
        request,
        "backoffice/audit_log.html",
        {"page": page, "action": action, "object": object_id, "actions": actions},
    )
