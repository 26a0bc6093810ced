"""The back-office permission matrix: each kind of person × each page and action,
including direct URLs to another unit's case and bulk actions with such a case mixed in.

Expected answers: 200 (allowed), 302→login / →second factor, 403, 404 (a case outside
one's units does not exist for them), 400 (the step is refused for the role, with the
agent's text kept), "audit" (an auditor sent to the audit log). Which role may take which
step is the workflow's business, tested in test_case_transition.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mizan.accounts.models import Role
from mizan.cases.models import Case
from mizan.cases.services import case_submit
from mizan.documents.services import attachment_store
from mizan.reference.models import Commune

from .factories import CASABLANCA, PASSWORD, complaint_details, staff, verified_login

UNIT = "PROS-TPI_CASA_PENAL"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

PEOPLE = ("anonymous", "password_only", "agent", "magistrate", "head", "auditor", "outsider")
# page → expected answer per person, in PEOPLE's order.
MATRIX = {
    "queue": ("login", "factor", 200, 200, 200, "audit", 200),
    "case": ("login", "factor", 200, 200, 200, "audit", 404),
    "messages": ("login", "factor", 200, 200, 200, "audit", 404),
    "attachment": ("login", "factor", 200, 200, 200, "audit", 404),
    "register": ("login", "factor", 302, 302, 302, "audit", 404),
    "audit_log": ("login", "factor", 403, 403, 403, 200, 403),
    # The admin sends everyone without both factors and the staff flag to the log-in.
    "admin": ("login", "login", "login", "login", "login", "login", "login"),
}


@pytest.fixture
def world(reference_data):
    people = {
        "agent": staff("agent", UNIT, Role.AGENT),
        "magistrate": staff("magistrate", UNIT, Role.MAGISTRATE),
        "head": staff("head", UNIT, Role.UNIT_HEAD),
        "auditor": staff("auditor", UNIT, Role.AUDITOR),
        "outsider": staff("outsider", "PROS-TPI_RABAT", Role.AGENT, Role.UNIT_HEAD),
        "password_only": staff("password_only", UNIT, Role.AGENT),
    }
    return people


def new_case_with_document():
    attachment = attachment_store(
        uploaded_file=SimpleUploadedFile("receipt.pdf", PDF, content_type="application/pdf"),
        upload_token="matrix",
    )
    commune = Commune.objects.get(code=CASABLANCA)
    filing = case_submit(
        procedure="complaint",
        filer_name="Matrix Citizen",
        filer_phone="+212616000001",
        language="fr",
        commune=commune,
        details=complaint_details(commune),
        attachment_ids=[attachment.pk],
    )
    return filing.case, attachment


def client_for(person: str, world) -> Client:
    client = Client()
    if person == "anonymous":
        return client
    if person == "password_only":
        client.post("/fr/backoffice/login/", {"username": "password_only", "password": PASSWORD})
        return client
    return verified_login(client, world[person])


def answer(response) -> object:
    if response.status_code == 302:
        location = response["Location"]
        if "/login/set-up/" in location or "/login/verify/" in location:
            return "factor"
        if "/backoffice/login/" in location or "/admin/login/" in location:
            return "login"
        if location.endswith("/backoffice/audit/"):
            return "audit"
        return 302
    return response.status_code


@pytest.mark.parametrize("person", PEOPLE)
def test_permission_matrix(world, person):
    expected = dict(
        zip(MATRIX, (row[PEOPLE.index(person)] for row in MATRIX.values()), strict=True)
    )
    client = client_for(person, world)
    results = {}
    for page in MATRIX:
        # A fresh case for each action, so that one person's step does not change the
        # next page's answer.
        case, attachment = new_case_with_document()
        base = f"/fr/backoffice/cases/{case.reference}/"
        if page == "queue":
            response = client.get("/fr/backoffice/")
        elif page == "case":
            response = client.get(base)
        elif page == "messages":
            response = client.get(base + "messages/")
        elif page == "attachment":
            response = client.get(base + f"attachments/{attachment.pk}/")
        elif page == "register":
            response = client.post(
                base + "step/", {"step": "register", "registry_number": "7", "note": "x"}
            )
        elif page == "audit_log":
            response = client.get("/fr/backoffice/audit/")
        else:
            response = client.get("/admin/")
        results[page] = answer(response)
        if page == "register":
            registered = Case.objects.get(pk=case.pk).status == "registered"
            assert registered == (expected[page] == 302), (person, page)
    assert results == expected


def test_a_bulk_action_never_touches_another_units_case(world):
    mine, _ = new_case_with_document()
    theirs_commune = Commune.objects.get(code="04.421.01.0")  # Rabat
    theirs = case_submit(
        procedure="complaint",
        filer_name="Other Citizen",
        filer_phone="+212616000002",
        language="fr",
        commune=theirs_commune,
        details=complaint_details(theirs_commune),
    ).case
    client = client_for("agent", world)
    response = client.post(
        "/fr/backoffice/bulk/",
        {"cases": [mine.pk, theirs.pk], "action": "assign", "assignee": world["magistrate"].pk},
    )
    failed = {outcome.reference for outcome in response.context["failed"]}
    assert str(theirs.pk) in failed and theirs.reference not in response.content.decode()
    assert Case.objects.get(pk=theirs.pk).assignee is None
