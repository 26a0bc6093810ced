"""The exchange with commissaires de justice in a real browser on the staff screen, in
French and in Arabic, once more with JavaScript off: a court registry's clerk sends a
service file with a PDF, the rotation choosing the office, linked to the litigant's
request on Mizan; the office's commissaire acknowledges it, records an attempt, uploads
the report and completes it; the registry sees it completed and downloads the history
PDF; the litigant follows it on their request's tracking page, on a phone. Both staff
sign in with their password and the second factor (StaffDesk), and every page is
checked (axe, screenshot; the citizen's page against the citizen budget).

The office and its commissaire are made through the exchange services, the clerk as
the other journeys make their staff. Pages are followed by URLs, field names and step
values, and statuses by the lists' status filter, never by translated wording."""

import re
from datetime import timedelta

import pytest

from .conftest import ARTIFACTS, PDF, STAFF_PASSWORD, Citizen, StaffDesk

REGISTRY = "REG-TPI_CASA_CIVIL"
PROVINCE = "06.141"
COMMUNE = "06.141.01.0"  # Casablanca: the court of appeal of Casablanca's area
OFFICE_NUMBER = "CDJ-E2E-CASA-001"
CLERK = "greffe.e2e"
COMMISSAIRE = "commissaire.e2e"
EXCHANGE_MENU = "nav.staff-nav a[href$='/backoffice/exchange/']"
REFERENCE = re.compile(r"/exchange/files/(CDJ-\d{4}-\d{6}-[0-9A-Z])/$")


def variant(language: str, js: bool) -> str:
    return f"{language}-{'js' if js else 'nojs'}"


CASES = [("fr", True), ("ar", True), ("fr", False)]
# The litigant's phone, one per variant.
PHONES = {case: f"+21261000007{n}" for n, case in enumerate(CASES, 1)}


@pytest.fixture(scope="module")
def exchange_world(server):
    """The Casablanca civil court registry's clerk, and the one active office of the
    Casablanca court of appeal area (so the rotation picks it) with its commissaire."""
    from mizan.accounts.models import Role, Unit
    from mizan.accounts.services import staff_user_create
    from mizan.exchange.models import OfficeMember
    from mizan.exchange.services import office_member_create, office_register
    from mizan.reference.models import Court

    staff_user_create(
        username=CLERK,
        password=STAFF_PASSWORD,
        full_name="Greffe E2E",
        unit=Unit.objects.get(code=REGISTRY),
        roles=[Role.AGENT],
    )
    office = office_register(
        registration_number=OFFICE_NUMBER,
        name="Étude Maître E2E",
        address="1 boulevard de la Corniche, Casablanca",
        appeal_court=Court.objects.get(pk="CA_CASABLANCA"),
    )
    office_member_create(
        office=office,
        username=COMMISSAIRE,
        password=STAFF_PASSWORD,
        full_name="Commissaire E2E",
        role=OfficeMember.Role.COMMISSAIRE,
    )
    return office


def exchange_file(reference: str):
    from mizan.exchange.models import ExchangeFile

    return ExchangeFile.objects.get(reference=reference)


def visit(desk: StaffDesk, name: str, action) -> None:
    desk.checks.start()
    action()
    desk.page.wait_for_load_state("load")
    desk.checks.check(name)


def listed(desk: StaffDesk, name: str, reference: str, status: str):
    """The list (sent or inbox) filtered by `status` through its filter form: the
    file's row."""
    page = desk.page
    page.select_option("form.filters select[name=status]", status)
    visit(desk, name, lambda: page.click("form.filters button[type=submit]"))
    assert f"status={status}" in page.url, page.url
    row = page.locator("main tbody tr", has=page.locator(f"a[href$='/files/{reference}/']"))
    assert row.count() == 1, page.inner_text("main")[:2000]
    return row


def take_step(desk: StaffDesk, reference: str, step: str, fill=None) -> None:
    """Open the step's box on the file page, fill it, send it: back on the file page
    with the success message."""
    page = desk.page
    box = page.locator(f"details.step:has(input[name=step][value={step}])")
    assert box.count() == 1, f"{step} not offered"
    box.locator("summary").click()
    if fill is not None:
        fill(box)
    visit(desk, f"{step}-done", lambda: box.locator("button[type=submit]").click())
    assert page.url.endswith(f"/exchange/files/{reference}/"), page.url
    assert page.locator("#error-summary").count() == 0, page.inner_text("main")[:2000]
    # The confirmation, said once (base.html shows the messages above every page).
    confirmation = page.locator("main .message-success[role=status]")
    assert confirmation.count() == 1 and confirmation.is_visible()


