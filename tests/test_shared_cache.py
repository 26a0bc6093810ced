"""Several app server processes share one budget when the cache is shared (Redis):
the API's rate limits are counted once for the platform, not once per process."""

import os
import socket
import subprocess
import sys
import time
import uuid
from urllib.parse import urlparse

import pytest
from django.conf import settings

REDIS_URL = os.environ.get("MIZAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
COUNT = """
import django
django.setup()
from mizan.api.ratelimit import rate_limit_wait
allowed = sum(
    rate_limit_wait(scope="shared-test", ident="{ident}", limit={limit}, window=60) == 0
    for _ in range({tries})
)
print(allowed)
"""


@pytest.fixture
def redis_url():
    address = urlparse(REDIS_URL)
    try:
        socket.create_connection((address.hostname, address.port or 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379 (scripts/redis-setup starts one; CI runs it)")
    return REDIS_URL


def test_a_rate_limit_holds_across_app_server_processes(redis_url):
    # Three processes at once, 40 requests each, against a budget of 50 a minute.
    limit, tries, processes = 50, 40, 3
    # The counters are per minute: start well inside one so that all share it.
    if time.time() % 60 > 45:
        time.sleep(61 - time.time() % 60)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MIZAN_")}
    env = {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "MIZAN_SECRET_KEY": "shared-cache-test-secret-key-" + "x" * 30,
        "MIZAN_CACHE_URL": redis_url,
    }
    code = COUNT.format(ident=uuid.uuid4().hex, limit=limit, tries=tries)
    running = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    allowed = []
    for process in running:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        allowed.append(int(out.strip()))
    assert sum(allowed) == limit, allowed
