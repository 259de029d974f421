"""Backup and restore of a whole hub: the database and every blob, into or out of one folder.

A backup folder holds `manifest.json`, the database (`database.sqlite3`, made with SQLite's online backup
API, or `database.pgdump`, made with `pg_dump --format=custom`) and `blobs/ab/cd/<sha256>`: every blob as it
is stored — sealed blobs stay sealed, so the backup holds no plaintext document and is useless without the
master keys, which are backed up separately (docs/deploy.md).

The database is copied first, the blobs after it: a blob is always written before the row that refers to it
is committed (decision 0002), so every document the copied database names is in the store by the time the
blobs are copied. Blobs written meanwhile are only orphans. Restore refuses a target that already holds data.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from digitalpost.blobstore import LocalFolder, is_blob_key, read_chunks, sync_file_system
from digitalpost.hub.blobs import blob_store

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
BLOB_FOLDER = "blobs"

Progress = Callable[[str, int, int], None]  # phase, done, total


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    format: int
    created_at: str
    database: str
    blobs: int
    blob_backend: str


def _quiet(_phase: str, _done: int, _total: int) -> None:
    pass


def postgres_binary(name: str) -> str:
    """`pg_dump`/`pg_restore` from PATH, else the newest in Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda path: int(re.search(r"/(\d+)/bin/", path).group(1)))  # type: ignore[union-attr]
    if not candidates:
        raise BackupError(f"{name} not found: install the PostgreSQL client programs (Debian: postgresql-client)")
    return candidates[-1]


def _postgres_args() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ, **({"PGPASSWORD": str(db["PASSWORD"])} if db.get("PASSWORD") else {})}
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")


def backup(target: Path, progress: Progress = _quiet) -> Manifest:
    """Copy the database and every blob into `target` (a new or empty folder)."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new or empty folder")
    target.mkdir(parents=True, exist_ok=True)
    vendor = connection.vendor
    progress("database", 0, 1)
    if vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(target / SQLITE_FILE) as copy:
            connection.connection.backup(copy)
        copy.close()
    elif vendor == "postgresql":
        args, env = _postgres_args()
        _run([postgres_binary("pg_dump"), "--format=custom", "--no-owner", "--file", str(target / POSTGRES_FILE),
              *args], env)
    else:
        raise BackupError(f"backups of a {vendor} database are not supported")
    progress("database", 1, 1)

    objects = blob_store().objects
    names = [name for name in objects.names() if is_blob_key(name)]
    copies = LocalFolder(target / BLOB_FOLDER, fsync=False)
    for done, name in enumerate(names, start=1):
        with objects.open(name) as stored:
            copies.write(name, read_chunks(stored))
        progress("blobs", done, len(names))
    sync_file_system(target)
    manifest = Manifest(format=FORMAT, created_at=timezone.now().isoformat(), database=vendor, blobs=len(names),
                        blob_backend=settings.DIGITALPOST_BLOB_BACKEND)
    (target / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return manifest


def read_manifest(source: Path) -> Manifest:
    try:
        manifest = Manifest(**json.loads((Path(source) / MANIFEST).read_text()))
    except FileNotFoundError as exc:
        raise BackupError(f"{source} holds no {MANIFEST}: not a digitalpost backup (or an unfinished one)") from exc
    if manifest.format != FORMAT:
        raise BackupError(f"backup format {manifest.format}; this version restores format {FORMAT}")
    return manifest


def target_holds_data() -> list[str]:
    """Why the configured hub is not an empty restore target (empty list: it is)."""
    reasons: list[str] = []
    tables = set(connection.introspection.table_names())
    filled = sorted(
        model._meta.label for model in apps.get_models()
        if model.__module__.startswith("digitalpost.") and model._meta.db_table in tables
        and model._default_manager.exists()
    )
    if filled:
        reasons.append(f"the database holds data ({', '.join(filled[:5])}{' …' if len(filled) > 5 else ''})")
    if next(iter(blob_store().iter_keys()), None) is not None:
        reasons.append("the blob store holds documents")
    return reasons


def restore(source: Path, progress: Progress = _quiet) -> Manifest:
    """Restore a backup into this hub's (empty) database and blob store."""
    source = Path(source)
    manifest = read_manifest(source)
    if manifest.database != connection.vendor:
        raise BackupError(f"the backup is of a {manifest.database} database; this hub uses {connection.vendor}")
    reasons = target_holds_data()
    if reasons:
        raise BackupError("refusing to restore into a hub that is not empty: " + "; ".join(reasons)
                          + ". Point DIGITALPOST_VAR / DATABASE_URL (and the blob settings) at a fresh hub.")
    progress("database", 0, 1)
    if manifest.database == "sqlite":
        connection.close()
        with sqlite3.connect(source / SQLITE_FILE) as backup_db, sqlite3.connect(
                str(settings.DATABASES["default"]["NAME"])) as live:
            backup_db.backup(live)
        backup_db.close()
        live.close()
    else:
        connection.close()
        args, env = _postgres_args()
        _run([postgres_binary("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              *args, str(source / POSTGRES_FILE)], env)
    progress("database", 1, 1)

    store = blob_store()
    copies = LocalFolder(source / BLOB_FOLDER)
    names = [name for name in copies.names() if is_blob_key(name)]
    objects = store.objects.unsynced()
    for done, name in enumerate(names, start=1):
        with copies.open(name) as copy:
            objects.write(name, read_chunks(copy))
        progress("blobs", done, len(names))
    store.sync()
    return manifest
