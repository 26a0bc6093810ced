from django.conf import settings
from django.core.checks import Error, register
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
