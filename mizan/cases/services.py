"""The case engine: filing a request and moving it through its workflow.

`case_transition` is the only code that changes a case's status.
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from mizan.accounts.models import Membership, Role, Unit
from mizan.core import references
from mizan.core.audit import audit_record, citizen_label
from mizan.core.errors import DomainError
from mizan.deadlines.selectors import target_days_for
from mizan.deadlines.services import deadline_for
from mizan.documents.models import Attachment
from mizan.notifications.services import citizen_notify, notification_queue, tracking_link
from mizan.procedures.grievance import DEFAULT_ANSWER_DAYS
from mizan.procedures.registry import get_procedure
from mizan.procedures.workflow import CITIZEN, Step

from .models import Case, CaseEvent, ReferenceCounter
from .search import normalise, search_text_for

ACCESS_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
ACCESS_CODE_LENGTH = 8


def access_code_hash(*, reference: str, access_code: str) -> str:
    normalised = access_code.strip().upper().replace("-", "").replace(" ", "")
    return salted_hmac(
        "mizan.access-code", f"{reference}:{normalised}", algorithm="sha256"
    ).hexdigest()


def access_code_matches(*, case: Case, access_code: str) -> bool:
    expected = access_code_hash(reference=case.reference, access_code=access_code)
    return hmac.compare_digest(expected, case.access_code_hash)


def reference_allocate(*, procedure: str, year: int) -> str:
    """Next reference for a procedure and year, unique under concurrent filings.

    The counter row is locked until the filing commits, so two filings never get the
    same number; a rolled-back filing gives its number back.
    """
    prefix = get_procedure(procedure).reference_prefix
    with transaction.atomic():
        ReferenceCounter.objects.bulk_create(
            [ReferenceCounter(procedure=procedure, year=year)], ignore_conflicts=True
        )
        counter = ReferenceCounter.objects.select_for_update().get(procedure=procedure, year=year)
        counter.last_value += 1
        counter.save(update_fields=["last_value"])
    return references.format_reference(prefix, year, counter.last_value)


@dataclass(frozen=True)
class Filing:
    case: Case
    access_code: str  # shown once to the filer; only its hash is stored


def _due_at(state, since, *, holidays=None, procedure: str | None = None):
    """The state's target, counted in working days (Moroccan holidays excluded); an
    administrator's setting for the procedure replaces the workflow's default."""
    days = (
        target_days_for(procedure=procedure, state=state)
        if procedure
        else (None if state.terminal else state.target_days)
    )
    if not days:
        return None
    return deadline_for(since, days, holidays=holidays)


def notification_context(case: Case, **extra) -> dict:
    with translation.override(case.language):
        status = str(case.state.citizen_label)
    return {
        "reference": case.reference,
        "link": tracking_link(reference=case.reference, language=case.language),
        "registry_number": case.registry_number,
        "status": status,
        "amount": (case.details.get("bail_decision") or {}).get("amount", ""),
        **extra,
    }


def _notify_parties(
    *, case: Case, event: CaseEvent | None, template_key: str, idempotency_prefix: str = ""
) -> None:
    """Tell the filer (SMS, and e-mail if given) and, when someone filed for them, the
    person concerned on the phone the filer gave for them."""
    prefix = idempotency_prefix or f"case-event:{event.pk}"
    context = notification_context(case)
    citizen_notify(
        case=case,
        case_event=event,
        template_key=template_key,
        context=context,
        idempotency_prefix=prefix,
    )
    concerned_phone = (case.details.get("concerned") or {}).get("phone")
    if concerned_phone and concerned_phone != str(case.filer_phone):
        notification_queue(
            template_key=template_key,
            recipient=concerned_phone,
            language=case.language,
            context=context,
            idempotency_key=f"{prefix}:sms:{concerned_phone}",
            case=case,
            case_event=event,
        )


def case_parties_notify(*, case_id: int, template_key: str, idempotency_prefix: str) -> bool:
    """Tell a request's filer and person concerned of a step taken outside the request
    (a commissaire served the document of an exchange file attached to it), in the
    caller's transaction, as a step of the request tells them. `idempotency_prefix`
    names that step: calling again for it queues nothing more.

    Nothing is sent for a request whose personal data was removed (retention). The
    case row is locked so that an anonymisation running at the same moment cannot leave
    a phone number in a message queued after it.
    """
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None or case.anonymised_at is not None or not case.filer_phone:
            return False
        _notify_parties(
            case=case, event=None, template_key=template_key, idempotency_prefix=idempotency_prefix
        )
    return True


def case_submit(
    *,
    procedure: str,
    filer_name: str,
    filer_phone: str,
    filer_email: str = "",
    language: str,
    commune,
    details: dict,
    attachment_ids: list[int] = (),
    ip_address: str | None = None,
    channel: str = "web",
    filed_by=None,
) -> Filing:
    """File a request: route it, give it a reference, tell the filer — atomically.

    `filed_by` is the agent who filed it for the citizen (at a counter, a stand, on the
    phone), `channel` how it reached us.
    """
    spec = get_procedure(procedure)
    destination = spec.router(commune, details)
    now = timezone.now()
    access_code = "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))
    with transaction.atomic():
        reference = reference_allocate(procedure=procedure, year=timezone.localdate(now).year)
        case = Case.objects.create(
            procedure=procedure,
            reference=reference,
            status=spec.workflow.initial,
            unit=destination.unit,
            destination_to_confirm=destination.to_confirm,
            filer_name=filer_name,
            filer_phone=filer_phone,
            filer_email=filer_email,
            language=language,
            commune=commune,
            details=details,
            access_code_hash=access_code_hash(reference=reference, access_code=access_code),
            consent_at=now,
            channel=channel,
            filed_by=filed_by,
            submitted_at=now,
            status_changed_at=now,
            due_at=_due_at(spec.workflow.state(spec.workflow.initial), now, procedure=procedure),
            search_text=search_text_for(
                reference=reference,
                filer_name=filer_name,
                filer_phone=str(filer_phone),
                details=details,
            ),
        )
        if attachment_ids:
            Attachment.objects.filter(id__in=attachment_ids, case__isnull=True).update(
                case=case, upload_token=""
            )
        event = CaseEvent.objects.create(
            case=case,
            step="submit",
            from_status="",
            to_status=case.status,
            actor_kind=CaseEvent.ActorKind.CITIZEN,
            at=now,
            data={
                "unit": destination.unit.code,
                "to_confirm": destination.to_confirm,
                "channel": channel,
            },
        )
        audit_record(
            action="case.submitted",
            object_type="case",
            object_id=reference,
            actor=filed_by,
            actor_label="" if filed_by else citizen_label(filer_phone),
            ip_address=ip_address,
            data={"procedure": procedure, "unit": destination.unit.code, "channel": channel},
        )
        _notify_parties(case=case, event=event, template_key=spec.received_message)
    return Filing(case=case, access_code=access_code)


def staff_roles_for_case(*, user, case: Case) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(user=user, unit_id=case.unit_id).values_list("role", flat=True)
    )


def _prosecutor_of_unit(case: Case, user_id):
    """The magistrate of the case's unit chosen to handle it, or a message to choose one."""
    user = get_user_model().objects.filter(pk=user_id or None).first()
    if (
        user is None
        or not Membership.objects.filter(
            user=user, unit_id=case.unit_id, role=Role.MAGISTRATE
        ).exists()
    ):
        raise DomainError(
            _("Choose a prosecutor of this office."), code="input_required", field="assignee"
        )
    return user


