"""The benchmark data set (`manage.py bench_seed`, mizan/cases/seeding.py): cases of
every procedure, routed, walked, messaged and audited as the services would leave them."""

from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mizan.accounts.models import Unit
from mizan.cases.models import Case, CaseEvent, ReferenceCounter
from mizan.cases.seeding import PROCEDURE_MIX, WITHDRAW_SHARE, bench_seed
from mizan.cases.services import _due_at
from mizan.core import references
from mizan.core.audit import audit_verify
from mizan.core.models import AuditEntry
from mizan.deadlines.models import TargetDelay
from mizan.documents.models import Attachment
from mizan.notifications.models import Notification
from mizan.procedures.models import CommissionSession
from mizan.procedures.question import ANSWERING_UNITS
from mizan.procedures.registry import PROCEDURES
from mizan.reference.models import Commune
from mizan.reference.routing import (
    mediator_delegation_for,
    prosecution_office_for,
    prosecution_office_of_court,
)

CASES = 600


@pytest.fixture
def media(tmp_path, settings):
    # Seeded bail deposits point at one stored receipt.
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def seeded(reference_data, media):
    # An administrator's target replaces the workflow's: the seed's deadlines follow it.
    TargetDelay.objects.create(procedure="question", state="received", working_days=2)
    return bench_seed(count=CASES, batch_size=300)


def test_every_procedure_has_a_share_that_adds_up():
    assert set(PROCEDURE_MIX) == set(PROCEDURES)
    assert sum(PROCEDURE_MIX.values()) == pytest.approx(1)


def test_every_procedure_is_seeded_in_its_share_routed_and_under_its_references(seeded):
    counts = Counter(Case.objects.values_list("procedure", flat=True))
    assert seeded.cases == CASES and seeded.procedures == dict(counts)
    for code, share in PROCEDURE_MIX.items():
        assert counts[code] > 0, code
        assert counts[code] / CASES == pytest.approx(share, abs=0.04), code

    last = defaultdict(int)
    for code, reference in Case.objects.values_list("procedure", "reference"):
        assert reference.startswith(f"{PROCEDURES[code].reference_prefix}-"), reference
        assert references.is_valid(reference), reference
        _, year, sequence, _ = reference.split("-")
        last[(code, int(year))] = max(last[(code, int(year))], int(sequence))
    # One counter per procedure and year, where the next real filing goes on from.
    counters = {
        (counter.procedure, counter.year): counter.last_value
        for counter in ReferenceCounter.objects.all()
    }
    assert counters == dict(last)

    # Each procedure is routed as its router routes.
    for case in Case.objects.select_related("unit", "commune").prefetch_related("events"):
        details, steps = case.details, [event.step for event in case.events.all()]
        if case.procedure == "complaint":
            destination = prosecution_office_for(case.commune)
            assert case.unit == destination.unit
            confirmed = "confirm_destination" in steps
            assert case.destination_to_confirm == (destination.to_confirm and not confirmed)
        elif case.procedure == "pardon":
            assert case.unit.code == "MJ-PARDON"
        elif case.procedure == "bail":
            destination = prosecution_office_of_court(details["court"])
            assert (case.unit, case.destination_to_confirm) == (
                destination.unit,
                destination.to_confirm,
            )
        elif case.procedure == "grievance":
            if "accept_handover" in steps:
                # Handed over: the competent body named at redirection has the file.
                assert case.unit.code == details["redirect"]["unit"]
            else:
                assert case.unit == mediator_delegation_for(details["region"]).unit
        elif "forward" not in steps:
            assert case.unit.code == ANSWERING_UNITS[details["institution"]]
        else:
            assert case.unit.code in ANSWERING_UNITS.values()
    # Grievances follow the regions' population: the biggest region has the most.
    delegations = Counter(
        Case.objects.filter(
            procedure="grievance", unit__kind=Unit.Kind.MEDIATOR_DELEGATION
        ).values_list("unit__region__population_2024", flat=True)
    )
    assert max(delegations.items(), key=lambda item: item[1])[0] > 4_000_000


