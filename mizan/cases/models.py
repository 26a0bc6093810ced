from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from mizan.accounts.models import Unit
from mizan.procedures.common import CHANNELS
from mizan.procedures.registry import get_procedure, procedure_choices
from mizan.reference.models import Commune


class ReferenceCounter(models.Model):
    """The last sequence number given per procedure and year (row-locked to hand out)."""

    procedure = models.CharField(max_length=32)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["procedure", "year"], name="unique_counter"),
        ]


class Case(models.Model):
    """A citizen's request of any procedure. Only `case_transition` changes `status`."""

    procedure = models.CharField(max_length=32, choices=procedure_choices())
    reference = models.CharField(max_length=24, unique=True)
    status = models.CharField(max_length=40, db_index=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="cases")
    # Routed through a guessed row of the judicial map: an agent must confirm.
    destination_to_confirm = models.BooleanField(default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    registry_number = models.CharField(max_length=40, blank=True)

    filer_name = models.CharField(max_length=200)
    filer_phone = PhoneNumberField(db_index=True)
    filer_email = models.EmailField(blank=True)
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    commune = models.ForeignKey(
        Commune, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Procedure-specific fields as filed (the complaint's parties, facts, place...).
    details = models.JSONField(default=dict)
    access_code_hash = models.CharField(max_length=64)
    consent_at = models.DateTimeField()
    # How the request reached us (counted in statistics); an agent filing at a counter,
    # a stand or on the phone is recorded as `filed_by`.
    channel = models.CharField(max_length=10, choices=CHANNELS, default="web")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    submitted_at = models.DateTimeField(db_index=True)
    status_changed_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set when a message to the citizen finally failed (bad number, gave up), cleared when
    # a later one is delivered: agents see it on the case and can filter their queue on it.
    citizen_unreached_at = models.DateTimeField(null=True, blank=True)
    # When the case should leave its current state: the state's target, in working days.
    due_at = models.DateTimeField(null=True, blank=True)
    # Reference, names, ID numbers, phones and facts, normalised for staff search
    # (mizan.cases.search); indexed for full-text on PostgreSQL.
    search_text = models.TextField(blank=True, default="")
    # Personal data removed after the procedure's retention period (mizan.cases.retention).
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            # The queue: a unit's cases, oldest first, filtered by status or not.
            models.Index(fields=["unit", "submitted_at", "id"], name="case_queue_idx"),
            models.Index(fields=["unit", "status", "submitted_at"]),
            models.Index(
                fields=["unit", "due_at"],
                name="case_due_idx",
                condition=models.Q(due_at__isnull=False),
            ),
            models.Index(
                fields=["unit", "citizen_unreached_at"],
                name="case_unreached_idx",
                condition=models.Q(citizen_unreached_at__isnull=False),
            ),
            # The one-click filters' counts at a million cases: a unit's few rows, read
            # from the index alone (a plain index on the boolean matched every unit's
            # cases to confirm, and "not assigned" read all of a unit's rows: 30 and
            # 330 ms for the busiest office, bench/README.md).
            models.Index(
                fields=["unit", "submitted_at"],
                name="case_to_confirm_idx",
                condition=models.Q(destination_to_confirm=True),
            ),
            models.Index(
                fields=["unit", "submitted_at"],
                name="case_unassigned_idx",
                condition=models.Q(assignee__isnull=True, closed_at__isnull=True),
            ),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.reference

    @property
    def workflow(self):
        return get_procedure(self.procedure).workflow

    @property
    def state(self):
        return self.workflow.state(self.status)

    def get_status_display(self) -> str:
        return str(self.state.label)


class CaseEvent(models.Model):
    """One step in a case's history: who took it, from which state to which."""

    class ActorKind(models.TextChoices):
        CITIZEN = "citizen", _("Citizen")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("System")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    step = models.CharField(max_length=40)
    from_status = models.CharField(max_length=40, blank=True)
    to_status = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    citizen_message = models.TextField(blank=True)
    # Never shown to the citizen.
    internal_note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    citizen_visible = models.BooleanField(default=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.case_id} {self.step} {self.from_status}→{self.to_status}"

    @property
    def to_status_citizen_label(self):
        return self.case.workflow.state(self.to_status).citizen_label

    @property
    def to_status_label(self):
        return self.case.workflow.state(self.to_status).label

    @property
    def step_label(self):
        step = self.case.workflow.step(self.step)
        return step.label if step else self.step


class PendingFiling(models.Model):
    """A filled-in form waiting for its phone to be confirmed by one-time code.

    Kept until confirmed or expired, so a citizen who mistyped the code or whose SMS
    was late loses nothing.
    """

    token = models.CharField(max_length=43, unique=True)
    procedure = models.CharField(max_length=32, choices=procedure_choices())
    language = models.CharField(max_length=10)
    phone = PhoneNumberField()
    data = models.JSONField()
    challenge = models.ForeignKey(
        "accounts.PhoneChallenge", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    case = models.OneToOneField(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class CaseAccess(models.Model):
    """A staff member opened a case's personal data: the citizen is shown which unit and
    when ("who opened my file"), staff names are not; the audit log keeps who."""

    class Kind(models.TextChoices):
        CASE = "case", _("the file")
        DOCUMENT = "document", _("a document")
        MESSAGES = "messages", _("the messages")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="accesses")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case", "at"])]