def _apply_inputs(*, case: Case, step: Step, inputs: dict) -> dict:
    """Validate and apply the step's extra inputs; return what the event records."""
    recorded: dict = {}
    for name in step.inputs:
        value = (
            (inputs.get(name) or "").strip()
            if isinstance(inputs.get(name), str)
            else inputs.get(name)
        )
        if name == "registry_number":
            if not value:
                raise DomainError(
                    _("Enter the office's registry number."), code="input_required", field=name
                )
            case.registry_number = value[:40]
            recorded[name] = case.registry_number
            # Staff look cases up by the office's own number too.
            case.search_text = f"{case.search_text} {normalise(case.registry_number)}"
        elif name == "assignee":
            case.assignee = _prosecutor_of_unit(case, value)
            recorded[name] = case.assignee.get_username()
        elif name in ("destination", "transfer_to"):
            unit = Unit.objects.filter(
                pk=value or None,
                is_active=True,
                kind__in=[Unit.Kind.PROSECUTION_FIRST_INSTANCE, Unit.Kind.PROSECUTION_APPEAL],
            ).first()
            if unit is None:
                raise DomainError(
                    _("Choose the competent prosecution office."), code="input_required", field=name
                )
            recorded[name] = unit.code
            recorded["from_unit"] = case.unit.code
            if name == "destination":
                # Corrections are counted (event data) so the judicial map improves.
                recorded["corrected"] = unit.pk != case.unit_id
                case.unit = unit
                case.destination_to_confirm = False
                case.assignee = None
        elif name == "commission_session":
            recorded.update(_schedule_commission(case, value))
        elif name == "bail_amount":
            amount = _amount(value)
            conditions = (inputs.get("bail_conditions") or "").strip()[:2000]
            case.details = {
                **case.details,
                "bail_decision": {"amount": amount, "conditions": conditions},
            }
            recorded.update(bail_amount=amount, bail_conditions=conditions)
        elif name == "competent_unit":
            unit = (
                Unit.objects.filter(pk=value or None, is_active=True)
                .exclude(pk=case.unit_id)
                .first()
            )
            if unit is None:
                raise DomainError(
                    _("Choose the competent body among those on the list."),
                    code="input_required",
                    field=name,
                )
            with translation.override(case.language):
                body = str(unit)
            case.details = {**case.details, "redirect": {"unit": unit.code, "body": body}}
            recorded.update(competent_unit=unit.code, competent_body=body)
        elif name == "competent_body":
            if not value:
                raise DomainError(
                    _("Name the competent body, so the citizen knows where to turn."),
                    code="input_required",
                    field=name,
                )
            case.details = {**case.details, "redirect": {"body": value[:300]}}
            recorded[name] = value[:300]
        elif name == "answer_days":
            recorded[name] = _whole_days(value, default=DEFAULT_ANSWER_DAYS)
        elif name == "forward_to":
            unit = (
                Unit.objects.filter(pk=value or None, is_active=True)
                .exclude(pk=case.unit_id)
                .first()
            )
            if unit is None:
                raise DomainError(
                    _("Choose the institution to forward the question to."),
                    code="input_required",
                    field=name,
                )
            recorded.update(forward_to=unit.code, from_unit=case.unit.code)
            case.unit = unit
            case.assignee = None
    return recorded


