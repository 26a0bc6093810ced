"""Public holidays that the code cannot know in advance.

Fixed national holidays are in `calendar.py`; rows here are mostly the religious
holidays, whose dates follow the Islamic (lunar) calendar and are set each year by the
Ministry of Habous and Islamic Affairs after the moon is sighted.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from mizan.core.models import TimeStampedModel


class Holiday(TimeStampedModel):
    class Kind(models.TextChoices):
        # A national holiday the code does not list yet (a new law, a one-off day off).
        FIXED = "fixed", _("national (fixed date)")
        RELIGIOUS = "religious", _("religious (Islamic calendar)")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.RELIGIOUS)
    name = models.CharField(_("name"), max_length=120)
    # Religious dates are entered ahead as expected and only become certain when the
    # Ministry announces the sighting of the moon, often the evening before.
    confirmed = models.BooleanField(
        _("confirmed"),
        default=False,
        help_text=_("Tick once the Ministry of Habous and Islamic Affairs has announced the date."),
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class TargetDelay(TimeStampedModel):
    """An administrator's target for a state of a procedure, in working days, replacing
    the default written in the workflow (mizan/procedures). A case entering the state
    is due that many working days later; empty means no target."""

    procedure = models.CharField(_("procedure"), max_length=32)
    state = models.CharField(_("state"), max_length=40)
    working_days = models.PositiveSmallIntegerField(
        _("working days"), null=True, blank=True, help_text=_("Empty: no target for this state.")
    )

    class Meta:
        ordering = ["procedure", "state"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "state"], name="unique_target_delay")
        ]
        verbose_name = _("target delay")
        verbose_name_plural = _("target delays")

    def __str__(self) -> str:
        return f"{self.procedure}:{self.state}"
