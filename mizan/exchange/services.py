"""The rules of the exchange: creating and assigning files, taking steps, sealing them.

Lock order, the same everywhere so no deadlock can form: the offices' rows, then the
file row, then the litigant's case row (when a step concerns it), then the reference
counter, then the audit chain head (locked last by `audit_record`). `case_transition`
locks a case row before the audit chain head too, and never a file.
"""

import hashlib
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import filetype
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mizan.accounts.models import Unit
from mizan.cases.models import Case, ReferenceCounter
from mizan.cases.services import case_parties_notify
from mizan.core import references
from mizan.core.audit import audit_record
from mizan.core.errors import DomainError
from mizan.core.models import AuditEntry
from mizan.documents.models import Attachment
from mizan.documents.services import attachment_store, safe_display_name

from . import workflow
from .models import (
    SERVED_RESULTS,
    CommissaireOffice,
    ExchangeAttempt,
    ExchangeDocument,
    ExchangeEvent,
    ExchangeFile,
    ExchangeRecovery,
    OfficeMember,
)
from .selectors import competent_offices, court_units_of, side_of

REFERENCE_PREFIX = "CDJ"  # commissaire de justice
COUNTER_NAME = "exchange"


# --- offices ----------------------------------------------------------------------------


def office_register(
    *,
    registration_number: str,
    name: str,
    address: str,
    appeal_court,
    phone: str = "",
    email: str = "",
    actor=None,
) -> CommissaireOffice:
    """Register a commissaire's office in the area of its court of appeal (the admin
    does the same through its form)."""
    if appeal_court.kind != appeal_court.Kind.APPEAL:
        raise DomainError(
            _("Choose a court of appeal: an office acts in the area of its court of appeal."),
            code="invalid",
            field="appeal_court",
        )
    with transaction.atomic():
        office = CommissaireOffice.objects.create(
            registration_number=registration_number.strip(),
            name=name.strip(),
            address=address.strip(),
            appeal_court=appeal_court,
            phone=phone,
            email=email,
        )
        audit_record(
            action="exchange.office_saved",
            object_type="commissaire_office",
            object_id=office.registration_number,
            actor=actor,
            data={"created": True, "appeal_court": appeal_court.pk},
        )
    return office


def office_member_create(
    *, office: CommissaireOffice, username: str, password: str, full_name: str, role: str
):
    """A log-in for the commissaire or a clerk of `office` (the second factor is set up
    at the first sign-in, as for court staff)."""
    first, _sep, last = full_name.partition(" ")
    with transaction.atomic():
        user, _created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        user.set_password(password)
        user.save()
        OfficeMember.objects.update_or_create(
            user=user, defaults={"office": office, "role": role, "is_active": True}
        )
        audit_record(
            action="exchange.office_member_saved",
            object_type="commissaire_office",
            object_id=office.registration_number,
            data={"user": user.get_username(), "role": role},
        )
    return user


# --- documents --------------------------------------------------------------------------


def exchange_document_store(
    *, uploaded_file, actor, pdf_only: bool = False, upload_token: str = "", ip_address=None
):
    """Check, scan and keep an upload, as every upload (mizan.documents). A report
    (procès-verbal) must be a PDF: it is refused before anything is kept otherwise.

    Call before the step's own transaction (see attachment_store)."""
    if pdf_only:
        head = uploaded_file.read(262)
        uploaded_file.seek(0)
        kind = filetype.guess(head) if head else None
        if head and (kind is None or kind.mime != "application/pdf"):
            raise DomainError(
                _(
                    "“%(name)s” is not a PDF file. The report must be uploaded as a PDF "
                    "(scan the signed report to PDF, or export it from your software)."
                )
                % {"name": safe_display_name(uploaded_file.name)},
                code="file_type",
                field="report",
            )
    return attachment_store(
        uploaded_file=uploaded_file, upload_token=upload_token, actor=actor, ip_address=ip_address
    )


def _documents_seal_data(attachments: list[Attachment]) -> list[dict]:
    return [
        {"name": a.original_name, "sha256": a.sha256, "size": a.size, "scan": a.scan_status}
        for a in attachments
    ]