@pytest.mark.parametrize(
    ("language", "js"), CASES, ids=[variant(language, js) for language, js in CASES]
)
def test_a_service_file_from_the_registry_to_the_commissaire_and_back(
    browser, server, exchange_world, tmp_path, language, js
):
    folder = ARTIFACTS / f"exchange-{variant(language, js)}"
    document = tmp_path / "convocation.pdf"
    document.write_bytes(PDF)
    report = tmp_path / "proces-verbal.pdf"
    report.write_bytes(PDF)
    from mizan.cases.services import case_submit

    litigant = case_submit(
        procedure="question",
        filer_name="Fatima Litigant",
        filer_phone=PHONES[(language, js)],
        language=language,
        commune=None,
        details={
            "institution": "MJ",
            "subject": "Enforcement",
            "facts": "How is my judgment served to the other party?",
        },
    )

    # 1. The registry's clerk sends a service file; the rotation chooses the office.
    registry = StaffDesk(browser, server, folder / "registry", language, js, CLERK)
    page = registry.page
    assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    visit(
        registry,
        "sent",
        lambda: page.click(EXCHANGE_MENU),
    )
    assert page.url.endswith(f"/{language}/backoffice/exchange/sent/"), page.url
    visit(registry, "new-file", lambda: page.click("main a[href$='/exchange/sent/new/']"))
    addressee = "Mohamed Benjelloun" if language == "fr" else "محمد بنجلون"
    page.fill("#id_subject", f"Convocation à l'audience civile ({variant(language, js)})")
    page.fill("#id_addressee_name", addressee)
    page.fill("#id_addressee_address", "15 rue Moulay Youssef")
    page.select_option("#id_province", PROVINCE)
    # No script on this form: the server lists the province's communes.
    visit(registry, "communes-shown", lambda: page.click("button[name=show_communes]"))
    assert page.locator("#error-summary").count() == 0
    assert page.input_value("#id_addressee_name") == addressee  # what was typed is kept
    page.select_option("#id_commune", COMMUNE)
    page.fill("#id_deadline", (_today() + timedelta(days=10)).isoformat())
    assert page.input_value("#id_office") == ""  # the rotation
    # The litigant's request, typed as read out to the clerk.
    page.fill("#id_case_reference", litigant.case.reference.lower())
    page.set_input_files("#id_documents", str(document))
    visit(registry, "file-sent", lambda: page.click("main form button[type=submit]:not([name])"))
    match = REFERENCE.search(page.url)
    assert match, page.url + "\n" + page.inner_text("main")[:2000]
    reference = match.group(1)
    file = exchange_file(reference)
    assert (file.status, file.assignment, file.office_id) == ("sent", "rotation", exchange_world.pk)
    assert file.documents.count() == 1
    assert OFFICE_NUMBER in page.inner_text("main dl.summary")
    assert file.case_id == litigant.case.pk
    assert litigant.case.reference in page.inner_text("main dl.summary")
    assert page.locator("main a[href*='/documents/']").count() == 1
    # The registry cannot take the office's steps; it may withdraw.
    assert page.locator("input[name=step][value=acknowledge]").count() == 0
    assert page.locator("input[name=step][value=withdraw]").count() == 1

    visit(registry, "sent-list", lambda: page.click(EXCHANGE_MENU))
    listed(registry, "sent-list-sent", reference, "sent")

    # 2. The commissaire: the inbox, then the office's steps on the file.
    office = StaffDesk(browser, server, folder / "office", language, js, COMMISSAIRE)
    desk = office.page
    assert desk.url.endswith(f"/{language}/backoffice/exchange/inbox/"), desk.url
    listed(office, "inbox-sent", reference, "sent")
    visit(office, "file", lambda: desk.click(f"main a[href$='/files/{reference}/']"))
    assert desk.locator("input[name=step][value=withdraw]").count() == 0

    take_step(office, reference, "acknowledge")
    assert exchange_file(reference).status == "acknowledged"

    from django.utils import timezone

    attempted = timezone.localtime().replace(second=0, microsecond=0)

    def attempt(box):
        box.locator("[name=record_attempt-attempted_at]").fill(f"{attempted:%Y-%m-%dT%H:%M}")
        box.locator("[name=record_attempt-place]").fill("15 rue Moulay Youssef, Casablanca")
        box.locator("[name=record_attempt-result]").select_option("absent")
        box.locator("[name=record_attempt-note]").fill("Porte close, voisin absent.")

    take_step(office, reference, "record_attempt", attempt)
    file = exchange_file(reference)
    assert file.status == "acknowledged"
    assert list(file.attempts.values_list("result", flat=True)) == ["absent"]

    take_step(
        office,
        reference,
        "upload_report",
        lambda box: box.locator("[name=upload_report-report]").set_input_files(str(report)),
    )
    assert exchange_file(reference).status == "report_uploaded"
    assert desk.locator("main a[href*='/documents/']").count() == 2

    take_step(office, reference, "complete")
    assert exchange_file(reference).status == "completed"
    assert desk.locator("input[name=step]").count() == 0
    # The office knows the litigant follows the file, not which request it is.
    assert litigant.case.reference not in desk.inner_text("main")

    # The office's software gets a key (shown once), which the commissaire then revokes.
    visit(office, "inbox-again", lambda: desk.click(EXCHANGE_MENU))
    visit(office, "keys", lambda: desk.click("main a[href$='/exchange/keys/']"))
    software = f"Logiciel {variant(language, js)}"
    desk.fill("main input[name=name]", software)
    desk.check("main input[name=scopes][value='exchange:read']")
    visit(office, "key-created", lambda: desk.click("main form.form button[type=submit]"))
    secret = desk.locator("main code.secret").inner_text()
    assert re.fullmatch(r"mzp_\w+_[\w-]+", secret), secret
    visit(office, "keys-list", lambda: desk.click("main a[href$='/exchange/keys/']"))
    assert secret not in desk.content()
    revoke = desk.locator("main tbody tr", has_text=software).locator("button")
    visit(office, "key-revoked", lambda: revoke.click())
    from mizan.api.models import PartnerKey

    assert PartnerKey.objects.get(name=software).revoked_at is not None
    office.close()
    from mizan.notifications.models import Notification

    # The completion told the litigant it was served (the attempt, absent, did not).
    served = Notification.objects.filter(case=litigant.case, template_key="exchange.served")
    assert list(served.values_list("recipient", flat=True)) == [PHONES[(language, js)]]

    # 3. The registry sees it completed and downloads the history with its seals.
    visit(registry, "sent-list-again", lambda: page.click(EXCHANGE_MENU))
    listed(registry, "sent-list-completed", reference, "completed")
    visit(registry, "file-completed", lambda: page.click(f"main a[href$='/files/{reference}/']"))
    assert page.locator("input[name=step]").count() == 0
    assert page.locator("main a[href*='/documents/']").count() == 2
    assert page.locator("main ol.timeline li").count() == 5  # sent, ack, attempt, report, done
    history = page.locator(f"main a[href$='/files/{reference}/history.pdf']")
    with page.expect_download() as download_info:
        history.click()
    download = download_info.value
    assert download.suggested_filename == f"{reference}.pdf"
    assert download.path().read_bytes().startswith(b"%PDF")
    response = registry.context.request.get(f"{server}{history.get_attribute('href')}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    registry.close()

    # 4. The litigant follows the file on their request's tracking page.
    citizen = Citizen(browser, server, folder / "litigant", language, js)
    phone = citizen.page
    citizen.visit("track", "track/")
    phone.fill("#id_reference", litigant.case.reference)
    phone.fill("#id_access_code", litigant.access_code)
    citizen.visit("tracking", lambda: phone.click("main form button[type=submit]"))
    assert phone.url.endswith(f"/track/{litigant.case.reference}/"), phone.url
    section = phone.locator(f"main section[aria-labelledby='exchange-{reference}']")
    assert section.count() == 1, phone.inner_text("main")[:2000]
    # Sent, acknowledged, the attempt, the report, completed: in citizen wording only.
    assert section.locator("ol.timeline li").count() == 5
    text = section.inner_text()
    assert "Étude Maître E2E" in text
    for private in (addressee, "Moulay Youssef", "Porte close", "proces-verbal.pdf"):
        assert private not in phone.inner_text("main"), private
    citizen.close()


def _today():
    from django.utils import timezone

    return timezone.localdate()
