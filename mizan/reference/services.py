"""Load the shipped reference data and the institutions' units, idempotently.

Running the loader again updates rows in place (by their codes) and creates what is
missing; it never deletes, so corrections made through the admin to rows that are
no longer shipped survive, and foreign keys from cases stay valid.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from mizan.accounts.models import Unit

from .models import Commune, Court, Institution, Prison, Province, Region

DATA_DIR = Path(__file__).resolve().parent / "data"


_data_dir: list[Path] = [DATA_DIR]
_changes: list[str] = []


def _rows(name: str) -> list[dict]:
    with open(_data_dir[0] / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _int(text: str) -> int | None:
    return int(text) if text.strip() else None


def _upsert(model, objects: list, unique_field: str) -> None:
    fields = [f.name for f in model._meta.concrete_fields if not f.primary_key and f.name != "id"]
    _report_changes(model, objects, unique_field, fields)
    model.objects.bulk_create(
        objects,
        update_conflicts=True,
        unique_fields=[unique_field],
        update_fields=fields,
        batch_size=500,
    )


def _report_changes(model, objects: list, unique_field: str, fields: list[str]) -> None:
    """Note each row the load creates and each field it changes, for the operator."""
    columns = [model._meta.get_field(name).attname for name in fields]
    key = model._meta.get_field(unique_field).attname
    existing = {
        str(row[key]): row for row in model.objects.values(key, *[c for c in columns if c != key])
    }
    label = model._meta.model_name
    for obj in objects:
        identifier = str(getattr(obj, key))
        before = existing.get(identifier)
        if before is None:
            _changes.append(f"{label} {identifier}: new")
            continue
        for column in columns:
            if column == key or column == "parent_id":
                continue
            old, new = before.get(column), getattr(obj, column)
            if str(old or "") != str(new or ""):
                _changes.append(f"{label} {identifier}: {column} {old!r} → {new!r}")


@dataclass(frozen=True)
class LoadSummary:
    regions: int
    provinces: int
    communes: int
    courts: int
    prisons: int
    units: int
    changes: tuple[str, ...] = ()


def reference_load(*, data_dir: Path | None = None, dry_run: bool = False) -> LoadSummary:
    """Load the CSV files (the shipped ones, or a corrected set in `data_dir`) and say
    what changed; with `dry_run`, only say it."""
    _data_dir[0] = Path(data_dir) if data_dir else DATA_DIR
    _changes.clear()
    try:
        with transaction.atomic():
            summary = _reference_load()
            if dry_run:
                transaction.set_rollback(True)
    finally:
        _data_dir[0] = DATA_DIR
    return summary


def _reference_load() -> LoadSummary:
    regions = [
        Region(
            code=r["code"],
            iso_3166_2=r["iso_3166_2"],
            name_fr=r["name_fr"],
            name_ar=r["name_ar"],
            population_2024=_int(r["population_2024"]),
            source=r["source"],
        )
        for r in _rows("regions.csv")
    ]
    _upsert(Region, regions, "code")

    provinces = [
        Province(
            code=r["code"],
            region_id=r["region_code"],
            kind=r["type"],
            iso_3166_2=r["iso_3166_2"],
            name_fr=r["name_fr"],
            name_ar=r["name_ar"],
            population_2024=_int(r["population_2024"]),
            source=r["source"],
        )
        for r in _rows("provinces.csv")
    ]
    _upsert(Province, provinces, "code")

    court_rows = _rows("courts.csv")
    # Parents first: insert without parents, then set them, so order in the file
    # does not matter.
    courts = [
        Court(
            id=r["id"],
            kind=r["type"],
            name_fr=r["name_fr"],
            name_ar=r["name_ar"],
            seat_city_fr=r["seat_city_fr"],
            seat_province_id=r["seat_province_code"] or None,
            parent=None,
            status=r["status"],
            source=r["source"],
            confidence=r["confidence"],
            notes=r["notes"],
        )
        for r in court_rows
    ]
    _upsert(Court, courts, "id")
    for court, row in zip(courts, court_rows, strict=True):
        court.parent_id = row["parent_id"] or None
    Court.objects.bulk_update(courts, ["parent"], batch_size=500)

    routing = {r["commune_code"]: r for r in _rows("communes_tpi_routing.csv")}
    communes = []
    for r in _rows("communes.csv"):
        route = routing.get(r["code"], {})
        communes.append(
            Commune(
                code=r["code"],
                province_id=r["province_code"],
                kind=r["type"],
                name_fr=r["name_fr"],
                name_ar=r["name_ar"],
                population_2024=_int(r["population_2024"]),
                first_instance_court_id=route.get("tpi_id") or None,
                appeal_court_id=route.get("court_of_appeal_id") or None,
                routing_method=route.get("method", ""),
                routing_confidence=route.get("confidence") or "guess",
            )
        )
    _upsert(Commune, communes, "code")

    prisons = [
        Prison(
            id=r["id"],
            kind=r["type"],
            name_fr=r["name_fr"],
            name_ar=r["name_ar"],
            city_fr=r["city_fr"],
            province_id=r["province_code"] or None,
            status=r["status"],
            source=r["source"],
            confidence=r["confidence"],
            notes=r["notes"],
        )
        for r in _rows("prisons.csv")
    ]
    _upsert(Prison, prisons, "id")

    units = institution_units_load()
    return LoadSummary(
        len(regions),
        len(provinces),
        len(communes),
        len(courts),
        len(prisons),
        units,
        tuple(_changes),
    )


def institution_units_load() -> int:
    """The institutions and one unit (queue) per desk that receives requests."""
    for code in Institution.Code.values:
        Institution.objects.get_or_create(code=code)
    K = Unit.Kind
    wanted: list[Unit] = [
        Unit(code="PMP", institution_id="PMP", kind=K.PROSECUTION_HEAD),
        Unit(code="MJ-PARDON", institution_id="MJ", kind=K.PARDON_SECRETARIAT),
        # Answers citizens' questions to the Ministry of Justice.
        Unit(code="MJ-INFO", institution_id="MJ", kind=K.INFORMATION_DESK),
        Unit(code="CSPJ", institution_id="CSPJ", kind=K.JUDICIAL_COUNCIL),
        Unit(code="MRE", institution_id="MRE", kind=K.MOROCCANS_ABROAD_DESK),
        Unit(code="MED", institution_id="MED", kind=K.MEDIATOR_HEAD_OFFICE),
    ]
    for region in Region.objects.all():
        wanted.append(
            Unit(
                code=f"MED-{region.code}",
                institution_id="MED",
                kind=K.MEDIATOR_DELEGATION,
                region=region,
            )
        )
    for court in Court.objects.filter(kind__in=[Court.Kind.FIRST_INSTANCE, Court.Kind.APPEAL]):
        active = court.status == Court.Status.OPERATIONAL
        prosecution = (
            K.PROSECUTION_FIRST_INSTANCE
            if court.kind == Court.Kind.FIRST_INSTANCE
            else K.PROSECUTION_APPEAL
        )
        wanted.append(
            Unit(
                code=f"PROS-{court.id}",
                institution_id="PMP",
                kind=prosecution,
                court=court,
                is_active=active,
            )
        )
        wanted.append(
            Unit(
                code=f"REG-{court.id}",
                institution_id="MJ",
                kind=K.COURT_REGISTRY,
                court=court,
                is_active=active,
            )
        )
    _upsert(Unit, wanted, "code")
    return len(wanted)
