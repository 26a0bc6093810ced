"""Friendly error pages in the reader's language; never a stack trace."""

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.test import Client
from django.urls import path

from config.urls import urlpatterns as project_urls


def explode(request):
    raise RuntimeError("secret internals")


urlpatterns = [*project_urls, *i18n_patterns(path("boom/", explode))]
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
