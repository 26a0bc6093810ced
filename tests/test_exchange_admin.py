"""Administrators register commissaires' offices and their members in the admin; every
save is in the audit log, and files can be looked up but not changed there."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from mizan.core.audit import audit_verify
from mizan.core.models import AuditEntry
from mizan.exchange.models import CommissaireOffice, OfficeMember

from .exchange_factories import office, registry_clerk, send_file
from .factories import verified_login


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def administrator(reference_data):
    user = get_user_model().objects.create_superuser("root", "root@example.ma", "x" * 16)
    return verified_login(Client(), user)


def test_an_administrator_registers_an_office_with_a_member(administrator):
    clerk_user = get_user_model().objects.create_user("clerc.new", password="x" * 16)
    response = administrator.post(
        reverse("admin:exchange_commissaireoffice_add"),
        {
            "registration_number": "CDJ-RABAT-9",
            "name": "Étude Rabat 9",
            "address": "1 avenue Mohammed V, Rabat",
            "appeal_court": "CA_RABAT",
            "phone": "+212537000000",
            "email": "",
            "is_active": "on",
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "0",
            "members-MIN_NUM_FORMS": "0",
            "members-MAX_NUM_FORMS": "1000",
            "members-0-user": clerk_user.pk,
            "members-0-role": "clerk",
            "members-0-is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    registered = CommissaireOffice.objects.get(registration_number="CDJ-RABAT-9")
    assert OfficeMember.objects.get(user=clerk_user).office == registered
    actions = set(
        AuditEntry.objects.filter(object_id="CDJ-RABAT-9").values_list("action", flat=True)
    )
    assert actions == {"exchange.office_saved", "exchange.office_member_saved"}
    assert audit_verify().ok


def test_only_a_court_of_appeal_can_be_an_office_area(administrator):
    response = administrator.post(
        reverse("admin:exchange_commissaireoffice_add"),
        {
            "registration_number": "CDJ-X",
            "name": "X",
            "address": "X",
            "appeal_court": "TPI_RABAT",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not CommissaireOffice.objects.exists()


def test_exchange_admin_pages_open_and_files_are_read_only(administrator):
    registered = office("CDJ-CASA-1")
    file = send_file(registry_clerk("greffe.casa"))
    for name, pk in [("commissaireoffice", registered.pk), ("exchangefile", file.pk)]:
        assert administrator.get(reverse(f"admin:exchange_{name}_changelist")).status_code == 200
        assert (
            administrator.get(reverse(f"admin:exchange_{name}_change", args=[pk])).status_code
            == 200
        )
    response = administrator.post(
        reverse("admin:exchange_exchangefile_change", args=[file.pk]), {"status": "completed"}
    )
    assert response.status_code == 403
    file.refresh_from_db()
    assert file.status == "sent"
