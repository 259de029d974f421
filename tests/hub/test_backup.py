"""`digitalpost backup` and `digitalpost restore`: a filled hub comes back whole in a fresh hub (fresh
DIGITALPOST_VAR or a fresh PostgreSQL database, fresh blob folder or bucket prefix), sealed documents and all."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection
from typer.testing import CliRunner

from digitalpost.blobstore.sealing import MasterKeys
from digitalpost.cli.main import app
from digitalpost.hub.blobs import blob_store
from helpers.doctor_world import build_healthy
from helpers.hub_state import hub_state
from helpers.pages import deliver_letter

pytestmark = pytest.mark.slow
TESTS = Path(__file__).resolve().parents[1]


# The embedded default backs up SQLite + local files, the scale deployment PostgreSQL + S3: each once.
@pytest.fixture(params=[pytest.param("local", marks=pytest.mark.deployment("embedded")),
                        pytest.param("s3", marks=pytest.mark.deployment("scale"))])
def blob_backend(request, settings):
    settings.DIGITALPOST_BLOB_KEYS = f"k1:{MasterKeys.generate_material()}"
    if request.param == "s3":
        request.getfixturevalue("s3_hub")
    blob_store.cache_clear()
    return request.param


def fill(cast, drain, settings) -> None:
    """A healthy Nordby (the doctor finds nothing), messages with documents (each with its event chain), and
    the audit entries that setting it all up wrote."""
    build_healthy(cast, settings)
    for n in range(4):
        deliver_letter(cast, drain, cast.anna if n % 2 else cast.dorte, f"Brev {n}",
                       files=[("brev.txt", "text/plain", f"Brev nummer {n}".encode()),
                              ("bilag.csv", "text/csv", os.urandom(100_000 + n).hex().encode())])


def fresh_hub_env(settings, tmp_path: Path, backend: str, request) -> dict[str, str]:
    """A second hub: its own DIGITALPOST_VAR and database, its own blob folder or bucket prefix."""
    var = tmp_path / "fresh-var"
    var.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DIGITALPOST_S3_", "DIGITALPOST_BLOB_"))}
    env.update({"DIGITALPOST_VAR": str(var), "DIGITALPOST_BLOB_KEYS": settings.DIGITALPOST_BLOB_KEYS,
                "DIGITALPOST_TRUST_ANCHORS": str(settings.DIGITALPOST_TRUST_ANCHORS),
                # The hub's own keys are configuration, not content: the new host is given the same ones.
                "DIGITALPOST_HUB_CERT": str(settings.DIGITALPOST_HUB_CERT),
                "DIGITALPOST_HUB_KEY": str(settings.DIGITALPOST_HUB_KEY),
                "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])})
    if connection.vendor == "sqlite":
        env["DIGITALPOST_SQLITE"] = str(var / "restored.sqlite3")
        env.pop("DATABASE_URL", None)
    else:
        name = f"restored_{uuid.uuid4().hex[:12]}"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        db = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"
    if backend == "s3":
        env.update(request.getfixturevalue("s3_server").environment(request.getfixturevalue("s3_server").new_prefix()))
    return env


def digitalpost(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "digitalpost"
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def test_a_filled_hub_is_restored_whole_into_a_fresh_hub(tx_cast, drain, settings, tmp_path, blob_backend, request):
    fill(tx_cast, drain, settings)
    before = hub_state()
    assert len(before["documents"]) == 4
    assert before["audit_entries"] > 0
    assert not before["broken_timelines"]
    assert before["audit_intact"]
    assert any(codes == [] for codes in before["doctor"].values()), "the cast has a clean organisation"

    folder = tmp_path / "backup"
    made = CliRunner().invoke(app, ["backup", str(folder)])
    assert made.exit_code == 0, made.output
    assert "Backed up" in made.output
    assert CliRunner().invoke(app, ["backup", str(folder)]).exit_code == 1  # never over an earlier backup

    env = fresh_hub_env(settings, tmp_path, blob_backend, request)
    assert digitalpost(env, "migrate").returncode == 0  # a fresh hub may already have its (empty) tables
    restored = digitalpost(env, "restore", str(folder))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Restored" in restored.stdout

    state = subprocess.run([sys.executable, "-m", "helpers.hub_state"], env=env, capture_output=True, text=True,
                           timeout=300, check=True)
    after = json.loads(state.stdout.strip().splitlines()[-1])
    assert after == before  # every document readable and the same, every chain intact, the same doctor verdicts
    assert digitalpost(env, "check").returncode == 0
    assert digitalpost(env, "audit", "verify").returncode == 0

    again = digitalpost(env, "restore", str(folder))
    assert again.returncode == 1
    assert "not empty" in again.stdout


def test_a_restore_needs_a_backup_folder(db, tmp_path):
    result = CliRunner().invoke(app, ["restore", str(tmp_path)])
    assert result.exit_code == 1
    assert "not a digitalpost backup" in result.output
