from django.contrib.auth import get_user_model
from django.test import Client

from mizan.cases.services import case_transition

from .factories import file_complaint, register_and_assign, verified_login


def logged_in(username: str) -> Client:
    client = Client()
    verified_login(client, get_user_model().objects.get(username=username))
    return client


def offered_steps(html: str) -> set[str]:
    import re

    return set(re.findall(r'name="step" value="([a-z_]+)"', html))


def test_the_queue_lists_the_unit_cases_only(office):
    mine = file_complaint().case
    other = file_complaint(commune_code="04.421.01.0").case  # Rabat
    page = logged_in("clerk").get("/fr/backoffice/").content.decode()
    assert mine.reference in page and other.reference not in page


def test_the_case_page_offers_exactly_the_allowed_steps(office):
    case = file_complaint().case
    clerk = logged_in("clerk")
    assert offered_steps(clerk.get(f"/fr/backoffice/cases/{case.reference}/").content.decode()) == {
        "register",
        "confirm_destination",
    }
    register_and_assign(case, clerk=office["clerk"], prosecutor=office["prosecutor"])
    # A clerk cannot decide; the prosecutor sees the decisions.
    clerk_steps = offered_steps(
        clerk.get(f"/fr/backoffice/cases/{case.reference}/").content.decode()
    )
    assert clerk_steps == {"assign"}
    prosecutor_steps = offered_steps(
        logged_in("prosecutor").get(f"/fr/backoffice/cases/{case.reference}/").content.decode()
    )
    assert {
        "decide_prosecution",
        "decide_no_action",
        "decide_transfer",
        "request_information",
        "refer_investigation",
    } <= prosecutor_steps


def test_a_stale_page_gets_a_clear_error_and_keeps_what_was_typed(office):
    case = file_complaint().case
    clerk = logged_in("clerk")
    case_transition(
        case_id=case.pk,
        step_name="register",
        actor=office["clerk"],
        inputs={"registry_number": "1"},
    )
    response = clerk.post(
        f"/en/backoffice/cases/{case.reference}/step/",
        {
            "step": "register",
            "expected_status": "received",
            "registry_number": "2",
            "note": "my careful note",
        },
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "changed while you were looking at it" in page
    assert "my careful note" in page
