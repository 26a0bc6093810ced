"""Only the right eyes: citizens see their own request, agents their unit's cases."""

import pytest
from django.test import Client

from mizan.accounts.models import Role
from mizan.core.models import AuditEntry

from .factories import file_complaint, staff, verified_login


@pytest.fixture
def two_complaints(reference_data):
    return file_complaint(phone="+212600000001"), file_complaint(phone="+212600000002")


def test_a_citizen_cannot_open_another_case_by_changing_the_reference(two_complaints):
    mine, theirs = two_complaints
    client = Client()
    response = client.post(
        "/en/track/", {"reference": mine.case.reference, "access_code": mine.access_code}
    )
    assert response.status_code == 302
    assert client.get(f"/en/track/{mine.case.reference}/").status_code == 200
    # Their reference with my access code: refused, and their page redirects to the form.
    response = client.post(
        "/en/track/", {"reference": theirs.case.reference, "access_code": mine.access_code}
    )
    assert response.status_code == 200 and "No request matches" in response.content.decode()
    response = client.get(f"/en/track/{theirs.case.reference}/")
    assert response.status_code == 302 and "/en/track/?reference=" in response["Location"]


def test_a_mistyped_reference_is_explained(two_complaints):
    mine, _ = two_complaints
    reference = mine.case.reference
    typo = reference[:-1] + ("A" if reference[-1] != "A" else "B")
    response = Client().post("/en/track/", {"reference": typo, "access_code": "x"})
    assert "check each character" in response.content.decode()


def test_an_agent_cannot_open_a_case_of_another_unit(two_complaints):
    mine, _ = two_complaints
    client = Client()
    verified_login(client, staff("rabat", "PROS-TPI_RABAT", Role.AGENT))
    response = client.get(f"/fr/backoffice/cases/{mine.case.reference}/")
    assert response.status_code == 404
    denied = AuditEntry.objects.filter(action="case.access_denied").last()
    assert denied.object_id == mine.case.reference and denied.actor.username == "rabat"
    response = client.post(
        f"/fr/backoffice/cases/{mine.case.reference}/step/",
        {"step": "register", "registry_number": "1"},
    )
    assert response.status_code == 404
    mine.case.refresh_from_db()
    assert mine.case.status == "received"


def test_an_agent_opening_a_case_is_audited(two_complaints):
    mine, _ = two_complaints
    client = Client()
    verified_login(client, staff("casa", "PROS-TPI_CASA_PENAL", Role.AGENT))
    assert client.get(f"/fr/backoffice/cases/{mine.case.reference}/").status_code == 200
    assert AuditEntry.objects.filter(action="case.viewed", object_id=mine.case.reference).exists()


def test_the_backoffice_needs_a_login():
    response = Client().get("/fr/backoffice/")
    assert response.status_code == 302 and "/backoffice/login/" in response["Location"]
