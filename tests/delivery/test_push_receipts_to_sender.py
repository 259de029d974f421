"""Receipts pushed to the sender: a sender system's HTTPS endpoint (a real server on 127.0.0.1 with a certificate
from the test CA) gets each receipt and event of the system's messages once, in order per message, signed so that
the receiver's own few-line check (written here as docs/receipt-push.md shows it, not with the hub's code) finds a
forgery; a receiver down and up again gets everything in order; a replay re-sends what follows a cursor."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from digitalpost.accounts.services import issue_admin_token
from digitalpost.audit.models import AuditEntry
from digitalpost.messages.models import EventPush, Message
from digitalpost.messages.services.reading import record_read
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.systems.models import SenderPushEndpoint
from digitalpost.systems.services.push_endpoints import register_push_endpoint
from helpers.https_endpoints import EndpointServer, Posted, endpoint_server
from helpers.push_server import server_certificate
from helpers.secure_mail_pki import SecureMailPki

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("hub_settings")]

ADMIN = "/apis/v1/admin/organisations"


# --- the receiver's side, written from docs/receipt-push.md ---------------------------------------------------

def signature_fields(posted: Posted) -> dict[str, str]:
    scheme, *fields = posted.headers["x-digitalpost-signature"].split(" ")
    assert scheme == "v1"
    return dict(field.split("=", 1) for field in fields)


def hmac_ok(posted: Posted, secret: str, *, max_age: int = 300) -> bool:
    timestamp = posted.headers["x-digitalpost-timestamp"]
    signed = timestamp.encode() + b"." + posted.body
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    fields = signature_fields(posted)
    return (fields["alg"] == "hmac-sha256" and hmac.compare_digest(expected, fields["sig"])
            and abs(time.time() - int(timestamp)) <= max_age)


def rsa_ok_with_openssl(posted: Posted, hub_certificate_pem: bytes, folder: Path) -> bool:
    """The documented shell check: openssl dgst -verify over timestamp "." body with the hub's public key."""
    (folder / "hub.pem").write_bytes(hub_certificate_pem)
    (folder / "body.json").write_bytes(posted.body)
    (folder / "sig.b64").write_text(signature_fields(posted)["sig"])
    script = ('openssl x509 -in hub.pem -pubkey -noout > hub-pub.pem && '
              'base64 -d sig.b64 > sig.bin && '
              '{ printf "%s." "$TS"; cat body.json; } | openssl dgst -sha256 -verify hub-pub.pem -signature sig.bin')
    result = subprocess.run(["sh", "-c", script], cwd=folder, capture_output=True, text=True, check=False,
                            env={"TS": posted.headers["x-digitalpost-timestamp"], "PATH": "/usr/bin:/bin"})
    return result.returncode == 0 and "Verified OK" in result.stdout


def documents(server: EndpointServer) -> list[dict]:
    return [json.loads(posted.body) for posted in server.posts]


def per_message(docs: list[dict]) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    for doc in docs:
        seen.setdefault(doc["messageUUID"], []).append(doc["type"])
    return seen


# --- fixtures ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def endpoint_certs(securemail_pki: SecureMailPki) -> tuple[Path, Path]:
    return server_certificate(securemail_pki.folder, "receipt-endpoint", securemail_pki.ca)


@pytest.fixture
def receiver(endpoint_certs, settings) -> Iterator[EndpointServer]:
    settings.DIGITALPOST_PUSH_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the test's endpoint: loopback, allowed here only
    with endpoint_server(*endpoint_certs) as server:
        yield server


def send_letters(cast, count: int) -> list[Message]:
    messages = []
    for _ in range(count):
        response = cast.nordby.submit(cast.nordby.memo(cast.anna))
        assert response.status_code in (200, 201, 202), response.content
        messages.append(Message.objects.get(pk=response.json()["messageId"]))
    return messages


