"""The exchange pages through HTTP: the court registry sends, the office works its
inbox, each side sees only its own files, forms keep what was typed."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mizan.exchange.models import ExchangeFile

from .exchange_factories import (
    CASABLANCA,
    PDF,
    RABAT_REGISTRY,
    member,
    office,
    pdf_upload,
    registry_clerk,
    send_file,
)
from .factories import verified_login


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def sides(reference_data):
    casa_office = office("CDJ-CASA-1")
    clerk = registry_clerk("greffe.casa")
    commissaire = member("commissaire.casa", casa_office)
    return {
        "office": casa_office,
        "clerk": clerk,
        "commissaire": commissaire,
        "court": verified_login(Client(), clerk),
        "commissaire_client": verified_login(Client(), commissaire),
    }


def url(name, *args):
    return reverse(f"exchange:{name}", args=args)


def new_file_form(**overrides):
    from mizan.accounts.models import Unit

    data = {
        "court_unit": Unit.objects.get(code="REG-TPI_CASA_CIVIL").pk,
        "kind": "service",
        "subject": "Convocation à l'audience du 3 décembre",
        "addressee_name": "Karim Addressee",
        "addressee_address": "5 avenue Hassan II",
        "province": "06.141",
        "commune": CASABLANCA,
        "deadline": (timezone.localdate() + timedelta(days=10)).isoformat(),
        "judgment_reference": "",
        "parties": "",
        "amount_due": "",
        "office": "",
    }
    data.update(overrides)
    return data


def take(client, file, step, **fields):
    data = {"step": step, "expected_status": ""}
    data.update({f"{step}-{name}": value for name, value in fields.items()})
    return client.post(url("file_step", file.reference), data)


def test_the_whole_exchange_through_the_pages(sides):
    court, commissaire = sides["court"], sides["commissaire_client"]
    assert court.get(url("file_create")).status_code == 200
    response = court.post(
        url("file_create"), {**new_file_form(), "documents": [pdf_upload("convocation.pdf")]}
    )
    assert response.status_code == 302
    file = ExchangeFile.objects.get()
    assert response["Location"] == url("file", file.reference)
    assert file.office == sides["office"]
    listing = court.get(url("sent")).content.decode()
    assert file.reference in listing
    # The office: inbox, acknowledge, attempt, report, complete.
    assert file.reference in commissaire.get(url("inbox")).content.decode()
    page = commissaire.get(url("file", file.reference)).content.decode()
    assert "Karim Addressee" in page and "convocation.pdf" in page
    response = take(commissaire, file, "acknowledge")
    assert response.status_code == 302
    # The confirmation is said once, where every page says it (it was shown twice).
    page = commissaire.get(response["Location"]).content.decode()
    assert page.count('class="message message-success"') == 1
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = take(
        commissaire, file, "record_attempt", attempted_at=now, place="Domicile", result="relative"
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = commissaire.post(
        url("file_step", file.reference),
        {"step": "upload_report", "upload_report-report": pdf_upload("pv.pdf", PDF + b"%pv\n")},
    )
    assert response.status_code == 302
    assert take(commissaire, file, "complete").status_code == 302
    file.refresh_from_db()
    assert file.status == "completed"
    # Both sides download the history, with the seals.
    for client in (court, commissaire):
        response = client.get(url("history_pdf", file.reference))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
    document = file.documents.get(role="report")
    assert court.get(url("document", file.reference, document.pk)).status_code == 200


def test_a_form_with_errors_keeps_what_was_typed_and_the_documents(sides):
    court = sides["court"]
    response = court.post(
        url("file_create"),
        {**new_file_form(subject="", deadline=""), "documents": [pdf_upload("convocation.pdf")]},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'href="#id_subject"' in page
    assert 'value="Karim Addressee"' in page
    assert "convocation.pdf" in page  # kept, not to upload again
    assert not ExchangeFile.objects.exists()
    token = page.split('name="upload_token" value="')[1].split('"')[0]
    response = court.post(url("file_create"), {**new_file_form(), "upload_token": token})
    assert response.status_code == 302
    assert ExchangeFile.objects.get().documents.get().attachment.original_name == (
        "convocation.pdf"
    )


def test_the_communes_of_a_province_are_listed_without_javascript(sides):
    office("CDJ-CASA-0", name="Étude Zéro")  # never assigned, lowest number: next in turn
    response = sides["court"].post(
        url("file_create"),
        {**new_file_form(commune=""), "show_communes": "1"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error-summary"' not in page
    assert f'value="{CASABLANCA}"' in page  # the communes of Casablanca's prefecture
    response = sides["court"].post(url("file_create"), {**new_file_form(), "show_communes": "1"})
    assert "Étude Zéro" in response.content.decode().split('id="id_office"')[0]
    assert not ExchangeFile.objects.exists()


def test_an_office_outside_the_area_is_refused_on_the_form(sides):
    rabat_office = office("CDJ-RABAT-1", "CA_RABAT")
    response = sides["court"].post(
        url("file_create"),
        {**new_file_form(office=rabat_office.pk), "documents": [pdf_upload()]},
    )
    assert response.status_code == 400
    assert 'href="#id_office"' in response.content.decode()
    assert not ExchangeFile.objects.exists()


def test_a_report_that_is_not_a_pdf_is_refused_with_a_clear_message(sides):
    file = send_file(sides["clerk"])
    commissaire = sides["commissaire_client"]
    take(commissaire, file, "acknowledge")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = commissaire.post(
        url("file_step", file.reference),
        {
            "step": "upload_report",
            "upload_report-report": SimpleUploadedFile("pv.png", png, content_type="image/png"),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    # The service's message, in the page's language (Arabic by default), names the file.
    assert "«pv.png» ليس ملفًا بصيغة PDF" in page
    assert 'href="#id_upload_report-report"' in page
    file.refresh_from_db()
    assert file.status == "acknowledged"


def test_each_side_is_offered_exactly_the_steps_it_may_take(sides):
    file = send_file(sides["clerk"])

    def offered(client):
        page = client.get(url("file", file.reference)).content.decode()
        return sorted(part.split('"')[0] for part in page.split('name="step" value="')[1:])

    assert offered(sides["commissaire_client"]) == ["acknowledge"]
    assert offered(sides["court"]) == ["withdraw"]
    take(sides["commissaire_client"], file, "acknowledge")
    assert offered(sides["commissaire_client"]) == ["record_attempt", "upload_report"]


def test_the_court_cannot_take_the_office_steps(sides):
    file = send_file(sides["clerk"])
    response = take(sides["court"], file, "acknowledge")
    assert response.status_code == 400
    # Said, even though the court's page offers no such step.
    assert "لا يمكن القيام بهذه المرحلة إلا لمكتب المفوض القضائي" in response.content.decode()
    file.refresh_from_db()
    assert file.status == "sent"


def test_other_offices_and_courts_get_404(sides):
    file = send_file(sides["clerk"])
    other = verified_login(Client(), member("commissaire.other", office("CDJ-CASA-2")))
    rabat = verified_login(Client(), registry_clerk("greffe.rabat", RABAT_REGISTRY))
    for client in (other, rabat):
        assert client.get(url("file", file.reference)).status_code == 404
        assert client.get(url("history_pdf", file.reference)).status_code == 404
        assert take(client, file, "acknowledge").status_code == 404
        document = file.documents.get()
        assert client.get(url("document", file.reference, document.pk)).status_code == 404
    assert file.reference not in other.get(url("inbox")).content.decode()
    assert file.reference not in rabat.get(url("sent")).content.decode()
    # Each is sent to its own side's list, never to the other side's.
    assert other.get(url("sent")).status_code == 403
    assert rabat.get(url("inbox")).status_code == 403


def test_the_menu_offers_the_exchange_to_its_two_sides_only(sides, office):
    link = f'href="{url("home")}"'
    assert link in sides["court"].get(url("sent")).content.decode()
    assert link in sides["commissaire_client"].get(url("inbox")).content.decode()
    prosecution = verified_login(Client(), office["clerk"])
    assert link not in prosecution.get(reverse("backoffice:queue")).content.decode()


def test_office_members_need_both_factors_and_land_on_their_inbox(sides):
    password_only = Client()
    password_only.force_login(sides["commissaire"])
    response = password_only.get(url("inbox"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = sides["commissaire_client"].get(reverse("backoffice:queue"))
    assert response.status_code == 302 and response["Location"] == url("home")
    assert sides["commissaire_client"].get(url("home"))["Location"] == url("inbox")
    assert sides["court"].get(url("home"))["Location"] == url("sent")


def test_a_commissaire_signs_in_with_password_then_authenticator_like_court_staff(sides):
    from mizan.accounts.two_factor import totp_enrolment_confirm, totp_enrolment_start

    from .factories import PASSWORD, totp_now

    commissaire = member("commissaire.new", sides["office"])
    client = Client()
    response = client.post(
        "/fr/backoffice/login/", {"username": "commissaire.new", "password": PASSWORD}
    )
    assert response.status_code == 302
    # First sign-in: the authenticator is set up before any page opens.
    response = client.get("/fr/backoffice/exchange/inbox/")
    assert "/backoffice/login/set-up/" in response["Location"]
    totp_enrolment_start(user=commissaire)
    recovery_codes = totp_enrolment_confirm(user=commissaire, code=totp_now(commissaire))
    client = Client()
    client.post("/fr/backoffice/login/", {"username": "commissaire.new", "password": PASSWORD})
    response = client.get("/fr/backoffice/exchange/inbox/")
    assert "/backoffice/login/verify/" in response["Location"]
    response = client.post(
        "/fr/backoffice/login/verify/",
        {"code": recovery_codes[0], "next": "/fr/backoffice/exchange/inbox/"},
    )
    assert response["Location"] == "/fr/backoffice/exchange/inbox/"
    assert client.get("/fr/backoffice/exchange/inbox/").status_code == 200
