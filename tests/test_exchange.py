"""The exchange between court registries and commissaires de justice: lifecycle,
sides, competence and rotation, sealing, history PDF (state built through services)."""

import hashlib
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from mizan.core.audit import audit_verify
from mizan.core.errors import DomainError
from mizan.core.models import AuditEntry
from mizan.exchange import workflow
from mizan.exchange.history import exchange_history_pdf
from mizan.exchange.models import ExchangeAttempt, ExchangeEvent, ExchangeFile
from mizan.exchange.selectors import file_for_user, files_sent, office_inbox
from mizan.exchange.services import (
    exchange_document_store,
    exchange_file_transition,
    exchange_seals_verify,
)

from .exchange_factories import (
    CASABLANCA,
    RABAT,
    RABAT_REGISTRY,
    member,
    office,
    pdf_upload,
    registry_clerk,
    send_file,
)


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def parties(reference_data):
    casa_office = office("CDJ-CASA-1")
    return {
        "clerk": registry_clerk("greffe.casa"),
        "office": casa_office,
        "commissaire": member("commissaire.casa", casa_office),
        "office_clerk": member("clerc.casa", casa_office, role="clerk"),
    }


def step(file, name, actor, **kwargs):
    return exchange_file_transition(file_id=file.pk, step_name=name, actor=actor, **kwargs)


def an_attempt(result="absent"):
    return {
        "attempted_at": timezone.now(),
        "place": "5 avenue Hassan II, Casablanca",
        "result": result,
        "note": "",
    }


def a_report(actor, name="pv.pdf"):
    content = b"%PDF-1.4\n% report " + name.encode() + b"\n%%EOF\n"
    return exchange_document_store(
        uploaded_file=pdf_upload(name, content), actor=actor, pdf_only=True
    )


def test_the_workflow_table_is_consistent():
    assert workflow.problems() == []


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_every_state_and_step_label_is_translated(language):
    labels = [state.label for state in workflow.STATES]
    labels += [label for s in workflow.STEPS for label in (s.label, s.done)]
    labels.append(workflow.SENT_DONE)
    with translation.override("en"):
        english = [str(label) for label in labels]
    with translation.override(language):
        untranslated = [
            text for text, label in zip(english, labels, strict=True) if str(label) == text
        ]
    assert untranslated == []


def test_service_file_full_lifecycle(parties):
    clerk, commissaire = parties["clerk"], parties["commissaire"]
    file = send_file(clerk)
    assert file.status == workflow.SENT
    assert file.office == parties["office"]
    assert file.reference.startswith("CDJ-")
    step(file, "acknowledge", parties["office_clerk"])
    step(file, "record_attempt", commissaire, attempt=an_attempt("absent"))
    step(file, "record_attempt", commissaire, attempt=an_attempt("in_person"))
    step(file, "upload_report", commissaire, report=a_report(commissaire))
    step(file, "complete", commissaire)
    file.refresh_from_db()
    assert file.status == workflow.COMPLETED
    assert file.acknowledged_at is not None and file.closed_at is not None
    assert [a.result for a in file.attempts.all()] == ["absent", "in_person"]
    assert list(file.events.values_list("step", flat=True)) == [
        "send",
        "acknowledge",
        "record_attempt",
        "record_attempt",
        "upload_report",
        "complete",
    ]
    assert sorted(file.documents.values_list("role", flat=True)) == ["report", "sent"]
    assert audit_verify().ok
    assert exchange_seals_verify(file=file) == []


