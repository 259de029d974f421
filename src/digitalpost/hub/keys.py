"""The hub's own keys: its S/MIME certificate and key, the trust anchors, and the dialog-thread keyring.

Read from the files and environment the settings name; cached per process. In demo and test mode a
missing thread keyring is generated once into the var folder (never into the repository).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols import smime
from digitalpost.protocols.threads import Keyring


@dataclass(frozen=True)
class HubIdentity:
    certificate: smime.Certificate
    key: smime.PrivateKey
    trust_anchors: tuple[smime.Certificate, ...]


@cache
def hub_identity() -> HubIdentity:
    return HubIdentity(
        certificate=smime.load_certificate(settings.DIGITALPOST_HUB_CERT.read_bytes()),
        key=smime.load_private_key(settings.DIGITALPOST_HUB_KEY.read_bytes()),
        trust_anchors=trust_anchors(),
    )


def trust_anchors() -> tuple[smime.Certificate, ...]:
    """The certificate authorities the hub trusts; `hub.trust.anchors.unreadable` when the file cannot serve.

    An empty or unreadable file is never read as "trust nothing": every certificate would then be reported as
    untrusted, sending people to fix certificates that are fine.
    """
    path = settings.DIGITALPOST_TRUST_ANCHORS
    try:
        anchors = tuple(smime.load_certificates(path.read_bytes()))
    except OSError as exc:
        raise DigitalPostError(ErrorCode.HUB_TRUST_ANCHORS_UNREADABLE, f"{path}: {exc.strerror}") from exc
    except DigitalPostError as exc:
        raise DigitalPostError(ErrorCode.HUB_TRUST_ANCHORS_UNREADABLE, f"{path}: {exc.text}") from exc
    if not anchors:
        raise DigitalPostError(ErrorCode.HUB_TRUST_ANCHORS_UNREADABLE, f"{path}: no certificate in the file")
    return anchors


def _parse_keys(text: str) -> Keyring:
    pairs = [item.split(":", 1) for item in text.split(",") if item.strip()]
    keys = {kid.strip(): base64.b64decode(secret) for kid, secret in pairs}
    return Keyring(current_key_id=pairs[0][0].strip(), keys=keys)


@cache
def thread_keyring() -> Keyring:
    if settings.DIGITALPOST_THREAD_KEYS:
        return _parse_keys(settings.DIGITALPOST_THREAD_KEYS)
    if not (settings.DEMO_MODE or settings.TESTING):
        raise RuntimeError("Set DIGITALPOST_THREAD_KEYS (kid:base64secret,…) to sign dialog threads.")
    path = settings.VAR_DIR / "thread-keys"
    if not path.exists():
        path.write_text("k1:" + base64.b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
    return _parse_keys(path.read_text().strip())


def hub_key_problems() -> list[str]:
    """What stops the hub's own certificate, key or trust anchors from serving (empty when all three do)."""
    problems = []
    for what, path, load in (("certificate", settings.DIGITALPOST_HUB_CERT, smime.load_certificate),
                             ("private key", settings.DIGITALPOST_HUB_KEY, smime.load_private_key)):
        try:
            load(path.read_bytes())
        except OSError as exc:
            problems.append(f"the hub's {what} {path} cannot be read: {exc.strerror}")
        except DigitalPostError as exc:
            problems.append(f"the hub's {what} {path} is not usable: {exc.text}")
    try:
        trust_anchors()
    except DigitalPostError as exc:
        problems.append(exc.text)
    return problems
