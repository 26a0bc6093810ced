"""Litigant tracking of exchange files (#7): linking a file to the citizen's request,
and the SMS at its key steps, queued with the step, once (state built through services)."""

import pytest
from django.db import transaction
from django.utils import timezone

from mizan.cases.retention import case_anonymise
from mizan.cases.services import case_citizen_step, case_submit
from mizan.core.errors import DomainError
from mizan.core.references import format_reference
from mizan.exchange import workflow
from mizan.exchange.models import ExchangeAttempt, ExchangeFile
from mizan.exchange.services import (
    exchange_document_store,
    exchange_file_case_link,
    exchange_file_case_unlink,
    exchange_file_transition,
    exchange_seals_verify,
)
from mizan.notifications.encoding import GSM7, sms_shape
from mizan.notifications.models import Notification
from mizan.notifications.services import notification_render
from mizan.reference.models import Region

from .exchange_factories import (
    RABAT_REGISTRY,
    member,
    office,
    pdf_upload,
    registry_clerk,
    send_file,
)
from .factories import file_complaint

SERVED = "exchange.served"
ENFORCED = "exchange.enforcement_completed"


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def parties(reference_data):
    casa_office = office("CDJ-CASA-1", phone="0522 11 22 33")
    return {
        "clerk": registry_clerk("greffe.casa"),
        "office": casa_office,
        "commissaire": member("commissaire.casa", casa_office),
    }


def step(file, name, actor, **kwargs):
    return exchange_file_transition(file_id=file.pk, step_name=name, actor=actor, **kwargs)


def attempt(file, actor, result):
    return step(
        file,
        "record_attempt",
        actor,
        attempt={
            "attempted_at": timezone.now(),
            "place": "5 avenue Hassan II, Casablanca",
            "result": result,
            "note": "",
        },
    )


def report(file, actor):
    pdf = exchange_document_store(uploaded_file=pdf_upload("pv.pdf"), actor=actor, pdf_only=True)
    return step(file, "upload_report", actor, report=pdf)


def messages(template_key=None):
    found = Notification.objects.filter(template_key__startswith="exchange.")
    return found.filter(template_key=template_key) if template_key else found


# --- linking ---------------------------------------------------------------------------


def test_a_file_sent_with_the_litigants_reference_is_linked_and_the_link_sealed(parties):
    filing = file_complaint()
    # Typed as a litigant reads it out: lower case, spaces, O for 0.
    typed = filing.case.reference.lower().replace("-", " ").replace("0", "o")
    file = send_file(parties["clerk"], case_reference=typed)
    assert file.case == filing.case
    send = file.events.get(step="send")
    assert send.data["case"] == filing.case.reference
    assert exchange_seals_verify(file=file) == []
    # Sending is not a key step: the litigant is not messaged yet.
    assert not messages().exists()


@pytest.mark.parametrize(
    ("reference", "code"),
    [
        ("PLT-2026-000001-X", "invalid"),  # the check character does not match
        ("not a reference", "invalid"),
        (format_reference("PLT", 2026, 999_999), "case_not_found"),
    ],
)
def test_a_reference_that_names_no_request_is_refused_and_nothing_is_sent(parties, reference, code):
    file_complaint()
    with pytest.raises(DomainError) as refused:
        send_file(parties["clerk"], case_reference=reference)
    assert (refused.value.code, refused.value.field) == (code, "case_reference")
    assert not ExchangeFile.objects.exists()
    parties["office"].refresh_from_db()
    assert parties["office"].last_turn == 0  # the rotation's turn was given back


def test_a_request_whose_personal_data_was_removed_cannot_be_linked(parties):
    filing = file_complaint()
    case_citizen_step(
        case_id=filing.case.pk, step_name="withdraw", citizen_phone=str(filing.case.filer_phone)
    )
    assert case_anonymise(case_id=filing.case.pk)
    with pytest.raises(DomainError) as refused:
        send_file(parties["clerk"], case_reference=filing.case.reference)
    assert refused.value.code == "case_anonymised"


