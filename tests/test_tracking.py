"""Tracking with a one-time code sent to the filing phone, and without giving away
which references exist."""

import re

from django.test import Client

from mizan.notifications.models import ConsoleMessage

from .factories import file_complaint


def last_code(phone: str) -> str:
    body = ConsoleMessage.objects.filter(recipient=phone).latest("id").body
    return re.search(r"\d{6}", body).group(0)


def test_the_filing_phone_receives_a_code_that_opens_the_case(reference_data, run_worker):
    filing = file_complaint(phone="+212611111111", language="fr")
    client = Client()
    response = client.post("/fr/track/", {"reference": filing.case.reference})
    assert response.status_code == 302 and response["Location"].endswith("/fr/track/code/")
    run_worker()
    before = client.session.session_key
    response = client.post("/fr/track/code/", {"code": last_code("+212611111111")})
    assert response["Location"] == f"/fr/track/{filing.case.reference}/"
    page = client.get(response["Location"])
    assert page.status_code == 200 and filing.case.reference in page.content.decode()
    # The case is opened to a new session key: one learnt before the code opens nothing.
    assert client.session.session_key != before
    stolen = Client()
    stolen.cookies["sessionid"] = before
    assert stolen.get(response["Location"]).status_code == 302


def test_an_unknown_reference_gets_the_same_answer_and_no_sms(reference_data, run_worker):
    from mizan.core.references import format_reference

    unused = format_reference("PLT", 2026, 999_999)
    client = Client()
    response = client.post("/fr/track/", {"reference": unused})
    assert response.status_code == 302 and response["Location"].endswith("/fr/track/code/")
    page = client.get("/fr/track/code/").content.decode()
    assert unused in page
    run_worker()
    assert not ConsoleMessage.objects.exists()
    response = client.post("/fr/track/code/", {"code": "123456"})
    assert response.status_code == 200 and 'id="error-summary"' in response.content.decode()


def test_tracking_failures_are_limited_per_address(reference_data, settings):
    settings.MIZAN_TRACK_MAX_FAILURES_PER_IP_PER_HOUR = 3
    filing = file_complaint()
    client = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(3):
        client.post("/en/track/", {"reference": filing.case.reference, "access_code": "WRONG"})
    response = client.post(
        "/en/track/", {"reference": filing.case.reference, "access_code": filing.access_code}
    )
    assert "Too many unsuccessful attempts" in response.content.decode()
