from django.db import models
from django.utils.translation import gettext_lazy as _

from mizan.accounts.models import Unit
from mizan.procedures.registry import procedure_choices


class MonthlyRollup(models.Model):
    """One office's raw figures for one procedure and one month (Morocco's calendar).

    Written by `transparency_refresh` from aggregate queries, so that public pages
    never scan cases. Never shown as they are: the published figures are
    `PublishedArea` rows, after suppression of small counts.
    """

    procedure = models.CharField(max_length=32, choices=procedure_choices())
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()  # its first day
    received = models.PositiveIntegerField(default=0)
    # Channel code -> requests received through it (they add up to `received`). Null on
    # rollups computed before channels were counted: the next refresh recomputes them.
    channels = models.JSONField(null=True, default=dict)
    # First decision in the month (a later second outcome is not counted again).
    decided = models.PositiveIntegerField(default=0)
    outcomes = models.JSONField(default=dict)  # outcome code -> decisions
    decided_within_target = models.PositiveIntegerField(default=0)
    decided_after_target = models.PositiveIntegerField(default=0)
    # Calendar days from filing to decision -> decisions ({"12": 3}); withdrawals are
    # left out (the citizen's act, not the office's delay).
    decision_days = models.JSONField(default=dict)
    # Stock at the end of the month: filed before it ends and not decided by then.
    pending = models.PositiveIntegerField(default=0)
    pending_under_1m = models.PositiveIntegerField(default=0)
    pending_1_3m = models.PositiveIntegerField(default=0)
    pending_3_12m = models.PositiveIntegerField(default=0)
    pending_over_12m = models.PositiveIntegerField(default=0)
    # SMS to citizens created in the month, by their final fate.
    sms_delivered = models.PositiveIntegerField(default=0)
    sms_not_reached = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "unit", "month"], name="unique_monthly_rollup"
            ),
        ]
        indexes = [models.Index(fields=["procedure", "month"])]
        verbose_name = _("monthly rollup")
        verbose_name_plural = _("monthly rollups")


class PublishedArea(models.Model):
    """The published figures of one area (the country, a region, an office) for one
    procedure and one month: what the dashboard and the open-data files show.

    `cells` holds every figure after primary and secondary suppression
    (`suppression.py`): measure -> [value or null, why hidden]. Only these reach the
    public; `decision_days` is kept for medians over several months and for the delay
    estimates, which publish percentiles only when enough decisions stand behind them.
    """

    class Level(models.TextChoices):
        NATIONAL = "national", _("Whole country")
        REGION = "region", _("Region")
        OFFICE = "office", _("Office")

    procedure = models.CharField(max_length=32, choices=procedure_choices())
    month = models.DateField()
    level = models.CharField(max_length=10, choices=Level.choices)
    # "" for the country, the region's code, or the unit's code.
    code = models.CharField(max_length=60, blank=True)
    region_code = models.CharField(max_length=12, blank=True)
    cells = models.JSONField(default=dict)
    decision_days = models.JSONField(default=dict)
    refreshed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "month", "level", "code"], name="unique_published_area"
            ),
        ]
        indexes = [models.Index(fields=["procedure", "level", "code", "month"])]
        verbose_name = _("published area")
        verbose_name_plural = _("published areas")
