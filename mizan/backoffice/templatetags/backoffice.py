from django import template

from mizan.accounts.models import Membership, Role

register = template.Library()


@register.filter
def heads_a_unit(user) -> bool:
    """Whether the staff menu offers the unit's settings (its heads only)."""
    return (
        user.is_authenticated and Membership.objects.filter(user=user, role=Role.UNIT_HEAD).exists()
    )
