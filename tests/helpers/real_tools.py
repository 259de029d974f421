"""The real S/MIME tools other parties use, driven in throwaway homes: NSS `cmsutil` (Thunderbird's engine) and
GnuPG `gpgsm` (KMail's), plus helpers to wrap their raw CMS output as mail and to make an EC party.

Each tool gets its own database under the test's temporary folder: an NSS db with the parties' keys, other
parties' certificates (recipients) and the CA trusted, a GNUPGHOME with the same imported, the CA in
trustlist.txt and CRL checks off. Nothing here fakes a tool; a tool that fails raises with its stderr. Used by
the S/MIME interop tests (any PKI with `folder`, `now`, `ca` and `file`) and the gateway's real-client replies.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from digitalpost.protocols.smime import Issued, load_certificate, load_private_key
from digitalpost.protocols.smime.mime import CRLF, base64_lines, new_boundary
from helpers.secure_mail_pki import Party, openssl


class Pki(Protocol):
    """What the tools need of a test PKI: its folder, clock, CA, and a way to write a file there."""

    @property
    def folder(self) -> Path: ...

    @property
    def now(self) -> datetime: ...

    @property
    def ca(self) -> Party: ...

    def file(self, name: str, data: bytes) -> Path: ...

OUTER = b"From: Nordby Kommune <post@nordby.example>\r\nTo: hub@digitalpost.example\r\nSubject: Svar\r\n"
PASSWORD = "pw"


def run(*args: str | Path, stdin: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
    result = subprocess.run([str(a) for a in args], input=stdin, capture_output=True, timeout=60,
                            env={**os.environ, **(env or {})}, check=False)
    if result.returncode != 0:
        raise AssertionError(f"{args[0]} failed ({result.returncode}): {result.stderr.decode(errors='replace')}")
    return result.stdout


def pkcs7_entity(der: bytes, smime_type: str = "enveloped-data") -> bytes:
    """A raw CMS object as the MIME entity a client writes around it (no message header fields)."""
    return (f'Content-Type: application/pkcs7-mime; smime-type={smime_type}; name="smime.p7m"'.encode()
            + b"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"smime.p7m\""
            + b"\r\n\r\n" + base64_lines(der))


def signed_entity(entity: bytes, signature: bytes, micalg: str = "sha-256") -> bytes:
    """`entity` and its detached signature as the multipart/signed entity a client writes."""
    boundary = new_boundary(entity).encode()
    return (b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=' + micalg.encode()
            + b'; boundary="' + boundary + b'"\r\n\r\n--' + boundary + CRLF + entity + CRLF + b"--" + boundary
            + CRLF + b'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\nContent-Transfer-Encoding: '
            + b"base64\r\n\r\n" + base64_lines(signature) + b"--" + boundary + b"--\r\n")


def enveloped_mail(der: bytes, smime_type: str = "enveloped-data") -> bytes:
    """A raw CMS object as the S/MIME mail a client would send."""
    return OUTER + b"MIME-Version: 1.0\r\n" + pkcs7_entity(der, smime_type)


def detached_mail(entity: bytes, signature: bytes) -> bytes:
    return OUTER + b"MIME-Version: 1.0\r\n" + signed_entity(entity, signature)


def cms_body(mail: bytes) -> bytes:
    """The raw CMS of a mail our `encrypt` or opaque `sign` made (for tools that read CMS, not MIME)."""
    import base64

    return base64.b64decode(b"".join(mail.split(b"\r\n\r\n", 1)[1].split()))


def p12_file(party: Party, folder: Path) -> Path:
    """The party as PKCS#12 in the form gpgsm 2.2 and NSS both import (3DES key bag, SHA-1 MAC)."""
    path = folder / f"{party.cert_file.stem}.p12"
    if not path.exists():
        openssl("pkcs12", "-export", "-in", party.cert_file, "-inkey", party.key_file, "-out", path,
                "-passout", f"pass:{PASSWORD}", "-certpbe", "NONE", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1",
                "-name", party.cert_file.stem)
    return path


