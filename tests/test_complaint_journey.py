"""The whole complaint journey through real HTTP, in Arabic and in French:
file → confirm the phone by SMS code → reference → agent steps → SMS delivered by the
worker → the citizen tracks each step and answers a request for information."""

import base64
import re

import pytest
from django.utils import translation

from mizan.accounts.models import Role
from mizan.cases.models import Case
from mizan.notifications.models import ConsoleMessage, Notification

from .factories import PASSWORD, staff
from .http_client import Browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ARABIC = re.compile(r"[\u0600-\u06FF]")

WORDING = {
    "ar": {"received": "المحكمة", "filed_title": "تم إيداع طلبك"},
    "fr": {"received": "parquet", "filed_title": "Votre demande a été déposée"},
}


def latest_sms_code(phone: str) -> str:
    message = ConsoleMessage.objects.filter(recipient=phone).order_by("-id").first()
    assert message is not None, "no SMS reached the console gateway"
    return re.search(r"\b(\d{6})\b", message.body).group(1)


@pytest.fixture
def casablanca_office(transactional_db, reference_data):
    unit = "PROS-TPI_CASA_PENAL"
    return {
        "clerk": staff("clerk", unit, Role.AGENT),
        "prosecutor": staff("prosecutor", unit, Role.MAGISTRATE),
        "head": staff("head", unit, Role.UNIT_HEAD),
    }


def agent_browser(live_server, username: str, language: str) -> Browser:
    """Log in with both factors; the first time, enrol the authenticator app from the
    key shown on the page (as a person would type it into the app)."""
    agent = Browser(live_server.url)
    agent.get(f"/{language}/backoffice/login/")
    agent.post(f"/{language}/backoffice/login/", {"username": username, "password": PASSWORD})
    assert agent.path == f"/{language}/backoffice/login/set-up/", agent.text[:500]
    assert "<svg" in agent.text  # the QR code, drawn inline
    secret = re.search(r'class="secret">([A-Z2-7 ]+)<', agent.text).group(1)
    # A wrong code first: the page says so and keeps the same key.
    agent.post(
        agent.path + "?next=",
        {"code": "000000", "csrfmiddlewaretoken": agent.hidden("csrfmiddlewaretoken")},
    )
    assert agent.page.status_code == 200 and secret in agent.text
    agent.post(agent.path, {"code": totp_code(secret)})
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", agent.text)
    assert len(codes) == 10, agent.text[:1000]
    agent.get(f"/{language}/backoffice/")
    assert agent.path == f"/{language}/backoffice/", agent.text[:500]
    return agent


def totp_code(secret: str) -> str:
    from django_otp.oath import totp

    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key):06d}"