def test_the_sending_registry_links_and_unlinks_later_without_changing_the_status(parties):
    filing = file_complaint()
    file = send_file(parties["clerk"])
    step(file, "acknowledge", parties["commissaire"])

    # The office, another registry, and a second link are refused.
    with pytest.raises(DomainError) as refused:
        exchange_file_case_link(
            file_id=file.pk, actor=parties["commissaire"], case_reference=filing.case.reference
        )
    assert refused.value.code == "wrong_side"
    with pytest.raises(DomainError) as refused:
        exchange_file_case_link(
            file_id=file.pk,
            actor=registry_clerk("greffe.rabat", RABAT_REGISTRY),
            case_reference=filing.case.reference,
        )
    assert refused.value.code == "not_found"

    exchange_file_case_link(
        file_id=file.pk, actor=parties["clerk"], case_reference=filing.case.reference
    )
    with pytest.raises(DomainError) as refused:
        exchange_file_case_link(
            file_id=file.pk, actor=parties["clerk"], case_reference=filing.case.reference
        )
    assert refused.value.code == "conflict"
    file.refresh_from_db()
    assert file.case == filing.case and file.status == workflow.ACKNOWLEDGED

    with pytest.raises(DomainError) as refused:
        exchange_file_case_unlink(file_id=file.pk, actor=parties["commissaire"])
    assert refused.value.code == "wrong_side"
    exchange_file_case_unlink(file_id=file.pk, actor=parties["clerk"])
    file.refresh_from_db()
    assert file.case is None and file.status == workflow.ACKNOWLEDGED
    with pytest.raises(DomainError) as refused:
        exchange_file_case_unlink(file_id=file.pk, actor=parties["clerk"])
    assert refused.value.code == "conflict"

    links = file.events.filter(step__in=[workflow.LINK_CASE, workflow.UNLINK_CASE])
    assert [(e.step, e.data["case"], e.from_status, e.to_status) for e in links] == [
        (workflow.LINK_CASE, filing.case.reference, "acknowledged", "acknowledged"),
        (workflow.UNLINK_CASE, filing.case.reference, "acknowledged", "acknowledged"),
    ]
    assert all(event.seal_hash for event in links)
    assert exchange_seals_verify(file=file) == []
    assert str(workflow.done_label(workflow.LINK_CASE)) != str(workflow.SENT_DONE)


# --- SMS at the key steps ----------------------------------------------------------------


def test_served_is_sent_once_per_file_in_the_citizens_language_with_the_e_mail(parties):
    filing = file_complaint(language="ar", email="amina@example.ma")
    file = send_file(parties["clerk"], case_reference=filing.case.reference)
    commissaire = parties["commissaire"]
    step(file, "acknowledge", commissaire)
    attempt(file, commissaire, ExchangeAttempt.Result.ABSENT)
    attempt(file, commissaire, ExchangeAttempt.Result.REFUSED)
    assert not messages().exists()

    attempt(file, commissaire, ExchangeAttempt.Result.RELATIVE)
    sms = messages(SERVED).get(channel=Notification.Channel.SMS)
    assert sms.recipient == "+212612345678" and sms.language == "ar"
    assert sms.case == filing.case and sms.case_event is None
    assert filing.case.reference in sms.body and "ميزان" in sms.body
    assert f"/ar/track/{filing.case.reference}/" in sms.body
    e_mail = messages(SERVED).get(channel=Notification.Channel.EMAIL)
    assert e_mail.recipient == "amina@example.ma" and e_mail.body == sms.body

    # A second served attempt, the report and the completion do not repeat it.
    attempt(file, commissaire, ExchangeAttempt.Result.IN_PERSON)
    report(file, commissaire)
    step(file, "complete", commissaire)
    assert messages().count() == 2


def test_the_completion_of_a_service_file_tells_served_when_no_attempt_did(parties):
    filing = file_complaint()
    file = send_file(parties["clerk"], case_reference=filing.case.reference)
    commissaire = parties["commissaire"]
    step(file, "acknowledge", commissaire)
    report(file, commissaire)
    assert not messages().exists()
    step(file, "complete", commissaire)
    assert list(messages().values_list("template_key", "language")) == [(SERVED, "fr")]


def test_enforcement_completed_is_sent_once_and_its_attempts_send_nothing(parties):
    filing = file_complaint()
    file = send_file(
        parties["clerk"], kind=ExchangeFile.Kind.ENFORCEMENT, case_reference=filing.case.reference
    )
    commissaire = parties["commissaire"]
    step(file, "acknowledge", commissaire)
    attempt(file, commissaire, ExchangeAttempt.Result.IN_PERSON)
    step(
        file,
        "record_recovery",
        commissaire,
        recovery={"amount": "2500", "recovered_on": timezone.localdate(), "note": ""},
    )
    report(file, commissaire)
    assert not messages().exists()
    step(file, "complete", commissaire)
    sms = messages().get()
    assert sms.template_key == ENFORCED and filing.case.reference in sms.body