def make_due(endpoint: SenderPushEndpoint) -> None:
    """Move the clock by data: the back-off of the endpoint and of its jobs has run out."""
    SenderPushEndpoint.objects.filter(pk=endpoint.pk).update(retry_after=None)
    Job.objects.filter(kind=WorkKind.PUSH_EVENTS, state=Job.State.PENDING).update(
        run_after=timezone.now() - timedelta(seconds=1))


# --- tests -------------------------------------------------------------------------------------------------------

def test_registered_through_the_admin_api_each_receipt_and_event_is_pushed_once_in_order_signed(
        cast, staff, receiver, drain):
    nora = Client(HTTP_AUTHORIZATION=f"Bearer {issue_admin_token(user=staff.nora, name='t').secret}")
    base = f"{ADMIN}/{cast.nordby.authority.cvr}/sender-systems/{cast.nordby.system.pk}/push-endpoints"
    created = nora.post(base, {"url": receiver.url, "signing": "HMAC"}, content_type="application/json")
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert secret
    assert secret not in nora.get(base).content.decode()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "push_endpoint.created"
    assert secret not in str(entry.after)

    first, second = send_letters(cast, 2)
    assert drain(WorkKind.DELIVER) == 2
    record_read(message=first)
    drain(WorkKind.PUSH_EVENTS)
    assert drain(WorkKind.PUSH_EVENTS) == 0

    docs = documents(receiver)
    assert per_message(docs) == {str(first.message_uuid): ["received", "delivered", "read"],
                                 str(second.message_uuid): ["received", "delivered"]}
    assert len({doc["eventId"] for doc in docs}) == len(docs) == 5
    delivered = next(d for d in docs if d["type"] == "delivered")
    assert (delivered["kind"], delivered["receipt"]) == ("MESSAGE_DELIVERED", "COMPLETED")
    assert all(hmac_ok(posted, secret) for posted in receiver.posts)
    assert all(p.headers["x-digitalpost-event-id"] == str(json.loads(p.body)["eventId"]) for p in receiver.posts)
    assert not EventPush.objects.filter(pushed_at__isnull=True).exists()


def test_a_forged_push_fails_the_documented_check(cast, receiver, drain):
    registered = register_push_endpoint(system=cast.nordby.system, url=receiver.url)
    assert registered.secret is not None
    send_letters(cast, 1)
    drain(WorkKind.PUSH_EVENTS)
    (genuine,) = receiver.posts
    assert hmac_ok(genuine, registered.secret)

    altered = genuine.body.replace(b'"received"', b'"delivered"')
    assert altered != genuine.body
    assert not hmac_ok(Posted(genuine.path, genuine.headers, altered), registered.secret)
    replayed_later = dict(genuine.headers, **{"x-digitalpost-timestamp": str(int(time.time()) + 60)})
    assert not hmac_ok(Posted(genuine.path, replayed_later, genuine.body), registered.secret)
    assert not hmac_ok(genuine, "not-the-secret")
    stale = dict(genuine.headers, **{"x-digitalpost-timestamp": str(int(time.time()) - 3600)})
    forged_sig = base64.b64encode(hmac.new(registered.secret.encode(),
                                           stale["x-digitalpost-timestamp"].encode() + b"." + genuine.body,
                                           hashlib.sha256).digest()).decode()
    stale["x-digitalpost-signature"] = f"v1 alg=hmac-sha256 keyid={registered.endpoint.pk} sig={forged_sig}"
    assert not hmac_ok(Posted(genuine.path, stale, genuine.body), registered.secret)  # too old: a replay


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the documented shell check needs openssl")
def test_rsa_signed_pushes_verify_with_the_documented_openssl_line_and_forgeries_do_not(
        cast, receiver, drain, securemail_pki, tmp_path):
    registered = register_push_endpoint(system=cast.nordby.system, url=receiver.url, signing="RSA")
    assert registered.secret is None
    send_letters(cast, 1)
    drain(WorkKind.PUSH_EVENTS)
    (genuine,) = receiver.posts
    assert signature_fields(genuine)["alg"] == "rsa-sha256"
    assert signature_fields(genuine)["keyid"] == securemail_pki.hub.certificate.fingerprint
    hub_pem = securemail_pki.hub.pem
    assert rsa_ok_with_openssl(genuine, hub_pem, tmp_path)
    forged = Posted(genuine.path, genuine.headers, genuine.body.replace(b'"received"', b'"refused"'))
    assert not rsa_ok_with_openssl(forged, hub_pem, tmp_path)


