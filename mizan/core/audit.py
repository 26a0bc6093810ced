"""The tamper-evident audit log: `audit_record` appends, `audit_verify` checks."""

import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64


def citizen_pseudonym(phone) -> str:
    """A stable stand-in for a citizen's phone number in the audit log.

    The log is append-only and hash-chained, so it cannot be anonymised when a case's
    retention period ends (docs/operations.md): it must never hold the number in the
    first place (law 09-08). A keyed hash keeps one citizen's entries linkable — the
    admin finds them by typing the number — without the log revealing it.
    """
    digest = salted_hmac("mizan.audit.citizen", str(phone).strip(), algorithm="sha256")
    return digest.hexdigest()[:20]


def citizen_label(phone) -> str:
    """The audit actor label of a citizen acting for the request filed from `phone`."""
    return f"citizen:{citizen_pseudonym(phone)}"


def audit_record(
    *,
    action: str,
    object_type: str,
    object_id: str,
    actor=None,
    actor_label: str = "",
    data: dict | None = None,
    ip_address: str | None = None,
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction.

    The head row is locked last in every service (after the case or counter row) so
    that the lock order is the same everywhere and no deadlock can form.
    """
    if actor is not None and getattr(actor, "is_authenticated", False):
        label = actor_label or actor.get_username()
        staff_user = actor
    else:
        label = actor_label or "system"
        staff_user = None
    with transaction.atomic():
        AuditChainHead.objects.bulk_create([AuditChainHead(id=1)], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(id=1)
        entry = AuditEntry(
            at=timezone.now(),
            actor=staff_user,
            actor_label=label,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            data=data or {},
            ip_address=ip_address,
            previous_hash=head.last_hash,
        )
        # Round-trip the data through JSON so the hash is computed on what the
        # database will give back (tuples become lists, and so on).
        entry.data = _json_roundtrip(entry.data)
        entry.entry_hash = entry.compute_hash()
        entry.save()
        head.last_hash = entry.entry_hash
        head.last_entry_id = entry.id
        head.save(update_fields=["last_hash", "last_entry_id"])
    return entry


def _json_roundtrip(value):
    return json.loads(json.dumps(value, default=str))


@dataclass(frozen=True)
class AuditVerification:
    checked: int
    broken_at: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def audit_verify() -> AuditVerification:
    previous = GENESIS_HASH
    checked = 0
    last_id = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.previous_hash != previous:
            return AuditVerification(checked, entry.id, "previous hash does not match")
        if entry.compute_hash() != entry.entry_hash:
            return AuditVerification(checked, entry.id, "entry content was changed")
        previous = entry.entry_hash
        last_id = entry.id
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.last_hash != previous or head.last_entry_id != last_id):
        return AuditVerification(checked, last_id or 0, "newest entries were removed")
    return AuditVerification(checked, None)
