"""Fixtures for the MeMo tests."""

from __future__ import annotations

import pytest

from helpers.memo_support import Schemas


@pytest.fixture(scope="session")
def xsd() -> Schemas:
    return Schemas()