def test_a_receiver_down_then_up_gets_everything_once_in_order(cast, receiver, drain):
    endpoint = register_push_endpoint(system=cast.nordby.system, url=receiver.url).endpoint
    receiver.down = True
    first, second = send_letters(cast, 2)
    drain(WorkKind.PUSH_EVENTS)
    # Only the head of the queue was tried: nothing later overtook it.
    assert {json.loads(p.body)["messageUUID"] for p in receiver.refused} == {str(first.message_uuid)}
    assert {json.loads(p.body)["type"] for p in receiver.refused} == {"received"}
    failing = SenderPushEndpoint.objects.get(pk=endpoint.pk)
    assert failing.failing_since is not None
    assert failing.retry_after is not None
    assert failing.is_active

    # More happens while it is down; the jobs wait for the endpoint's back-off, without trying.
    assert drain(WorkKind.DELIVER) == 2
    tried = len(receiver.refused)
    drain(WorkKind.PUSH_EVENTS)
    assert len(receiver.refused) == tried
    record_read(message=second)

    receiver.down = False
    make_due(endpoint)
    drain(WorkKind.PUSH_EVENTS)
    make_due(endpoint)
    assert drain(WorkKind.PUSH_EVENTS) == 0
    assert per_message(documents(receiver)) == {str(first.message_uuid): ["received", "delivered"],
                                                str(second.message_uuid): ["received", "delivered", "read"]}
    ids = [doc["eventId"] for doc in documents(receiver)]
    assert len(ids) == len(set(ids)) == 5
    recovered = SenderPushEndpoint.objects.get(pk=endpoint.pk)
    assert (recovered.failing_since, recovered.retry_after) == (None, None)


def test_replay_re_sends_the_events_after_a_cursor_in_order(cast, receiver, drain):
    endpoint = register_push_endpoint(system=cast.nordby.system, url=receiver.url).endpoint
    _first, _second = send_letters(cast, 2)
    drain(WorkKind.DELIVER)
    drain(WorkKind.PUSH_EVENTS)
    pushed = documents(receiver)
    cursor = pushed[1]["eventId"]
    receiver.posts.clear()

    replay = cast.nordby.client().post(f"/apis/v1/push-endpoints/{endpoint.pk}/replay", {"after": cursor},
                                       content_type="application/json")
    assert replay.status_code == 202, replay.content
    expected = sorted(doc["eventId"] for doc in pushed if doc["eventId"] > cursor)
    assert replay.json() == {"queued": len(expected)}
    drain(WorkKind.PUSH_EVENTS)
    assert [doc["eventId"] for doc in documents(receiver)] == expected

    other = cast.sydby.client().post(f"/apis/v1/push-endpoints/{endpoint.pk}/replay", {"after": 0},
                                     content_type="application/json")
    assert other.status_code == 404
    assert other.json()["errorCode"] == "object.not.found"


