"""Which provider sends a message: the primary, else the fallbacks, within their rates.

Providers come from `MIZAN_SMS_GATEWAYS` (primary first). A provider that certainly did
not take a message (refused, throttled, down) is skipped for the next one; a provider
that may have taken it (`UncertainGatewayError`) is the only one ever asked again for
that message, so a citizen never gets the same SMS through two providers.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.signals import setting_changed
from django.dispatch import receiver

from .gateways import (
    Accepted,
    ConsoleGateway,
    OutboundSms,
    PermanentGatewayError,
    TemporaryGatewayError,
    UncertainGatewayError,
)

logger = logging.getLogger("mizan.sms")

# After this many temporary failures in a row, a provider is skipped for a while, so that
# a provider that hangs does not make every message wait for its time-out.
BREAKER_THRESHOLD = 5
BREAKER_SECONDS = 30.0


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    kind: str
    rate: float | None = None  # messages per second, across every worker
    cost: Decimal = Decimal("0")  # estimated price of one segment, in dirhams
    options: dict = field(default_factory=dict)


def _gateway_class(kind: str):
    if kind == "console":
        return ConsoleGateway
    if kind == "http-json":
        from .http_gateways import JsonHttpGateway

        return JsonHttpGateway
    if kind == "kannel":
        from .http_gateways import KannelGateway

        return KannelGateway
    if kind == "smpp":
        from .smpp import SmppGateway

        return SmppGateway
    raise ValueError(f"unknown SMS gateway kind {kind!r} (console, http-json, kannel, smpp)")


def provider_configs() -> list[ProviderConfig]:
    configs = []
    for entry in settings.MIZAN_SMS_GATEWAYS:
        entry = dict(entry)
        name = entry.pop("name")
        kind = entry.pop("kind")
        rate = entry.pop("rate", None)
        cost = Decimal(str(entry.pop("cost", "0")))
        configs.append(
            ProviderConfig(
                name=name,
                kind=kind,
                rate=float(rate) if rate else None,
                cost=cost,
                options=entry,
            )
        )
    if not configs:
        raise ValueError("MIZAN_SMS_GATEWAYS lists no provider")
    return configs


def provider_config(name: str) -> ProviderConfig | None:
    return next((config for config in provider_configs() if config.name == name), None)


_gateways: dict[str, object] = {}
_gateways_lock = threading.Lock()


def gateway_for(name: str):
    """One gateway object per provider and process: SMPP keeps its bound connection."""
    with _gateways_lock:
        gateway = _gateways.get(name)
        if gateway is None:
            config = provider_config(name)
            if config is None:
                raise ValueError(f"no SMS provider named {name!r} in MIZAN_SMS_GATEWAYS")
            gateway = _gateway_class(config.kind)(name=config.name, options=config.options)
            _gateways[name] = gateway
        return gateway


def gateway_close_all() -> None:
    """Close every open gateway (SMPP unbinds); the next send opens them again."""
    with _gateways_lock:
        gateways = list(_gateways.values())
        _gateways.clear()
    with _breakers_lock:
        _breakers.clear()
    for gateway in gateways:
        close = getattr(gateway, "close", None)
        if close is not None:
            close()


@receiver(setting_changed)
def _forget_gateways(*, setting, **kwargs):
    if setting == "MIZAN_SMS_GATEWAYS":
        gateway_close_all()


def rate_limit_acquire(config: ProviderConfig, *, wait: float = 1.0) -> bool:
    """Take one slot of the provider's per-second budget, waiting up to `wait` seconds.

    Counted in the cache (a fixed one-second window): shared by every worker when the
    cache is shared (Redis, database), per process with the local-memory default.
    """
    if not config.rate:
        return True
    deadline = time.monotonic() + wait
    while True:
        second = int(time.time())
        key = f"sms-rate:{config.name}:{second}"
        django_cache.add(key, 0, timeout=5)
        try:
            used = django_cache.incr(key)
        except ValueError:  # evicted between add and incr
            used = 1
            django_cache.set(key, used, timeout=5)
        if used <= config.rate:
            return True
        pause = (second + 1) - time.time()
        if time.monotonic() + pause > deadline:
            return False
        time.sleep(max(pause, 0.001))


@dataclass
class _Breaker:
    failures: int = 0
    open_until: float = 0.0


_breakers: dict[str, _Breaker] = {}
_breakers_lock = threading.Lock()


def _breaker_open(name: str) -> bool:
    with _breakers_lock:
        breaker = _breakers.get(name)
        return breaker is not None and breaker.open_until > time.monotonic()


def _breaker_record(name: str, *, ok: bool) -> None:
    with _breakers_lock:
        breaker = _breakers.setdefault(name, _Breaker())
        if ok:
            breaker.failures = 0
            breaker.open_until = 0.0
            return
        breaker.failures += 1
        if breaker.failures >= BREAKER_THRESHOLD:
            breaker.open_until = time.monotonic() + BREAKER_SECONDS
            logger.warning("SMS provider %s skipped for %ss after failures", name, BREAKER_SECONDS)


def candidate_providers(*, only: str | None = None) -> list[ProviderConfig]:
    """The providers to try, in order; a provider whose breaker is open goes last."""
    configs = provider_configs()
    if only is not None:
        return [config for config in configs if config.name == only] or configs[:1]
    healthy = [config for config in configs if not _breaker_open(config.name)]
    tripped = [config for config in configs if _breaker_open(config.name)]
    return healthy + tripped


def sms_send(
    sms: OutboundSms, *, only: str | None = None, on_attempt=None
) -> tuple[Accepted, ProviderConfig]:
    """Send through the first provider that takes the message.

    `on_attempt(config)` is called before each provider is asked, so that the caller
    can record who may hold the message if this process dies during the call.
    Raises the last `TemporaryGatewayError` when every provider refused,
    `PermanentGatewayError` at once, and `UncertainGatewayError` at once.
    """
    last_error: TemporaryGatewayError | None = None
    for config in candidate_providers(only=only):
        if not rate_limit_acquire(config):
            last_error = TemporaryGatewayError(
                "rate limit reached", provider=config.name, retry_after=1.0
            )
            continue
        if on_attempt is not None:
            on_attempt(config)
        try:
            accepted = gateway_for(config.name).send_sms(sms)
        except TemporaryGatewayError as error:
            error.provider = error.provider or config.name
            _breaker_record(config.name, ok=False)
            logger.warning(
                "SMS provider %s refused %s: %s", config.name, sms.client_reference, error
            )
            last_error = error
            continue
        except PermanentGatewayError as error:
            error.provider = error.provider or config.name
            _breaker_record(config.name, ok=True)
            raise
        except UncertainGatewayError as error:
            error.provider = error.provider or config.name
            _breaker_record(config.name, ok=False)
            raise
        _breaker_record(config.name, ok=True)
        return accepted, config
    assert last_error is not None
    raise last_error
