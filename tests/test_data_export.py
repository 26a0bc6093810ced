"""A citizen downloads everything held about their request (law 09-08, right of
access), as JSON and PDF, from the tracking page; staff's internal notes stay out."""

import json

from django.test import Client

from mizan.accounts.models import Role
from mizan.cases.services import case_transition
from mizan.core.models import AuditEntry

from .factories import file_complaint, staff

UNIT = "PROS-TPI_CASA_PENAL"


def tracking_client(filing, language="en") -> Client:
    client = Client()
    client.post(
        f"/{language}/track/",
        {"reference": filing.case.reference, "access_code": filing.access_code},
    )
    return client


def test_the_filer_downloads_all_their_data_without_internal_notes(reference_data):
    filing = file_complaint(name="Amina Export", email="amina@example.ma")
    clerk = staff("clerk", UNIT, Role.AGENT)
    case_transition(
        case_id=filing.case.pk,
        step_name="register",
        actor=clerk,
        inputs={"registry_number": "77"},
        message="Your complaint is registered.",
        note="Internal: check the previous file of this person.",
    )
    client = tracking_client(filing)
    page = client.get(f"/en/track/{filing.case.reference}/").content.decode()
    assert f"/en/track/{filing.case.reference}/data.json" in page

    response = client.get(f"/en/track/{filing.case.reference}/data.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["request"]["reference"] == filing.case.reference
    assert data["filer"] == {
        "name": "Amina Export",
        "phone": str(filing.case.filer_phone),
        "email": "amina@example.ma",
    }
    assert data["filing"] == filing.case.details
    assert [event["status"] for event in data["timeline"]][-1] == "registered"
    assert "Your complaint is registered." in [event["message"] for event in data["timeline"]]
    assert {message["channel"] for message in data["messages"]} == {"sms", "email"}
    assert "previous file" not in response.content.decode()
    assert AuditEntry.objects.filter(
        action="case.data_export", object_id=filing.case.reference, data__format="json"
    ).exists()


def test_the_pdf_is_written_in_the_citizens_language(reference_data):
    filing = file_complaint(language="ar")
    client = tracking_client(filing, "ar")
    response = client.get(f"/ar/track/{filing.case.reference}/data.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_nobody_else_gets_the_data(reference_data):
    filing = file_complaint()
    anonymous = Client().get(f"/en/track/{filing.case.reference}/data.json")
    assert anonymous.status_code == 302 and "/en/track/?reference=" in anonymous["Location"]
    assert (
        tracking_client(filing).get(f"/en/track/{filing.case.reference}/data.xml").status_code
        == 404
    )
    assert not AuditEntry.objects.filter(action="case.data_export").exists()
