"""Exchange pages, for both sides: the court registry (files sent, new file) and the
commissaire's office (inbox). Views parse input, call one service, and render."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mizan.accounts.models import Unit
from mizan.backoffice.access import _second_factor_redirect
from mizan.core.audit import audit_record
from mizan.core.errors import DomainError
from mizan.core.http import client_ip
from mizan.portal.uploads import upload_token_signed, uploads_keep, uploads_kept
from mizan.reference.models import Commune

from . import selectors, workflow
from .forms import STEP_FORMS, CaseLinkForm, ExchangeFileForm
from .history import exchange_history_pdf
from .services import (
    exchange_document_store,
    exchange_file_access_record,
    exchange_file_case_link,
    exchange_file_case_unlink,
    exchange_file_create,
    exchange_file_transition,
)


def exchange_staff_required(view_function):
    """Signed in with both factors, as every staff page; the side is checked per page."""

    @wraps(view_function)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_verified():
            return _second_factor_redirect(request)
        return view_function(request, *args, **kwargs)

    return wrapper


@exchange_staff_required
@require_GET
def home(request):
    if selectors.office_of(user=request.user) is not None:
        return redirect("exchange:inbox")
    if selectors.court_units_of(user=request.user):
        return redirect("exchange:sent")
    raise PermissionDenied


def _file_list(request, files, *, template, extra):
    status = _status_filter(request)
    page = Paginator(files, 50).get_page(request.GET.get("page"))
    return render(
        request,
        template,
        {
            "page": page,
            "states": workflow.STATES,
            "status": status,
            "labels": {state.name: state.label for state in workflow.STATES},
            **extra,
        },
    )


def _status_filter(request) -> str:
    status = request.GET.get("status", "")
    return status if status in {state.name for state in workflow.STATES} else ""


@exchange_staff_required
@require_GET
def sent(request):
    units = selectors.court_units_of(user=request.user)
    if not units:
        raise PermissionDenied
    overdue_only = request.GET.get("overdue") == "1"
    files = selectors.files_sent(
        user=request.user, status=_status_filter(request), overdue_only=overdue_only
    )
    return _file_list(
        request,
        files,
        template="exchange/sent.html",
        extra={"units": units, "overdue_only": overdue_only},
    )


@exchange_staff_required
@require_GET
def inbox(request):
    office = selectors.office_of(user=request.user)
    if office is None:
        raise PermissionDenied
    files = selectors.office_inbox(user=request.user, status=_status_filter(request))
    return _file_list(request, files, template="exchange/inbox.html", extra={"office": office})


@exchange_staff_required
@require_http_methods(["GET", "POST"])
def file_create(request):
    units = selectors.court_units_of(user=request.user)
    if not units:
        raise PermissionDenied
    unit_queryset = Unit.objects.filter(pk__in=[unit.pk for unit in units]).select_related("court")
    token, kept = uploads_kept(request)
    if request.method == "GET":
        form = ExchangeFileForm(court_units=unit_queryset, initial={"kind": "service"})
    else:
        form = ExchangeFileForm(request.POST, request.FILES, court_units=unit_queryset)
        if "show_communes" in request.POST:
            form.show_again()  # only the commune list was asked for
            valid = False
        else:
            valid = form.is_valid()
        # Files are kept even when the form is sent back, so nothing is uploaded twice.
        if not uploads_keep(
            request,
            form,
            token=token,
            kept=kept,
            field="documents",
            actor=request.user,
            store=exchange_document_store,
        ):
            valid = False
        if valid:
            data = form.cleaned_data
            try:
                file = exchange_file_create(
                    actor=request.user,
                    court_unit=data["court_unit"],
                    kind=data["kind"],
                    subject=data["subject"],
                    addressee_name=data["addressee_name"],
                    addressee_address=data["addressee_address"],
                    commune=data["commune"],
                    deadline=data["deadline"],
                    judgment_reference=data["judgment_reference"],
                    parties=data["parties"],
                    amount_due=data["amount_due"],
                    office=data["office"],
                    case_reference=data["case_reference"],
                    documents=kept,
                    ip_address=client_ip(request),
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(
                    request,
                    _("File %(reference)s sent to %(office)s.")
                    % {"reference": file.reference, "office": file.office.name},
                )
                return redirect("exchange:file", reference=file.reference)
    commune = _chosen_commune(form)
    return render(
        request,
        "exchange/file_form.html",
        {
            "form": form,
            "upload_token": upload_token_signed(token),
            "kept_uploads": kept,
            "next_in_turn": selectors.rotation_next(commune=commune) if commune else None,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _chosen_commune(form):
    """The commune typed so far (valid or not yet), to show who is next in turn."""
    code = form.data.get("commune", "") if form.is_bound else ""
    if not isinstance(code, str) or not code or "\x00" in code:
        return None
    return Commune.objects.filter(code=code[:16]).select_related("appeal_court").first()


def _visible_or_404(request, reference) -> selectors.VisibleFile:
    visible = selectors.file_for_user(user=request.user, reference=reference)
    if visible is None:
        # Refused reads are audited: someone tried a file outside their court or office.
        audit_record(
            action="exchange.access_denied",
            object_type="exchange_file",
            object_id=reference[:64],
            actor=request.user,
            ip_address=client_ip(request),
        )
        raise Http404
    return visible


def _render_file(request, visible, *, bound_form=None, failed_step="", link_form=None, status=200):
    file = visible.file
    steps = workflow.steps_for(status=file.status, kind=file.kind, side=visible.side)
    forms = []
    for step in steps:
        if step.name == failed_step and bound_form is not None:
            form = bound_form
        else:
            form = STEP_FORMS[step.name](prefix=step.name)
        forms.append((step, form))
    # A step refused that the page does not offer (another side's step, or one the
    # file has moved past): its message is shown above the actions instead.
    refused = []
    if bound_form is not None and failed_step not in {step.name for step in steps}:
        refused = [message for errors in bound_form.errors.values() for message in errors]
    return render(
        request,
        "exchange/file.html",
        {
            "file": file,
            "side": visible.side,
            "status_label": workflow.state(file.status).label,
            "step_forms": forms,
            "failed_step": failed_step,
            "refused": refused,
            # Only the sending registry links the file to the litigant's request.
            "link_form": (link_form or CaseLinkForm(prefix="link"))
            if visible.side == workflow.COURT
            else None,
            "events": [
                (event, workflow.done_label(event.step))
                for event in file.events.select_related("actor").prefetch_related(
                    "documents__attachment"
                )
            ],
            "documents": file.documents.select_related("attachment"),
            "attempts": file.attempts.all(),
            "recoveries": file.recoveries.all(),
            "recovered": file.recoveries.aggregate(total=Sum("amount"))["total"],
            "overdue": bool(
                file.deadline
                and file.status in workflow.OPEN_STATES
                and file.deadline < timezone.localdate()
            ),
        },
        status=status,
    )


@exchange_staff_required
@require_GET
def file_detail(request, reference):
    visible = _visible_or_404(request, reference)
    exchange_file_access_record(
        file=visible.file, user=request.user, kind="file", ip_address=client_ip(request)
    )
    return _render_file(request, visible)


@exchange_staff_required
@require_POST
def file_step(request, reference):
    visible = _visible_or_404(request, reference)
    file = visible.file
    step_name = request.POST.get("step", "")
    form_class = STEP_FORMS.get(step_name)
    if form_class is None:
        raise Http404
    form = form_class(request.POST, request.FILES, prefix=step_name)
    if form.is_valid():
        data = form.cleaned_data
        try:
            report = None
            if step_name == "upload_report":
                report = exchange_document_store(
                    uploaded_file=data["report"],
                    actor=request.user,
                    pdf_only=True,
                    ip_address=client_ip(request),
                )
            exchange_file_transition(
                file_id=file.pk,
                step_name=step_name,
                actor=request.user,
                reason=data.get("reason", ""),
                attempt=data if step_name == "record_attempt" else None,
                recovery=data if step_name == "record_recovery" else None,
                report=report,
                expected_status=request.POST.get("expected_status") or None,
                ip_address=client_ip(request),
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            step = workflow.step(step_name)
            messages.success(request, _("Done: %(step)s.") % {"step": step.label})
            return redirect("exchange:file", reference=file.reference)
    file.refresh_from_db()
    return _render_file(request, visible, bound_form=form, failed_step=step_name, status=400)


@exchange_staff_required
@require_GET
def document_download(request, reference, document_id):
    visible = _visible_or_404(request, reference)
    document = visible.file.documents.select_related("attachment").filter(pk=document_id).first()
    if document is None:
        raise Http404
    exchange_file_access_record(
        file=visible.file, user=request.user, kind="document", ip_address=client_ip(request)
    )
    attachment = document.attachment
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.original_name,
        as_attachment=attachment.content_type != "application/pdf",
    )


@exchange_staff_required
@require_GET
def history_pdf(request, reference):
    visible = _visible_or_404(request, reference)
    exchange_file_access_record(
        file=visible.file, user=request.user, kind="history", ip_address=client_ip(request)
    )
    pdf = exchange_history_pdf(file=visible.file, language=get_language())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{visible.file.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@exchange_staff_required
@require_POST
def file_case_link(request, reference):
    """Link the file to the litigant's request, or remove the link (sending registry)."""
    visible = _visible_or_404(request, reference)
    file = visible.file
    if request.POST.get("action") == "unlink":
        try:
            exchange_file_case_unlink(
                file_id=file.pk, actor=request.user, ip_address=client_ip(request)
            )
        except DomainError as error:
            # Nothing typed to keep: someone removed the link meanwhile, or the file is
            # not the user's to change.
            messages.error(request, error.message)
        else:
            messages.success(request, _("The litigant no longer follows this file."))
        return redirect("exchange:file", reference=file.reference)
    form = CaseLinkForm(request.POST, prefix="link")
    if form.is_valid():
        try:
            exchange_file_case_link(
                file_id=file.pk,
                actor=request.user,
                case_reference=form.cleaned_data["case_reference"],
                ip_address=client_ip(request),
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request, _("Linked: the litigant follows this file on their tracking page.")
            )
            return redirect("exchange:file", reference=file.reference)
    file.refresh_from_db()
    return _render_file(request, visible, link_form=form, status=400)
