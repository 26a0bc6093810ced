"""Administrators correct reference data in the admin; every page there must open."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from .factories import file_complaint, verified_login


@pytest.fixture
def administrator(reference_data):
    user = get_user_model().objects.create_superuser("root", "root@example.ma", "x" * 16)
    client = Client()
    verified_login(client, user)
    return client


def test_every_admin_list_and_page_opens(administrator):
    file_complaint()
    for model in admin.site._registry:
        meta = model._meta
        listing = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert administrator.get(listing).status_code == 200, listing
        first = model.objects.first()
        if first is not None:
            page = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            assert administrator.get(page).status_code == 200, page


def test_logs_cannot_be_edited_in_the_admin(administrator):
    file_complaint()
    from mizan.core.models import AuditEntry

    entry = AuditEntry.objects.first()
    page = reverse("admin:core_auditentry_change", args=[entry.pk])
    response = administrator.post(page, {"actor_label": "someone else"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.actor_label != "someone else"