def _amount(value) -> str:
    """A bail amount in dirhams, as typed with spaces, dots or commas for thousands."""
    from decimal import Decimal, InvalidOperation

    text = str(value or "").replace(" ", "").replace("\u202f", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or amount <= 0 or amount > Decimal("100000000"):
        raise DomainError(
            _("Enter the bail amount in dirhams, as a number (for example 20000)."),
            code="input_required",
            field="bail_amount",
        )
    return f"{amount.quantize(Decimal('1')):,}".replace(",", " ")


def _whole_days(value, *, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        days = int(str(value).strip())
    except ValueError:
        days = 0
    if not 1 <= days <= 365:
        raise DomainError(
            _("Enter a number of days between 1 and 365."),
            code="input_required",
            field="answer_days",
        )
    return days


def _schedule_commission(case: Case, value) -> dict:
    from mizan.procedures.selectors import commission_sessions_open

    session = commission_sessions_open().filter(pk=value or None).first()
    if session is None:
        raise DomainError(
            _("Choose a session of the commission whose agenda is still open."),
            code="input_required",
            field="commission_session",
        )
    label = session.date.isoformat()
    case.details = {
        **case.details,
        "commission_session": session.pk,
        "commission_session_label": label,
    }
    return {"commission_session": session.pk, "commission_session_date": label}


def _handover(case: Case) -> dict:
    """The citizen agreed: the competent body named at redirection takes the file,
    under the same reference."""
    code = (case.details.get("redirect") or {}).get("unit")
    unit = Unit.objects.filter(code=code or None, is_active=True).first()
    if unit is None:
        raise DomainError(
            _("The competent body can no longer receive files here. Please contact it directly."),
            code="handover_impossible",
        )
    recorded = {"from_unit": case.unit.code, "to_unit": unit.code}
    case.unit = unit
    case.assignee = None
    case.destination_to_confirm = False
    return recorded


def case_transition(
    *,
    case_id: int,
    step_name: str,
    actor=None,
    citizen_phone: str | None = None,
    message: str = "",
    note: str = "",
    inputs: dict | None = None,
    expected_status: str | None = None,
    ip_address: str | None = None,
) -> CaseEvent:
    """Take one workflow step on a case, with everything it causes, atomically.

    The case row is locked first, so of two conflicting steps taken at once exactly
    one wins and the other sees the new status and is refused with a clear message.
    A staff actor must hold one of the step's roles in the case's unit; a citizen
    actor (`citizen_phone`) must be the filer.
    """
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            raise DomainError(_("This request does not exist."), code="not_found")
        workflow = case.workflow
        step = workflow.step(step_name)
        if step is None:
            raise DomainError(
                _("This action does not exist for this kind of request."), code="unknown_step"
            )
        if expected_status is not None and expected_status != case.status:
            raise DomainError(
                _(
                    "This request changed while you were looking at it: it is now “%(status)s”. "
                    "Check its history and try again."
                )
                % {"status": case.state.label},
                code="conflict",
            )
        if case.status not in step.sources:
            raise DomainError(
                _("“%(step)s” is not possible now: the request is “%(status)s”.")
                % {"step": step.label, "status": case.state.label},
                code="conflict",
            )
        if CITIZEN in step.roles:
            if (
                actor is not None
                or citizen_phone is None
                or str(citizen_phone) != str(case.filer_phone)
            ):
                raise DomainError(
                    _("Only the person who filed this request can do this."), code="forbidden"
                )
            actor_kind = CaseEvent.ActorKind.CITIZEN
            actor_label = citizen_label(case.filer_phone)
        else:
            roles = staff_roles_for_case(user=actor, case=case)
            if not (roles & step.roles):
                raise DomainError(
                    _("Your role in this unit does not allow this action."), code="forbidden"
                )
            actor_kind = CaseEvent.ActorKind.STAFF
            actor_label = actor.get_username()
        message = (message or "").strip()
        if step.message_required and not message:
            raise DomainError(
                _("Write the message for this step."), code="input_required", field="message"
            )
        recorded = _apply_inputs(case=case, step=step, inputs=inputs or {})
        if step.effect == "handover":
            recorded.update(_handover(case))

        now = timezone.now()
        from_status = case.status
        case.status = step.target
        case.status_changed_at = now
        case.due_at = _due_at(workflow.state(step.target), now, procedure=case.procedure)
        if "answer_days" in recorded:
            # The deadline the administration was given, in calendar days.
            case.due_at = now + timedelta(days=recorded["answer_days"])
        if workflow.state(step.target).terminal:
            case.closed_at = now
        case.save()
        event = CaseEvent.objects.create(
            case=case,
            step=step.name,
            from_status=from_status,
            to_status=case.status,
            actor=actor if actor_kind == CaseEvent.ActorKind.STAFF else None,
            actor_kind=actor_kind,
            citizen_message=message,
            internal_note=(note or "").strip(),
            data=recorded,
            citizen_visible=step.citizen_visible,
            at=now,
        )
        audit_record(
            action="case.transition",
            object_type="case",
            object_id=case.reference,
            actor=actor if actor_kind == CaseEvent.ActorKind.STAFF else None,
            actor_label=actor_label,
            ip_address=ip_address,
            data={"step": step.name, "from": from_status, "to": case.status, **recorded},
        )
        if step.notify:
            _notify_parties(case=case, event=event, template_key=step.notify)
        _distribute_if_due(case=case, actor=actor, ip_address=ip_address)
    return event


def _distribute_if_due(*, case: Case, actor, ip_address) -> None:
    """In a unit that shares its cases automatically, a case that just reached the state
    where it waits for a magistrate is assigned at once, least busy first, in the same
    transaction as the step that brought it there."""
    from mizan.accounts.models import Unit

    from .selectors import magistrates_by_load

    assign = case.workflow.step("assign")
    if assign is None or case.status not in assign.sources or case.assignee_id or actor is None:
        return
    # Locked: two registrations at once in the unit do not both pick the same person.
    unit = Unit.objects.select_for_update().filter(pk=case.unit_id).first()
    if unit is None or not unit.distribute_automatically:
        return
    magistrates = magistrates_by_load(unit_id=unit.pk)
    if not magistrates:
        return
    least_busy, _open_cases = magistrates[0]
    try:
        case_transition(
            case_id=case.pk,
            step_name="assign",
            actor=actor,
            inputs={"assignee": least_busy.pk},
            note=_("Shared automatically: the magistrate with the fewest open cases."),
            ip_address=ip_address,
        )
    except DomainError:
        # The person who registered may not assign (their role): the case waits in
        # "not assigned", as in a unit that shares by hand.
        return
    case.refresh_from_db()


def case_citizen_step(
    *,
    case_id: int,
    step_name: str,
    citizen_phone: str,
    message: str = "",
    uploaded_files: list = (),
    expected_status: str | None = None,
    ip_address: str | None = None,
) -> CaseEvent:
    """The filer takes one of their steps (answer, withdraw, agree to a handover, send
    a bail deposit receipt), with documents where the step takes them, in one go."""
    from mizan.documents.services import attachment_store

    case = Case.objects.filter(pk=case_id).only("procedure").first()
    step = case.workflow.step(step_name) if case else None
    if step is not None and CITIZEN in step.roles:
        if uploaded_files and not step.uploads:
            raise DomainError(_("This step takes no documents."), code="no_uploads")
        if step.uploads_required and not uploaded_files:
            raise DomainError(
                _("Attach the document (PDF, JPEG or PNG)."), code="input_required", field="files"
            )
    # Stored first, each in its own transaction: a refused file (a virus) keeps its audit
    # entry even though the step is not taken. Files of a step that then fails stay
    # unattached, and are purged with other abandoned uploads.
    stored = [
        attachment_store(uploaded_file=upload, ip_address=ip_address) for upload in uploaded_files
    ]
    with transaction.atomic():
        event = case_transition(
            case_id=case_id,
            step_name=step_name,
            citizen_phone=citizen_phone,
            message=message,
            expected_status=expected_status,
            ip_address=ip_address,
        )
        Attachment.objects.filter(pk__in=[a.pk for a in stored]).update(
            case_id=case_id, case_event=event
        )
    return event


def case_citizen_reply(
    *,
    case_id: int,
    citizen_phone: str,
    message: str,
    uploaded_files: list = (),
    ip_address: str | None = None,
) -> CaseEvent:
    """The filer answers a request for information, with documents, in one step."""
    return case_citizen_step(
        case_id=case_id,
        step_name="provide_information",
        citizen_phone=citizen_phone,
        message=message,
        uploaded_files=uploaded_files,
        expected_status="info_requested",
        ip_address=ip_address,
    )


def case_citizen_unreached(*, case_id: int, notification) -> None:
    """A message to the filer finally failed: flag the case for its agents (and audit it)."""
    now = timezone.now()
    with transaction.atomic():
        flagged = Case.objects.filter(id=case_id, citizen_unreached_at__isnull=True).update(
            citizen_unreached_at=now
        )
        if flagged:
            audit_record(
                action="case.citizen_unreached",
                object_type="case",
                object_id=str(Case.objects.values_list("reference", flat=True).get(id=case_id)),
                actor_label="system",
                data={
                    "notification": notification.id,
                    "channel": notification.channel,
                    "status": str(notification.status),
                    "reason": notification.failure_reason,
                },
            )


def case_citizen_reached(*, case_id: int, notification) -> None:
    """A message reached the filer: lift the flag unless a newer message failed since."""
    from mizan.notifications.models import FAILURE_STATUSES, Notification

    newer_failure = Notification.objects.filter(
        case_id=case_id,
        channel=notification.channel,
        status__in=FAILURE_STATUSES,
        created_at__gt=notification.created_at,
    ).exists()
    if not newer_failure:
        Case.objects.filter(id=case_id, citizen_unreached_at__isnull=False).update(
            citizen_unreached_at=None
        )


def case_status_reply(*, reference: str, phone: str, inbound):
    """Queue an SMS with a case's current status, only to the phone that filed it."""
    canonical = references.canonical(reference)
    if canonical is None:
        return None
    case = Case.objects.filter(reference=canonical, filer_phone=phone).first()
    if case is None:
        return None
    with translation.override(case.language):
        status = str(case.state.citizen_label)
    return notification_queue(
        template_key="case.status_reply",
        recipient=str(case.filer_phone),
        language=case.language,
        context=notification_context(case, status=status),
        idempotency_key=f"inbound:{inbound.pk}:sms",
        case=case,
    )


def case_reassign(
    *, case_id: int, assignee_id, actor, note: str = "", ip_address=None
) -> CaseEvent:
    """Hand an open case to another magistrate of its unit, without changing its status.

    Only the unit's head may do it; the change is recorded on the timeline (internal)
    and in the audit log. (While the case waits to be assigned, the workflow's own
    "assign" step is the way.)
    """
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            raise DomainError(_("This case does not exist."), code="not_found")
        if Role.UNIT_HEAD not in staff_roles_for_case(user=actor, case=case):
            raise DomainError(_("Only the head of the unit may reassign a case."), code="forbidden")
        if case.state.terminal:
            raise DomainError(_("This case is closed."), code="closed")
        previous = case.assignee.get_username() if case.assignee_id else ""
        case.assignee = _prosecutor_of_unit(case, assignee_id)
        recorded = {"assignee": case.assignee.get_username()}
        case.save(update_fields=["assignee"])
        now = timezone.now()
        event = CaseEvent.objects.create(
            case=case,
            step="reassign",
            from_status=case.status,
            to_status=case.status,
            actor=actor,
            actor_kind=CaseEvent.ActorKind.STAFF,
            internal_note=(note or "").strip(),
            data={**recorded, "previous": previous},
            citizen_visible=False,
            at=now,
        )
        audit_record(
            action="case.reassigned",
            object_type="case",
            object_id=case.reference,
            actor=actor,
            ip_address=ip_address,
            data={**recorded, "previous": previous},
        )
    return event


def case_assign(*, case_id: int, assignee_id, actor, ip_address=None) -> CaseEvent:
    """Assign through the workflow's step while it is open, else reassign."""
    case = Case.objects.filter(pk=case_id).only("procedure", "status").first()
    if case is None:
        raise DomainError(_("This case does not exist."), code="not_found")
    step = case.workflow.step("assign")
    in_step = step is not None and case.status in step.sources
    if in_step or Case.objects.filter(pk=case_id, assignee__isnull=True).exists():
        # Not assigned yet: only the workflow's step may do it (and says why not).
        return case_transition(
            case_id=case_id,
            step_name="assign",
            actor=actor,
            inputs={"assignee": assignee_id},
            ip_address=ip_address,
        )
    return case_reassign(
        case_id=case_id, assignee_id=assignee_id, actor=actor, ip_address=ip_address
    )


@dataclass(frozen=True)
class BulkOutcome:
    reference: str
    ok: bool
    message: str = ""


def cases_bulk_step(
    *,
    case_ids: list[int],
    step_name: str,
    actor,
    inputs: dict | None = None,
    message: str = "",
    note: str = "",
    ip_address=None,
) -> list[BulkOutcome]:
    """Take one step on many cases, each in its own transaction and with its own checks.

    A case that refuses (wrong state, not this unit) does not stop the others; the
    outcome of each is returned, with the reason in the actor's language.
    """
    from .selectors import staff_unit_ids

    visible = dict(
        Case.objects.filter(pk__in=case_ids, unit_id__in=staff_unit_ids(user=actor)).values_list(
            "pk", "reference"
        )
    )
    outcomes = []
    for case_id in dict.fromkeys(case_ids):
        reference = visible.get(case_id)
        if reference is None:
            outcomes.append(BulkOutcome(str(case_id), False, _("Not a case of your units.")))
            continue
        try:
            if step_name == "assign":
                case_assign(
                    case_id=case_id,
                    assignee_id=(inputs or {}).get("assignee"),
                    actor=actor,
                    ip_address=ip_address,
                )
            else:
                case_transition(
                    case_id=case_id,
                    step_name=step_name,
                    actor=actor,
                    message=message,
                    note=note,
                    inputs=inputs,
                    ip_address=ip_address,
                )
        except DomainError as error:
            outcomes.append(BulkOutcome(reference, False, str(error.message)))
        else:
            outcomes.append(BulkOutcome(reference, True))
    return outcomes


def cases_bulk_assign_evenly(*, case_ids: list[int], actor, ip_address=None) -> list[BulkOutcome]:
    """Share the selected cases among the unit's magistrates, the least busy first."""
    from .selectors import magistrates_by_load, staff_unit_ids

    outcomes = []
    units = dict(
        Case.objects.filter(pk__in=case_ids, unit_id__in=staff_unit_ids(user=actor)).values_list(
            "pk", "unit_id"
        )
    )
    loads: dict[int, list[list]] = {}
    for case_id in dict.fromkeys(case_ids):
        unit_id = units.get(case_id)
        if unit_id is None:
            outcomes.append(BulkOutcome(str(case_id), False, _("Not a case of your units.")))
            continue
        if unit_id not in loads:
            loads[unit_id] = [
                [count, user.pk] for user, count in magistrates_by_load(unit_id=unit_id)
            ]
        pool = loads[unit_id]
        if not pool:
            outcomes.append(
                BulkOutcome(str(case_id), False, _("This unit has no prosecutor to assign."))
            )
            continue
        pool.sort()
        target = pool[0]
        [outcome] = cases_bulk_step(
            case_ids=[case_id],
            step_name="assign",
            actor=actor,
            inputs={"assignee": target[1]},
            ip_address=ip_address,
        )
        if outcome.ok:
            target[0] += 1
        outcomes.append(outcome)
    return outcomes


def case_access_record(*, case: Case, user, kind: str, reason: str = "", ip_address=None):
    """Log a staff reading of a case's personal data, for the audit and for the citizen."""
    from .models import CaseAccess

    now = timezone.now()
    with transaction.atomic():
        CaseAccess.objects.create(
            case=case, unit_id=case.unit_id, user=user, kind=kind, reason=reason[:200], at=now
        )
        audit_record(
            action={"case": "case.viewed", "messages": "case.messages_viewed"}.get(
                kind, "attachment.opened"
            ),
            object_type="case",
            object_id=case.reference,
            actor=user,
            ip_address=ip_address,
            data={"unit": case.unit.code, "kind": kind, **({"reason": reason} if reason else {})},
        )
