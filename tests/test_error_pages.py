"""Friendly error pages in the reader's language; never a stack trace."""

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError
from django.test import Client
from django.urls import path

from config.urls import urlpatterns as project_urls


def explode(request):
    raise RuntimeError("secret internals")


def database_away(request):
    raise OperationalError("connection failed: FATAL:  the database system is shutting down")


urlpatterns = [
    *project_urls,
    *i18n_patterns(path("boom/", explode), path("database-away/", database_away)),
]
handler500 = "mizan.portal.views.server_error"


def test_not_found_is_friendly_and_translated(db):
    response = Client().get("/ar/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'dir="rtl"' in page and "Traceback" not in page


@pytest.mark.urls("tests.test_error_pages")
def test_a_crash_shows_no_internals(db):
    client = Client(raise_request_exception=False)
    response = client.get("/fr/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "secret internals" not in page and "Traceback" not in page
    assert "Nothing you filed is lost" not in page  # it is in French
    assert "perdu" in page


@pytest.mark.urls("tests.test_error_pages")
@pytest.mark.parametrize(
    ("language", "words"), [("fr", "momentanément indisponible"), ("ar", "غير متاحة مؤقتًا")]
)
def test_the_database_away_says_try_again_with_a_503(db, language, words):
    """A PostgreSQL restart under load (`make chaos`): not the page of a crash, but a
    503 that says to try again, which proxies and clients understand."""
    response = Client(raise_request_exception=False).get(f"/{language}/database-away/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert words in page
    assert "shutting down" not in page and "Traceback" not in page


def test_the_database_away_while_a_middleware_reads_the_session(db, monkeypatch):
    """The session is read by the middlewares, before any view: the same 503."""

    def refuse(self):
        raise OperationalError("connection failed: FATAL:  the database system is starting up")

    session = SessionStore()
    session.create()
    monkeypatch.setattr(SessionStore, "load", refuse)
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = session.session_key
    response = client.get("/fr/track/")
    assert response.status_code == 503
    assert "indisponible" in response.content.decode()
