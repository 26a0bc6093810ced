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