def ec_party(pki: Pki, name: str, curve: ec.EllipticCurve) -> Party:
    """An EC key-agreement party issued by the dev CA (our devca makes RSA only)."""
    ca_cert, ca_key = pki.ca.certificate.x509, pki.ca.key
    key = ec.generate_private_key(curve)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(pki.now)
        .not_valid_after(pki.now + timedelta(days=30))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(f"{name}@digitalpost.example")]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    cert_file, key_file = pki.file(f"{name}.pem", cert_pem), pki.file(f"{name}.key", key_pem)
    issued = Issued(certificate_pem=cert_pem, key_pem=key_pem)
    return Party(issued, cert_file, key_file, load_certificate(cert_pem), load_private_key(key_pem))


@dataclass(frozen=True)
class Nss:
    """An NSS database holding parties' keys, with the dev CA trusted for S/MIME; `cmsutil` works on it."""

    db: Path

    @classmethod
    def create(cls, folder: Path, pki: Pki, parties: Sequence[Party], recipients: Sequence[Party] = ()) -> Nss:
        """`parties` with their keys; `recipients` by certificate only (whom the user writes to)."""
        folder.mkdir()
        db = f"sql:{folder}"
        run("certutil", "-N", "-d", db, "--empty-password")
        for party in parties:
            run("pk12util", "-i", p12_file(party, pki.folder), "-d", db, "-W", PASSWORD)
        run("certutil", "-A", "-d", db, "-n", "ca", "-t", "C,C,C", "-i", pki.ca.cert_file)
        for recipient in recipients:
            run("certutil", "-A", "-d", db, "-n", recipient.cert_file.stem, "-t", ",,", "-i", recipient.cert_file)
        return cls(folder)

    def cmsutil(self, *args: str | Path, stdin: bytes) -> bytes:
        return run("cmsutil", *args, "-d", f"sql:{self.db}", stdin=stdin)


@dataclass(frozen=True)
class Gpgsm:
    """A throwaway GNUPGHOME with parties' keys imported and the dev CA in trustlist.txt."""

    home: Path

    @classmethod
    def create(cls, folder: Path, pki: Pki, parties: Sequence[Party], recipients: Sequence[Party] = ()) -> Gpgsm:
        """`parties` with their keys; `recipients` by certificate only (whom the user writes to)."""
        folder.mkdir(mode=0o700)
        (folder / "gpg-agent.conf").write_text("allow-loopback-pinentry\n")
        (folder / "gpgsm.conf").write_text("disable-crl-checks\ndisable-policy-checks\n")
        home = cls(folder)
        home.gpgsm("--import", pki.ca.cert_file)
        for party in parties:
            try:
                home.gpgsm("--import", p12_file(party, pki.folder))
            except AssertionError:
                # Seen once in CI: gpgsm could not decrypt the key bag of a PKCS#12 file openssl wrote ("data error
                # at shrouded_key_bag.decrypted-text", every charset tried), and the same test passed with a file made
                # again. The import is the test's set-up, not its subject: one more try with a fresh file (new salt).
                p12_file(party, pki.folder).unlink()
                home.gpgsm("--import", p12_file(party, pki.folder))
        for recipient in recipients:
            home.gpgsm("--import", recipient.cert_file)
        fingerprint = pki.ca.certificate.x509.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - gpgsm names it so
        (folder / "trustlist.txt").write_text(f"{fingerprint} S\n")
        return home

    def gpgsm(self, *args: str | Path, stdin: bytes | None = None) -> bytes:
        # The passphrase comes on stdin (loopback pinentry), so data goes through files.
        return run("gpgsm", "--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0", *args,
                   stdin=stdin if stdin is not None else PASSWORD.encode() + b"\n", env={"GNUPGHOME": str(self.home)})

    def stop(self) -> None:
        run("gpgconf", "--kill", "gpg-agent", env={"GNUPGHOME": str(self.home)})