def test_enforcement_file_records_amounts_and_can_fail_with_a_reason(parties):
    clerk, commissaire = parties["clerk"], parties["commissaire"]
    file = send_file(clerk, kind=ExchangeFile.Kind.ENFORCEMENT)
    step(file, "acknowledge", commissaire)
    step(file, "record_attempt", commissaire, attempt=an_attempt("refused"))
    step(
        file,
        "record_recovery",
        commissaire,
        recovery={"amount": "2500.50", "recovered_on": timezone.localdate(), "note": ""},
    )
    step(file, "upload_report", commissaire, report=a_report(commissaire))
    step(
        file,
        "record_recovery",
        commissaire,
        recovery={"amount": "1000", "recovered_on": timezone.localdate(), "note": "virement"},
    )
    with pytest.raises(DomainError) as refused:
        step(file, "fail", commissaire)
    assert refused.value.code == "invalid" and refused.value.field == "reason"
    step(file, "fail", commissaire, reason="The debtor has no seizable assets.")
    file.refresh_from_db()
    assert file.status == workflow.FAILED
    assert file.failure_reason == "The debtor has no seizable assets."
    assert sum(r.amount for r in file.recoveries.all()) == Decimal("3500.50")
    assert audit_verify().ok


def test_amounts_are_for_enforcement_files_only(parties):
    file = send_file(parties["clerk"])
    step(file, "acknowledge", parties["commissaire"])
    with pytest.raises(DomainError) as refused:
        step(
            file,
            "record_recovery",
            parties["commissaire"],
            recovery={"amount": "10", "recovered_on": timezone.localdate()},
        )
    assert refused.value.code == "not_allowed"


def test_wrong_side_and_wrong_transition_are_refused(parties):
    clerk, commissaire = parties["clerk"], parties["commissaire"]
    file = send_file(clerk)
    # The court cannot acknowledge for the office; the office cannot withdraw.
    with pytest.raises(DomainError) as refused:
        step(file, "acknowledge", clerk)
    assert refused.value.code == "wrong_side"
    with pytest.raises(DomainError) as refused:
        step(file, "withdraw", commissaire, reason="x")
    assert refused.value.code == "wrong_side"
    # Not yet acknowledged: no report, no completion.
    for name in ("upload_report", "complete", "record_attempt"):
        with pytest.raises(DomainError) as refused:
            step(file, name, commissaire, report=a_report(commissaire), attempt=an_attempt())
        assert refused.value.code == "not_allowed", name
    step(file, "acknowledge", commissaire)
    with pytest.raises(DomainError) as refused:
        step(file, "acknowledge", commissaire)
    assert refused.value.code == "not_allowed"
    with pytest.raises(DomainError) as refused:
        step(file, "acknowledge", commissaire, expected_status=workflow.SENT)
    assert refused.value.code == "conflict"
    step(file, "withdraw", clerk, reason="The parties settled.")
    file.refresh_from_db()
    assert file.status == workflow.WITHDRAWN
    with pytest.raises(DomainError) as refused:
        step(file, "record_attempt", commissaire, attempt=an_attempt())
    assert refused.value.code == "not_allowed"
    assert file.events.count() == 3


def test_an_attempt_needs_a_place_a_result_and_a_plausible_time(parties):
    file = send_file(parties["clerk"])
    commissaire = parties["commissaire"]
    step(file, "acknowledge", commissaire)
    for change, field in [
        ({"place": " "}, "place"),
        ({"result": "lost"}, "result"),
        ({"attempted_at": timezone.now() + timedelta(hours=2)}, "attempted_at"),
        ({"attempted_at": timezone.now() - timedelta(days=3)}, "attempted_at"),
    ]:
        with pytest.raises(DomainError) as refused:
            step(file, "record_attempt", commissaire, attempt={**an_attempt(), **change})
        assert refused.value.field == field
    assert not ExchangeAttempt.objects.exists()


def test_each_side_sees_only_its_own_files(parties):
    other_office = office("CDJ-CASA-2")
    other_commissaire = member("commissaire.other", other_office)
    rabat_clerk = registry_clerk("greffe.rabat", RABAT_REGISTRY)
    rabat_office = office("CDJ-RABAT-1", "CA_RABAT")
    mine = send_file(parties["clerk"], office=parties["office"])
    theirs = send_file(parties["clerk"], office=other_office)
    rabat_file = send_file(rabat_clerk, unit_code=RABAT_REGISTRY, commune_code=RABAT, office=None)
    # Offices: their inbox only.
    assert list(office_inbox(user=parties["commissaire"])) == [mine]
    assert list(office_inbox(user=other_commissaire)) == [theirs]
    assert file_for_user(user=parties["commissaire"], reference=theirs.reference) is None
    with pytest.raises(DomainError) as refused:
        step(theirs, "acknowledge", parties["commissaire"])
    assert refused.value.code == "not_found"
    # Courts: the files they sent only.
    assert set(files_sent(user=parties["clerk"])) == {mine, theirs}
    assert list(files_sent(user=rabat_clerk)) == [rabat_file]
    assert list(office_inbox(user=parties["commissaire"])) == [mine]
    assert rabat_file.office == rabat_office
    assert file_for_user(user=rabat_clerk, reference=mine.reference) is None
    assert file_for_user(user=parties["clerk"], reference=rabat_file.reference) is None


