"""Agents' pages: the unit's queue and the case page with exactly the allowed steps."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mizan.accounts.models import Role, Unit
from mizan.accounts.two_factor import staff_has_second_factor
from mizan.cases import selectors
from mizan.cases.services import case_transition, staff_roles_for_case
from mizan.core.audit import audit_record
from mizan.core.errors import DomainError
from mizan.core.http import client_ip
from mizan.procedures.registry import PROCEDURES, get_procedure

from .access import staff_required


class StaffAuthenticationForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class StaffLoginView(LoginView):
    """The password, first; the second factor comes next (verify, or enrol the first time)."""

    template_name = "backoffice/login.html"
    authentication_form = StaffAuthenticationForm

    def get_success_url(self):
        target = (
            "backoffice:verify"
            if staff_has_second_factor(self.request.user)
            else "backoffice:enrol"
        )
        next_url = self.get_redirect_url()
        return f"{reverse(target)}?{urlencode({'next': next_url})}" if next_url else reverse(target)


@staff_required
@require_GET
def queue(request):
    status = request.GET.get("status", "")
    to_confirm = request.GET.get("to_confirm") == "1"
    unreached = request.GET.get("unreached") == "1"
    cases = selectors.case_queue(
        user=request.user, status=status, to_confirm=to_confirm, unreached=unreached
    )
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    statuses = [state for procedure in PROCEDURES.values() for state in procedure.workflow.states]
    return render(
        request,
        "backoffice/queue.html",
        {
            "page": page,
            "status": status,
            "to_confirm": to_confirm,
            "unreached": unreached,
            "statuses": statuses,
            "units": Unit.objects.filter(memberships__user=request.user).distinct(),
        },
    )


def _case_or_404(request, reference):
    case = selectors.case_for_staff(user=request.user, reference=reference)
    if case is None:
        # Refused reads are audited too: someone tried a reference outside their unit.
        audit_record(
            action="case.access_denied",
            object_type="case",
            object_id=reference[:64],
            actor=request.user,
            ip_address=client_ip(request),
        )
        raise Http404
    return case


@staff_required
@require_GET
def case_detail(request, reference):
    case = _case_or_404(request, reference)
    audit_record(
        action="case.viewed",
        object_type="case",
        object_id=case.reference,
        actor=request.user,
        ip_address=client_ip(request),
    )
    return _render_case(request, case)


@staff_required
@require_GET
def case_messages(request, reference):
    """Every message sent about the case, with its fate and the provider's receipts."""
    case = _case_or_404(request, reference)
    audit_record(
        action="case.messages_viewed",
        object_type="case",
        object_id=case.reference,
        actor=request.user,
        ip_address=client_ip(request),
    )
    return render(
        request,
        "backoffice/case_messages.html",
        {
            "case": case,
            "notifications": case.notifications.prefetch_related("receipts"),
        },
    )


def _render_case(request, case, *, failed_step: str = "", values=None, status=200):
    roles = staff_roles_for_case(user=request.user, case=case)
    steps = case.workflow.steps_for(case.status, roles)
    magistrates = (
        get_user_model()
        .objects.filter(memberships__unit=case.unit, memberships__role=Role.MAGISTRATE)
        .distinct()
    )
    needs_offices = any({"destination", "transfer_to"} & set(step.inputs) for step in steps)
    offices = (
        Unit.objects.filter(
            is_active=True,
            kind__in=[Unit.Kind.PROSECUTION_FIRST_INSTANCE, Unit.Kind.PROSECUTION_APPEAL],
        ).select_related("court")
        if needs_offices
        else []
    )
    return render(
        request,
        "backoffice/case.html",
        {
            "case": case,
            "summary": get_procedure(case.procedure).summary(case),
            "steps": steps,
            "timeline": selectors.staff_timeline(case=case),
            "notifications": case.notifications.all()[:20],
            "attachments": case.attachments.all(),
            "magistrates": magistrates,
            "offices": offices,
            "failed_step": failed_step,
            # The step failed and is no longer possible: show what was typed anyway,
            # so the agent can reuse it.
            "unsaved_text": bool(failed_step)
            and failed_step not in {step.name for step in steps}
            and any((values or {}).get(name) for name in ("message", "note")),
            "values": values or {},
            "roles": [Role(role).label for role in sorted(roles)],
        },
        status=status,
    )


@staff_required
@require_POST
def case_step(request, reference):
    case = _case_or_404(request, reference)
    step_name = request.POST.get("step", "")
    inputs = {
        name: request.POST.get(name, "")
        for name in ("registry_number", "assignee", "destination", "transfer_to")
    }
    try:
        case_transition(
            case_id=case.pk,
            step_name=step_name,
            actor=request.user,
            message=request.POST.get("message", ""),
            note=request.POST.get("note", ""),
            inputs=inputs,
            expected_status=request.POST.get("expected_status") or None,
            ip_address=client_ip(request),
        )
    except DomainError as error:
        messages.error(request, error.message)
        case.refresh_from_db()
        # Re-show the page with what the agent typed, so nothing is lost.
        return _render_case(
            request,
            case,
            failed_step=step_name,
            values=request.POST,
            status=409 if error.code == "conflict" else 400,
        )
    step = case.workflow.step(step_name)
    messages.success(request, _("Done: %(step)s.") % {"step": step.label})
    return redirect("backoffice:case", reference=case.reference)


@staff_required
@require_GET
def attachment_download(request, reference, attachment_id):
    case = _case_or_404(request, reference)
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    audit_record(
        action="attachment.opened",
        object_type="attachment",
        object_id=str(attachment.pk),
        actor=request.user,
        ip_address=client_ip(request),
        data={"case": case.reference},
    )
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.original_name,
    )
