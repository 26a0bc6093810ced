"""Citizens' appointment pages (book, manage, join) and the officials' agenda.

Every page works without JavaScript: each step is a form posted to the server, and the
journey's state is kept in the session. Views parse input and call services/selectors.
"""

from __future__ import annotations

import hmac
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mizan.accounts.models import PhoneChallenge
from mizan.accounts.services import phone_challenge_start
from mizan.backoffice.access import staff_required
from mizan.core.audit import audit_record
from mizan.core.errors import DomainError
from mizan.core.http import client_ip
from mizan.documents.models import INLINE_TYPES
from mizan.notifications.phones import masked as masked_phone
from mizan.portal.codes import code_step_passed
from mizan.portal.forms import CodeForm
from mizan.reference.models import Institution

from . import selectors
from .calendar_file import booking_ics
from .forms import (
    BookingDocumentsForm,
    CloseForm,
    DetailsForm,
    ManageForm,
    SlotForm,
    SubjectForm,
    TimeZoneForm,
)
from .models import AppointmentService, Booking
from .services import (
    SlotTakenError,
    booking_cancel,
    booking_close,
    booking_create,
    booking_documents_add,
    booking_reschedule,
    join_link,
)
from .slots import MOROCCO, service_is_open, service_slots, slot_key_parse
from .timezones import MOROCCO_TIME_ZONE, default_time_zone, is_time_zone
from .video import join_url, room_state

SESSION_DRAFT = "mizan_appointment"
SESSION_GRANTED = "mizan_appointments"
SESSION_MANAGE = "mizan_appointment_manage"
# A phone verified during this journey books again without a new code for this long
# (when the chosen slot was just taken and another is picked).
VERIFIED_SECONDS = 30 * 60
VERIFIED_KEEPS = ("name", "phone", "email", "fallback", "verified_until")


def _grant(request, reference: str) -> None:
    granted = set(request.session.get(SESSION_GRANTED, []))
    granted.add(reference)
    request.session[SESSION_GRANTED] = sorted(granted)


def _granted_booking(request, reference: str) -> Booking:
    if reference not in request.session.get(SESSION_GRANTED, []):
        raise Http404
    booking = selectors.booking_by_reference(reference=reference)
    if booking is None:
        raise Http404
    return booking


def _draft(request) -> dict:
    return request.session.get(SESSION_DRAFT) or {}


def _save_draft(request, draft: dict) -> None:
    request.session[SESSION_DRAFT] = draft


def _open_service(code: str) -> AppointmentService:
    service = selectors.service_by_code(code=code)
    if service is None:
        raise Http404
    return service


# --- booking ---------------------------------------------------------------------------


def start(request):
    return render(
        request, "appointments/start.html", {"institutions": selectors.institutions_open()}
    )


def institution(request, code):
    body = get_object_or_404(Institution, code=code)
    services = list(selectors.services_open(institution=body.code))
    if not services:
        messages.error(request, _("This institution offers no appointment at the moment."))
        return redirect("appointments:start")
    return render(
        request, "appointments/services.html", {"institution": body, "services": services}
    )


def _closed(request, service):
    return render(request, "appointments/closed.html", {"service": service}, status=200)


@require_http_methods(["GET", "POST"])
def subject(request, service):
    service = _open_service(service)
    if not service_is_open(service=service):
        return _closed(request, service)
    draft = _draft(request)
    if request.method == "POST":
        form = SubjectForm(request.POST)
        if form.is_valid():
            country = form.cleaned_data["country_of_residence"]
            same = draft.get("service") == service.code and draft.get("country") == country
            _save_draft(
                request,
                {
                    "service": service.code,
                    "subject": form.cleaned_data["subject"],
                    "case_reference": form.cleaned_data["case_reference"],
                    "country": country,
                    "tz": draft.get("tz") if same else default_time_zone(country),
                    # A verified phone stays verified for this journey, with its details.
                    **{k: draft[k] for k in VERIFIED_KEEPS if k in draft},
                },
            )
            return redirect("appointments:slots", service=service.code)
    else:
        initial = {"country_of_residence": "MA"}
        if draft.get("service") == service.code:
            initial = {
                "subject": draft.get("subject", ""),
                "case_reference": draft.get("case_reference", ""),
                "country_of_residence": draft.get("country", "MA"),
            }
        form = SubjectForm(initial=initial)
    return render(request, "appointments/subject.html", {"form": form, "service": service})


