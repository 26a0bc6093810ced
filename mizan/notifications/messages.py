"""Message templates, one key each, written short: an Arabic SMS is UCS-2 (70
characters a segment, 67 when concatenated), so every word costs.

Placeholders are python-format (`%(reference)s`) so that msgfmt checks that each
translation keeps them.
"""

import re

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "phone.code": _(
        "Mizan: your code is %(code)s. It expires in %(minutes)s minutes. Never share it."
    ),
    "complaint.received": _(
        "Mizan: complaint received, reference %(reference)s. Follow it: %(link)s"
    ),
    "complaint.registered": _(
        "Mizan: complaint %(reference)s registered by the "
        "prosecution office under no. %(registry_number)s."
    ),
    "complaint.assigned": _("Mizan: complaint %(reference)s is being examined by a prosecutor."),
    "complaint.info_requested": _(
        "Mizan: information is needed for complaint %(reference)s. See %(link)s"
    ),
    "complaint.info_provided": _(
        "Mizan: we received your information for complaint %(reference)s."
    ),
    "complaint.investigation": _(
        "Mizan: complaint %(reference)s was referred to the judicial police for investigation."
    ),
    "complaint.decided_prosecution": _(
        "Mizan: decision on complaint %(reference)s: prosecution. See %(link)s"
    ),
    "complaint.decided_no_action": _(
        "Mizan: decision on complaint %(reference)s: filed without further action. See %(link)s"
    ),
    "complaint.decided_transferred": _(
        "Mizan: complaint %(reference)s was transferred to the competent office. See %(link)s"
    ),
    "complaint.closed": _("Mizan: complaint %(reference)s is closed."),
    "case.status_reply": _("Mizan: %(reference)s: %(status)s. See %(link)s"),
    # Shared by every procedure but the complaint (whose wordings came first).
    "case.received": _("Mizan: request received, reference %(reference)s. Follow it: %(link)s"),
    "case.update": _("Mizan: your request %(reference)s: %(status)s. See %(link)s"),
    "case.info_requested": _(
        "Mizan: information is needed for your request %(reference)s. See %(link)s"
    ),
    "case.info_provided": _("Mizan: we received your information for request %(reference)s."),
    "case.decided": _("Mizan: decision on your request %(reference)s: %(status)s. See %(link)s"),
    "case.withdrawn": _("Mizan: your request %(reference)s was withdrawn, as you asked."),
    "bail.granted": _(
        "Mizan: %(reference)s: release on bail granted, bail of %(amount)s MAD. "
        "Conditions and next step: %(link)s"
    ),
    "grievance.handover_proposed": _(
        "Mizan: %(reference)s: another body is competent. Your agreement is needed: %(link)s"
    ),
    "grievance.redirected": _(
        "Mizan: %(reference)s: the Mediator is not competent; see which body is: %(link)s"
    ),
    "question.answered": _("Mizan: your question %(reference)s was answered. Read it: %(link)s"),
    # An exchange file attached to the request (mizan.exchange): each sent once per file.
    "exchange.served": _(
        "Mizan: request %(reference)s: the commissaire de justice served the document. See %(link)s"
    ),
    "exchange.enforcement_completed": _(
        "Mizan: request %(reference)s: the commissaire de justice completed the enforcement. "
        "See %(link)s"
    ),
    # Remote appointments: %(when)s is the date and time in the citizen's time zone.
    "appointment.confirmed": _(
        "Mizan: appointment %(reference)s booked for %(when)s. Manage it: %(link)s"
    ),
    "appointment.reminder": _(
        "Mizan: reminder, appointment %(reference)s at %(when)s. Join: %(link)s"
    ),
    "appointment.moved": _(
        "Mizan: appointment %(reference)s moved to %(when)s. Manage it: %(link)s"
    ),
    "appointment.cancelled": _(
        "Mizan: appointment %(reference)s of %(when)s is cancelled. Book again: %(link)s"
    ),
}

# E-mails carry the same text as the SMS, under this subject.
EMAIL_SUBJECT = _("Mizan: news of your request %(reference)s")

# Values of the longest plausible kind, to check that every wording fits its SMS budget.
SAMPLE_CONTEXT = {
    "code": "123456",
    "minutes": 10,
    "reference": "PLT-2026-000001-N",
    "link": "https://mizan.justice.gov.ma/ar/track/PLT-2026-000001-N/",
    "registry_number": "2026/2101/12345",
    "status": "قيد الدراسة",
    "amount": "100 000",
    "when": "2027-02-08 05:00 (America/Argentina/Buenos_Aires)",
}


def placeholders(text: str) -> set[str]:
    """The `%(name)s` placeholders a wording uses."""
    return set(PLACEHOLDER.findall(str(text)))


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
