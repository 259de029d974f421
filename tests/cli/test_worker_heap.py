"""`digitalpost worker` freezes what start-up left before its first job, so no full collection walks it again."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from typer.testing import CliRunner

from digitalpost.cli.common import freeze_startup_heap
from digitalpost.cli.main import app
from digitalpost.outbox import worker


class _Node:
    """A container the collector tracks (an instance with a __dict__)."""


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test run collects as before


def test_freeze_startup_heap_hides_what_is_alive_and_collects_garbage_first(unfrozen):
    alive = _Node()
    lost = _Node()
    lost.me = lost  # type: ignore[attr-defined]  # a cycle: garbage only a collection frees
    gone = weakref.ref(lost)
    del lost
    freeze_startup_heap()
    assert gc.get_freeze_count() > 0
    assert not any(o is alive for o in gc.get_objects()), "a start-up object is still walked by full collections"
    assert gone() is None, "start-up's garbage was frozen (kept for good) instead of collected"
    after = _Node()
    assert any(o is after for o in gc.get_objects()), "objects made after start-up are collected as before"


def test_the_worker_freezes_its_start_up_objects_before_its_first_job(unfrozen, monkeypatch, db):
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
    result = CliRunner().invoke(app, ["worker", "--kinds", "FORWARD"])
    assert result.exit_code == 0, result.output
    assert seen["frozen"] > 0
    assert seen["walked"] is False