def test_failed_and_withdrawn_files_send_nothing(parties):
    filing = file_complaint()
    commissaire = parties["commissaire"]
    failed = send_file(parties["clerk"], case_reference=filing.case.reference)
    step(failed, "acknowledge", commissaire)
    report(failed, commissaire)
    step(failed, "fail", commissaire, reason="Addressee left the country")
    withdrawn = send_file(parties["clerk"], case_reference=filing.case.reference)
    step(withdrawn, "withdraw", parties["clerk"], reason="Sent by mistake")
    assert not messages().exists()


def test_a_file_not_linked_or_no_longer_linked_sends_nothing(parties):
    filing = file_complaint()
    commissaire = parties["commissaire"]
    never = send_file(parties["clerk"])
    unlinked = send_file(parties["clerk"], case_reference=filing.case.reference)
    exchange_file_case_unlink(file_id=unlinked.pk, actor=parties["clerk"])
    for file in (never, unlinked):
        step(file, "acknowledge", commissaire)
        attempt(file, commissaire, ExchangeAttempt.Result.IN_PERSON)
        report(file, commissaire)
        step(file, "complete", commissaire)
    assert not messages().exists()


def test_the_sms_commits_with_the_step_or_not_at_all(parties):
    from django_tasks_db.models import DBTaskResult

    from mizan.notifications.services import DISPATCH_TASK_PATH

    filing = file_complaint()
    file = send_file(parties["clerk"], case_reference=filing.case.reference)
    step(file, "acknowledge", parties["commissaire"])
    DBTaskResult.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        attempt(file, parties["commissaire"], ExchangeAttempt.Result.IN_PERSON)
        assert messages().count() == 1
        assert DBTaskResult.objects.filter(task_path=DISPATCH_TASK_PATH).exists()
        raise RuntimeError("the step's transaction is rolled back")
    assert not messages().exists() and not file.attempts.exists()
    assert not DBTaskResult.objects.exists()


def test_the_person_concerned_gets_the_same_sms(parties):
    region = Region.objects.order_by("pk").first()
    grievance = case_submit(
        procedure="grievance",
        filer_name="Youssef",
        filer_phone="+212699999999",
        language="fr",
        commune=None,
        details={"region": region.pk, "concerned": {"name": "Amina", "phone": "+212611111111"}},
    )
    file = send_file(parties["clerk"], case_reference=grievance.case.reference)
    step(file, "acknowledge", parties["commissaire"])
    attempt(file, parties["commissaire"], ExchangeAttempt.Result.IN_PERSON)
    assert sorted(messages(SERVED).values_list("recipient", flat=True)) == [
        "+212611111111",
        "+212699999999",
    ]


def test_the_sms_is_not_sent_once_the_requests_data_was_removed(parties):
    filing = file_complaint()
    file = send_file(parties["clerk"], case_reference=filing.case.reference)
    case_citizen_step(
        case_id=filing.case.pk, step_name="withdraw", citizen_phone=str(filing.case.filer_phone)
    )
    case_anonymise(case_id=filing.case.pk)
    step(file, "acknowledge", parties["commissaire"])
    attempt(file, parties["commissaire"], ExchangeAttempt.Result.IN_PERSON)
    assert not messages().exists()


# --- wordings ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", [SERVED, ENFORCED])
@pytest.mark.parametrize(("language", "encoding", "budget"), [("fr", GSM7, 2), ("en", GSM7, 2)])
def test_latin_wordings_stay_in_gsm7(db, key, language, encoding, budget):
    """A typographic apostrophe or a ç would make a French SMS UCS-2, twice the cost."""
    text = notification_render(
        template_key=key,
        language=language,
        context={
            "reference": "PLT-2026-000001-N",
            "link": "https://mizan.justice.gov.ma/fr/track/PLT-2026-000001-N/",
        },
    )
    shape = sms_shape(text)
    assert shape.encoding == encoding and shape.segments <= budget, text


def test_every_state_step_and_result_has_citizen_wording():
    kinds = (workflow.SERVICE, workflow.ENFORCEMENT)
    assert {(s.name, kind) for s in workflow.STATES for kind in kinds} == set(
        workflow.CITIZEN_STATES
    )
    expected = {("send", kind) for kind in kinds} | {
        (s.name, kind) for s in workflow.STEPS if s.name != "record_attempt" for kind in s.kinds
    }
    assert expected == set(workflow.CITIZEN_STEPS)
    assert {(r, kind) for r in ExchangeAttempt.Result.values for kind in kinds} == set(
        workflow.CITIZEN_ATTEMPTS
    )


