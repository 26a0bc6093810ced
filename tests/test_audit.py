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
