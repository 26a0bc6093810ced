import pytest

from mizan.accounts.models import Unit
from mizan.reference.models import Commune, Confidence, Court
from mizan.reference.routing import prosecution_office_for
from mizan.reference.services import reference_load


def test_loading_twice_changes_nothing(reference_data):
    before = (Commune.objects.count(), Court.objects.count(), Unit.objects.count())
    reference_load()
    assert (Commune.objects.count(), Court.objects.count(), Unit.objects.count()) == before
    assert before == (1503, 143, Unit.objects.count())


def test_provenance_is_kept(reference_data):
    court = Court.objects.get(id="TPI_TANGER")
    assert court.source and court.confidence == Confidence.HIGH
    assert Commune.objects.filter(routing_confidence=Confidence.GUESS).count() == 595


def test_a_sure_commune_goes_to_its_first_instance_prosecution_office(reference_data):
    destination = prosecution_office_for(Commune.objects.get(code="04.421.01.0"))  # Rabat
    assert destination.unit.code == "PROS-TPI_RABAT" and not destination.to_confirm


def test_a_guessed_commune_goes_to_the_court_of_appeal_to_confirm(reference_data):
    destination = prosecution_office_for(Commune.objects.get(code="01.511.01.09"))
    assert destination.unit.code == "PROS-CA_TANGER" and destination.to_confirm


@pytest.mark.django_db
def test_every_commune_has_a_destination(reference_data):
    for commune in Commune.objects.select_related("first_instance_court", "appeal_court"):
        destination = prosecution_office_for(commune)
        assert destination.unit.kind in (
            Unit.Kind.PROSECUTION_FIRST_INSTANCE,
            Unit.Kind.PROSECUTION_APPEAL,
        )
        if destination.unit.kind == Unit.Kind.PROSECUTION_APPEAL:
            assert destination.to_confirm
