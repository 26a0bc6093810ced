"""Working-day deadlines: weekends, fixed and religious holidays, Casablanca time.

Every expected date below is read off a printed calendar, not computed by the code.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import translation

from mizan.core.errors import DomainError
from mizan.core.models import AuditEntry
from mizan.deadlines.models import Holiday
from mizan.deadlines.selectors import HolidayCalendar
from mizan.deadlines.services import (
    deadline_for,
    deadline_status,
    holiday_save,
    holidays_between,
    is_working_day,
    working_days_add,
    working_days_between,
)

CASABLANCA = ZoneInfo("Africa/Casablanca")

pytestmark = pytest.mark.django_db


def casablanca(*args) -> datetime:
    return datetime(*args, tzinfo=CASABLANCA)


def test_friday_plus_one_working_day_is_monday():
    assert working_days_add(date(2026, 11, 13), 1) == date(2026, 11, 16)


def test_saturday_and_sunday_are_not_working_days():
    assert not is_working_day(date(2026, 11, 14))
    assert not is_working_day(date(2026, 11, 15))
    assert is_working_day(date(2026, 11, 16))


def test_zero_days_is_the_start_or_the_next_working_day():
    assert working_days_add(date(2026, 11, 16), 0) == date(2026, 11, 16)
    assert working_days_add(date(2026, 11, 14), 0) == date(2026, 11, 16)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        working_days_add(date(2026, 11, 16), -1)


def test_green_march_and_the_weekend_are_skipped():
    # Thursday 5 November 2026; Friday 6 is Green March Day, then the weekend.
    assert not is_working_day(date(2026, 11, 6))
    assert working_days_add(date(2026, 11, 5), 1) == date(2026, 11, 9)


def test_independence_day_midweek_is_skipped():
    # Wednesday 18 November 2026: Tuesday 17 + 1 working day is Thursday 19.
    assert working_days_add(date(2026, 11, 17), 1) == date(2026, 11, 19)


def test_religious_holiday_entered_by_an_administrator_is_skipped():
    # Eid al-Adha expected Wednesday 27 and Thursday 28 May 2026.
    assert working_days_add(date(2026, 5, 26), 1) == date(2026, 5, 27)
    administrator = get_user_model().objects.create_superuser("habous", "h@example.ma", "x" * 16)
    holiday_save(
        day=date(2026, 5, 27),
        name="Eid al-Adha",
        kind=Holiday.Kind.RELIGIOUS,
        confirmed=True,
        user=administrator,
    )
    holiday_save(
        day=date(2026, 5, 28),
        name="Eid al-Adha (second day)",
        kind=Holiday.Kind.RELIGIOUS,
        confirmed=True,
        user=administrator,
    )

    assert working_days_add(date(2026, 5, 26), 1) == date(2026, 5, 29)
    assert working_days_between(date(2026, 5, 26), date(2026, 6, 1)) == 2
    entry = AuditEntry.objects.filter(action="holiday.saved").order_by("id").last()
    assert entry.object_type == "holiday"
    assert entry.object_id == "2026-05-28"
    assert entry.actor_label == "habous"
    assert entry.data["confirmed"] is True


def test_saving_the_same_date_again_corrects_it():
    holiday_save(day=date(2026, 6, 16), name="1 Muharram", kind="religious", confirmed=False)
    holiday_save(day=date(2026, 6, 16), name="1 Muharram 1448", kind="religious", confirmed=True)

    holiday = Holiday.objects.get()
    assert (holiday.name, holiday.confirmed) == ("1 Muharram 1448", True)
    last = AuditEntry.objects.filter(action="holiday.saved").order_by("id").last()
    assert last.data["previous"] == {
        "name": "1 Muharram",
        "kind": "religious",
        "confirmed": False,
    }


def test_a_fixed_holiday_the_code_knows_needs_no_entry():
    with pytest.raises(DomainError) as refused:
        holiday_save(day=date(2026, 11, 6), name="Green March", kind="fixed", confirmed=True)
    assert refused.value.code == "holiday_already_fixed"
    with pytest.raises(DomainError):
        holiday_save(day=date(2026, 12, 1), name="  ", kind="religious", confirmed=False)
    assert not Holiday.objects.exists()


def test_yennayer_is_a_holiday_only_from_2024():
    january_2023 = [day for day, _ in holidays_between(date(2023, 1, 1), date(2023, 1, 31))]
    assert january_2023 == [date(2023, 1, 1), date(2023, 1, 11)]
    # 14 January fell on a Friday in 2022 (a working day) and on a Wednesday in 2026.
    assert is_working_day(date(2022, 1, 14))
    assert not is_working_day(date(2026, 1, 14))
    january_2026 = [day for day, _ in holidays_between(date(2026, 1, 1), date(2026, 1, 31))]
    assert january_2026 == [date(2026, 1, 1), date(2026, 1, 11), date(2026, 1, 14)]


def test_holidays_between_lists_fixed_and_entered_holidays_in_order():
    holiday_save(day=date(2026, 8, 25), name="Mawlid", kind="religious", confirmed=False)
    listed = holidays_between(date(2026, 8, 1), date(2026, 8, 31))
    assert [day for day, _ in listed] == [
        date(2026, 8, 14),
        date(2026, 8, 20),
        date(2026, 8, 21),
        date(2026, 8, 25),
    ]
    assert listed[-1] == (date(2026, 8, 25), "Mawlid")
    assert all(isinstance(name, str) and name for _, name in listed)


def test_working_days_between_counts_after_start_up_to_end():
    friday, monday = date(2026, 11, 13), date(2026, 11, 16)
    assert working_days_between(friday, monday) == 1
    assert working_days_between(monday, friday) == -1
    assert working_days_between(monday, monday) == 0
    # Monday 2 to Monday 9 November 2026: Tue 3, Wed 4, Thu 5, Mon 9 (Fri 6 Green March).
    assert working_days_between(date(2026, 11, 2), date(2026, 11, 9)) == 4
    assert working_days_between(date(2026, 11, 9), date(2026, 11, 2)) == -4
    # A plain week: Monday 23 to Monday 30 November 2026.
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 30)) == 5
    # Across the new year: Wed 30 Dec 2026 to Mon 4 Jan 2027 (Thu 31, Mon 4; 1 Jan off).
    assert working_days_between(date(2026, 12, 30), date(2027, 1, 4)) == 2


def test_deadline_is_the_end_of_the_local_working_day_and_aware():
    due = deadline_for(casablanca(2026, 11, 2, 10, 0), 3)

    assert due.tzinfo is not None and due.utcoffset() is not None
    local = due.astimezone(CASABLANCA)
    assert local.date() == date(2026, 11, 5)
    assert local.time() == time(23, 59, 59, 999999)
    # Morocco is on UTC+1 in November.
    assert due.astimezone(UTC) == datetime(2026, 11, 5, 22, 59, 59, 999999, tzinfo=UTC)


def test_late_friday_evening_counts_from_friday():
    # 23:30 on Friday 13 November 2026 in Casablanca is 22:30 UTC.
    start = datetime(2026, 11, 13, 22, 30, tzinfo=UTC)
    assert deadline_for(start, 1).astimezone(CASABLANCA).date() == date(2026, 11, 16)


def test_the_local_date_counts_not_the_utc_date():
    # 23:30 UTC on Thursday 12 November 2026 is already Friday 00:30 in Casablanca:
    # one working day later is Monday 16, not Friday 13.
    start = datetime(2026, 11, 12, 23, 30, tzinfo=UTC)
    assert deadline_for(start, 1).astimezone(CASABLANCA).date() == date(2026, 11, 16)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        deadline_for(datetime(2026, 11, 2, 10, 0), 1)  # noqa: DTZ001
    with pytest.raises(TypeError):
        is_working_day(datetime(2026, 11, 2, 10, 0, tzinfo=UTC))


def test_deadline_status():
    monday_morning = casablanca(2026, 11, 2, 9, 0)
    assert deadline_status(None, monday_morning) == ""
    # Due Wednesday 4 (2 working days away) is soon; Thursday 5 (3 away) is ok.
    assert deadline_status(casablanca(2026, 11, 4, 23, 59, 59), monday_morning) == "soon"
    assert deadline_status(casablanca(2026, 11, 5, 23, 59, 59), monday_morning) == "ok"
    assert deadline_status(casablanca(2026, 11, 5, 23, 59, 59), monday_morning, 3) == "soon"
    # Due today, later on: soon. A second past the deadline: overdue.
    assert deadline_status(casablanca(2026, 11, 2, 17, 0), monday_morning) == "soon"
    due = casablanca(2026, 11, 2, 8, 59, 59)
    assert deadline_status(due, due + timedelta(seconds=1)) == "overdue"
    assert deadline_status(due, due) == "soon"
    # Thursday 5 to Monday 9 is four calendar days but one working day (Green March).
    thursday = casablanca(2026, 11, 5, 9, 0)
    assert deadline_status(casablanca(2026, 11, 9, 23, 59, 59), thursday, 1) == "soon"
    # A due date months away is simply ok.
    assert deadline_status(casablanca(2027, 6, 1, 12, 0), monday_morning) == "ok"


def test_one_calendar_answers_many_questions_with_one_query_per_year(
    django_assert_num_queries,
):
    holidays = HolidayCalendar()
    with django_assert_num_queries(1):
        for day in range(1, 31):
            is_working_day(date(2026, 11, day), holidays=holidays)
        working_days_add(date(2026, 11, 5), 10, holidays=holidays)


def test_load_holidays_is_idempotent():
    call_command("load_holidays", verbosity=0)
    loaded = Holiday.objects.count()
    call_command("load_holidays", verbosity=0)

    assert loaded == Holiday.objects.count() == 21
    assert not Holiday.objects.filter(confirmed=True).exists()
    assert set(Holiday.objects.values_list("kind", flat=True)) == {"religious"}
    assert (
        Holiday.objects.filter(
            date__in=[date(2026, 3, 20), date(2026, 3, 21), date(2026, 5, 27), date(2026, 8, 26)]
        ).count()
        == 4
    )
    # Eid al-Fitr on Friday 20 March 2026: Thursday 19 + 1 is Monday 23.
    assert working_days_add(date(2026, 3, 19), 1) == date(2026, 3, 23)


def test_load_holidays_keeps_a_date_already_announced():
    # The Ministry announced Eid al-Fitr a day later than the estimate.
    holiday_save(day=date(2026, 3, 21), name="Eid al-Fitr", kind="religious", confirmed=True)
    holiday_save(day=date(2026, 3, 22), name="Eid al-Fitr 2", kind="religious", confirmed=True)

    call_command("load_holidays", verbosity=0)

    assert not Holiday.objects.filter(date=date(2026, 3, 20)).exists()
    assert Holiday.objects.get(date=date(2026, 3, 21)).confirmed


def test_the_admin_saves_through_the_service():
    administrator = get_user_model().objects.create_superuser("root", "r@example.ma", "x" * 16)
    request = RequestFactory().post("/")
    request.user = administrator
    holiday_admin = admin.site._registry[Holiday]
    form_class = holiday_admin.get_form(request)

    refused = form_class(
        data={"date": "2026-11-18", "name": "Independence", "kind": "fixed", "confirmed": "on"}
    )
    assert not refused.is_valid()
    assert "date" in refused.errors

    form = form_class(
        data={"date": "2027-03-10", "name": "Eid al-Fitr", "kind": "religious", "confirmed": ""}
    )
    assert form.is_valid(), form.errors
    holiday = form.save(commit=False)
    holiday_admin.save_model(request, holiday, form, change=False)

    assert holiday.pk == Holiday.objects.get(date=date(2027, 3, 10)).pk
    entry = AuditEntry.objects.get(action="holiday.saved")
    assert (entry.object_id, entry.actor_label) == ("2027-03-10", "root")


def test_the_admin_lists_holidays_by_year():
    administrator = get_user_model().objects.create_superuser("root", "r@example.ma", "x" * 16)
    holiday_save(day=date(2026, 8, 25), name="Mawlid", kind="religious", confirmed=False)
    holiday_save(day=date(2027, 8, 15), name="Mawlid", kind="religious", confirmed=False)
    holiday_admin = admin.site._registry[Holiday]
    request = RequestFactory().get("/", {"date__year": "2026", "kind": "religious"})
    request.user = administrator

    changelist = holiday_admin.get_changelist_instance(request)

    assert [holiday.date for holiday in changelist.result_list] == [date(2026, 8, 25)]
    with translation.override("en"):
        assert holiday_admin.weekday(changelist.result_list[0]) == "Tuesday"


def test_an_administrator_sets_a_procedure_target_that_new_cases_follow(reference_data):
    from mizan.deadlines.models import TargetDelay

    from .factories import file_complaint

    before = file_complaint().case
    TargetDelay.objects.create(procedure="complaint", state="received", working_days=10)
    later = file_complaint().case
    assert later.due_at > before.due_at  # 10 working days instead of the default 3
    TargetDelay.objects.filter(procedure="complaint", state="received").update(working_days=None)
    assert file_complaint().case.due_at is None  # no target for this state any more


def test_the_target_delay_admin_offers_only_states_of_the_procedure(admin_client):
    response = admin_client.post(
        "/admin/deadlines/targetdelay/add/",
        {"procedure": "question", "state": "before_commission", "working_days": "5"},
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = admin_client.post(
        "/admin/deadlines/targetdelay/add/",
        {"procedure": "pardon", "state": "before_commission", "working_days": "60"},
    )
    assert response.status_code == 302