def test_a_prosecution_agent_is_on_no_side(parties, office):
    file = send_file(parties["clerk"])
    assert file_for_user(user=office["clerk"], reference=file.reference) is None
    assert list(files_sent(user=office["clerk"])) == []


def test_overdue_files_are_flagged(parties):
    clerk = parties["clerk"]
    late = send_file(clerk)
    ExchangeFile.objects.filter(pk=late.pk).update(
        deadline=timezone.localdate() - timedelta(days=1)
    )
    on_time = send_file(clerk)
    done = send_file(clerk)
    ExchangeFile.objects.filter(pk=done.pk).update(
        deadline=timezone.localdate() - timedelta(days=1), status=workflow.COMPLETED
    )
    flags = {file.pk: file.overdue for file in files_sent(user=clerk)}
    assert flags == {late.pk: True, on_time.pk: False, done.pk: False}
    assert [f.pk for f in files_sent(user=clerk, overdue_only=True)] == [late.pk]


# --- competence and rotation ------------------------------------------------------------


def test_a_named_office_must_be_competent_for_the_commune(parties):
    rabat_office = office("CDJ-RABAT-1", "CA_RABAT")
    with pytest.raises(DomainError) as refused:
        send_file(parties["clerk"], commune_code=CASABLANCA, office=rabat_office)
    assert refused.value.code == "not_competent" and refused.value.field == "office"
    file = send_file(parties["clerk"], commune_code=RABAT, office=rabat_office)
    assert file.office == rabat_office
    assert file.assignment == ExchangeFile.Assignment.NAMED


def test_an_inactive_office_is_never_assigned(parties):
    closed = office("CDJ-CASA-0")
    closed.is_active = False
    closed.save()
    with pytest.raises(DomainError) as refused:
        send_file(parties["clerk"], office=closed)
    assert refused.value.code == "not_competent"
    assert {send_file(parties["clerk"]).office for _ in range(3)} == {parties["office"]}


def test_no_competent_office_is_a_clear_refusal(parties):
    with translation.override("fr"), pytest.raises(DomainError) as refused:
        send_file(parties["clerk"], commune_code=RABAT)
    assert refused.value.code == "no_office"
    assert "Cour d'appel de Rabat" in str(refused.value)
    assert not ExchangeFile.objects.exists()


def test_rotation_takes_turns_among_competent_offices(parties):
    second, third = office("CDJ-CASA-2"), office("CDJ-CASA-3")
    office("CDJ-RABAT-1", "CA_RABAT")  # another area: never in this rotation
    offices = [send_file(parties["clerk"]).office.registration_number for _ in range(9)]
    # Never assigned first, then least recently assigned; ties by registration number.
    assert offices == ["CDJ-CASA-1", "CDJ-CASA-2", "CDJ-CASA-3"] * 3
    # A file named for an office counts as its turn.
    send_file(parties["clerk"], office=second)
    assert [send_file(parties["clerk"]).office for _ in range(2)] == [parties["office"], third]
    assert {f.assignment for f in ExchangeFile.objects.filter(office=second)} == {
        "rotation",
        "named",
    }


def test_only_a_registry_member_sends_in_its_name(parties):
    with pytest.raises(DomainError) as refused:
        send_file(parties["commissaire"])
    assert refused.value.code == "wrong_side"