def test_replay_to_a_deactivated_endpoint_is_refused(cast, receiver):
    endpoint = register_push_endpoint(system=cast.nordby.system, url=receiver.url).endpoint
    SenderPushEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    refused = cast.nordby.client().post(f"/apis/v1/push-endpoints/{endpoint.pk}/replay", {"after": 0},
                                        content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["errorCode"] == "push.endpoint.inactive"


def test_an_endpoint_only_gets_the_types_it_asked_for(cast, receiver, drain):
    register_push_endpoint(system=cast.nordby.system, url=receiver.url, event_types=["delivered", "read"])
    (message,) = send_letters(cast, 1)
    drain(WorkKind.DELIVER)
    record_read(message=message)
    drain(WorkKind.PUSH_EVENTS)
    assert [doc["type"] for doc in documents(receiver)] == ["delivered", "read"]


def test_the_python_check_in_the_guide_accepts_a_real_push_and_refuses_a_forged_one(cast, receiver, drain):
    guide = (Path(__file__).parents[2] / "docs" / "receipt-push.md").read_text()
    code = guide.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {"__name__": "receipt_push_guide"}
    exec(compile(code, "docs/receipt-push.md", "exec"), namespace)  # noqa: S102 (our own documentation)
    check_push = namespace["check_push"]

    registered = register_push_endpoint(system=cast.nordby.system, url=receiver.url)
    send_letters(cast, 1)
    drain(WorkKind.PUSH_EVENTS)
    (genuine,) = receiver.posts
    headers = {"X-DigitalPost-Timestamp": genuine.headers["x-digitalpost-timestamp"],
               "X-DigitalPost-Signature": genuine.headers["x-digitalpost-signature"]}
    assert check_push(headers, genuine.body, registered.secret)
    assert not check_push(headers, genuine.body + b" ", registered.secret)
    assert not check_push(headers, genuine.body, registered.secret + "x")


def test_the_admin_api_pauses_reactivates_and_deletes_an_endpoint_audited(cast, staff, receiver, drain):
    nora = Client(HTTP_AUTHORIZATION=f"Bearer {issue_admin_token(user=staff.nora, name='t').secret}")
    base = f"{ADMIN}/{cast.nordby.authority.cvr}/sender-systems/{cast.nordby.system.pk}/push-endpoints"
    created = nora.post(base, {"url": receiver.url, "signing": "RSA", "eventTypes": ["read"]},
                        content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["secret"] is None
    one = f"{base}/{created.json()['endpoint']['id']}"

    paused = nora.put(f"{one}/active", {"isActive": False}, content_type="application/json")
    assert paused.json()["isActive"] is False
    (message,) = send_letters(cast, 1)
    drain(WorkKind.DELIVER)
    record_read(message=message)
    drain(WorkKind.PUSH_EVENTS)
    assert receiver.posts == []  # paused: queued, not sent

    resumed = nora.put(f"{one}/active", {"isActive": True}, content_type="application/json")
    assert resumed.json()["isActive"] is True
    drain(WorkKind.PUSH_EVENTS)
    assert [doc["type"] for doc in documents(receiver)] == ["read"]

    bad = nora.post(base, {"url": receiver.url, "eventTypes": ["opened"]}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["errorCode"] == "push.event.type.unknown"
    assert nora.delete(one).status_code == 204
    assert nora.get(base).json() == []
    actions = list(AuditEntry.objects.filter(action__startswith="push_endpoint.").order_by("seq")
                   .values_list("action", flat=True))
    assert actions == ["push_endpoint.created", "push_endpoint.deactivated", "push_endpoint.reactivated",
                       "push_endpoint.deleted"]


def test_a_legal_notification_is_pushed_delivered_then_legally_notified_at_its_first_opening(cast, receiver, drain):
    register_push_endpoint(system=cast.nordby.system, url=receiver.url,
                           event_types=["delivered", "legally_notified"])
    response = cast.nordby.submit(cast.nordby.memo(cast.anna, legal_notification=True))
    message = Message.objects.get(pk=response.json()["messageId"])
    drain(WorkKind.DELIVER)
    record_read(message=message, by_recipient=False)  # a company employee who may only look: no legal effect
    record_read(message=message)
    record_read(message=message)
    drain(WorkKind.PUSH_EVENTS)
    pushed = documents(receiver)
    assert [doc["type"] for doc in pushed] == ["delivered", "legally_notified"]
    assert pushed[1]["kind"] == "MESSAGE_LEGALLY_NOTIFIED"
    message.refresh_from_db()
    assert pushed[1]["at"] == message.legally_notified_at.isoformat()
    assert pushed[1]["receipt"] is None
