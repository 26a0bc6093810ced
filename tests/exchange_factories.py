"""Builders for the exchange tests, all through the services."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mizan.accounts.models import Role, Unit
from mizan.exchange.models import ExchangeFile, OfficeMember
from mizan.exchange.services import (
    exchange_document_store,
    exchange_file_create,
    office_member_create,
    office_register,
)
from mizan.reference.models import Commune, Court

from .factories import PASSWORD, staff

CASABLANCA = "06.141.01.0"  # court of appeal of Casablanca
RABAT = "04.421.01.0"  # court of appeal of Rabat
CASA_REGISTRY = "REG-TPI_CASA_CIVIL"
RABAT_REGISTRY = "REG-TPI_RABAT"

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf_upload(name: str = "document.pdf", content: bytes = PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def office(number: str, appeal_court: str = "CA_CASABLANCA", name: str = "", phone: str = ""):
    return office_register(
        registration_number=number,
        name=name or f"Étude {number}",
        address="12 rue Test",
        appeal_court=Court.objects.get(pk=appeal_court),
        phone=phone,
    )


def member(username: str, office, role: str = OfficeMember.Role.COMMISSAIRE):
    return office_member_create(
        office=office,
        username=username,
        password=PASSWORD,
        full_name=f"{username.title()} Test",
        role=role,
    )


def registry_clerk(username: str, unit_code: str = CASA_REGISTRY):
    return staff(username, unit_code, Role.AGENT)


def send_file(
    clerk,
    *,
    kind: str = ExchangeFile.Kind.SERVICE,
    commune_code: str = CASABLANCA,
    unit_code: str = CASA_REGISTRY,
    office=None,
    content: bytes = PDF,
    deadline=None,
    case_reference: str = "",
) -> ExchangeFile:
    document = exchange_document_store(
        uploaded_file=pdf_upload("judgment.pdf", content), actor=clerk
    )
    enforcement = kind == ExchangeFile.Kind.ENFORCEMENT
    return exchange_file_create(
        actor=clerk,
        court_unit=Unit.objects.get(code=unit_code),
        kind=kind,
        subject="Jugement n° 123/2026" if enforcement else "Convocation à l'audience",
        addressee_name="Karim Addressee",
        addressee_address="5 avenue Hassan II",
        commune=Commune.objects.get(code=commune_code),
        deadline=deadline or timezone.localdate() + timedelta(days=15),
        judgment_reference="123/1201/2026" if enforcement else "",
        parties="Société A contre Karim Addressee" if enforcement else "",
        amount_due=10000 if enforcement else None,
        office=office,
        case_reference=case_reference,
        documents=[document],
    )
