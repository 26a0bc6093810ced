from django.db import models
from django.utils.translation import gettext_lazy as _


class CommissionSession(models.Model):
    """A sitting of the pardon commission, set by an administrator; pardon requests are
    scheduled to one (the commission sits a few times a year)."""

    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    # No more requests are scheduled to a session once its agenda is closed.
    agenda_closed = models.BooleanField(_("agenda closed"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("pardon commission session")
        verbose_name_plural = _("pardon commission sessions")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d}" + (f" — {self.place}" if self.place else "")
