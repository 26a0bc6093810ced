"""/api/v1/appointments over HTTP: services and campaigns, free slots in the caller's
time zone, booking with the token's phone and an Idempotency-Key, a phone's bookings and
nothing else, cancel, move, the .ics, and the refusals with their codes and languages."""

import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from mizan.api.models import IdempotencyRecord
from mizan.appointments.models import Booking, Reminder
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
from .test_api import assert_error, call, sign_in

PHONE_A = "+15145550101"  # Montréal
PHONE_B = "+33612345602"  # Paris
SERVICE = "family-law"


@pytest.fixture(autouse=True)
def fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, MONDAY_BEFORE)


@pytest.fixture
def service(reference_data, clock):
    return service_setup(code=SERVICE)


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def tokens(service, client):
    return sign_in(client, PHONE_A)["access_token"]


def utc(instant) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def booking_payload(starts_at, **overrides) -> dict:
    payload = {
        "service": SERVICE,
        "starts_at": starts_at if isinstance(starts_at, str) else utc(starts_at),
        "subject": "Divorce prononcé à l'étranger : transcription au Maroc.",
        "country_of_residence": "CA",
        "time_zone": "America/Montreal",
        "name": "Karima Test",
        "email": "karima@example.ca",
        "consent": True,
    }
    payload.update(overrides)
    return payload


def book_by_api(client, token, starts_at, *, key=None, language="en", **overrides):
    return call(
        client,
        "post",
        "/appointments/bookings",
        booking_payload(starts_at, **overrides),
        token=token,
        key=key or str(uuid.uuid4()),
        language=language,
    )


def post(client, path, payload=None, *, token, key=None, language="en"):
    return call(
        client,
        "post",
        path,
        payload if payload is not None else {},
        token=token,
        key=key or str(uuid.uuid4()),
        language=language,
    )


# --- the schema ------------------------------------------------------------------------


def test_every_appointment_operation_declares_its_answers(db, client):
    schema = client.get("/api/v1/openapi.json").json()
    operations = {
        op["operationId"]: op for methods in schema["paths"].values() for op in methods.values()
    }
    expected = {
        "appointments_institutions": {"200", "400", "429"},
        "appointments_services": {"200", "400", "429"},
        "appointments_service": {"200", "400", "404", "429"},
        "appointments_slots": {"200", "400", "404", "422", "429"},
        "appointments_book": {"201", "400", "401", "409", "422", "429"},
        "appointments_bookings": {"200", "400", "401", "422", "429"},
        "appointments_booking": {"200", "400", "401", "404", "429"},
        "appointments_cancel": {"200", "400", "401", "404", "409", "422", "429"},
        "appointments_reschedule": {"200", "400", "401", "404", "409", "422", "429"},
        "appointments_calendar": {"200", "400", "401", "404", "429"},
    }
    for name, statuses in expected.items():
        assert set(operations[name]["responses"]) == statuses, name
    book_op = operations["appointments_book"]
    header = next(p for p in book_op["parameters"] if p["in"] == "header")
    assert header["name"] == "Idempotency-Key" and header["required"] is True
    assert book_op["security"] and not operations["appointments_slots"].get("security")
    calendar = operations["appointments_calendar"]["responses"]["200"]["content"]
    assert list(calendar) == ["text/calendar"]


# --- services and slots ----------------------------------------------------------------


def test_services_are_public_with_titles_in_the_language_and_their_campaigns(service, client):
    closed = service_setup(
        code="pardon-files",
        officials=("second",),
        starts_on=date(2027, 6, 15),
        ends_on=date(2027, 9, 15),
    )
    response = call(client, "get", "/appointments/services", language="fr")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert set(rows) == {SERVICE, closed.code}
    family = rows[SERVICE]
    assert family["title"] == "Questions de droit de la famille"
    assert family["title_ar"] == "أسئلة قانون الأسرة" and family["duration_minutes"] == 30
    assert family["booking_open"] is True
    assert family["campaigns"] == [{"starts_on": "2027-01-15", "ends_on": "2027-03-31"}]
    assert rows[closed.code]["booking_open"] is False
    assert rows[closed.code]["campaigns"] == [{"starts_on": "2027-06-15", "ends_on": "2027-09-15"}]
    with translation.override("fr"):
        assert family["institution"]["name"] == str(service.institution)
    english = call(client, "get", f"/appointments/services/{SERVICE}").json()
    assert english["title"] == "Family law questions"
    institutions = call(client, "get", "/appointments/institutions").json()
    assert institutions == [
        {"code": service.institution.code, "name": str(service.institution), "booking_open": True}
    ]
    assert call(client, "get", "/appointments/services", {"institution": "NONE"}).json() == []
    assert_error(call(client, "get", "/appointments/services/nothing"), 404, "not_found")
    # A closed campaign: the service is described, but has no slot to offer.
    slots = call(client, "get", f"/appointments/services/{closed.code}/slots").json()
    assert slots["booking_open"] is False and slots["items"] == []


