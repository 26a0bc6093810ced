from django import template

from mizan.api.services import partner_key_manageable

register = template.Library()


@register.filter
def manages_partner_keys(user, office) -> bool:
    """Whether the exchange pages offer `user` the office's API keys (its commissaire)."""
    return office is not None and partner_key_manageable(user=user, office=office)
