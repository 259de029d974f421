"""Fixtures for the S/MIME tests: one dev PKI per session, written to PEM files for openssl."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from smime_support import Party, Pki

from digitalpost.protocols.smime import Issued, Purpose, issue_certificate, make_dev_ca
from helpers.real_tools import Gpgsm, Nss, ec_party


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    # openssl checks validity against the real clock, so the certificates are valid now.
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

    def party(name: str, issued: Issued) -> Party:
        cert_file, key_file = folder / f"{name}.pem", folder / f"{name}.key"
        cert_file.write_bytes(issued.certificate_pem)
        key_file.write_bytes(issued.key_pem)
        return Party(issued, cert_file, key_file, issued.certificate, issued.key)

    ca = make_dev_ca("Digital Post Dev CA", now=now, days=30)
    other_ca = make_dev_ca("Some Other CA", now=now, days=30)
    return Pki(
        folder=folder,
        now=now,
        ca=party("ca", ca),
        other_ca=party("other_ca", other_ca),
        hub=party("hub", issue_certificate(ca, common_name="Digital Post hub", emails=["hub@digitalpost.example"],
                                           now=now, days=30)),
        sender=party("sender", issue_certificate(ca, common_name="Nordby sender", emails=["post@nordby.example"],
                                                 now=now, days=30, serial=4242)),
        twin=party("twin", issue_certificate(other_ca, common_name="Twin", emails=["post@nordby.example"],
                                             now=now, days=30, serial=4242)),
        client=party("client", issue_certificate(ca, common_name="Nordby REST", purposes=[Purpose.CLIENT_AUTH],
                                                 now=now, days=30)),
    )


@pytest.fixture(scope="session")
def p256(pki: Pki) -> Party:
    """An ECDH (key agreement) recipient on P-256."""
    return ec_party(pki, "hub-p256", ec.SECP256R1())


@pytest.fixture(scope="session")
def p384(pki: Pki) -> Party:
    return ec_party(pki, "hub-p384", ec.SECP384R1())


@pytest.fixture(scope="session")
def nss(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Nss:
    """An NSS database (Thunderbird's engine) holding the sender's and the hub's keys, the dev CA trusted."""
    return Nss.create(tmp_path_factory.mktemp("nss") / "db", pki, [pki.sender, pki.hub])


@pytest.fixture(scope="session")
def gpgsm(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gpgsm]:
    """A GnuPG home (KMail's engine) with the same keys; its gpg-agent is stopped at the end."""
    home = Gpgsm.create(tmp_path_factory.mktemp("gpg") / "home", pki, [pki.sender, pki.hub])
    yield home
    home.stop()