def _slot_days(slots, zone: str) -> list[dict]:
    """Slots grouped by the citizen's local day, each with its Morocco time."""
    citizen_zone = ZoneInfo(zone)
    days: list[dict] = []
    for slot in slots:
        local = slot.starts_at.astimezone(citizen_zone)
        morocco = slot.starts_at.astimezone(MOROCCO)
        label = date_format(local, "l j F Y")
        if not days or days[-1]["label"] != label:
            days.append({"label": label, "slots": []})
        days[-1]["slots"].append(
            {
                "key": slot.key,
                "local": date_format(local, "H:i"),
                # Morocco's day too when it is not the citizen's (late or early zones).
                "morocco": date_format(morocco, "H:i")
                if morocco.date() == local.date()
                else date_format(morocco, "D j M, H:i"),
            }
        )
    return days


def _phone_verified(draft: dict) -> bool:
    return bool(draft.get("phone")) and draft.get("verified_until", 0) > timezone.now().timestamp()


@require_http_methods(["GET", "POST"])
def slots(request, service):
    service = _open_service(service)
    if not service_is_open(service=service):
        return _closed(request, service)
    draft = _draft(request)
    if draft.get("service") != service.code:
        return redirect("appointments:subject", service=service.code)
    if "tz" in request.GET and is_time_zone(request.GET["tz"]):
        draft["tz"] = request.GET["tz"]
        _save_draft(request, draft)
    zone = draft.get("tz") or default_time_zone(draft.get("country", ""))
    free = service_slots(service=service)
    form = SlotForm(slots=free)
    if request.method == "POST":
        form = SlotForm(request.POST, slots=free)
        if form.is_valid():
            draft["slot"] = form.cleaned_data["slot"]
            _save_draft(request, draft)
            if _phone_verified(draft):
                return _book(request, draft)
            return redirect("appointments:details")
    proposed = set(draft.pop("proposed", []))
    if proposed:
        _save_draft(request, draft)
    return render(
        request,
        "appointments/slots.html",
        {
            "service": service,
            "form": form,
            "days": _slot_days(free, zone),
            "proposed": _slot_days([s for s in free if s.key in proposed], zone),
            "tz_form": TimeZoneForm(
                initial={"tz": zone}, country=draft.get("country", ""), current=zone
            ),
            "zone": zone,
            "morocco_zone": MOROCCO_TIME_ZONE,
        },
    )