# --- the citizen API's request and the data export ------------------------------------


def _two_litigants(parties):
    """Two phones' requests, each with a file linked: a service file with an attempt for
    the first, an enforcement file with an amount recovered for the second."""
    from django.core.cache import cache

    cache.clear()  # the API's per-address budget, shared by every test client
    mine = file_complaint(phone="+212612349911")
    theirs = file_complaint(phone="+212612349922")
    service = send_file(
        parties["clerk"], office=parties["office"], case_reference=mine.case.reference
    )
    step(service, "acknowledge", parties["commissaire"])
    attempt(service, parties["commissaire"], "absent")
    enforcement = send_file(
        parties["clerk"],
        kind=ExchangeFile.Kind.ENFORCEMENT,
        office=parties["office"],
        case_reference=theirs.case.reference,
    )
    step(enforcement, "acknowledge", parties["commissaire"])
    step(
        enforcement,
        "record_recovery",
        parties["commissaire"],
        recovery={"amount": "1500.00", "recovered_on": timezone.localdate()},
    )
    return mine, service, theirs, enforcement


def test_my_request_in_the_api_lists_its_files_in_my_language_and_never_anothers(parties):
    from django.test import Client
    from django.utils import translation

    from .test_api import call, sign_in

    mine, service, theirs, enforcement = _two_litigants(parties)
    client = Client()
    token = sign_in(client, "+212612349911")["access_token"]
    answer = call(client, "get", f"/requests/{mine.case.reference}", token=token, language="fr")
    assert answer.status_code == 200, answer.content
    [listed] = answer.json()["exchange_files"]
    with translation.override("fr"):
        label = str(workflow.CITIZEN_STATES[(workflow.ACKNOWLEDGED, workflow.SERVICE)].label)
        kind = str(ExchangeFile.Kind.SERVICE.label)
    assert listed["reference"] == service.reference and listed["kind"] == "service"
    assert listed["status_label"] == label and listed["kind_label"] == kind
    assert listed["office_phone"] == "0522 11 22 33" and listed["closed"] is False
    assert listed["sent_at"] and listed["deadline"] == service.deadline.isoformat()
    # Sent, acknowledged, an attempt: each on its day.
    assert [s["on"] for s in listed["steps"]] == [timezone.localdate().isoformat()] * 3
    # The tracking page's wording, never the exchange side's details.
    assert "Karim Addressee" not in answer.content.decode()
    assert "avenue Hassan II" not in answer.content.decode()
    # The other phone's request, and its file, are not this phone's to read.
    assert call(client, "get", f"/requests/{theirs.case.reference}", token=token).status_code == 404
    assert enforcement.reference not in answer.content.decode()
    other = sign_in(client, "+212612349922")["access_token"]
    their_answer = call(client, "get", f"/requests/{theirs.case.reference}", token=other)
    [their_file] = their_answer.json()["exchange_files"]
    assert their_file["reference"] == enforcement.reference
    assert their_file["amount_due"] == "10000.00" and their_file["amount_recovered"] == "1500.00"
    assert service.reference not in their_answer.content.decode()
    # A request without a linked file lists none.
    plain = file_complaint(phone="+212612349911")
    answer = call(client, "get", f"/requests/{plain.case.reference}", token=token)
    assert answer.json()["exchange_files"] == []


def test_the_data_export_lists_the_request_files_and_no_other(parties):
    import json

    from .test_data_export import tracking_client

    mine, service, theirs, enforcement = _two_litigants(parties)
    client = tracking_client(mine)
    response = client.get(f"/en/track/{mine.case.reference}/data.json")
    assert response.status_code == 200
    data = json.loads(response.content)
    [listed] = data["exchange_files"]
    assert listed["reference"] == service.reference and listed["kind"] == "service"
    assert listed["status_label"] == str(
        workflow.CITIZEN_STATES[(workflow.ACKNOWLEDGED, workflow.SERVICE)].label
    )
    assert listed["sent_at"] and listed["deadline"] == service.deadline.isoformat()
    assert enforcement.reference not in response.content.decode()
    assert "Karim Addressee" not in response.content.decode()
    # The other litigant's export has their file only; and the PDF shows the section.
    theirs_data = json.loads(
        tracking_client(theirs).get(f"/en/track/{theirs.case.reference}/data.json").content
    )
    assert [f["reference"] for f in theirs_data["exchange_files"]] == [enforcement.reference]
    pdf = client.get(f"/fr/track/{mine.case.reference}/data.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
