"""Receipts pushed to sender systems: which timeline events are pushed under which name, and what is signed.

A sender system registers HTTPS endpoints; the hub POSTs one JSON document per event of the system's messages
(docs/receipt-push.md). This module names the pushed types, maps the hub's event kinds to them and says which
bytes the signature covers, so the mapping and the signed content can be read and tested without a database.
Not for: sending (delivery.channels.sender_push) or storing endpoints (systems).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from enum import StrEnum

from digitalpost.core.lifecycle import EventKind, ReceiptStatus

TIMESTAMP_HEADER = "X-DigitalPost-Timestamp"
SIGNATURE_HEADER = "X-DigitalPost-Signature"
EVENT_ID_HEADER = "X-DigitalPost-Event-Id"
ENDPOINT_HEADER = "X-DigitalPost-Endpoint"


class PushType(StrEnum):
    """What happened to a message, as a sender system subscribes to it."""

    RECEIVED = "received"
    DELIVERED = "delivered"
    LEGALLY_NOTIFIED = "legally_notified"
    READ = "read"
    PRINTED = "printed"
    RETURNED = "returned"
    REFUSED = "refused"
    FAILED = "failed"


class Signing(StrEnum):
    RSA = "RSA"  # the hub's key (PKCS#1 v1.5, SHA-256); checked with the hub certificate
    HMAC = "HMAC"  # HMAC-SHA256 with the endpoint's own secret, shown once when it is made


# The hub's event kinds that are pushed; every other kind (notices, rendering, casework) stays on the timeline.
# A legal notification is delivered like any letter (DELIVERED); its first opening by the recipient is its own
# event, MESSAGE_LEGALLY_NOTIFIED, pushed as LEGALLY_NOTIFIED with the moment it happened.
PUSHED_KINDS: Mapping[EventKind, PushType] = {
    EventKind.MESSAGE_RECEIVED: PushType.RECEIVED,
    EventKind.MESSAGE_DELIVERED: PushType.DELIVERED,
    EventKind.MESSAGE_LEGALLY_NOTIFIED: PushType.LEGALLY_NOTIFIED,
    EventKind.MESSAGE_READ: PushType.READ,
    EventKind.PHYSICAL_LETTER_SENT: PushType.PRINTED,
    EventKind.PHYSICAL_LETTER_RETURNED: PushType.RETURNED,
    EventKind.PRINT_REFUSED: PushType.REFUSED,
    EventKind.DELIVERY_FAILED: PushType.FAILED,
}

# The receipt the sender could also pull (GET /apis/v1/receipts) for the same moment, named in the push.
RECEIPT_OF: Mapping[PushType, ReceiptStatus] = {
    PushType.RECEIVED: ReceiptStatus.RECEIVED,
    PushType.DELIVERED: ReceiptStatus.COMPLETED,
}


def push_type(kind: str) -> PushType | None:
    """The pushed type of an event of `kind`, or None when that kind is not pushed."""
    try:
        return PUSHED_KINDS.get(EventKind(kind))
    except ValueError:
        return None


def parse_types(names: list[str]) -> list[PushType]:
    """The subscribed types in catalogue order; an empty list means all. ValueError names an unknown one."""
    wanted = set()
    for name in names:
        try:
            wanted.add(PushType(name.strip().lower()))
        except ValueError:
            raise ValueError(name) from None
    return [t for t in PushType if t in wanted]


def signed_content(timestamp: int, body: bytes) -> bytes:
    """What the signature covers: the timestamp header's decimal digits, a dot, then the exact body bytes."""
    return str(timestamp).encode("ascii") + b"." + body


def hmac_signature(secret: str, timestamp: int, body: bytes) -> str:
    """Base64 of HMAC-SHA256 over `signed_content`, keyed with the secret's UTF-8 bytes."""
    digest = hmac.new(secret.encode(), signed_content(timestamp, body), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_header(*, alg: str, keyid: str, signature: str) -> str:
    """`v1 alg=<hmac-sha256|rsa-sha256> keyid=<…> sig=<base64>`."""
    return f"v1 alg={alg} keyid={keyid} sig={signature}"
