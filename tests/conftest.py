"""Shared fixtures: the cast, a worker that drains the outbox, and database selection.

The database is SQLite by default; `tests/with_postgres.py` runs the same suite against a throwaway
PostgreSQL server by setting DATABASE_URL before Django starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from cast import Cast, Staff, build_cast, build_staff

# Property tests judge behaviour, never speed (benchmarks do that): on a busy machine a slow example is not a
# failure, so no deadline and no "too slow" health check.
hypothesis_settings.register_profile("digitalpost", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("digitalpost")

# Each test runs where it means something. The SQLite run (the first half of `make test`) runs everything but the
# tests marked `postgres`, which need what only PostgreSQL gives (several nodes on one database). The PostgreSQL
# run (tests/with_postgres.py) leaves out what behaves the same whatever the suite's database is: tests that never ask
# for a database in the pure packages (no Django, no I/O: import-linter holds them to it) and in the architecture
# contracts (they read the code, the docs and the templates), and tests marked `own_sqlite` that run a hub on its
# own SQLite file.
_DATABASE_AGNOSTIC_FOLDERS = tuple(Path(__file__).parent / folder for folder in ("core", "protocols", "contracts"))
_DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup"}


def _runs_here(item: pytest.Item, *, on_postgres: bool) -> bool:
    if deployment := item.get_closest_marker("deployment"):
        return deployment.args[0] == ("scale" if on_postgres else "embedded")
    if not on_postgres:
        return item.get_closest_marker("postgres") is None
    agnostic = any(Path(str(item.path)).is_relative_to(folder) for folder in _DATABASE_AGNOSTIC_FOLDERS)
    uses_database = bool(_DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
    return item.get_closest_marker("own_sqlite") is None and (uses_database or not agnostic)


def _slow_modules_first(items: list[pytest.Item]) -> None:
    """The modules with slow or browser tests go first, each kept whole (module fixtures are made once): the two
    xdist workers then share the long tests from the start, instead of one worker running a minute-long test at
    the end while the other has nothing left to do."""
    slow_modules = {item.path for item in items
                    if item.get_closest_marker("slow") or item.get_closest_marker("browser")}
    items.sort(key=lambda item: item.path not in slow_modules)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    elsewhere = [item for item in items if not _runs_here(item, on_postgres=on_postgres)]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if _runs_here(item, on_postgres=on_postgres)]
    _slow_modules_first(items)


# The secure-mail fixtures (PKI, gateway, Nordby's secure address) serve tests in several folders.
pytest_plugins = ["helpers.secure_mail_world"]


@pytest.fixture(scope="session", autouse=True)
def _test_pki() -> None:
    """The suite's hub PKI (CA, the hub's and Nordby's certificates in var/test/pki), made once before any test:
    hub processes the tests start read it from there (ensure_dev_pki locks the folder while it makes it)."""
    from django.conf import settings

    from digitalpost.cli.devca import ensure_dev_pki

    ensure_dev_pki(settings.DIGITALPOST_PKI_DIR, hub_address=settings.DIGITALPOST_HUB_ADDRESS)


@pytest.fixture(scope="session", autouse=True)
def _test_database_dropped_cleanly(request: pytest.FixtureRequest) -> Iterator[None]:
    """On PostgreSQL, end every other session on the test database before pytest-django drops it.

    A connection a hub thread opened (the group commit's, a relay thread's) can outlive the last test; DROP
    DATABASE then waits five seconds for it and fails, leaving a warning and the database behind."""
    from django.conf import settings

    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        yield
        return
    request.getfixturevalue("django_db_setup")  # set up before this fixture, so torn down after it
    yield
    from django.db import connection

    with request.getfixturevalue("django_db_blocker").unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


@pytest.fixture
def staff(cast) -> Staff:
    """Portal users on top of the cast: nora, niels (Nordby), sofie (Sydby, the intruder), otto (operator)."""
    return build_staff(cast)


@pytest.fixture
def tx_cast(transactional_db) -> Cast:
    """The cast in a database that other threads and processes can see (committed for real)."""
    return build_cast()


@pytest.fixture
def drain():
    """Run the delivery worker until no job is due; returns how many jobs it processed.

    Kinds the worker takes in batches (DELIVER, DELIVER_BULK) are taken in batches here too.
    """
    from digitalpost.delivery.handlers import BATCH_HANDLERS, GIVE_UP, HANDLERS
    from digitalpost.outbox.models import Job, WorkKind
    from digitalpost.outbox.worker import run_batch, run_once

    def run(kind: WorkKind = WorkKind.DELIVER) -> int:
        done = 0
        if kind in BATCH_HANDLERS:
            def counted(jobs: list[Job]) -> None:
                nonlocal done
                done += len(jobs)
                BATCH_HANDLERS[kind](jobs)

            while run_batch(kind, counted, HANDLERS, on_give_up=GIVE_UP):
                pass
            return done
        while run_once(kind, HANDLERS, on_give_up=GIVE_UP):
            done += 1
        return done

    return run


@pytest.fixture
def smtp_relay(settings):
    """A real SMTP relay on 127.0.0.1 that records every mail; the hub's relay settings point at it."""
    from aiosmtpd.controller import Controller

    from helpers.smtp_relay import RecordingRelay, free_port

    sink = RecordingRelay(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    settings.DIGITALPOST_SMTP_RELAY_HOST = "127.0.0.1"
    settings.DIGITALPOST_SMTP_RELAY_PORT = sink.port
    settings.DIGITALPOST_SMTP_REQUIRE_TLS = False
    yield sink
    controller.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 server (SeaweedFS) on 127.0.0.1, one per test process; `s3_server.new_prefix()` per test."""
    from helpers.seaweedfs import running_s3_server

    with running_s3_server(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def s3_hub(settings, s3_server):
    """The hub's blob store under a fresh prefix of the real S3 server's bucket."""
    from digitalpost.hub.blobs import blob_store

    for name, value in s3_server.settings(s3_server.new_prefix()).items():
        setattr(settings, name, value)
    blob_store.cache_clear()
    yield s3_server
    blob_store.cache_clear()


@pytest.fixture(autouse=True)
def _blob_dir(settings, tmp_path):
    """Each test stores blobs in its own folder."""
    from digitalpost.hub.blobs import blob_store
    from digitalpost.systems.selectors import forget_cached_tokens

    settings.DIGITALPOST_BLOB_DIR = tmp_path / "blobs"
    blob_store.cache_clear()
    forget_cached_tokens()
    yield
    blob_store.cache_clear()
    forget_cached_tokens()
