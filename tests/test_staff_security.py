"""Staff security: both factors before any staff page, recovery codes, throttled codes,
idle sessions ended, and auditors who read the audit log and nothing else."""

import time

import pytest
from django.test import Client

from mizan.accounts.models import Role
from mizan.accounts.two_factor import (
    recovery_codes_regenerate,
    totp_enrolment_confirm,
    totp_enrolment_start,
)
from mizan.core.models import AuditEntry

from .factories import PASSWORD, file_complaint, staff, totp_now, verified_login


@pytest.fixture
def clerk(reference_data):
    return staff("clerk", "PROS-TPI_CASA_PENAL", Role.AGENT)


def password_only(user) -> Client:
    client = Client()
    response = client.post(
        "/fr/backoffice/login/", {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def test_a_password_alone_opens_no_staff_page(clerk, admin_user):
    filing = file_complaint()
    client = password_only(clerk)
    for path in (
        "/fr/backoffice/",
        f"/fr/backoffice/cases/{filing.case.reference}/",
        f"/fr/backoffice/cases/{filing.case.reference}/messages/",
        "/fr/backoffice/audit/",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/backoffice/login/set-up/" in response["Location"], path
    admin = Client()
    admin.force_login(admin_user)  # a password session, no second factor
    response = admin.get("/admin/", follow=True)
    assert "/backoffice/login/?next=/admin/" in response.redirect_chain[-1][0]


def test_enrolment_then_log_in_with_the_app_or_a_recovery_code_once(clerk):
    totp_enrolment_start(user=clerk)
    codes = totp_enrolment_confirm(user=clerk, code=totp_now(clerk))
    assert len(codes) == 10 and len(set(codes)) == 10

    client = password_only(clerk)
    assert client.get("/fr/backoffice/")["Location"].startswith("/fr/backoffice/login/verify/")
    response = client.post(
        "/fr/backoffice/login/verify/", {"code": codes[0], "next": "/fr/backoffice/"}
    )
    assert response.status_code == 302 and response["Location"] == "/fr/backoffice/"
    assert client.get("/fr/backoffice/").status_code == 200

    # The same recovery code does not open a second session.
    again = password_only(clerk)
    time.sleep(1.1)  # past the throttle of the first failures, if any
    refused = again.post("/fr/backoffice/login/verify/", {"code": codes[0]})
    assert refused.status_code == 200 and "id_code_error" in refused.content.decode()
    assert again.get("/fr/backoffice/").status_code == 302


def test_wrong_codes_are_throttled_and_audited(clerk):
    totp_enrolment_start(user=clerk)
    totp_enrolment_confirm(user=clerk, code=totp_now(clerk))
    client = password_only(clerk)
    client.post("/fr/backoffice/login/verify/", {"code": "000000"})
    # Right away, even the right code waits: each failure doubles the delay.
    response = client.post("/fr/backoffice/login/verify/", {"code": totp_now(clerk)})
    assert response.status_code == 200
    assert client.get("/fr/backoffice/").status_code == 302
    failures = AuditEntry.objects.filter(action="staff.second_factor_failed").count()
    assert failures == 2


def test_new_recovery_codes_replace_the_old_ones(clerk):
    totp_enrolment_start(user=clerk)
    old = totp_enrolment_confirm(user=clerk, code=totp_now(clerk))
    new = recovery_codes_regenerate(user=clerk)
    assert not set(old) & set(new)
    client = password_only(clerk)
    assert client.post("/fr/backoffice/login/verify/", {"code": old[1]}).status_code == 200
    time.sleep(1.1)
    assert client.post("/fr/backoffice/login/verify/", {"code": new[1]}).status_code == 302


def test_an_idle_session_ends(clerk, settings):
    settings.MIZAN_STAFF_IDLE_MINUTES = 0
    client = verified_login(Client(), clerk)
    assert client.get("/fr/backoffice/").status_code == 200
    time.sleep(0.05)
    response = client.get("/fr/backoffice/")
    assert response.status_code == 302 and "/backoffice/login/" in response["Location"]


def test_an_auditor_reads_the_audit_log_and_nothing_else(clerk):
    filing = file_complaint()
    auditor = staff("auditor", "PROS-TPI_CASA_PENAL", Role.AUDITOR)
    client = verified_login(Client(), auditor)
    log = client.get("/fr/backoffice/audit/")
    assert log.status_code == 200 and filing.case.reference in log.content.decode()
    assert client.get("/fr/backoffice/")["Location"] == "/fr/backoffice/audit/"
    assert client.get(f"/fr/backoffice/cases/{filing.case.reference}/").status_code in (302, 404)

    agent = verified_login(Client(), clerk)
    assert agent.get("/fr/backoffice/audit/").status_code == 403
