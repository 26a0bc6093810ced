"""/api/v1/appointments: the services that can be booked, their free slots, and a
signed-in phone's bookings (book, list, read, cancel, move, .ics).

Thin, like `routes.py`: the booking's details are read by the web's own forms, every
write is one call to the appointments services (`booking_create`, `booking_cancel`,
`booking_reschedule`), which hold the rules — campaign open, slot in the future and
free, one active booking per phone and service — and the answers are shaped here.
The token has proved the phone, so no second one-time code is sent to book.
"""

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from mizan.appointments import selectors as appointment_selectors
from mizan.appointments.calendar_file import booking_ics
from mizan.appointments.forms import DetailsForm, SubjectForm
from mizan.appointments.models import AppointmentService, Booking
from mizan.appointments.services import (
    SlotTakenError,
    booking_cancel,
    booking_create,
    booking_reschedule,
    join_link,
)
from mizan.appointments.slots import Slot, service_is_open, service_slots
from mizan.appointments.timezones import MOROCCO_TIME_ZONE, default_time_zone, is_time_zone
from mizan.appointments.video import room_opens_at
from mizan.core.errors import DomainError

from . import schemas, selectors, services
from .errors import ApiError, FormInvalid
from .formschema import bind_form
from .routes import IDEMPOTENCY_KEY, PUBLIC, SIGNED_IN, E

DATE_FROM = Query(
    None, alias="from", description="First day, in the zone `tz` (default: from now)."
)
DATE_TO = Query(None, alias="to", description="Last day, included.")

services_router = Router(tags=["Appointments"])
bookings_router = Router(tags=["Appointments"])


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _json(payload) -> dict:
    # What an idempotent call stores and replays: plain JSON.
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def _answer(run, *, zone: str = MOROCCO_TIME_ZONE):
    """`run()`, with a slot just taken refused as the API's other refusals are (status
    from `errors.STATUS_BY_CODE`) but with the other free slots, in the caller's zone,
    in `details.alternatives`."""
    try:
        return run()
    except SlotTakenError as taken:
        raise ApiError(
            taken.message,
            code=taken.code,
            field=taken.field,
            details={
                "alternatives": [
                    schemas.AppointmentSlot(**_slot(slot, zone)).model_dump(mode="json")
                    for slot in taken.alternatives
                ]
            },
        ) from None


def _zone(name: str | None, *, field: str) -> str:
    if name is None or not is_time_zone(name):
        raise DomainError(
            _(
                "This is not a time zone name. Give an IANA name such as Europe/Paris or "
                "America/Montreal."
            ),
            code="time_zone",
            field=field,
        )
    return name


def _instant(value: datetime, *, field: str = "starts_at") -> datetime:
    """A slot's instant as sent (any offset), in UTC; naive times are refused, since the
    same wall time is another instant in every zone."""
    try:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise DomainError(
            _("Give the slot's time with its offset, as the list of slots gives it."),
            code="invalid",
            field=field,
        ) from None


# --- shaping --------------------------------------------------------------------------


def _wall(instant: datetime, zone: str) -> dict:
    moment = instant.astimezone(ZoneInfo(zone))
    offset = moment.strftime("%z")
    return {
        "time_zone": zone,
        "date": moment.date(),
        "time": f"{moment:%H:%M}",
        "utc_offset": f"{offset[:3]}:{offset[3:]}",
        "iso": moment.isoformat(),
    }


def _slot(slot: Slot, zone: str) -> dict:
    return {
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "morocco": _wall(slot.starts_at, MOROCCO_TIME_ZONE),
        "local": _wall(slot.starts_at, zone),
    }


def _institution(institution, *, booking_open: bool) -> dict:
    return {"code": institution.code, "name": str(institution), "booking_open": booking_open}


def _service(service: AppointmentService) -> dict:
    # Read by `services_with_coming_campaigns`, which every service here comes from.
    is_open = service_is_open(service=service)
    campaigns = service.coming_campaigns
    return {
        "code": service.code,
        "title": service.title,
        "title_ar": service.title_ar,
        "title_fr": service.title_fr,
        "title_en": service.title_en,
        "duration_minutes": service.duration_minutes,
        "institution": _institution(service.institution, booking_open=is_open),
        "booking_open": is_open,
        "campaigns": [{"starts_on": c.starts_on, "ends_on": c.ends_on} for c in campaigns],
    }


