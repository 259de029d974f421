"""`digitalpost dev-ca`: a local test CA and every certificate the demo needs, written to the PKI folder.

For demos and development only: keys are unencrypted files (mode 0600) under var/, never in the repository.
Running it again keeps existing files, so certificates registered in the database stay valid.
"""

from __future__ import annotations

import fcntl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digitalpost.protocols.smime import Issued, Purpose, issue_certificate, make_dev_ca

DEMO_AUTHORITY_DOMAIN = "nordby.localhost"
SECURE_ADDRESS = f"borgerservice@{DEMO_AUTHORITY_DOMAIN}"
STANDARD_SENDER_ADDRESS = f"post@{DEMO_AUTHORITY_DOMAIN}"


@dataclass(frozen=True)
class DemoPki:
    folder: Path

    def path(self, name: str) -> Path:
        return self.folder / name

    @property
    def ca(self) -> Path:
        return self.path("ca.pem")


def _write(folder: Path, name: str, issued: Issued) -> None:
    (folder / f"{name}.pem").write_bytes(issued.certificate_pem)
    key = folder / f"{name}-key.pem"
    key.write_bytes(issued.key_pem)
    key.chmod(0o600)


def _load(folder: Path, name: str) -> Issued:
    return Issued(certificate_pem=(folder / f"{name}.pem").read_bytes(),
                  key_pem=(folder / f"{name}-key.pem").read_bytes())


def ensure_dev_pki(folder: Path, *, hub_address: str, days: int = 730) -> DemoPki:
    """Create (once) the CA, the hub's certificate and the demo authority's certificates.

    Under an exclusive lock on the folder: two processes starting at once (a demo load beside the web hub, test
    workers) would otherwise each make a CA and leave certificates of both in one folder."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_dev_pki(folder, hub_address=hub_address, days=days)


def _ensure_dev_pki(folder: Path, *, hub_address: str, days: int) -> DemoPki:
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    if (folder / "ca.pem").exists():
        ca = _load(folder, "ca")
    else:
        ca = make_dev_ca("digitalpost dev CA", now=now, days=days)
        _write(folder, "ca", ca)
    wanted = {
        "hub": ("digitalpost hub", [hub_address], (Purpose.EMAIL,)),
        "nordby-secure-address": ("Nordby Kommune Borgerservice", [SECURE_ADDRESS], (Purpose.EMAIL,)),
        "nordby-standard-sender": ("Nordby Kommune standard afsendersystem", [STANDARD_SENDER_ADDRESS],
                                   (Purpose.EMAIL,)),
        "nordby-rest-client": ("Nordby Kommune fjernprint", [], (Purpose.CLIENT_AUTH,)),
    }
    for name, (common_name, emails, purposes) in wanted.items():
        if not (folder / f"{name}.pem").exists():
            _write(folder, name, issue_certificate(ca, common_name=common_name, emails=emails, purposes=purposes,
                                                   now=now, days=days))
    return DemoPki(folder)
