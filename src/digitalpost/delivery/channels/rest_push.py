"""REST push: the hub POSTs an inquiry's MeMo to the receiver system's HTTPS endpoint.

The body is the MeMo as pulled (`pulled_memo`: ReplyData carries the dialog-thread token). The server
certificate must chain to the hub's trust anchors (DIGITALPOST_TRUST_ANCHORS). Headers:

- `X-DigitalPost-Message-Id`: the message id (the same on every retry, so the receiver can de-duplicate);
- `X-DigitalPost-Thread`: the dialog-thread token;
- `X-DigitalPost-Signature: v1 keyid=<sha256 of the hub certificate> sig=<base64 RSA-PKCS1v15-SHA256 over the
  exact body>`, checkable with the hub certificate's public key.

2xx marks the message DELIVERED (channel "rest-push"); any other answer or a connection/TLS error notes the
receiver failure and raises ForwardPostponed (retried with back-off, nothing lost). A crash between the 2xx
and the commit pushes again on retry with the same message id. The doctor's probe is pushed by the same channel:
the MeMo as built, with `X-DigitalPost-Probe` instead of a thread, never recorded. Not for: choosing the channel.
"""

from __future__ import annotations

import base64
import http.client
import logging
import ssl
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings

from digitalpost.delivery.channels.base import PROBE_HEADER, ForwardPostponed, Sent
from digitalpost.delivery.channels.receivers import OutgoingInquiry, ReceiverChannel
from digitalpost.delivery.channels.rest_pull import memo_with_thread
from digitalpost.hub import egress
from digitalpost.hub.keys import hub_identity
from digitalpost.outbox.models import Job
from digitalpost.protocols import memo

PUSH_CHANNEL = "rest-push"
SIGNATURE_HEADER = "X-DigitalPost-Signature"
# What the organisation's administrator sees (receiver health, doctor, probe) when the endpoint did not answer:
# the same words for a refused address, a closed port, a time-out and a TLS failure, so the hub cannot be used
# to map ports. The detail goes to the hub's log (and the outbox job) for the platform operator.
NO_ANSWER = ("no answer over verified HTTPS (address not allowed, connection, TLS certificate or time-out); "
             "the platform operator's log has the detail")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushRequest:
    url: str
    body: bytes
    headers: dict[str, str]
    inquiry_id: uuid.UUID
    probe: bool = False


def sign_body(body: bytes) -> str:
    """The X-DigitalPost-Signature value for `body`, made with the hub's key."""
    hub = hub_identity()
    if not isinstance(hub.key, rsa.RSAPrivateKey):
        raise RuntimeError("REST push signatures need an RSA hub key")
    signature = hub.key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return f"v1 keyid={hub.certificate.fingerprint} sig={base64.b64encode(signature).decode()}"


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
    # No redirects: a 3xx is simply not a delivery. No proxy from the environment: the connection goes to the
    # address egress checked.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _CheckedHTTPSHandler(context=tls_context()),
                                         _NoRedirect())
    try:
        with opener.open(http_request, timeout=settings.DIGITALPOST_PUSH_TIMEOUT_SECONDS) as response:
            response.read(64 * 1024)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    """Connects only to a public (or operator-allowed) address of the host, the one it checked; TLS and the
    certificate's host name are still checked against the host name in the URL."""

    def connect(self) -> None:
        sock = egress.connect(self.host, self.port or 443, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)  # type: ignore[attr-defined]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class RestPushChannel(ReceiverChannel[PushRequest]):
    name = PUSH_CHANNEL

    def prepare(self, inquiry: OutgoingInquiry, /) -> PushRequest:
        """The signed request; a probe carries its marker instead of a dialog thread."""
        if inquiry.probe:
            body = memo.build(inquiry.letter)
            marks = {PROBE_HEADER: str(inquiry.message_id)}
        else:
            body = memo_with_thread(inquiry.letter, message_uuid=inquiry.message_uuid, token=inquiry.thread_token)
            marks = {"X-DigitalPost-Thread": inquiry.thread_token}
        headers = {"Content-Type": "application/xml", "X-DigitalPost-Message-Id": str(inquiry.message_id), **marks,
                   SIGNATURE_HEADER: sign_body(body)}
        return PushRequest(url=self.receiver.endpoint_url, body=body, headers=headers, inquiry_id=inquiry.message_id,
                           probe=inquiry.probe)

    def send(self, outgoing: PushRequest, /, *, job: Job | None = None) -> Sent:
        """POST it, then mark the inquiry delivered; ForwardPostponed (answer "HTTP <status>" or "") if not 2xx."""
        try:
            status = send_push(outgoing)
        except (OSError, ValueError) as exc:  # URLError, TLS, timeouts and refused addresses are OSErrors
            log.warning("REST push to %s (receiver %s) failed: %s", outgoing.url, self.receiver.pk, exc)
            if not outgoing.probe:
                self.failed(outgoing.inquiry_id, NO_ANSWER)
            # The job's error and the probe are read by the organisation (doctor): NO_ANSWER only; the detail is in
            # the log line above.
            raise ForwardPostponed(f"{outgoing.url}: {NO_ANSWER}", shown=NO_ANSWER) from None
        answer = f"HTTP {status}"
        if not 200 <= status < 300:
            if not outgoing.probe:
                self.failed(outgoing.inquiry_id, answer)
            raise ForwardPostponed(f"{outgoing.url}: {answer}", answer=answer)
        if outgoing.probe:
            return Sent(answer=answer, recorded=False)
        return Sent(answer=answer, recorded=self.recorded(outgoing.inquiry_id, answer, job))