def _booking(booking: Booking) -> dict:
    return {
        "reference": booking.reference,
        "status": booking.status,
        "status_label": str(booking.get_status_display()),
        "changeable": booking.status == Booking.Status.ACTIVE
        and booking.starts_at > timezone.now(),
        "service": {
            "code": booking.service.code,
            "title": booking.service.title,
            "duration_minutes": booking.service.duration_minutes,
            "institution": booking.service.institution.code,
            "institution_name": str(booking.service.institution),
        },
        "starts_at": booking.starts_at,
        "ends_at": booking.ends_at,
        "morocco": _wall(booking.starts_at, MOROCCO_TIME_ZONE),
        "local": _wall(booking.starts_at, booking.time_zone),
        "time_zone": booking.time_zone,
        "country_of_residence": booking.country_of_residence,
        "language": booking.language,
        "name": booking.citizen_name,
        "email": booking.citizen_email,
        "subject": booking.subject,
        "case_reference": booking.case.reference if booking.case_id else None,
        "phone_call_fallback": booking.phone_call_fallback,
        "created_at": booking.created_at,
        "join_url": join_link(booking=booking),
        "video_opens_at": room_opens_at(booking),
        "calendar_url": reverse(
            "api-v1:appointments_calendar", kwargs={"reference": booking.reference}
        ),
    }


# --- services and slots (public) ------------------------------------------------------


@services_router.get(
    "/institutions",
    response={200: list[schemas.AppointmentInstitution], **PUBLIC},
    summary="Institutions offering appointments",
)
def appointments_institutions(request):
    """Institutions with at least one appointment service, and whether one of their
    services can be booked now."""
    by_code: dict[str, dict] = {}
    for service in appointment_selectors.services_with_coming_campaigns():
        row = by_code.setdefault(
            service.institution.code, _institution(service.institution, booking_open=False)
        )
        row["booking_open"] = row["booking_open"] or service_is_open(service=service)
    return [by_code[code] for code in sorted(by_code)]


@services_router.get(
    "/services",
    response={200: list[schemas.AppointmentServiceOut], **PUBLIC},
    summary="Appointment services",
)
def appointments_services(request, institution: str | None = None):
    """What can be booked, with its duration, its title in the request's language, and
    whether a booking campaign is open now (`booking_open`; otherwise `campaigns` says
    when booking opens)."""
    return [
        _service(service)
        for service in appointment_selectors.services_with_coming_campaigns(institution=institution)
    ]


def _service_or_404(code: str) -> AppointmentService:
    service = appointment_selectors.service_with_coming_campaigns(code=code)
    if service is None:
        raise DomainError(_("There is no such appointment service."), code="not_found")
    return service


@services_router.get(
    "/services/{service}",
    response={200: schemas.AppointmentServiceOut, 404: E, **PUBLIC},
    summary="One appointment service",
)
def appointments_service(request, service: str):
    return _service(_service_or_404(service))


@services_router.get(
    "/services/{service}/slots",
    response={200: schemas.AppointmentSlotList, 404: E, 422: E, **PUBLIC},
    summary="Free slots of a service",
)
def appointments_slots(
    request,
    service: str,
    date_from: date | None = DATE_FROM,
    date_to: date | None = DATE_TO,
    tz: str = Query(
        MOROCCO_TIME_ZONE,
        description="IANA time zone for each slot's `local` time and for the days "
        "`from`/`to`, e.g. America/Montreal (422 `time_zone` otherwise).",
    ),
):
    """The free slots, earliest first, within the booking horizon and the open campaign.
    Each has its UTC instant (`starts_at`, what you send to book), Morocco's legal time
    and the time in `tz`. A service whose campaign is closed has no slots."""

    def run():
        found = _service_or_404(service)
        zone = _zone(tz, field="tz")
        if date_from and date_to and date_to < date_from:
            raise DomainError(
                _("The last day comes before the first day."), code="invalid", field="to"
            )
        local = ZoneInfo(zone)
        items = [
            _slot(slot, zone)
            for slot in service_slots(service=found)
            if (date_from is None or slot.starts_at.astimezone(local).date() >= date_from)
            and (date_to is None or slot.starts_at.astimezone(local).date() <= date_to)
        ]
        return {
            "service": found.code,
            "booking_open": service_is_open(service=found),
            "time_zone": zone,
            "items": items,
        }

    return run()