def _attach(*, file, attachments, role, event) -> None:
    for attachment in attachments:
        if attachment.case_id is not None or hasattr(attachment, "exchange_document"):
            raise DomainError(_("A document was already used elsewhere."), code="document_used")
        ExchangeDocument.objects.create(file=file, attachment=attachment, role=role, event=event)


# --- sealing ----------------------------------------------------------------------------


def _seal(
    *, file, step: str, from_status: str, to_status: str, side: str, actor, data, ip_address
) -> ExchangeEvent:
    """Write the step and seal it in the audit chain, in the caller's transaction; the
    file's `changed_at` is the step's instant."""
    event = ExchangeEvent.objects.create(
        file=file,
        step=step,
        from_status=from_status,
        to_status=to_status,
        side=side,
        at=timezone.now(),
        actor=actor,
        data=data,
    )
    file.changed_at = event.at
    ExchangeFile.objects.filter(pk=file.pk).update(changed_at=event.at)
    entry = audit_record(
        action=f"exchange.{step}",
        object_type="exchange_file",
        object_id=file.reference,
        actor=actor,
        ip_address=ip_address,
        data=_event_seal_payload(event),
    )
    event.audit_entry = entry
    event.seal_hash = entry.entry_hash
    event.save(update_fields=["audit_entry", "seal_hash"])
    return event


def _event_seal_payload(event: ExchangeEvent) -> dict:
    """What the audit entry proves about a step: compared again by `exchange_seals_verify`."""
    return {
        "event": event.pk,
        "step": event.step,
        "from": event.from_status,
        "to": event.to_status,
        "side": event.side,
        "at": event.at.isoformat(),
        "author": event.actor.get_username(),
        "data": event.data,
    }


