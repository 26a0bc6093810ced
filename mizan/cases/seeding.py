"""A realistic data set for the benchmarks (`manage.py bench_seed`), inserted in bulk.

Cases are spread over two years, over communes in proportion to their population
(so over the units and regions as real complaints would be), and walked through their
workflow at random, with the events, SMS and audit entries each step leaves. Rows
are built and inserted a batch at a time, so memory stays flat whatever the size.
"""

import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from mizan.core import references
from mizan.core.models import AuditChainHead, AuditEntry
from mizan.deadlines.selectors import HolidayCalendar
from mizan.notifications.models import Notification
from mizan.notifications.services import client_reference_for, notification_render
from mizan.procedures.registry import PROCEDURES
from mizan.reference.models import Commune
from mizan.reference.routing import prosecution_office_for

from .models import Case, CaseEvent, ReferenceCounter
from .search import search_text_for
from .services import _due_at, access_code_hash

# Every seeded case opens with this access code (benchmarks track cases with it).
BENCH_ACCESS_CODE = "BENCH234"
LANGUAGES = (("ar", 0.6), ("fr", 0.3), ("en", 0.1))
FACTS = {
    "ar": "سُرق هاتفي المحمول في محطة الحافلات يوم السبت مساءً، ورأيت شخصين يفران.",
    "fr": "Mon téléphone a été volé à la gare routière samedi soir ; deux hommes ont fui.",
    "en": "My phone was stolen at the bus station on Saturday evening; two men ran off.",
}
CATEGORIES = ["theft", "fraud", "violence", "threats", "cheque", "defamation", "other"]


@dataclass(frozen=True)
class SeedSummary:
    cases: int
    events: int
    notifications: int
    audit_entries: int


def _destinations() -> tuple[list[tuple[Commune, int, bool]], list[int]]:
    communes, weights = [], []
    for commune in Commune.objects.select_related("first_instance_court", "appeal_court"):
        destination = prosecution_office_for(commune)
        communes.append((commune, destination.unit.pk, destination.to_confirm))
        weights.append(max(commune.population_2024 or 1, 1))
    return communes, weights


def _walk(workflow, rng: random.Random, age_days: float) -> list:
    """A plausible path through the workflow: older cases are further along."""
    status, path = workflow.initial, []
    wanted = min(9, int(rng.random() * 3 + age_days / 45))
    for _ in range(wanted):
        steps = [s for s in workflow.steps_from(status) if s.name != "confirm_destination"]
        if not steps:
            break
        # Prefer moving on over asking for information again.
        step = rng.choice(steps)
        if step.name == "request_information" and rng.random() < 0.6:
            step = rng.choice(steps)
        path.append(step)
        status = step.target
    return path


def bench_seed(
    *,
    count: int,
    batch_size: int = 2000,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
) -> SeedSummary:
    procedure = PROCEDURES["complaint"]
    workflow = procedure.workflow
    rng = random.Random(seed)
    communes, weights = _destinations()
    now = timezone.now()
    start = now - timedelta(days=730)
    sequences: dict[int, int] = {
        counter.year: counter.last_value
        for counter in ReferenceCounter.objects.filter(procedure="complaint")
    }
    head = AuditChainHead.objects.filter(id=1).first()
    previous_hash = head.last_hash if head else "0" * 64
    totals = [0, 0, 0, 0]
    done = 0
    while done < count:
        size = min(batch_size, count - done)
        with transaction.atomic():
            previous_hash = _insert_batch(
                size,
                rng,
                workflow,
                procedure,
                communes,
                weights,
                start,
                now,
                sequences,
                previous_hash,
                totals,
            )
            for year, last in sequences.items():
                ReferenceCounter.objects.update_or_create(
                    procedure="complaint", year=year, defaults={"last_value": last}
                )
        done += size
        if progress:
            progress(done)
    return SeedSummary(*totals)