def test_slots_are_given_in_utc_in_morocco_and_in_the_asked_zone(service, client):
    def slots(zone, **query):
        response = call(
            client, "get", f"/appointments/services/{SERVICE}/slots", {"tz": zone, **query}
        )
        assert response.status_code == 200, response.content
        return response.json()

    montreal = slots(
        "America/Montreal", **{"from": "2027-02-05", "to": "2027-02-08"}
    )  # Friday to Monday in Montréal
    casablanca = slots("Africa/Casablanca", **{"from": "2027-02-05", "to": "2027-02-08"})
    assert montreal["time_zone"] == "America/Montreal"
    by_instant = {slot["starts_at"]: slot for slot in montreal["items"]}
    # 10:20 in Morocco on Friday 5 February (UTC+1) and Monday 8 February 2027 (UTC+0,
    # Ramadan): Morocco's clock reads the same, the instant and Montréal's time move.
    before = by_instant[utc(morocco(FRIDAY_BEFORE_CHANGE, 10, 20))]
    assert before["starts_at"] == "2027-02-05T09:20:00Z"
    assert before["ends_at"] == "2027-02-05T09:50:00Z"
    assert before["morocco"] == {
        "time_zone": "Africa/Casablanca",
        "date": "2027-02-05",
        "time": "10:20",
        "utc_offset": "+01:00",
        "iso": "2027-02-05T10:20:00+01:00",
    }
    assert before["local"] == {
        "time_zone": "America/Montreal",
        "date": "2027-02-05",
        "time": "04:20",
        "utc_offset": "-05:00",
        "iso": "2027-02-05T04:20:00-05:00",
    }
    after = by_instant[utc(morocco(MONDAY_AFTER_CHANGE, 10, 20))]
    assert after["starts_at"] == "2027-02-08T10:20:00Z"
    assert (after["morocco"]["time"], after["morocco"]["utc_offset"]) == ("10:20", "+00:00")
    assert (after["local"]["time"], after["local"]["date"]) == ("05:20", "2027-02-08")
    # The same slots whatever the zone; in Casablanca, local is Morocco's time.
    assert [s["starts_at"] for s in casablanca["items"]] == list(by_instant)
    assert all(s["local"] == s["morocco"] for s in casablanca["items"])
    # Days are the asked zone's: Friday and Monday (no weekend slot), 4 slots a day.
    assert {s["local"]["date"] for s in montreal["items"]} == {"2027-02-05", "2027-02-08"}
    assert len(montreal["items"]) == 8
    # Dubai (UTC+4): 09:00 in Morocco on Tuesday 9 February (UTC+0) is 13:00 there.
    dubai = slots("Asia/Dubai", **{"from": "2027-02-09", "to": "2027-02-09"})
    assert dubai["items"][0]["local"]["time"] == "13:00"
    assert {s["morocco"]["date"] for s in dubai["items"]} == {"2027-02-09"}
    assert montreal["booking_open"] is True


def test_a_bad_time_zone_or_range_is_refused_with_a_clear_code(service, client):
    path = f"/appointments/services/{SERVICE}/slots"
    english = assert_error(call(client, "get", path, {"tz": "Mars/Olympus"}), 422, "time_zone")
    assert english["field"] == "tz" and "IANA" in english["message"]
    french = assert_error(
        call(client, "get", path, {"tz": "Mars/Olympus"}, language="fr"), 422, "time_zone"
    )
    assert french["message"] != english["message"]
    with translation.override("fr"):
        assert french["message"] == gettext(english["message"])
    body = assert_error(
        call(client, "get", path, {"from": "2027-02-09", "to": "2027-02-08"}), 422, "invalid"
    )
    assert body["field"] == "to"
    assert_error(call(client, "get", path, {"from": "9 February"}), 422, "invalid")
    assert_error(call(client, "get", "/appointments/services/nothing/slots"), 404, "not_found")


