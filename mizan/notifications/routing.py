"""Which provider sends a message: the primary, else the fallbacks, within their rates.

Providers come from `MIZAN_SMS_GATEWAYS` (primary first). A provider that certainly did
not take a message (refused, throttled, down) is skipped for the next one, and recorded
down for every worker (`ProviderHealth`): it is then asked again by one message at a
time, when its back-off says so, while the others go to a provider that answers; a provider
that may have taken it (`UncertainGatewayError`) is the only one ever asked again for
that message, so a citizen never gets the same SMS through two providers.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

from .gateways import (
    Accepted,
    ConsoleGateway,
    OutboundSms,
    PermanentGatewayError,
    TemporaryGatewayError,
    UncertainGatewayError,
)

logger = logging.getLogger("mizan.sms")

# What `provider_probe_claim` found: this message probes the provider, another one does
# (wait), or it was marked up meanwhile.
PROBE_WON = "probe"
PROBE_WAIT = "wait"
PROBE_UP = "up"


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


class ProvidersDown(TemporaryGatewayError):
    """No provider was asked: every one this message may go to is down and another
    message holds (or will soon make) its probe. Not an attempt of this message."""


@dataclass
class ProviderStates:
    """The providers known down (`ProviderHealth`) and when each may be probed.

    Read once per batch, and kept up to date with what this worker sees, so that the
    messages of a batch cost no query each to find their provider down.
    """

    next_probe: dict[str, datetime | None] = field(default_factory=dict)

    @classmethod
    def load(cls, *, lock: bool = False) -> ProviderStates:
        """Read them; `lock` keeps the rows of the providers down locked until the
        caller's transaction ends (a provider being marked up is then seen up)."""
        from .models import ProviderHealth

        rows = ProviderHealth.objects.filter(down_since__isnull=False)
        if lock:
            rows = rows.select_for_update().order_by("provider")
        return cls(dict(rows.values_list("provider", "next_probe_at")))

    def is_down(self, name: str) -> bool:
        return name in self.next_probe

    def probe_due(self, name: str, now: datetime) -> bool:
        at = self.next_probe.get(name)
        return at is None or at <= now

    def mark_down(self, name: str, next_probe_at: datetime | None) -> None:
        self.next_probe[name] = next_probe_at

    def mark_up(self, name: str) -> None:
        self.next_probe.pop(name, None)

    def blocked(self, now: datetime) -> set[str]:
        """The providers down whose next probe has not come."""
        return {name for name in self.next_probe if not self.probe_due(name, now)}

    def next_try_at(self, now: datetime, *, only: str | None = None) -> datetime:
        """When a message (bound to `only`, or free to go to any provider) may next be
        handed to a provider: now if one is up or due for a probe."""
        names = [only] if only else [config.name for config in provider_configs()]
        waits = []
        for name in names:
            if self.probe_due(name, now):
                return now
            waits.append(self.next_probe[name])
        return min(waits)

    def first_choice(self, now: datetime) -> str:
        """The provider a message claimed now will most likely go to."""
        configs = provider_configs()
        for config in configs:
            if not self.is_down(config.name):
                return config.name
        for config in configs:
            if self.probe_due(config.name, now):
                return config.name
        return configs[0].name


def candidate_providers(*, only: str | None = None) -> list[ProviderConfig]:
    """The providers to try, in order (the one that may hold the message, if any)."""
    configs = provider_configs()
    if only is not None:
        return [config for config in configs if config.name == only] or configs[:1]
    return configs


def sms_send(
    sms: OutboundSms,
    *,
    only: str | None = None,
    on_attempt=None,
    states: ProviderStates | None = None,
) -> tuple[Accepted, ProviderConfig]:
    """Send through the first provider that takes the message.

    A provider known down is skipped, unless its next probe is due and this message
    wins it (`provider_probe_claim`): then it is asked, in its place in the order, so
    that a primary that came back gets its traffic again. A provider that refuses for
    now, or does not answer, is recorded down (`provider_mark_down`); one that answers,
    even "invalid number", is recorded up (`provider_mark_up`).

    `on_attempt(config)` is called before each provider is asked, so that the caller
    can record who may hold the message if this process dies during the call.
    Raises `ProvidersDown` when no provider was asked, the last `TemporaryGatewayError`
    when every provider asked refused, `PermanentGatewayError` at once, and
    `UncertainGatewayError` at once.
    """
    from .services import provider_mark_down, provider_mark_up, provider_probe_claim

    if states is None:
        states = ProviderStates.load()
    last_error: TemporaryGatewayError | None = None
    waiting_for: list[str] = []
    for config in candidate_providers(only=only):
        if states.is_down(config.name) and not states.probe_due(config.name, timezone.now()):
            waiting_for.append(config.name)
            continue
        if not rate_limit_acquire(config):
            last_error = TemporaryGatewayError(
                "rate limit reached", provider=config.name, retry_after=1.0
            )
            continue
        probing = False
        if states.is_down(config.name):
            outcome, next_probe_at = provider_probe_claim(name=config.name)
            if outcome == PROBE_WAIT:
                states.mark_down(config.name, next_probe_at)
                waiting_for.append(config.name)
                continue
            if outcome == PROBE_UP:
                states.mark_up(config.name)
            probing = outcome == PROBE_WON
        if on_attempt is not None:
            on_attempt(config)
        try:
            accepted = gateway_for(config.name).send_sms(sms)
        except TemporaryGatewayError as error:
            error.provider = error.provider or config.name
            states.mark_down(config.name, provider_mark_down(name=config.name, error=error))
            logger.warning(
                "SMS provider %s refused %s: %s", config.name, sms.client_reference, error
            )
            last_error = error
            continue
        except PermanentGatewayError as error:
            error.provider = error.provider or config.name
            if states.is_down(config.name):
                provider_mark_up(name=config.name)
                states.mark_up(config.name)
            raise
        except UncertainGatewayError as error:
            # No answer: as good as down for the next messages (a provider that hangs
            # would otherwise cost each of them a time-out).
            error.provider = error.provider or config.name
            states.mark_down(config.name, provider_mark_down(name=config.name, error=error))
            raise
        except Exception as error:
            if probing:  # a gateway bug: let the probe go, or it is held for a lease
                failure = TemporaryGatewayError(f"gateway error: {error!r}"[:200], config.name)
                states.mark_down(config.name, provider_mark_down(name=config.name, error=failure))
            raise
        if states.is_down(config.name):
            provider_mark_up(name=config.name)
            states.mark_up(config.name)
        return accepted, config
    if last_error is None:
        raise ProvidersDown(
            "every provider is down, waiting for its next probe",
            provider=",".join(waiting_for),
        )
    raise last_error
