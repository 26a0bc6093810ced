"""Remote appointments: slots across Morocco's Ramadan time change, booking rules,
the database's refusal of double bookings, .ics files, and the Jitsi tokens."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import jwt
import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings

from mizan.appointments.calendar_file import booking_ics
from mizan.appointments.models import Booking
from mizan.appointments.services import SlotTakenError, booking_cancel, join_link
from mizan.appointments.slots import service_slots
from mizan.appointments.video import jitsi_token, jitsi_token_check, join_url, room_state
from mizan.core.errors import DomainError
from mizan.notifications.models import Notification

from .appointment_factories import (
    FRIDAY_BEFORE_CHANGE,
    MONDAY_AFTER_CHANGE,
    MONDAY_BEFORE,
    UTC,
    Clock,
    book,
    morocco,
    service_setup,
)

pytestmark = pytest.mark.django_db

JITSI = {
    "MIZAN_JITSI_DOMAIN": "meet.example.ma",
    "MIZAN_JITSI_APP_ID": "mizan",
    "MIZAN_JITSI_SECRET": "test-secret-of-at-least-32-bytes-long!",
}


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, MONDAY_BEFORE)


@pytest.fixture
def service(reference_data, clock):
    return service_setup()


def test_slots_keep_moroccos_wall_time_across_the_ramadan_change(service):
    keys = {slot.starts_at for slot in service_slots(service=service)}
    # 09:00 in Morocco is 08:00 UTC before the change (UTC+1) and 09:00 UTC after (UTC+0).
    assert morocco(FRIDAY_BEFORE_CHANGE, 9).hour == 8
    assert morocco(MONDAY_AFTER_CHANGE, 9).hour == 9
    assert morocco(FRIDAY_BEFORE_CHANGE, 9) in keys
    assert morocco(MONDAY_AFTER_CHANGE, 9) in keys
    # 30 minutes and a 10-minute buffer: 09:00, 09:40, 10:20, 11:00; 11:40 would end late.
    friday = sorted(
        s.starts_at.astimezone(ZoneInfo("Africa/Casablanca")).strftime("%H:%M")
        for s in service_slots(service=service)
        if s.starts_at.astimezone(ZoneInfo("Africa/Casablanca")).date() == FRIDAY_BEFORE_CHANGE
    )
    assert friday == ["09:00", "09:40", "10:20", "11:00"]


def test_no_slot_on_weekends_or_public_holidays(service):
    from mizan.deadlines.models import Holiday

    Holiday.objects.create(date=date(2027, 2, 10), name="Test holiday", confirmed=True)
    days = {
        s.starts_at.astimezone(ZoneInfo("Africa/Casablanca")).date()
        for s in service_slots(service=service)
    }
    assert date(2027, 2, 6) not in days and date(2027, 2, 7) not in days  # Saturday, Sunday
    assert date(2027, 2, 10) not in days
    assert date(2027, 2, 9) in days


@pytest.mark.parametrize(
    "zone, before, after",
    [
        # Local time of 10:00 in Morocco on Friday 5 (UTC+1) and Monday 8 February 2027
        # (UTC+0): the citizen's clock does not change, Morocco's does.
        ("America/Montreal", "04:00", "05:00"),
        ("Europe/Paris", "10:00", "11:00"),
        ("Asia/Dubai", "13:00", "14:00"),
    ],
)
def test_citizens_abroad_see_their_local_time_and_the_ics_is_the_same_instant(
    service, zone, before, after
):
    first = book(service, morocco(FRIDAY_BEFORE_CHANGE, 10, 20), phone="+33612345601", zone=zone)
    second = book(service, morocco(MONDAY_AFTER_CHANGE, 10, 20), phone="+33612345602", zone=zone)
    for booking, expected, utc_hour in ((first, before, 9), (second, after, 10)):
        assert booking.starts_at.astimezone(UTC).hour == utc_hour
        local = booking.starts_at.astimezone(ZoneInfo(zone))
        assert f"{local:%H:%M}" == _plus_20(expected)
        sms = Notification.objects.get(idempotency_key=f"appointment:{booking.pk}:confirmed:sms")
        assert f"{_plus_20(expected)} ({zone})" in sms.body
        parsed = icalendar.Calendar.from_ical(
            booking_ics(booking=booking, join_url=join_link(booking=booking))
        )
        assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == [zone]
        event = parsed.walk("VEVENT")[0]
        assert event.decoded("dtstart") == booking.starts_at
        assert event.decoded("dtend") == booking.ends_at
        assert str(event["dtstart"].params["TZID"]) == zone


def _plus_20(hhmm: str) -> str:
    hours, minutes = map(int, hhmm.split(":"))
    return f"{hours:02d}:{minutes + 20:02d}"


def test_a_closed_campaign_refuses_bookings(reference_data, clock):
    service = service_setup(starts_on=date(2027, 6, 15), ends_on=date(2027, 9, 15))
    assert service_slots(service=service) == []
    with pytest.raises(DomainError) as refused:
        book(service, morocco(date(2027, 6, 21), 9))
    assert refused.value.code == "campaign_closed"


def test_a_slot_outside_the_campaign_period_is_refused(reference_data, clock):
    service = service_setup(starts_on=date(2027, 1, 15), ends_on=date(2027, 2, 5))
    with pytest.raises(DomainError) as refused:
        book(service, morocco(MONDAY_AFTER_CHANGE, 9))
    assert refused.value.code == "campaign_closed"


def test_a_past_slot_is_refused(service, clock):
    clock.set(morocco(FRIDAY_BEFORE_CHANGE, 9, 1))
    with pytest.raises(DomainError) as refused:
        book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    assert refused.value.code == "slot_past"


def test_a_slot_off_the_grid_is_refused(service):
    with pytest.raises(SlotTakenError):
        book(service, morocco(FRIDAY_BEFORE_CHANGE, 9, 5))


def test_a_taken_slot_is_refused_with_other_slots_proposed(service):
    slot = morocco(FRIDAY_BEFORE_CHANGE, 9)
    book(service, slot, phone="+33612345601")
    with pytest.raises(SlotTakenError) as taken:
        book(service, slot, phone="+33612345602")
    assert taken.value.code == "slot_taken"
    assert len(taken.value.alternatives) == 3
    assert slot not in [s.starts_at for s in taken.value.alternatives]


def test_a_second_official_takes_the_same_instant(reference_data, clock):
    service = service_setup(officials=("first", "second"))
    slot = morocco(FRIDAY_BEFORE_CHANGE, 9)
    a = book(service, slot, phone="+33612345601")
    b = book(service, slot, phone="+33612345602")
    assert a.official_id != b.official_id
    with pytest.raises(SlotTakenError):
        book(service, slot, phone="+33612345603")


def test_one_active_booking_per_phone_and_service(service):
    first = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    with pytest.raises(DomainError) as refused:
        book(service, morocco(FRIDAY_BEFORE_CHANGE, 10, 20))
    assert refused.value.code == "already_booked"
    booking_cancel(booking_id=first.pk, by="citizen")
    assert book(service, morocco(FRIDAY_BEFORE_CHANGE, 10, 20)).status == "active"


def test_the_database_refuses_a_double_booking_of_an_official(service):
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    twin = Booking.objects.get(pk=booking.pk)
    twin.pk = None
    twin.reference, twin.room, twin.citizen_phone = "RDV-X", "room-2", "+33612345699"
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    # Once the first is cancelled, the slot can be booked again.
    booking_cancel(booking_id=booking.pk, by="citizen")
    twin.save()


def test_the_database_refuses_two_active_bookings_for_one_phone(service):
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    twin = Booking.objects.get(pk=booking.pk)
    twin.pk = None
    twin.reference, twin.room = "RDV-X", "room-2"
    twin.starts_at += timedelta(hours=1)
    twin.ends_at += timedelta(hours=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_a_case_reference_must_be_the_citizens(service):
    from .factories import file_complaint

    case = file_complaint(phone="+33612345601").case
    with pytest.raises(DomainError) as refused:
        book(
            service,
            morocco(FRIDAY_BEFORE_CHANGE, 9),
            phone="+33612345602",
            case_reference=case.reference,
        )
    assert refused.value.code == "case_unknown"
    booking = book(
        service,
        morocco(FRIDAY_BEFORE_CHANGE, 9),
        phone="+33612345601",
        case_reference=case.reference.lower(),
    )
    assert booking.case == case


# --- Jitsi ----------------------------------------------------------------------------


@override_settings(**JITSI)
def test_jitsi_token_claims_and_validity_window(service, clock):
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    token = jitsi_token(booking=booking, user_name="Karima Test", moderator=False)
    claims = jwt.decode(
        token,
        JITSI["MIZAN_JITSI_SECRET"],
        algorithms=["HS256"],
        audience="jitsi",
        options={"verify_nbf": False, "verify_exp": False},
    )
    assert claims["room"] == booking.room
    assert claims["iss"] == "mizan" and claims["sub"] == "meet.example.ma"
    assert claims["nbf"] == int((booking.starts_at - timedelta(minutes=10)).timestamp())
    assert claims["exp"] == int((booking.ends_at + timedelta(minutes=30)).timestamp())
    assert claims["context"]["user"] == {
        "name": "Karima Test",
        "moderator": False,
        "affiliation": "member",
    }
    assert claims["moderator"] is False
    official = jwt.decode(
        jitsi_token(booking=booking, user_name="Official", moderator=True),
        JITSI["MIZAN_JITSI_SECRET"],
        algorithms=["HS256"],
        audience="jitsi",
        options={"verify_nbf": False, "verify_exp": False},
    )
    assert official["moderator"] is True
    assert official["context"]["user"]["affiliation"] == "owner"
    # Validity: checked against the real clock, the slot being far in the future here.
    with pytest.raises(DomainError) as early:
        jitsi_token_check(token=token, room=booking.room)
    assert early.value.code == "token_invalid"


@override_settings(**JITSI)
def test_a_token_for_one_room_is_refused_for_another(service, monkeypatch):
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    token = jitsi_token(booking=booking, user_name="Karima Test", moderator=False)

    # PyJWT reads the real clock (datetime.now in jwt.api_jwt): show it the slot's time.
    class AtTheSlot(datetime):
        @classmethod
        def now(cls, tz=None):
            return booking.starts_at

    monkeypatch.setattr(jwt.api_jwt, "datetime", AtTheSlot)
    claims = jitsi_token_check(token=token, room=booking.room)
    assert claims["room"] == booking.room
    with pytest.raises(DomainError) as other:
        jitsi_token_check(token=token, room="mizan-another-room")
    assert other.value.code == "token_room"
    forged = jwt.encode({**claims, "room": "x"}, "wrong-secret-wrong-secret-wrong-secret")
    with pytest.raises(DomainError):
        jitsi_token_check(token=forged, room="x")


def test_without_jitsi_the_booking_works_and_the_page_says_so(service, client, clock):
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    clock.set(booking.starts_at - timedelta(minutes=5))
    assert not room_state(booking).configured
    page = client.get(f"/fr/appointments/join/{booking.reference}/{booking.join_key}/")
    assert page.status_code == 200
    assert "jwt=" not in page.content.decode()
    assert "vous appellera" in page.content.decode() or "call you" in page.content.decode()


@override_settings(**JITSI)
def test_the_join_page_waits_then_opens_the_room(service, client, clock):
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    url = f"/en/appointments/join/{booking.reference}/{booking.join_key}/"
    clock.set(booking.starts_at - timedelta(minutes=11))
    waiting = client.get(url).content.decode()
    assert "jwt=" not in waiting and "The room opens at" in waiting
    clock.set(booking.starts_at - timedelta(minutes=9))
    open_page = client.get(url).content.decode()
    assert f"https://meet.example.ma/{booking.room}?jwt=" in open_page
    assert client.get(f"/en/appointments/join/{booking.reference}/wrong/").status_code == 404
    clock.set(booking.ends_at + timedelta(minutes=31))
    assert "jwt=" not in client.get(url).content.decode()


@override_settings(**JITSI)
def test_join_url_carries_a_citizen_token(service):
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    url = join_url(booking=booking, user_name="Karima", moderator=False)
    token = url.split("jwt=", 1)[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["moderator"] is False


def test_the_confirmation_goes_by_sms_and_by_e_mail_when_given(service):
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9), citizen_email="karima@example.ca")
    sent = Notification.objects.filter(template_key="appointment.confirmed")
    assert sorted(sent.values_list("channel", "recipient")) == [
        ("email", "karima@example.ca"),
        ("sms", "+15145550100"),
    ]
    assert all("2027-02-05 03:00 (America/Montreal)" in n.body for n in sent)
    assert all(booking.reference in n.body for n in sent)
