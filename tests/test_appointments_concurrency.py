"""Many citizens trying the same slot at the same moment, on a real PostgreSQL: exactly
one booking, every other attempt a clear "slot just taken" with other slots proposed."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection

from mizan.appointments.models import AppointmentService, Booking
from mizan.appointments.services import SlotTakenError

from .appointment_factories import (
    FRIDAY_BEFORE_CHANGE,
    MONDAY_BEFORE,
    Clock,
    book,
    morocco,
    service_setup,
)
from .test_concurrency import run_together

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="contention needs PostgreSQL (set DATABASE_URL)"
)
# The figure: 100 citizens on one slot at the same moment, each on its own
# connection. scripts/pg-setup raises PostgreSQL's max_connections to 200 for it (the
# default, 100, leaves no room for the suite's other connections).
ATTEMPTS = 100


@pytest.mark.django_db(transaction=True)
def test_many_attempts_on_one_slot_make_exactly_one_booking(reference_data, monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        room = int(cursor.fetchone()[0])
    assert room >= ATTEMPTS + 50, f"max_connections is {room}: run scripts/pg-setup"
    Clock(monkeypatch, MONDAY_BEFORE)
    service = service_setup()
    slot = morocco(FRIDAY_BEFORE_CHANGE, 9)
    results = run_together(
        [lambda i=i: book(service, slot, phone=f"+336123456{i:02d}") for i in range(ATTEMPTS)]
    )
    winners = [r for r in results if isinstance(r, Booking)]
    losers = [r for r in results if not isinstance(r, Booking)]
    assert len(winners) == 1, results
    assert len(losers) == ATTEMPTS - 1
    assert all(isinstance(r, SlotTakenError) for r in losers), {type(r) for r in losers}
    assert all(r.alternatives and slot not in [a.starts_at for a in r.alternatives] for r in losers)
    assert Booking.objects.filter(starts_at=slot, status="active").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_overlapping_bookings_of_one_official(reference_data, monkeypatch):
    """Services of different durations held by the same official: equal starts are
    caught by the unique constraint, overlaps by the exclusion constraint."""
    from datetime import timedelta

    from django.db import IntegrityError, transaction

    Clock(monkeypatch, MONDAY_BEFORE)
    long_service = service_setup(code="family-law-long", duration=60)
    short_service = service_setup(code="family-law")
    nine = morocco(FRIDAY_BEFORE_CHANGE, 9)
    first = book(long_service, nine)
    assert first.ends_at == nine + timedelta(minutes=60)
    overlapping = Booking.objects.get(pk=first.pk)
    overlapping.pk = None
    overlapping.service = short_service
    overlapping.reference, overlapping.room = "RDV-TEST-OVERLAP", "room-overlap"
    overlapping.starts_at = nine + timedelta(minutes=30)
    overlapping.ends_at = nine + timedelta(minutes=60)
    with pytest.raises(IntegrityError), transaction.atomic():
        overlapping.save()
    # Once the first is cancelled, the time is free again; a booking that starts when
    # the other ends does not overlap it.
    from mizan.appointments.services import booking_cancel

    booking_cancel(booking_id=first.pk, by="citizen")
    overlapping.save()
    after = Booking.objects.get(pk=overlapping.pk)
    after.pk = None
    after.reference, after.room = "RDV-TEST-AFTER", "room-after"
    after.starts_at, after.ends_at = (
        overlapping.ends_at,
        overlapping.ends_at + timedelta(minutes=30),
    )
    after.citizen_phone = "+33612345699"
    after.save()


@pytest.mark.django_db(transaction=True)
def test_two_services_of_one_official_never_book_overlapping_slots(reference_data, monkeypatch):
    """The unique constraint holds one booking per official and start time. Two services
    of different lengths held by the same official start at different times that overlap
    (09:40–10:10 and 10:00–10:20): of two citizens booking them at the same moment, one
    only may get the official."""
    Clock(monkeypatch, MONDAY_BEFORE)
    family = service_setup()  # 30 min + 10 min buffer: 09:00, 09:40, 10:20, 11:00
    court = AppointmentService.objects.create(
        unit=family.unit,
        code="court-case",
        title_ar="تتبع قضية",
        title_fr="Suivi d'une affaire",
        title_en="Follow-up of a court case",
        duration_minutes=20,  # 09:00, 09:30, 10:00, 10:30, ...
        roles=family.roles,
    )
    court.campaigns.add(*family.campaigns.all())
    days = [FRIDAY_BEFORE_CHANGE + timedelta(days=n) for n in (0, 3, 4, 5, 6, 7, 10)]
    for number, day in enumerate(days):
        results = run_together(
            [
                lambda day=day, n=number: book(
                    family, morocco(day, 9, 40), phone=f"+3361234{n:02d}01"
                ),
                lambda day=day, n=number: book(court, morocco(day, 10), phone=f"+3361234{n:02d}02"),
            ]
        )
        winners = [r for r in results if isinstance(r, Booking)]
        assert len(winners) == 1, (day, results)
        assert isinstance(next(r for r in results if not isinstance(r, Booking)), SlotTakenError)
    active = list(Booking.objects.filter(status="active").order_by("starts_at"))
    assert len(active) == len(days)
    assert all(a.ends_at <= b.starts_at for a, b in itertools.pairwise(active))
