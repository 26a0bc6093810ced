"""Request lists for the benchmark scenarios, written as `path<TAB>cookie<TAB>body` lines.

Builds what a real visitor would hold: a citizen's session that may see one case, a
unit head's logged-in session, filled-in complaint forms waiting for a known SMS
code, and citizens whose phone was verified waiting for a booking campaign to open.
Only for benchmark databases (seeded with `bench_seed`).
"""

import json
import math
import random
import secrets
from datetime import time, timedelta
from pathlib import Path
from urllib.parse import urlencode

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand
from django.db.models import Count, Max, Min
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from mizan.accounts.models import Membership, PhoneChallenge, Role, Unit
from mizan.accounts.services import _code_hash, phone_challenge_verify, staff_user_create
from mizan.appointments.models import (
    AppointmentService,
    Availability,
    Campaign,
    Leave,
    WeeklyHours,
)
from mizan.appointments.slots import morocco_today, service_slots
from mizan.appointments.timezones import default_time_zone
from mizan.appointments.views import SESSION_DRAFT
from mizan.cases.models import Case, PendingFiling
from mizan.deadlines.selectors import HolidayCalendar

CODE = "246810"
PASSWORD = "bench-staff-password-2026"
# Booking contention: each wrk run (warm-up and measure, at 1 and 8 connections) gets
# its own service, so that each starts as a campaign opens, with every slot free.
BOOKING_PHASES = ("warmup-1", "measure-1", "warmup-8", "measure-8")
# Each official of a bench service offers this many 30-minute slots on the one day.
SLOTS_PER_OFFICIAL = 20
# Where the would-be bookers live: Moroccans abroad and at home.
BOOKER_COUNTRIES = ("FR", "ES", "BE", "IT", "NL", "DE", "CA", "MA")
# How many citizens reach each place while it is the earliest free one.
BOOKERS_PER_PLACE = 3