def exchange_seals_verify(*, file: ExchangeFile) -> list[str]:
    """What no longer matches its seal (empty: everything does).

    The audit chain itself is checked by `audit_verify`; this checks that each step of
    the file is still what its audit entry says, and that each stored document still
    has the SHA-256 sealed when it was sent.
    """
    import json

    problems = []
    sealed_documents = {}
    for event in file.events.select_related("actor"):
        entry = AuditEntry.objects.filter(pk=event.audit_entry_id).first()
        if entry is None or entry.entry_hash != event.seal_hash:
            problems.append(f"step {event.pk} ({event.step}): seal missing")
            continue
        expected = json.loads(json.dumps(_event_seal_payload(event), default=str))
        if entry.data != expected or entry.object_id != file.reference:
            problems.append(f"step {event.pk} ({event.step}): changed since it was sealed")
        for document in entry.data.get("data", {}).get("documents", []):
            sealed_documents[document["sha256"]] = document["name"]
    for document in file.documents.select_related("attachment"):
        attachment = document.attachment
        with attachment.file.open("rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        if attachment.sha256 not in sealed_documents:
            problems.append(f"document {attachment.pk}: not sealed")
        elif digest != attachment.sha256:
            problems.append(
                f"document {attachment.pk} ({attachment.original_name}): content changed"
            )
    return problems


# --- files ------------------------------------------------------------------------------


def _reference_allocate(year: int) -> str:
    ReferenceCounter.objects.bulk_create(
        [ReferenceCounter(procedure=COUNTER_NAME, year=year)], ignore_conflicts=True
    )
    counter = ReferenceCounter.objects.select_for_update().get(procedure=COUNTER_NAME, year=year)
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return references.format_reference(REFERENCE_PREFIX, year, counter.last_value)


def _assign_office(*, commune, office: CommissaireOffice | None) -> tuple[CommissaireOffice, str]:
    """The office for a file to `commune`: the one named (if competent), else the next in
    turn. Locks every competent office row, so concurrent assignments take turns."""
    if commune.appeal_court_id is None:
        raise DomainError(
            _("No court of appeal is known for this commune: no office can be proposed."),
            code="no_office",
            field="commune",
        )
    offices = list(competent_offices(commune=commune).select_for_update().order_by("pk"))
    if office is not None:
        chosen = next((o for o in offices if o.pk == office.pk), None)
        if chosen is None:
            raise DomainError(
                _(
                    "This office is not competent for %(commune)s: an office acts only in "
                    "the area of its court of appeal (%(area)s). Choose an office of that "
                    "area, or let the rotation propose one."
                )
                % {"commune": commune.name, "area": commune.appeal_court.name},
                code="not_competent",
                field="office",
            )
        assignment = ExchangeFile.Assignment.NAMED
    else:
        if not offices:
            raise DomainError(
                _(
                    "No active commissaire office is registered in the area of %(area)s. "
                    "Ask an administrator to register one."
                )
                % {"area": commune.appeal_court.name},
                code="no_office",
                field="office",
            )
        # The same order as `rotation_order`, on the rows just locked and read fresh.
        chosen = min(offices, key=lambda o: (o.last_turn, o.registration_number, o.pk))
        assignment = ExchangeFile.Assignment.ROTATION
    # Every assignment counts as a turn: an office named by litigants is not also
    # next in the rotation.
    top = max(o.last_turn for o in offices)
    chosen.last_turn = top + 1
    chosen.save(update_fields=["last_turn"])
    return chosen, assignment


def exchange_file_create(
    *,
    actor,
    court_unit: Unit,
    kind: str,
    subject: str,
    addressee_name: str,
    addressee_address: str,
    commune,
    documents: list[Attachment],
    deadline: date | None = None,
    judgment_reference: str = "",
    parties: str = "",
    amount_due: Decimal | None = None,
    office: CommissaireOffice | None = None,
    case_reference: str = "",
    ip_address: str | None = None,
) -> ExchangeFile:
    """A court registry sends a file to the named office, or to the next in turn.

    `case_reference`, when the litigant gave it, attaches their request on Mizan: they
    follow the file on its tracking page and are told by SMS at its key steps."""
    if court_unit.pk not in {unit.pk for unit in court_units_of(user=actor)}:
        raise DomainError(
            _("Only a member of the court registry can send a file in its name."),
            code="wrong_side",
        )
    if kind not in ExchangeFile.Kind.values:
        raise DomainError(_("Choose the kind of file."), code="invalid", field="kind")
    _require(subject, "subject", _("Describe what is to be served or enforced."))
    _require(addressee_name, "addressee_name", _("Give the addressee's name."))
    _require(addressee_address, "addressee_address", _("Give the addressee's address."))
    if kind == ExchangeFile.Kind.SERVICE:
        if deadline is None:
            raise DomainError(
                _("Give the date by which the document must be served."),
                code="invalid",
                field="deadline",
            )
    else:
        _require(judgment_reference, "judgment_reference", _("Give the judgment's reference."))
        _require(parties, "parties", _("Name the parties (creditor and debtor)."))
        if amount_due is not None and amount_due < 0:
            raise DomainError(
                _("The amount due cannot be negative."), code="invalid", field="amount_due"
            )
    if deadline is not None and deadline < timezone.localdate():
        raise DomainError(
            _("The deadline cannot be in the past."), code="invalid", field="deadline"
        )
    if not documents:
        raise DomainError(
            _("Attach the document to serve or the judgment to enforce."),
            code="no_documents",
            field="documents",
        )
    with transaction.atomic():
        chosen, assignment = _assign_office(commune=commune, office=office)
        case = _litigant_case(case_reference) if (case_reference or "").strip() else None
        now = timezone.now()
        file = ExchangeFile.objects.create(
            reference=_reference_allocate(timezone.localdate().year),
            kind=kind,
            status=workflow.SENT,
            court_unit=court_unit,
            office=chosen,
            assignment=assignment,
            subject=subject.strip(),
            addressee_name=addressee_name.strip(),
            addressee_address=addressee_address.strip(),
            commune=commune,
            deadline=deadline,
            judgment_reference=judgment_reference.strip(),
            parties=parties.strip(),
            amount_due=amount_due,
            case=case,
            created_by=actor,
            sent_at=now,
            changed_at=now,
        )
        data = {
            "kind": kind,
            "court_unit": court_unit.code,
            "office": chosen.registration_number,
            "assignment": assignment,
            "addressee": file.addressee_name,
            "commune": commune.code,
            "deadline": deadline.isoformat() if deadline else None,
            "documents": _documents_seal_data(documents),
        }
        if case is not None:
            data["case"] = case.reference
        event = _seal(
            file=file,
            step="send",
            from_status="",
            to_status=workflow.SENT,
            side=workflow.COURT,
            actor=actor,
            data=data,
            ip_address=ip_address,
        )
        _attach(file=file, attachments=documents, role=ExchangeDocument.Role.SENT, event=event)
        Attachment.objects.filter(pk__in=[a.pk for a in documents]).update(upload_token="")
    return file


def _require(value, field: str, message) -> None:
    if not (value or "").strip():
        raise DomainError(message, code="invalid", field=field)


# --- the litigant's request -------------------------------------------------------------


def _litigant_case(reference: str) -> Case:
    """The citizen's request named by `reference`, row-locked (call it in the step's
    transaction, after the file row: see the lock order above).

    Any request on Mizan may be named: a registry sees no request in Mizan (requests go
    to prosecution offices, the Mediator, the pardon commission...), so a rule "one the
    registry may see" would refuse them all. The litigant giving the reference is what
    links them; the check character catches a mistyped one, the registry learns nothing
    of the request but that it exists, and the citizen is shown only citizen-safe facts
    of the file (docs/exchange.md, "Litigant tracking").
    """
    canonical = references.canonical(reference or "")
    if canonical is None:
        raise DomainError(
            _(
                "This is not a Mizan request reference (for example PLT-2026-000123-B). "
                "Check each character with the litigant."
            ),
            code="invalid",
            field="case_reference",
        )
    case = Case.objects.select_for_update().filter(reference=canonical).first()
    if case is None:
        raise DomainError(
            _(
                "No request on Mizan has the reference %(reference)s. Check it with the "
                "litigant, or leave the field empty."
            )
            % {"reference": canonical},
            code="case_not_found",
            field="case_reference",
        )
    if case.anonymised_at is not None:
        raise DomainError(
            _(
                "The personal data of request %(reference)s was removed after its "
                "retention period: the litigant can no longer be told. Leave the field "
                "empty."
            )
            % {"reference": canonical},
            code="case_anonymised",
            field="case_reference",
        )
    return case


def _court_file_locked(*, file_id: int, actor) -> ExchangeFile:
    """The file row, locked, if `actor` is a member of the sending registry."""
    file = ExchangeFile.objects.select_for_update().filter(pk=file_id).first()
    side = side_of(user=actor, file=file) if file is not None else None
    if side is None:
        raise DomainError(_("This file does not exist or is not yours."), code="not_found")
    if side != workflow.COURT:
        raise DomainError(
            _("Only the sending court registry can take this step."), code="wrong_side"
        )
    return file


def exchange_file_case_link(
    *, file_id: int, actor, case_reference: str, ip_address: str | None = None
) -> ExchangeEvent:
    """The sending registry attaches the litigant's request to a file, at any stage:
    the citizen sees the file's progress from then on (steps already taken send no SMS).
    A sealed step of the file; its status stays."""
    with transaction.atomic():
        file = _court_file_locked(file_id=file_id, actor=actor)
        case = _litigant_case(case_reference)
        if file.case_id is not None:
            raise DomainError(
                _(
                    "This file is already linked to a request. Remove that link first if "
                    "it was a mistake."
                ),
                code="conflict",
                field="case_reference",
            )
        event = _seal(
            file=file,
            step=workflow.LINK_CASE,
            from_status=file.status,
            to_status=file.status,
            side=workflow.COURT,
            actor=actor,
            data={"case": case.reference},
            ip_address=ip_address,
        )
        file.case = case
        file.save(update_fields=["case"])
    return event


def exchange_file_case_unlink(
    *, file_id: int, actor, ip_address: str | None = None
) -> ExchangeEvent:
    """The sending registry removes the link (a wrong reference, the litigant's wish):
    the citizen no longer sees the file nor is told of it. A sealed step; the status
    stays."""
    with transaction.atomic():
        file = _court_file_locked(file_id=file_id, actor=actor)
        if file.case_id is None:
            raise DomainError(_("This file is not linked to a request."), code="conflict")
        reference = Case.objects.values_list("reference", flat=True).get(pk=file.case_id)
        event = _seal(
            file=file,
            step=workflow.UNLINK_CASE,
            from_status=file.status,
            to_status=file.status,
            side=workflow.COURT,
            actor=actor,
            data={"case": reference},
            ip_address=ip_address,
        )
        file.case = None
        file.save(update_fields=["case"])
    return event


def _litigant_message(*, file: ExchangeFile, step_name: str, data: dict) -> str | None:
    """The message template the litigant gets for this step, if it is a key step.

    "Served" is for service files (an attempt that reached the addressee, or the
    completion); an attempt on an enforcement file is shown on the tracking page but
    sends nothing, its key step being the completion."""
    if file.kind == workflow.SERVICE:
        if step_name == "complete" or (
            step_name == "record_attempt" and data.get("result") in SERVED_RESULTS
        ):
            return "exchange.served"
    elif step_name == "complete":
        return "exchange.enforcement_completed"
    return None


def exchange_file_transition(
    *,
    file_id: int,
    step_name: str,
    actor,
    reason: str = "",
    attempt: dict | None = None,
    recovery: dict | None = None,
    report: Attachment | None = None,
    expected_status: str | None = None,
    ip_address: str | None = None,
    via: dict | None = None,
) -> ExchangeEvent:
    """Take one step of the lifecycle: the only code that changes a file's status.

    Checks the step is allowed from the file's status for its kind, and that the actor
    stands on the step's side (the sending court registry, or the assigned office).
    `via` says how the actor acted when not on the web pages (an office's API key, in
    its name): it is sealed with the step.
    """
    with transaction.atomic():
        file = ExchangeFile.objects.select_for_update().filter(pk=file_id).first()
        side = side_of(user=actor, file=file) if file is not None else None
        if side is None:
            raise DomainError(_("This file does not exist or is not yours."), code="not_found")
        step = workflow.step(step_name)
        if step is None:
            raise DomainError(_("This step does not exist."), code="not_allowed")
        if expected_status and file.status != expected_status:
            raise DomainError(
                _(
                    "Someone else changed this file in the meantime (it is now “%(status)s”). "
                    "Check its page and act again if needed."
                )
                % {"status": workflow.state(file.status).label},
                code="conflict",
            )
        if step.side != side:
            raise DomainError(
                _("Only the commissaire's office can take this step.")
                if step.side == workflow.OFFICE
                else _("Only the sending court registry can take this step."),
                code="wrong_side",
            )
        if file.status not in step.sources or file.kind not in step.kinds:
            raise DomainError(
                _("“%(step)s” is not possible while the file is “%(status)s”.")
                % {"step": step.label, "status": workflow.state(file.status).label},
                code="not_allowed",
            )
        reason = (reason or "").strip()
        if step.reason_required and not reason:
            raise DomainError(_("Give the reason."), code="invalid", field="reason")
        data: dict = {"reason": reason} if reason else {}
        if via:
            data["via"] = via
        if step.name == "record_attempt":
            data.update(_attempt_data(file, attempt or {}))
        elif step.name == "record_recovery":
            data.update(_recovery_data(recovery or {}))
        elif step.name == "upload_report":
            if report is None:
                raise DomainError(
                    _("Attach the report as a PDF file."), code="invalid", field="report"
                )
            if report.content_type != "application/pdf":
                raise DomainError(
                    _("The report must be a PDF file."), code="file_type", field="report"
                )
            data["documents"] = _documents_seal_data([report])
        message = _litigant_message(file=file, step_name=step.name, data=data)
        if message and file.case_id is not None:
            # Locked before the audit chain head, as `case_transition` does (lock order).
            Case.objects.select_for_update().filter(pk=file.case_id).first()
        from_status = file.status
        to_status = step.target or from_status
        now = timezone.now()
        event = _seal(
            file=file,
            step=step.name,
            from_status=from_status,
            to_status=to_status,
            side=side,
            actor=actor,
            data=data,
            ip_address=ip_address,
        )
        _record_details(file=file, step=step, event=event, data=data, report=report)
        file.status = to_status
        fields = ["status"]
        if step.name == "acknowledge":
            file.acknowledged_at = now
            fields.append("acknowledged_at")
        if step.name == "fail":
            file.failure_reason = reason
            fields.append("failure_reason")
        if workflow.state(to_status).terminal:
            file.closed_at = now
            fields.append("closed_at")
        file.save(update_fields=fields)
        if message and file.case_id is not None:
            # Committed with the step. Keyed on the file and the message, not the step:
            # the litigant hears "served" once, even after a second served attempt and
            # then the completion.
            case_parties_notify(
                case_id=file.case_id,
                template_key=message,
                idempotency_prefix=f"exchange-file:{file.pk}:{message}",
            )
    return event


def _record_details(*, file, step, event, data, report) -> None:
    if step.name == "record_attempt":
        ExchangeAttempt.objects.create(
            file=file,
            attempted_at=datetime.fromisoformat(data["attempted_at"]),
            place=data["place"],
            result=data["result"],
            note=data["note"],
            event=event,
        )
    elif step.name == "record_recovery":
        ExchangeRecovery.objects.create(
            file=file,
            amount=Decimal(data["amount"]),
            recovered_on=date.fromisoformat(data["recovered_on"]),
            note=data["note"],
            event=event,
        )
    elif step.name == "upload_report":
        _attach(file=file, attachments=[report], role=ExchangeDocument.Role.REPORT, event=event)


def _attempt_data(file: ExchangeFile, attempt: dict) -> dict:
    attempted_at = attempt.get("attempted_at")
    if not isinstance(attempted_at, datetime) or timezone.is_naive(attempted_at):
        raise DomainError(
            _("Give the date and time of the attempt."), code="invalid", field="attempted_at"
        )
    if attempted_at > timezone.now() or attempted_at < file.sent_at.replace(
        second=0, microsecond=0
    ):
        raise DomainError(
            _("The attempt must be dated between the sending of the file and now."),
            code="invalid",
            field="attempted_at",
        )
    place = (attempt.get("place") or "").strip()
    if not place:
        raise DomainError(_("Give the place of the attempt."), code="invalid", field="place")
    result = attempt.get("result")
    if result not in ExchangeAttempt.Result.values:
        raise DomainError(_("Choose the result of the attempt."), code="invalid", field="result")
    return {
        "attempted_at": attempted_at.isoformat(),
        "place": place[:300],
        "result": result,
        "note": (attempt.get("note") or "").strip(),
    }


def _recovery_data(recovery: dict) -> dict:
    try:
        amount = Decimal(str(recovery.get("amount", ""))).quantize(Decimal("0.01"))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount >= Decimal("1e12"):
        raise DomainError(
            _("Give the amount recovered, in dirhams (for example 1500.00)."),
            code="invalid",
            field="amount",
        )
    recovered_on = recovery.get("recovered_on")
    if not isinstance(recovered_on, date) or recovered_on > timezone.localdate():
        raise DomainError(
            _("Give the date of the recovery (today or earlier)."),
            code="invalid",
            field="recovered_on",
        )
    return {
        "amount": str(amount),
        "recovered_on": recovered_on.isoformat(),
        "note": (recovery.get("note") or "").strip(),
    }


def exchange_file_access_record(
    *, file: ExchangeFile, user, kind: str, ip_address=None, via: dict | None = None
) -> None:
    """Staff reads of a file (addressee, parties: personal data) go to the audit log;
    `via` names the API key a read went through."""
    audit_record(
        action=f"exchange.read_{kind}",
        object_type="exchange_file",
        object_id=file.reference,
        actor=user,
        ip_address=ip_address,
        data={"via": via} if via else None,
    )
