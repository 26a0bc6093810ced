"""Request lists for the benchmark scenarios, written as `path<TAB>cookie<TAB>body` lines.

Builds what a real visitor would hold: a citizen's session that may see one case, a
unit head's logged-in session, and filled-in complaint forms waiting for a known SMS
code. Only for benchmark databases (seeded with `bench_seed`).
"""

import random
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand
from django.db.models import Count, Max, Min
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from mizan.accounts.models import PhoneChallenge, Role, Unit
from mizan.accounts.services import _code_hash, staff_user_create
from mizan.cases.models import Case, PendingFiling

CODE = "246810"
PASSWORD = "bench-staff-password-2026"


class Command(BaseCommand):
    help = "Write the benchmark request lists into a folder (benchmark databases only)."

    def add_arguments(self, parser):
        parser.add_argument("folder")
        parser.add_argument("--tracked", type=int, default=2000)
        parser.add_argument("--filings", type=int, default=20000)

    def handle(self, *args, **options):
        folder = Path(options["folder"])
        folder.mkdir(parents=True, exist_ok=True)
        rng = random.Random(7)
        csrf = secrets.token_hex(16)  # 32 characters: a valid unmasked CSRF secret
        (folder / "csrf.txt").write_text(csrf)
        self._tracking(folder, rng, options["tracked"])
        self._queue(folder, rng)
        self._filings(folder, rng, csrf, options["filings"])
        self._forms(folder, rng, csrf, options["filings"])
        self._transparency(folder)
        self.stdout.write(f"Benchmark request lists written to {folder}")

    def _write(self, path: Path, rows) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write("\t".join(row) + "\n")

    def _tracking(self, folder, rng, count):
        bounds = Case.objects.aggregate(low=Min("id"), high=Max("id"))
        ids = {rng.randint(bounds["low"], bounds["high"]) for _ in range(count)}
        rows = []
        for case in Case.objects.filter(id__in=ids).only("reference", "language"):
            session = SessionStore()
            session["mizan_tracked"] = [case.reference]
            session.create()
            rows.append(
                (
                    f"/{case.language}/track/{case.reference}/",
                    f"sessionid={session.session_key}",
                    "",
                )
            )
        self._write(folder / "tracking.tsv", rows)

    def _queue(self, folder, rng):
        unit = Unit.objects.annotate(n=Count("cases")).order_by("-n").first()
        user = staff_user_create(
            username="bench.head",
            password=PASSWORD,
            full_name="Bench Head",
            unit=unit,
            roles=[Role.UNIT_HEAD],
        )
        # Signed in with both factors, as a head of unit is after the log-in.
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.create()
        cookie = f"sessionid={session.session_key}"
        cases = unit.cases.count()
        pages = max(1, min(100, cases // 50))
        self._write(
            folder / "queue.tsv",
            [(f"/fr/backoffice/?page={page}", cookie, "") for page in range(1, pages + 1)],
        )
        references = list(unit.cases.values_list("reference", flat=True)[:2000])
        self._write(
            folder / "case_page.tsv",
            [(f"/fr/backoffice/cases/{reference}/", cookie, "") for reference in references],
        )
        # Staff search by a filer's phone as people type it (06…): full text on the
        # normalised text, restricted to the unit.
        phones = list(unit.cases.values_list("filer_phone", flat=True)[:2000])
        self._write(
            folder / "search.tsv",
            [(f"/fr/backoffice/search/?q=0{str(phone)[4:]}", cookie, "") for phone in phones],
        )
        (folder / "queue_unit.txt").write_text(f"{unit.code} {cases}")

    def _transparency(self, folder):
        """The public dashboard as visitors open it: each procedure, then a region, then
        an office in it, over the default period (read from the published rollups)."""
        from mizan.procedures.registry import PROCEDURES
        from mizan.transparency.models import PublishedArea

        rows = []
        for procedure in PROCEDURES:
            for language in ("fr", "ar"):
                rows.append((f"/{language}/transparency/?procedure={procedure}", "", ""))
            areas = PublishedArea.objects.filter(procedure=procedure)
            regions = sorted(set(areas.filter(level="region").values_list("code", flat=True)))
            for region in regions:
                query = urlencode({"procedure": procedure, "region": region})
                rows.append((f"/fr/transparency/?{query}", "", ""))
                offices = areas.filter(level="office", region_code=region)
                for office in sorted(set(offices.values_list("code", flat=True)))[:3]:
                    query = urlencode({"procedure": procedure, "region": region, "office": office})
                    rows.append((f"/fr/transparency/?{query}", "", ""))
        self._write(folder / "transparency.tsv", rows)

    def _filings(self, folder, rng, csrf, count):
        """Complaints waiting for their SMS code, whose code the benchmark knows."""
        now = timezone.now()
        challenges = PhoneChallenge.objects.bulk_create(
            [
                PhoneChallenge(
                    phone=f"+2127{i:08d}",
                    purpose="filing",
                    code_hash="",
                    created_at=now,
                    expires_at=now + timedelta(hours=6),
                )
                for i in range(count)
            ],
            batch_size=5000,
        )
        for challenge in challenges:
            challenge.code_hash = _code_hash(str(challenge.pk), CODE)
        PhoneChallenge.objects.bulk_update(challenges, ["code_hash"], batch_size=5000)
        data = {
            "complainant_kind": "person",
            "id_kind": "cin",
            "id_number": "BK123456",
            "nationality": "MA",
            "country_of_residence": "MA",
            "accused_unknown": True,
            "accused": [],
            "category": "theft",
            "facts": "Mon téléphone a été volé à la gare routière samedi soir.",
            "facts_date": "2026-11-01",
            "province": "06.141",
            "commune": "06.141.01.0",
            "attachment_ids": [],
            "filer": {"name": "Citoyen Bench", "email": "", "language": "fr"},
        }
        pending = [
            PendingFiling(
                token=secrets.token_urlsafe(32),
                procedure="complaint",
                language="fr",
                phone=challenge.phone,
                data=data,
                challenge=challenge,
                created_at=now,
                expires_at=now + timedelta(hours=6),
            )
            for challenge in challenges
        ]
        PendingFiling.objects.bulk_create(pending, batch_size=5000)
        body = urlencode({"code": CODE, "verify": "1", "csrfmiddlewaretoken": csrf})
        self._write(
            folder / "filing_confirm.tsv",
            [(f"/fr/complaint/confirm/{p.token}/", f"csrftoken={csrf}", body) for p in pending],
        )

    def _forms(self, folder, rng, csrf, count):
        rows = []
        for i in range(count):
            body = urlencode(
                {
                    "csrfmiddlewaretoken": csrf,
                    "complainant_kind": "person",
                    "complainant_name": "Citoyen Bench",
                    "id_kind": "cin",
                    "id_number": "BK123456",
                    "nationality": "MA",
                    "country_of_residence": "MA",
                    "phone": f"+2126{i:08d}",
                    "preferred_language": "fr",
                    "accused_unknown": "on",
                    "category": "fraud",
                    "facts": "J'ai versé un acompte pour un appartement jamais livré. " * 3,
                    "facts_date": "2026-10-01",
                    "province": "04.421",
                    "commune": "04.421.01.0",
                    "consent": "on",
                }
            )
            rows.append(("/fr/complaint/", f"csrftoken={csrf}", body))
        self._write(folder / "filing_form.tsv", rows)
