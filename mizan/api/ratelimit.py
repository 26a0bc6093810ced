"""Request budgets per caller, counted in the shared cache.

Fixed windows: one counter per caller and window, created with `add` and bumped with
`incr`, both atomic on every cache Django ships (and on Redis or memcached shared by all
app servers), so concurrent requests never slip past the limit together.
"""

import hashlib
import math
import time

from django.core.cache import cache


def rate_limit_wait(*, scope: str, ident: str, limit: int, window: int = 60) -> int:
    """Count one request; 0 when within the budget, else the seconds until it renews."""
    if limit <= 0:
        return 0
    now = time.time()
    start = int(now // window) * window
    # Hashed: a cache key must not carry spaces or control characters (memcached).
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    key = f"mizan-api-rate:{scope}:{digest}:{start}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        return max(1, math.ceil(start + window - now))
    return 0
