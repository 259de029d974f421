"""A real OpenID provider for the sign-in tests: npm's `oidc-provider` (panva's, OpenID-certified) on node.

tests/helpers/oidc_provider/provider.js sets it up like NemLog-in (claims by the attribute profile's names) with
the test people; scripts/setup-node-tools.sh installs it (`make test` runs it through setup-system.sh). The
fixture starts one provider per test process on 127.0.0.1 at a free port, registered for the live server's
callback, and points the hub's settings at it for the test.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID = "digitalpost-test"
CLIENT_SECRET = "test-client-secret-not-secret"
# The employees' professional identities, as provider.js issues them.
DORTE_ADMIN_ID = "urn:uuid:7f6a1c1e-0000-4000-8000-00000000d001"
DORTE_WITH_RIGHT_ID = "urn:uuid:7f6a1c1e-0000-4000-8000-00000000d002"
DORTE_WITHOUT_RIGHT_ID = "urn:uuid:7f6a1c1e-0000-4000-8000-00000000d003"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningProvider:
    issuer: str
    process: subprocess.Popen[str]

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def tamper_next_token(self, mode: str) -> None:
        """The next ID token is changed: "signature", "audience", "expired" or "nonce" (see provider.js)."""
        request = urllib.request.Request(f"{self.issuer}/test/tamper?mode={mode}", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["tamper"] == mode


def start_provider(redirect_uri: str, post_logout_uri: str) -> RunningProvider:
    node = shutil.which("node")
    if node is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("The test OpenID provider is not installed: run bash scripts/setup-system.sh")
    port = _free_port()
    process = subprocess.Popen(
        [node, str(PROVIDER_DIR / "provider.js"), str(port), CLIENT_ID, CLIENT_SECRET, redirect_uri, post_logout_uri],
        cwd=PROVIDER_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:  # provider.js prints "ready <issuer>" once it listens
        if line.startswith("ready "):
            return RunningProvider(line.split()[1], process)
    process.wait(timeout=10)
    raise RuntimeError(f"The test OpenID provider did not start (exit {process.returncode})")


@pytest.fixture(scope="session")
def oidc_provider_process(live_server) -> Iterator[RunningProvider]:
    provider = start_provider(f"{live_server.url}/login/mitid/callback/,{live_server.url}/portal/login/sso/callback/",
                              f"{live_server.url}/signed-out/")
    yield provider
    provider.process.terminate()
    provider.process.wait(timeout=10)


@pytest.fixture
def oidc_provider(oidc_provider_process: RunningProvider, settings) -> RunningProvider:
    """The hub signs the mailbox in through the test provider (outside demo mode) for this test."""
    settings.DEMO_MODE = False
    settings.DIGITALPOST_OIDC_DISCOVERY_URL = oidc_provider_process.discovery_url
    settings.DIGITALPOST_OIDC_CLIENT_ID = CLIENT_ID
    settings.DIGITALPOST_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.DIGITALPOST_OIDC_SCOPES = "openid nemlogin"
    return oidc_provider_process
