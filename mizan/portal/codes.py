"""The one step every code page shares: the citizen types the code we sent by SMS."""

from django.utils.translation import gettext as _

from mizan.accounts.services import phone_challenge_verify
from mizan.core.errors import DomainError

from .forms import CodeForm


def code_step_passed(request, form: CodeForm, *, challenge_id: int | None) -> bool:
    """Check the typed code against the challenge sent; on success, a new session key.

    What the code opens (a case, a booking, the citizen's space) is granted to the
    session, so the key changes at that moment: whoever learnt the old key (a shared
    computer, a fixated cookie) does not inherit it. On failure the form carries the
    reason (wrong, expired, too many tries) in the citizen's language, and the code
    field keeps what was typed.
    """
    if not form.is_valid():
        return False
    if challenge_id is None:
        # No code was sent (an unknown reference, say): answer as for a wrong code, so
        # that the page tells nothing about what exists.
        form.add_error("code", _("This code is not the one we sent."))
        return False
    try:
        phone_challenge_verify(challenge_id=challenge_id, code=form.cleaned_data["code"])
    except DomainError as error:
        form.add_error("code", error.message)
        return False
    request.session.cycle_key()
    return True
