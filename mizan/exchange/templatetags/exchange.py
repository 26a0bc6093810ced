from django import template

from mizan.accounts.models import Membership, Role, Unit

register = template.Library()


@register.filter
def works_in_exchange(user) -> bool:
    """Whether the back-office menu offers the exchange: registry and office members."""
    if not getattr(user, "is_authenticated", False):
        return False
    if hasattr(user, "office_membership"):
        return True
    return (
        Membership.objects.filter(user=user, unit__kind=Unit.Kind.COURT_REGISTRY)
        .exclude(role=Role.AUDITOR)
        .exists()
    )
