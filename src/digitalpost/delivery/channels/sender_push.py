"""Receipt push: the hub POSTs each receipt and event of a sender system's messages to the system's endpoints.

One JSON document per event, signed over `<timestamp>.<exact body>` (HMAC-SHA256 with the endpoint's secret,
or RSA PKCS#1 v1.5 SHA-256 with the hub's key), sent through the same HTTPS client as REST push to receiver
systems (`rest_push.send_push`: trust anchors, no redirects, the push timeout). Headers and body are described,
with a receiver's check, in docs/receipt-push.md.

Order: a PUSH_EVENTS job wakes the endpoint's sender; it takes the endpoint's sending turn (one worker at a
time), sends the pending pushes in queue order and stops at the first failure, so a later event is never
pushed before an earlier one was taken. A failure sets the endpoint's back-off (RetryLater: the jobs wait and
try again) and, after the configured days, deactivates it (the doctor alerts). A crash between the 2xx and the
commit sends that push again: receivers de-duplicate by `eventId`. Not for: what is queued (messages.services.pushes).
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.db import transaction
from django.utils import timezone

from digitalpost.core.receipt_push import (
    ENDPOINT_HEADER,
    EVENT_ID_HEADER,
    RECEIPT_OF,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    hmac_signature,
    push_type,
    signature_header,
    signed_content,
)
from digitalpost.delivery.channels.rest_push import PushRequest, send_push
from digitalpost.hub.keys import hub_identity
from digitalpost.messages.models import EventPush
from digitalpost.messages.services.pushes import is_pushed, mark_pushed, pending_pushes
from digitalpost.outbox.models import Job
from digitalpost.outbox.worker import RetryLater
from digitalpost.systems.models import SenderPushEndpoint
from digitalpost.systems.services.push_endpoints import (
    end_sending_turn,
    note_push_failure,
    note_push_success,
    take_sending_turn,
)

log = logging.getLogger(__name__)

SENDING_LEASE = timedelta(minutes=5)  # longer than a push can take (the push timeout), shorter than a worker's lease
BATCH = 100


def push_body(push: EventPush) -> bytes:
    """The JSON document for one push (compact, keys sorted: the signed bytes are exactly these)."""
    event, message = push.event, push.event.message
    pushed = push_type(event.kind)
    assert pushed is not None  # only pushed kinds are queued
    receipt = RECEIPT_OF.get(pushed)
    document: dict[str, Any] = {
        "eventId": event.pk, "type": str(pushed), "kind": event.kind, "at": event.at.isoformat(),
        "messageId": str(message.pk), "messageUUID": str(message.message_uuid),
        "senderMessageId": message.sender_message_id or None, "seq": event.seq, "data": event.data,
        "receipt": str(receipt) if receipt else None, "channel": message.channel,
        "legalNotification": message.is_legal_notification,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(endpoint: SenderPushEndpoint, timestamp: int, body: bytes) -> str:
    """The X-DigitalPost-Signature value for this endpoint."""
    if endpoint.signing == SenderPushEndpoint.Signing.HMAC:
        return signature_header(alg="hmac-sha256", keyid=str(endpoint.pk),
                                signature=hmac_signature(endpoint.hmac_secret, timestamp, body))
    hub = hub_identity()
    if not isinstance(hub.key, rsa.RSAPrivateKey):
        raise RuntimeError("RSA receipt push signatures need an RSA hub key")
    signed = hub.key.sign(signed_content(timestamp, body), padding.PKCS1v15(), hashes.SHA256())
    return signature_header(alg="rsa-sha256", keyid=hub.certificate.fingerprint,
                            signature=base64.b64encode(signed).decode())


def request_for(endpoint: SenderPushEndpoint, push: EventPush) -> PushRequest:
    body = push_body(push)
    timestamp = int(time.time())
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: str(timestamp),
               EVENT_ID_HEADER: str(push.event_id), ENDPOINT_HEADER: str(endpoint.pk),
               SIGNATURE_HEADER: signature(endpoint, timestamp, body)}
    return PushRequest(url=endpoint.url, body=body, headers=headers, inquiry_id=push.event.message_id)


@dataclass(frozen=True)
class PushRun:
    sent: int
    failed: str | None = None


def _send_one(endpoint: SenderPushEndpoint, push: EventPush) -> str | None:
    """Send one push; None when the endpoint took it, else why not."""
    try:
        status = send_push(request_for(endpoint, push))
    except (OSError, ValueError) as exc:  # URLError, TLS and timeouts are OSErrors
        return str(exc)[:500] or type(exc).__name__
    return None if 200 <= status < 300 else f"HTTP {status}"


def push_pending(endpoint: SenderPushEndpoint) -> PushRun:
    """Send the endpoint's pending pushes in order until none is left or one fails (turn already taken)."""
    sent = 0
    while True:
        batch = pending_pushes(endpoint, limit=BATCH)
        if not batch:
            return PushRun(sent=sent)
        for push in batch:
            failure = _send_one(endpoint, push)
            if failure is not None:
                return PushRun(sent=sent, failed=failure)
            with transaction.atomic(durable=True):
                mark_pushed(push)
                note_push_success(endpoint, lease=SENDING_LEASE)
            sent += 1


def push_events(*, endpoint_id: str, push_id: int, job: Job | None = None) -> None:
    """The PUSH_EVENTS handler: done once push `push_id` went out; RetryLater while it cannot go yet."""
    endpoint = SenderPushEndpoint.objects.filter(pk=uuid.UUID(endpoint_id)).first()
    if endpoint is None or not endpoint.is_active or is_pushed(push_id):
        return  # deleted, deactivated (its reactivation wakes it again) or already sent by another job's run
    if endpoint.retry_after is not None and endpoint.retry_after > timezone.now():
        raise RetryLater(f"push endpoint {endpoint.pk} is failing; next attempt after {endpoint.retry_after}")
    if not take_sending_turn(endpoint, lease=SENDING_LEASE):
        raise RetryLater(f"another worker is pushing to endpoint {endpoint.pk}")
    try:
        run = push_pending(endpoint)
    finally:
        end_sending_turn(endpoint)
    if run.failed is None:
        return
    deactivated = note_push_failure(endpoint, reason=run.failed)
    if deactivated is not None:
        return  # the doctor reports it; reactivation resumes from the first push not taken
    raise RetryLater(f"{endpoint.url}: {run.failed}")
