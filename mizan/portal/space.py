"""The citizen space (Espace citoyen): sign in with the phone and a one-time code to
see every request filed with that phone, what is awaited from you, and the messages
received. Views parse input and call services and selectors only."""

from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from mizan.accounts.models import PhoneChallenge
from mizan.accounts.services import phone_challenge_start
from mizan.cases import selectors
from mizan.core.errors import DomainError
from mizan.core.http import client_ip
from mizan.notifications.phones import masked as masked_phone

from .codes import code_step_passed
from .forms import CodeForm, SpacePhoneForm
from .views import _grant_tracking

SESSION_SPACE = "mizan_space"
SESSION_SPACE_CHALLENGE = "mizan_space_challenge"
# How long a verified phone stays signed in without asking for a new code.
SPACE_HOURS = 12


def _space_phone(request) -> str | None:
    space = request.session.get(SESSION_SPACE)
    if not space or space.get("until", 0) < timezone.now().timestamp():
        return None
    return space["phone"]


@require_http_methods(["GET", "POST"])
def space_sign_in(request):
    if _space_phone(request):
        return redirect("portal:space")
    form = SpacePhoneForm()
    if request.method == "POST":
        form = SpacePhoneForm(request.POST)
        if form.is_valid():
            phone = str(form.cleaned_data["phone"])
            try:
                challenge = phone_challenge_start(
                    phone=phone,
                    purpose=PhoneChallenge.Purpose.TRACKING,
                    language=get_language(),
                    ip_address=client_ip(request),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                request.session[SESSION_SPACE_CHALLENGE] = {
                    "phone": phone,
                    "challenge": challenge.pk,
                }
                return redirect("portal:space_code")
    return render(request, "portal/space_sign_in.html", {"form": form})


@require_http_methods(["GET", "POST"])
def space_code(request):
    pending = request.session.get(SESSION_SPACE_CHALLENGE)
    if not pending:
        return redirect("portal:space_sign_in")
    form = CodeForm()
    if request.method == "POST":
        form = CodeForm(request.POST)
        if code_step_passed(request, form, challenge_id=pending["challenge"]):
            del request.session[SESSION_SPACE_CHALLENGE]
            request.session[SESSION_SPACE] = {
                "phone": pending["phone"],
                "until": timezone.now().timestamp() + SPACE_HOURS * 3600,
            }
            return redirect("portal:space")
    return render(
        request,
        "portal/space_code.html",
        {"form": form, "phone": masked_phone(pending["phone"])},
    )


def space(request):
    phone = _space_phone(request)
    if phone is None:
        return redirect("portal:space_sign_in")
    cases = selectors.cases_for_phone(phone=phone)
    for case in cases:
        # The person concerned follows a request filed for them; only the filer acts.
        _grant_tracking(request, case.reference, read_only=str(case.filer_phone) != phone)
    awaited = [
        (case, step)
        for case in cases
        if str(case.filer_phone) == phone
        for step in case.workflow.citizen_steps(case.status)
        if step.name != "withdraw"
    ]
    return render(
        request,
        "portal/space.html",
        {
            "phone": phone,
            "cases": cases,
            "awaited": awaited,
            "sms": selectors.messages_for_phone(phone=phone),
        },
    )


@require_http_methods(["POST"])
def space_sign_out(request):
    # Everything the space opened closes with it (on a shared phone, the next person
    # must find nothing).
    request.session.flush()
    return redirect("portal:home")
