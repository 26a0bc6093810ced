"""`make run` shows the exchange: load_demo creates an office, its members and a file."""

from io import StringIO

import pytest
from django.core.management import call_command

from mizan.core.audit import audit_verify
from mizan.exchange.models import ExchangeFile
from mizan.exchange.selectors import office_inbox


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


def test_load_demo_creates_the_exchange_and_can_run_twice(reference_data, settings):
    from django.contrib.auth import get_user_model

    settings.DEBUG = True
    output = StringIO()
    call_command("load_demo", stdout=output)
    call_command("load_demo", stdout=StringIO())
    assert "commissaire.casa" in output.getvalue()
    commissaire = get_user_model().objects.get(username="commissaire.casa")
    assert [file.pk for file in office_inbox(user=commissaire)] == list(
        ExchangeFile.objects.values_list("pk", flat=True)
    )
    assert ExchangeFile.objects.count() == 1
    assert audit_verify().ok