def test_cases_walk_their_workflow_leaving_events_sms_and_audit_entries(seeded):
    events = defaultdict(list)
    for event in CaseEvent.objects.order_by("at", "id"):
        events[event.case_id].append(event)
    receipts = Counter(Attachment.objects.values_list("case_event__step", flat=True))
    sessions = set(CommissionSession.objects.values_list("pk", flat=True))
    statuses = defaultdict(set)
    for case in Case.objects.all():
        workflow = PROCEDURES[case.procedure].workflow
        submit, *steps = events[case.id]
        assert (submit.step, submit.to_status) == ("submit", workflow.initial)
        status = workflow.initial
        for event in steps:
            step = workflow.step(event.step)
            assert status in step.sources and event.to_status == step.target, event
            assert (event.actor_kind == "citizen") == ("citizen" in step.roles), event
            if step.message_required:
                assert event.citizen_message, event
            status = event.to_status
        assert status == case.status
        statuses[case.procedure].add(status)
        assert case.status_changed_at == (steps[-1] if steps else submit).at
        state = workflow.state(case.status)
        assert (case.closed_at is not None) == state.terminal
        if steps and steps[-1].step == "send_to_administration":
            assert case.due_at is not None
        else:
            assert case.due_at == _due_at(state, case.status_changed_at, procedure=case.procedure)
        names = {event.step for event in steps}
        details = case.details
        assert ("register" in names) == bool(case.registry_number)
        assert ("decide_granted" in names) == ("bail_decision" in details)
        if "schedule_commission" in names:
            assert details["commission_session"] in sessions
        if names & {"propose_handover", "redirect_outside"}:
            assert details["redirect"]["body"]
    assert receipts["submit_deposit"] == CaseEvent.objects.filter(step="submit_deposit").count()
    # Old enough cases reach their ends, and not only one of them.
    for code, reached in statuses.items():
        assert "closed" in reached and len(reached) >= 2, (code, reached)
    withdrawn = Case.objects.filter(status="withdrawn").count()
    assert 0 < withdrawn <= CASES * WITHDRAW_SHARE * 2

    # Each step sends its SMS (to the filer, and to the person filed for), and the audit
    # chain, with an entry per filing, step and unreached citizen, verifies.
    messages = defaultdict(list)
    for sms in Notification.objects.select_related("case_event").order_by("created_at", "id"):
        messages[sms.case_id].append(sms)
    for case in Case.objects.prefetch_related("events"):
        procedure = PROCEDURES[case.procedure]
        expected = [procedure.received_message] + [
            procedure.workflow.step(event.step).notify
            for event in case.events.all()
            if event.step != "submit" and procedure.workflow.step(event.step).notify
        ]
        to_filer = [sms for sms in messages[case.id] if sms.recipient == str(case.filer_phone)]
        assert [sms.template_key for sms in to_filer] == expected, case.reference
        for sms in messages[case.id]:
            assert sms.case_event.case_id == case.id
            assert case.reference in sms.body and "§" not in sms.body
        last = messages[case.id][-1]
        assert (case.citizen_unreached_at is not None) == (last.status == "permanent-failure")
    granted = Notification.objects.filter(template_key="bail.granted").first()
    if granted is not None:
        assert granted.case.details["bail_decision"]["amount"] in granted.body

    result = audit_verify()
    assert result.ok and result.checked == AuditEntry.objects.count() == seeded.audit_entries
    assert AuditEntry.objects.filter(action="case.submitted").count() == CASES
    assert AuditEntry.objects.filter(action="case.transition").count() == (
        CaseEvent.objects.exclude(step="submit").count()
    )
    assert AuditEntry.objects.filter(action="case.citizen_unreached").count() >= (
        Case.objects.filter(citizen_unreached_at__isnull=False).count()
    )
    call_command("verify_audit", stdout=StringIO())


def test_a_second_seed_goes_on_from_the_counters_and_the_chain(reference_data, media):
    bench_seed(count=150, batch_size=100)
    out = StringIO()
    call_command("bench_seed", "--cases", "120", "--batch-size", "50", "--seed", "7", stdout=out)
    assert "Seeded 120 cases (complaint " in out.getvalue()
    assert "peak memory" in out.getvalue()  # read by bench/run.py
    assert Case.objects.count() == 270
    assert Case.objects.values("reference").distinct().count() == 270
    assert audit_verify().ok
    call_command("verify_audit", stdout=StringIO())


