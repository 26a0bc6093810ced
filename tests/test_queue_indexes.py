"""The queue's queries can use their indexes on PostgreSQL (checked with EXPLAIN).

On a test table of a handful of rows the planner may prefer any plan, so sequential
scans are switched off: what is checked is that an index exists that serves each
query's filter and order, as it must at a million cases (timed in `make bench`).
"""

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from mizan.cases.selectors import QueueFilter, case_queue

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="query plans are PostgreSQL's (set DATABASE_URL)"
)


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


VIEWS = [
    (QueueFilter(), "case_queue_idx"),
    (QueueFilter(status="assigned"), "cases_case_unit_id_8bf1ec_idx"),  # unit, status, date
    (QueueFilter(quick="overdue"), "case_due_idx"),
    (QueueFilter(sort="deadline"), "case_due_idx"),
    (QueueFilter(quick="unreached"), "case_unreached_idx"),
    (QueueFilter(quick="to_confirm"), "case_to_confirm_idx"),
    (QueueFilter(quick="unassigned"), "case_unassigned_idx"),
]


def test_each_queue_view_of_a_unit_is_served_by_an_index(reference_data):
    """Seeded like the benchmark (thousands of cases over the offices), then analysed as
    autovacuum would: each view of one unit's queue reads through its index."""
    from django.contrib.auth import get_user_model

    from mizan.accounts.models import Role, Unit
    from mizan.accounts.services import staff_user_create
    from mizan.cases.models import Case
    from mizan.cases.seeding import bench_seed

    bench_seed(count=4000)
    busiest = Case.objects.values("unit").annotate(n=Count("id")).order_by("-n").first()["unit"]
    clerk = staff_user_create(
        username="index.clerk",
        password="x" * 16,
        full_name="Index Clerk",
        unit=Unit.objects.get(pk=busiest),
        roles=[Role.AGENT],
    )
    assert get_user_model().objects.filter(pk=clerk.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
    for filters, index in VIEWS:
        queryset = case_queue(user=clerk, filters=filters, now=timezone.now())
        plan = plan_of(queryset[:50])
        assert index in plan, (filters, plan)
