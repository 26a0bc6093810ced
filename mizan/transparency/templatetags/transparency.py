from django import template

from mizan.transparency.charts import percent_text

register = template.Library()


@register.filter
def percent(share: float | None) -> str:
    """0.456 -> "46 %" in the page's number format; "—" when there is no share."""
    return percent_text(share)
