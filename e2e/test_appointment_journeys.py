"""Remote appointments in a real browser on a phone-sized screen, in Arabic and in
French: a citizen in Canada books (times in their zone and Morocco's, the phone code,
the .ics), moves then cancels behind a code, opens the join page before the room opens
(with and without a Jitsi configuration), and the official marks the appointment held
from the agenda. The booking also runs once with JavaScript disabled.

The service, campaign and weekly hours are the demo's (`load_demo` through
`demo_appointments_create`), for the demo's official created as the other journeys
create their staff. Slots are chosen by their value (the UTC instant) and checked
against the times the test computes; messages whose only mark is their wording are
compared with the project's own translation of them."""

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from .conftest import (
    ARTIFACTS,
    ROOT,
    STAFF_PASSWORD,
    Citizen,
    StaffDesk,
    _free_port,
    _wait_until_up,
    sms_code_for,
)

SERVICE = "mre-family-law"
MOROCCO = ZoneInfo("Africa/Casablanca")
# A check character from the references' alphabet (no I, O, U, Y, Z).
REFERENCE = re.compile(r"^RDV-\d{4}-\d{6,8}-[0-9A-HJ-NP-TV-X]$")
JITSI_DOMAIN = "meet.e2e.invalid"
NOT_SET_UP = (
    "Video calls are not set up on this platform yet. The official will call you on "
    "your phone at the time of the appointment."
)


def variant(language: str, js: bool) -> str:
    return f"{language}-{'js' if js else 'nojs'}"


def variants(*nojs_languages: str):
    cases = [("ar", True), ("fr", True)] + [(language, False) for language in nojs_languages]
    return pytest.mark.parametrize(
        ("language", "js"), cases, ids=[variant(language, js) for language, js in cases]
    )


def phone_for(journey: int, language: str, js: bool) -> str:
    """A Canadian mobile of its own per journey and variant (E.164, as stored)."""
    return f"+15145550{journey}{['ar', 'fr'].index(language)}{0 if js else 1}"


def translated(language: str, text: str) -> str:
    from django.utils import translation

    with translation.override(language):
        return translation.gettext(text)


@pytest.fixture(scope="module")
def world(server):
    """The demo's official of the desk for Moroccans abroad (magistrate and unit head),
    and the demo's services, 90-day campaign and weekly hours."""
    from mizan.accounts.models import Role, Unit
    from mizan.accounts.services import staff_user_create
    from mizan.appointments.demo import demo_appointments_create
    from mizan.appointments.models import AppointmentService

    staff_user_create(
        username="official.mre",
        password=STAFF_PASSWORD,
        full_name="Rachid Bennis",
        unit=Unit.objects.get(code="MRE"),
        roles=[Role.MAGISTRATE, Role.UNIT_HEAD],
    )
    demo_appointments_create()
    service = AppointmentService.objects.select_related("unit").get(code=SERVICE)
    return {"service": service, "institution": service.unit.institution_id}