# --- bookings (signed in) -------------------------------------------------------------


def _own_booking(request, reference: str) -> Booking:
    booking = appointment_selectors.booking_for_citizen(
        reference=reference, phone=request.auth.phone
    )
    if booking is None:
        # The same answer whether the booking does not exist or is another phone's.
        raise DomainError(_("No appointment of yours has this reference."), code="not_found")
    return booking


def _booking_details(payload: schemas.BookingIn, phone: str) -> dict:
    """The booking's details, read by the web's booking forms (their rules and words),
    every field's refusal at once."""
    errors, cleaned = [], {}
    for form_class, fields in (
        (
            SubjectForm,
            {
                "subject": payload.subject,
                "case_reference": payload.case_reference,
                "country_of_residence": payload.country_of_residence,
            },
        ),
        (
            DetailsForm,
            {
                "name": payload.name,
                "phone": phone,
                "email": payload.email,
                "phone_call_fallback": payload.phone_call_fallback,
                "consent": payload.consent,
            },
        ),
    ):
        try:
            cleaned.update(bind_form(form_class, fields).cleaned_data)
        except FormInvalid as refusal:
            errors += refusal.details["fields"]
    if errors:
        raise FormInvalid(errors)
    return cleaned


def _alternatives_zone(payload: schemas.BookingIn) -> str:
    zone = payload.time_zone or default_time_zone(payload.country_of_residence)
    return zone if is_time_zone(zone) else MOROCCO_TIME_ZONE


@bookings_router.post(
    "",
    response={201: schemas.BookingOut, 409: E, 422: E, **SIGNED_IN},
    summary="Book a slot",
)
def appointments_book(
    request,
    response: HttpResponse,
    payload: schemas.BookingIn,
    idempotency_key: str = IDEMPOTENCY_KEY,
):
    """Book a free slot for the signed-in phone (no second code). Refusals: 409
    `slot_taken` (with `details.alternatives`: other free slots, in `time_zone`),
    `already_booked` (one active booking per service), `campaign_closed`; 422 `slot_past`,
    `time_zone`, `case_unknown`, `unknown_service`, `invalid` (field by field)."""
    session = request.auth

    def book_it():
        service = appointment_selectors.service_with_coming_campaigns(code=payload.service)
        if service is None:
            raise DomainError(
                _("There is no such appointment service: see GET /api/v1/appointments/services."),
                code="unknown_service",
                field="service",
            )
        starts_at = _instant(payload.starts_at)
        details = _booking_details(payload, session.phone)
        country = details["country_of_residence"]
        zone = (
            _zone(payload.time_zone, field="time_zone")
            if payload.time_zone is not None
            else default_time_zone(country)
        )
        booking = booking_create(
            service=service,
            starts_at=starts_at,
            citizen_name=details["name"],
            citizen_phone=session.phone,
            citizen_email=details.get("email") or "",
            country_of_residence=country,
            time_zone=zone,
            language=payload.language or _language(),
            subject=details["subject"],
            case_reference=details["case_reference"],
            phone_call_fallback=details["phone_call_fallback"],
        )
        return 201, _json(_booking(booking))

    def run():
        outcome = services.idempotent_call(
            phone=session.phone,
            key=idempotency_key,
            fingerprint=services.request_fingerprint(
                "appointments.book", payload.model_dump(mode="json")
            ),
            perform=book_it,
        )
        return _replayed(response, outcome)

    return _answer(run, zone=_alternatives_zone(payload))


