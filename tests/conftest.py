import pytest
from django.core.management import call_command

from mizan.reference.models import Commune


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The reference data is part of the test database from the start: most tests need
    it, and loading it per test cost 1–2 s each. Tests on a transactional database
    empty it when they end; `reference_data` loads it again for the next one."""
    from mizan.reference.services import reference_load

    with django_db_blocker.unblock():
        reference_load()


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language: a request leaves its language
    active in the thread, and a later test's message would otherwise be in Arabic."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def reference_data(db):
    """Morocco's shipped reference data and the units (loaded once per database state)."""
    if not Commune.objects.exists():
        from mizan.reference.services import reference_load

        reference_load()


@pytest.fixture
def run_worker(transactional_db):
    """Run the task worker until the queue is empty, as `db_worker` does in production.

    The worker manages its own connections and transactions, so the tests that use it
    run on a transactional database (committed data, as in production).
    """

    def run() -> None:
        call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)

    return run


@pytest.fixture
def office(reference_data):
    """A prosecution office's clerk and prosecutor, and an agent of another office."""
    from mizan.accounts.models import Role

    from .factories import staff

    unit = "PROS-TPI_CASA_PENAL"
    return {
        "clerk": staff("clerk", unit, Role.AGENT),
        "prosecutor": staff("prosecutor", unit, Role.MAGISTRATE),
        "outsider": staff("outsider", "PROS-TPI_RABAT", Role.AGENT, Role.MAGISTRATE),
    }


@pytest.fixture
def admin_client(db, admin_user):
    """pytest-django's admin client, signed in with both factors as the admin requires."""
    from django.test import Client

    from .factories import verified_login

    return verified_login(Client(), admin_user)
