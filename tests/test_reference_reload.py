"""Re-importing corrected reference CSVs says exactly what changes, and a dry run saves
nothing."""

import csv
import shutil
from io import StringIO

from django.core.management import call_command

from mizan.reference.models import Commune
from mizan.reference.services import DATA_DIR


def test_a_corrected_csv_is_reported_then_applied(reference_data, tmp_path):
    shutil.copytree(DATA_DIR, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "communes.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    target = next(row for row in rows if row["code"] == "06.141.01.0")
    old_name = target["name_fr"]
    target["name_fr"] = old_name + " (corrigé)"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    out = StringIO()
    call_command("load_reference", "--data-dir", str(tmp_path), "--dry-run", stdout=out)
    assert "1 change(s) (dry run" in out.getvalue()
    assert f"commune 06.141.01.0: name_fr {old_name!r}" in out.getvalue()
    assert Commune.objects.get(code="06.141.01.0").name_fr == old_name

    out = StringIO()
    call_command("load_reference", "--data-dir", str(tmp_path), stdout=out)
    assert Commune.objects.get(code="06.141.01.0").name_fr == old_name + " (corrigé)"
    out = StringIO()
    call_command("load_reference", "--data-dir", str(tmp_path), stdout=out)
    assert "No change." in out.getvalue()
