"""REST push: an inquiry is POSTed over verified HTTPS to the receiver's endpoint, signed by the hub, carrying the
dialog-thread token; a failing or untrusted endpoint postpones the job and nothing is lost. The doctor's probe
goes through the same channel: marked, signed, and never recorded."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils import timezone

from digitalpost.authorities.models import AuthorityMailbox
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.lifecycle import EventKind
from digitalpost.delivery.channels.rest_pull import THREAD_LABEL
from digitalpost.doctor.probe import PROBE_TAG, probe_mailbox
from digitalpost.hub.keys import thread_keyring
from digitalpost.messages.models import Message
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.protocols import memo, threads
from digitalpost.systems.models import ReceiverSystem
from digitalpost.systems.services.receivers import create_push_receiver
from helpers.secure_mail import free_port

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("hub_settings", "push_to_loopback_allowed")]


@pytest.fixture
def push_to_loopback_allowed(settings):
    """The test endpoints listen on 127.0.0.1, which the hub refuses unless the operator allows it."""
    settings.DIGITALPOST_PUSH_ALLOWED_NETWORKS = ["127.0.0.1/32"]


def push_inquiry_to(cast, url: str) -> tuple[Message, ReceiverSystem]:
    receiver = create_push_receiver(authority=cast.nordby.authority, name="Nordby ESDH", endpoint_url=url)
    mailbox = create_mailbox(authority=cast.nordby.authority, name="Borgerservice", receiver_system=receiver)
    message = send_inquiry(party=cast.anna, mailbox=mailbox, inquiry=Inquiry(subject="Mit pas", text="Hej"))
    return message, receiver


def make_due(message: Message) -> None:
    Job.objects.filter(key=f"forward:{message.pk}").update(run_after=timezone.now() - timedelta(seconds=1))


def test_inquiry_is_pushed_once_signed_by_the_hub_with_the_thread_token(cast, push_server, drain, securemail_pki):
    message, receiver = push_inquiry_to(cast, push_server.url)

    assert drain(WorkKind.FORWARD) == 1
    assert drain(WorkKind.FORWARD) == 0

    (request,) = push_server.requests
    assert request.path == "/digitalpost/inbox"
    assert request.headers["content-type"] == "application/xml"
    assert request.headers["x-digitalpost-message-id"] == str(message.pk)
    scheme, keyid, sig = request.headers["x-digitalpost-signature"].split(" ")
    hub = securemail_pki.hub.certificate
    assert (scheme, keyid) == ("v1", f"keyid={hub.fingerprint}")
    assert sig.startswith("sig=")
    public_key = hub.x509.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(base64.b64decode(sig.removeprefix("sig=")), request.body, padding.PKCS1v15(),
                      hashes.SHA256())

    letter = memo.parse(request.body, max_bytes=10**7)
    assert letter.header.message_uuid == str(message.message_uuid)
    (reply,) = letter.header.reply_data
    (extra,) = reply.additional_reply_data
    assert extra.label == THREAD_LABEL
    assert extra.value == request.headers["x-digitalpost-thread"]
    ref = threads.verify(extra.value, keyring=thread_keyring(), expected_authority_cvr=cast.nordby.authority.cvr)
    assert ref.thread_id == message.thread_id

    message.refresh_from_db()
    assert message.state == Message.State.DELIVERED
    delivered = message.events.filter(kind=EventKind.MESSAGE_DELIVERED).get()
    assert delivered.data["channel"] == "rest-push"
    assert delivered.data["receiver"] == str(receiver.pk)
    assert Job.objects.get(key=f"forward:{message.pk}").state == Job.State.DONE


def test_unavailable_endpoint_postpones_and_the_retry_delivers_once(cast, push_server, drain):
    push_server.statuses = [503]
    message, receiver = push_inquiry_to(cast, push_server.url)

    assert drain(WorkKind.FORWARD) == 1
    message.refresh_from_db()
    assert message.state == Message.State.ACCEPTED
    assert not message.events.filter(kind=EventKind.MESSAGE_DELIVERED).exists()
    assert Job.objects.get(key=f"forward:{message.pk}").state == Job.State.PENDING
    assert ReceiverSystem.objects.get(pk=receiver.pk).failing_since is not None

    make_due(message)
    assert drain(WorkKind.FORWARD) == 1
    assert len(push_server.requests) == 2
    assert push_server.requests[0].body == push_server.requests[1].body
    message.refresh_from_db()
    assert message.state == Message.State.DELIVERED
    assert message.events.filter(kind=EventKind.MESSAGE_DELIVERED).count() == 1
    assert ReceiverSystem.objects.get(pk=receiver.pk).failing_since is None
    make_due(message)
    assert drain(WorkKind.FORWARD) == 0
    assert len(push_server.requests) == 2


def test_endpoint_with_an_untrusted_certificate_is_not_pushed_to(cast, untrusted_push_server, drain):
    message, receiver = push_inquiry_to(cast, untrusted_push_server.url)

    assert drain(WorkKind.FORWARD) == 1
    assert untrusted_push_server.requests == []
    message.refresh_from_db()
    assert message.state == Message.State.ACCEPTED
    job = Job.objects.get(key=f"forward:{message.pk}")
    assert job.state == Job.State.PENDING
    assert "certificate" in job.last_error.lower()
    assert ReceiverSystem.objects.get(pk=receiver.pk).failing_since is not None


def test_unreachable_endpoint_postpones(cast, drain):
    message, receiver = push_inquiry_to(cast, f"https://127.0.0.1:{free_port()}/inbox")
    assert drain(WorkKind.FORWARD) == 1
    message.refresh_from_db()
    assert message.state == Message.State.ACCEPTED
    assert Job.objects.get(key=f"forward:{message.pk}").state == Job.State.PENDING
    assert ReceiverSystem.objects.get(pk=receiver.pk).failing_since is not None


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/inbox", "ftp://example.org/x", "https:///nohost", ""])
def test_push_receiver_needs_an_https_endpoint(cast, url):
    with pytest.raises(DigitalPostError) as refused:
        create_push_receiver(authority=cast.nordby.authority, name="Nordby ESDH", endpoint_url=url)
    assert refused.value.code == ErrorCode.REQUEST_INVALID
    assert not ReceiverSystem.objects.filter(kind=ReceiverSystem.Kind.REST_PUSH).exists()


def push_mailbox(cast, url: str) -> tuple[AuthorityMailbox, ReceiverSystem]:
    receiver = create_push_receiver(authority=cast.nordby.authority, name="Nordby ESDH", endpoint_url=url)
    return create_mailbox(authority=cast.nordby.authority, name="Byggesager", receiver_system=receiver), receiver


def test_the_probe_is_pushed_by_the_same_channel_marked_signed_and_never_recorded(cast, push_server, securemail_pki):
    mailbox, receiver = push_mailbox(cast, push_server.url)
    messages = Message.objects.count()

    result = probe_mailbox(mailbox)

    assert result.route == "REST_PUSH"
    assert f"{push_server.url} accepted the test inquiry: HTTP 200" in result.detail
    (request,) = push_server.requests
    assert request.headers["x-digitalpost-probe"] == request.headers["x-digitalpost-message-id"]
    assert "x-digitalpost-thread" not in request.headers
    public_key = securemail_pki.hub.certificate.x509.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    sig = request.headers["x-digitalpost-signature"].split(" ")[2].removeprefix("sig=")
    public_key.verify(base64.b64decode(sig), request.body, padding.PKCS1v15(), hashes.SHA256())
    assert memo.parse(request.body, max_bytes=10**7).header.label.startswith(PROBE_TAG)
    assert Message.objects.count() == messages
    receiver.refresh_from_db()
    assert (receiver.failing_since, receiver.is_active) == (None, True)


def test_a_refusing_push_endpoint_fails_the_probe_with_its_status_and_is_not_counted_failing(cast, push_server):
    mailbox, receiver = push_mailbox(cast, push_server.url)
    push_server.statuses = [503]

    result = probe_mailbox(mailbox)

    assert result.outcome == "FAILED"
    assert f"{push_server.url} refused the test inquiry: HTTP 503" in result.detail
    receiver.refresh_from_db()
    assert receiver.failing_since is None


def test_an_unreachable_push_endpoint_fails_the_probe_as_not_answering(cast):
    mailbox, _ = push_mailbox(cast, f"https://127.0.0.1:{free_port()}/inbox")

    result = probe_mailbox(mailbox)

    assert result.outcome == "FAILED"
    assert "did not answer" in result.detail
