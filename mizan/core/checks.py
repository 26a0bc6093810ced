from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

MISSING_SECRET = "Set MIZAN_SECRET_KEY (or MIZAN_DEBUG=true for development)."


@register(deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    if settings.SECRET_KEY_MISSING:
        return [Error(MISSING_SECRET, id="mizan.E001")]
    return []


def require_secret_key() -> None:
    """Called by the server entry points (which run no system checks): no key, no start."""
    if settings.SECRET_KEY_MISSING:
        raise ImproperlyConfigured(MISSING_SECRET)


@register(deploy=True)
def sms_reach_citizens(app_configs, **kwargs):
    """In production, SMS must go to a real provider, and receipts need their secret."""
    problems = []
    gateways = settings.MIZAN_SMS_GATEWAYS
    if all(entry.get("kind") == "console" for entry in gateways):
        problems.append(
            Warning(
                "MIZAN_SMS_GATEWAYS only has the console gateway: no SMS reaches anyone.",
                hint="List the SMS providers (http-json, kannel, smpp); see docs/notifications.md.",
                id="mizan.W002",
            )
        )
    for entry in gateways:
        if entry.get("kind") == "http-json" and not entry.get("webhook_secret"):
            problems.append(
                Warning(
                    f"SMS provider {entry.get('name')!r} has no webhook_secret: "
                    "its delivery receipts will be refused.",
                    id="mizan.W003",
                )
            )
    return problems
