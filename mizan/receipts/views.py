"""Receipts: the citizen's download, and the public verification page.

Views parse input, check who may act, call one service and render.
"""

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods

# The portal's rule: a session sees a case once it proved it may (access code or SMS
# code), which puts the reference in the session's tracked list.
from mizan.portal.views import _tracked_case

from .forms import ReceiptVerifyForm
from .keys import verification_keys
from .services import receipt_render, receipt_verify


@require_GET
def receipt_download(request, reference):
    case = _tracked_case(request, reference)
    if case is None:
        return redirect(reverse("portal:track") + "?" + urlencode({"reference": reference}))
    pdf = receipt_render(case=case, language=get_language())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}.pdf"'
    # Personal data: never kept by a shared cache or the browser's.
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def verify(request):
    form = ReceiptVerifyForm()
    verification = None
    if request.method == "POST":
        form = ReceiptVerifyForm(request.POST, request.FILES)
        if form.is_valid():
            verification = receipt_verify(
                pdf_bytes=form.cleaned_data["receipt"],
                reference=form.cleaned_data["reference"] or None,
            )
    return render(request, "receipts/verify.html", {"form": form, "verification": verification})


@require_GET
def verify_key(request):
    """The public keys, as text, for anyone who verifies receipts offline."""
    response = render(
        request,
        "receipts/keys.txt",
        {"keys": list(verification_keys().values())},
        content_type="text/plain; charset=utf-8",
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response
