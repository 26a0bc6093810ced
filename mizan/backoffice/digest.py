"""The unit heads' daily digest: what is overdue in their unit, by e-mail."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from mizan.accounts.models import Membership, Role, Unit
from mizan.cases.models import Case

LISTED = 20


def overdue_digest_send(*, now=None, language: str | None = None) -> int:
    """E-mail each unit head the overdue cases of their unit (oldest deadline first);
    returns the number of e-mails sent. Units with nothing overdue send nothing."""
    now = now or timezone.now()
    language = language or settings.LANGUAGE_CODE
    sent = 0
    heads = (
        Membership.objects.filter(role=Role.UNIT_HEAD, user__is_active=True)
        .exclude(user__email="")
        .select_related("user", "unit")
    )
    by_unit: dict[int, list] = {}
    for membership in heads:
        by_unit.setdefault(membership.unit_id, []).append(membership.user)
    for unit in Unit.objects.filter(pk__in=by_unit).select_related("court", "region"):
        overdue = Case.objects.filter(unit=unit, due_at__lt=now, closed_at__isnull=True)
        total = overdue.count()
        if not total:
            continue
        cases = list(
            overdue.order_by("due_at").only("reference", "status", "procedure", "due_at")[:LISTED]
        )
        with translation.override(language):
            context = {
                "unit": unit,
                "total": total,
                "cases": cases,
                "more": total - len(cases),
                "queue_url": (
                    f"{settings.SITE_URL}{reverse('backoffice:queue')}?quick=overdue&unit={unit.pk}"
                ),
                "site_url": settings.SITE_URL,
                "language": language,
                "rtl": translation.get_language_bidi(),
            }
            subject = ngettext(
                "Mizan: %(count)s overdue case in %(unit)s",
                "Mizan: %(count)s overdue cases in %(unit)s",
                total,
            ) % {"count": total, "unit": unit}
            text = render_to_string("backoffice/digest.txt", context)
            html = render_to_string("backoffice/digest.html", context)
        message = EmailMultiAlternatives(
            subject=subject, body=text, to=[user.email for user in by_unit[unit.pk]]
        )
        message.attach_alternative(html, "text/html")
        message.send()
        sent += 1
    return sent
