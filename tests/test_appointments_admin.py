"""Administrators set up appointments in the admin: every page opens, saves are audited,
bookings cannot be edited there."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from mizan.appointments.models import Availability, Booking, Campaign
from mizan.core.models import AuditEntry

from .appointment_factories import (
    FRIDAY_BEFORE_CHANGE,
    MONDAY_BEFORE,
    Clock,
    book,
    morocco,
    service_setup,
)
from .factories import verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(reference_data, monkeypatch):
    Clock(monkeypatch, MONDAY_BEFORE)
    user = get_user_model().objects.create_superuser("root", "root@example.ma", "x" * 16)
    return verified_login(Client(), user)


def test_appointment_admin_pages_open_and_saves_are_audited(administrator):
    service = service_setup()
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    campaign = Campaign.objects.get()
    availability = Availability.objects.get()
    for model, obj in (
        ("appointmentservice", service),
        ("campaign", campaign),
        ("availability", availability),
        ("booking", booking),
    ):
        assert administrator.get(f"/admin/appointments/{model}/").status_code == 200
        page = administrator.get(f"/admin/appointments/{model}/{obj.pk}/change/")
        assert page.status_code == 200, model
    response = administrator.post(
        f"/admin/appointments/campaign/{campaign.pk}/change/",
        {
            "name": "Été MRE 2027",
            "starts_on": "2027-01-15",
            "ends_on": "2027-04-30",
            "services": [service.pk],
        },
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.ends_on.isoformat() == "2027-04-30"
    entry = AuditEntry.objects.filter(action="appointment_campaign.saved").get()
    assert entry.actor.username == "root" and "ends_on" in entry.data["changed"]
    refused = administrator.post(
        f"/admin/appointments/booking/{booking.pk}/change/", {"status": "held"}
    )
    assert refused.status_code == 403
    assert Booking.objects.get(pk=booking.pk).status == "active"
