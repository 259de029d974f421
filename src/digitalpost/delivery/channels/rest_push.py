"""REST push: the hub POSTs an inquiry's MeMo to the receiver system's HTTPS endpoint.

The body is the MeMo as pulled (`pulled_memo`: ReplyData carries the dialog-thread token). The server
certificate must chain to the hub's trust anchors (DIGITALPOST_TRUST_ANCHORS). Headers:

- `X-DigitalPost-Message-Id`: the message id (the same on every retry, so the receiver can de-duplicate);
- `X-DigitalPost-Thread`: the dialog-thread token;
- `X-DigitalPost-Signature: v1 keyid=<sha256 of the hub certificate> sig=<base64 RSA-PKCS1v15-SHA256 over the
  exact body>`, checkable with the hub certificate's public key.

2xx marks the message DELIVERED (channel "rest-push"); any other answer or a connection/TLS error notes the
receiver failure and raises ForwardPostponed (retried with back-off, nothing lost). A crash between the 2xx
and the commit pushes again on retry with the same message id.
"""

from __future__ import annotations

import base64
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings

from digitalpost.conversations.tokens import thread_token
from digitalpost.delivery.channels.receivers import ForwardPostponed, mark_forwarded, note_receiver_failure
from digitalpost.delivery.channels.rest_pull import pulled_memo
from digitalpost.hub.keys import hub_identity
from digitalpost.messages.models import Message
from digitalpost.outbox.models import Job
from digitalpost.systems.models import ReceiverSystem

PUSH_CHANNEL = "rest-push"
SIGNATURE_HEADER = "X-DigitalPost-Signature"


@dataclass(frozen=True)
class PushRequest:
    url: str
    body: bytes
    headers: dict[str, str]


def sign_body(body: bytes) -> str:
    """The X-DigitalPost-Signature value for `body`, made with the hub's key."""
    hub = hub_identity()
    if not isinstance(hub.key, rsa.RSAPrivateKey):
        raise RuntimeError("REST push signatures need an RSA hub key")
    signature = hub.key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return f"v1 keyid={hub.certificate.fingerprint} sig={base64.b64encode(signature).decode()}"


def prepare_push(message: Message, receiver: ReceiverSystem) -> PushRequest:
    thread = message.thread
    assert thread is not None
    body = pulled_memo(message)
    headers = {
        "Content-Type": "application/xml",
        "X-DigitalPost-Message-Id": str(message.pk),
        "X-DigitalPost-Thread": thread_token(thread),
        SIGNATURE_HEADER: sign_body(body),
    }
    return PushRequest(url=receiver.endpoint_url, body=body, headers=headers)


def tls_context() -> ssl.SSLContext:
    """Server certificates must chain to the hub's trust anchors (not the system store); host names checked."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(settings.DIGITALPOST_TRUST_ANCHORS))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def send_push(request: PushRequest) -> int:
    """POST the request; the HTTP status (non-2xx included), or OSError/ValueError for no answer at all."""
    if not request.url.lower().startswith("https://"):
        raise ValueError(f"not an https endpoint: {request.url!r}")
    # The scheme is checked just above: only https.
    http_request = urllib.request.Request(  # noqa: S310
        request.url, data=request.body, headers=request.headers, method="POST"
    )
    # No redirects: a 3xx is simply not a delivery.
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=tls_context()), _NoRedirect())
    try:
        with opener.open(http_request, timeout=settings.DIGITALPOST_PUSH_TIMEOUT_SECONDS) as response:
            response.read(64 * 1024)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def push_inquiry(message: Message, receiver: ReceiverSystem, *, job: Job | None = None) -> bool:
    """Push `message` to `receiver`; True when it was marked delivered now, False when it was already."""
    request = prepare_push(message, receiver)
    try:
        status = send_push(request)
    except (OSError, ValueError) as exc:  # URLError, TLS and timeouts are OSErrors
        note_receiver_failure(receiver=receiver, reason=str(exc), message=message)
        raise ForwardPostponed(f"{receiver.endpoint_url}: {exc}") from exc
    if not 200 <= status < 300:
        note_receiver_failure(receiver=receiver, reason=f"HTTP {status}", message=message)
        raise ForwardPostponed(f"{receiver.endpoint_url}: HTTP {status}")
    return mark_forwarded(message_id=message.pk, receiver=receiver, answer=f"HTTP {status}", job=job,
                           channel=PUSH_CHANNEL)
