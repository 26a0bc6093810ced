"""Guessed and sequential references give nothing away, and leave a trace."""

from django.test import Client

from mizan.core.models import AuditEntry
from mizan.core.references import format_reference

from ..factories import file_complaint


def test_walking_sequential_references_finds_nothing_and_is_audited(reference_data):
    mine = file_complaint(phone="+212600000001")
    file_complaint(phone="+212600000002")
    file_complaint(phone="+212600000003")
    client = Client(REMOTE_ADDR="203.0.113.66")
    year = mine.case.submitted_at.year
    for sequence in range(1, 6):
        reference = format_reference("PLT", year, sequence)
        response = client.post(
            "/en/track/", {"reference": reference, "access_code": mine.access_code}
        )
        if reference == mine.case.reference:
            assert response.status_code == 302
        else:
            assert response.status_code == 200
            assert "No request matches" in response.content.decode()
    denied = AuditEntry.objects.filter(action="tracking.denied", ip_address="203.0.113.66")
    assert denied.count() == 4


def test_a_granted_case_does_not_open_the_next_one(reference_data):
    mine = file_complaint(phone="+212600000001")
    theirs = file_complaint(phone="+212600000002")
    client = Client()
    client.post("/en/track/", {"reference": mine.case.reference, "access_code": mine.access_code})
    for path in (f"/en/track/{theirs.case.reference}/",):
        response = client.get(path)
        assert response.status_code == 302
    response = client.post(f"/en/track/{theirs.case.reference}/information/", {"message": "x"})
    assert response.status_code == 302
    assert not theirs.case.events.filter(step="provide_information").exists()
