"""Citizens' pages: file a complaint, confirm the phone, track, answer the office.

Views parse input and call one service or selector; every rule lives in services.
"""

import sys

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mizan.accounts.models import PhoneChallenge
from mizan.accounts.services import phone_challenge_start
from mizan.cases import selectors
from mizan.cases.data_export import citizen_data_export, citizen_data_pdf
from mizan.cases.filing import (
    filing_confirm,
    filing_resend_code,
    filing_start,
    pending_filing_get,
)
from mizan.cases.services import access_code_matches, case_citizen_reply, case_citizen_step
from mizan.core.audit import audit_record, citizen_label
from mizan.core.errors import DomainError
from mizan.core.http import client_ip
from mizan.documents.models import Attachment
from mizan.documents.services import (
    attachments_keep_for_form,
    new_upload_token,
)
from mizan.exchange.selectors import citizen_files
from mizan.notifications.phones import masked as masked_phone
from mizan.procedures.registry import PROCEDURES, get_procedure
from mizan.reference.models import Commune
from mizan.reference.routing import prosecution_office_for
from mizan.transparency.selectors import delay_estimate, tracking_delay_estimate

from .codes import code_step_passed
from .forms import CitizenStepForm, CodeForm, ComplaintForm, InformationForm, TrackForm
from .procedure_forms import FILING_FORMS
from .uploads import upload_token_signed, uploads_keep, uploads_kept

SESSION_TRACKED = "mizan_tracked"
SESSION_TRACKED_READ_ONLY = "mizan_tracked_read_only"
SESSION_RECEIPTS = "mizan_receipts"
SESSION_TRACK_CHALLENGE = "mizan_track_challenge"


def home(request):
    return render(request, "portal/home.html", {"procedures": list(PROCEDURES.values())})


@require_http_methods(["GET", "POST"])
def complaint_form(request):
    language = get_language()
    token, kept = new_upload_token(), []
    if request.method == "GET":
        initial = {}
        pending = pending_filing_get(token=request.GET.get("draft", ""))
        if pending is not None and not pending.case_id:
            initial = dict(pending.data)
            filer = initial.pop("filer", {})
            initial.update(
                complainant_name=filer.get("name", ""),
                email=filer.get("email", ""),
                preferred_language=filer.get("language", language),
                phone=pending.phone,
                accused="\n".join(initial.get("accused", [])),
                consent=True,
            )
            token = new_upload_token()
            kept = attachments_keep_for_form(
                attachment_ids=initial.pop("attachment_ids", []), upload_token=token
            )
        form = ComplaintForm(initial=initial, language=language)
    else:
        token, kept = uploads_kept(request)
        form = ComplaintForm(request.POST, request.FILES, language=language, kept_uploads=len(kept))
        if "show_communes" in request.POST:
            # Only the commune list was asked for: the form again, with the
            # province's communes.
            form.show_again()
            valid = False
        else:
            valid = form.is_valid()
        # Files are kept even when the form is sent back, so nothing is uploaded twice.
        if uploads_keep(request, form, token=token, kept=kept) and valid:
            pending = filing_start_from_form(
                request, form, procedure="complaint", data=_complaint_pending_data(form, kept)
            )
            if pending is not None:
                return redirect("portal:complaint_confirm", token=pending.token)
    return render(
        request,
        "portal/complaint_form.html",
        {
            "form": form,
            "upload_token": upload_token_signed(token),
            "kept_uploads": kept,
            "delay_estimate": _complaint_delay_estimate(form),
        },
    )


def _complaint_delay_estimate(form: ComplaintForm):
    """Transparency (#10): at the office that would receive the complaint once its
    commune is chosen (the same routing as the filing), across offices before."""
    commune_code = form.data.get("commune") if form.is_bound else None
    commune = Commune.objects.filter(pk=commune_code).first() if commune_code else None
    if commune is not None:
        office = prosecution_office_for(commune).unit
        if office is not None:
            estimate = delay_estimate(procedure="complaint", unit=office)
            if estimate is not None:
                return estimate
    return delay_estimate(procedure="complaint")


def _complaint_pending_data(form: ComplaintForm, kept: list[Attachment]) -> dict:
    data = form.details()
    data["attachment_ids"] = [a.pk for a in kept]
    data["filer"] = {
        "name": form.cleaned_data["complainant_name"].strip(),
        "email": form.cleaned_data["email"] or "",
        "language": form.cleaned_data["preferred_language"],
    }
    return data


@require_http_methods(["GET", "POST"])
def complaint_confirm(request, token):
    return filing_code(request, token)


