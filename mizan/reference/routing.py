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


def prosecution_office_of_court(court_id) -> Destination:
    """The prosecution office of a named court (bail: the court that holds the case).

    A court not yet operating, or without its own office, sends the request to its court
    of appeal's prosecution office, to be confirmed by an agent.
    """
    court = Court.objects.filter(pk=court_id or None).first()
    if court is not None:
        unit = Unit.objects.filter(
            kind__in=[Unit.Kind.PROSECUTION_FIRST_INSTANCE, Unit.Kind.PROSECUTION_APPEAL],
            court=court,
            is_active=True,
        ).first()
        if unit is not None:
            return Destination(unit, to_confirm=False)
        unit = Unit.objects.filter(
            kind=Unit.Kind.PROSECUTION_APPEAL, court_id=court.parent_id
        ).first()
        if court.parent_id and unit is not None:
            return Destination(unit, to_confirm=True)
    return Destination(Unit.objects.get(code="PMP"), to_confirm=True)


def mediator_delegation_for(region_code) -> Destination:
    """Grievances go to the Mediator's delegation of the citizen's region."""
    unit = Unit.objects.filter(
        kind=Unit.Kind.MEDIATOR_DELEGATION, region_id=region_code or None, is_active=True
    ).first()
    if unit is not None:
        return Destination(unit, to_confirm=False)
    # No delegation for the region: the head office handles it itself.
    return Destination(Unit.objects.get(code="MED"), to_confirm=False)
