"""Every procedure beyond the complaint, through real HTTP: pardon, release on bail,
grievance to the Mediator (with its redirection under the same reference, SMS going
on), question; a more-information loop and a withdrawal."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from mizan.accounts.models import Role
from mizan.cases.models import Case
from mizan.notifications.models import Notification
from mizan.procedures.models import CommissionSession
from mizan.reference.models import Court, Prison, Region

from .factories import staff
from .http_client import Browser
from .test_complaint_journey import (
    ARABIC,
    PDF,
    agent_browser,
    latest_sms_code,
    take_step,
)


def file_request(live_server, run_worker, language, procedure, fields, phone, files=None) -> tuple:
    """Fill the procedure's form, confirm the phone with the SMS code; the reference and
    a browser that tracks it."""
    citizen = Browser(live_server.url)
    citizen.get(f"/{language}/file/{procedure}/")
    assert citizen.page.status_code == 200
    assert ('dir="rtl"' if language == "ar" else 'dir="ltr"') in citizen.page.text
    form = {
        "upload_token": citizen.hidden("upload_token"),
        "filer_name": "Fatima Requester",
        "phone": phone,
        "preferred_language": language,
        "consent": "on",
        **fields,
    }
    citizen.post(f"/{language}/file/{procedure}/", form, files=files)
    assert "/file/code/" in citizen.path, citizen.text[:3000]
    run_worker()  # the code's SMS
    citizen.post(citizen.path, {"code": latest_sms_code(phone), "verify": "1"})
    assert f"/{language}/filed/" in citizen.path, citizen.text[:3000]
    reference, _access_code = citizen.references()
    return reference, citizen


def track(citizen: Browser, language: str, reference: str) -> str:
    citizen.get(f"/{language}/track/{reference}/")
    assert citizen.page.status_code == 200
    return citizen.text


def sms_keys(case) -> list[str]:
    return list(
        Notification.objects.filter(case=case, channel="sms")
        .order_by("id")
        .values_list("template_key", flat=True)
    )


def explanation(case, language) -> str:
    with translation.override(language):
        return str(case.state.explanation)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_pardon_journey(language, live_server, reference_data, run_worker):
    staff("pardon.clerk", "MJ-PARDON", Role.AGENT)
    staff("pardon.head", "MJ-PARDON", Role.UNIT_HEAD, Role.MAGISTRATE)
    session = CommissionSession.objects.create(
        date=timezone.localdate() + timedelta(days=40), place="Rabat"
    )
    prison = Prison.objects.order_by("pk").first()
    court = Court.objects.filter(kind=Court.Kind.FIRST_INSTANCE).order_by("pk").first()
    phone = "+212661112233"
    reference, citizen = file_request(
        live_server,
        run_worker,
        language,
        "pardon",
        {
            "convicted_name": "Said Convicted",
            "convicted_cin": "bk123456",
            "convicted_birth_date": "1980-05-02",
            "prison": prison.pk,
            "detention_number": "D-4455",
            "judgment_court": court.pk,
            "judgment_date": "2023-03-01",
            "judgment_case_number": "2023/2103/112",
            "sentence": "6 years of imprisonment",
            "grounds": ["health", "conduct"],
            "grounds_text": "He is seriously ill and has behaved well for three years.",
            "relationship": "child",
        },
        phone,
        files={"attachments": ("certificate.pdf", PDF, "application/pdf")},
    )
    case = Case.objects.get(reference=reference)
    assert reference.startswith("GRC-")
    assert case.unit.code == "MJ-PARDON" and case.attachments.count() == 1
    assert case.details["convicted"]["cin"] == "BK123456"

    clerk = agent_browser(live_server, "pardon.clerk", language)
    head = agent_browser(live_server, "pardon.head", language)
    take_step(clerk, language, reference, "request_information", message="Send the judgment.")
    # The more-information loop: the citizen answers with the document.
    assert "Send the judgment." in track(citizen, language, reference)
    citizen.post(
        f"/{language}/track/{reference}/information/",
        {"message": "Here it is."},
        files={"attachments": ("judgment.pdf", PDF, "application/pdf")},
    )
    assert citizen.path == f"/{language}/track/{reference}/"
    take_step(clerk, language, reference, "declare_admissible")
    take_step(clerk, language, reference, "request_opinions")
    take_step(clerk, language, reference, "record_opinions", note="Both favourable.")
    take_step(clerk, language, reference, "schedule_commission", commission_session=session.pk)
    case.refresh_from_db()
    assert case.details["commission_session"] == session.pk
    assert session.date.isoformat() in track(citizen, language, reference)
    take_step(
        head, language, reference, "decide_granted_partial", message="Sentence reduced by 2 years."
    )
    take_step(clerk, language, reference, "notify_decision")
    take_step(clerk, language, reference, "close")

    run_worker()
    case.refresh_from_db()
    assert case.status == "closed"
    assert sms_keys(case) == [
        "case.received",
        "case.info_requested",
        "case.info_provided",
        "case.update",  # admissible
        "case.update",  # opinions requested
        "case.update",  # opinions received
        "case.update",  # before the commission
        "case.decided",
        "case.update",  # notified
    ]
    sms = Notification.objects.filter(case=case)
    assert {n.status for n in sms} == {Notification.Status.DELIVERED}
    decided = sms.get(template_key="case.decided")
    if language == "ar":
        assert ARABIC.search(decided.body)
    page = track(citizen, language, reference)
    assert "Sentence reduced by 2 years." in page
    assert "Both favourable." not in page  # internal notes never reach the citizen


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_bail_journey(language, live_server, reference_data, run_worker):
    court = Court.objects.get(pk="TPI_RABAT")
    staff("bail.clerk", "PROS-TPI_RABAT", Role.AGENT)
    staff("bail.judge", "PROS-TPI_RABAT", Role.MAGISTRATE)
    phone = "+212662223344"
    reference, citizen = file_request(
        live_server,
        run_worker,
        language,
        "bail",
        {
            "detainee_name": "Karim Detained",
            "prison": Prison.objects.order_by("pk").first().pk,
            "court": court.pk,
            "case_number": "2026/2101/88",
            "detention_date": "2026-10-20",
            "guarantee_amount": "15000",
            "surety": "His brother, shopkeeper",
            "grounds_text": "He has a fixed address, a job and three children at home.",
            "relationship": "sibling",
        },
        phone,
    )
    case = Case.objects.get(reference=reference)
    assert case.unit.code == "PROS-TPI_RABAT" and not case.destination_to_confirm
    clerk = agent_browser(live_server, "bail.clerk", language)
    judge = agent_browser(live_server, "bail.judge", language)
    take_step(clerk, language, reference, "refer_magistrate")
    # A bail amount that is not a number is refused with what to fix, nothing lost.
    judge.get(f"/{language}/backoffice/cases/{reference}/")
    judge.post(
        f"/{language}/backoffice/cases/{reference}/step/",
        {
            "step": "decide_granted",
            "expected_status": "before_magistrate",
            "bail_amount": "a lot",
            "bail_conditions": "Report weekly to the police station.",
        },
    )
    assert judge.page.status_code == 400
    assert "Report weekly to the police station." in judge.text
    take_step(
        judge,
        language,
        reference,
        "decide_granted",
        bail_amount="20 000",
        bail_conditions="Report weekly to the police station; do not leave Rabat.",
    )
    page = track(citizen, language, reference)
    assert "20 000" in page and "do not leave Rabat" in page
    # The deposit receipt is required: sent empty, the page says what to attach.
    citizen.post(f"/{language}/track/{reference}/step/submit_deposit/", {})
    assert citizen.page.status_code == 400 and 'id="error-summary"' in citizen.text
    citizen.post(
        f"/{language}/track/{reference}/step/submit_deposit/",
        {},
        files={"submit_deposit-attachments": ("deposit.png", PNG, "image/png")},
    )
    assert citizen.path == f"/{language}/track/{reference}/", citizen.text[:2000]
    case.refresh_from_db()
    assert case.status == "deposit_submitted"
    assert case.attachments.filter(content_type="image/png").count() == 1
    take_step(clerk, language, reference, "confirm_deposit")
    take_step(judge, language, reference, "order_release")
    take_step(clerk, language, reference, "close")
    run_worker()
    case.refresh_from_db()
    assert case.status == "closed"
    granted = Notification.objects.get(case=case, template_key="bail.granted")
    assert "20 000" in granted.body and granted.status == Notification.Status.DELIVERED


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def grievance_fields(region: Region, **extra) -> dict:
    return {
        "administration": "Commune of Rabat, civil status office",
        "request_made": "A copy of my birth certificate.",
        "request_date": "2026-08-01",
        "administration_answer": "none",
        "facts": "I asked three times since August and nobody answered my requests.",
        "region": region.pk,
        "not_before_court": "on",
        "relationship": "self",
        **extra,
    }


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_grievance_redirected_under_the_same_reference(
    language, live_server, reference_data, run_worker
):
    """Out of the Mediator's competence: redirected to a body on Mizan, handed over with
    the citizen's agreement; the same reference and the same SMS thread go on."""
    region = Region.objects.order_by("pk").first()
    delegation = f"MED-{region.pk}"
    staff("med.agent", delegation, Role.AGENT)
    staff("med.delegate", delegation, Role.UNIT_HEAD)
    staff("rabat.clerk", "PROS-TPI_RABAT", Role.AGENT)
    phone = "+212663334455"
    reference, citizen = file_request(
        live_server, run_worker, language, "grievance", grievance_fields(region), phone
    )
    case = Case.objects.get(reference=reference)
    assert reference.startswith("RCL-") and case.unit.code == delegation

    delegate = agent_browser(live_server, "med.delegate", language)
    rabat = case.unit.__class__.objects.get(code="PROS-TPI_RABAT")
    take_step(
        delegate,
        language,
        reference,
        "propose_handover",
        competent_unit=rabat.pk,
        message="This is a criminal matter for the prosecutor.",
    )
    page = track(citizen, language, reference)
    assert "This is a criminal matter for the prosecutor." in page
    case.refresh_from_db()
    assert explanation(case, language) in page.replace("&#x27;", "'")
    citizen.post(f"/{language}/track/{reference}/step/accept_handover/", {})
    assert citizen.path == f"/{language}/track/{reference}/", citizen.text[:2000]
    case.refresh_from_db()
    assert case.unit == rabat and case.status == "handed_over"
    assert case.reference == reference

    # The competent office now sees and works the file; the Mediator no longer can.
    rabat_clerk = agent_browser(live_server, "rabat.clerk", language)
    rabat_clerk.get(f"/{language}/backoffice/")
    assert reference in rabat_clerk.text
    delegate.get(f"/{language}/backoffice/cases/{reference}/")
    assert delegate.page.status_code == 404
    take_step(
        rabat_clerk,
        language,
        reference,
        "answer_handover",
        message="Please come to the office with your ID on Monday.",
    )
    take_step(rabat_clerk, language, reference, "close")
    run_worker()
    assert sms_keys(case) == [
        "case.received",
        "grievance.handover_proposed",
        "case.update",  # handed over
        "case.update",  # answered by the competent body
    ]
    assert set(Notification.objects.filter(case=case).values_list("recipient", flat=True)) == {
        phone
    }
    assert "Please come to the office with your ID on Monday." in track(
        citizen, language, reference
    )


