"""Territorial competence: which unit receives a request about a given place."""

from dataclasses import dataclass

from mizan.accounts.models import Unit

from .models import Commune, Confidence, Court


@dataclass(frozen=True)
class Destination:
    unit: Unit
    # The judicial map is not sure about this commune (a guessed row, or a court not
    # yet operating): the request goes to the court of appeal's prosecution office,
    # where an agent confirms or corrects it.
    to_confirm: bool


def prosecution_office_for(commune: Commune) -> Destination:
    court = commune.first_instance_court
    sure = (
        court is not None
        and commune.routing_confidence != Confidence.GUESS
        and court.status == Court.Status.OPERATIONAL
    )
    if sure:
        unit = Unit.objects.filter(
            kind=Unit.Kind.PROSECUTION_FIRST_INSTANCE, court=court, is_active=True
        ).first()
        if unit is not None:
            return Destination(unit, to_confirm=False)
    appeal_court = commune.appeal_court or (court.parent if court else None)
    unit = Unit.objects.filter(kind=Unit.Kind.PROSECUTION_APPEAL, court=appeal_court).first()
    if unit is None:
        # No court of appeal known either: the Presidency dispatches it by hand.
        unit = Unit.objects.get(code="PMP")
    return Destination(unit, to_confirm=True)
