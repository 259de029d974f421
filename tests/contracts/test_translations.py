"""Danish first: every string the pages, forms and messages mark for translation has its Danish text, and the
compiled catalogue the hub loads is the one the text file gives.

The catalogue is extracted afresh from a copy of the code (Django's makemessages, GNU gettext underneath), so a
string added or changed without its Danish fails here rather than showing in English on a Danish page.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "digitalpost"
CATALOGUE = Path("locale") / "da" / "LC_MESSAGES"
EXTRACT = ("import django; django.setup(); from django.core.management import call_command; "
           "call_command('makemessages', locale=['da'], verbosity=0, no_obsolete=True, no_location=True)")


def msgids(po: Path, *flags: str) -> list[str]:
    found = subprocess.run(["msgattrib", *flags, str(po)], capture_output=True, text=True, check=True).stdout
    return [line for line in found.splitlines() if line.startswith("msgid ") and line != 'msgid ""']


def test_every_marked_string_has_its_danish_text(tmp_path):
    copy = tmp_path / "digitalpost"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "digitalpost.config.settings", "DIGITALPOST_TESTING": "1",
           "DIGITALPOST_VAR": str(tmp_path / "var")}
    subprocess.run([sys.executable, "-c", EXTRACT], cwd=copy, env=env, check=True, timeout=300)
    extracted = copy / CATALOGUE / "django.po"
    assert msgids(extracted, "--untranslated") == []
    assert msgids(extracted, "--only-fuzzy") == []


def test_the_compiled_catalogue_is_the_text_catalogue(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(SRC / CATALOGUE / "django.po")], check=True)
    assert compiled.read_bytes() == (SRC / CATALOGUE / "django.mo").read_bytes()
