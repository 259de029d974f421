"""REST push endpoints on 127.0.0.1 (trusted and untrusted certificates), shared by the push tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.push_server import PushServer, run_server, server_certificate
from helpers.secure_mail_pki import SecureMailPki


@pytest.fixture(scope="session")
def server_certs(securemail_pki: SecureMailPki) -> dict[str, tuple[Path, Path]]:
    folder = securemail_pki.folder
    return {"trusted": server_certificate(folder, "push-server", securemail_pki.ca),
            "untrusted": server_certificate(folder, "push-server-untrusted", securemail_pki.untrusted_ca)}


@pytest.fixture
def push_server(server_certs) -> Iterator[PushServer]:
    yield from run_server(*server_certs["trusted"])


@pytest.fixture
def untrusted_push_server(server_certs) -> Iterator[PushServer]:
    yield from run_server(*server_certs["untrusted"])