def test_a_file_needs_its_documents(parties):
    from mizan.accounts.models import Unit
    from mizan.exchange.services import exchange_file_create
    from mizan.reference.models import Commune

    with pytest.raises(DomainError) as refused:
        exchange_file_create(
            actor=parties["clerk"],
            court_unit=Unit.objects.get(code="REG-TPI_CASA_CIVIL"),
            kind="service",
            subject="Convocation",
            addressee_name="A",
            addressee_address="B",
            commune=Commune.objects.get(code=CASABLANCA),
            deadline=timezone.localdate(),
            documents=[],
        )
    assert refused.value.code == "no_documents"


# --- sealing ----------------------------------------------------------------------------


def test_every_step_and_document_is_sealed_in_the_audit_chain(parties):
    clerk, commissaire = parties["clerk"], parties["commissaire"]
    content = b"%PDF-1.4\n% the summons itself\n%%EOF\n"
    file = send_file(clerk, content=content)
    step(file, "acknowledge", commissaire)
    events = list(file.events.all())
    for event in events:
        entry = AuditEntry.objects.get(pk=event.audit_entry_id)
        assert entry.entry_hash == event.seal_hash
        assert entry.action == f"exchange.{event.step}"
        assert entry.object_id == file.reference
        assert entry.data["author"] in {"greffe.casa", "commissaire.casa"}
        assert entry.data["at"] == event.at.isoformat()
    sealed = AuditEntry.objects.get(pk=events[0].audit_entry_id).data["data"]["documents"]
    assert sealed[0]["sha256"] == hashlib.sha256(content).hexdigest()
    assert audit_verify().ok
    assert exchange_seals_verify(file=file) == []


def test_tampering_with_a_document_or_a_step_is_detected(parties):
    file = send_file(parties["clerk"])
    step(file, "acknowledge", parties["commissaire"])
    assert exchange_seals_verify(file=file) == []
    call_command("verify_exchange_seals", stdout=StringIO())
    # A stored document rewritten on disk.
    attachment = file.documents.get().attachment
    with open(attachment.file.path, "wb") as handle:
        handle.write(b"%PDF-1.4\n% another document\n%%EOF\n")
    problems = exchange_seals_verify(file=file)
    assert len(problems) == 1 and "content changed" in problems[0]
    # A step's time moved back in the database.
    ack = file.events.get(step="acknowledge")
    ExchangeEvent.objects.filter(pk=ack.pk).update(at=ack.at - timedelta(days=2))
    assert any("changed since it was sealed" in p for p in exchange_seals_verify(file=file))
    with pytest.raises(CommandError, match="2 seal"):
        call_command("verify_exchange_seals", stderr=StringIO())
    # And the audit entry cannot be edited to match without breaking the chain.
    entry = AuditEntry.objects.get(pk=ack.audit_entry_id)
    entry.data["at"] = (ack.at - timedelta(days=2)).isoformat()
    entry.save()
    assert not audit_verify().ok


# --- the history PDF --------------------------------------------------------------------


def test_history_pdf_lists_the_steps_with_their_seals(parties):
    from .test_receipts import text_runs

    file = send_file(parties["clerk"])
    step(file, "acknowledge", parties["commissaire"])
    pdf = exchange_history_pdf(file=file, language="fr")
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(run for _x, run in text_runs(pdf))
    assert file.reference in text
    assert "Greffe du tribunal" in text  # the sending registry, in French
    for event in file.events.all():
        assert event.seal_hash[:16] in text.replace("\n", "")


def test_history_pdf_in_arabic(parties):
    file = send_file(parties["clerk"])
    pdf = exchange_history_pdf(file=file, language="ar")
    assert pdf.startswith(b"%PDF-")


def test_a_report_must_be_a_pdf(parties):
    from django.core.files.uploadedfile import SimpleUploadedFile

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with pytest.raises(DomainError) as refused:
        exchange_document_store(
            uploaded_file=SimpleUploadedFile("pv.png", png, content_type="application/pdf"),
            actor=parties["commissaire"],
            pdf_only=True,
        )
    assert refused.value.code == "file_type"
    assert "pv.png" in str(refused.value) and "PDF" in str(refused.value)
