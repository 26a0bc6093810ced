"""The citizen's booking journey, the manage page and the official's agenda, through
real HTTP requests (Django's test client), without JavaScript."""

import re
import secrets
from datetime import timedelta

import icalendar
import pytest
from django.test import override_settings

from mizan.accounts.models import Role
from mizan.appointments.models import Booking
from mizan.notifications.models import Notification

from .appointment_factories import (
    FRIDAY_BEFORE_CHANGE,
    MONDAY_AFTER_CHANGE,
    MONDAY_BEFORE,
    Clock,
    book,
    morocco,
    service_setup,
)
from .factories import staff, verified_login
from .factories import staff as staff_user

pytestmark = pytest.mark.django_db
CODE = "123456"


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, MONDAY_BEFORE)


@pytest.fixture
def known_code(monkeypatch):
    """The one-time code the SMS would carry."""
    real = secrets.randbelow
    monkeypatch.setattr(secrets, "randbelow", lambda n: int(CODE) if n == 10**6 else real(n))


@pytest.fixture
def service(reference_data, clock):
    return service_setup()


def _key(instant) -> str:
    return instant.strftime("%Y-%m-%dT%H:%MZ")


def test_a_citizen_in_montreal_books_and_gets_the_ics(service, client, known_code):
    start = client.get("/fr/appointments/")
    assert 'href="/fr/appointments/institution/MRE/"' in start.content.decode()
    services = client.get("/fr/appointments/institution/MRE/")
    assert "Questions de droit de la famille" in services.content.decode()
    response = client.post(
        "/fr/appointments/service/family-law/",
        {
            "subject": "Transcription d'un divorce",
            "case_reference": "",
            "country_of_residence": "CA",
        },
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    # Canada's usual zone by default; times of Monday 8 February (UTC+0 in Morocco).
    assert "America/Toronto" in page
    montreal = client.get(response.url, {"tz": "America/Montreal"}).content.decode()
    assert '<strong dir="ltr">America/Montreal</strong>' in montreal
    slot = morocco(MONDAY_AFTER_CHANGE, 10, 20)  # 10:20 UTC, 05:20 in Montreal
    assert f'value="{_key(slot)}"' in montreal
    assert re.search(r"05:20</strong>.*?10:20", montreal, re.S)
    chosen = client.post(response.url, {"slot": _key(slot)})
    assert chosen.url.endswith("/appointments/details/")
    details = client.post(
        chosen.url,
        {
            "name": "Karima Test",
            "phone": "+1 514 555 0100",
            "email": "",
            "consent": "on",
            "phone_call_fallback": "on",
        },
    )
    assert details.url.endswith("/appointments/code/")
    wrong = client.post(details.url, {"code": "000000" if CODE != "000000" else "111111"})
    assert "error-summary" in wrong.content.decode()
    done = client.post(details.url, {"code": CODE})
    booking = Booking.objects.get()
    assert done.url.endswith(f"/appointments/booked/{booking.reference}/")
    assert booking.starts_at == slot and booking.time_zone == "America/Montreal"
    assert str(booking.citizen_phone) == "+15145550100"
    booked = client.get(done.url).content.decode()
    assert booking.reference in booked and "05:20" in booked and "10:20" in booked
    ics = client.get(f"/fr/appointments/booked/{booking.reference}/calendar.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    event = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == slot
    confirmation = Notification.objects.get(template_key="appointment.confirmed")
    assert "2027-02-08 05:20 (America/Montreal)" in confirmation.body
    # Another session cannot open the confirmation or the .ics.
    from django.test import Client

    assert Client().get(done.url).status_code == 404


def test_forms_show_errors_linked_to_fields_and_keep_the_input(service, client):
    page = client.post(
        "/fr/appointments/service/family-law/",
        {"subject": "", "case_reference": "PLT-2026-000001-X", "country_of_residence": "FR"},
    ).content.decode()
    assert 'class="error-summary"' in page
    assert 'href="#id_subject"' in page and 'href="#id_case_reference"' in page
    assert 'value="PLT-2026-000001-X"' in page
    assert '<option value="FR" selected>' in page


def test_a_taken_slot_sends_the_citizen_back_with_other_slots(service, client, known_code):
    slot = morocco(FRIDAY_BEFORE_CHANGE, 9)
    client.post(
        "/fr/appointments/service/family-law/",
        {"subject": "Question", "country_of_residence": "FR"},
    )
    client.post("/fr/appointments/service/family-law/slots/", {"slot": _key(slot)})
    client.post(
        "/fr/appointments/details/",
        {"name": "Karima Test", "phone": "+33612345678", "consent": "on"},
    )
    book(service, slot, phone="+33699999999")  # someone else, in between
    back = client.post("/fr/appointments/code/", {"code": CODE})
    assert back.url.endswith("/appointments/service/family-law/slots/")
    page = client.get(back.url).content.decode()
    assert "panel attention" in page  # the proposed slots
    # The phone is verified: choosing another slot books at once, even after going back
    # to change the subject.
    client.post(
        "/fr/appointments/service/family-law/",
        {"subject": "Question précisée", "country_of_residence": "FR"},
    )
    other = morocco(FRIDAY_BEFORE_CHANGE, 9, 40)
    done = client.post(back.url, {"slot": _key(other)})
    assert "/appointments/booked/" in done.url
    booking = Booking.objects.get(citizen_phone="+33612345678", starts_at=other)
    assert booking.subject == "Question précisée" and booking.citizen_name == "Karima Test"


def test_a_slot_taken_while_the_page_was_open_is_said_so(service, client):
    """Two citizens on the same slot page (`make chaos` rushes them): the one who posts
    second is told the slot was just taken, not Django's "not one of the choices"."""
    slot = morocco(FRIDAY_BEFORE_CHANGE, 9)
    client.post(
        "/fr/appointments/service/family-law/",
        {"subject": "Question", "country_of_residence": "FR"},
    )
    assert (
        f'value="{_key(slot)}"'
        in client.get("/fr/appointments/service/family-law/slots/").content.decode()
    )
    book(service, slot, phone="+33699999999")  # someone else, in between
    page = client.post("/fr/appointments/service/family-law/slots/", {"slot": _key(slot)})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Quelqu&#x27;un vient de réserver ce créneau" in text
    assert (
        _key(slot) not in text and f'value="{_key(morocco(FRIDAY_BEFORE_CHANGE, 9, 40))}"' in text
    )


def test_a_closed_service_says_so(reference_data, clock, client):
    from datetime import date

    service_setup(starts_on=date(2027, 6, 15), ends_on=date(2027, 9, 15))
    page = client.get("/en/appointments/service/family-law/").content.decode()
    assert "Booking for this service is closed" in page


def test_the_citizen_moves_then_cancels_behind_a_code(service, client, known_code):
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9), phone="+33612345678")
    assert client.get(f"/fr/appointments/manage/{booking.reference}/").status_code == 404
    unknown = client.post(
        "/fr/appointments/manage/", {"reference": booking.reference, "phone": "+33600000000"}
    )
    assert "error-summary" in unknown.content.decode()
    start = client.post(
        "/fr/appointments/manage/", {"reference": booking.reference, "phone": "+33612345678"}
    )
    assert start.url.endswith("/appointments/manage/code/")
    manage = client.post(start.url, {"code": CODE})
    assert manage.url.endswith(f"/appointments/manage/{booking.reference}/")
    new_slot = morocco(MONDAY_AFTER_CHANGE, 11)
    client.post(manage.url, {"slot": _key(new_slot), "move": "1"})
    booking.refresh_from_db()
    assert booking.starts_at == new_slot and booking.status == "active"
    client.post(manage.url, {"cancel": "1"})
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.closed_by == "citizen"


