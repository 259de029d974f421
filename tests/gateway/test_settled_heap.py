"""The gateway process freezes its start-up objects out of the collector's full passes before its first mail
(decision 0033): start-up's garbage is collected first, and nothing made later is exempt."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from digitalpost.cli import main as cli_main
from digitalpost.gateway import server
from digitalpost.gateway.server import settle_heap


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_start_up_objects_are_frozen_and_start_up_garbage_is_collected_first(unfrozen: None):
    kept = _Node()
    garbage = _Node()
    garbage.other = _Node()
    garbage.other.other = garbage  # a cycle only the collector frees
    gone = weakref.ref(garbage)
    del garbage

    settle_heap()

    assert gone() is None
    assert gc.get_freeze_count() > 0
    assert not any(o is kept for o in gc.get_objects())  # out of the collector's generations
    made_later = _Node()
    assert any(o is made_later for o in gc.get_objects())


def test_the_smtp_command_settles_the_heap_before_it_serves(unfrozen: None, monkeypatch: pytest.MonkeyPatch):
    frozen_when_serving: list[int] = []

    def serve(controller: Any, what: str, *, others: Any = None) -> None:
        frozen_when_serving.append(gc.get_freeze_count())

    monkeypatch.setattr(cli_main, "_serve", serve)
    monkeypatch.setattr(server.Gateway, "controller", lambda self: object())

    result = CliRunner().invoke(cli_main.app, ["smtp", "--host", "127.0.0.1", "--port", "2525", "--processes", "1"])

    assert result.exit_code == 0, result.output
    assert len(frozen_when_serving) == 1
    assert frozen_when_serving[0] > 0