def _form_url(procedure: str) -> str:
    if procedure == "complaint":
        return reverse("portal:complaint_form")
    return reverse("portal:procedure_form", kwargs={"procedure": procedure})


@require_http_methods(["GET", "POST"])
def filing_code(request, token):
    """The one-time code that proves the phone, then the filing (any procedure)."""
    pending = pending_filing_get(token=token)
    if pending is None:
        messages.error(request, _("This form has expired. Please fill it in again."))
        return redirect("portal:home")
    if pending.case_id:
        return redirect("portal:filed", reference=pending.case.reference)
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
                # What the code opens is granted to a new session key (see codes.py).
                request.session.cycle_key()
                receipts = request.session.get(SESSION_RECEIPTS, {})
                receipts[filing.case.reference] = filing.access_code
                request.session[SESSION_RECEIPTS] = receipts
                _grant_tracking(request, filing.case.reference)
                return redirect("portal:filed", reference=filing.case.reference)
        except DomainError as error:
            if error.code == "already_filed":
                # A second tap on "file": the first one filed it; show the receipt.
                pending.refresh_from_db()
                return redirect("portal:filed", reference=pending.case.reference)
            if error.field == "code":
                form.add_error("code", error.message)
            else:
                form.add_error(None, error.message)
    return render(
        request,
        "portal/complaint_confirm.html",
        {
            "form": form,
            "pending": pending,
            "phone": masked_phone(str(pending.phone)),
            "procedure": get_procedure(pending.procedure),
            "change_url": f"{_form_url(pending.procedure)}?draft={pending.token}",
        },
    )


@require_http_methods(["GET", "POST"])
def procedure_form(request, procedure):
    """The filing form of a procedure other than the complaint (which has its own page)."""
    form_class = FILING_FORMS.get(procedure)
    if form_class is None:
        if procedure == "complaint":
            return redirect("portal:complaint_form")
        raise Http404
    language = get_language()
    token, kept = new_upload_token(), []
    if request.method == "GET":
        initial = {}
        pending = pending_filing_get(token=request.GET.get("draft", ""))
        if pending is not None and not pending.case_id and pending.procedure == procedure:
            # Back from the code page to change something: the form as it was typed.
            initial = dict(pending.data.get("form_input", {}))
            kept = attachments_keep_for_form(
                attachment_ids=pending.data.get("attachment_ids", []), upload_token=token
            )
        form = form_class(initial=initial, language=language)
    else:
        token, kept = uploads_kept(request)
        form = form_class(request.POST, request.FILES, language=language, kept_uploads=len(kept))
        valid = form.is_valid()
        if uploads_keep(request, form, token=token, kept=kept) and valid:
            data = form.details()
            data["attachment_ids"] = [a.pk for a in kept]
            data["filer"] = form.filer()
            data["form_input"] = _form_input(request.POST, form)
            pending = filing_start_from_form(request, form, procedure=procedure, data=data)
            if pending is not None:
                return redirect("portal:filing_code", token=pending.token)
    return render(
        request,
        "portal/procedure_form.html",
        {
            "form": form,
            "procedure": get_procedure(procedure),
            "upload_token": upload_token_signed(token),
            "kept_uploads": kept,
            # Transparency (#10): the office is not known yet, so across offices.
            "delay_estimate": delay_estimate(procedure=procedure),
        },
    )


def filing_start_from_form(request, form, *, procedure: str, data: dict):
    """The pending filing of a checked filing form (its phone and language), waiting for
    the SMS code; None when it is refused, the reason then said at the top of the form."""
    try:
        return filing_start(
            procedure=procedure,
            data=data,
            phone=str(form.cleaned_data["phone"]),
            language=form.cleaned_data["preferred_language"],
            ip_address=client_ip(request),
        )
    except DomainError as error:
        form.add_error(None, error.message)
        return None


def _form_input(post, form) -> dict:
    """What was typed, to fill the form again if the citizen comes back to change it."""
    kept = {}
    for name, field in form.fields.items():
        if name in ("attachments", "csrfmiddlewaretoken"):
            continue
        values = post.getlist(name)
        if isinstance(field, forms.MultipleChoiceField):
            kept[name] = values
        elif values:
            kept[name] = values[-1]
    return kept


def filed(request, reference):
    receipts = request.session.get(SESSION_RECEIPTS, {})
    if reference not in receipts:
        raise Http404
    case = selectors.case_by_reference(reference=reference)
    if case is None:
        raise Http404
    return render(request, "portal/filed.html", {"case": case, "access_code": receipts[reference]})


