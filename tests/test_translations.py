"""Every user-facing string is translated: a missing or fuzzy entry fails."""

from pathlib import Path

import pytest
from django.conf import settings

CATALOGUES = ["ar", "fr"]  # English is the source language: its msgids are the text.


def entries(path: Path):
    """(msgid, [msgstr...], flags) of each entry of a .po file (header excluded)."""
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    for block in blocks:
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines or all(line.startswith("#~") for line in lines):
            continue
        flags = " ".join(line for line in lines if line.startswith("#,"))
        msgid, msgstrs, current = [], {}, None
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith("msgid "):
                current = msgid
                current.append(line[6:])
            elif line.startswith("msgid_plural"):
                current = []
            elif line.startswith("msgstr"):
                key = line.split(" ", 1)[0]
                msgstrs[key] = [line.split(" ", 1)[1]]
                current = msgstrs[key]
            elif line.startswith('"') and current is not None:
                current.append(line)
        text = "".join(part.strip('"') for part in msgid)
        if not text:
            continue  # the header
        yield text, ["".join(p.strip('"') for p in v) for v in msgstrs.values()], flags


@pytest.mark.parametrize("language", CATALOGUES)
def test_catalogue_is_complete(language):
    path = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"no catalogue for {language}"
    missing = [msgid for msgid, msgstrs, _ in entries(path) if not all(msgstrs)]
    fuzzy = [msgid for msgid, _, flags in entries(path) if "fuzzy" in flags]
    assert missing == [], f"{len(missing)} untranslated in {language}: {missing[:10]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy in {language}: {fuzzy[:10]}"


def test_every_language_has_a_catalogue_or_is_the_source():
    codes = {code for code, _ in settings.LANGUAGES}
    assert codes == {"ar", "fr", "en"}
    for code in codes - {"en"}:
        assert (Path(settings.BASE_DIR) / "locale" / code / "LC_MESSAGES").is_dir()


def test_catalogues_cover_the_source(tmp_path):
    """No string in the code or the templates is missing from the catalogues: extract
    them again in a copy of the tree and compare."""
    import os
    import shutil
    import subprocess
    import sys

    base = Path(settings.BASE_DIR)
    for name in ("mizan", "config", "templates", "locale"):
        shutil.copytree(
            base / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    shutil.copy(base / "manage.py", tmp_path / "manage.py")
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MIZAN_DEBUG": "true"},
    )
    assert result.returncode == 0, result.stderr
    relative = Path("locale") / "fr" / "LC_MESSAGES" / "django.po"
    shipped = {msgid for msgid, _, _ in entries(base / relative)}
    extracted = {msgid for msgid, _, _ in entries(tmp_path / relative)}
    assert extracted - shipped == set(), (
        "strings missing from the catalogues: run `make messages-update` and translate"
    )
