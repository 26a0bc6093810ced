"""Demo offices, members and one file, for `make run` only (never in production)."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from mizan.accounts.models import Unit
from mizan.reference.models import Commune, Court

from .models import CommissaireOffice, ExchangeFile, OfficeMember
from .services import (
    exchange_document_store,
    exchange_file_create,
    office_member_create,
    office_register,
)

# registration number, name, address, court of appeal
DEMO_OFFICES = [
    (
        "CDJ-CA-CASA-017",
        "Étude Maître Rachid Lahlou",
        "24 boulevard d'Anfa, Casablanca",
        "CA_CASABLANCA",
    ),
    (
        "CDJ-CA-CASA-042",
        "Étude Maître Hind Sefrioui",
        "8 rue Ibnou Majid, Casablanca",
        "CA_CASABLANCA",
    ),
]
# username, full name, office registration number, role
DEMO_OFFICE_MEMBERS = [
    ("commissaire.casa", "Rachid Lahlou", "CDJ-CA-CASA-017", OfficeMember.Role.COMMISSAIRE),
    ("clerc.casa", "Imane Fassi", "CDJ-CA-CASA-017", OfficeMember.Role.CLERK),
]
# The civil court registry that sends the demo file (its clerk is in accounts.demo).
DEMO_REGISTRY = "REG-TPI_CASA_CIVIL"
# A PDF with one empty page: enough to show a document and its seal.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def demo_exchange_create(*, password: str, registry_clerk) -> list[tuple[str, str, str]]:
    """Create (or reset) the demo offices and members; one file if there is none."""
    for number, name, address, appeal_court in DEMO_OFFICES:
        if not CommissaireOffice.objects.filter(registration_number=number).exists():
            office_register(
                registration_number=number,
                name=name,
                address=address,
                appeal_court=Court.objects.get(pk=appeal_court),
            )
    rows = []
    for username, full_name, number, role in DEMO_OFFICE_MEMBERS:
        office = CommissaireOffice.objects.get(registration_number=number)
        user = office_member_create(
            office=office, username=username, password=password, full_name=full_name, role=role
        )
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(user=user, name="authenticator (demo)", confirmed=True)
        rows.append((username, str(OfficeMember.Role(role).label), office.name))
    if registry_clerk is not None and not ExchangeFile.objects.exists():
        document = exchange_document_store(
            uploaded_file=SimpleUploadedFile("convocation.pdf", DEMO_PDF), actor=registry_clerk
        )
        exchange_file_create(
            actor=registry_clerk,
            court_unit=Unit.objects.get(code=DEMO_REGISTRY),
            kind=ExchangeFile.Kind.SERVICE,
            subject="Convocation à l'audience civile",
            addressee_name="Mohamed Benjelloun",
            addressee_address="15 rue Moulay Youssef",
            commune=Commune.objects.get(code="06.141.01.0"),
            deadline=timezone.localdate() + timedelta(days=10),
            documents=[document],
        )
    return rows
