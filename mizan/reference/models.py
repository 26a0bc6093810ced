"""Morocco's reference data, keyed on census (HCP) and court codes, never on names.

Every row keeps where it came from (`source`) and how sure we are (`confidence`), as
shipped in `mizan/reference/data/`; administrators correct rows in the admin.
"""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Confidence(models.TextChoices):
    HIGH = "high", _("high")
    MEDIUM = "medium", _("medium")
    LOW = "low", _("low")
    GUESS = "guess", _("guess")


class BilingualName(models.Model):
    name_fr = models.CharField(max_length=200)
    name_ar = models.CharField(max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (Arabic, or the French form otherwise)."""
        return self.name_ar if (get_language() or "").startswith("ar") else self.name_fr


class Region(BilingualName):
    code = models.CharField(max_length=8, primary_key=True)
    iso_3166_2 = models.CharField(max_length=8, blank=True)
    population_2024 = models.PositiveIntegerField(null=True, blank=True)
    source = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")


class Province(BilingualName):
    code = models.CharField(max_length=12, primary_key=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="provinces")
    kind = models.CharField(max_length=40)  # province, prefecture, prefecture_of_arrondissements
    iso_3166_2 = models.CharField(max_length=8, blank=True)
    population_2024 = models.PositiveIntegerField(null=True, blank=True)
    source = models.TextField(blank=True)

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")


class Court(BilingualName):
    class Kind(models.TextChoices):
        CASSATION = "cour_cassation", _("Court of Cassation")
        APPEAL = "cour_appel", _("Court of appeal")
        FIRST_INSTANCE = "tpi", _("Court of first instance")
        COMMERCIAL = "tribunal_commerce", _("Commercial court")
        ADMINISTRATIVE = "tribunal_administratif", _("Administrative court")
        COMMERCIAL_APPEAL = "cour_appel_commerce", _("Commercial court of appeal")
        ADMINISTRATIVE_APPEAL = "cour_appel_administrative", _("Administrative court of appeal")

    class Status(models.TextChoices):
        OPERATIONAL = "operational", _("operational")
        CREATED_PENDING = "created_pending", _("created, not yet operating")
        ABOLISHED = "abolished", _("abolished")

    id = models.CharField(max_length=40, primary_key=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    seat_city_fr = models.CharField(max_length=100, blank=True)
    seat_province = models.ForeignKey(
        Province, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    source = models.TextField(blank=True)
    confidence = models.CharField(max_length=10, choices=Confidence.choices)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("court")
        verbose_name_plural = _("courts")


class Commune(BilingualName):
    code = models.CharField(max_length=16, primary_key=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="communes")
    kind = models.CharField(max_length=10)  # urban / rural
    population_2024 = models.PositiveIntegerField(null=True, blank=True)
    # Territorial competence for criminal matters: the court of first instance whose
    # prosecution office receives complaints about facts that happened here.
    first_instance_court = models.ForeignKey(
        Court, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appeal_court = models.ForeignKey(
        Court, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    routing_method = models.CharField(max_length=80, blank=True)
    routing_confidence = models.CharField(max_length=10, choices=Confidence.choices)

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")


class Prison(BilingualName):
    id = models.CharField(max_length=40, primary_key=True)
    kind = models.CharField(max_length=30)
    city_fr = models.CharField(max_length=100, blank=True)
    province = models.ForeignKey(
        Province, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20)
    source = models.TextField(blank=True)
    confidence = models.CharField(max_length=10, choices=Confidence.choices)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("prison")
        verbose_name_plural = _("prisons")


class Institution(models.Model):
    """A body citizens address: the Public Prosecution, the Mediator, a ministry..."""

    class Code(models.TextChoices):
        PUBLIC_PROSECUTION = "PMP", _("Presidency of the Public Prosecution")
        MINISTRY_OF_JUSTICE = "MJ", _("Ministry of Justice")
        JUDICIAL_COUNCIL = "CSPJ", _("Superior Council of the Judicial Power")
        MOROCCANS_ABROAD = "MRE", _("Ministry delegate for Moroccans abroad")
        MEDIATOR = "MED", _("Mediator of the Kingdom")

    code = models.CharField(max_length=8, primary_key=True, choices=Code.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return str(self.get_code_display())
