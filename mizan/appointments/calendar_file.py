"""The appointment as an .ics file, in the citizen's time zone with its VTIMEZONE, so
that any calendar application shows the right time without its own zone data."""

from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .models import Booking


def booking_ics(*, booking: Booking, join_url: str) -> bytes:
    zone = ZoneInfo(booking.time_zone)
    calendar = Calendar()
    calendar.add("prodid", "-//Mizan//Remote appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{booking.reference}@mizan")
    event.add("dtstamp", timezone.now().astimezone(ZoneInfo("UTC")))
    event.add("dtstart", booking.starts_at.astimezone(zone))
    event.add("dtend", booking.ends_at.astimezone(zone))
    event.add(
        "summary",
        _("Appointment %(reference)s: %(service)s")
        % {
            "reference": booking.reference,
            "service": booking.service.title,
        },
    )
    event.add("description", _("Join the video call: %(link)s") % {"link": join_url})
    event.add("url", join_url)
    event.add("status", "CANCELLED" if booking.status == Booking.Status.CANCELLED else "CONFIRMED")
    event.add("sequence", int(booking.updated_at.timestamp()) if booking.updated_at else 0)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