def _grant_tracking(request, reference: str, *, read_only: bool = False) -> None:
    """Let this session see a case; `read_only` for the person concerned by a request
    someone else filed (they follow it from their space, only the filer acts on it)."""
    key = SESSION_TRACKED_READ_ONLY if read_only else SESSION_TRACKED
    tracked = set(request.session.get(key, []))
    tracked.add(reference)
    request.session[key] = sorted(tracked)


def _track_failures_key(request) -> str:
    return f"track-failures:{client_ip(request)}"


@require_http_methods(["GET", "POST"])
def track(request):
    form = TrackForm(initial={"reference": request.GET.get("reference", "")})
    if request.method == "POST":
        form = TrackForm(request.POST)
        limit_key = _track_failures_key(request)
        if (cache.get(limit_key) or 0) >= _track_failure_limit():
            form.add_error(
                None,
                _(
                    "Too many unsuccessful attempts from this connection. "
                    "Please wait an hour and try again."
                ),
            )
        elif form.is_valid():
            reference = form.cleaned_data["reference"]
            access_code = form.cleaned_data["access_code"]
            case = selectors.case_by_reference(reference=reference)
            if case is None and _looks_mistyped(reference):
                form.add_error(
                    "reference",
                    _("This reference is not valid: check each character against your SMS."),
                )
            elif access_code:
                if case is not None and access_code_matches(case=case, access_code=access_code):
                    _grant_tracking(request, case.reference)
                    return redirect("portal:track_detail", reference=case.reference)
                _count_failure(limit_key)
                # Guessed or sequential references leave a trace for the auditors.
                audit_record(
                    action="tracking.denied",
                    object_type="case",
                    object_id=reference[:64],
                    actor_label="citizen",
                    ip_address=client_ip(request),
                )
                form.add_error(
                    None,
                    _(
                        "No request matches this reference and access code. "
                        "Check both and try again."
                    ),
                )
            else:
                return _track_send_code(request, case, reference)
    return render(request, "portal/track.html", {"form": form})


def _looks_mistyped(reference: str) -> bool:
    from mizan.core import references

    return references.canonical(reference) is None


def _track_failure_limit() -> int:
    from django.conf import settings

    return settings.MIZAN_TRACK_MAX_FAILURES_PER_IP_PER_HOUR


def _count_failure(key: str) -> None:
    cache.add(key, 0, timeout=3600)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3600)


def _track_send_code(request, case, reference: str):
    """Send a code to the filing phone. The answer is the same whether or not the
    reference exists, so nobody learns which references are in use."""
    challenge_id = None
    if case is not None:
        try:
            challenge = phone_challenge_start(
                phone=str(case.filer_phone),
                purpose=PhoneChallenge.Purpose.TRACKING,
                language=case.language,
                ip_address=client_ip(request),
            )
            challenge_id = challenge.pk
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(reverse("portal:track") + f"?reference={reference}")
    request.session[SESSION_TRACK_CHALLENGE] = {
        "reference": case.reference if case else reference,
        "challenge": challenge_id,
    }
    return redirect("portal:track_code")


@require_http_methods(["GET", "POST"])
def track_code(request):
    pending = request.session.get(SESSION_TRACK_CHALLENGE)
    if not pending:
        return redirect("portal:track")
    form = CodeForm()
    if request.method == "POST":
        form = CodeForm(request.POST)
        if code_step_passed(request, form, challenge_id=pending["challenge"]):
            del request.session[SESSION_TRACK_CHALLENGE]
            _grant_tracking(request, pending["reference"])
            return redirect("portal:track_detail", reference=pending["reference"])
        if form.is_valid() and pending["challenge"] is None:
            # Unknown reference: counted as a wrong code is, against guessing.
            _count_failure(_track_failures_key(request))
    return render(
        request, "portal/track_code.html", {"form": form, "reference": pending["reference"]}
    )


def _tracked_case(request, reference, *, acting: bool = False):
    """The case if this session may see it (and, `acting`, take the filer's steps)."""
    allowed = set(request.session.get(SESSION_TRACKED, []))
    if not acting:
        allowed |= set(request.session.get(SESSION_TRACKED_READ_ONLY, []))
    if reference not in allowed:
        return None
    return selectors.case_by_reference(reference=reference)


def _may_act(request, reference) -> bool:
    return reference in request.session.get(SESSION_TRACKED, [])


@require_GET
def track_detail(request, reference):
    case = _tracked_case(request, reference)
    if case is None:
        return redirect(reverse("portal:track") + f"?reference={reference}")
    return _render_track_detail(request, case, InformationForm())


