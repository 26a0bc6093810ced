"""Every state-changing form refuses a request without the CSRF token."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from mizan.accounts.models import Role

from ..factories import file_complaint, staff, verified_login


@pytest.fixture
def filed(reference_data):
    staff("clerk", "PROS-TPI_CASA_PENAL", Role.AGENT)
    return file_complaint()


@pytest.mark.parametrize(
    "path",
    [
        "/fr/complaint/",
        "/fr/complaint/confirm/sometoken/",
        "/fr/track/",
        "/fr/track/code/",
        "/fr/backoffice/login/",
    ],
)
def test_citizen_and_login_forms_need_the_token(filed, path):
    response = Client(enforce_csrf_checks=True).post(path, {"x": "1"})
    assert response.status_code == 403
    assert "expir" in response.content.decode()  # the friendly CSRF page, translated


def test_staff_actions_need_the_token(filed):
    client = Client(enforce_csrf_checks=True)
    verified_login(client, get_user_model().objects.get(username="clerk"))
    reference = filed.case.reference
    for path in (f"/fr/backoffice/cases/{reference}/step/", "/fr/backoffice/logout/"):
        assert client.post(path, {"step": "register", "registry_number": "1"}).status_code == 403
    filed.case.refresh_from_db()
    assert filed.case.status == "received"


def test_the_citizen_reply_needs_the_token(filed):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/fr/track/{filed.case.reference}/information/", {"message": "x"})
    assert response.status_code == 403


def test_production_cookies_are_secure_httponly_and_samesite():
    """With production values (no override of the cookie settings), as a server starts."""
    from ..test_settings import PRODUCTION, manage

    env = {k: v for k, v in PRODUCTION.items() if k != "MIZAN_SECURE_COOKIES"}
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, "
        "s.CSRF_COOKIE_SAMESITE)",
        env=env,
    )
    assert result.stdout.split() == ["True", "True", "True", "Lax", "Lax"], result.stderr
