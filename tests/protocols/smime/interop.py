"""The real-client S/MIME corpus in ../shared/smime-interop/ (read in place, never copied) and how to read it.

Each reference's verdict comes from the corpus README. A missing folder fails the tests (no skipping): these
messages are the proof that we read what Thunderbird, KMail, Apple Mail and Thunderbird 24 wrote.
"""

from __future__ import annotations

import email
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from functools import cache
from pathlib import Path

from digitalpost.protocols.smime import (
    Certificate,
    PrivateKey,
    Unwrapped,
    load_certificate,
    load_pkcs12,
    load_private_key,
)

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "smime-interop"
NSS, KMAIL, MIMEKIT = CORPUS / "nss-thunderbird", CORPUS / "kmail-applemail", CORPUS / "mimekit"
# Our clock of receipt for verify(): after every signing time in the corpus. Trust is judged separately, at
# the validation time the README gives for each folder.
RECEIVED = datetime(2026, 2, 1, tzinfo=UTC)
KMAIL_CLOCK = datetime(2013, 1, 10, 15, 48, 12, tzinfo=UTC)  # gpgsm.conf faked-system-time
NSS_SIGNED_FROM = datetime(2026, 1, 26, 14, 40, 7, tzinfo=UTC)
NSS_SIGNED_UNTIL = datetime(2026, 1, 26, 14, 40, 15, tzinfo=UTC)
NSS_TEXT = "This is a test message from Alice to Bob."
NSS_FAKE_TEXT = "This is a FAKE message NOT from Alice to Bob."
SHA1_FINGERPRINTS = {
    "alice@example.com": "1353db413ccf13177f3ec7ae2b1e27d0973b02f1",
    "bob@example.com": "36dafb38504da50b6b4089183e48a2ce96d7bfca",
    "dave@example.com": "4f093386e4e9962653e8c383364ac6655d4af1df",
    "test@example.com": "24d2fca22eb3b80a1e3771d14cc658e3212b49dc",
    "fejj@gnome.org": "354ea4dcf98166639b58ec5df06a65de0cd8a95c",
}


def read(path: Path) -> bytes:
    assert CORPUS.is_dir(), f"the S/MIME interop corpus is missing at {CORPUS}"
    return path.read_bytes()


@dataclass(frozen=True)
class Keys:
    certificate: Certificate
    key: PrivateKey
    anchors: tuple[Certificate, ...]
    known: tuple[Certificate, ...] = ()


@cache
def bob() -> Keys:
    key, certificate, _chain = load_pkcs12(read(NSS / "Bob.p12"), "nss", name="Bob.p12")
    return Keys(certificate, key, anchors=(load_certificate(read(NSS / "TestCA.pem")),))


@cache
def kmail() -> Keys:
    # gpgsm's trustlist trusts the self-signed unittest certificate itself; the signatures carry no certificates.
    certificate = load_certificate(read(KMAIL / "unittest-cert.pem"))
    key = load_private_key(read(KMAIL / "unittest-key.pem"))
    return Keys(certificate, key, anchors=(certificate,), known=(certificate,))


def sha1_fingerprint(certificate: Certificate) -> str:
    return hashlib.sha1(certificate.der).hexdigest()  # noqa: S324 - a fingerprint the references print, not security


def signer_address(certificate: Certificate) -> str:
    return certificate.emails[0].casefold()


def parsed(message: bytes) -> EmailMessage:
    result = email.message_from_bytes(message, policy=policy.default)
    assert isinstance(result, EmailMessage)
    return result


def shown_text(unwrapped: Unwrapped | bytes, kind: str = "plain") -> str:
    """The body text a mail client shows (text/plain, or text/html for kind="html")."""
    message = parsed(unwrapped.message if isinstance(unwrapped, Unwrapped) else unwrapped)
    body = message.get_body(preferencelist=(kind,))
    assert body is not None, f"no text/{kind} part"
    assert body.get_content_type() == f"text/{kind}"
    return str(body.get_content())


def attachment_names(unwrapped: Unwrapped | bytes) -> list[str]:
    """Names of the files a client shows (attached or inline), not counting the signature itself."""
    message = parsed(unwrapped.message if isinstance(unwrapped, Unwrapped) else unwrapped)
    return [str(part.get_filename()) for part in message.walk()
            if part.get_filename() and "pkcs7-signature" not in part.get_content_type()]


def layer_summary(unwrapped: Unwrapped) -> list[str]:
    """Outermost first: "dec:<cipher>" or "sig:<signer address>/<digest>"."""
    out: list[str] = []
    for layer in unwrapped.layers:
        if layer.decrypted is not None:
            out.append(f"dec:{layer.decrypted.content_cipher}")
        else:
            assert layer.verified is not None
            out.append(f"sig:{signer_address(layer.verified.signer)}/{layer.verified.digest_algorithm}")
    return out
