"""Fixtures of the doctor tests; the helpers themselves are in doctor_world.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from doctor_world import HealthyOrg, build_healthy


@pytest.fixture
def healthy(cast, settings) -> HealthyOrg:
    """Nordby set up right in every way the doctor checks (see doctor_world.py)."""
    return build_healthy(cast, settings)
