import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mizan.core.audit import audit_record, audit_verify
from mizan.core.models import AuditEntry


@pytest.fixture
def chain(db):
    for number in range(5):
        audit_record(
            action="case.viewed",
            object_type="case",
            object_id=f"PLT-{number}",
            actor_label="tester",
            data={"n": number, "text": "شكاية"},
        )


def test_an_untouched_chain_verifies(chain):
    result = audit_verify()
    assert result.ok and result.checked == 5
    call_command("verify_audit")


def test_an_edited_entry_breaks_the_chain(chain):
    entry = AuditEntry.objects.order_by("id")[2]
    AuditEntry.objects.filter(pk=entry.pk).update(actor_label="someone else")
    result = audit_verify()
    assert not result.ok and result.broken_at == entry.pk
    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit")


def test_a_deleted_entry_breaks_the_chain(chain):
    AuditEntry.objects.order_by("id")[1].delete()
    assert not audit_verify().ok


def test_removing_the_newest_entries_is_detected(chain):
    AuditEntry.objects.order_by("-id")[0].delete()
    assert not audit_verify().ok


def test_a_citizen_is_in_the_log_by_a_pseudonym_the_admin_finds_by_phone(reference_data):
    """The chained log cannot be anonymised later, so it never holds the number."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from mizan.cases.services import case_transition
    from mizan.core.audit import citizen_label

    from .factories import file_complaint, verified_login

    phone = "+212612345678"
    case = file_complaint(phone=phone).case
    other = file_complaint(phone="+212698765432").case
    case_transition(
        case_id=case.pk,
        step_name="withdraw",
        citizen_phone=phone,
        message="Settled between us.",
        inputs={"confirm": True},
    )
    entries = AuditEntry.objects.all()
    assert entries.filter(actor_label=citizen_label(phone)).count() >= 2
    for entry in entries:
        written = " ".join([entry.actor_label, entry.object_id, str(entry.data)])
        assert "612345678" not in written and "698765432" not in written

    root = get_user_model().objects.create_superuser("root", "root@example.ma", "x" * 16)
    admin = Client()
    verified_login(admin, root)
    listing = reverse("admin:core_auditentry_changelist")
    page = admin.get(listing, {"q": "0612345678"}).content.decode()
    assert case.reference in page and other.reference not in page
