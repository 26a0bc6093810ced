"""LongSelect renders what Django's Select renders, without a template per option."""

import pytest
from django import forms
from django.test.html import parse_html

from mizan.appointments.forms import TimeZoneForm
from mizan.core.forms import LongSelect
from mizan.portal.forms import Form

CHOICES = [
    ("", "—"),
    ("MA", "Maroc"),
    ("FR", 'France <"&">'),
    ("Europe", [("ES", "Espagne"), ("IT", "Italie")]),
    ("CA", "Canada"),
]


def _form(widget, **kwargs):
    class CountryForm(Form):
        country = forms.ChoiceField(
            label="Country", help_text="Where you live.", choices=CHOICES, widget=widget
        )

    return CountryForm(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"initial": {"country": "IT"}},
        {"data": {"country": "FR"}},
        {"data": {"country": "XX"}},  # invalid: aria-invalid and the error's id
        {"data": {}},
    ],
)
def test_the_markup_is_the_same_as_djangos(kwargs):
    ours = _form(LongSelect, **kwargs)
    django = _form(forms.Select, **kwargs)
    if "data" in kwargs:
        ours.is_valid()
        django.is_valid()
    assert parse_html(str(ours["country"])) == parse_html(str(django["country"]))
    assert parse_html(ours["country"].as_field_group()) == parse_html(
        django["country"].as_field_group()
    )


def test_labels_are_escaped():
    html = str(_form(LongSelect)["country"])
    assert "France &lt;&quot;&amp;&quot;&gt;" in html
    assert "<script" not in html


def test_the_time_zone_selector_keeps_the_countrys_zones_first_and_the_choice():
    form = TimeZoneForm(data={"tz": "America/Vancouver"}, country="CA", current="America/Vancouver")
    assert form.is_valid()
    html = str(form["tz"])
    assert html.index("America/Vancouver") < html.index("Europe/Paris")
    assert '<option value="America/Vancouver" selected>' in html
    assert html.count(" selected") == 1
