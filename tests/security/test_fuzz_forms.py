"""Whatever is typed, the validators answer with messages, never with a crash."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mizan.core import references
from mizan.portal.forms import CodeForm, ComplaintForm, TrackForm
from mizan.portal.procedure_forms import FILING_FORMS

anything = st.text(max_size=300)
FIELDS = [
    "complainant_kind",
    "complainant_name",
    "id_kind",
    "id_number",
    "nationality",
    "country_of_residence",
    "phone",
    "email",
    "preferred_language",
    "accused",
    "category",
    "facts",
    "facts_date",
    "province",
    "commune",
    "consent",
]

ALL_FILING_FIELDS = sorted({name for form in FILING_FORMS.values() for name in form.base_fields})


@given(st.fixed_dictionaries({}, optional={name: anything for name in FIELDS}))
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_complaint_form_never_crashes(reference_data, data):
    form = ComplaintForm(data=data, language="fr")
    assert form.is_valid() in (True, False)
    for errors in form.errors.values():
        assert all(str(error) for error in errors)


@given(st.dictionaries(st.sampled_from(["reference", "access_code", "code"]), anything))
@settings(max_examples=200, deadline=None)
def test_the_track_and_code_forms_never_crash(data):
    TrackForm(data=data).is_valid()
    CodeForm(data=data).is_valid()


@given(anything)
@settings(max_examples=500)
def test_any_text_is_a_reference_or_not(text):
    result = references.canonical(text)
    assert result is None or references.is_valid(result)


def test_nul_bytes_are_refused_with_the_friendly_page(db):
    from django.test import Client

    client = Client()
    for response in (
        client.post("/fr/complaint/", {"province": "\x00", "commune": "a\x00"}),
        client.get("/fr/complaint/confirm/abc%00def/"),
        client.get("/fr/communes/06%00/"),
        client.get("/fr/track/", {"reference": "PLT\x00"}),
    ):
        assert response.status_code == 400
        assert "Traceback" not in response.content.decode()


@given(
    st.sampled_from(sorted(FILING_FORMS)),
    st.dictionaries(st.sampled_from(ALL_FILING_FIELDS), anything, max_size=12),
)
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_other_procedures_forms_never_crash(reference_data, procedure, data):
    form = FILING_FORMS[procedure](data=data, language="ar")
    if form.is_valid():
        form.details()  # what would be stored is always JSON-safe data
    for errors in form.errors.values():
        assert all(str(error) for error in errors)


def test_nul_bytes_in_the_other_forms_get_the_friendly_page(reference_data):
    from django.test import Client

    client = Client()
    for procedure in FILING_FORMS:
        response = client.post(
            f"/fr/file/{procedure}/", {"prison": "\x00", "court": "a\x00", "region": "\x00"}
        )
        assert response.status_code in (200, 400)
        assert "Traceback" not in response.content.decode()
