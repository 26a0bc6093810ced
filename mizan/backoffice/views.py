"""Agents' pages: the unit's queue and the case page with exactly the allowed steps."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mizan.accounts.models import Role, Unit
from mizan.accounts.services import unit_distribution_set
from mizan.accounts.two_factor import staff_has_second_factor
from mizan.cases import selectors
from mizan.cases.services import (
    case_access_record,
    case_transition,
    cases_bulk_assign_evenly,
    cases_bulk_step,
    staff_roles_for_case,
)
from mizan.core.audit import audit_record
from mizan.core.errors import DomainError
from mizan.core.http import client_ip
from mizan.deadlines.selectors import HolidayCalendar
from mizan.deadlines.services import deadline_status
from mizan.documents.models import INLINE_TYPES
from mizan.procedures.grievance import DEFAULT_ANSWER_DAYS
from mizan.procedures.registry import PROCEDURES, get_procedure
from mizan.procedures.selectors import commission_sessions_open

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


QUICK_LABELS = {
    "overdue": gettext_lazy("Overdue"),
    "soon": gettext_lazy("Due within 2 working days"),
    "to_confirm": gettext_lazy("Destination to be confirmed"),
    "unreached": gettext_lazy("Citizen not reached"),
    "back_to_me": gettext_lazy("Information provided — back to me"),
    "unassigned": gettext_lazy("Not assigned"),
}


def _queue_filters(request) -> selectors.QueueFilter:
    unit = request.GET.get("unit", "")
    quick = request.GET.get("quick", "")
    # The former checkboxes' links keep working.
    if request.GET.get("to_confirm") == "1":
        quick = "to_confirm"
    elif request.GET.get("unreached") == "1":
        quick = "unreached"
    return selectors.QueueFilter(
        unit=int(unit) if unit.isdigit() else None,
        procedure=request.GET.get("procedure", "")
        if request.GET.get("procedure") in PROCEDURES
        else "",
        status=request.GET.get("status", "")[:40],
        assignee=request.GET.get("assignee", "")[:12],
        quick=quick if quick in selectors.QUICK_FILTERS else "",
        sort="deadline" if request.GET.get("sort") == "deadline" else "age",
    )


@staff_required
@require_GET
def queue(request):
    filters = _queue_filters(request)
    now = timezone.now()
    cases = selectors.case_queue(user=request.user, filters=filters, now=now)
    counts = selectors.queue_counts(user=request.user, unit=filters.unit, now=now)
    paginator = Paginator(cases, 50)
    if filters.counted_above():
        # The list is one the counts above it already counted: no second count of a
        # unit's cases (the costliest query of the page at a million cases).
        paginator.count = counts[filters.quick or "all"]
    page = paginator.get_page(request.GET.get("page"))
    units = list(
        Unit.objects.filter(memberships__user=request.user)
        .exclude(memberships__role=Role.AUDITOR)
        .select_related("court", "region")
        .distinct()
    )
    calendar = HolidayCalendar()
    rows = [
        (case, deadline_status(case.due_at, now, holidays=calendar) if case.due_at else "")
        for case in page
    ]
    kept = request.GET.copy()
    kept.pop("page", None)
    without_quick = request.GET.copy()
    for name in ("page", "quick", "to_confirm", "unreached"):
        without_quick.pop(name, None)
    roles = set(request.user.memberships.values_list("role", flat=True))
    return render(
        request,
        "backoffice/queue.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "counts": counts,
            "quick_filters": [
                (name, QUICK_LABELS[name], counts[name]) for name in selectors.QUICK_FILTERS
            ],
            "statuses": [
                state for procedure in PROCEDURES.values() for state in procedure.workflow.states
            ],
            "procedures": [(code, spec.label) for code, spec in PROCEDURES.items()],
            "units": units,
            "magistrates": _magistrates_of(units),
            "bulk_steps": _bulk_steps(roles),
            "query": kept.urlencode(),
            "query_without_quick": without_quick.urlencode(),
        },
    )


def _magistrates_of(units):
    return (
        get_user_model()
        .objects.filter(memberships__unit__in=units, memberships__role=Role.MAGISTRATE)
        .distinct()
        .order_by("last_name", "username")
    )


def _bulk_steps(roles: set[str]) -> list:
    """Steps an agent may take on several cases at once: those their roles allow that
    need no per-case input (a registry number differs from case to case)."""
    steps = {}
    for spec in PROCEDURES.values():
        for step in spec.workflow.steps:
            if step.roles & roles and not (set(step.inputs) - {"assignee"}):
                steps.setdefault(step.name, step)
    return list(steps.values())


@staff_required
@require_POST
def bulk(request):
    """One step (or an assignment) on the selected cases; a summary of each outcome."""
    case_ids = [int(value) for value in request.POST.getlist("cases") if value.isdigit()][:500]
    action = request.POST.get("action", "")
    ip_address = client_ip(request)
    if not case_ids or not action:
        messages.error(request, _("Select at least one case and an action."))
        return redirect(f"{reverse('backoffice:queue')}?{request.POST.get('query', '')}")
    if action == "assign_evenly":
        outcomes = cases_bulk_assign_evenly(
            case_ids=case_ids, actor=request.user, ip_address=ip_address
        )
    else:
        outcomes = cases_bulk_step(
            case_ids=case_ids,
            step_name=action,
            actor=request.user,
            inputs={"assignee": request.POST.get("assignee", "")},
            message=request.POST.get("message", ""),
            note=request.POST.get("note", ""),
            ip_address=ip_address,
        )
    return render(
        request,
        "backoffice/bulk_result.html",
        {
            "outcomes": outcomes,
            "succeeded": [outcome for outcome in outcomes if outcome.ok],
            "failed": [outcome for outcome in outcomes if not outcome.ok],
            "query": request.POST.get("query", ""),
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
    case_access_record(
        case=case,
        user=request.user,
        kind="case",
        reason=request.GET.get("reason", ""),
        ip_address=client_ip(request),
    )
    return _render_case(request, case)


@staff_required
@require_GET
def case_messages(request, reference):
    """Every message sent about the case, with its fate and the provider's receipts."""
    case = _case_or_404(request, reference)
    case_access_record(case=case, user=request.user, kind="messages", ip_address=client_ip(request))
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
    step_inputs = {name for step in steps for name in step.inputs}
    other_units = (
        Unit.objects.filter(is_active=True)
        .exclude(pk=case.unit_id)
        .exclude(kind=Unit.Kind.COURT_REGISTRY)
        .select_related("court", "region")
        if step_inputs & {"competent_unit", "forward_to"}
        else []
    )
    return render(
        request,
        "backoffice/case.html",
        {
            "case": case,
            "other_units": other_units,
            "commission_sessions": (
                commission_sessions_open() if "commission_session" in step_inputs else []
            ),
            "default_answer_days": DEFAULT_ANSWER_DAYS,
            # An answered question can be published to the FAQ, edited first.
            "faq_draft": _faq_draft(case),
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


def _faq_draft(case):
    from mizan.faq.models import FaqEntry
    from mizan.faq.services import anonymise

    if case.procedure != "question" or case.status not in ("answered", "closed"):
        return None
    if FaqEntry.objects.filter(source_case=case).exists():
        return None  # published already (edits go through the admin)

    answer = case.events.filter(step="answer").order_by("-at").first()
    return {
        "question": anonymise(case.details.get("facts", "")),
        "answer": anonymise(answer.citizen_message if answer else ""),
    }


# Every input a workflow step may take (see Step.inputs and cases.services._apply_inputs).
STEP_INPUT_NAMES = (
    "registry_number",
    "assignee",
    "destination",
    "transfer_to",
    "commission_session",
    "bail_amount",
    "bail_conditions",
    "competent_unit",
    "competent_body",
    "answer_days",
    "forward_to",
)


@staff_required
@require_POST
def case_step(request, reference):
    case = _case_or_404(request, reference)
    step_name = request.POST.get("step", "")
    inputs = {name: request.POST.get(name, "") for name in STEP_INPUT_NAMES}
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
@require_POST
def case_publish_faq(request, reference):
    """Publish an answered question, edited and anonymised, to the public FAQ."""
    from mizan.faq.services import faq_publish

    case = _case_or_404(request, reference)
    try:
        faq_publish(
            case_id=case.pk,
            question=request.POST.get("faq_question", ""),
            answer=request.POST.get("faq_answer", ""),
            language=request.POST.get("faq_language") or case.language,
            actor=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return _render_case(request, case, values=request.POST, status=400)
    messages.success(request, _("Published to the public FAQ."))
    return redirect("backoffice:case", reference=case.reference)


@staff_required
@require_GET
def attachment_download(request, reference, attachment_id):
    case = _case_or_404(request, reference)
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    case_access_record(
        case=case,
        user=request.user,
        kind="document",
        reason=f"attachment {attachment.pk}",
        ip_address=client_ip(request),
    )
    # PDFs and images open in the browser (no copy left in Downloads); the rest is saved.
    inline = attachment.content_type in INLINE_TYPES
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.original_name,
        as_attachment=not inline,
    )


@staff_required(roles={Role.UNIT_HEAD})
@require_http_methods(["GET", "POST"])
def units(request):
    """A head of unit's settings: how the unit's cases are shared, and each
    magistrate's open cases (what automatic distribution balances)."""
    if request.method == "POST":
        unit = Unit.objects.filter(code=request.POST.get("unit", "")).first()
        try:
            unit_distribution_set(
                unit_id=unit.pk if unit else 0,
                actor=request.user,
                enabled=request.POST.get("distribute") == "on",
                ip_address=client_ip(request),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The unit's setting was saved."))
        return redirect("backoffice:units")
    headed = Unit.objects.filter(
        memberships__user=request.user, memberships__role=Role.UNIT_HEAD
    ).distinct()
    return render(
        request,
        "backoffice/units.html",
        {"units": [(unit, selectors.magistrates_by_load(unit_id=unit.pk)) for unit in headed]},
    )
