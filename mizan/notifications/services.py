"""The notification lifecycle: queue, deliver, receipts, retries, recovery.

Statuses follow GOV.UK Notify and only move forward:

    queued → sending → sent → delivered
                     ↘ temporary-failure → sending (retried, with back-off)
                     ↘ permanent-failure (bad number, blocked)
                     ↘ technical-failure (gave up)

Every change of status is a conditional UPDATE on the status it expects (or runs under
the row's lock), so two workers, a late worker and a receipt can race without moving a
message backwards or sending it twice.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import smtplib
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.tasks import TaskResultStatus
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .encoding import sms_cost, sms_shape
from .gateways import (
    GatewayError,
    OutboundSms,
    PermanentGatewayError,
    TemporaryGatewayError,
    UncertainGatewayError,
)
from .messages import EMAIL_SUBJECT, MESSAGES
from .models import (
    DeliveryReceipt,
    InboundSms,
    MessageTemplate,
    Notification,
    ProviderHealth,
    ProviderMessage,
)
from .phones import e164

logger = logging.getLogger("mizan.sms")

Status = Notification.Status
# A part of an attempt the provider gave up on; the message was sent again.
PART_RETRIED = "retried"
DISPATCH_TASK_PATH = "mizan.notifications.tasks.dispatch_notifications"
# Messages claimed at once by a dispatching worker: few statements per message, and a
# batch short enough that its lease is renewed often on a slow provider.
DISPATCH_BATCH = 50
# A dispatch task hands over what is due for at most this long, then leaves the rest to
# a fresh task, so that other tasks on the worker's queues get their turn.
DISPATCH_SECONDS = 20.0
# Due this long and still not taken: the recovery sweep makes sure a dispatch will run.
DISPATCH_OVERDUE_SECONDS = 5.0

# Which receipt may move a message from which status: anything else (a duplicate, a
# late "sent" after "delivered", a failure after delivery) changes nothing.
RECEIPT_MOVES = {
    Status.DELIVERED: (Status.SENDING, Status.SENT, Status.TEMPORARY_FAILURE),
    Status.PERMANENT_FAILURE: (Status.SENDING, Status.SENT, Status.TEMPORARY_FAILURE),
    Status.TEMPORARY_FAILURE: (Status.SENDING, Status.SENT),
    Status.SENT: (Status.SENDING,),
}


# --- templates ------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedMessage:
    body: str
    version: int


def notification_render(*, template_key: str, language: str, context: dict) -> str:
    return message_render(template_key=template_key, language=language, context=context).body


def message_render(*, template_key: str, language: str, context: dict) -> RenderedMessage:
    """The administrator's current wording if there is one, else the catalogue's."""
    override = (
        MessageTemplate.objects.filter(key=template_key, language=language)
        .values_list("body", "version")
        .first()
    )
    if override is not None:
        return RenderedMessage(override[0] % context, override[1])
    with translation.override(language):
        return RenderedMessage(str(MESSAGES[template_key]) % context, 0)


def tracking_link(*, reference: str, language: str) -> str:
    # The link carries no secret: the tracking page asks for the access code or a code.
    return f"{settings.SITE_URL}/{language}/track/{reference}/"


# --- queueing -------------------------------------------------------------------------


def client_reference_for(idempotency_key: str) -> str:
    return "mz" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:30]


def notification_queue(
    *,
    template_key: str,
    recipient: str,
    language: str,
    context: dict,
    idempotency_key: str,
    case=None,
    case_event=None,
    sensitive: bool = False,
    channel: str = Notification.Channel.SMS,
    attachments: list[dict] | None = None,
) -> Notification:
    """Write the outbox row and enqueue its delivery, in the caller's transaction.

    A second call with the same idempotency key returns the first row unchanged.
    `attachments` (e-mail only) are small text files kept with the message, so that
    every attempt sends exactly what was queued.
    """
    from .routing import provider_configs

    with transaction.atomic():
        existing = Notification.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        rendered = message_render(template_key=template_key, language=language, context=context)
        now = timezone.now()
        fields = {}
        if channel == Notification.Channel.SMS:
            shape = sms_shape(rendered.body)
            fields = {
                "encoding": shape.encoding,
                "segments": shape.segments,
                "estimated_cost": sms_cost(shape.segments, provider_configs()[0].cost),
            }
        else:
            with translation.override(language):
                fields = {"subject": str(EMAIL_SUBJECT) % context}
        notification = Notification.objects.create(
            case=case,
            case_event=case_event,
            channel=channel,
            recipient=recipient,
            language=language,
            template_key=template_key,
            template_version=rendered.version,
            body=rendered.body,
            sensitive=sensitive,
            attachments=attachments
            if channel == Notification.Channel.EMAIL and attachments
            else [],
            idempotency_key=idempotency_key,
            client_reference=client_reference_for(idempotency_key),
            created_at=now,
            next_attempt_at=now,
            give_up_at=now + timedelta(seconds=settings.MIZAN_SMS_RETRY_WINDOW_SECONDS),
            **fields,
        )
        # The dispatch task is written (or an unclaimed one locked) in this same
        # transaction: the message and what will send it commit together.
        dispatch_ensure()
    return notification


def dispatch_ensure() -> None:
    """Make sure a dispatch task will run after the caller's transaction commits.

    Call it inside the transaction that wrote the message. One unclaimed dispatch task
    serves every message committed before a worker claims it, so a filing rush costs
    one task per batch, not one per message. An unclaimed task is locked until our
    commit (`SKIP LOCKED`: a worker cannot claim it in between, so it will see our
    row); when none is free, a new one is written. On SQLite every transaction holds
    the write lock from its start (`transaction_mode` IMMEDIATE) and a worker claims
    under an exclusive transaction, so a task seen unclaimed here stays so until
    our commit.
    """
    from django_tasks_db.models import DBTaskResult, get_date_max

    from .tasks import dispatch_notifications

    # Raw SQL: on every message queued, the ORM's compiling of this query cost more
    # than the query itself (an index scan of the few ready tasks).
    table = connection.ops.quote_name(DBTaskResult._meta.db_table)
    skip_locked = connection.features.has_select_for_update_skip_locked
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE status = %s AND task_path = %s AND run_after = %s"
            f" LIMIT 1{lock}",
            [
                TaskResultStatus.READY.value,
                DISPATCH_TASK_PATH,
                connection.ops.adapt_datetimefield_value(get_date_max()),
            ],
        )
        if cursor.fetchone() is None:
            dispatch_notifications.enqueue()


def citizen_notify(
    *, case, case_event, template_key: str, context: dict, idempotency_prefix: str = ""
) -> list[Notification]:
    """Tell the filer of a case about a step: SMS, and e-mail when they gave an address.

    The step is the case event, unless `idempotency_prefix` names another one (a step
    of an exchange file attached to the case): the same step never queues the same
    message twice.
    """
    prefix = idempotency_prefix or f"case-event:{case_event.pk}"
    queued = [
        notification_queue(
            template_key=template_key,
            recipient=str(case.filer_phone),
            language=case.language,
            context=context,
            idempotency_key=f"{prefix}:sms:{case.filer_phone}",
            case=case,
            case_event=case_event,
        )
    ]
    if case.filer_email:
        queued.append(
            _email_queue(
                case=case,
                case_event=case_event,
                template_key=template_key,
                context=context,
                idempotency_prefix=prefix,
            )
        )
    return queued


def _email_queue(
    *, case, case_event, template_key: str, context: dict, idempotency_prefix: str = ""
) -> Notification:
    prefix = idempotency_prefix or f"case-event:{case_event.pk}"
    return notification_queue(
        template_key=template_key,
        recipient=case.filer_email,
        language=case.language,
        context=context,
        idempotency_key=f"{prefix}:email:{case.filer_email.lower()}",
        case=case,
        case_event=case_event,
        channel=Notification.Channel.EMAIL,
    )


# --- delivery -------------------------------------------------------------------------


def retry_delay(attempts: int) -> float:
    """Exponential back-off with jitter, so a provider coming back is not hit by a wall."""
    base = settings.MIZAN_SMS_RETRY_BASE_SECONDS
    ceiling = settings.MIZAN_SMS_RETRY_MAX_SECONDS
    delay = min(ceiling, base * 2 ** max(attempts - 1, 0))
    return delay * random.uniform(0.5, 1.0)  # jitter, not a secret


def _claimable(notification: Notification, now) -> bool:
    if notification.status in (Status.QUEUED, Status.TEMPORARY_FAILURE):
        return notification.next_attempt_at is None or notification.next_attempt_at <= now
    if notification.status == Status.SENDING:
        # Its worker died (or hangs far beyond any time-out): take the message over.
        return notification.lease_expires_at is not None and notification.lease_expires_at < now
    return False


def notification_deliver(*, notification_id: int) -> str:
    """Hand one message to a provider, at most once per attempt; returns the new status.

    The single-message path: retries that come due, and messages a dead worker held
    (the recovery sweep). Safe to run twice, late, or concurrently: only a worker that
    wins the conditional claim sends, and a row another worker holds is left alone
    until its lease expires.
    """
    from .routing import ProviderStates

    now = timezone.now()
    notification = Notification.objects.filter(id=notification_id).first()
    if notification is None or not _claimable(notification, now):
        return "skipped"
    states = ProviderStates.load()

    uncertain_provider = notification.uncertain_provider
    if notification.status == Status.SENDING and notification.provider:
        # The worker that held it died during the provider's call: that provider may
        # have the message.
        uncertain_provider = notification.provider
    first_choice = uncertain_provider or (
        states.first_choice(now) if notification.channel == Notification.Channel.SMS else ""
    )
    claimed = Notification.objects.filter(
        id=notification.id, status=notification.status, attempts=notification.attempts
    ).update(
        status=Status.SENDING,
        attempts=notification.attempts + 1,
        lease_expires_at=now + timedelta(seconds=settings.MIZAN_SMS_LEASE_SECONDS),
        provider=first_choice,
        uncertain_provider=uncertain_provider,
        updated_at=now,
    )
    if not claimed:
        return "skipped"
    notification.status = Status.SENDING
    notification.attempts += 1
    notification.provider = first_choice
    notification.uncertain_provider = uncertain_provider

    accepted = _attempt(notification, now=now, states=states)
    if accepted is not None:
        _record_accepted([(notification, accepted)])
    return notification.status


def notifications_dispatch(
    *, batch: int = DISPATCH_BATCH, max_seconds: float = DISPATCH_SECONDS
) -> int:
    """Hand every due message over, a batch at a time; returns how many were attempted.

    The common path: one claim (`SKIP LOCKED`, so workers share the backlog without
    waiting on each other) and one write of the results per batch, instead of a task,
    a claim and several writes per message. A provider found down is recorded so
    (`provider_mark_down`): the rest of the batch goes to another provider, or is put
    back untried until the next probe, without a request each; messages waiting for
    providers that are down and not due for a probe are not claimed. Another
    temporary failure (the mail server, a rate limit) ends the batch: the rest is put
    back for later untried.
    """
    started = time.monotonic()
    handled = 0
    provider_down = False
    while not provider_down and time.monotonic() - started < max_seconds:
        claimed, states = _claim_due(batch)
        if not claimed:
            return handled
        handled += len(claimed)
        if len(claimed) == batch:
            # A backlog: a dispatch waiting for the next free worker lets it share the
            # work (SKIP LOCKED keeps their batches apart).
            with transaction.atomic():
                dispatch_ensure()
        accepted: list[tuple[Notification, object]] = []
        waiting: list[Notification] = []
        leased_at = time.monotonic()
        for index, notification in enumerate(claimed):
            rest = claimed[index + 1 :]
            if time.monotonic() - leased_at > settings.MIZAN_SMS_LEASE_SECONDS / 2:
                # A slow provider: keep the rest of the batch ours.
                _lease_renew(rest)
                leased_at = time.monotonic()
            result = _attempt(notification, now=timezone.now(), states=states, waiting=waiting)
            if result is not None and _deduplicates(result.provider):
                # Recorded with the batch: a worker killed before that asks again with
                # the same client reference, which this provider deduplicates.
                accepted.append((notification, result))
            elif result is not None:
                # This provider would send it twice if asked again: record it now.
                _record_accepted([(notification, result)])
            elif (
                notification.status == Status.TEMPORARY_FAILURE
                and not notification.waiting_for_provider
                and rest
            ):
                # Not a provider down (the mail server, a rate limit, a gateway bug): the
                # rest goes back with a dispatch of its own at the retry time; this run
                # ends, rather than claim again what comes due meanwhile.
                _release(rest, reason=notification.failure_reason)
                provider_down = True
                break
        if waiting:
            _wait_for_providers(waiting)
        if accepted:
            _record_accepted(accepted)
    if provider_down:
        return handled
    # Time is up and messages may still be due: a fresh task carries on.
    with transaction.atomic():
        dispatch_ensure()
    return handled


def _claim_due(limit: int):
    """Move up to `limit` due messages to "sending" for this worker, oldest due first.

    Returns them with the providers' states read for the claim. An SMS that could only
    go to providers down and not yet due for a probe is left where it is (unless its
    retry window is over: it is claimed to be ended).
    """
    from .routing import ProviderStates, provider_configs

    now = timezone.now()
    states = ProviderStates.load()
    first_choice = states.first_choice(now)
    due = Notification.objects.filter(
        status__in=[Status.QUEUED, Status.TEMPORARY_FAILURE], next_attempt_at__lte=now
    ).order_by("next_attempt_at", "id")
    blocked = states.blocked(now)
    if blocked:
        if all(config.name in blocked for config in provider_configs()):
            blocked.add("")  # a message free to go anywhere has nowhere to go
        due = due.filter(
            Q(channel=Notification.Channel.EMAIL)
            | ~Q(uncertain_provider__in=sorted(blocked))
            | Q(give_up_at__lte=now)
        )
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        # On SQLite the transaction holds the only write lock: nobody claims in between.
        ids = list(due.values_list("id", flat=True)[:limit])
        if not ids:
            return [], states
        Notification.objects.filter(id__in=ids).update(
            status=Status.SENDING,
            attempts=F("attempts") + 1,
            lease_expires_at=now + timedelta(seconds=settings.MIZAN_SMS_LEASE_SECONDS),
            # A provider that may hold the message from an earlier attempt is the only
            # one asked again; e-mail has no provider to choose.
            provider=Case(
                When(~Q(uncertain_provider=""), then=F("uncertain_provider")),
                When(channel=Notification.Channel.EMAIL, then=Value("")),
                default=Value(first_choice),
            ),
            updated_at=now,
        )
        claimed = Notification.objects.filter(id__in=ids).order_by("next_attempt_at", "id")
        return list(claimed), states


def _lease_renew(notifications: list[Notification]) -> None:
    Notification.objects.filter(id__in=[n.id for n in notifications], status=Status.SENDING).update(
        lease_expires_at=timezone.now() + timedelta(seconds=settings.MIZAN_SMS_LEASE_SECONDS)
    )


def _release(notifications: list[Notification], *, reason: str) -> None:
    """Put claimed but untried messages back for a later attempt, which this one was not."""
    from .tasks import dispatch_notifications

    now = timezone.now()
    next_attempt = now + timedelta(seconds=retry_delay(1))
    with transaction.atomic():
        Notification.objects.filter(
            id__in=[n.id for n in notifications], status=Status.SENDING
        ).update(
            status=Status.TEMPORARY_FAILURE,
            attempts=F("attempts") - 1,
            next_attempt_at=next_attempt,
            lease_expires_at=None,
            waiting_for_provider=False,
            failure_reason=f"not tried: {reason}"[:200],
            updated_at=now,
        )
        dispatch_notifications.using(run_after=next_attempt).enqueue()


def _wait_for_providers(notifications: list[Notification]) -> None:
    """Put back claimed messages that no provider could be asked for (all down, another
    message probing): not an attempt, and due again at the next probe, or as soon as a
    provider answers (`provider_mark_up`), whatever their own back-off would be.

    The providers' rows are read again under lock: one marked up meanwhile has made
    the waiting messages due before these were back, so these are made due now.
    """
    from .routing import ProviderStates

    with transaction.atomic():
        now = timezone.now()
        states = ProviderStates.load(lock=True)
        groups: dict = {}
        for notification in notifications:
            at = states.next_try_at(now, only=notification.uncertain_provider or None)
            if notification.give_up_at and notification.give_up_at < at:
                at = notification.give_up_at  # due then, to be ended as a technical failure
            groups.setdefault(at, []).append(notification)
        for at, group in groups.items():
            Notification.objects.filter(id__in=[n.id for n in group], status=Status.SENDING).update(
                status=Status.TEMPORARY_FAILURE,
                attempts=F("attempts") - 1,
                next_attempt_at=at,
                lease_expires_at=None,
                waiting_for_provider=True,
                failure_reason="not tried: every provider is down, waiting for its next probe",
                updated_at=now,
            )
            for notification in group:
                notification.status = Status.TEMPORARY_FAILURE
                notification.attempts -= 1
                notification.next_attempt_at = at
                notification.waiting_for_provider = True
        if any(at <= now for at in groups):
            dispatch_ensure()


def _attempt(notification: Notification, *, now, states=None, waiting=None):
    """One attempt at a claimed ("sending") message.

    Returns the provider's `Accepted` for the caller to record (in a batch), or None
    when the outcome was recorded here: a failure, a retry, an e-mail sent, or a
    message not asked again for fear of a duplicate. A message no provider could be
    asked for (all down) is appended to `waiting` for the caller to put back with the
    rest of its batch, or put back here when there is no such list.
    """
    from .routing import ProvidersDown, sms_send

    if notification.give_up_at and now >= notification.give_up_at:
        _fail(notification, Status.TECHNICAL_FAILURE, reason="gave up after the retry window")
        return None

    if notification.channel == Notification.Channel.EMAIL:
        _deliver_email(notification)
        return None

    uncertain_provider = notification.uncertain_provider
    if uncertain_provider and not _deduplicates(uncertain_provider):
        # Asking again could send a second SMS: wait for the receipt instead, and let the
        # receipt window turn silence into a technical failure.
        _mark_sent_unconfirmed(notification)
        return None

    def on_attempt(config) -> None:
        if config.name != notification.provider:
            notification.provider = config.name
            Notification.objects.filter(id=notification.id, status=Status.SENDING).update(
                provider=config.name
            )

    sms = OutboundSms(
        client_reference=notification.client_reference,
        recipient=notification.recipient,
        body=notification.body,
        sender=settings.MIZAN_SMS_SENDER,
    )
    try:
        accepted, _config = sms_send(
            sms, only=uncertain_provider or None, on_attempt=on_attempt, states=states
        )
    except ProvidersDown:
        notification.status = Status.TEMPORARY_FAILURE
        notification.waiting_for_provider = True
        if waiting is not None:
            waiting.append(notification)
        else:
            _wait_for_providers([notification])
        return None
    except PermanentGatewayError as error:
        notification.provider = error.provider or notification.provider
        _fail(
            notification,
            Status.PERMANENT_FAILURE,
            reason=error.reason,
            provider_status=error.provider_status,
        )
        return None
    except UncertainGatewayError as error:
        notification.uncertain_provider = error.provider or notification.provider
        if not _deduplicates(notification.uncertain_provider):
            _mark_sent_unconfirmed(notification, provider_status=error.provider_status)
            return None
        _retry_later(notification, error, states=states)
        return None
    except TemporaryGatewayError as error:
        _retry_later(notification, error, states=states)
        return None
    except Exception as error:  # a gateway bug must not leave the message in "sending"
        logger.exception("SMS gateway failed on notification %s", notification.id)
        _retry_later(notification, TemporaryGatewayError(f"gateway error: {error!r}"[:200]))
        return None
    return accepted


def _deduplicates(provider_name: str) -> bool:
    from .routing import gateway_for

    try:
        return bool(getattr(gateway_for(provider_name), "deduplicates", False))
    except ValueError:  # the provider was removed from the settings
        return False


def _record_accepted(items) -> None:
    """Record what the providers took, for a batch of messages, in one statement.

    A message no longer "sending" (a receipt or a late worker moved it first) keeps its
    status and dates and only gains what we learnt. The rows of a batch share almost
    every value (one provider), so each group of alike rows is one `UPDATE … FROM
    (VALUES …)` carrying every row's provider id: the ORM's `bulk_update` spent over a
    millisecond of CPU per row building CASE clauses, and one UPDATE per row cost
    PostgreSQL as much again.
    """
    now = timezone.now()
    groups: dict[tuple, list] = {}
    parts = []
    for notification, accepted in items:
        delivered = accepted.delivered
        notification.provider = accepted.provider
        notification.provider_reference = (accepted.message_ids[0] if accepted.message_ids else "")[
            :100
        ]
        groups.setdefault((delivered, accepted.provider, notification.sensitive), []).append(
            notification
        )
        parts += [
            ProviderMessage(
                notification_id=notification.id,
                provider=accepted.provider,
                message_id=message_id,
                part=part,
                status=Status.DELIVERED if delivered else Status.SENT,
                updated_at=now,
            )
            for part, message_id in enumerate(accepted.message_ids, start=1)
        ]
    table = connection.ops.quote_name(Notification._meta.db_table)
    stamp = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic():
        for (delivered, provider, sensitive), group in groups.items():
            new_status = Status.DELIVERED if delivered else Status.SENT
            moving = f"{table}.status = '{Status.SENDING.value}'"
            sql = (
                f"UPDATE {table} SET"
                f" status = CASE WHEN {moving} THEN %s ELSE {table}.status END,"
                f" sent_at = CASE WHEN {moving} THEN %s ELSE {table}.sent_at END,"
                f" delivered_at = CASE WHEN {moving} THEN %s ELSE {table}.delivered_at END,"
                " provider = %s, provider_status = %s, uncertain_provider = '',"
                " lease_expires_at = NULL, next_attempt_at = NULL, failure_reason = '',"
                f" updated_at = %s, body = CASE WHEN %s THEN %s ELSE {table}.body END,"
                " provider_reference = batch.column2"
                f" FROM (VALUES {', '.join(['(%s, %s)'] * len(group))}) AS batch"
                f" WHERE {table}.id = batch.column1"
                f" RETURNING {table}.id, {table}.status"
            )
            params = [
                new_status.value,
                stamp,
                stamp if delivered else None,
                provider,
                "delivered" if delivered else "accepted",
                stamp,
                sensitive,
                "—",
            ]
            for notification in group:
                params += [notification.id, notification.provider_reference]
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                statuses = dict(cursor.fetchall())
            for notification in group:
                notification.status = statuses.get(notification.id, notification.status)
        ProviderMessage.objects.bulk_create(parts, ignore_conflicts=True)
    for notification, accepted in items:
        if accepted.delivered and notification.status == Status.DELIVERED:
            _on_delivered(notification)
    # Receipts that beat the answer (SMSCs can be faster than our write): one query for
    # the batch, which finds nothing almost always.
    by_provider: dict[str, list[str]] = {}
    for _notification, accepted in items:
        by_provider.setdefault(accepted.provider, []).extend(accepted.message_ids)
    for provider, message_ids in by_provider.items():
        _apply_unmatched_receipts(provider=provider, message_ids=message_ids)


def _retry_later(notification: Notification, error: GatewayError, *, states=None) -> None:
    """Schedule the next attempt of a message that failed for now, or give up.

    When the failure was its provider's (now recorded down), the message waits for the
    provider, not for a back-off of its own: it is due at the provider's next probe, or
    as soon as it answers. Otherwise (the mail server, a rate limit, a gateway bug) it
    backs off exponentially.
    """
    now = timezone.now()
    waiting = bool(states is not None and error.provider and states.is_down(error.provider))
    if waiting:
        next_attempt = max(
            states.next_try_at(now, only=notification.uncertain_provider or None),
            now + timedelta(seconds=error.retry_after or 0),
        )
    else:
        delay = max(retry_delay(notification.attempts), error.retry_after or 0)
        next_attempt = now + timedelta(seconds=delay)
    if notification.give_up_at and next_attempt >= notification.give_up_at:
        _fail(
            notification,
            Status.TECHNICAL_FAILURE,
            reason=f"gave up: {error.reason}"[:200],
            provider_status=error.provider_status,
        )
        return
    from .tasks import deliver_notification

    with transaction.atomic():
        moved = Notification.objects.filter(id=notification.id, status=Status.SENDING).update(
            status=Status.TEMPORARY_FAILURE,
            next_attempt_at=next_attempt,
            lease_expires_at=None,
            waiting_for_provider=waiting,
            uncertain_provider=notification.uncertain_provider,
            failure_reason=str(error.reason)[:200],
            provider_status=str(error.provider_status)[:60],
            updated_at=now,
        )
        if moved:
            deliver_notification.using(run_after=next_attempt).enqueue(
                notification_id=notification.id
            )
    notification.status = Status.TEMPORARY_FAILURE
    notification.next_attempt_at = next_attempt
    notification.waiting_for_provider = waiting


def _mark_sent_unconfirmed(notification: Notification, provider_status: str = "") -> None:
    now = timezone.now()
    Notification.objects.filter(id=notification.id, status=Status.SENDING).update(
        status=Status.SENT,
        provider=notification.uncertain_provider,
        provider_status=(provider_status or "no answer")[:60],
        failure_reason="the provider did not answer; not sent again to avoid a duplicate",
        lease_expires_at=None,
        sent_at=now,
        updated_at=now,
    )
    notification.status = Status.SENT


def _fail(notification: Notification, status: str, *, reason: str, provider_status: str = ""):
    now = timezone.now()
    moved = Notification.objects.filter(
        id=notification.id, status__in=[Status.SENDING, Status.SENT, Status.TEMPORARY_FAILURE]
    ).update(
        status=status,
        failed_at=now,
        lease_expires_at=None,
        next_attempt_at=None,
        provider=notification.provider,
        failure_reason=str(reason)[:200],
        provider_status=str(provider_status)[:60],
        body="—" if notification.sensitive else notification.body,
        updated_at=now,
    )
    notification.status = status
    if moved:
        _on_final_failure(notification)


def _deliver_email(notification: Notification) -> str:
    with translation.override(notification.language):
        html = render_to_string(
            "notifications/email.html",
            {"notification": notification, "direction": translation.get_language_bidi()},
        )
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        to=[notification.recipient],
        headers={"X-Mizan-Reference": notification.client_reference},
    )
    message.attach_alternative(html, "text/html")
    for attachment in notification.attachments or []:
        message.attach(attachment["filename"], attachment["content"], attachment["content_type"])
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        _fail(notification, Status.PERMANENT_FAILURE, reason=f"address refused: {error}"[:200])
        return notification.status
    except (smtplib.SMTPException, OSError) as error:
        _retry_later(notification, TemporaryGatewayError(f"mail server: {error}"[:200]))
        return notification.status
    now = timezone.now()
    Notification.objects.filter(id=notification.id, status=Status.SENDING).update(
        status=Status.SENT,
        provider="email",
        lease_expires_at=None,
        next_attempt_at=None,
        sent_at=now,
        updated_at=now,
    )
    notification.status = Status.SENT
    return notification.status


# --- providers down -------------------------------------------------------------------


def provider_probe_delay(failures: int) -> float:
    """How long a provider down is left alone after its `failures`-th failure in a row:
    the retry base, doubled each time, capped at a minute (by default) so that a provider
    that comes back gets its backlog within that."""
    base = settings.MIZAN_SMS_RETRY_BASE_SECONDS
    ceiling = min(
        settings.MIZAN_SMS_PROVIDER_PROBE_MAX_SECONDS, settings.MIZAN_SMS_RETRY_MAX_SECONDS
    )
    return min(ceiling, base * 2 ** min(max(failures - 1, 0), 30))


def _provider_health_locked(name: str) -> ProviderHealth:
    """The provider's row, locked until the caller's transaction ends (made if new)."""
    health = ProviderHealth.objects.select_for_update().filter(provider=name).first()
    if health is not None:
        return health
    try:
        with transaction.atomic():
            ProviderHealth.objects.create(provider=name, updated_at=timezone.now())
    except IntegrityError:
        pass  # another worker made it first
    return ProviderHealth.objects.select_for_update().get(provider=name)


def provider_mark_down(*, name: str, error: GatewayError):
    """Record that a provider refused for now or did not answer; returns its next probe.

    Every worker then skips it (`ProviderStates`) until then, and a dispatch is waiting
    for that time: the probe, and the messages that wait for it.
    """
    from .tasks import dispatch_notifications

    now = timezone.now()
    with transaction.atomic():
        health = _provider_health_locked(name)
        was_up = health.down_since is None
        health.failures += 1
        health.down_since = health.down_since or now
        delay = max(provider_probe_delay(health.failures), error.retry_after or 0)
        health.next_probe_at = now + timedelta(seconds=delay)
        health.last_error = str(error.reason)[:200]
        health.updated_at = now
        health.save()
        dispatch_notifications.using(run_after=health.next_probe_at).enqueue()
    if was_up:
        logger.warning(
            "SMS provider %s down (%s): asked again in %.0f s, by one message",
            name,
            error.reason,
            delay,
        )
    return health.next_probe_at


def provider_probe_claim(*, name: str) -> tuple[str, object]:
    """Take a provider's due probe for this message; returns what was found, and the
    next probe when another message holds it.

    A conditional UPDATE: of workers racing for the probe, one wins and holds it for a
    lease (`MIZAN_SMS_LEASE_SECONDS`, in case it dies while asking); the provider's
    answer then records it up or down again.
    """
    from .routing import PROBE_UP, PROBE_WAIT, PROBE_WON

    now = timezone.now()
    won = ProviderHealth.objects.filter(
        provider=name, down_since__isnull=False, next_probe_at__lte=now
    ).update(
        next_probe_at=now + timedelta(seconds=settings.MIZAN_SMS_LEASE_SECONDS), updated_at=now
    )
    if won:
        return PROBE_WON, None
    row = ProviderHealth.objects.filter(provider=name).values("down_since", "next_probe_at").first()
    if row is None or row["down_since"] is None:
        return PROBE_UP, None
    return PROBE_WAIT, row["next_probe_at"]


def provider_mark_up(*, name: str) -> int:
    """Record that a provider down answered again: every message waiting for it becomes
    due at once, with a dispatch to take them; returns how many."""
    now = timezone.now()
    with transaction.atomic():
        health = (
            ProviderHealth.objects.select_for_update()
            .filter(provider=name, down_since__isnull=False)
            .first()
        )
        if health is None:
            return 0
        ProviderHealth.objects.filter(id=health.id).update(
            failures=0, down_since=None, next_probe_at=None, updated_at=now
        )
        woken = (
            Notification.objects.filter(
                status=Status.TEMPORARY_FAILURE,
                channel=Notification.Channel.SMS,
                waiting_for_provider=True,
                next_attempt_at__gt=now,
            )
            .filter(Q(uncertain_provider="") | Q(uncertain_provider=name))
            .update(next_attempt_at=now, updated_at=now)
        )
        dispatch_ensure()
    logger.warning(
        "SMS provider %s answers again after %.0f s down; %s waiting messages due",
        name,
        (now - health.down_since).total_seconds(),
        woken,
    )
    return woken


# --- what a final outcome means for the case -----------------------------------------


def _on_final_failure(notification: Notification) -> None:
    if notification.case_id is None:
        return
    from mizan.cases.services import case_citizen_unreached

    case_citizen_unreached(case_id=notification.case_id, notification=notification)
    if notification.channel != Notification.Channel.SMS or notification.case_event_id is None:
        return
    case = notification.case
    if case.filer_email:
        # The e-mail copy of this step (queued with the SMS, or now if it was not).
        _email_queue(
            case=case,
            case_event=notification.case_event,
            template_key=notification.template_key,
            context=_context_for(case),
        )


def _on_delivered(notification: Notification) -> None:
    if notification.case_id is None or notification.channel != Notification.Channel.SMS:
        return
    from mizan.cases.services import case_citizen_reached

    case_citizen_reached(case_id=notification.case_id, notification=notification)


def _context_for(case) -> dict:
    from mizan.cases.services import notification_context

    return notification_context(case)


# --- receipts -------------------------------------------------------------------------


def notification_receipt(
    *,
    provider: str,
    message_id: str,
    status: str,
    provider_status: str = "",
    at=None,
    signature: str | None = None,
) -> str:
    """Record a provider's delivery receipt; returns its outcome (applied/ignored/unmatched).

    A duplicate, a late receipt or a replayed signed request changes nothing.
    """
    now = timezone.now()
    at = at or now
    if status not in RECEIPT_MOVES:
        raise ValueError(f"unknown receipt status {status!r}")
    try:
        with transaction.atomic():
            receipt = DeliveryReceipt.objects.create(
                provider=provider,
                message_id=message_id[:100],
                status=status,
                provider_status=str(provider_status)[:60],
                at=at,
                received_at=now,
                outcome=DeliveryReceipt.Outcome.UNMATCHED,
                signature=signature,
            )
    except IntegrityError:
        return DeliveryReceipt.Outcome.IGNORED  # the same signed request, replayed
    return _receipt_apply(receipt)


def _receipt_apply(receipt: DeliveryReceipt) -> str:
    with transaction.atomic():
        part = (
            ProviderMessage.objects.select_for_update()
            .filter(provider=receipt.provider, message_id=receipt.message_id)
            .first()
        )
        if part is None:
            return DeliveryReceipt.Outcome.UNMATCHED
        notification = Notification.objects.select_for_update().get(id=part.notification_id)
        # A receipt kept unmatched can be applied by two hands at once: the request that
        # brought it (the id recorded meanwhile) and the worker recording the id. Under
        # the part's lock, the second finds it applied and leaves its outcome alone.
        recorded = (
            DeliveryReceipt.objects.filter(id=receipt.id).values_list("outcome", flat=True).first()
        )
        if recorded is not None and recorded != DeliveryReceipt.Outcome.UNMATCHED:
            return recorded
        outcome = _receipt_move(notification, part, receipt)
        DeliveryReceipt.objects.filter(id=receipt.id).update(
            notification=notification, outcome=outcome
        )
    if outcome == DeliveryReceipt.Outcome.APPLIED:
        if notification.status == Status.DELIVERED:
            _on_delivered(notification)
        elif notification.status in (Status.PERMANENT_FAILURE, Status.TECHNICAL_FAILURE):
            _on_final_failure(notification)
    return outcome


def _receipt_move(notification: Notification, part: ProviderMessage, receipt) -> str:
    """Apply one receipt under the row locks; only forward moves count."""
    now = timezone.now()
    status = receipt.status
    if part.status == status or part.status in (Status.DELIVERED, Status.PERMANENT_FAILURE):
        return DeliveryReceipt.Outcome.IGNORED
    if part.status == PART_RETRIED and status != Status.DELIVERED:
        # The provider gave up on this part and the message went again as a new one: a
        # late or repeated receipt of the old part (aggregators post receipts again when
        # an answer was slow) must not send it a third time. Only its delivery counts.
        return DeliveryReceipt.Outcome.IGNORED
    part.status = status
    part.updated_at = now
    part.save(update_fields=["status", "updated_at"])

    if notification.status not in RECEIPT_MOVES[status]:
        return DeliveryReceipt.Outcome.IGNORED
    if status == Status.DELIVERED:
        undelivered = (
            ProviderMessage.objects.filter(notification=notification)
            .exclude(status__in=[Status.DELIVERED, PART_RETRIED])
            .exists()
        )
        if undelivered:
            return DeliveryReceipt.Outcome.APPLIED  # a part delivered; the rest will follow
        notification.status = Status.DELIVERED
        notification.delivered_at = receipt.at
    elif status == Status.PERMANENT_FAILURE:
        notification.status = Status.PERMANENT_FAILURE
        notification.failed_at = receipt.at
        notification.failure_reason = f"provider: {receipt.provider_status}"[:200]
    elif status == Status.TEMPORARY_FAILURE:
        # The provider gave up (phone off for days...): send it again later, as a new
        # message to the provider (a new client reference, or it would deduplicate it).
        delay = retry_delay(notification.attempts)
        next_attempt = now + timedelta(seconds=delay)
        if notification.give_up_at and next_attempt >= notification.give_up_at:
            notification.status = Status.TECHNICAL_FAILURE
            notification.failed_at = now
            notification.failure_reason = f"gave up: provider {receipt.provider_status}"[:200]
        else:
            from .tasks import deliver_notification

            notification.status = Status.TEMPORARY_FAILURE
            notification.next_attempt_at = next_attempt
            notification.waiting_for_provider = False  # the phone's, not the provider's
            # The parts of this attempt no longer decide whether the message arrived.
            ProviderMessage.objects.filter(notification=notification).update(
                status=PART_RETRIED, updated_at=now
            )
            notification.client_reference = client_reference_for(
                f"{notification.idempotency_key}:retry:{notification.attempts}"
            )
            deliver_notification.using(run_after=next_attempt).enqueue(
                notification_id=notification.id
            )
    elif status == Status.SENT:
        notification.status = Status.SENT
    notification.provider_status = str(receipt.provider_status)[:60]
    notification.save()
    return DeliveryReceipt.Outcome.APPLIED


def _apply_unmatched_receipts(*, provider: str, message_ids) -> None:
    waiting = DeliveryReceipt.objects.filter(
        provider=provider,
        message_id__in=list(message_ids),
        outcome=DeliveryReceipt.Outcome.UNMATCHED,
    ).order_by("received_at", "id")
    for receipt in waiting:
        _receipt_apply(receipt)


# --- recovery -------------------------------------------------------------------------


def notifications_recover(*, batch: int = 1000) -> dict:
    """Pick up what a dead worker or a lost race left behind. Safe to run anywhere, often.

    - a "sending" row whose lease expired (its worker died mid-send) is sent again;
    - a due row that nobody touched for a while gets a new task;
    - a receipt that arrived before its message's id was recorded is applied;
    - a message handed over long ago without a final receipt becomes a technical
      failure, so that the case shows the citizen was not reached.
    """
    from .tasks import deliver_notification

    now = timezone.now()
    counts = {"resumed": 0, "dispatched": 0, "receipts": 0, "unconfirmed": 0}
    orphaned = list(
        Notification.objects.filter(status=Status.SENDING, lease_expires_at__lt=now).values_list(
            "id", flat=True
        )[:batch]
    )
    for notification_id in orphaned:
        deliver_notification.enqueue(notification_id=notification_id)
    counts["resumed"] = len(orphaned)
    # Messages due for a while and not taken (the dispatch task that would have taken
    # them died with its worker, which django-tasks-db leaves "running"): one dispatch
    # takes them all. A dispatch already waiting makes this a no-op.
    overdue = now - timedelta(seconds=DISPATCH_OVERDUE_SECONDS)
    forgotten = Notification.objects.filter(
        status__in=[Status.QUEUED, Status.TEMPORARY_FAILURE], next_attempt_at__lt=overdue
    )
    if forgotten.exists():
        with transaction.atomic():
            dispatch_ensure()
        counts["dispatched"] = 1

    for receipt in DeliveryReceipt.objects.filter(
        outcome=DeliveryReceipt.Outcome.UNMATCHED, received_at__gt=now - timedelta(days=1)
    )[:batch]:
        if _receipt_apply(receipt) != DeliveryReceipt.Outcome.UNMATCHED:
            counts["receipts"] += 1

    silent_since = now - timedelta(seconds=settings.MIZAN_SMS_RECEIPT_WINDOW_SECONDS)
    for notification in Notification.objects.filter(
        status=Status.SENT, channel=Notification.Channel.SMS, sent_at__lt=silent_since
    )[:batch]:
        _fail(notification, Status.TECHNICAL_FAILURE, reason="no delivery receipt")
        counts["unconfirmed"] += 1
    return counts


# --- inbound SMS ----------------------------------------------------------------------

# Letters O and I typed for the digits 0 and 1 are read as digits, as on the tracking page.
REFERENCE_IN_TEXT = re.compile(
    r"[A-Z]{3}[\s-]*[0-9OI]{4}[\s-]*[0-9OI]{6,}[\s-]*[0-9A-Z]", re.IGNORECASE
)


def inbound_sms_receive(*, provider: str, sender: str, text: str) -> InboundSms:
    """Answer a citizen who texts a reference with the case's status.

    Only the phone number that filed the case gets an answer; anyone else gets none,
    so the service number cannot be used to learn about someone else's case.
    """
    from mizan.cases.services import case_status_reply

    now = timezone.now()
    inbound = InboundSms(
        provider=provider, sender=e164(sender)[:32], text=(text or "")[:1000], received_at=now
    )
    match = REFERENCE_IN_TEXT.search(text or "")
    if match is None:
        inbound.outcome = InboundSms.Outcome.NO_REFERENCE
        inbound.save()
        return inbound
    answered_lately = InboundSms.objects.filter(
        sender=inbound.sender,
        outcome=InboundSms.Outcome.ANSWERED,
        received_at__gt=now - timedelta(hours=1),
    ).count()
    if answered_lately >= settings.MIZAN_INBOUND_MAX_REPLIES_PER_HOUR:
        inbound.outcome = InboundSms.Outcome.RATE_LIMITED
        inbound.save()
        return inbound
    with transaction.atomic():
        inbound.outcome = InboundSms.Outcome.NOT_FOUND
        inbound.save()
        reply = case_status_reply(reference=match.group(0), phone=inbound.sender, inbound=inbound)
        if reply is not None:
            inbound.case_id = reply.case_id
            inbound.reply = reply
            inbound.outcome = InboundSms.Outcome.ANSWERED
            inbound.save(update_fields=["case", "reply", "outcome"])
    return inbound


# --- templates edited by an administrator ---------------------------------------------


def message_template_problems(*, key: str, language: str, body: str) -> list[str]:
    """What is wrong with a wording, in words an administrator can act on."""
    from django.utils.translation import gettext as _

    from .messages import SAMPLE_CONTEXT, placeholders

    if key not in MESSAGES:
        return [_("Unknown message.")]
    problems = []
    expected = placeholders(MESSAGES[key])
    used = placeholders(body)
    if missing := sorted(expected - used):
        problems.append(
            _("Keep these placeholders: %(names)s.")
            % {"names": ", ".join(f"%({name})s" for name in missing)}
        )
    if unknown := sorted(used - expected):
        problems.append(
            _("These placeholders do not exist for this message: %(names)s.")
            % {"names": ", ".join(f"%({name})s" for name in unknown)}
        )
    stray = re.sub(r"%\(\w+\)[sd]|%%", "", body)
    if "%" in stray:
        problems.append(_("Write a percent sign as %%."))
    if not problems:
        shape = sms_shape(body % SAMPLE_CONTEXT)
        if shape.segments > settings.MIZAN_SMS_MAX_SEGMENTS:
            problems.append(
                _(
                    "Too long: %(segments)s SMS segments with typical values, "
                    "the limit is %(limit)s. Shorten it."
                )
                % {"segments": shape.segments, "limit": settings.MIZAN_SMS_MAX_SEGMENTS}
            )
    return problems


def message_template_save(*, key: str, language: str, body: str, user=None) -> MessageTemplate:
    """Save a new version of a wording; raises DomainError listing what to fix."""
    from mizan.core.audit import audit_record
    from mizan.core.errors import DomainError

    problems = message_template_problems(key=key, language=language, body=body)
    if problems:
        raise DomainError(" ".join(problems), code="template_invalid", field="body")
    now = timezone.now()
    with transaction.atomic():
        template = (
            MessageTemplate.objects.select_for_update().filter(key=key, language=language).first()
        )
        if template is None:
            template = MessageTemplate(key=key, language=language, version=0)
        template.body = body
        template.version += 1
        template.updated_at = now
        template.updated_by = user
        template.save()
        audit_record(
            action="message_template.saved",
            object_type="message_template",
            object_id=f"{key}:{language}",
            actor=user,
            data={"version": template.version, "body": body},
        )
    return template


def message_preview(*, key: str, language: str, body: str | None = None) -> tuple[str, object]:
    """The wording with typical values, and its SMS shape (encoding, segments)."""
    from .messages import SAMPLE_CONTEXT

    if body is None:
        rendered = message_render(template_key=key, language=language, context=SAMPLE_CONTEXT)
        text = rendered.body
    else:
        text = body % SAMPLE_CONTEXT
    return text, sms_shape(text)
