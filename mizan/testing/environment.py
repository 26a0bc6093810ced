"""Loaded by pytest before Django (see `addopts` in pyproject.toml)."""

import os

# Tests run with production-like settings (DEBUG off); only the key is a test one.
os.environ.setdefault("MIZAN_SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
os.environ.setdefault("MIZAN_SECURE_COOKIES", "false")
os.environ.setdefault("MIZAN_DEV_OUTBOX", "false")
os.environ.setdefault("MIZAN_COLLECTED_STATIC", "false")
