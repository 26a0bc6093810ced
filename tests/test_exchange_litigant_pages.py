"""Litigant tracking through the pages (#7): the citizen's tracking page shows the
progress of the exchange files attached to their request, in citizen wording, and
never the addressee's details, notes, reasons or documents; the court registry links
and unlinks a file from its pages."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mizan.core.references import format_reference
from mizan.exchange.models import ExchangeAttempt, ExchangeFile
from mizan.exchange.services import (
    exchange_document_store,
    exchange_file_case_unlink,
    exchange_file_transition,
)

from .exchange_factories import member, office, pdf_upload, registry_clerk, send_file
from .factories import file_complaint, verified_login
from .test_exchange_pages import new_file_form

PLACE = "5 avenue Hassan II, Casablanca"
NOTE = "Neighbour says he moved to Tangier"
REASON = "Addressee emigrated to Spain"


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def sides(reference_data):
    casa_office = office("CDJ-CASA-1", name="Étude Lahlou", phone="0522 11 22 33")
    clerk = registry_clerk("greffe.casa")
    commissaire = member("commissaire.casa", casa_office)
    return {
        "office": casa_office,
        "clerk": clerk,
        "commissaire": commissaire,
        "court": verified_login(Client(), clerk),
        "commissaire_client": verified_login(Client(), commissaire),
    }


def step(file, name, actor, **kwargs):
    return exchange_file_transition(file_id=file.pk, step_name=name, actor=actor, **kwargs)


def attempt(file, actor, result):
    details = {"attempted_at": timezone.now(), "place": PLACE, "result": result, "note": NOTE}
    return step(file, "record_attempt", actor, attempt=details)


def report(file, actor):
    pdf = exchange_document_store(uploaded_file=pdf_upload("pv.pdf"), actor=actor, pdf_only=True)
    return step(file, "upload_report", actor, report=pdf)


def open_tracking(client, filing, language="en") -> str:
    response = client.post(
        f"/{language}/track/",
        {"reference": filing.case.reference, "access_code": filing.access_code},
    )
    assert response.status_code == 302
    return tracking(client, filing, language)


def tracking(client, filing, language="en") -> str:
    response = client.get(f"/{language}/track/{filing.case.reference}/")
    assert response.status_code == 200
    return response.content.decode()


def assert_nothing_private(page: str) -> None:
    for private in (
        "Karim Addressee",  # the addressee, usually the other party
        "Hassan II",  # their address, and the place of the attempts
        "Tangier",  # the commissaire's note
        "Spain",  # the reason of the failure
        "Convocation",  # the registry's own description of the file
        "Société A",  # the parties as the registry typed them
        "judgment.pdf",  # the documents
        "pv.pdf",
        "/backoffice/exchange/",
    ):
        assert private not in page, private


def test_the_citizen_follows_a_service_file_without_the_addressees_details(sides):
    filing = file_complaint()
    file = send_file(sides["clerk"], case_reference=filing.case.reference)
    client = Client()
    page = open_tracking(client, filing)
    assert "Service and enforcement by a commissaire de justice" in page
    assert file.reference in page and "Sent to the commissaire de justice" in page
    # The office and how to reach it.
    assert "Étude Lahlou" in page and 'href="tel:0522112233"' in page

    commissaire = sides["commissaire"]
    step(file, "acknowledge", commissaire)
    attempt(file, commissaire, ExchangeAttempt.Result.ABSENT)
    attempt(file, commissaire, ExchangeAttempt.Result.IN_PERSON)
    page = tracking(client, filing)
    assert "Being served by the commissaire de justice" in page
    assert "Acknowledged by the office" in page
    assert "Not served: nobody at the address" in page
    assert "Served: handed to the person" in page
    assert timezone.localdate().isoformat() in page  # the day of each attempt
    assert_nothing_private(page)

    report(file, commissaire)
    step(file, "fail", commissaire, reason=REASON)
    page = tracking(client, filing)
    assert "<strong>Not served</strong>" in page
    assert "Closed: the document could not be served" in page
    assert "Report (procès-verbal) filed by the office" in page
    assert_nothing_private(page)


def test_the_citizen_sees_the_amount_recovered_so_far_on_an_enforcement_file(sides):
    filing = file_complaint()
    file = send_file(
        sides["clerk"], kind=ExchangeFile.Kind.ENFORCEMENT, case_reference=filing.case.reference
    )
    commissaire = sides["commissaire"]
    step(file, "acknowledge", commissaire)
    attempt(file, commissaire, ExchangeAttempt.Result.IN_PERSON)
    for amount in ("2500", "1000.50"):
        recovery = {"amount": amount, "recovered_on": timezone.localdate(), "note": NOTE}
        step(file, "record_recovery", commissaire, recovery=recovery)
    page = open_tracking(Client(), filing)
    assert "Being enforced by the commissaire de justice" in page
    assert "Attempt: the person was met" in page
    assert "123/1201/2026" in page  # the judgment to enforce
    assert '<dd dir="ltr">10000.00</dd>' in page  # due
    assert '<dd dir="ltr">3500.50</dd>' in page  # recovered so far
    assert '<span dir="ltr">1000.50</span>' in page
    assert_nothing_private(page)

    report(file, commissaire)
    step(file, "complete", commissaire)
    page = open_tracking(Client(), filing)
    assert "<strong>Enforcement completed</strong>" in page


def test_another_citizens_tracking_page_never_shows_the_file(sides):
    linked = file_complaint(phone="+212611111111")
    other = file_complaint(phone="+212622222222")
    file = send_file(sides["clerk"], case_reference=linked.case.reference)
    client = Client()  # one browser session following both requests
    assert file.reference in open_tracking(client, linked)
    other_page = open_tracking(client, other)
    assert file.reference not in other_page
    assert "commissaire de justice" not in other_page
    # Unlinked, the file leaves the litigant's page too.
    exchange_file_case_unlink(file_id=file.pk, actor=sides["clerk"])
    assert file.reference not in tracking(client, linked)


def test_the_arabic_page_is_right_to_left_and_in_arabic(sides):
    filing = file_complaint(language="ar")
    file = send_file(sides["clerk"], case_reference=filing.case.reference)
    page = open_tracking(Client(), filing, language="ar")
    assert 'dir="rtl"' in page
    assert "التبليغ والتنفيذ بواسطة مفوض قضائي" in page
    assert "أُرسل إلى المفوض القضائي" in page and "أجل التبليغ" in page
    assert f'<span dir="ltr">{file.reference}</span>' in page
    assert "<bdi>Étude Lahlou</bdi>" in page  # a Latin name keeps its order


# --- the court registry's pages ---------------------------------------------------------


def url(name, *args):
    return reverse(f"exchange:{name}", args=args)


def test_the_registry_gives_the_litigants_reference_on_the_new_file_form(sides):
    filing = file_complaint()
    court = sides["court"]
    response = court.post(
        url("file_create"),
        {**new_file_form(case_reference="PLT-2026-000001-X"), "documents": [pdf_upload()]},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#id_case_reference"' in page and 'value="PLT-2026-000001-X"' in page
    assert not ExchangeFile.objects.exists()
    token = page.split('name="upload_token" value="')[1].split('"')[0]
    response = court.post(
        url("file_create"),
        {**new_file_form(case_reference=filing.case.reference), "upload_token": token},
    )
    assert response.status_code == 302
    assert ExchangeFile.objects.get().case == filing.case


def test_the_registry_links_and_unlinks_from_the_file_page_and_the_office_cannot(sides):
    filing = file_complaint()
    file = send_file(sides["clerk"])
    court, commissaire = sides["court"], sides["commissaire_client"]
    link = url("file_case_link", file.reference)
    page = url("file", file.reference)
    assert 'name="link-case_reference"' in court.get(page).content.decode()
    assert "link-case_reference" not in commissaire.get(page).content.decode()

    unknown = format_reference("PLT", 2026, 999_999)
    response = court.post(link, {"action": "link", "link-case_reference": unknown})
    assert response.status_code == 400
    assert 'href="#id_link-case_reference"' in response.content.decode()
    response = court.post(link, {"action": "link", "link-case_reference": filing.case.reference})
    assert response.status_code == 302
    file.refresh_from_db()
    assert file.case == filing.case
    court_page = court.get(url("file", file.reference)).content.decode()
    assert filing.case.reference in court_page and 'value="unlink"' in court_page
    # The office knows the litigant follows the file, not which request it is.
    office_page = commissaire.get(url("file", file.reference)).content.decode()
    assert filing.case.reference not in office_page and 'value="unlink"' not in office_page

    assert commissaire.post(link, {"action": "unlink"}).status_code == 302
    file.refresh_from_db()
    assert file.case == filing.case
    assert court.post(link, {"action": "unlink"}).status_code == 302
    file.refresh_from_db()
    assert file.case is None
    # Someone outside both sides gets "not found".
    stranger = verified_login(Client(), registry_clerk("greffe.rabat", "REG-TPI_RABAT"))
    assert stranger.post(link, {"action": "unlink"}).status_code == 404
