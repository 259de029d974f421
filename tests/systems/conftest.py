"""Fixtures of the systems tests: the certificates, trusted by the hub, and its trust anchors."""

from __future__ import annotations

import pytest
from systems_pki import SystemsPki, trusted

from digitalpost.protocols import smime


@pytest.fixture
def pki(settings) -> SystemsPki:
    return trusted(settings)


@pytest.fixture
def anchors(pki: SystemsPki) -> list[smime.Certificate]:
    return [pki.base.ca.certificate]
