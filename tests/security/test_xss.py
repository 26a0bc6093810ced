"""Markup typed by a citizen or an agent is shown as text, never run."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from mizan.accounts.models import Role
from mizan.cases.services import case_submit, case_transition
from mizan.reference.models import Commune

from ..factories import complaint_details, register_and_assign, staff, verified_login

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def hostile_case(reference_data):
    commune = Commune.objects.get(code="06.141.01.0")
    filing = case_submit(
        procedure="complaint",
        filer_name=SCRIPT,
        filer_phone="+212612345678",
        language="fr",
        commune=commune,
        details=complaint_details(
            commune, facts=SCRIPT * 2, accused=[SCRIPT], accused_unknown=False, id_number=SCRIPT
        ),
    )
    clerk = staff("clerk", "PROS-TPI_CASA_PENAL", Role.AGENT)
    prosecutor = staff("prosecutor", "PROS-TPI_CASA_PENAL", Role.MAGISTRATE)
    register_and_assign(filing.case, clerk=clerk, prosecutor=prosecutor)
    case_transition(
        case_id=filing.case.pk,
        step_name="request_information",
        actor=prosecutor,
        message=SCRIPT,
        note=SCRIPT,
    )
    return filing


def assert_inert(html: str) -> None:
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html


def test_the_agent_sees_markup_as_text(hostile_case):
    client = Client()
    verified_login(client, get_user_model().objects.get(username="clerk"))
    html = client.get(f"/fr/backoffice/cases/{hostile_case.case.reference}/").content.decode()
    assert_inert(html)


def test_the_citizen_sees_markup_as_text(hostile_case):
    client = Client()
    client.post(
        "/fr/track/",
        {"reference": hostile_case.case.reference, "access_code": hostile_case.access_code},
    )
    html = client.get(f"/fr/track/{hostile_case.case.reference}/").content.decode()
    assert_inert(html)


def test_every_page_carries_a_strict_content_security_policy(db):
    response = Client().get("/fr/complaint/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "'nonce-" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()
