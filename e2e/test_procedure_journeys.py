"""The procedures beyond the complaint, in a real browser on a phone-sized screen, in
Arabic and in French, with JavaScript on and off: a grievance to the Mediator handed
over to a prosecution office with the citizen's agreement, release on bail with the
deposit receipt, a pardon request, a question published to the public FAQ, and the
citizen space. Staff take their steps in a browser of their own (StaffDesk).

Nothing here reads translated wording: pages are followed by element ids, field names
and URLs, and by the texts the test itself typed."""

from datetime import timedelta

import pytest

from .conftest import ARTIFACTS, PDF, PNG, Citizen, StaffDesk, sms_code_for


def variant(language: str, js: bool) -> str:
    return f"{language}-{'js' if js else 'nojs'}"


def variants(*nojs_languages: str):
    """Arabic and French with JavaScript, and without it in the languages given. The
    journeys with several staff steps run once without JavaScript, to keep the run
    short; the citizen-only ones in both languages."""
    cases = [("ar", True), ("fr", True)] + [(language, False) for language in nojs_languages]
    return pytest.mark.parametrize(
        ("language", "js"), cases, ids=[variant(language, js) for language, js in cases]
    )


def phone_for(journey: int, language: str, js: bool) -> str:
    """A phone of its own per journey and variant (codes are limited per phone)."""
    if language == "ar":
        return f"+2126{journey}{'1' if js else '2'}212345"
    return f"+336{journey}{'1' if js else '2'}123456"


def days_ago(days: int) -> str:
    from django.utils import timezone

    return (timezone.localdate() - timedelta(days=days)).isoformat()


@pytest.fixture(scope="module")
def world(server):
    """The staff of these journeys (created as the complaint journey's are), and the
    reference rows their forms offer."""
    from mizan.accounts.models import Role, Unit
    from mizan.accounts.services import staff_user_create
    from mizan.reference.models import Court, Prison, Region

    from .conftest import STAFF_PASSWORD

    region = Region.objects.order_by("pk").first()
    rabat = Unit.objects.get(code="PROS-TPI_RABAT")
    for username, unit_code, roles in (
        # A Mediator delegation's agent, who may also decide on competence.
        ("mediator", f"MED-{region.pk}", [Role.AGENT, Role.UNIT_HEAD]),
        # The Rabat prosecution office: its agent (who also checks deposits) and judge.
        ("office", rabat.code, [Role.AGENT]),
        ("judge", rabat.code, [Role.MAGISTRATE]),
        # The Ministry of Justice's information desk.
        ("informer", "MJ-INFO", [Role.AGENT]),
    ):
        staff_user_create(
            username=username,
            password=STAFF_PASSWORD,
            full_name=f"{username.title()} E2E",
            unit=Unit.objects.get(code=unit_code),
            roles=roles,
        )
    return {
        "region": str(region.pk),
        "rabat_office": str(rabat.pk),
        "rabat_court": str(Court.objects.get(pk="TPI_RABAT").pk),
        "court": str(
            Court.objects.filter(kind=Court.Kind.FIRST_INSTANCE).order_by("pk").first().pk
        ),
        "prison": str(Prison.objects.order_by("pk").first().pk),
    }


def file_request(
    citizen: Citizen, procedure: str, first_field: str, fill, phone: str, *, correct=None
):
    """From the home page: the procedure's form, sent empty once (errors in a summary
    linked to the fields), filled, the phone confirmed with the SMS code. With
    `correct`, the filled form is sent once with a mistake that `correct` mends. Returns
    the reference and the access code shown on the receipt page."""
    page, language = citizen.page, citizen.language
    citizen.visit("home", "/")
    assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    citizen.visit("form", lambda: page.click(f"main a[href$='/file/{procedure}/']"))
    assert page.url.endswith(f"/{language}/file/{procedure}/"), page.url

    citizen.visit("form-errors", lambda: page.click("#filing-form button[type=submit]"))
    assert page.locator("#error-summary").is_visible()
    assert page.locator(f"#error-summary a[href='#id_{first_field}']").count() == 1
    if citizen.js:  # screen readers start from the summary
        assert page.evaluate("document.activeElement.id") == "error-summary"

    fill(page)
    page.fill("#id_filer_name", "Fatima Requester" if language == "fr" else "فاطمة الطالبة")
    page.fill("#id_phone", phone)
    assert page.input_value("#id_preferred_language") == language
    page.check("#id_consent")
    if correct is not None:
        citizen.visit("form-corrected", lambda: page.click("#filing-form button[type=submit]"))
        assert page.locator("#error-summary").is_visible()
        assert page.input_value("#id_phone") == phone  # what was typed is kept
        correct(page)
    citizen.visit("confirm-phone", lambda: page.click("#filing-form button[type=submit]"))
    assert "/file/code/" in page.url, page.inner_text("main")[:2000]

    page.fill("#id_code", sms_code_for(phone))
    citizen.visit("filed", lambda: page.click("button[name=verify]"))
    assert f"/{language}/filed/" in page.url, page.inner_text("main")[:2000]
    reference, access_code = page.locator(".reference").all_inner_texts()
    return reference, access_code


