from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from mizan.reference.models import Court, Institution, Region


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    MAGISTRATE = "magistrate", _("Magistrate")
    UNIT_HEAD = "unit_head", _("Head of unit")
    ADMINISTRATOR = "administrator", _("Administrator")
    AUDITOR = "auditor", _("Auditor")


class Unit(models.Model):
    """A desk of an institution that works a queue of cases."""

    class Kind(models.TextChoices):
        PROSECUTION_HEAD = "pmp_central", _("Presidency of the Public Prosecution")
        PROSECUTION_FIRST_INSTANCE = "prosecution_tpi", _("Public prosecutor's office")
        PROSECUTION_APPEAL = "prosecution_ca", _("Prosecutor general's office")
        PARDON_SECRETARIAT = "pardon_secretariat", _("Secretariat of the pardon commission")
        COURT_REGISTRY = "court_registry", _("Court registry")
        JUDICIAL_COUNCIL = "cspj", _("Superior Council of the Judicial Power")
        MOROCCANS_ABROAD_DESK = "mre_desk", _("Desk for Moroccans abroad")
        MEDIATOR_HEAD_OFFICE = "mediator_head", _("Mediator of the Kingdom, head office")
        MEDIATOR_DELEGATION = "mediator_delegation", _("Regional delegation of the Mediator")
        INFORMATION_DESK = "information_desk", _("Information desk")

    code = models.CharField(max_length=60, unique=True)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="units")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    court = models.ForeignKey(
        Court, null=True, blank=True, on_delete=models.PROTECT, related_name="units"
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="units"
    )
    is_active = models.BooleanField(default=True)
    # The unit head's choice: each case registered is given at once to the least busy
    # magistrate, instead of waiting in "not assigned" for someone to share it.
    distribute_automatically = models.BooleanField(
        _("share registered cases automatically"),
        default=False,
        help_text=_(
            "Each registered case goes at once to the magistrate of the unit with the "
            "fewest open cases."
        ),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        kind = self.get_kind_display()
        if self.court_id:
            return f"{kind} — {self.court.name}"
        if self.region_id:
            return f"{kind} — {self.region.name}"
        return str(kind)


class Membership(models.Model):
    """A staff user's role in a unit; what they may see and do follows from it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="unique_membership"),
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.unit}"


class PhoneChallenge(models.Model):
    """A one-time code sent by SMS to prove a citizen holds a phone.

    Only a keyed hash of the code is stored; a challenge dies after its expiry, after
    a successful use, or after too many wrong tries.
    """

    class Purpose(models.TextChoices):
        FILING = "filing", _("confirm a filing")
        TRACKING = "tracking", _("follow a request")
        APPOINTMENT = "appointment", _("book or manage an appointment")

    phone = PhoneNumberField(db_index=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("phone challenge")
        verbose_name_plural = _("phone challenges")