def test_grievance_redirected_outside_and_a_withdrawal(live_server, reference_data, run_worker):
    language = "fr"
    region = Region.objects.order_by("pk").first()
    staff("med.head", f"MED-{region.pk}", Role.UNIT_HEAD)
    reference, citizen = file_request(
        live_server,
        run_worker,
        language,
        "grievance",
        grievance_fields(
            region,
            relationship="lawyer",
            concerned_name="Hassan Client",
            concerned_phone="0664445566",
        ),
        "+212665556677",
    )
    case = Case.objects.get(reference=reference)
    head = agent_browser(live_server, "med.head", language)
    take_step(
        head,
        language,
        reference,
        "redirect_outside",
        competent_body="National Social Security Fund (CNSS), Rabat",
        message="Pensions are for the CNSS's own mediator.",
    )
    page = track(citizen, language, reference)
    assert "National Social Security Fund (CNSS), Rabat" in page
    take_step(head, language, reference, "close")
    run_worker()
    # The person the lawyer acts for is told too.
    recipients = set(Notification.objects.filter(case=case).values_list("recipient", flat=True))
    assert recipients == {"+212665556677", "+212664445566"}

    # A second grievance, withdrawn by the citizen before any decision.
    reference, citizen = file_request(
        live_server, run_worker, language, "grievance", grievance_fields(region), "+212665556677"
    )
    page = track(citizen, language, reference)
    assert "withdraw/" in page
    citizen.post(f"/{language}/track/{reference}/step/withdraw/", {})
    assert citizen.page.status_code == 400  # the confirmation box was not ticked
    citizen.post(
        f"/{language}/track/{reference}/step/withdraw/",
        {"withdraw-confirm": "on", "withdraw-message": "Solved with the commune."},
    )
    assert citizen.path == f"/{language}/track/{reference}/", citizen.text[:2000]
    withdrawn = Case.objects.get(reference=reference)
    assert withdrawn.status == "withdrawn" and withdrawn.closed_at is not None
    run_worker()
    assert sms_keys(withdrawn) == ["case.received", "case.withdrawn"]
    # Nothing more can be done on it, by the citizen or by staff.
    citizen.post(f"/{language}/track/{reference}/step/withdraw/", {"withdraw-confirm": "on"})
    assert citizen.path == f"/{language}/track/{reference}/"
    head.get(f"/{language}/backoffice/cases/{reference}/")
    assert 'name="step"' not in head.text


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_question_journey(language, live_server, reference_data, run_worker):
    staff("info.agent", "MJ-INFO", Role.AGENT)
    staff("cspj.agent", "CSPJ", Role.AGENT)
    reference, citizen = file_request(
        live_server,
        run_worker,
        language,
        "question",
        {
            "institution": "MJ",
            "subject": "Certified copy of a judgment",
            "question": "How do I get a certified copy of a judgment from abroad?",
        },
        "+33611223344",
    )
    case = Case.objects.get(reference=reference)
    assert reference.startswith("QST-") and case.unit.code == "MJ-INFO"
    agent = agent_browser(live_server, "info.agent", language)
    take_step(
        agent,
        language,
        reference,
        "answer",
        message="Ask the court's registry by post or through the consulate.",
    )
    run_worker()
    answered = Notification.objects.get(case=case, template_key="question.answered")
    assert answered.status == Notification.Status.DELIVERED
    assert "Ask the court's registry by post" in track(citizen, language, reference).replace(
        "&#x27;", "'"
    )