def track_with_access_code(citizen: Citizen, reference: str, access_code: str) -> None:
    """Follow a request from another phone: the reference (typed in lower case) and
    the access code of the receipt."""
    page = citizen.page
    citizen.visit("track", "track/")
    page.fill("#id_reference", reference.lower())
    page.fill("#id_access_code", access_code)
    citizen.visit("timeline", lambda: page.click("main form button[type=submit]"))
    assert page.url.endswith(f"/track/{reference}/"), page.url


def citizen_step(citizen: Citizen, name: str, step: str) -> None:
    """Send one of the filer's own step forms on the tracking page."""
    page = citizen.page
    citizen.visit(name, lambda: page.click(f"form[action$='/step/{step}/'] button[type=submit]"))


def case_row(reference: str):
    from mizan.cases.models import Case

    return Case.objects.get(reference=reference)


@variants("ar")
def test_grievance_handed_over_with_the_citizens_agreement(
    browser, server, world, tmp_path, language, js
):
    folder = ARTIFACTS / f"grievance-{variant(language, js)}"
    phone = phone_for(1, language, js)
    attachment = tmp_path / "request-to-the-commune.pdf"
    attachment.write_bytes(PDF)

    def fill(page):
        page.fill("#id_administration", "Commune of Rabat, civil status office")
        page.fill("#id_request_made", "A copy of my birth certificate.")
        page.fill("#id_request_date", days_ago(90))
        page.select_option("#id_administration_answer", "none")
        page.fill("#id_facts", "I asked three times since August and nobody answered my requests.")
        page.select_option("#id_region", world["region"])
        page.select_option("#id_relationship", "self")
        page.set_input_files("#id_attachments", str(attachment))

    def declare_not_before_court(page):
        # Forgotten the first time: the page says so, and keeps the PDF attached.
        assert page.locator("#error-summary a[href='#id_not_before_court']").count() == 1
        assert page.locator("ul.kept li").all_inner_texts()[0].startswith(attachment.name)
        page.check("#id_not_before_court")

    citizen = Citizen(browser, server, folder / "citizen", language, js)
    reference, access_code = file_request(
        citizen, "grievance", "administration", fill, phone, correct=declare_not_before_court
    )
    assert reference.startswith("RCL-")
    assert case_row(reference).attachments.count() == 1
    citizen.close()

    handover = "This is a criminal matter for the public prosecutor of Rabat."
    mediator = StaffDesk(
        browser, server, folder / "agent-mediator", language, js, "mediator", audit_forms=True
    )
    mediator.step(
        reference, "propose_handover", competent_unit=world["rabat_office"], message=handover
    )
    mediator.close()

    # The citizen follows it from another phone, reads why and agrees.
    citizen = Citizen(browser, server, folder / "tracking", language, js)
    track_with_access_code(citizen, reference, access_code)
    page = citizen.page
    assert handover in page.inner_text("main")
    assert page.locator("#meaning-title").is_visible()
    assert page.locator("section[aria-labelledby=meaning-title] p").inner_text().strip()
    assert page.locator("form[action$='/step/decline_handover/']").count() == 1
    citizen_step(citizen, "handover-agreed", "accept_handover")
    assert page.url.endswith(f"/track/{reference}/"), page.url
    assert page.locator(".message-success").is_visible()
    assert case_row(reference).status == "handed_over"

    answer = "Please come to the office with your identity card on Monday morning."
    office = StaffDesk(
        browser, server, folder / "agent-office", language, js, "office", audit_forms=True
    )
    office.step(reference, "answer_handover", message=answer)
    office.close()

    citizen.visit("answered", page.reload)
    assert answer in page.inner_text("main")
    citizen.close()