# --- booking ---------------------------------------------------------------------------


def test_book_list_move_and_cancel(service, tokens, client):
    codes_before = Notification.objects.filter(template_key="phone.code").count()
    response = book_by_api(client, tokens, morocco(FRIDAY_BEFORE_CHANGE, 10, 20))
    assert response.status_code == 201, response.content
    booked = response.json()
    booking = Booking.objects.get(reference=booked["reference"])
    # The phone is the token's: no second one-time code was sent to book.
    assert str(booking.citizen_phone) == PHONE_A
    assert Notification.objects.filter(template_key="phone.code").count() == codes_before
    assert booked["status"] == "active" and booked["changeable"] is True
    assert booked["starts_at"] == "2027-02-05T09:20:00Z"
    assert booked["local"]["time"] == "04:20" and booked["morocco"]["time"] == "10:20"
    assert booked["service"]["code"] == SERVICE and booked["time_zone"] == "America/Montreal"
    assert booked["language"] == "en" and booking.language == "en"
    assert (
        booked["calendar_url"] == f"/api/v1/appointments/bookings/{booking.reference}/calendar.ics"
    )
    assert Notification.objects.filter(
        recipient=PHONE_A, template_key="appointment.confirmed"
    ).exists()
    assert "Idempotent-Replayed" not in response

    listed = call(client, "get", "/appointments/bookings", token=tokens).json()
    assert [row["reference"] for row in listed["items"]] == [booking.reference]
    assert listed["next_cursor"] is None
    detail = call(client, "get", f"/appointments/bookings/{booking.reference}", token=tokens)
    assert detail.status_code == 200 and detail.json() == booked

    target = morocco(MONDAY_AFTER_CHANGE, 9, 40)
    moved = post(
        client,
        f"/appointments/bookings/{booking.reference}/reschedule",
        {"starts_at": target.astimezone(ZoneInfo("America/Montreal")).isoformat()},
        token=tokens,
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["starts_at"] == "2027-02-08T09:40:00Z"
    assert moved.json()["local"]["time"] == "04:40"
    booking.refresh_from_db()
    assert booking.starts_at == target
    pending = Reminder.objects.filter(booking=booking, status=Reminder.Status.PENDING)
    assert sorted(r.due_at for r in pending) == [
        target - timedelta(hours=24),
        target - timedelta(hours=1),
    ]

    cancelled = post(client, f"/appointments/bookings/{booking.reference}/cancel", token=tokens)
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["changeable"] is False
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.closed_by == "citizen"
    assert not Reminder.objects.filter(booking=booking, status=Reminder.Status.PENDING).exists()
    # Once cancelled, nothing more to cancel or move: 409 not_active.
    again = post(client, f"/appointments/bookings/{booking.reference}/cancel", token=tokens)
    assert_error(again, 409, "not_active")
    moved_again = post(
        client,
        f"/appointments/bookings/{booking.reference}/reschedule",
        {"starts_at": utc(morocco(MONDAY_AFTER_CHANGE, 11))},
        token=tokens,
    )
    assert_error(moved_again, 409, "not_active")


def test_a_taken_slot_is_409_with_other_slots_in_the_caller_s_zone(service, tokens, client):
    slot = morocco(FRIDAY_BEFORE_CHANGE, 9)
    book(service, slot, phone=PHONE_B, zone="Europe/Paris")
    response = book_by_api(client, tokens, slot)
    body = assert_error(response, 409, "slot_taken")
    assert body["field"] == "slot"
    alternatives = body["details"]["alternatives"]
    assert len(alternatives) == 3
    assert utc(slot) not in [row["starts_at"] for row in alternatives]
    first = alternatives[0]
    assert first["local"]["time_zone"] == "America/Montreal"
    assert first["morocco"]["time_zone"] == "Africa/Casablanca"
    assert not Booking.objects.filter(citizen_phone=PHONE_A).exists()
    # One of the alternatives books at once (and the refused key was not used up).
    retry = book_by_api(client, tokens, first["starts_at"])
    assert retry.status_code == 201, retry.content
    # A move onto a taken slot is refused the same way.
    reference = retry.json()["reference"]
    moved = post(
        client,
        f"/appointments/bookings/{reference}/reschedule",
        {"starts_at": utc(slot)},
        token=tokens,
    )
    assert len(assert_error(moved, 409, "slot_taken")["details"]["alternatives"]) == 3


def test_the_refusals_say_why_in_french(service, tokens, client):
    slot = morocco(FRIDAY_BEFORE_CHANGE, 9)
    book(service, slot, phone=PHONE_B)
    taken = assert_error(book_by_api(client, tokens, slot, language="fr"), 409, "slot_taken")
    with translation.override("fr"):
        expected = gettext("Someone has just booked this slot. Please choose another one.")
    assert taken["message"] == expected and expected != (
        "Someone has just booked this slot. Please choose another one."
    )
    # Past slot: it is 13:00 in Morocco on Monday 1 February.
    past = assert_error(
        book_by_api(client, tokens, morocco(date(2027, 2, 1), 9), language="fr"), 422, "slot_past"
    )
    with translation.override("fr"):
        assert past["message"] == gettext(
            "This slot has already passed. Please choose another slot."
        )
    zone = assert_error(
        book_by_api(
            client,
            tokens,
            morocco(FRIDAY_BEFORE_CHANGE, 10, 20),
            language="fr",
            time_zone="Nowhere",
        ),
        422,
        "time_zone",
    )
    assert zone["field"] == "time_zone"
    with translation.override("fr"):
        assert zone["message"] == gettext(
            "This is not a time zone name. Give an IANA name such as Europe/Paris or "
            "America/Montreal."
        )
    form = assert_error(
        book_by_api(
            client,
            tokens,
            morocco(FRIDAY_BEFORE_CHANGE, 10, 20),
            language="fr",
            subject="",
            consent=False,
        ),
        422,
        "invalid",
    )
    fields = {row["field"]: row["message"] for row in form["details"]["fields"]}
    with translation.override("fr"):
        assert fields["subject"] == gettext("Say in a few words what the appointment is about.")
        assert fields["consent"] == gettext("Your agreement is needed to book the appointment.")
    assert not Booking.objects.filter(citizen_phone=PHONE_A).exists()


def test_a_closed_campaign_is_refused_with_its_code(reference_data, clock, client):
    service_setup(code=SERVICE, starts_on=date(2027, 6, 15), ends_on=date(2027, 9, 15))
    token = sign_in(client, PHONE_A)["access_token"]
    response = book_by_api(client, token, morocco(date(2027, 6, 21), 9))
    assert_error(response, 409, "campaign_closed")
    unknown = assert_error(
        book_by_api(client, token, morocco(date(2027, 6, 21), 9), service="x"),
        422,
        "unknown_service",
    )
    assert unknown["field"] == "service"


def test_one_active_booking_per_service_and_a_naive_time_is_refused(service, tokens, client):
    assert book_by_api(client, tokens, morocco(FRIDAY_BEFORE_CHANGE, 9)).status_code == 201
    second = book_by_api(client, tokens, morocco(FRIDAY_BEFORE_CHANGE, 10, 20))
    assert_error(second, 409, "already_booked")
    naive = book_by_api(client, tokens, "2027-02-05T09:00:00")
    assert assert_error(naive, 422, "invalid")["field"] == "starts_at"


def test_one_idempotency_key_books_once(service, tokens, client):
    key = str(uuid.uuid4())
    slot = morocco(FRIDAY_BEFORE_CHANGE, 9)
    first = book_by_api(client, tokens, slot, key=key)
    retry = book_by_api(client, tokens, slot, key=key)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry["Idempotent-Replayed"] == "true"
    assert Booking.objects.filter(citizen_phone=PHONE_A).count() == 1
    assert (
        Notification.objects.filter(template_key="appointment.confirmed", channel="sms").count()
        == 1
    )
    # The same key for another body: a conflict, nothing booked.
    other = book_by_api(client, tokens, morocco(FRIDAY_BEFORE_CHANGE, 10, 20), key=key)
    assert_error(other, 409, "idempotency_conflict")
    assert Booking.objects.filter(citizen_phone=PHONE_A).count() == 1
    assert IdempotencyRecord.objects.count() == 1
    # No key: 422, as on every creating call.
    response = call(client, "post", "/appointments/bookings", booking_payload(slot), token=tokens)
    assert assert_error(response, 422, "invalid")["field"] == "Idempotency-Key"
    # A cancellation retried with its key gets its first answer, not "no longer active".
    reference = first.json()["reference"]
    key = str(uuid.uuid4())
    path = f"/appointments/bookings/{reference}/cancel"
    once = post(client, path, token=tokens, key=key)
    twice = post(client, path, token=tokens, key=key)
    assert once.status_code == twice.status_code == 200
    assert twice.json() == once.json() and twice["Idempotent-Replayed"] == "true"


def test_another_phone_s_booking_is_404(service, tokens, client):
    theirs = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9), phone=PHONE_B)
    mine = book_by_api(client, tokens, morocco(FRIDAY_BEFORE_CHANGE, 10, 20)).json()
    base = f"/appointments/bookings/{theirs.reference}"
    for response in (
        call(client, "get", base, token=tokens),
        call(client, "get", f"{base}/calendar.ics", token=tokens),
        post(client, f"{base}/cancel", token=tokens),
        post(
            client,
            f"{base}/reschedule",
            {"starts_at": utc(morocco(MONDAY_AFTER_CHANGE, 9))},
            token=tokens,
        ),
        call(client, "get", "/appointments/bookings/RDV-2027-00000000-X", token=tokens),
    ):
        assert_error(response, 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.ACTIVE and theirs.starts_at == morocco(
        FRIDAY_BEFORE_CHANGE, 9
    )
    listed = call(client, "get", "/appointments/bookings", token=tokens).json()["items"]
    assert [row["reference"] for row in listed] == [mine["reference"]]
    # Phone B's token sees B's booking, not A's.
    other = sign_in(client, PHONE_B)["access_token"]
    assert call(client, "get", base, token=other).status_code == 200
    assert_error(
        call(client, "get", f"/appointments/bookings/{mine['reference']}", token=other),
        404,
        "not_found",
    )
    assert_error(call(client, "get", "/appointments/bookings"), 401, "unauthenticated")


def test_my_bookings_are_paged_by_cursor(reference_data, clock, client):
    for code in ("first", "second", "third"):
        service_setup(code=code, officials=(f"official-{code}",))
    token = sign_in(client, PHONE_A)["access_token"]
    references = []
    for code in ("first", "second", "third"):
        clock.set(clock.now + timedelta(minutes=1))
        response = book_by_api(client, token, morocco(FRIDAY_BEFORE_CHANGE, 9), service=code)
        assert response.status_code == 201, response.content
        references.append(response.json()["reference"])
    first = call(client, "get", "/appointments/bookings", {"limit": 2}, token=token).json()
    assert [row["reference"] for row in first["items"]] == references[:0:-1]
    rest = call(
        client, "get", "/appointments/bookings", {"cursor": first["next_cursor"]}, token=token
    ).json()
    assert [row["reference"] for row in rest["items"]] == references[:1]
    assert rest["next_cursor"] is None
    other = sign_in(client, PHONE_B)["access_token"]
    response = call(
        client, "get", "/appointments/bookings", {"cursor": first["next_cursor"]}, token=other
    )
    assert_error(response, 400, "invalid_cursor")


def test_the_calendar_file_is_the_booking_s_instant_in_its_zone(service, tokens, client):
    booked = book_by_api(client, tokens, morocco(MONDAY_AFTER_CHANGE, 10, 20)).json()
    response = call(client, "get", booked["calendar_url"].removeprefix("/api/v1"), token=tokens)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Cache-Control"] == "private, no-store"
    parsed = icalendar.Calendar.from_ical(response.content)
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == ["America/Montreal"]
    event = parsed.walk("VEVENT")[0]
    assert event.decoded("dtstart") == morocco(MONDAY_AFTER_CHANGE, 10, 20)
    assert f"{event.decoded('dtstart'):%H:%M}" == "05:20"


def test_the_appointments_refusals_take_their_status_from_the_api_s_one_table():
    from mizan.api import appointments, errors

    assert not hasattr(appointments, "STATUS_BY_CODE")
    expected = {
        "slot_taken": 409,
        "already_booked": 409,
        "campaign_closed": 409,
        "not_active": 409,
        "slot_past": 422,
        "time_zone": 422,
        "case_unknown": 422,
        "unknown_service": 422,
    }
    assert {code: errors.STATUS_BY_CODE[code] for code in expected} == expected