def _replayed(response: HttpResponse, outcome: services.Outcome):
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(outcome.status, outcome.body)


@bookings_router.get(
    "",
    response={200: schemas.BookingPage, 400: E, 422: E, **SIGNED_IN},
    summary="My appointments",
)
def appointments_bookings(
    request,
    cursor: str | None = None,
    limit: int = Query(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE),
):
    """The appointments booked with this phone, whatever their status, newest first."""
    items, following = selectors.bookings_page(phone=request.auth.phone, cursor=cursor, limit=limit)
    return {"items": [_booking(booking) for booking in items], "next_cursor": following}


@bookings_router.get(
    "/{reference}",
    response={200: schemas.BookingOut, 404: E, **SIGNED_IN},
    summary="One of my appointments",
)
def appointments_booking(request, reference: str):
    """Another phone's appointment answers 404, as an unknown reference does."""
    return _booking(_own_booking(request, reference))


@bookings_router.post(
    "/{reference}/cancel",
    response={200: schemas.BookingOut, 404: E, 409: E, 422: E, **SIGNED_IN},
    summary="Cancel my appointment",
)
def appointments_cancel(
    request, response: HttpResponse, reference: str, idempotency_key: str = IDEMPOTENCY_KEY
):
    """The reminders are dropped and an SMS confirms. 409 `not_active` when it was
    already cancelled or closed (a retry with the same key gets the first answer)."""
    session = request.auth
    booking = _own_booking(request, reference)

    def cancel_it():
        cancelled = booking_cancel(booking_id=booking.pk, by="citizen")
        return 200, _json(_booking(cancelled))

    def run():
        outcome = services.idempotent_call(
            phone=session.phone,
            key=idempotency_key,
            fingerprint=services.request_fingerprint(
                "appointments.cancel", {"reference": booking.reference}
            ),
            perform=cancel_it,
        )
        return _replayed(response, outcome)

    return _answer(run, zone=booking.time_zone)


@bookings_router.post(
    "/{reference}/reschedule",
    response={200: schemas.BookingOut, 404: E, 409: E, 422: E, **SIGNED_IN},
    summary="Move my appointment",
)
def appointments_reschedule(
    request,
    response: HttpResponse,
    reference: str,
    payload: schemas.RescheduleIn,
    idempotency_key: str = IDEMPOTENCY_KEY,
):
    """To another free slot of the same service (GET …/services/{service}/slots); the
    reminders move with it. 409 `slot_taken` with `details.alternatives`, `not_active`,
    `campaign_closed`; 422 `slot_past` (a slot gone, or the appointment already started)."""
    session = request.auth
    booking = _own_booking(request, reference)

    def move_it():
        moved = booking_reschedule(booking_id=booking.pk, starts_at=_instant(payload.starts_at))
        return 200, _json(_booking(moved))

    def run():
        outcome = services.idempotent_call(
            phone=session.phone,
            key=idempotency_key,
            fingerprint=services.request_fingerprint(
                "appointments.reschedule",
                {"reference": booking.reference, **payload.model_dump(mode="json")},
            ),
            perform=move_it,
        )
        return _replayed(response, outcome)

    return _answer(run, zone=booking.time_zone)


@bookings_router.get(
    "/{reference}/calendar.ics",
    response={200: None, 404: E, **SIGNED_IN},
    openapi_extra={
        "responses": {
            200: {
                "description": "The appointment for a calendar application, in the booking's "
                "time zone with its VTIMEZONE.",
                "content": {"text/calendar": {"schema": {"type": "string"}}},
            }
        }
    },
    url_name="appointments_calendar",
    summary="My appointment as an .ics file",
)
def appointments_calendar(request, reference: str):
    booking = _own_booking(request, reference)
    return HttpResponse(
        booking_ics(booking=booking, join_url=join_link(booking=booking)),
        content_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{booking.reference}.ics"',
            "Cache-Control": "private, no-store",
        },
    )


def register(api, bearer) -> None:
    # Before `routes.register`, whose catch-all router must come last.
    api.add_router("/appointments", services_router)
    api.add_router("/appointments/bookings", bookings_router, auth=bearer)
