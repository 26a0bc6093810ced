"""Rotation under concurrency, on a real PostgreSQL: simultaneous files take turns."""

from collections import Counter

import pytest
from django.db import connection

from mizan.exchange.models import ExchangeFile

from .exchange_factories import office, registry_clerk, send_file
from .test_concurrency import run_together

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (set DATABASE_URL)"
)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_rotation_assignments_spread_evenly(reference_data, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    clerk = registry_clerk("greffe.casa")
    offices = [office(f"CDJ-CASA-{n}") for n in range(1, 5)]
    rounds = 3
    results = run_together([lambda: send_file(clerk) for _ in range(len(offices) * rounds)])
    failures = [r for r in results if isinstance(r, Exception)]
    assert failures == []
    spread = Counter(ExchangeFile.objects.values_list("office__registration_number", flat=True))
    assert spread == {o.registration_number: rounds for o in offices}
    assert sorted(o.last_turn for o in type(offices[0]).objects.all()) == list(
        range(len(offices) * rounds - len(offices) + 1, len(offices) * rounds + 1)
    )
