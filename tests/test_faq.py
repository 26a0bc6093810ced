"""Questions answered by an agent, published (edited, anonymised) to a public FAQ that
anyone can search in the three languages."""

import pytest
from django.test import Client

from mizan.accounts.models import Role
from mizan.cases.services import case_submit, case_transition
from mizan.core.errors import DomainError
from mizan.faq.services import anonymise, faq_publish

from .factories import staff, verified_login


def ask(question: str, *, language: str = "fr"):
    return case_submit(
        procedure="question",
        filer_name="Youssef",
        filer_phone="+212612121212",
        language=language,
        commune=None,
        details={"institution": "MJ", "subject": "Copy", "facts": question},
    ).case


def test_an_answered_question_is_published_anonymised_and_found(reference_data):
    agent = staff("info", "MJ-INFO", Role.AGENT)
    case = ask("Comment obtenir une copie du jugement ? Mon CIN est BE123456, tel 0612345678.")
    with pytest.raises(DomainError):  # not answered yet
        faq_publish(case_id=case.pk, question="x" * 20, answer="y" * 20, language="fr", actor=agent)
    case_transition(
        case_id=case.pk,
        step_name="answer",
        actor=agent,
        message="Adressez-vous au greffe du tribunal, par courrier ou au consulat.",
    )
    client = Client()
    verified_login(client, agent)
    page = client.get(f"/fr/backoffice/cases/{case.reference}/").content.decode()
    assert "faq_question" in page and "BE123456" not in page.split("faq_question")[1][:600]
    response = client.post(
        f"/fr/backoffice/cases/{case.reference}/faq/",
        {
            "faq_question": "Comment obtenir une copie d'un jugement ? Appelez-moi au 0612345678",
            "faq_answer": "Adressez-vous au greffe du tribunal, par courrier ou au consulat.",
            "faq_language": "fr",
        },
    )
    assert response.status_code == 302
    public = Client()
    found = public.get("/ar/faq/", {"q": "JUGEMENT greffe"}).content.decode()
    assert "Adressez-vous au greffe du tribunal" in found
    assert "0612345678" not in found and case.reference not in found
    assert 'lang="fr" dir="ltr"' in found  # a French entry inside the Arabic page
    assert "Adressez-vous" not in public.get("/fr/faq/", {"q": "pension"}).content.decode()
    assert "Adressez-vous" not in public.get("/fr/faq/", {"institution": "MED"}).content.decode()


def test_arabic_entries_are_found_without_diacritics(reference_data):
    agent = staff("info", "MJ-INFO", Role.AGENT)
    case = ask("كيف أحصل على نسخة من الحكم؟", language="ar")
    case_transition(
        case_id=case.pk, step_name="answer", actor=agent, message="توجّه إلى كتابة الضبط بالمحكمة."
    )
    faq_publish(
        case_id=case.pk,
        question="كيف أحصل على نسخة من الحُكم؟",
        answer="توجّه إلى كتابة الضبط بالمحكمة.",
        language="ar",
        actor=agent,
    )
    found = Client().get("/fr/faq/", {"q": "الحكم"}).content.decode()
    assert "كتابة الضبط" in found


def test_only_staff_of_the_unit_publish(reference_data):
    agent = staff("info", "MJ-INFO", Role.AGENT)
    outsider = staff("other", "CSPJ", Role.AGENT)
    case = ask("Comment obtenir une copie du jugement ?")
    case_transition(case_id=case.pk, step_name="answer", actor=agent, message="Au greffe.")
    with pytest.raises(DomainError):
        faq_publish(
            case_id=case.pk, question="q" * 20, answer="a" * 20, language="fr", actor=outsider
        )


def test_anonymise_removes_numbers_mails_and_references():
    text = anonymise("Écrivez à a.b@x.ma, +212 6 12 34 56 78, réf. PLT-2026-000123-B, CIN AB12345")
    assert "@" not in text and "612" not in text and "PLT-" not in text and "AB12345" not in text


def test_markup_in_a_published_entry_is_shown_as_text(reference_data):
    agent = staff("info", "MJ-INFO", Role.AGENT)
    case = ask("Comment obtenir une copie du jugement ?")
    case_transition(case_id=case.pk, step_name="answer", actor=agent, message="Au greffe.")
    faq_publish(
        case_id=case.pk,
        question='Copie <script>alert("x")</script> du jugement ?',
        answer="Au greffe du tribunal <img src=x onerror=alert(1)>.",
        language="fr",
        actor=agent,
    )
    page = Client().get("/fr/faq/").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_a_question_is_published_once(reference_data):
    agent = staff("info", "MJ-INFO", Role.AGENT)
    case = ask("Comment obtenir une copie du jugement ?")
    case_transition(case_id=case.pk, step_name="answer", actor=agent, message="Au greffe.")
    faq_publish(case_id=case.pk, question="q" * 20, answer="a" * 20, language="fr", actor=agent)
    with pytest.raises(DomainError) as refused:
        faq_publish(case_id=case.pk, question="q" * 20, answer="a" * 20, language="fr", actor=agent)
    assert refused.value.code == "already_published"
    client = Client()
    verified_login(client, agent)
    assert (
        "faq_question" not in client.get(f"/fr/backoffice/cases/{case.reference}/").content.decode()
    )
