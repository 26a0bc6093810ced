"""Publishing a citizen's question and its answer to the institution's public FAQ."""

import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mizan.cases.models import Case
from mizan.cases.search import normalise
from mizan.cases.services import staff_roles_for_case
from mizan.core.audit import audit_record
from mizan.core.errors import DomainError

from .models import FaqEntry

# What must never reach the public page even if the agent overlooks it: phone numbers,
# ID and case numbers (long runs of digits), e-mail addresses, Mizan references.
_PERSONAL = [
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
    re.compile(r"\b[A-Z]{3}-\d{4}-\d{6}-[0-9A-Z]\b", re.IGNORECASE),
    re.compile(r"(?<!\w)\+?\d[\d .-]{5,}\d"),
    re.compile(r"\b[A-Z]{1,2}\d{4,}\b", re.IGNORECASE),  # CIN: BE123456
]


def anonymise(text: str) -> str:
    for pattern in _PERSONAL:
        text = pattern.sub("…", text)
    return text.strip()


def faq_publish(*, case_id: int, question: str, answer: str, language: str, actor) -> FaqEntry:
    """Publish an answered question, as edited by the agent, anonymised once more."""
    case = Case.objects.filter(pk=case_id, procedure="question").select_related("unit").first()
    if case is None:
        raise DomainError(_("Only questions can be published to the FAQ."), code="not_question")
    if not staff_roles_for_case(user=actor, case=case):
        raise DomainError(_("Your role in this unit does not allow this action."), code="forbidden")
    if case.status not in ("answered", "closed"):
        raise DomainError(
            _("A question can be published once it is answered."), code="not_answered"
        )
    if FaqEntry.objects.filter(source_case=case).exists():
        raise DomainError(_("This question is already in the FAQ."), code="already_published")
    if language not in dict(settings.LANGUAGES):
        language = case.language
    question, answer = anonymise(question or ""), anonymise(answer or "")
    if len(question) < 10 or len(answer) < 10:
        raise DomainError(
            _("Write the question and the answer as they should appear publicly."),
            code="input_required",
        )
    with transaction.atomic():
        entry = FaqEntry.objects.create(
            institution=case.unit.institution_id,
            language=language,
            question=question[:4000],
            answer=answer[:8000],
            search_text=normalise(f"{question} {answer}"),
            published_at=timezone.now(),
            published_by=actor,
            source_case=case,
        )
        audit_record(
            action="faq.published",
            object_type="case",
            object_id=case.reference,
            actor=actor,
            data={"faq_entry": entry.pk, "language": language},
        )
    return entry
