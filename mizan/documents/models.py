from django.db import models
from django.utils.translation import gettext_lazy as _


def attachment_path(instance, filename: str) -> str:
    # Stored under a content hash, never the citizen's own file name.
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


# Types a browser shows itself: opened in place, no copy left in the Downloads folder.
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


class ScanStatus(models.TextChoices):
    # An infected file is refused, not stored; "infected" exists for files found later
    # (a re-scan with newer signatures) and so that every answer of clamd has a name.
    NOT_SCANNED = "not_scanned", _("not scanned")
    CLEAN = "clean", _("no virus found")
    INFECTED = "infected", _("virus found")
    SCAN_FAILED = "scan_failed", _("virus scan failed")


class Attachment(models.Model):
    """A document a citizen or agent uploaded, checked by its content, not its name."""

    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    case_event = models.ForeignKey(
        "cases.CaseEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Before filing: an upload kept for a form that is not yet submitted.
    upload_token = models.CharField(max_length=43, blank=True, db_index=True)
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()
    scan_status = models.CharField(
        max_length=20, choices=ScanStatus.choices, default=ScanStatus.NOT_SCANNED
    )
    # The signature clamd named, or why the scan could not be done (for staff).
    scan_detail = models.CharField(max_length=200, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name