@require_http_methods(["GET", "POST"])
def details(request):
    draft = _draft(request)
    if not draft.get("slot"):
        return redirect("appointments:start")
    service = _open_service(draft["service"])
    form = DetailsForm(initial={k: draft[k] for k in ("name", "phone", "email") if k in draft})
    if request.method == "POST":
        form = DetailsForm(request.POST)
        if form.is_valid():
            phone = str(form.cleaned_data["phone"])
            try:
                challenge = phone_challenge_start(
                    phone=phone,
                    purpose=PhoneChallenge.Purpose.APPOINTMENT,
                    language=get_language(),
                    ip_address=client_ip(request),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                draft.update(
                    name=form.cleaned_data["name"],
                    phone=phone,
                    email=form.cleaned_data["email"] or "",
                    fallback=form.cleaned_data["phone_call_fallback"],
                    challenge=challenge.pk,
                    verified_until=0,
                )
                _save_draft(request, draft)
                return redirect("appointments:code")
    return render(
        request,
        "appointments/details.html",
        {"form": form, "service": service, "when": _draft_when(draft)},
    )


def _draft_when(draft: dict) -> dict | None:
    instant = slot_key_parse(draft.get("slot", ""))
    if instant is None:
        return None
    zone = draft.get("tz") or MOROCCO_TIME_ZONE
    return {"local": instant.astimezone(ZoneInfo(zone)), "zone": zone}


@require_http_methods(["GET", "POST"])
def code(request):
    draft = _draft(request)
    if not draft.get("challenge"):
        return redirect("appointments:start")
    form = CodeForm()
    if request.method == "POST":
        if "resend" in request.POST:
            try:
                challenge = phone_challenge_start(
                    phone=draft["phone"],
                    purpose=PhoneChallenge.Purpose.APPOINTMENT,
                    language=get_language(),
                    ip_address=client_ip(request),
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                draft["challenge"] = challenge.pk
                _save_draft(request, draft)
                messages.success(request, _("A new code was sent."))
            return redirect("appointments:code")
        form = CodeForm(request.POST)
        if code_step_passed(request, form, challenge_id=draft["challenge"]):
            draft["verified_until"] = timezone.now().timestamp() + VERIFIED_SECONDS
            draft.pop("challenge", None)
            _save_draft(request, draft)
            return _book(request, draft)
    return render(
        request, "appointments/code.html", {"form": form, "phone": masked_phone(draft["phone"])}
    )


def _book(request, draft: dict):
    service = _open_service(draft["service"])
    instant = slot_key_parse(draft.get("slot", ""))
    try:
        if instant is None:
            raise DomainError(_("Choose a slot."), code="slot_missing", field="slot")
        booking = booking_create(
            service=service,
            starts_at=instant,
            citizen_name=draft["name"],
            citizen_phone=draft["phone"],
            citizen_email=draft.get("email", ""),
            country_of_residence=draft["country"],
            time_zone=draft.get("tz") or default_time_zone(draft["country"]),
            language=get_language(),
            subject=draft["subject"],
            case_reference=draft.get("case_reference", ""),
            phone_call_fallback=draft.get("fallback", True),
        )
    except SlotTakenError as error:
        draft["proposed"] = [slot.key for slot in error.alternatives]
        draft.pop("slot", None)
        _save_draft(request, draft)
        messages.error(request, error.message)
        return redirect("appointments:slots", service=service.code)
    except DomainError as error:
        messages.error(request, error.message)
        if error.field == "case_reference":
            return redirect("appointments:subject", service=service.code)
        if error.code == "already_booked":
            return redirect("appointments:manage")
        return redirect("appointments:slots", service=service.code)
    request.session.pop(SESSION_DRAFT, None)
    _grant(request, booking.reference)
    return redirect("appointments:booked", reference=booking.reference)


def booked(request, reference):
    booking = _granted_booking(request, reference)
    return render(
        request,
        "appointments/booked.html",
        {"booking": booking, "join_link": join_link(booking=booking)},
    )


def calendar_file(request, reference):
    booking = _granted_booking(request, reference)
    response = HttpResponse(
        booking_ics(booking=booking, join_url=join_link(booking=booking)),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{booking.reference}.ics"'
    return response


# --- manage (cancel / move) ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def manage(request):
    form = ManageForm()
    if request.method == "POST":
        form = ManageForm(request.POST)
        if form.is_valid():
            phone = str(form.cleaned_data["phone"])
            booking = selectors.booking_for_citizen(
                reference=form.cleaned_data["reference"], phone=phone
            )
            if booking is None:
                form.add_error(
                    None,
                    _(
                        "We found no appointment with this reference and phone number. "
                        "Check both and try again."
                    ),
                )
            else:
                try:
                    challenge = phone_challenge_start(
                        phone=phone,
                        purpose=PhoneChallenge.Purpose.APPOINTMENT,
                        language=get_language(),
                        ip_address=client_ip(request),
                    )
                except DomainError as error:
                    form.add_error(None, error.message)
                else:
                    request.session[SESSION_MANAGE] = {
                        "reference": booking.reference,
                        "phone": phone,
                        "challenge": challenge.pk,
                    }
                    return redirect("appointments:manage_code")
    return render(request, "appointments/manage_start.html", {"form": form})


@require_http_methods(["GET", "POST"])
def manage_code(request):
    pending = request.session.get(SESSION_MANAGE)
    if not pending:
        return redirect("appointments:manage")
    form = CodeForm()
    if request.method == "POST":
        form = CodeForm(request.POST)
        if code_step_passed(request, form, challenge_id=pending["challenge"]):
            del request.session[SESSION_MANAGE]
            _grant(request, pending["reference"])
            return redirect("appointments:manage_booking", reference=pending["reference"])
    return render(
        request, "appointments/code.html", {"form": form, "phone": masked_phone(pending["phone"])}
    )


@require_http_methods(["GET", "POST"])
def manage_booking(request, reference):
    booking = _granted_booking(request, reference)
    active = booking.status == Booking.Status.ACTIVE and booking.starts_at > timezone.now()
    free = service_slots(service=booking.service, exclude_booking_id=booking.pk) if active else []
    form = SlotForm(slots=free)
    if request.method == "POST" and active:
        try:
            if "cancel" in request.POST:
                booking_cancel(booking_id=booking.pk, by="citizen")
                messages.success(request, _("Your appointment is cancelled."))
                return redirect("appointments:manage_booking", reference=reference)
            form = SlotForm(request.POST, slots=free)
            if form.is_valid():
                booking_reschedule(
                    booking_id=booking.pk, starts_at=slot_key_parse(form.cleaned_data["slot"])
                )
                messages.success(request, _("Your appointment was moved."))
                return redirect("appointments:manage_booking", reference=reference)
        except DomainError as error:
            form.add_error(None, error.message)
    return _render_manage(request, booking, form=form, free=free, active=active)


def _render_manage(request, booking, *, form, free, active, documents_form=None, status=200):
    return render(
        request,
        "appointments/manage.html",
        {
            "booking": booking,
            "active": active,
            "form": form,
            "days": _slot_days(free, booking.time_zone),
            "zone": booking.time_zone,
            "morocco_zone": MOROCCO_TIME_ZONE,
            "join_link": join_link(booking=booking),
            "documents": booking.documents.select_related("attachment"),
            "documents_open": booking.status == Booking.Status.ACTIVE
            and booking.ends_at > timezone.now(),
            "documents_form": documents_form or BookingDocumentsForm(),
        },
        status=status,
    )


@require_POST
def manage_documents(request, reference):
    """The citizen sends documents for the official to read before the call."""
    booking = _granted_booking(request, reference)
    form = BookingDocumentsForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            booking_documents_add(
                booking_id=booking.pk,
                uploaded_files=form.cleaned_data["documents"],
                ip_address=client_ip(request),
            )
        except DomainError as error:
            form.add_error("documents" if error.field == "documents" else None, error.message)
        else:
            messages.success(request, _("Your documents were sent to the official."))
            return redirect("appointments:manage_booking", reference=reference)
    active = booking.status == Booking.Status.ACTIVE and booking.starts_at > timezone.now()
    free = service_slots(service=booking.service, exclude_booking_id=booking.pk) if active else []
    return _render_manage(
        request,
        booking,
        form=SlotForm(slots=free),
        free=free,
        active=active,
        documents_form=form,
        status=400,
    )


# --- video -----------------------------------------------------------------------------


def join(request, reference, key):
    booking = selectors.booking_by_reference(reference=reference)
    if booking is None or not hmac.compare_digest(booking.join_key.encode(), key.encode()):
        raise Http404
    state = room_state(booking)
    url = ""
    if state.configured and state.is_open and booking.status == Booking.Status.ACTIVE:
        url = join_url(booking=booking, user_name=booking.citizen_name, moderator=False)
    return render(
        request,
        "appointments/join.html",
        {"booking": booking, "state": state, "url": url, "active": booking.status == "active"},
    )


# --- officials' agenda -----------------------------------------------------------------


@staff_required
def agenda(request):
    rows = selectors.agenda(user=request.user)
    rows["capacity"] = selectors.unit_capacity(user=request.user)
    return render(request, "appointments/agenda.html", rows)


@staff_required
@require_GET
def agenda_document(request, reference, document_id):
    """A document the citizen sent for the call; opening it is in the audit log."""
    booking = selectors.staff_booking(user=request.user, reference=reference)
    document = (
        None
        if booking is None
        else booking.documents.select_related("attachment").filter(pk=document_id).first()
    )
    if document is None:
        raise Http404
    attachment = document.attachment
    audit_record(
        action="appointment.document_opened",
        object_type="appointment",
        object_id=booking.reference,
        actor=request.user,
        ip_address=client_ip(request),
        data={"sha256": attachment.sha256},
    )
    # PDFs and images open in the browser (no copy left in Downloads).
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.original_name,
        as_attachment=attachment.content_type not in INLINE_TYPES,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def agenda_booking(request, reference):
    booking = selectors.staff_booking(user=request.user, reference=reference)
    if booking is None:
        raise Http404
    form = CloseForm()
    if request.method == "POST":
        form = CloseForm(request.POST)
        if form.is_valid():
            outcome = form.cleaned_data["outcome"]
            try:
                if outcome == "cancelled":
                    booking_cancel(
                        booking_id=booking.pk,
                        by="official",
                        actor=request.user,
                        reason=form.cleaned_data["notes"],
                    )
                else:
                    booking_close(
                        booking_id=booking.pk,
                        status=outcome,
                        actor=request.user,
                        notes=form.cleaned_data["notes"],
                    )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The appointment was updated."))
                return redirect("appointments:agenda_booking", reference=reference)
    else:
        audit_record(
            action="appointment.viewed",
            object_type="appointment",
            object_id=booking.reference,
            actor=request.user,
            ip_address=client_ip(request),
        )
    state = room_state(booking)
    return render(
        request,
        "appointments/agenda_booking.html",
        {
            "booking": booking,
            "form": form,
            "state": state,
            "is_official": booking.official_id == request.user.pk,
        },
    )


@staff_required
@require_POST
def official_join(request, reference):
    """The official's way into the room: a moderator's token, which passes the lobby."""
    booking = selectors.staff_booking(user=request.user, reference=reference)
    if booking is None or booking.official_id != request.user.pk:
        raise Http404
    state = room_state(booking)
    if not state.configured or not state.is_open or booking.status != Booking.Status.ACTIVE:
        messages.error(request, _("The video room is not open now."))
        return redirect("appointments:agenda_booking", reference=reference)
    audit_record(
        action="appointment.joined",
        object_type="appointment",
        object_id=booking.reference,
        actor=request.user,
    )
    name = request.user.get_full_name() or request.user.get_username()
    return redirect(join_url(booking=booking, user_name=name, moderator=True))