def test_the_official_sees_the_agenda_and_cancels_with_an_sms(service, clock):
    from django.contrib.auth import get_user_model
    from django.test import Client

    official = get_user_model().objects.get(username="official")
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    later = book(service, morocco(MONDAY_AFTER_CHANGE, 9), phone="+33612345601")
    # The staff session's idle timeout follows the clock: sign in at the new time.
    clock.set(morocco(FRIDAY_BEFORE_CHANGE, 8))
    client = verified_login(Client(), official)
    agenda = client.get("/fr/backoffice/appointments/").content.decode()
    assert booking.reference in agenda and later.reference in agenda
    page = f"/fr/backoffice/appointments/{booking.reference}/"
    assert "Karima Test" in client.get(page).content.decode()
    # Not held before it starts.
    refused = client.post(page, {"outcome": "held"})
    assert "error-summary" in refused.content.decode()
    client.post(page, {"outcome": "cancelled", "notes": "Official unavailable"})
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.closed_by == "official"
    sms = Notification.objects.get(template_key="appointment.cancelled")
    assert booking.reference in sms.body
    clock.set(later.starts_at + timedelta(minutes=5))
    client = verified_login(Client(), official)
    client.post(f"/fr/backoffice/appointments/{later.reference}/", {"outcome": "no_show"})
    later.refresh_from_db()
    assert later.status == "no_show"


