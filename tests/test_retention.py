from datetime import timedelta
from io import StringIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mizan.accounts.models import PhoneChallenge
from mizan.cases.filing import filing_start
from mizan.cases.models import PendingFiling
from mizan.cases.retention import expired_data_purge
from mizan.documents.models import Attachment
from mizan.documents.services import attachment_store
from mizan.reference.models import Commune

from .factories import complaint_details, file_complaint

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_expired_forms_their_uploads_and_old_codes_are_purged(reference_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    kept_case = file_complaint().case
    filed_upload = attachment_store(uploaded_file=SimpleUploadedFile("a.pdf", PDF))
    Attachment.objects.filter(pk=filed_upload.pk).update(case=kept_case)
    form_upload = attachment_store(uploaded_file=SimpleUploadedFile("b.pdf", PDF + b"x"))
    commune = Commune.objects.get(code="06.141.01.0")
    data = {
        **complaint_details(commune),
        "attachment_ids": [form_upload.pk],
        "filer": {"name": "A", "email": "", "language": "fr"},
    }
    pending = filing_start(
        procedure="complaint", data=data, phone="+212612345678", language="fr", ip_address=None
    )
    later = timezone.now() + timedelta(days=2)

    summary = expired_data_purge(now=later)

    assert summary.pending_filings == 1 and summary.uploads == 1
    assert summary.challenges == 1
    assert not PendingFiling.objects.filter(pk=pending.pk).exists()
    assert not Attachment.objects.filter(pk=form_upload.pk).exists()
    assert Attachment.objects.filter(pk=filed_upload.pk).exists()  # a filed case keeps it
    assert not PhoneChallenge.objects.exists()


def test_a_form_still_being_filled_in_is_kept(reference_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = attachment_store(uploaded_file=SimpleUploadedFile("c.pdf", PDF))
    summary = expired_data_purge()
    assert summary.uploads == 0 and Attachment.objects.filter(pk=upload.pk).exists()


# --- closed cases past their retention period ---------------------------------------------


def closed_complaint(settings, *, years_ago: float, email="amina@example.ma"):
    """A complaint filed, answered, with a document, withdrawn (closed), and its closing
    moved back in time (the engine stamps the present; only the dates are moved)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from mizan.cases.models import Case, CaseEvent
    from mizan.cases.services import case_transition

    filing = file_complaint(email=email)
    upload = attachment_store(uploaded_file=SimpleUploadedFile("id.pdf", PDF))
    Attachment.objects.filter(pk=upload.pk).update(case=filing.case)
    case_transition(
        case_id=filing.case.pk,
        step_name="withdraw",
        citizen_phone=str(filing.case.filer_phone),
        message="I settled with my neighbour Karim.",
    )
    closed = timezone.now() - timedelta(days=365 * years_ago)
    Case.objects.filter(pk=filing.case.pk).update(closed_at=closed)
    CaseEvent.objects.filter(case=filing.case, step="withdraw").update(at=closed)
    return filing


def test_closed_cases_past_retention_are_anonymised_and_their_statistics_kept(
    reference_data, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.management import call_command
    from django.test import Client

    from mizan.cases.models import Case, CaseEvent
    from mizan.cases.retention import retention_apply
    from mizan.notifications.models import Notification

    settings.MEDIA_ROOT = tmp_path
    old = closed_complaint(settings, years_ago=6)
    recent = closed_complaint(settings, years_ago=1)
    still_open = file_complaint(phone="+212612999999")
    before = Case.objects.values("procedure", "unit", "commune", "status", "submitted_at").get(
        pk=old.case.pk
    )
    steps_before = list(CaseEvent.objects.filter(case=old.case).values_list("to_status", "at"))

    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "complaint: 1 closed cases past 1825 days" in out.getvalue()
    assert Case.objects.get(pk=old.case.pk).anonymised_at is None

    [stored] = Attachment.objects.filter(case=old.case).values_list("file", flat=True)
    assert (tmp_path / stored).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert retention_apply() == {"complaint": 1}
    case = Case.objects.get(pk=old.case.pk)
    assert case.anonymised_at is not None
    assert (case.filer_name, str(case.filer_phone), case.filer_email) == ("—", "", "")
    assert set(case.details) <= {"category", "complainant_kind", "anonymised"}
    assert case.details["anonymised"] is True and "facts" not in case.details
    assert "karim" not in case.search_text
    assert not Attachment.objects.filter(case=case).exists()
    assert not (tmp_path / stored).exists()
    texts = CaseEvent.objects.filter(case=case).values_list("citizen_message", "internal_note")
    assert all(message == note == "" for message, note in texts)
    assert set(Notification.objects.filter(case=case).values_list("body", "recipient")) == {
        ("—", "—")
    }
    # What the statistics read is unchanged.
    assert (
        Case.objects.values("procedure", "unit", "commune", "status", "submitted_at").get(
            pk=case.pk
        )
        == before
    )
    assert list(CaseEvent.objects.filter(case=case).values_list("to_status", "at")) == (
        steps_before
    )
    assert set(Notification.objects.filter(case=case).values_list("status", flat=True))
    # The old access code no longer opens anything.
    response = Client().post(
        "/en/track/", {"reference": case.reference, "access_code": old.access_code}
    )
    assert response.status_code != 302
    # Its office still opens it (without personal data) and still finds it.
    from mizan.accounts.models import Role

    from .factories import staff, verified_login

    clerk = verified_login(Client(), staff("clerk", "PROS-TPI_CASA_PENAL", Role.AGENT))
    page = clerk.get(f"/en/backoffice/cases/{case.reference}/")
    assert page.status_code == 200 and "Karim" not in page.content.decode()
    # The others are untouched, and a second run does nothing.
    assert Case.objects.get(pk=recent.case.pk).anonymised_at is None
    assert Case.objects.get(pk=still_open.case.pk).filer_name == "Amina Test"
    assert retention_apply() == {}


def test_the_retention_period_is_set_per_procedure(reference_data, settings, tmp_path):
    from mizan.cases.retention import retention_apply

    settings.MEDIA_ROOT = tmp_path
    closed_complaint(settings, years_ago=1)
    settings.MIZAN_RETENTION_DAYS = {**settings.MIZAN_RETENTION_DAYS, "complaint": 180}
    assert retention_apply() == {"complaint": 1}


def test_documents_of_exchange_files_and_bookings_are_not_taken_for_leftovers(
    reference_data, settings, tmp_path, monkeypatch
):
    """The daily purge removes uploads that belong to nothing; a document sent with a
    service file or for an appointment belongs to it, whatever its age."""
    from mizan.appointments.services import booking_documents_add

    from .appointment_factories import (
        FRIDAY_BEFORE_CHANGE,
        MONDAY_BEFORE,
        Clock,
        book,
        morocco,
        service_setup,
    )
    from .exchange_factories import office, registry_clerk, send_file

    settings.MEDIA_ROOT = tmp_path
    office("CDJ-001")
    sent = send_file(registry_clerk("greffier"))
    Clock(monkeypatch, MONDAY_BEFORE)
    booking = book(service_setup(), morocco(FRIDAY_BEFORE_CHANGE, 9))
    booking_documents_add(
        booking_id=booking.pk, uploaded_files=[SimpleUploadedFile("j.pdf", PDF + b"b")]
    )
    leftover = attachment_store(uploaded_file=SimpleUploadedFile("x.pdf", PDF + b"x"))

    summary = expired_data_purge(now=MONDAY_BEFORE + timedelta(days=30))

    assert summary.uploads == 1 and not Attachment.objects.filter(pk=leftover.pk).exists()
    assert sent.documents.count() == 1 and booking.documents.count() == 1
    assert Attachment.objects.count() == 2


def test_bookings_past_retention_lose_the_citizen_s_data_and_keep_their_figures(
    reference_data, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from mizan.appointments.models import Booking
    from mizan.appointments.retention import booking_retention_apply
    from mizan.appointments.services import booking_documents_add
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

    settings.MEDIA_ROOT = tmp_path
    settings.MIZAN_APPOINTMENT_RETENTION_DAYS = 365
    clock = Clock(monkeypatch, MONDAY_BEFORE)
    service = service_setup()
    old = book(service, morocco(FRIDAY_BEFORE_CHANGE, 9), citizen_email="karima@example.org")
    booking_documents_add(
        booking_id=old.pk, uploaded_files=[SimpleUploadedFile("j.pdf", PDF + b"o")]
    )
    [stored] = Attachment.objects.values_list("file", flat=True)
    recent = book(service, morocco(MONDAY_AFTER_CHANGE, 9), phone="+33612345601")
    clock.set(old.ends_at + timedelta(days=366))
    assert Notification.objects.filter(recipient="karima@example.org").exists()

    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "appointments: 1 bookings past 365 days" in out.getvalue()
    assert Booking.objects.get(pk=old.pk).anonymised_at is None

    with django_capture_on_commit_callbacks(execute=True):
        assert booking_retention_apply() == 1
    booking = Booking.objects.get(pk=old.pk)
    assert (booking.citizen_name, str(booking.citizen_phone), booking.citizen_email) == (
        "—",
        "",
        "",
    )
    assert booking.subject == "—" and booking.anonymised_at is not None
    # What the statistics need stays: service, official, times, status, country.
    assert (booking.service_id, booking.starts_at, booking.country_of_residence) == (
        service.pk,
        old.starts_at,
        "CA",
    )
    assert not booking.documents.exists() and not Attachment.objects.exists()
    assert not (tmp_path / stored).exists()
    messages = Notification.objects.filter(idempotency_key__startswith=f"appointment:{old.pk}:")
    assert messages.exists()
    assert set(messages.values_list("recipient", "body")) == {("—", "—")}
    assert Booking.objects.get(pk=recent.pk).anonymised_at is None  # 365 days not yet over
    assert booking_retention_apply() == 0
