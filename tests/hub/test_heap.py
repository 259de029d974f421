"""Long-running processes freeze what their start-up left before their first piece of work (decisions 0029, 0033):
start-up's garbage is collected first, and nothing made later is exempt from collection."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from digitalpost.cli import main as cli_main
from digitalpost.gateway import server
from digitalpost.hub.heap import freeze_startup_heap
from digitalpost.outbox import worker


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test run collects as before


def test_start_up_objects_are_frozen_and_start_up_garbage_is_collected_first(unfrozen: None):
    kept = _Node()
    garbage = _Node()
    garbage.other = _Node()
    garbage.other.other = garbage  # a cycle only the collector frees
    gone = weakref.ref(garbage)
    del garbage

    freeze_startup_heap()

    assert gone() is None, "start-up's garbage was frozen (kept for good) instead of collected"
    assert gc.get_freeze_count() > 0
    assert not any(o is kept for o in gc.get_objects()), "a start-up object is still walked by full collections"
    made_later = _Node()
    assert any(o is made_later for o in gc.get_objects()), "objects made after start-up are collected as before"


def test_the_worker_freezes_its_start_up_objects_before_its_first_job(unfrozen: None, monkeypatch, db):
    seen: dict[str, Any] = {}
    started_before = _Node()

    def fake_run_forever(*args: Any, **kwargs: Any) -> None:
        seen["frozen"] = gc.get_freeze_count()
        seen["walked"] = any(o is started_before for o in gc.get_objects())

    class NoHeartbeat:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def __enter__(self) -> NoHeartbeat:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

    monkeypatch.setattr(worker, "run_forever", fake_run_forever)
    monkeypatch.setattr(worker, "Heartbeat", NoHeartbeat)
    result = CliRunner().invoke(cli_main.app, ["worker", "--kinds", "FORWARD"])
    assert result.exit_code == 0, result.output
    assert seen["frozen"] > 0
    assert seen["walked"] is False


def test_the_smtp_command_freezes_the_heap_before_it_serves(unfrozen: None, monkeypatch: pytest.MonkeyPatch):
    frozen_when_serving: list[int] = []

    def serve(controller: Any, what: str, *, others: Any = None) -> None:
        frozen_when_serving.append(gc.get_freeze_count())

    monkeypatch.setattr(cli_main, "_serve", serve)
    monkeypatch.setattr(server.Gateway, "controller", lambda self: object())

    result = CliRunner().invoke(cli_main.app, ["smtp", "--host", "127.0.0.1", "--port", "2525", "--processes", "1"])

    assert result.exit_code == 0, result.output
    assert len(frozen_when_serving) == 1
    assert frozen_when_serving[0] > 0


def test_a_web_process_has_its_views_loaded_and_frozen_once_the_application_is_built(tmp_path):
    # A process of its own: the application module is built once per process, as the web server imports it.
    probe = (
        "import gc, sys\n"
        "import digitalpost.config.asgi\n"
        "views = [m for m in sys.modules if m.startswith('digitalpost.api.')]\n"
        "print(gc.get_freeze_count(), len(views))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "digitalpost.config.settings", "DIGITALPOST_VAR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    frozen, api_modules = (int(n) for n in done.stdout.split())
    assert frozen > 50_000, "the web process's start-up objects are still walked by full collections"
    assert api_modules > 0, "the API's views were left for the first request to load"
