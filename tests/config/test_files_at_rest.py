"""Files at rest: a fresh `digitalpost migrate` leaves nothing in DIGITALPOST_VAR that others may read, and an
older install's world-readable database is made private on the next connection."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.own_sqlite]

EXE = Path(sys.executable).parent / "digitalpost"


def run_digitalpost(var: Path, *args: str) -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("DIGITALPOST_SQLITE", "DATABASE_URL")}
    # A permissive umask, as on a default system: privacy must not depend on the operator's umask.
    result = subprocess.run([str(EXE), *args], env={**env, "DIGITALPOST_VAR": str(var)},
                            capture_output=True, text=True, timeout=300, preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 0, result.stderr


def readable_by_others(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): oct(stat.S_IMODE(path.stat().st_mode))
            for path in folder.rglob("*") if path.is_file() and path.stat().st_mode & 0o077}


def test_a_fresh_migrate_leaves_the_database_and_its_wal_private(tmp_path):
    var = tmp_path / "var"
    run_digitalpost(var, "migrate")
    database = var / "digitalpost.sqlite3"
    assert database.exists()
    # A reader in WAL mode makes SQLite create the -wal and -shm files next to the database.
    old_umask = os.umask(0o022)
    try:
        reader = sqlite3.connect(database)
        reader.execute("PRAGMA journal_mode=WAL")
        reader.execute("SELECT count(*) FROM django_migrations").fetchone()
        assert Path(f"{database}-wal").exists()
        assert Path(f"{database}-shm").exists()
        assert readable_by_others(var) == {}
        reader.close()
    finally:
        os.umask(old_umask)
    assert readable_by_others(var) == {}


def test_a_world_readable_database_from_an_older_install_is_made_private(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    database = var / "digitalpost.sqlite3"
    sqlite3.connect(database).close()
    database.chmod(0o644)
    run_digitalpost(var, "manage", "showmigrations", "messaging")  # any command that opens the database
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert readable_by_others(var) == {}
