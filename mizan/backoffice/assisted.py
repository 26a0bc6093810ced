"""Assisted filing: an agent files for a citizen at a counter, a stand or on the phone.

The citizen's phone is still proven: the code goes to it and the citizen reads it back
to the agent. The channel and the agent are recorded on the case and counted.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mizan.cases.filing import filing_confirm, filing_resend_code, pending_filing_get
from mizan.core.errors import DomainError
from mizan.core.http import client_ip
from mizan.portal.forms import CodeForm, ComplaintForm
from mizan.portal.procedure_forms import FILING_FORMS
from mizan.portal.uploads import upload_token_signed, uploads_keep, uploads_kept
from mizan.portal.views import _grant_tracking, filing_start_from_form
from mizan.procedures.common import CHANNELS
from mizan.procedures.registry import get_procedure

from .access import staff_required

# Every procedure can be filed at a counter: the complaint has its own form.
ASSISTED_FORMS = {"complaint": ComplaintForm, **FILING_FORMS}
# Counters, stands and phones: a citizen on the web files alone.
ASSISTED_CHANNELS = [(code, label) for code, label in CHANNELS if code not in ("web", "app")]
SESSION_ASSISTED = "mizan_assisted_filed"


def _assisted_form(form_class):
    """The citizen's form plus how the request reached the agent."""

    class AssistedForm(form_class):
        channel = forms.ChoiceField(
            label=gettext_lazy("How the citizen came to you"),
            choices=[("", "—"), *ASSISTED_CHANNELS],
            error_messages={"required": gettext_lazy("Choose how the citizen came to you.")},
        )

        def sections(self):
            return [(gettext_lazy("Channel"), [self["channel"]]), *super().sections()]

    return AssistedForm


@staff_required
def assisted_start(request):
    return render(
        request,
        "backoffice/assisted_start.html",
        {"procedures": [get_procedure(code) for code in ASSISTED_FORMS]},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def assisted_form(request, procedure):
    if procedure not in ASSISTED_FORMS:
        return redirect("backoffice:assisted_start")
    form_class = _assisted_form(ASSISTED_FORMS[procedure])
    token, kept = uploads_kept(request)
    if request.method == "GET":
        form = form_class(language=get_language())
    else:
        form = form_class(
            request.POST, request.FILES, language=get_language(), kept_uploads=len(kept)
        )
        if "show_communes" in request.POST:
            # Only the commune list was asked for (complaint, without JavaScript).
            form.show_again()
            valid = False
        else:
            valid = form.is_valid()
        # Files are kept even when the form is sent back, so nothing is uploaded twice.
        if uploads_keep(request, form, token=token, kept=kept, actor=request.user) and valid:
            data = form.details()
            data["attachment_ids"] = [a.pk for a in kept]
            data["filer"] = form.filer()
            data["assisted"] = {"channel": form.cleaned_data["channel"], "agent": request.user.pk}
            pending = filing_start_from_form(request, form, procedure=procedure, data=data)
            if pending is not None:
                return redirect("backoffice:assisted_code", token=pending.token)
    return render(
        request,
        "backoffice/assisted_form.html",
        {
            "form": form,
            "procedure": get_procedure(procedure),
            "upload_token": upload_token_signed(token),
            "kept_uploads": kept,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def assisted_code(request, token):
    """The citizen reads back the code they received; the agent types it."""
    pending = pending_filing_get(token=token)
    if pending is None or (pending.data.get("assisted") or {}).get("agent") != request.user.pk:
        messages.error(request, _("This form has expired. Please fill it in again."))
        return redirect("backoffice:assisted_start")
    if pending.case_id:
        return redirect("backoffice:assisted_filed", reference=pending.case.reference)
    form = CodeForm()
    if request.method == "POST":
        try:
            if "resend" in request.POST:
                filing_resend_code(pending=pending, ip_address=client_ip(request))
                messages.success(request, _("A new code was sent."))
                return redirect(request.path)
            form = CodeForm(request.POST)
            if form.is_valid():
                filing = filing_confirm(
                    token=token, code=form.cleaned_data["code"], ip_address=client_ip(request)
                )
                request.session[SESSION_ASSISTED] = {filing.case.reference: filing.access_code}
                return redirect("backoffice:assisted_filed", reference=filing.case.reference)
        except DomainError as error:
            form.add_error("code" if error.field == "code" else None, error.message)
    return render(
        request, "backoffice/assisted_code.html", {"form": form, "phone": str(pending.phone)}
    )


@staff_required
def assisted_filed(request, reference):
    access_code = request.session.get(SESSION_ASSISTED, {}).get(reference)
    if access_code is None:
        return redirect("backoffice:case", reference=reference)
    # The agent may print the receipt of the request they just filed.
    _grant_tracking(request, reference)
    return render(
        request,
        "backoffice/assisted_filed.html",
        {"reference": reference, "access_code": access_code},
    )
