from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mizan.reference.models import Institution


class FaqEntry(models.Model):
    """A question a citizen asked and its answer, edited and anonymised by an agent,
    published in the institution's public FAQ in one language."""

    institution = models.CharField(max_length=8, choices=Institution.Code.choices)
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    question = models.TextField()
    answer = models.TextField()
    # Normalised question and answer (mizan.cases.search.normalise), for the search.
    search_text = models.TextField(blank=True, default="")
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The question it came from: never shown publicly.
    source_case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_published = models.BooleanField(default=True)

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")

    def __str__(self) -> str:
        return self.question[:80]
