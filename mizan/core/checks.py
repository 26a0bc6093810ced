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


@register(deploy=True)
def uploads_are_scanned(app_configs, **kwargs):
    """Production uploads should go through clamd; without it each is kept "not scanned"."""
    from mizan.documents.scanning import clamd_target

    try:
        target = clamd_target()
    except ValueError as error:
        return [Warning(f"{error}: uploads are kept as 'scan failed'.", id="mizan.W005")]
    if target is None:
        return [
            Warning(
                "No malware scanner: uploaded documents are kept as 'not scanned'.",
                hint="Set MIZAN_CLAMD_SOCKET or MIZAN_CLAMD_ADDRESS; see docs/documents.md.",
                id="mizan.W005",
            )
        ]
    return []


@register(deploy=True)
def receipts_have_their_own_key(app_configs, **kwargs):
    """Without its own key, the receipt key is derived from SECRET_KEY: changing
    SECRET_KEY would then make every receipt already issued fail verification."""
    if settings.MIZAN_RECEIPT_SIGNING_KEY:
        return []
    return [
        Warning(
            "MIZAN_RECEIPT_SIGNING_KEY is not set: receipts are signed with a key derived "
            "from MIZAN_SECRET_KEY, and changing that secret would make every receipt "
            "already issued fail verification.",
            hint="Set MIZAN_RECEIPT_SIGNING_KEY; see docs/receipts.md.",
            id="mizan.W004",
        )
    ]


@register()
def receipt_keys_are_valid(app_configs, **kwargs):
    from mizan.receipts.keys import configuration_errors

    return [
        Error(problem, hint="See docs/receipts.md.", id="mizan.E002")
        for problem in configuration_errors()
    ]


@register(deploy=True)
def cache_is_shared(app_configs, **kwargs):
    """Rate limits, SMS throttles and lock-outs are counted in the cache: a cache of one
    process lets each app server process (and each machine) count on its own."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("locmem.LocMemCache", "dummy.DummyCache")):
        return [
            Warning(
                "The cache is local to each process: with several app server processes, "
                "rate limits and SMS throttles are counted per process, not per platform.",
                hint="Set MIZAN_CACHE_URL=redis://…; see docs/operations.md.",
                id="mizan.W006",
            )
        ]
    return []
