"""Fixtures of the systems tests: the certificates, trusted by the hub, and its trust anchors."""

from __future__ import annotations

import pytest

from digitalpost.protocols import smime
from helpers.systems_pki import SystemsPki, trusted


@pytest.fixture
def pki(settings) -> SystemsPki:
    return trusted(settings)


@pytest.fixture
def anchors(pki: SystemsPki) -> list[smime.Certificate]:
    return [pki.base.ca.certificate]
