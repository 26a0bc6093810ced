import hashlib
import logging
import re
import secrets
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from mizan.core.audit import audit_record
from mizan.core.errors import DomainError

from .models import Attachment
from .scanning import scan_content

logger = logging.getLogger("mizan.documents")

# What a citizen may attach: sniffed from the bytes, whatever the name says.
ACCEPTED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def attachment_check(*, uploaded_file) -> tuple[bytes, str]:
    """The file's bytes and its real type, or a DomainError saying what to fix."""
    name = safe_display_name(uploaded_file.name)
    limit = settings.MIZAN_UPLOAD_MAX_BYTES
    if uploaded_file.size > limit:
        raise DomainError(
            _(
                "“%(name)s” is %(size)s; the limit is %(limit)s per file. "
                "Please attach a smaller file (a photo at lower resolution, or a "
                "compressed PDF)."
            )
            % {
                "name": name,
                "size": filesizeformat(uploaded_file.size),
                "limit": filesizeformat(limit),
            },
            code="file_too_large",
        )
    content = uploaded_file.read()
    # An empty file has no type to sniff: say what is wrong rather than "not a PDF".
    if not content:
        raise DomainError(
            _("“%(name)s” is empty. Please attach the document again.") % {"name": name},
            code="file_empty",
        )
    kind = filetype.guess(content)
    if kind is None or kind.mime not in ACCEPTED_TYPES:
        raise DomainError(
            _(
                "“%(name)s” is not a PDF, JPEG or PNG file. Please attach a document "
                "in one of these formats."
            )
            % {"name": name},
            code="file_type",
        )
    return content, kind.mime


# Bidirectional controls (U+202E "right-to-left override" and friends) let a name such
# as "invoice\u202Efdp.exe" display as "invoiceexe.pdf"; they and other control
# characters are dropped from the names we keep.
_UNSAFE_NAME_CHARACTERS = re.compile(r"[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe_display_name(name: str | None) -> str:
    """The uploaded file's own name, for display only: no folders, no control marks."""
    base = PurePath((name or "").replace("\\", "/")).name
    cleaned = _UNSAFE_NAME_CHARACTERS.sub("", base).strip().lstrip(".")
    return cleaned[:200] or "document"


def attachment_store(
    *, uploaded_file, upload_token: str = "", actor=None, ip_address: str | None = None
) -> Attachment:
    """Check, scan and keep an upload; a DomainError says what to fix when it is refused.

    An infected file is never written: the refusal goes to the audit log instead. A
    scanner that is down or slow does not stop the citizen: the file is kept with the
    status "scan failed", which staff see next to it (see docs/documents.md).
    """
    content, mime = attachment_check(uploaded_file=uploaded_file)
    name = safe_display_name(uploaded_file.name)
    digest = hashlib.sha256(content).hexdigest()
    scan = scan_content(content)
    if scan.infected:
        raise _infected_refusal(
            name=name,
            digest=digest,
            size=len(content),
            mime=mime,
            signature=scan.detail,
            actor=actor,
            ip_address=ip_address,
        )
    attachment = Attachment(
        upload_token=upload_token,
        original_name=name,
        content_type=mime,
        size=len(content),
        sha256=digest,
        uploaded_at=timezone.now(),
        scan_status=scan.status,
        scan_detail=scan.detail,
        scanned_at=scan.scanned_at,
    )
    attachment.file.save(digest, ContentFile(content), save=False)
    attachment.save()
    return attachment


def _infected_refusal(*, name, digest, size, mime, signature, actor, ip_address) -> DomainError:
    """Audit the refusal (the file itself is not kept) and word it for the citizen."""
    logger.warning("upload refused: clamd found %s in a file (sha256 %s)", signature, digest)
    # Written at once, in the caller's transaction if there is one: a caller that rolls
    # back on the DomainError loses this entry too, so uploads are best stored before
    # the caller opens its own atomic block.
    audit_record(
        action="attachment.refused_infected",
        object_type="attachment",
        object_id=digest,
        actor=actor,
        actor_label="" if actor is not None else "citizen",
        ip_address=ip_address,
        data={"name": name, "size": size, "content_type": mime, "signature": signature},
    )
    return DomainError(
        _(
            "“%(name)s” seems to contain a virus, so it was not accepted. Please attach "
            "another copy of the document (for example a new scan or photo of the paper)."
        )
        % {"name": name},
        code="file_infected",
    )


def new_upload_token() -> str:
    return secrets.token_urlsafe(32)


def attachments_keep_for_form(*, attachment_ids: list[int], upload_token: str) -> list[Attachment]:
    """Files already uploaded for a form that is shown again (e.g. to change the phone):
    they move under the form's new upload token, so they are kept, not re-uploaded."""
    Attachment.objects.filter(id__in=attachment_ids, case__isnull=True).update(
        upload_token=upload_token
    )
    return list(Attachment.objects.filter(upload_token=upload_token, case__isnull=True))
