"""A throwaway PKI for the secure-mail loop, written to PEM files for the hub and the real openssl CLI."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digitalpost.protocols.smime import Certificate, Issued, PrivateKey, issue_certificate, make_dev_ca

HUB_ADDRESS = "post@digitalpost.localhost"
NORDBY_ADDRESS = "borgerservice@nordby.localhost"
OPENSSL = "/usr/bin/openssl"


def openssl(*args: str | Path, stdin: bytes | None = None) -> bytes:
    """Run the real openssl command line; its stdout, or an AssertionError with its stderr."""
    result = subprocess.run([OPENSSL, *map(str, args)], input=stdin, capture_output=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"openssl {' '.join(map(str, args))} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


@dataclass(frozen=True)
class Party:
    """An issued certificate with its PEM files on disk (key loaded once: RSA key checks are slow)."""

    issued: Issued
    cert_file: Path
    key_file: Path
    certificate: Certificate
    key: PrivateKey

    @property
    def pem(self) -> bytes:
        return self.issued.certificate_pem


@dataclass(frozen=True)
class SecureMailPki:
    folder: Path
    now: datetime
    ca: Party  # the one trust anchor (ca.pem)
    untrusted_ca: Party
    hub: Party  # post@digitalpost.localhost
    nordby_address: Party  # Nordby's secure address borgerservice@nordby.localhost
    nordby_sender: Party  # Nordby's standard sender system (secure mail)
    nordby_rest: Party  # a certificate registered for Nordby's REST (non-standard) system
    sydby_sender: Party  # Sydby's secure-mail sender system
    nordby_expired: Party  # a Nordby sender certificate that expired a year ago
    stranger: Party  # issued by the untrusted CA, registered nowhere

    def __repr__(self) -> str:
        return f"SecureMailPki({self.folder})"

    def file(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(data)
        return path


def build_pki(folder: Path) -> SecureMailPki:
    # openssl checks validity against the real clock, so the certificates are valid now.
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    long_ago = now - timedelta(days=400)

    def party(name: str, issued: Issued) -> Party:
        cert_file, key_file = folder / f"{name}.pem", folder / f"{name}-key.pem"
        cert_file.write_bytes(issued.certificate_pem)
        key_file.write_bytes(issued.key_pem)
        return Party(issued, cert_file, key_file, issued.certificate, issued.key)

    ca = make_dev_ca("Securemail Test CA", now=long_ago, days=800)
    untrusted = make_dev_ca("Untrusted CA", now=now, days=30)

    def cert(common_name: str, *emails: str, issuer: Issued = ca, since: datetime = now, days: int = 30) -> Issued:
        return issue_certificate(issuer, common_name=common_name, emails=list(emails), now=since, days=days)

    return SecureMailPki(
        folder=folder,
        now=now,
        ca=party("ca", ca),
        untrusted_ca=party("untrusted-ca", untrusted),
        hub=party("hub", cert("Digital Post hub", HUB_ADDRESS)),
        nordby_address=party("nordby-address", cert("Nordby Borgerservice", NORDBY_ADDRESS)),
        nordby_sender=party("nordby-sender", cert("Nordby standard sender", "post@nordby.localhost")),
        nordby_rest=party("nordby-rest", cert("Nordby fjernprint", "fjernprint@nordby.localhost")),
        sydby_sender=party("sydby-sender", cert("Sydby sender", "post@sydby.localhost")),
        nordby_expired=party("nordby-expired", cert("Nordby old sender", "post@nordby.localhost", since=long_ago,
                                                    days=30)),
        stranger=party("stranger", cert("Stranger", "post@nordby.localhost", issuer=untrusted)),
    )
