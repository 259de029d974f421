"""Fixtures of the doctor tests; the helpers themselves are in helpers/doctor_world.py."""

from __future__ import annotations

import pytest

from helpers.doctor_world import HealthyOrg, build_healthy


@pytest.fixture
def healthy(cast, settings) -> HealthyOrg:
    """Nordby set up right in every way the doctor checks (see helpers/doctor_world.py)."""
    return build_healthy(cast, settings)