def _render_track_detail(request, case, information_form, *, failed_form=None, status=200):
    citizen_steps = (
        case.workflow.citizen_steps(case.status) if _may_act(request, case.reference) else []
    )
    can_answer = "provide_information" in {step.name for step in citizen_steps}
    step_forms = [
        failed_form
        if failed_form is not None and failed_form.step.name == step.name
        # The answer to a request for information has its own panel.
        else CitizenStepForm(step=step)
        for step in citizen_steps
        if step.name != "provide_information"
    ]
    return render(
        request,
        "portal/track_detail.html",
        {
            "case": case,
            "timeline": selectors.citizen_timeline(case=case),
            "accesses": selectors.case_accesses_for_citizen(case=case),
            "information_form": information_form if can_answer else None,
            "step_forms": step_forms,
            "decision": selectors.citizen_decision(case=case),
            # Service and enforcement files the court registry attached (#7).
            "exchange_files": citizen_files(case=case),
            # The filer (not a person concerned following it) may download all its data.
            "may_export": _may_act(request, case.reference),
            # Transparency (#10): how long such requests took at this office.
            "delay_estimate": tracking_delay_estimate(case=case),
        },
        status=status,
    )


@require_GET
def track_data(request, reference, data_format):
    """Everything held about the request, for the person who filed it (law 09-08)."""
    if data_format not in ("json", "pdf"):
        raise Http404
    case = _tracked_case(request, reference, acting=True)
    if case is None:
        return redirect(reverse("portal:track") + f"?reference={reference}")
    data = citizen_data_export(case=case)
    audit_record(
        action="case.data_export",
        object_type="case",
        object_id=case.reference,
        actor_label=citizen_label(case.filer_phone),
        ip_address=client_ip(request),
        data={"format": data_format},
    )
    name = f"mizan-{case.reference}-data.{data_format}"
    if data_format == "json":
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    else:
        response = HttpResponse(citizen_data_pdf(data=data), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["POST"])
def provide_information(request, reference):
    case = _tracked_case(request, reference, acting=True)
    if case is None:
        return redirect(reverse("portal:track") + f"?reference={reference}")
    form = InformationForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            case_citizen_reply(
                case_id=case.pk,
                citizen_phone=str(case.filer_phone),
                message=form.cleaned_data["message"],
                uploaded_files=form.cleaned_data["attachments"],
                ip_address=client_ip(request),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Thank you: your answer was sent to the office."))
            return redirect("portal:track_detail", reference=case.reference)
    return _render_track_detail(request, case, form, status=400)


@require_http_methods(["POST"])
def citizen_step(request, reference, step_name):
    """The filer's own steps other than answering: withdraw, agree or not to a handover,
    send a bail deposit receipt."""
    case = _tracked_case(request, reference, acting=True)
    if case is None:
        return redirect(reverse("portal:track") + f"?reference={reference}")
    step = next((s for s in case.workflow.citizen_steps(case.status) if s.name == step_name), None)
    if step is None:
        messages.error(
            request,
            _("This is not possible any more: the request is now “%(status)s”.")
            % {"status": case.state.citizen_label},
        )
        return redirect("portal:track_detail", reference=case.reference)
    form = CitizenStepForm(request.POST, request.FILES, step=step)
    if form.is_valid():
        try:
            case_citizen_step(
                case_id=case.pk,
                step_name=step.name,
                citizen_phone=str(case.filer_phone),
                message=form.cleaned_data["message"],
                uploaded_files=form.cleaned_data.get("attachments") or [],
                expected_status=case.status,
                ip_address=client_ip(request),
            )
        except DomainError as error:
            form.add_error("attachments" if error.field == "files" else None, error.message)
        else:
            messages.success(request, _("Done: %(step)s.") % {"step": step.label})
            return redirect("portal:track_detail", reference=case.reference)
    return _render_track_detail(request, case, InformationForm(), failed_form=form, status=400)


@require_GET
def communes(request, province):
    """The communes of a province, for the form's progressive enhancement."""
    rows = Commune.objects.filter(province_id=province)
    data = sorted(({"code": c.code, "name": c.name} for c in rows), key=lambda c: c["name"])
    response = JsonResponse({"communes": data})
    response["Cache-Control"] = "public, max-age=86400"
    return response


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


# Seconds a client is asked to wait when the database is away (a restart takes a few).
RETRY_AFTER_SECONDS = 30


def server_error(request):
    # Django calls this handler while the exception is being handled. The database away
    # (restarting, failing over, refusing connections) is no bug and passes by itself:
    # a 503 that says "try again", which proxies and clients read as such, not the page
    # of a crash. Nothing was half-written: each step is one transaction.
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        response = render(request, "errors/503.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return render(request, "errors/500.html", status=500)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def csrf_failure(request, reason=""):
    return render(request, "errors/csrf.html", status=403)