@pytest.fixture(scope="module")
def jitsi_server(server, tmp_path_factory):
    """A second gunicorn on the same database and static files, with a Jitsi Meet
    configuration (the first server has none)."""
    work = tmp_path_factory.mktemp("mizan-e2e-jitsi")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        MIZAN_SITE_URL=base_url,
        MIZAN_JITSI_DOMAIN=JITSI_DOMAIN,
        MIZAN_JITSI_APP_ID="mizan-e2e",
        MIZAN_JITSI_SECRET="e2e-only-jitsi-secret-" + "j" * 32,
    )
    logs = open(work / "server.log", "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=logs,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(f"{base_url}/fr/")
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        logs.close()
        print((work / "server.log").read_text()[-2000:])


# --- State and expectations computed by the test --------------------------------------


def free_slot(service, *, exclude_booking=None, not_before=timedelta(hours=2)):
    """The first free slot at least `not_before` ahead (the room is not open yet)."""
    from django.utils import timezone

    from mizan.appointments.slots import service_slots

    excluded = exclude_booking.pk if exclude_booking is not None else None
    current = exclude_booking.starts_at if exclude_booking is not None else None
    earliest = timezone.now() + not_before
    for slot in service_slots(service=service, exclude_booking_id=excluded):
        if slot.starts_at >= earliest and slot.starts_at != current:
            return slot
    raise AssertionError(f"no free slot of {service.code} in the next two weeks")


def hhmm(instant, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def book_directly(world, phone: str, name: str, language: str, zone="America/Toronto"):
    """A booking made as the booking pages make it (the journeys that start after it)."""
    from mizan.appointments.services import booking_create

    return booking_create(
        service=world["service"],
        starts_at=free_slot(world["service"]).starts_at,
        citizen_name=name,
        citizen_phone=phone,
        country_of_residence="CA",
        time_zone=zone,
        language=language,
        subject="Transcription au Maroc d'un divorce prononcé au Canada.",
    )


def booking_row(reference: str):
    from mizan.appointments.models import Booking

    return Booking.objects.get(reference=reference)


def now():
    from django.utils import timezone

    return timezone.now()


def move_booking_to(booking, starts_at) -> None:
    """Time passes for the server: the appointment is placed at `starts_at` (the
    server's clock cannot be moved; its reminders are irrelevant here). To the
    microsecond, so that no two journeys' bookings share an official's start."""
    from mizan.appointments.models import Booking

    duration = booking.ends_at - booking.starts_at
    Booking.objects.filter(pk=booking.pk).update(starts_at=starts_at, ends_at=starts_at + duration)


def sms_body(phone: str, template_key: str) -> str:
    """The newest SMS of that kind the worker delivered to `phone`."""
    from mizan.notifications.models import ConsoleMessage

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        message = (
            ConsoleMessage.objects.filter(recipient=phone, notification__template_key=template_key)
            .order_by("-id")
            .first()
        )
        if message is not None:
            return message.body
        time.sleep(0.2)
    raise AssertionError(f"no {template_key} SMS reached {phone}")


def summary_values(page) -> list[str]:
    """The booking summary's values: service, your time, Morocco's time, duration,
    status."""
    return [text.strip() for text in page.locator("main dl.summary dd").all_inner_texts()]


# --- 1 and 5: booking --------------------------------------------------------------------


@variants("ar")
def test_a_citizen_in_canada_books_an_appointment(browser, server, world, language, js):
    folder = ARTIFACTS / f"appointment-booking-{variant(language, js)}"
    phone = phone_for(1, language, js)
    service = world["service"]
    citizen = Citizen(browser, server, folder, language, js)
    page = citizen.page

    citizen.visit("home", "/")
    assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    citizen.visit("start", lambda: page.click("main a[href$='/appointments/']"))
    assert page.url.endswith(f"/{language}/appointments/"), page.url
    institution = f"/appointments/institution/{world['institution']}/"
    citizen.visit("institution", lambda: page.click(f"main a[href$='{institution}']"))
    citizen.visit("subject", lambda: page.click(f"main a[href$='/service/{SERVICE}/']"))
    assert page.input_value("#id_country_of_residence") == "MA"

    # Sent empty: the summary links to the field, and what was chosen is kept.
    page.select_option("#id_country_of_residence", "CA")
    citizen.visit("subject-errors", lambda: page.click("main form button[type=submit]"))
    assert page.locator("#error-summary a[href='#id_subject']").count() == 1
    assert page.input_value("#id_country_of_residence") == "CA"
    if js:
        assert page.evaluate("document.activeElement.id") == "error-summary"
    page.fill("#id_subject", "Transcription au Maroc d'un divorce prononcé à Montréal.")
    citizen.visit("slots", lambda: page.click("main form button[type=submit]"))
    assert page.url.endswith(f"/appointments/service/{SERVICE}/slots/"), page.url

    # Canada's usual zone by default, named on the page.
    assert page.input_value("#id_tz") == "America/Toronto"
    assert page.locator("main p strong[dir=ltr]").inner_text() == "America/Toronto"
    slot = free_slot(service)
    label = page.locator(f"label:has(input[name=slot][value='{slot.key}'])")
    assert label.locator("strong").inner_text() == hhmm(slot.starts_at, "America/Toronto")
    assert hhmm(slot.starts_at, "Africa/Casablanca") in label.locator(".helptext").inner_text()

    # Lives in Vancouver: the same instants, three hours earlier on the page.
    zone = "America/Vancouver"
    page.select_option("#id_tz", zone)
    citizen.visit("slots-vancouver", lambda: page.click("main form[method=get] button"))
    assert f"tz={zone.replace('/', '%2F')}" in page.url, page.url
    assert page.locator("main p strong[dir=ltr]").inner_text() == zone
    label = page.locator(f"label:has(input[name=slot][value='{slot.key}'])")
    assert label.locator("strong").inner_text() == hhmm(slot.starts_at, zone)
    assert hhmm(slot.starts_at, "Africa/Casablanca") in label.locator(".helptext").inner_text()

    page.check(f"input[name=slot][value='{slot.key}']")
    citizen.visit("details", lambda: page.click("main form[method=post] button[type=submit]"))
    assert page.url.endswith("/appointments/details/"), page.url
    assert zone in page.inner_text("main")
    name = "Karima Benali" if language == "fr" else "كريمة بنعلي"
    page.fill("#id_name", name)
    page.fill("#id_phone", "+1 514 555 0" + phone[-3:])
    assert page.is_checked("#id_phone_call_fallback")
    citizen.visit("details-errors", lambda: page.click("main form button[type=submit]"))
    assert page.locator("#error-summary a[href='#id_consent']").count() == 1
    assert page.input_value("#id_name") == name
    page.check("#id_consent")
    citizen.visit("confirm-phone", lambda: page.click("main form button[type=submit]"))
    assert page.url.endswith("/appointments/code/"), page.inner_text("main")[:2000]
    assert phone[-3:] in page.inner_text("main")  # the masked number

    page.fill("#id_code", sms_code_for(phone))
    citizen.visit("booked", lambda: page.click("button[name=verify]"))
    assert "/appointments/booked/" in page.url, page.inner_text("main")[:2000]
    reference = page.locator("main .reference").inner_text().strip()
    assert REFERENCE.match(reference), reference
    booking = booking_row(reference)
    assert booking.starts_at == slot.starts_at
    assert (booking.time_zone, booking.country_of_residence) == (zone, "CA")
    assert (str(booking.citizen_phone), booking.language) == (phone, language)
    _service, yours, moroccos, *_rest = summary_values(page)
    assert hhmm(slot.starts_at, zone) in yours and zone in yours
    assert hhmm(slot.starts_at, "Africa/Casablanca") in moroccos

    # The .ics downloads: the citizen's zone with its VTIMEZONE, at the booked time.
    ics_link = page.locator("main a.button[href$='/calendar.ics']")
    with page.expect_download() as download_info:
        ics_link.click()
    download = download_info.value
    assert download.suggested_filename == f"{reference}.ics"
    ics = download.path().read_text(encoding="utf-8")
    assert "BEGIN:VCALENDAR" in ics and "BEGIN:VTIMEZONE" in ics, ics
    assert f"TZID:{zone}" in ics
    local = slot.starts_at.astimezone(ZoneInfo(zone))
    assert f"DTSTART;TZID={zone}:{local:%Y%m%dT%H%M%S}" in ics, ics
    response = citizen.context.request.get(f"{server}{ics_link.get_attribute('href')}")
    assert response.headers["content-type"].startswith("text/calendar")

    # The confirmation SMS: the reference and the time in the citizen's zone.
    sms = sms_body(phone, "appointment.confirmed")
    assert reference in sms and f"{local:%Y-%m-%d %H:%M} ({zone})" in sms, sms
    citizen.close()


# --- 2: manage ------------------------------------------------------------------------------


@variants()
def test_the_citizen_moves_then_cancels_behind_a_code(browser, server, world, language, js):
    folder = ARTIFACTS / f"appointment-manage-{variant(language, js)}"
    phone = phone_for(2, language, js)
    booking = book_directly(world, phone, "Karima Benali", language)
    zone = booking.time_zone

    # From another phone than the one that booked: the reference and a code.
    citizen = Citizen(browser, server, folder, language, js)
    page = citizen.page
    citizen.visit("start", "appointments/")
    citizen.visit("manage", lambda: page.click("main a[href$='/appointments/manage/']"))
    page.fill("#id_reference", booking.reference.lower())
    page.fill("#id_phone", phone)
    citizen.visit("manage-code", lambda: page.click("main form button[type=submit]"))
    assert page.url.endswith("/appointments/manage/code/"), page.inner_text("main")[:2000]
    page.fill("#id_code", sms_code_for(phone))
    citizen.visit("manage-booking", lambda: page.click("button[name=verify]"))
    assert page.url.endswith(f"/appointments/manage/{booking.reference}/"), page.url
    assert page.locator("main .reference").inner_text().strip() == booking.reference
    assert hhmm(booking.starts_at, zone) in summary_values(page)[1]

    # Another slot, shown in the booking's zone and Morocco's.
    other = free_slot(world["service"], exclude_booking=booking)
    label = page.locator(f"label:has(input[name=slot][value='{other.key}'])")
    assert label.locator("strong").inner_text() == hhmm(other.starts_at, zone)
    assert hhmm(other.starts_at, "Africa/Casablanca") in label.locator(".helptext").inner_text()
    page.check(f"input[name=slot][value='{other.key}']")
    citizen.visit("moved", lambda: page.click("button[name=move]"))
    assert page.locator(".message-success").is_visible()
    assert booking_row(booking.reference).starts_at == other.starts_at
    _service, yours, moroccos, *_rest = summary_values(page)
    assert hhmm(other.starts_at, zone) in yours
    assert hhmm(other.starts_at, "Africa/Casablanca") in moroccos
    local = other.starts_at.astimezone(ZoneInfo(zone))
    assert f"{local:%Y-%m-%d %H:%M}" in sms_body(phone, "appointment.moved")

    citizen.visit("cancelled", lambda: page.click("button[name=cancel]"))
    assert page.locator(".message-success").is_visible()
    assert booking_row(booking.reference).status == "cancelled"
    # Nothing left to move or cancel; the way to book again instead.
    assert page.locator("button[name=cancel], button[name=move]").count() == 0
    assert page.locator("main a[href$='/appointments/']").count() == 1
    assert booking.reference in sms_body(phone, "appointment.cancelled")
    citizen.close()


# --- 3: joining ---------------------------------------------------------------------------


@variants()
def test_the_join_page_before_the_room_opens(browser, server, jitsi_server, world, language, js):
    import jwt

    folder = ARTIFACTS / f"appointment-join-{variant(language, js)}"
    phone = phone_for(3, language, js)
    booking = book_directly(world, phone, "Karima Benali", language, zone="America/Montreal")
    path = f"appointments/join/{booking.reference}/{booking.join_key}/"
    rules = "main h2 + ul li"

    # Without Jitsi: the rules, the time, and the phone call instead of the video.
    citizen = Citizen(browser, server, folder / "no-video", language, js)
    page = citizen.page
    citizen.visit("join-without-video", path)
    assert page.locator(rules).count() == 4
    assert hhmm(booking.starts_at, booking.time_zone) in summary_values(page)[1]
    status = page.locator("main .panel[role=status]").inner_text().strip()
    assert status == translated(language, NOT_SET_UP), status
    assert page.locator(f"main a[href*='{JITSI_DOMAIN}']").count() == 0
    citizen.close()

    # With Jitsi, hours before: the room's opening time in the citizen's zone, no link.
    citizen = Citizen(browser, jitsi_server, folder / "video", language, js)
    page = citizen.page
    citizen.visit("join-waiting", path)
    assert page.locator(rules).count() == 4
    waiting = page.locator("main .panel[role=status]").inner_text()
    opens = booking.starts_at - timedelta(minutes=10)
    assert hhmm(opens, booking.time_zone) in waiting, waiting
    assert page.locator(f"main a[href*='{JITSI_DOMAIN}']").count() == 0
    # The camera and microphone test, before the room opens (nothing is sent anywhere).
    test = page.locator("#device-test")
    if js:
        assert page.locator("#device-test-without-js").is_hidden()
        citizen.visit("join-device-test", lambda: test.locator("button[data-start]").click())
        heard = test.get_attribute("data-heard")
        page.wait_for_function(
            "text => document.querySelector('#device-test [role=status]').textContent === text",
            arg=heard,
            timeout=15_000,
        )
        assert page.evaluate("document.querySelector('#device-test video').videoWidth") > 0
        test.locator("button[data-stop]").click()
        assert test.locator("[role=status]").inner_text() == test.get_attribute("data-stopped")
        assert page.evaluate("document.querySelector('#device-test video').srcObject") is None
    else:
        assert test.is_hidden() and page.locator("#device-test-without-js").is_visible()

    # Five minutes before: the room's link, with a member's (not a moderator's) token.
    move_booking_to(booking, now() + timedelta(minutes=5))
    citizen.visit("join-open", page.reload)
    enter = page.locator(f"main a.button[href^='https://{JITSI_DOMAIN}/{booking.room}?jwt=']")
    assert enter.count() == 1
    claims = jwt.decode(
        enter.get_attribute("href").split("jwt=", 1)[1], options={"verify_signature": False}
    )
    assert claims["room"] == booking.room and claims["moderator"] is False
    assert claims["context"]["user"]["name"] == "Karima Benali"
    citizen.close()


# --- 4: the official ----------------------------------------------------------------------


@variants()
def test_the_official_finds_the_booking_and_marks_it_held(browser, server, world, language, js):
    folder = ARTIFACTS / f"appointment-official-{variant(language, js)}"
    phone = phone_for(4, language, js)
    name = f"Citizen {variant(language, js)} Agenda"
    booking = book_directly(world, phone, name, language)

    desk = StaffDesk(browser, server, folder / "official", language, js, "official.mre")
    page, checks = desk.page, desk.checks
    checks.start()
    page.click(f"a[href$='/{language}/backoffice/appointments/']")
    checks.check("agenda")
    row = page.locator("main tr", has=page.locator(f"a[href$='/{booking.reference}/']"))
    assert row.count() == 1
    assert name in row.inner_text()
    # As unit head: the unit's capacity, this service with at least this booking.
    title = getattr(world["service"], f"title_{language}")
    capacity = page.locator("main table").last.locator("tr", has_text=title)
    assert capacity.count() == 1 and int(capacity.locator("td").nth(1).inner_text()) >= 1

    checks.start()
    row.locator("a").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/backoffice/appointments/{booking.reference}/"), page.url
    checks.check("booking")
    assert page.locator("main h1").inner_text().strip() == booking.reference
    assert name in page.inner_text("main")

    # Not before it starts: the outcome is refused, with the form's error summary.
    page.check("input[name=outcome][value=held]")
    checks.start()
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")
    checks.check("held-too-early")
    assert page.locator("#error-summary").is_visible()
    assert booking_row(booking.reference).status == "active"

    # Ten minutes into the appointment, it is marked held, with a note for the file.
    move_booking_to(booking, now() - timedelta(minutes=10))
    page.check("input[name=outcome][value=held]")
    page.fill("#id_notes", "Transcription explained; documents to send by post.")
    checks.start()
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")
    checks.check("held")
    assert page.url.endswith(f"/backoffice/appointments/{booking.reference}/"), page.url
    assert page.locator(".message-success").is_visible()
    assert page.locator("input[name=outcome]").count() == 0
    assert "documents to send by post" in page.inner_text("main")
    held = booking_row(booking.reference)
    assert (held.status, held.closed_by) == ("held", "official")
    desk.close()