def _insert_batch(
    size, rng, workflow, procedure, communes, weights, start, now, sequences, previous_hash, totals
) -> str:
    chosen = rng.choices(communes, weights=weights, k=size)
    cases, plans = [], []
    for commune, unit_id, to_confirm in chosen:
        submitted = start + (now - start) * rng.random() ** 0.8
        year = timezone.localtime(submitted).year
        sequences[year] = sequences.get(year, 0) + 1
        reference = references.format_reference(procedure.reference_prefix, year, sequences[year])
        language = rng.choices([c for c, _ in LANGUAGES], [w for _, w in LANGUAGES])[0]
        path = _walk(workflow, rng, (now - submitted).days)
        status = path[-1].target if path else workflow.initial
        phone = f"+2126{rng.randrange(10**8):08d}"
        cases.append(
            Case(
                procedure="complaint",
                reference=reference,
                status=status,
                unit_id=unit_id,
                destination_to_confirm=to_confirm and not path,
                filer_name="Citoyen Bench",
                filer_phone=phone,
                language=language,
                commune=commune,
                details={
                    "complainant_kind": "person",
                    "id_kind": "cin",
                    "id_number": "BK000000",
                    "nationality": "MA",
                    "country_of_residence": "MA",
                    "accused_unknown": True,
                    "accused": [],
                    "category": rng.choice(CATEGORIES),
                    "facts": FACTS[language],
                    "facts_date": (submitted - timedelta(days=3)).date().isoformat(),
                    "province": commune.province_id,
                    "commune": commune.code,
                },
                access_code_hash=access_code_hash(
                    reference=reference, access_code=BENCH_ACCESS_CODE
                ),
                consent_at=submitted,
                submitted_at=submitted,
                status_changed_at=submitted,
                search_text=search_text_for(
                    reference=reference,
                    filer_name="Citoyen Bench",
                    filer_phone=phone,
                    details={"id_number": "BK000000", "facts": FACTS[language]},
                ),
            )
        )
        plans.append((submitted, path))
    Case.objects.bulk_create(cases, batch_size=size)

    events, notifications, audits = [], [], []
    calendar = HolidayCalendar()
    for case, (submitted, path) in zip(cases, plans, strict=True):
        moment, status = submitted, workflow.initial
        events.append(
            CaseEvent(
                case=case,
                step="submit",
                from_status="",
                to_status=status,
                actor_kind="citizen",
                at=moment,
            )
        )
        audits.append(("case.submitted", moment, case.reference, {"procedure": "complaint"}))
        notifications.append((case, moment, procedure.received_message))
        for step in path:
            moment = min(moment + timedelta(hours=rng.uniform(2, 24 * 20)), now)
            events.append(
                CaseEvent(
                    case=case,
                    step=step.name,
                    from_status=status,
                    to_status=step.target,
                    actor_kind="staff",
                    at=moment,
                    citizen_visible=step.citizen_visible,
                    citizen_message="Merci de préciser l'heure des faits."
                    if step.message_required
                    else "",
                )
            )
            audits.append(
                (
                    "case.transition",
                    moment,
                    case.reference,
                    {"step": step.name, "from": status, "to": step.target},
                )
            )
            if step.notify:
                notifications.append((case, moment, step.notify))
            status = step.target
        if path:
            case.status_changed_at = moment
            if workflow.state(status).terminal:
                case.closed_at = moment
        case.due_at = _due_at(workflow.state(status), case.status_changed_at, holidays=calendar)
    Case.objects.bulk_update(cases, ["status_changed_at", "closed_at", "due_at"], batch_size=size)
    CaseEvent.objects.bulk_create(events, batch_size=5000)
    Notification.objects.bulk_create(_notifications(notifications, rng), batch_size=5000)
    entries, previous_hash = _audit_entries(audits, previous_hash)
    AuditEntry.objects.bulk_create(entries, batch_size=5000)
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    AuditChainHead.objects.update_or_create(
        id=1, defaults={"last_hash": previous_hash, "last_entry_id": last or 0}
    )
    totals[0] += len(cases)
    totals[1] += len(events)
    totals[2] += len(notifications)
    totals[3] += len(entries)
    return previous_hash


def _notifications(rows, rng) -> Iterator[Notification]:
    rendered: dict[tuple[str, str], str] = {}
    for index, (case, moment, key) in enumerate(rows):
        # One rendering per message and language, then the reference swapped in.
        template = rendered.get((key, case.language))
        if template is None:
            template = notification_render(
                template_key=key,
                language=case.language,
                context={"reference": "§REF§", "link": "§LINK§", "registry_number": "—"},
            )
            rendered[(key, case.language)] = template
        failed = rng.random() < 0.03
        yield Notification(
            case=case,
            recipient=str(case.filer_phone),
            language=case.language,
            template_key=key,
            body=template.replace("§REF§", case.reference).replace(
                "§LINK§", f"/{case.language}/track/{case.reference}/"
            ),
            idempotency_key=f"bench:{case.reference}:{key}:{index}",
            client_reference=client_reference_for(f"bench:{case.reference}:{key}:{index}"),
            segments=2 if case.language == "ar" else 1,
            encoding="ucs2" if case.language == "ar" else "gsm7",
            status="permanent-failure" if failed else "delivered",
            provider="console",
            attempts=1,
            created_at=moment,
            sent_at=moment,
            delivered_at=None if failed else moment,
        )


def _audit_entries(rows, previous_hash: str) -> tuple[list[AuditEntry], str]:
    entries = []
    for action, moment, reference, data in rows:
        entry = AuditEntry(
            at=moment,
            actor_label="bench",
            action=action,
            object_type="case",
            object_id=reference,
            data=data,
            previous_hash=previous_hash,
        )
        entry.entry_hash = entry.compute_hash()
        previous_hash = entry.entry_hash
        entries.append(entry)
    return entries, previous_hash


def bench_fingerprint() -> str:
    """A short digest of the seeded data's shape, reported with the results."""
    counts = f"{Case.objects.count()}:{CaseEvent.objects.count()}"
    return hashlib.sha256(counts.encode()).hexdigest()[:12]