@variants("fr")
def test_bail_granted_and_deposit_receipt(browser, server, world, tmp_path, language, js):
    folder = ARTIFACTS / f"bail-{variant(language, js)}"
    phone = phone_for(2, language, js)
    receipt = tmp_path / "deposit-receipt.png"
    receipt.write_bytes(PNG)

    def fill(page):
        page.fill("#id_detainee_name", "Karim Detained")
        page.select_option("#id_prison", world["prison"])
        page.fill("#id_detention_date", days_ago(30))
        page.select_option("#id_court", world["rabat_court"])
        page.fill("#id_case_number", "2026/2101/88")
        page.fill("#id_guarantee_amount", "15000")
        page.fill("#id_surety", "His brother, shopkeeper")
        page.fill("#id_grounds_text", "He has a fixed address, a job and three children at home.")
        page.select_option("#id_relationship", "sibling")

    citizen = Citizen(browser, server, folder / "citizen", language, js)
    reference, _access_code = file_request(citizen, "bail", "detainee_name", fill, phone)
    assert reference.startswith("LPC-")
    page = citizen.page
    citizen.visit("timeline", lambda: page.click(f"main a.button[href$='/track/{reference}/']"))

    office = StaffDesk(
        browser, server, folder / "agent-office", language, js, "office", audit_forms=True
    )
    office.step(reference, "refer_magistrate")
    judge = StaffDesk(
        browser, server, folder / "agent-judge", language, js, "judge", audit_forms=True
    )
    conditions = "Report weekly to the police station; do not leave Rabat."
    judge.step(reference, "decide_granted", bail_amount="20 000", bail_conditions=conditions)
    judge.close()

    citizen.visit("granted", page.reload)
    main = page.inner_text("main")
    assert "20 000" in main and conditions in main
    # Sent without the receipt: the page says what to attach.
    citizen_step(citizen, "deposit-errors", "submit_deposit")
    assert page.locator("#error-summary a[href='#id_submit_deposit-attachments']").count() == 1
    page.set_input_files("#id_submit_deposit-attachments", str(receipt))
    citizen_step(citizen, "deposit-sent", "submit_deposit")
    assert page.url.endswith(f"/track/{reference}/"), page.url
    assert page.locator(".message-success").is_visible()
    assert case_row(reference).status == "deposit_submitted"

    # The registry checks the receipt and confirms it.
    office.step(reference, "confirm_deposit")
    office.close()
    citizen.visit("deposit-confirmed", page.reload)
    assert case_row(reference).status == "deposit_confirmed"
    citizen.close()


@variants("ar", "fr")
def test_pardon_request_filed_and_tracked(browser, server, world, language, js):
    folder = ARTIFACTS / f"pardon-{variant(language, js)}"
    phone = phone_for(3, language, js)

    def fill(page):
        page.fill("#id_convicted_name", "Said Convicted")
        page.fill("#id_convicted_cin", "bk123456")
        page.fill("#id_convicted_birth_date", "1980-05-02")
        page.select_option("#id_prison", world["prison"])
        page.fill("#id_detention_number", "D-4455")
        page.select_option("#id_judgment_court", world["court"])
        page.fill("#id_judgment_date", days_ago(600))
        page.fill("#id_judgment_case_number", "2023/2103/112")
        page.fill("#id_sentence", "6 years of imprisonment")
        page.check("input[name=grounds][value=health]")
        page.check("input[name=grounds][value=conduct]")
        page.fill("#id_grounds_text", "He is seriously ill and has behaved well for three years.")
        page.select_option("#id_relationship", "child")

    citizen = Citizen(browser, server, folder / "citizen", language, js)
    reference, _access_code = file_request(citizen, "pardon", "convicted_name", fill, phone)
    assert reference.startswith("GRC-")
    page = citizen.page
    citizen.visit("timeline", lambda: page.click(f"main a.button[href$='/track/{reference}/']"))
    assert reference in page.locator("h1").inner_text()
    assert page.locator("ol.timeline li").count() == 1
    # The withdrawal is folded away; opened, its form is checked too.
    page.click("details.withdraw summary")
    assert page.locator("details.withdraw [name=withdraw-confirm]").is_visible()
    citizen.checks.check("withdraw-opened")
    assert case_row(reference).status == "received"
    citizen.close()