def test_other_staff_cannot_open_an_officials_booking(service):
    from django.test import Client

    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    outsider = staff("outsider", "PROS-TPI_RABAT", Role.MAGISTRATE)
    client = verified_login(Client(), outsider)
    assert client.get(f"/fr/backoffice/appointments/{booking.reference}/").status_code == 404
    assert booking.reference not in client.get("/fr/backoffice/appointments/").content.decode()
    head = staff("head", "MRE", Role.UNIT_HEAD)
    head_client = verified_login(Client(), head)
    assert head_client.get(f"/fr/backoffice/appointments/{booking.reference}/").status_code == 200


@override_settings(
    MIZAN_JITSI_DOMAIN="meet.example.ma",
    MIZAN_JITSI_APP_ID="mizan",
    MIZAN_JITSI_SECRET="test-secret-of-at-least-32-bytes-long!",
)
def test_only_the_official_joins_as_moderator_and_only_when_the_room_is_open(service, clock):
    import jwt
    from django.contrib.auth import get_user_model
    from django.test import Client

    official = get_user_model().objects.get(username="official")
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    join = f"/fr/backoffice/appointments/{booking.reference}/join/"
    clock.set(booking.starts_at - timedelta(minutes=30))
    client = verified_login(Client(), official)
    early = client.post(join)
    assert early.url.endswith(f"/backoffice/appointments/{booking.reference}/")
    clock.set(booking.starts_at - timedelta(minutes=5))
    client = verified_login(Client(), official)
    entered = client.post(join)
    assert entered.url.startswith(f"https://meet.example.ma/{booking.room}?jwt=")
    claims = jwt.decode(entered.url.split("jwt=")[1], options={"verify_signature": False})
    assert claims["moderator"] is True and claims["context"]["user"]["name"] == "Official Test"
    # A unit head sees the booking but does not enter as the official.
    head = verified_login(Client(), staff("head", "MRE", Role.UNIT_HEAD))
    assert head.post(join).status_code == 404


def test_slots_show_moroccos_day_when_it_is_not_the_citizens(service, client):
    client.post(
        "/en/appointments/service/family-law/",
        {"subject": "Question", "country_of_residence": "US"},
    )
    page = client.get(
        "/en/appointments/service/family-law/slots/", {"tz": "Pacific/Honolulu"}
    ).content.decode()
    # Friday 5 February, 09:00 in Morocco (08:00 UTC) is Thursday 4, 22:00 in Honolulu.
    assert re.search(r"Thursday 4 February 2027</legend>.*?22:00</strong>", page, re.S)
    assert re.search(r"22:00</strong>.*?Fri 5 Feb, 09:00", page, re.S)


def test_a_unit_head_sees_the_units_capacity(service, clock):
    from django.test import Client

    book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    head = verified_login(Client(), staff("head", "MRE", Role.UNIT_HEAD))
    page = head.get("/en/backoffice/appointments/").content.decode()
    # Two weeks of four slots a weekday (one holiday-free official), one of them booked.
    free = 4 * 10 - 1
    assert re.search(rf"Family law questions</td><td>1</td><td>{free}</td>", page), page[
        page.find("Capacity") :
    ]


def test_the_join_page_says_when_the_time_is_over_even_without_video(service, clock):
    from django.test import Client

    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    page = f"/en/appointments/join/{booking.reference}/{booking.join_key}/"
    clock.set(booking.starts_at - timedelta(hours=2))
    assert "will call you on your phone" in Client().get(page).content.decode()
    clock.set(booking.starts_at + timedelta(hours=2))
    text = Client().get(page).content.decode()
    assert "The time of this appointment is over." in text
    assert "will call you on your phone" not in text