def take_step(agent: Browser, language: str, reference: str, step: str, **fields):
    agent.get(f"/{language}/backoffice/cases/{reference}/")
    assert agent.page.status_code == 200
    assert f'name="step" value="{step}"' in agent.page.text, f"{step} not offered"
    agent.post(
        f"/{language}/backoffice/cases/{reference}/step/",
        {"step": step, "expected_status": agent.hidden("expected_status"), **fields},
    )
    assert agent.page.status_code == 200 and agent.path.endswith(f"/cases/{reference}/"), (
        agent.text[:2000]
    )


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_complaint_journey(language, live_server, casablanca_office, run_worker):
    phone = "+212661234567" if language == "ar" else "+33612345678"
    citizen = Browser(live_server.url)
    citizen.get(f"/{language}/complaint/")
    assert citizen.page.status_code == 200
    assert f'lang="{language}"' in citizen.page.text
    assert ('dir="rtl"' if language == "ar" else 'dir="ltr"') in citizen.page.text

    form = {
        "upload_token": citizen.hidden("upload_token"),
        "complainant_kind": "person",
        "complainant_name": "Amina Citizen",
        "id_kind": "cin",
        "id_number": "BE 123456",
        "nationality": "MA",
        "country_of_residence": "MA",
        "phone": phone,
        "email": "",
        "preferred_language": language,
        "accused": "Unknown man, about 30, red jacket",
        "category": "theft",
        "facts": "My phone was stolen at the bus station on Saturday at six in the evening.",
        "facts_date": "2026-11-01",
        "province": "06.141",
        "commune": "06.141.01.0",
        "consent": "on",
    }
    # A first attempt without consent: an error next to the field, nothing lost.
    citizen.post(
        f"/{language}/complaint/",
        {k: v for k, v in form.items() if k != "consent"},
        files={"attachments": ("receipt.pdf", PDF, "application/pdf")},
    )
    assert citizen.page.status_code == 200
    assert 'id="error-summary"' in citizen.page.text
    assert "My phone was stolen at the bus station" in citizen.text
    assert "receipt.pdf" in citizen.text  # the attachment is kept
    form["upload_token"] = citizen.hidden("upload_token")

    citizen.post(f"/{language}/complaint/", form)
    assert "/complaint/confirm/" in citizen.path, citizen.text[:3000]
    run_worker()
    citizen.post(
        citizen.path, {"code": "000000" if latest_sms_code(phone) != "000000" else "111111"}
    )
    assert 'id="error-summary"' in citizen.page.text  # a wrong code is refused
    citizen.post(citizen.path, {"code": latest_sms_code(phone), "verify": "1"})
    assert f"/{language}/filed/" in citizen.path, citizen.text[:3000]
    assert WORDING[language]["filed_title"] in citizen.text
    reference, access_code = citizen.references()
    case = Case.objects.get(reference=reference)
    assert case.unit.code == "PROS-TPI_CASA_PENAL"
    assert case.attachments.count() == 1
    assert case.language == language

    # The "received" SMS goes through the outbox and the worker.
    run_worker()
    received = Notification.objects.get(case=case, template_key="complaint.received")
    assert received.status == Notification.Status.DELIVERED
    assert reference in received.body
    if language == "ar":
        assert ARABIC.search(received.body)

    clerk = agent_browser(live_server, "clerk", language)
    clerk.get(f"/{language}/backoffice/")
    assert reference in clerk.text
    take_step(
        clerk,
        language,
        reference,
        "register",
        registry_number="2026/3101/77",
        note="internal: checked identity",
    )
    head = agent_browser(live_server, "head", language)
    prosecutor_id = casablanca_office["prosecutor"].pk
    take_step(head, language, reference, "assign", assignee=str(prosecutor_id))
    prosecutor = agent_browser(live_server, "prosecutor", language)
    take_step(
        prosecutor,
        language,
        reference,
        "request_information",
        message="Please send the phone's IMEI number.",
    )

    # The citizen follows with reference + access code, from another device.
    phone_browser = Browser(live_server.url)
    phone_browser.get(f"/{language}/track/")
    phone_browser.post(
        f"/{language}/track/", {"reference": reference.lower(), "access_code": access_code}
    )
    assert phone_browser.path == f"/{language}/track/{reference}/", phone_browser.text[:2000]
    assert "Please send the phone's IMEI number." in phone_browser.text
    assert "internal: checked identity" not in phone_browser.text
    assert "2026/3101/77" in phone_browser.text
    phone_browser.post(
        f"/{language}/track/{reference}/information/",
        {"message": "The IMEI is 356938035643809."},
        files={"attachments": ("invoice.pdf", PDF, "application/pdf")},
    )
    assert phone_browser.path == f"/{language}/track/{reference}/"

    take_step(
        prosecutor, language, reference, "decide_prosecution", message="The case is sent to court."
    )
    take_step(clerk, language, reference, "close")

    run_worker()
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_at is not None
    sms = list(Notification.objects.filter(case=case).order_by("id"))
    assert [n.template_key for n in sms] == [
        "complaint.received",
        "complaint.registered",
        "complaint.assigned",
        "complaint.info_requested",
        "complaint.info_provided",
        "complaint.decided_prosecution",
        "complaint.closed",
    ]
    assert {n.status for n in sms} == {Notification.Status.DELIVERED}
    assert {n.language for n in sms} == {language}

    phone_browser.get(f"/{language}/track/{reference}/")
    page = phone_browser.text
    assert f'lang="{language}"' in page, (phone_browser.path, page[:300])
    with translation.override(language):
        for event in case.events.filter(citizen_visible=True).exclude(step="submit"):
            assert str(event.to_status_citizen_label) in page
    assert "The case is sent to court." in page
    assert "internal: checked identity" not in page