@variants("ar", "fr")
def test_question_answered_and_published_to_the_faq(browser, server, world, language, js):
    folder = ARTIFACTS / f"question-{variant(language, js)}"
    phone = phone_for(4, language, js)
    # A word of its own per run, so that the search finds this run's entry.
    marker = f"zebrafile{language}{'js' if js else 'nojs'}"
    question = {
        "fr": f"Comment obtenir une copie certifiée d'un jugement depuis l'étranger ? {marker}",
        "ar": f"كيف أحصل على نسخة مصادق عليها من حكم وأنا في الخارج؟ {marker}",
    }[language]
    answer = "Ask the court's registry by post or through the consulate."

    def fill(page):
        page.select_option("#id_institution", "MJ")
        page.fill("#id_subject", "Certified copy of a judgment")
        page.fill("#id_question", question)

    citizen = Citizen(browser, server, folder / "citizen", language, js)
    reference, _access_code = file_request(citizen, "question", "institution", fill, phone)
    assert reference.startswith("QST-")
    citizen.close()

    informer = StaffDesk(
        browser, server, folder / "agent-informer", language, js, "informer", audit_forms=True
    )
    informer.step(reference, "answer", message=answer)
    # Publish it, as drafted (already anonymised): the question and the answer given.
    page = informer.page
    publish = page.locator("details.step:has(form[action$='/faq/'])")
    publish.locator("summary").click()
    assert page.input_value("#faq-question").strip() == question
    assert page.input_value("#faq-answer").strip() == answer
    assert page.input_value("#faq-language") == language
    informer.checks.check("publish-form")
    informer.checks.start()
    publish.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/cases/{reference}/"), page.url
    informer.checks.check("published")
    informer.close()

    # Anyone, without signing in, finds it with the FAQ's search.
    public = Citizen(browser, server, folder / "public", language, js)
    public.visit("faq", "faq/")
    word = {"fr": "jugement", "ar": "حكم"}[language]
    public.page.fill("#faq-q", f"{word} {marker}")
    public.visit("faq-search", lambda: public.page.click("form[role=search] button[type=submit]"))
    assert "q=" in public.page.url
    found = public.page.locator("main article")
    assert found.count() == 1
    assert found.locator("h2").inner_text().strip() == question
    assert answer in found.inner_text()
    public.close()


@variants("ar", "fr")
def test_citizen_space_lists_the_requests(browser, server, world, language, js):
    """Two requests filed with one phone (one awaiting the citizen), then the space."""
    from django.contrib.auth import get_user_model

    from mizan.cases.services import case_submit, case_transition

    folder = ARTIFACTS / f"space-{variant(language, js)}"
    phone = phone_for(5, language, js)
    question = case_submit(
        procedure="question",
        filer_name="Fatima Requester",
        filer_phone=phone,
        language=language,
        commune=None,
        details={
            "institution": "MJ",
            "subject": "Legal aid",
            "facts": "Who can have a lawyer paid by the State in a family case?",
        },
    ).case
    case_transition(
        case_id=question.pk,
        step_name="request_information",
        actor=get_user_model().objects.get(username="informer"),
        message="Is the case before a court already?",
    )
    bail = case_submit(
        procedure="bail",
        filer_name="Fatima Requester",
        filer_phone=phone,
        language=language,
        commune=None,
        details={
            "detainee": {"name": "Karim Detained", "cin": "", "prison": world["prison"]},
            "court": world["rabat_court"],
            "case_number": "",
            "detention_date": days_ago(10),
            "guarantee_amount": "10000",
            "surety": "",
            "facts": "He has a fixed address and a job.",
            "relationship": "sibling",
        },
    ).case

    citizen = Citizen(browser, server, folder / "citizen", language, js)
    page = citizen.page
    citizen.visit("home", "/")
    citizen.visit("sign-in", lambda: page.click("main a[href$='/space/sign-in/']"))
    citizen.visit("sign-in-errors", lambda: page.click("main form button[type=submit]"))
    assert page.locator("#error-summary a[href='#id_phone']").count() == 1
    page.fill("#id_phone", phone)
    citizen.visit("code", lambda: page.click("main form button[type=submit]"))
    assert page.url.endswith("/space/code/"), page.inner_text("main")[:2000]
    page.fill("#id_code", sms_code_for(phone))
    citizen.visit("space", lambda: page.click("main form button[type=submit]"))
    assert page.url.endswith(f"/{language}/space/"), page.url
    cards = page.locator("ul.cards li.card")
    assert cards.count() == 2
    assert {question.reference, bail.reference} == {
        text.strip() for text in cards.locator("h3").all_inner_texts()
    }
    # What is awaited from the citizen leads to the request, already opened.
    awaited = page.locator(
        f"section[aria-labelledby=awaited-title] a[href$='/track/{question.reference}/']"
    )
    citizen.visit("awaited-request", awaited.click)
    assert page.url.endswith(f"/track/{question.reference}/"), page.url
    assert "Is the case before a court already?" in page.inner_text("main")
    citizen.visit("space-again", "space/")
    citizen.visit("signed-out", lambda: page.click("main form[action$='/space/sign-out/'] button"))
    assert page.url.endswith(f"/{language}/"), page.url
    citizen.close()