def test_the_subject_page_tells_nothing_about_which_references_exist(service, client, known_code):
    """Anyone can open the subject page: a request reference is checked only once the
    phone is verified, and then against that phone, with one answer for every refusal."""
    from mizan.accounts.models import PhoneChallenge
    from mizan.core.references import format_reference

    from .factories import file_complaint

    someone_else_s = file_complaint(phone="+212698765432").case.reference
    nobody_s = format_reference("PLT", 2026, 999_999)
    for reference in (someone_else_s, nobody_s):
        response = client.post(
            "/fr/appointments/service/family-law/",
            {"subject": "Question", "case_reference": reference, "country_of_residence": "FR"},
        )
        assert response.status_code == 302 and response.url.endswith("/slots/")
        client.post(response.url, {"slot": _key(morocco(FRIDAY_BEFORE_CHANGE, 9))})
        details = client.post(
            "/fr/appointments/details/",
            {"name": "Karima Test", "phone": "+33612345678", "consent": "on"},
        )
        assert details.url.endswith("/appointments/code/")
        refused = client.post(details.url, {"code": CODE}, follow=True)
        page = refused.content.decode()
        assert refused.redirect_chain[-1][0].endswith("/appointments/service/family-law/")
        assert f'value="{reference}"' in page
        assert "Aucune demande déposée avec votre numéro de téléphone" in page
    assert not Booking.objects.exists()
    assert PhoneChallenge.objects.filter(purpose=PhoneChallenge.Purpose.APPOINTMENT).exists()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_citizen_sends_documents_that_only_the_official_opens(
    service, client, known_code, clock
):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from mizan.core.models import AuditEntry

    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9), phone="+33612345678")
    start = client.post(
        "/fr/appointments/manage/", {"reference": booking.reference, "phone": "+33612345678"}
    )
    manage = client.post(start.url, {"code": CODE}).url
    page = client.get(manage).content.decode()
    assert 'enctype="multipart/form-data"' in page
    documents = f"/fr/appointments/manage/{booking.reference}/documents/"
    # Nothing chosen, then a file that is no document: said, and nothing kept.
    empty = client.post(documents, {})
    assert empty.status_code == 400 and 'href="#id_documents"' in empty.content.decode()
    script = SimpleUploadedFile("jugement.pdf", b"#!/bin/sh\nrm -rf /\n")
    refused = client.post(documents, {"documents": [script]})
    assert refused.status_code == 400 and "jugement.pdf" in refused.content.decode()
    assert not booking.documents.exists()
    sent = client.post(
        documents, {"documents": [SimpleUploadedFile("jugement.pdf", PDF, "application/pdf")]}
    )
    assert sent.url == manage
    assert "jugement.pdf" in client.get(manage).content.decode()
    [document] = booking.documents.all()
    # Another session does not reach the upload; the official reads it, audited.
    assert Client().post(documents, {}).status_code == 404
    official = get_user_model().objects.get(username="official")
    staff = verified_login(Client(), official)
    agenda_page = staff.get(f"/fr/backoffice/appointments/{booking.reference}/").content.decode()
    link = f"/fr/backoffice/appointments/{booking.reference}/documents/{document.pk}/"
    assert link in agenda_page
    opened = staff.get(link)
    assert opened.status_code == 200 and b"".join(opened.streaming_content) == PDF
    assert AuditEntry.objects.filter(action="appointment.document_opened").count() == 1
    # Another unit's agent gets nothing.
    outsider = verified_login(Client(), staff_user("outsider", "PROS-TPI_RABAT", Role.AGENT))
    assert outsider.get(link).status_code == 404
    # Once the appointment is over, no more documents.
    from mizan.appointments.services import booking_documents_add
    from mizan.core.errors import DomainError

    clock.set(booking.ends_at + timedelta(minutes=1))
    with pytest.raises(DomainError) as late:
        booking_documents_add(
            booking_id=booking.pk,
            uploaded_files=[SimpleUploadedFile("autre.pdf", PDF, "application/pdf")],
        )
    assert late.value.code == "booking_closed" and booking.documents.count() == 1
