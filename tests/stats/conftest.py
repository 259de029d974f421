"""Fixtures of the reply-statistics tests; the story itself is in helpers/stats_world.py."""

from __future__ import annotations

import pytest

from helpers.stats_world import Clock, Story, build_story


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock.install(monkeypatch)


@pytest.fixture
def story(cast, staff, clock) -> Story:
    return build_story(cast, staff, clock)