class Command(BaseCommand):
    help = "Write the benchmark request lists into a folder (benchmark databases only)."

    def add_arguments(self, parser):
        parser.add_argument("folder")
        parser.add_argument("--tracked", type=int, default=2000)
        parser.add_argument("--filings", type=int, default=20000)
        parser.add_argument(
            "--booking-slots", type=int, default=200, help="slots of each booking service"
        )
        parser.add_argument(
            "--bookers",
            type=int,
            default=0,
            help="verified citizens per measured booking run, a quarter per warm-up (0, the "
            "default: no booking lists; bench/run.py asks for 6000, --quick 1000)",
        )

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
        if options["bookers"]:
            self._bookings(folder, rng, csrf, options["booking_slots"], options["bookers"])
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
        # And by what people remember: a name (family name alone, or with the first
        # name) or a word of the facts, in the cases' languages. A family name is
        # shared by many cases: the unit's most recent matches are listed.
        words = []
        for name, details in unit.cases.values_list("filer_name", "details")[:2000]:
            parts = name.split()
            if not parts:
                continue
            words.append(parts[-1])
            words.append(" ".join(parts[:2]))
            facts = [w.strip(".,;:!?«»\"'()") for w in str(details.get("facts", "")).split()]
            facts = [w for w in facts if len(w) >= 6]
            if facts:
                words.append(rng.choice(facts))
        rng.shuffle(words)
        self._write(
            folder / "search_words.tsv",
            [(f"/fr/backoffice/search/?{urlencode({'q': w})}", cookie, "") for w in words[:3000]],
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

    def _bookings(self, folder, rng, csrf, slots, bookers):
        """A booking campaign opening: per run, a service with `slots` free slots on one
        day, and many citizens who passed the phone-code step, each posting the slot
        they picked (the earliest ones are the most wanted) as the slots page does for
        a verified phone (`appointments.views.slots` → `booking_create`)."""
        today = morocco_today()
        holidays = HolidayCalendar()
        # The campaign opens today; appointments are held on the first working day
        # after it (the officials are on leave until then), so the number of slots does
        # not depend on the time of day the bench runs.
        day = today + timedelta(days=1)
        while holidays.is_holiday(day):
            day += timedelta(days=1)
        campaign = Campaign.objects.create(
            name=f"Bench campaign {secrets.token_hex(3)}", starts_on=today, ends_on=day
        )
        now = timezone.now()
        manifest = {}
        for phase in BOOKING_PHASES:
            count = bookers if phase.startswith("measure") else max(1, bookers // 4)
            service = self._booking_service(campaign, phase, slots, today, day)
            free = service_slots(service=service)
            # One entry per bookable place: a time held by three officials, three times.
            places = [slot.key for slot in free for _official in slot.official_ids]
            rows = self._verified_bookers(csrf, rng, service, places, count, now)
            self._write(folder / f"booking-{phase}.tsv", rows)
            manifest[phase] = {
                "service": service.code,
                "slots": sum(len(slot.official_ids) for slot in free),
                "slot_times": len(free),
                "officials": len({o for slot in free for o in slot.official_ids}),
                "bookers": count,
            }
        (folder / "booking.json").write_text(json.dumps(manifest, indent=1))

    def _booking_service(self, campaign, phase, slots, today, day):
        token = secrets.token_hex(3)
        # A desk of the institution for Moroccans abroad per run: a service is held by
        # every member of its unit with the role, so runs in one unit would share
        # officials (and one run's bookings would take another's time).
        unit = Unit.objects.create(
            code=f"MRE-BENCH-{phase}-{token}".upper(),
            institution_id="MRE",
            kind=Unit.Kind.MOROCCANS_ABROAD_DESK,
        )
        service = AppointmentService.objects.create(
            unit=unit,
            code=f"bench-{phase}-{token}",
            title_ar="أسئلة قانون الأسرة للمغاربة المقيمين بالخارج",
            title_fr="Questions de droit de la famille (Marocains du monde)",
            title_en="Family law questions (Moroccans abroad)",
            duration_minutes=30,
            roles=[Role.MAGISTRATE],
        )
        campaign.services.add(service)
        # They never log in here, so no password is hashed (staff_user_create would).
        users = get_user_model()
        for index in range(math.ceil(slots / SLOTS_PER_OFFICIAL)):
            user = users.objects.create_user(
                username=f"bench.official.{phase}.{token}.{index}",
                first_name="Bench",
                last_name=f"Official {index}",
            )
            Membership.objects.create(user=user, unit=unit, role=Role.MAGISTRATE)
            availability = Availability.objects.create(official=user, buffer_minutes=0)
            offered = min(SLOTS_PER_OFFICIAL, slots - index * SLOTS_PER_OFFICIAL)
            end = 8 * 60 + 30 * offered
            for weekday in range(7):
                WeeklyHours.objects.create(
                    availability=availability,
                    weekday=weekday,
                    starts_at=time(8),
                    ends_at=time(end // 60, end % 60),
                )
            if day > today:
                Leave.objects.create(
                    availability=availability,
                    starts_on=today,
                    ends_on=day - timedelta(days=1),
                    reason="campaign opening",
                )
        return service

    def _verified_bookers(self, csrf, rng, service, places, count, now):
        """`count` citizens who passed the code step (through the code service, as the
        code page does), each with a session holding the booking draft that the
        subject, details and code pages leave, and the slot each posts."""
        base = PhoneChallenge.objects.count()
        challenges = PhoneChallenge.objects.bulk_create(
            [
                PhoneChallenge(
                    phone=f"+3361{base + i:07d}",
                    purpose=PhoneChallenge.Purpose.APPOINTMENT,
                    code_hash="",
                    created_at=now,
                    expires_at=now + timedelta(minutes=10),
                )
                for i in range(count)
            ],
            batch_size=5000,
        )
        for challenge in challenges:
            challenge.code_hash = _code_hash(str(challenge.pk), CODE)
        PhoneChallenge.objects.bulk_update(challenges, ["code_hash"], batch_size=5000)
        sessions, rows = [], []
        # The views keep a verified phone for 30 minutes; these drafts outlive a full
        # bench run, which builds them before its first scenario.
        verified_until = (now + timedelta(hours=6)).timestamp()
        for challenge in challenges:
            phone_challenge_verify(challenge_id=challenge.pk, code=CODE)
            country = rng.choice(BOOKER_COUNTRIES)
            draft = {
                "service": service.code,
                "subject": "Transcription au Maroc d'un divorce prononcé à l'étranger.",
                "case_reference": "",
                "country": country,
                "tz": default_time_zone(country),
                "name": "Citoyen Bench",
                "phone": str(challenge.phone),
                "email": "",
                "fallback": True,
                "verified_until": verified_until,
            }
            key = get_random_string(32, VALID_KEY_CHARS)
            sessions.append(
                Session(
                    session_key=key,
                    session_data=SessionStore().encode({SESSION_DRAFT: draft}),
                    expire_date=now + timedelta(hours=8),
                )
            )
            slot = self._pick(rng, places, len(rows))
            body = urlencode({"csrfmiddlewaretoken": csrf, "slot": slot})
            path = f"/fr/appointments/service/{service.code}/slots/"
            rows.append((path, f"csrftoken={csrf}; sessionid={key}", body))
        Session.objects.bulk_create(sessions, batch_size=5000)
        return rows

    def _pick(self, rng, places, index):
        """The slot the index-th citizen posts. The crowd moves along the calendar:
        while place p is the earliest free one, BOOKERS_PER_PLACE citizens arrive; the
        first picks it, the others (who loaded the page at the same moment) it or one
        of its neighbours. Every place is asked for in order, so a rush of about
        BOOKERS_PER_PLACE × places requests takes them all; those who come later pick
        one they saw, already gone."""
        if not places:
            return ""
        front, nth = divmod(index, BOOKERS_PER_PLACE)
        if front >= len(places):
            return rng.choice(places)
        if nth:
            front = min(max(front + rng.randint(-2, 2), 0), len(places) - 1)
        return places[front]
