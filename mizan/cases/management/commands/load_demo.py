from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from mizan.accounts.demo import DEMO_PASSWORD, demo_staff_create
from mizan.appointments.demo import demo_appointments_create
from mizan.cases.models import Case
from mizan.cases.services import case_submit, case_transition
from mizan.exchange.demo import demo_exchange_create
from mizan.reference.models import Commune

DEMO_COMPLAINTS = [
    # commune, name, phone, language, category, facts, steps
    (
        "06.141.01.0",
        "Hicham Amrani",
        "+212612345678",
        "ar",
        "theft",
        "سُرق هاتفي المحمول في محطة الحافلات يوم السبت حوالي الساعة السادسة مساءً.",
        ["register", "assign"],
    ),
    (
        "04.421.01.0",
        "Fatima Zahra Ouazzani",
        "+33612345678",
        "fr",
        "fraud",
        "J'ai payé un acompte de 20 000 dirhams pour un appartement qui n'a jamais été livré.",
        ["register"],
    ),
    (
        "01.511.01.09",
        "John Smith",
        "+447700900123",
        "en",
        "violence",
        "I was assaulted outside a café in Gueznaia by two men I do not know.",
        [],
    ),
]


class Command(BaseCommand):
    help = "Create demo staff accounts and a few demo complaints (development only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even when MIZAN_DEBUG is off."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Demo data is for development: set MIZAN_DEBUG=true.")
        # The console reads best in one Latin-script language, whatever the default.
        with translation.override("en"):
            rows = demo_staff_create()
            if not Case.objects.exists():
                self._demo_complaints()
            rows += demo_exchange_create(
                password=DEMO_PASSWORD,
                registry_clerk=get_user_model().objects.filter(username="greffe.casa").first(),
            )
            appointments = demo_appointments_create()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo staff accounts (password: {DEMO_PASSWORD})"))
        for username, roles, unit in rows:
            self.stdout.write(f"  {username:<18} {roles:<32} {unit}")
        self.stdout.write("  Back-office: http://127.0.0.1:8000/fr/backoffice/")
        self.stdout.write("  Exchange:    http://127.0.0.1:8000/fr/backoffice/exchange/")
        self.stdout.write("  SMS outbox:  http://127.0.0.1:8000/fr/dev/outbox/")
        self.stdout.write(
            f"  Appointments: http://127.0.0.1:8000/fr/appointments/ ({appointments})"
        )
        self.stdout.write(
            "  Second factor: the demo accounts' current authenticator codes are on the"
            " SMS outbox page."
        )

    def _demo_complaints(self):
        from django.contrib.auth import get_user_model

        User = get_user_model()
        for code, name, phone, language, category, facts, steps in DEMO_COMPLAINTS:
            commune = Commune.objects.get(code=code)
            with translation.override(language):
                filing = case_submit(
                    procedure="complaint",
                    filer_name=name,
                    filer_phone=phone,
                    language=language,
                    commune=commune,
                    details={
                        "complainant_kind": "person",
                        "id_kind": "cin",
                        "id_number": "BK123456",
                        "nationality": "MA",
                        "country_of_residence": "MA",
                        "accused_unknown": True,
                        "accused": [],
                        "category": category,
                        "facts": facts,
                        "facts_date": date(2026, 11, 1).isoformat(),
                        "province": commune.province_id,
                        "commune": commune.code,
                    },
                )
            case = filing.case
            members = {m.role: m.user for m in case.unit.memberships.select_related("user")}
            for step in steps:
                inputs = {}
                if step == "register":
                    inputs = {"registry_number": f"{case.pk:04d}/3101/2026"}
                if step == "assign":
                    prosecutor = User.objects.filter(
                        memberships__unit=case.unit, memberships__role="magistrate"
                    ).first()
                    inputs = {"assignee": str(prosecutor.pk)}
                actor = members.get("unit_head") or members.get("agent")
                case_transition(case_id=case.pk, step_name=step, actor=actor, inputs=inputs)
            self.stdout.write(f"Demo complaint {case.reference} ({case.unit}).")
