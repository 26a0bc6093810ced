"""Files chosen on a form are kept from its first post, under an upload token the form
carries (signed), so that a form sent back — for a correction, or only for the commune
list without JavaScript — never asks for them again.

One implementation for every form that takes files: the citizens' filing forms, the
counter's assisted filing and the commissaires' exchange files.
"""

from collections.abc import Callable

from django.core import signing

from mizan.core.errors import DomainError
from mizan.core.http import client_ip
from mizan.documents.models import Attachment
from mizan.documents.services import attachment_store, new_upload_token

UPLOAD_SALT = "mizan.upload-token"
# A form left open longer starts a new token: its earlier files are purged with the
# other unclaimed uploads (purge_expired).
TOKEN_MAX_AGE_SECONDS = 24 * 3600


def upload_token_signed(token: str) -> str:
    """The token as the form carries it (a hidden field)."""
    return signing.dumps(token, salt=UPLOAD_SALT)


def uploads_kept(request) -> tuple[str, list[Attachment]]:
    """This form's upload token and the files already kept under it, minus those the
    user asked to remove; a new token when the form carries none (or a forged one)."""
    signed = request.POST.get("upload_token", "")
    try:
        token = (
            signing.loads(signed, salt=UPLOAD_SALT, max_age=TOKEN_MAX_AGE_SECONDS) if signed else ""
        )
    except signing.BadSignature:
        token = ""
    if not token:
        return new_upload_token(), []
    kept = Attachment.objects.filter(
        upload_token=token,
        case__isnull=True,
        exchange_document__isnull=True,
        booking_document__isnull=True,
    ).order_by("pk")
    removed = set(request.POST.getlist("remove_upload"))
    return token, [a for a in kept if str(a.pk) not in removed]


def uploads_keep(
    request,
    form,
    *,
    token: str,
    kept: list[Attachment],
    field: str = "attachments",
    actor=None,
    store: Callable[..., Attachment] = attachment_store,
) -> bool:
    """Check, scan and keep the files of this post under `token`, appended to `kept`,
    whatever else the form says: a refused file's reason goes to the form's `field`.
    False when a file was refused."""
    all_kept = True
    for uploaded in request.FILES.getlist(field):
        try:
            kept.append(
                store(
                    uploaded_file=uploaded,
                    upload_token=token,
                    actor=actor,
                    ip_address=client_ip(request),
                )
            )
        except DomainError as error:
            form.add_error(field, error.message)
            all_kept = False
    return all_kept
