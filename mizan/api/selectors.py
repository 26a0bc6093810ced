"""What a signed-in phone, or a partner's key, may read, page by page.

The visibility rule is the citizen space's (`mizan.cases.selectors.cases_for_phone`):
requests filed with the phone, or naming it as the person concerned. It is repeated here
as a query that pages by cursor (that selector stops at 200 rows); a test checks that
both always agree.
"""

from datetime import datetime

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from mizan.appointments.models import Booking
from mizan.appointments.selectors import bookings_for_phone_page
from mizan.cases.models import Case
from mizan.core import references
from mizan.core.errors import DomainError
from mizan.exchange.models import ExchangeFile
from mizan.exchange.selectors import file_for_user, office_inbox
from mizan.exchange.workflow import OFFICE
from mizan.notifications.models import Notification

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def cases_visible_to_phone(*, phone: str) -> QuerySet[Case]:
    return Case.objects.filter(Q(filer_phone=phone) | Q(details__concerned__phone=phone))


def case_for_phone(*, phone: str, reference: str) -> Case | None:
    """The request if this phone may see it; None otherwise — whether it does not exist
    or belongs to someone else is not told (the API answers 404 to both)."""
    canonical = references.canonical(reference)
    if canonical is None:
        return None
    return (
        cases_visible_to_phone(phone=phone)
        .filter(reference=canonical)
        .select_related("unit", "unit__court", "unit__region")
        .first()
    )


def _cursor_salt(kind: str, phone: str) -> str:
    # Bound to the phone: a cursor is useless to anyone else, and says nothing to them.
    return f"mizan.api.cursor:{kind}:{phone}"


def cursor_encode(*, kind: str, phone: str, at: datetime, pk: int) -> str:
    return signing.dumps([at.isoformat(), pk], salt=_cursor_salt(kind, phone), compress=True)


def cursor_decode(*, kind: str, phone: str, cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        at, pk = signing.loads(cursor, salt=_cursor_salt(kind, phone))
        return datetime.fromisoformat(at), int(pk)
    except (signing.BadSignature, ValueError, TypeError):
        raise DomainError(
            _("This page link is not valid: start again from the first page."),
            code="invalid_cursor",
            field="cursor",
        ) from None


def _page(rows: QuerySet, *, field: str, after, limit: int) -> tuple[list, bool]:
    """Newest first, strictly after the cursor's row: (items, whether more follow)."""
    if after is not None:
        at, pk = after
        rows = rows.filter(Q(**{f"{field}__lt": at}) | Q(**{field: at, "id__lt": pk}))
    items = list(rows.order_by(f"-{field}", "-id")[: limit + 1])
    return items[:limit], len(items) > limit


def cases_page(*, phone: str, cursor: str | None, limit: int) -> tuple[list[Case], str | None]:
    after = cursor_decode(kind="requests", phone=phone, cursor=cursor)
    rows = cases_visible_to_phone(phone=phone).select_related("unit")
    items, more = _page(rows, field="submitted_at", after=after, limit=limit)
    following = (
        cursor_encode(kind="requests", phone=phone, at=items[-1].submitted_at, pk=items[-1].pk)
        if more
        else None
    )
    return items, following


def bookings_page(
    *, phone: str, cursor: str | None, limit: int
) -> tuple[list[Booking], str | None]:
    """The phone's appointments, newest first (`mizan.appointments.selectors`), with the
    cursor of the next page."""
    after = cursor_decode(kind="appointments", phone=phone, cursor=cursor)
    items, more = bookings_for_phone_page(phone=phone, after=after, limit=limit)
    following = (
        cursor_encode(kind="appointments", phone=phone, at=items[-1].created_at, pk=items[-1].pk)
        if more
        else None
    )
    return items, following


def notifications_page(
    *, phone: str, cursor: str | None, limit: int
) -> tuple[list[Notification], str | None]:
    """The SMS sent to this phone about requests (one-time codes have no case: never
    listed), as `mizan.cases.selectors.messages_for_phone` chooses them."""
    after = cursor_decode(kind="notifications", phone=phone, cursor=cursor)
    rows = Notification.objects.filter(
        recipient=phone, channel=Notification.Channel.SMS, case__isnull=False
    ).select_related("case")
    items, more = _page(rows, field="created_at", after=after, limit=limit)
    following = (
        cursor_encode(kind="notifications", phone=phone, at=items[-1].created_at, pk=items[-1].pk)
        if more
        else None
    )
    return items, following


# --- partners: a commissaire's office ---------------------------------------------------


def _partner_owner(office_id: int) -> str:
    # Cursors of an office's key bind to the office, never to a phone ("+…").
    return f"partner-office:{office_id}"


def partner_files_page(
    *,
    caller,
    status: str | None,
    overdue: bool | None,
    cursor: str | None,
    limit: int,
    changed_since: datetime | None = None,
) -> tuple[list[ExchangeFile], str | None]:
    """The files of the key's office (its inbox, as the office's members see it), newest
    first, with `overdue`; `overdue` true or false keeps only the files that are, or are
    not, overdue. With `changed_since`, only the files whose last step is at or after
    that instant, oldest change first (`partner_changes_page`)."""
    owner = _partner_owner(caller.office.pk)
    rows = office_inbox(user=caller.user, status=status or "").filter(office=caller.office)
    if overdue is not None:
        rows = rows.filter(overdue=overdue)
    if changed_since is not None:
        return _partner_changes_page(
            rows, owner=owner, changed_since=changed_since, cursor=cursor, limit=limit
        )
    after = cursor_decode(kind="partner_files", phone=owner, cursor=cursor)
    items, more = _page(rows, field="sent_at", after=after, limit=limit)
    following = (
        cursor_encode(kind="partner_files", phone=owner, at=items[-1].sent_at, pk=items[-1].pk)
        if more
        else None
    )
    return items, following


def _partner_changes_page(
    rows: QuerySet[ExchangeFile],
    *,
    owner: str,
    changed_since: datetime,
    cursor: str | None,
    limit: int,
) -> tuple[list[ExchangeFile], str | None]:
    """Oldest change first, ties by id: a file changed again while the pages are read
    moves to the end, so it is met again rather than missed. Its own kind of cursor: a
    page link of the newest-first list is no position in this one."""
    after = cursor_decode(kind="partner_changes", phone=owner, cursor=cursor)
    rows = rows.filter(changed_at__gte=changed_since)
    if after is not None:
        at, pk = after
        # The `>=` alone is what PostgreSQL can seek to in the (office, changed_at, id)
        # index; the OR then only skips the rows of that same instant already read.
        rows = rows.filter(changed_at__gte=at).filter(
            Q(changed_at__gt=at) | Q(changed_at=at, id__gt=pk)
        )
    found = list(rows.order_by("changed_at", "id")[: limit + 1])
    items = found[:limit]
    following = (
        cursor_encode(kind="partner_changes", phone=owner, at=items[-1].changed_at, pk=items[-1].pk)
        if len(found) > limit
        else None
    )
    return items, following


def partner_file(*, caller, reference: str) -> ExchangeFile | None:
    """The file if it is assigned to the key's office; None otherwise — unknown, or
    another office's, or a court's (its member may also sit in a registry): not told."""
    visible = file_for_user(user=caller.user, reference=reference)
    if visible is None or visible.side != OFFICE or visible.file.office_id != caller.office.pk:
        return None
    return visible.file