def test_the_benchmark_request_lists_open_real_pages(reference_data, media, tmp_path, client):
    """`bench_fixtures` after the daily refresh: the dashboard's list covers every
    procedure, regions and offices, and each address answers as a visitor sees it."""
    from mizan.transparency.services import transparency_refresh

    bench_seed(count=120, batch_size=120)
    transparency_refresh()
    folder = tmp_path / "lists"
    call_command(
        "bench_fixtures", str(folder), "--filings", "5", "--tracked", "5", stdout=StringIO()
    )
    rows = [line.split("\t") for line in (folder / "transparency.tsv").read_text().splitlines()]
    paths = [row[0] for row in rows]
    assert {p.split("procedure=")[1].split("&")[0] for p in paths} == set(PROCEDURES)
    assert any("region=" in p for p in paths) and any("office=" in p for p in paths)
    for path in paths[:12]:
        response = client.get(path)
        assert response.status_code == 200, path
    # The staff searches by name or word of the facts find cases, as the unit head.
    searches = [line.split("\t") for line in (folder / "search_words.tsv").read_text().splitlines()]
    assert len(searches) > 10
    found = 0
    for path, cookie, _body in searches[:10]:
        client.cookies["sessionid"] = cookie.split("=", 1)[1]
        response = client.get(path)
        assert response.status_code == 200, path
        found += "/backoffice/cases/" in response.content.decode()
    assert found >= 8  # names and words taken from the unit's own cases
    nothing = client.get("/fr/backoffice/search/?q=zzqxwv").content.decode()
    assert "/backoffice/cases/" not in nothing


def test_the_booking_lists_book_each_slot_once_and_tell_the_others_it_was_taken(
    reference_data, media, tmp_path, client
):
    """`bench_fixtures`' booking contention: per wrk run a service whose campaign opens
    today with a known number of slots, and verified citizens posting a slot each;
    replayed in order, the first ones book, the rest are told the slot was taken."""
    import json

    from django.utils import translation
    from django.utils.html import escape

    from mizan.appointments.forms import SlotForm
    from mizan.appointments.models import Booking

    with translation.override("fr"):
        taken = escape(str(SlotForm.base_fields["slot"].error_messages["invalid_choice"]))

    bench_seed(count=20, batch_size=20)
    folder = tmp_path / "lists"
    call_command(
        "bench_fixtures",
        str(folder),
        *("--filings", "1", "--tracked", "1", "--booking-slots", "3", "--bookers", "8"),
        stdout=StringIO(),
    )
    manifest = json.loads((folder / "booking.json").read_text())
    assert set(manifest) == {"warmup-1", "measure-1", "warmup-8", "measure-8"}
    assert len({phase["service"] for phase in manifest.values()}) == 4
    plan = manifest["measure-1"]
    assert (plan["slots"], plan["officials"], plan["bookers"]) == (3, 1, 8)
    rows = [
        line.split("\t") for line in (folder / "booking-measure-1.tsv").read_text().splitlines()
    ]
    assert len(rows) == 8 and len({row[1] for row in rows}) == 8  # one citizen each
    answers = []
    for path, cookie, body in rows:
        client.cookies.clear()
        for part in cookie.split("; "):
            name, value = part.split("=", 1)
            client.cookies[name] = value
        response = client.post(path, body, content_type="application/x-www-form-urlencoded")
        location = response.headers.get("Location", "")
        if response.status_code == 200:
            # The slot went to an earlier citizen: said so, with the free slots.
            assert taken in response.text
        answers.append("booked" if "/appointments/booked/" in location else response.status_code)
    booked = Booking.objects.filter(service__code=plan["service"], status="active")
    assert answers.count("booked") == booked.count() <= 3
    assert set(answers) == {"booked", 200}
    assert booked.values("official", "starts_at").distinct().count() == booked.count()


def test_seeding_a_database_without_reference_data_says_what_to_run(db):
    Commune.objects.all().delete()  # rolled back with the test
    with pytest.raises(CommandError, match="load_reference"):
        call_command("bench_seed", "--cases", "10", stdout=StringIO())
    assert not Case.objects.exists()
