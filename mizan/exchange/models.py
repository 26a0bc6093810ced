"""Service and enforcement files sent by court registries to commissaires de justice.

Only `exchange_file_transition` changes a file's status (see workflow.py); every step
is an `ExchangeEvent` sealed in the hash-chained audit log.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mizan.accounts.models import Unit
from mizan.reference.models import Commune, Court


class CommissaireOffice(models.Model):
    """A commissaire de justice's office (étude), created by an administrator.

    Since law 46.21 a commissaire acts across the whole area of their court of appeal:
    the office is competent for every commune of that area.
    """

    registration_number = models.CharField(_("registration number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("office address"))
    appeal_court = models.ForeignKey(
        Court,
        verbose_name=_("court of appeal area"),
        on_delete=models.PROTECT,
        limit_choices_to={"kind": Court.Kind.APPEAL},
        related_name="commissaire_offices",
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The rotation hands the next file to the competent office assigned least recently:
    # each assignment gives the office a turn number above every competent office's
    # (0: never assigned, first in turn). A counter, not a time, so the order is
    # deterministic; written under row locks (services).
    last_turn = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("commissaire de justice office")
        verbose_name_plural = _("commissaire de justice offices")

    def __str__(self) -> str:
        return f"{self.name} ({self.registration_number})"


class OfficeMember(models.Model):
    """A staff log-in acting for an office: the commissaire or one of their clerks.

    Members sign in like court staff (password, then the authenticator app).
    """

    class Role(models.TextChoices):
        COMMISSAIRE = "commissaire", _("Commissaire de justice")
        CLERK = "clerk", _("Clerk")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="office_membership"
    )
    office = models.ForeignKey(CommissaireOffice, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("office member")
        verbose_name_plural = _("office members")

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.office.name}"


class ExchangeFile(models.Model):
    """A dossier a court registry sends to a commissaire's office."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("Service of a document")
        ENFORCEMENT = "enforcement", _("Enforcement of a judgment")

    class Assignment(models.TextChoices):
        NAMED = "named", _("Named by the litigant")
        ROTATION = "rotation", _("Rotation among competent offices")

    reference = models.CharField(max_length=24, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=30, db_index=True)
    court_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="exchange_files")
    office = models.ForeignKey(
        CommissaireOffice, on_delete=models.PROTECT, related_name="exchange_files"
    )
    assignment = models.CharField(max_length=20, choices=Assignment.choices)
    # Service: what is to be served; enforcement: the judgment to enforce.
    subject = models.CharField(max_length=300)
    addressee_name = models.CharField(max_length=200)
    addressee_address = models.TextField()
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(null=True, blank=True)
    judgment_reference = models.CharField(max_length=100, blank=True)
    parties = models.TextField(blank=True)
    amount_due = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    # The litigant's request on Mizan, when the registry was given its reference: the
    # citizen follows the file on that request's tracking page and is told by SMS when
    # it is served or the enforcement completed. Set and removed only by
    # `exchange_file_case_link` / `_unlink` (and at creation), each a sealed step.
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exchange_files",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the file's last step was sealed (its status, documents, attempts, amounts or
    # request link changed): the offices' software polls "what changed since" by it. Set
    # only with a step (`_seal`), never by `save()`.
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["office", "status"], name="exchange_office_status"),
            models.Index(fields=["court_unit", "status"], name="exchange_court_status"),
            # An office's changes in order, for the partner API's `changed_since` pages.
            models.Index(fields=["office", "changed_at", "id"], name="exchange_office_changed"),
        ]
        verbose_name = _("exchange file")
        verbose_name_plural = _("exchange files")

    def __str__(self) -> str:
        return self.reference


class ExchangeEvent(models.Model):
    """One step of a file, sealed: `seal_hash` is the audit entry's chained hash."""

    file = models.ForeignKey(ExchangeFile, on_delete=models.CASCADE, related_name="events")
    step = models.CharField(max_length=30)
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30)
    side = models.CharField(max_length=20)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    audit_entry = models.ForeignKey(
        "core.AuditEntry", null=True, on_delete=models.PROTECT, related_name="+"
    )
    seal_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("exchange step")
        verbose_name_plural = _("exchange steps")

    def __str__(self) -> str:
        return f"{self.file.reference} {self.step} {self.at:%Y-%m-%d %H:%M}"


class ExchangeDocument(models.Model):
    """A document of a file: sent by the court, or the commissaire's report (PDF)."""

    class Role(models.TextChoices):
        SENT = "sent", _("Document sent by the court")
        REPORT = "report", _("Report (procès-verbal)")

    file = models.ForeignKey(ExchangeFile, on_delete=models.CASCADE, related_name="documents")
    attachment = models.OneToOneField(
        "documents.Attachment", on_delete=models.PROTECT, related_name="exchange_document"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    event = models.ForeignKey(ExchangeEvent, on_delete=models.PROTECT, related_name="documents")

    class Meta:
        ordering = ["id"]
        verbose_name = _("exchange document")
        verbose_name_plural = _("exchange documents")

    def __str__(self) -> str:
        return self.attachment.original_name


class ExchangeAttempt(models.Model):
    """An attempt to serve or enforce, as the commissaire records it."""

    class Result(models.TextChoices):
        IN_PERSON = "in_person", _("Served in person")
        RELATIVE = "relative", _("Served to a relative")
        REFUSED = "refused", _("Refused")
        ADDRESS_UNKNOWN = "address_unknown", _("Address unknown")
        ABSENT = "absent", _("Absent")

    file = models.ForeignKey(ExchangeFile, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField()
    place = models.CharField(max_length=300)
    result = models.CharField(max_length=20, choices=Result.choices)
    note = models.TextField(blank=True)
    event = models.OneToOneField(ExchangeEvent, on_delete=models.PROTECT, related_name="attempt")

    class Meta:
        ordering = ["attempted_at", "id"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")


# The results by which the document reached the addressee: the litigant is told it was
# served (on a service file).
SERVED_RESULTS = frozenset({ExchangeAttempt.Result.IN_PERSON, ExchangeAttempt.Result.RELATIVE})


class ExchangeRecovery(models.Model):
    """An amount recovered on an enforcement file (in dirhams)."""

    file = models.ForeignKey(ExchangeFile, on_delete=models.CASCADE, related_name="recoveries")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    recovered_on = models.DateField()
    note = models.TextField(blank=True)
    event = models.OneToOneField(ExchangeEvent, on_delete=models.PROTECT, related_name="recovery")

    class Meta:
        ordering = ["recovered_on", "id"]
        verbose_name = _("amount recovered")
        verbose_name_plural = _("amounts recovered")
