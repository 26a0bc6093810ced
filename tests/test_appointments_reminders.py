"""Reminders 24 h and 1 h before: scheduled as deferred tasks, sent at their time (the
clock is controlled), dropped when the booking is cancelled, moved when it moves."""

from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from mizan.appointments.models import Reminder
from mizan.appointments.services import (
    booking_cancel,
    booking_reschedule,
    reminder_send,
    reminders_send_due,
)
from mizan.notifications.models import Notification

from .appointment_factories import (
    FRIDAY_BEFORE_CHANGE,
    MONDAY_AFTER_CHANGE,
    MONDAY_BEFORE,
    Clock,
    book,
    morocco,
    service_setup,
)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, MONDAY_BEFORE)


def _reminder_sms():
    return Notification.objects.filter(template_key="appointment.reminder")


def _task_run_afters():
    return sorted(
        row.run_after
        for row in DBTaskResult.objects.filter(task_path__endswith="send_appointment_reminder")
    )


@pytest.mark.django_db
def test_reminders_are_scheduled_and_sent_at_their_time(reference_data, clock):
    service = service_setup()
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 10, 20), zone="Europe/Paris")
    reminders = {r.kind: r for r in booking.reminders.all()}
    assert reminders["24h"].due_at == booking.starts_at - timedelta(hours=24)
    assert reminders["1h"].due_at == booking.starts_at - timedelta(hours=1)
    assert _task_run_afters() == sorted(r.due_at for r in reminders.values())

    clock.set(reminders["24h"].due_at - timedelta(seconds=1))
    assert reminder_send(reminder_id=reminders["24h"].pk) == "not-due"
    assert reminders_send_due() == {}
    assert not _reminder_sms().exists()

    clock.set(reminders["24h"].due_at)
    assert reminders_send_due() == {"sent": 1}
    sms = _reminder_sms().get()
    assert sms.recipient == "+15145550100"
    assert "2027-02-05 10:20 (Europe/Paris)" in sms.body
    assert f"/appointments/join/{booking.reference}/{booking.join_key}/" in sms.body
    # Sent once: the task running late after the sweep changes nothing.
    assert reminder_send(reminder_id=reminders["24h"].pk) == "skipped"

    clock.set(reminders["1h"].due_at + timedelta(minutes=1))
    assert reminder_send(reminder_id=reminders["1h"].pk) == "sent"
    assert _reminder_sms().count() == 2


@pytest.mark.django_db
def test_no_reminder_after_a_cancellation(reference_data, clock):
    service = service_setup()
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    booking_cancel(booking_id=booking.pk, by="citizen")
    assert set(booking.reminders.values_list("status", flat=True)) == {"cancelled"}
    clock.set(booking.starts_at - timedelta(minutes=30))
    for reminder in booking.reminders.all():
        assert reminder_send(reminder_id=reminder.pk) == "skipped"
    assert reminders_send_due() == {}
    assert not _reminder_sms().exists()
    assert Notification.objects.filter(template_key="appointment.cancelled").count() == 1


@pytest.mark.django_db
def test_reminders_move_with_the_booking(reference_data, clock):
    service = service_setup()
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    old = list(booking.reminders.all())
    moved = booking_reschedule(booking_id=booking.pk, starts_at=morocco(MONDAY_AFTER_CHANGE, 11))
    assert moved.starts_at == morocco(MONDAY_AFTER_CHANGE, 11)
    for reminder in old:
        reminder.refresh_from_db()
        assert reminder.status == "cancelled"
    pending = {r.kind: r.due_at for r in moved.reminders.filter(status="pending")}
    assert pending == {
        "24h": moved.starts_at - timedelta(hours=24),
        "1h": moved.starts_at - timedelta(hours=1),
    }
    # At the old time nothing is sent; at the new one, the reminder goes.
    clock.set(old[0].due_at)
    assert reminders_send_due() == {}
    clock.set(pending["24h"])
    assert reminders_send_due() == {"sent": 1}
    assert "2027-02-08 06:00 (America/Montreal)" in _reminder_sms().get().body
    assert Notification.objects.filter(template_key="appointment.moved").count() == 1


@pytest.mark.django_db
def test_a_reminder_too_late_is_not_sent(reference_data, clock):
    service = service_setup()
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    clock.set(booking.starts_at + timedelta(minutes=1))
    assert reminders_send_due() == {"late": 2}
    assert not _reminder_sms().exists()


@pytest.mark.django_db
def test_a_booking_made_less_than_a_day_ahead_gets_only_the_hour_reminder(reference_data, clock):
    service = service_setup()
    clock.set(morocco(FRIDAY_BEFORE_CHANGE, 6))
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    assert list(booking.reminders.values_list("kind", flat=True)) == [Reminder.Kind.HOUR_BEFORE]


def test_the_worker_sends_the_deferred_reminder_at_its_time(reference_data, clock, run_worker):
    """End to end: the task worker leaves the reminder until its time, then the SMS goes
    through the outbox to the (console) gateway."""
    from mizan.notifications.models import ConsoleMessage

    service = service_setup()
    booking = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9))
    run_worker()  # the confirmation goes; the reminders wait
    assert not _reminder_sms().exists()
    clock.set(booking.starts_at - timedelta(hours=24))
    run_worker()
    assert _reminder_sms().count() == 1
    assert (
        ConsoleMessage.objects.filter(notification__template_key="appointment.reminder").count()
        == 1
    )


def test_the_confirmation_e_mail_carries_the_ics_and_the_cancellation_its_update(
    reference_data, clock, run_worker, mailoutbox
):
    import icalendar

    service = service_setup()
    slot = morocco(MONDAY_AFTER_CHANGE, 10, 20)
    booking = book(service, slot, citizen_email="karima@example.org")
    run_worker()
    [confirmation] = mailoutbox
    assert confirmation.to == ["karima@example.org"]
    [(filename, content, content_type)] = confirmation.attachments
    assert filename == f"{booking.reference}.ics" and content_type.startswith("text/calendar")
    event = icalendar.Calendar.from_ical(content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == slot and str(event["status"]) == "CONFIRMED"
    # In the citizen's own zone, with its definition for calendars that lack it.
    assert "TZID=America/Montreal" in content and "BEGIN:VTIMEZONE" in content
    booking_cancel(booking_id=booking.pk, by="citizen")
    run_worker()
    cancelled = icalendar.Calendar.from_ical(mailoutbox[1].attachments[0][1]).walk("VEVENT")[0]
    assert str(cancelled["uid"]) == str(event["uid"]) and str(cancelled["status"]) == "CANCELLED"
    # No .ics with SMS: only e-mails carry files.
    assert not Notification.objects.filter(channel="sms").exclude(attachments=[]).exists()
